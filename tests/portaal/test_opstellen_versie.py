"""A reminder or an answer goes in the version of the message it names, also after a switch-over
(DESIGN §3a: "A message that names another … carries that message's `module` and `versie` … and is
never refused for its version, so open questions can be finished during a switch-over"; "The SDK
and portal pick the highest version both parties accept" — for a message that names none).

Found by reading the portal against §3a: after a creditor moved from 1.0 to 1.0 and 2.0, the client
page's reminder link opened the 2.0 form and the hub refused it (ONGELDIGE_VERWIJZING), so the
counsellor could not remind the creditor of the question still open (art. 15.1)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from starlette.testclient import TestClient

from knooppunt.hub import adresboek
from knooppunt.hub.adresboek import DeelnemerWijziging
from knooppunt.portaal.gastclient import Gastclient
from knooppunt.portaal.kluis import Kluis
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.shv import bericht, conversatie_van, formulier, referenties, verstuur
from tests.portaal.test_sleutels import csrf_van_pagina


def _versies(rt: Runtime, wie: str, modules: list[str]) -> None:
    with transactie(rt.sessions) as session:
        adresboek.wijzig(
            session, oin_van(wie), DeelnemerWijziging(modules=modules), door="test", nu=db_nu(session)
        )


def _open_vraag_in_1_0(portaal: TestClient, rt: Runtime, kluis: Kluis) -> tuple[TestClient, str, str]:
    """The counsellor's saldoverzoek in 1.0 (the creditor accepts only 1.0), confirmed and past its
    answer term; then the creditor accepts 1.0 and 2.0. Returns (the counsellor, conversation, ref)."""
    _versies(rt, "energie", ["schuldregeling:1.0"])
    gemeente = inloggen(portaal, "gemeente", naam="Anna Jansen")
    verstuurd = verstuur(
        gemeente, "saldoverzoek", ["energie"], voorbeeld("schuldregeling", "saldoverzoek", "1.0")
    )
    assert "protocol 1.0" in verstuurd.text, verstuurd.text
    (ref,) = referenties(verstuurd.text)
    Gastclient(rt, kluis, oin_van("energie"), wie="test").bevestig([ref])
    with transactie(rt.sessions) as session:
        session.execute(
            update(Bericht)
            .where(Bericht.referentienummer == ref)
            .values(antwoord_uiterlijk=db_nu(session) - timedelta(hours=1))
        )
    _versies(rt, "energie", ["schuldregeling:1.0,2.0"])
    return gemeente, conversatie_van(verstuurd.text), ref


def test_15_1_reminder_op_een_vraag_in_1_0_na_de_overstap_naar_2_0(
    portaal: TestClient, demo: dict[str, int], rt: Runtime, kluis: Kluis
) -> None:
    """Art. 15.1 and §3a: the reminder link of the client page opens the 1.0 form, says why 1.0, and
    the reminder goes out in 1.0, naming the question; a new question in the same conversation goes
    in 2.0, the highest version both now accept."""
    gemeente, conversatie, vraag = _open_vraag_in_1_0(portaal, rt, kluis)
    pagina = gemeente.get(f"/portaal/clienten/{conversatie}").text
    (link,) = [
        html.unescape(h)
        for h in re.findall(r'href="(/portaal/opstellen[^"]*)"', pagina)
        if "berichttype=reminder" in h
    ]
    assert f"antwoord_op={vraag}" in link
    vorm = gemeente.get(link)
    assert vorm.status_code == 200, vorm.headers.get("location")
    assert "versie 1.0: de versie van het bericht waarnaar dit bericht verwijst" in vorm.text
    assert f'value="{vraag}" selected' in vorm.text

    verstuurd = verstuur(
        gemeente,
        "reminder",
        ["energie"],
        voorbeeld("schuldregeling", "reminder", "1.0"),
        conversatie=conversatie,
        antwoord_op=vraag,
        module="schuldregeling",
    )
    assert "Er is niets verzonden" not in verstuurd.text, verstuurd.text
    assert "protocol 1.0: de versie van het bericht waarnaar dit bericht verwijst" in verstuurd.text
    (ref,) = referenties(verstuurd.text)
    reminder = bericht(rt, ref)
    assert (reminder.berichttype, reminder.versie, reminder.cross_referentienummer) == (
        "reminder",
        "1.0",
        vraag,
    )

    # A message that names none: the highest version both accept (2.0 now).
    nieuw = formulier(gemeente, "saldoverzoek", ["energie"], conversatie=conversatie, module="schuldregeling")
    assert "versie 2.0: de hoogste versie die u en de gekozen" in nieuw.text


def test_reminder_zonder_link_kiest_de_open_vraag_en_haar_versie(
    portaal: TestClient, demo: dict[str, int], rt: Runtime, kluis: Kluis
) -> None:
    """§3a: a reminder composed from the conversation without a link (no antwoord_op) finds the
    own open question to this creditor in any version, and takes its version; before, the 2.0 form
    had no question to name and the reminder could not go out."""
    gemeente, conversatie, vraag = _open_vraag_in_1_0(portaal, rt, kluis)
    vorm = formulier(gemeente, "reminder", ["energie"], conversatie=conversatie, module="schuldregeling")
    assert "versie 1.0: de versie van het bericht waarnaar dit bericht verwijst" in vorm.text
    assert f'value="{vraag}" selected' in vorm.text


def test_werkplek_biedt_een_reminder_in_een_versie_die_de_afzender_niet_meer_gebruikt(
    portaal: TestClient, demo: dict[str, int], rt: Runtime, kluis: Kluis, nieuwe_browser: Any
) -> None:
    """§3a: the counsellor who now accepts only 2.0 still reminds the creditor of a 1.0 question
    (never refused for its version); the werkplek listed reminders only in the versions it accepts."""
    _gemeente, _conversatie, vraag = _open_vraag_in_1_0(portaal, rt, kluis)
    _versies(rt, "gemeente", ["schuldregeling:2.0"])
    werkplek = inloggen(nieuwe_browser(), "gemeente")
    r = werkplek.get(
        "/portaal/sleutels/api/opstellen/herinneringen", headers={"X-CSRF-Token": csrf_van_pagina(werkplek)}
    )
    assert r.status_code == 200, r.text
    (rij,) = [v for v in r.json()["vragen"] if v["referentienummer"] == vraag]
    assert (rij["versie"], rij["kanHerinneren"], rij["herinnering"]) == ("1.0", True, "reminder")
    assert r.json()["typen"]["schuldregeling 1.0"]["berichttype"] == "reminder"
