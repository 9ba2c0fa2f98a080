"""The werkplek's compose endpoints (DESIGN §5 "Portal", §7; routes/werkplek_opstellen.py): the answer
types to a received message per module, version and role, with their forms; the own open questions
with a reminder offered only past their answer term (art. 2.1, 15.1); the creditors of a client's
conversation. Login and CSRF are required; the answers carry metadata only, never a payload."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from knooppunt.portaal import formulier
from knooppunt.portaal.gastclient import Gastclient
from knooppunt.portaal.kluis import Kluis
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.shv import bericht, demo_conversatie, laatste
from tests.portaal.test_sleutels import csrf_van_pagina

API = "/portaal/sleutels/api/opstellen"
ALLE = ("/antwoorden", "/herinneringen", "/schuldeisers")


def _kop(client: TestClient) -> dict[str, str]:
    return {"X-CSRF-Token": csrf_van_pagina(client)}


def _antwoorden(client: TestClient, kop: dict[str, str], module: str, versie: str, code: str) -> Any:
    return client.get(
        f"{API}/antwoorden", params={"module": module, "versie": versie, "berichttype": code}, headers=kop
    )


def test_eindpunten_vragen_inloggen_en_csrf(demo: dict[str, int], nieuwe_browser: Any) -> None:
    anoniem = nieuwe_browser()
    for pad in ALLE:
        assert anoniem.get(API + pad, headers={"X-CSRF-Token": "x"}).status_code == 401, pad
    ingelogd = inloggen(nieuwe_browser(), "gemeente")
    for pad in ALLE:
        zonder = ingelogd.get(API + pad)
        assert zonder.status_code == 403 and "CSRF" in zonder.json()["detail"], pad
        fout = ingelogd.get(API + pad, headers={"X-CSRF-Token": "fout"})
        assert fout.status_code == 403, pad


def test_antwoordtypen_per_module_versie_en_rol(demo: dict[str, int], nieuwe_browser: Any) -> None:
    """The catalogue's answer types (client.berichten.antwoordtypen) for the participant's role, in
    the question's module and version, each with the form of formulier.sjabloon and its schema."""
    energie = inloggen(nieuwe_browser(), "energie")
    kop = _kop(energie)
    r = _antwoorden(energie, kop, "schuldregeling", "1.0", "saldoverzoek_nuts")
    assert r.status_code == 200, r.text
    typen = {t["berichttype"]: t for t in r.json()["typen"]}
    assert list(typen) == [
        "saldoverzoek_antwoord",
        "saldoverzoek_antwoord_standaard_akkoord",
        "klant_onbekend",
    ]
    onbekend = typen["klant_onbekend"]
    assert (onbekend["module"], onbekend["versie"]) == ("schuldregeling", "1.0")
    sj = formulier.sjabloon("schuldregeling", "klant_onbekend", "1.0")
    assert [k["naam"] for k in onbekend["formulier"]["kinderen"]] == [k.naam for k in sj.kinderen]
    assert onbekend["schema"]["required"] == ["klantnummerSHV"]
    # Version 2.0 of the same question: geen_medewerking replaces klant_onbekend (DESIGN §3a).
    twee = _antwoorden(energie, kop, "schuldregeling", "2.0", "saldoverzoek_nuts").json()["typen"]
    assert [t["berichttype"] for t in twee] == [
        "saldoverzoek_antwoord",
        "saldoverzoek_antwoord_standaard_akkoord",
        "geen_medewerking",
    ]
    assert {t["versie"] for t in twee} == {"2.0"}
    # The role decides: a creditor does not answer its own statusverzoek; the municipality does.
    assert _antwoorden(energie, kop, "schuldregeling", "1.0", "statusverzoek").json()["typen"] == []
    gemeente = inloggen(nieuwe_browser(), "gemeente")
    gkop = _kop(gemeente)
    status = _antwoorden(gemeente, gkop, "schuldregeling", "1.0", "statusverzoek").json()
    assert [t["berichttype"] for t in status["typen"]] == ["statusbericht"] and status["melding"] == ""
    # A niet-akkoord: in 2.0 a heroverweging refers to it; in 1.0 nothing follows it.
    hero = _antwoorden(gemeente, gkop, "schuldregeling", "2.0", "betaalvoorstel_niet_akkoord").json()
    assert [t["berichttype"] for t in hero["typen"]] == ["heroverweging"]
    niets = _antwoorden(gemeente, gkop, "schuldregeling", "1.0", "betaalvoorstel_niet_akkoord").json()
    assert niets["typen"] == [] and "geen antwoord" in niets["melding"]
    # Unknown types, versions and the hub's own notices: a Dutch 400 saying what exists.
    fout = _antwoorden(gemeente, gkop, "schuldregeling", "9.9", "saldoverzoek")
    assert fout.status_code == 400 and "bestaat in versie" in fout.json()["detail"]
    assert _antwoorden(gemeente, gkop, "onbekend", "1.0", "saldoverzoek").status_code == 400
    hub = _antwoorden(gemeente, gkop, "schuldregeling", "1.0", "foutbericht")
    assert hub.status_code == 400 and "knooppunt" in hub.json()["detail"]
    leeg = gemeente.get(f"{API}/antwoorden", headers=gkop)
    assert leeg.status_code == 400 and "module, versie en berichttype" in leeg.json()["detail"]


def test_opstellen_biedt_geen_herinnering_of_heroverweging_aan(
    demo: dict[str, int], nieuwe_browser: Any
) -> None:
    """A reminder refers to an own open question, a heroverweging to a received niet-akkoord: neither
    is a message one starts, so the werkplek's list of new messages does not offer them."""
    gemeente = inloggen(nieuwe_browser(), "gemeente")
    r = gemeente.get("/portaal/sleutels/api/verzenden/opstellen", headers=_kop(gemeente))
    codes = {t["berichttype"] for t in r.json()["typen"]}
    assert "kennisgeving" in codes and "saldoverzoek_nuts" in codes
    assert "reminder" not in codes and "heroverweging" not in codes


def test_herinnering_pas_na_de_antwoordtermijn(
    demo: dict[str, int], nieuwe_browser: Any, rt: Runtime, kluis: Kluis
) -> None:
    """Art. 2.1, 15.1: an own open question is listed; a reminder is offered only once its answer
    term has passed without an answer (not before it is confirmed, not within the term)."""
    gemeente = inloggen(nieuwe_browser(), "gemeente")
    kop = _kop(gemeente)
    conversatie = demo_conversatie(rt)
    vraag = laatste(
        rt,
        afzender=oin_van("gemeente"),
        ontvanger=oin_van("energie"),
        berichttype="saldoverzoek_nuts",
        conversatie=conversatie,
    )

    def rij() -> dict[str, Any]:
        r = gemeente.get(f"{API}/herinneringen", params={"conversatie": conversatie}, headers=kop)
        assert r.status_code == 200, r.text
        assert r.json()["kanHerinneren"] is True
        assert r.json()["typen"]["schuldregeling 1.0"]["berichttype"] == "reminder"
        assert all(v["conversatieReferentienummer"] == conversatie for v in r.json()["vragen"])
        (gevonden,) = [v for v in r.json()["vragen"] if v["referentienummer"] == vraag.referentienummer]
        return gevonden

    # Not yet confirmed: no term, no reminder.
    eerst = rij()
    assert eerst["antwoordUiterlijk"] is None and eerst["kanHerinneren"] is False
    assert eerst["ontvangerNaam"] == "Demo Energie BV" and eerst["herinnering"] == "reminder"
    # Confirmed: the term runs; still no reminder within it.
    Gastclient(rt, kluis, oin_van("energie"), wie="test").bevestig([vraag.referentienummer])
    binnen = rij()
    assert binnen["antwoordUiterlijk"] is not None and binnen["kanHerinneren"] is False
    # Past the term without an answer (the clock moved as the other portal tests move it).
    with transactie(rt.sessions) as session:
        session.execute(
            update(Bericht)
            .where(Bericht.referentienummer == vraag.referentienummer)
            .values(antwoord_uiterlijk=db_nu(session) - timedelta(hours=1))
        )
    na = rij()
    assert na["teLaat"] is True and na["kanHerinneren"] is True
    # An answered question is not listed at all (client 1's zorg answered standaard akkoord).
    beantwoord = laatste(
        rt,
        afzender=oin_van("gemeente"),
        ontvanger=oin_van("zorg"),
        berichttype="saldoverzoek_zorg",
        conversatie=conversatie,
    )
    assert bericht(rt, beantwoord.referentienummer).beantwoord_op is not None
    alles = gemeente.get(f"{API}/herinneringen", headers=kop).json()["vragen"]
    assert beantwoord.referentienummer not in {v["referentienummer"] for v in alles}
    assert vraag.referentienummer in {v["referentienummer"] for v in alles}
    # Metadata only: no payload value of the demo's messages, no client name.
    tekst = json.dumps(alles)
    assert "inhoud" not in tekst and "klantnummerSHV" not in tekst and "SHV-2026" not in tekst
    # A creditor sends no reminders: nothing to offer.
    energie = inloggen(nieuwe_browser(), "energie")
    niets = energie.get(f"{API}/herinneringen", headers=_kop(energie)).json()
    assert niets == {"kanHerinneren": False, "nu": niets["nu"], "vragen": [], "typen": {}}
    ongeldig = gemeente.get(f"{API}/herinneringen", params={"conversatie": "x"}, headers=kop)
    assert ongeldig.status_code == 400 and "UUID" in ongeldig.json()["detail"]


def test_schuldeisers_van_een_conversatie(demo: dict[str, int], nieuwe_browser: Any, rt: Runtime) -> None:
    """The creditors of a client, to address one kennisgeving or saldoverzoek to all of them."""
    gemeente = inloggen(nieuwe_browser(), "gemeente")
    kop = _kop(gemeente)
    r = gemeente.get(f"{API}/schuldeisers", params={"conversatie": demo_conversatie(rt)}, headers=kop)
    assert r.status_code == 200, r.text
    lijst = r.json()["schuldeisers"]
    assert {s["oin"] for s in lijst} == {oin_van(w) for w in ("energie", "zorg", "belasting", "woning")}
    belasting = next(s for s in lijst if s["oin"] == oin_van("belasting"))
    assert belasting["naam"] == "Demo Belastingen" and "identificeert op BSN" in belasting["kenmerken"]
    ongeldig = gemeente.get(f"{API}/schuldeisers", params={"conversatie": "geen-uuid"}, headers=kop)
    assert ongeldig.status_code == 400 and "UUID" in ongeldig.json()["detail"]
    onbekend = gemeente.get(
        f"{API}/schuldeisers", params={"conversatie": "00000000-0000-4000-8000-000000000000"}, headers=kop
    )
    assert onbekend.status_code == 404 and "geen berichten van u" in onbekend.json()["detail"]
    # Another participant's conversation is not this creditor's to list.
    energie = inloggen(nieuwe_browser(), "energie")
    ander = energie.get(
        f"{API}/schuldeisers", params={"conversatie": demo_conversatie(rt, 2)}, headers=_kop(energie)
    )
    assert ander.status_code == 200
    assert {s["oin"] for s in ander.json()["schuldeisers"]} == {oin_van("gemeente")}


@pytest.mark.parametrize("pad", ALLE)
def test_post_bestaat_niet(demo: dict[str, int], nieuwe_browser: Any, pad: str) -> None:
    """Read-only metadata: no POST (nothing is stored through these endpoints)."""
    gemeente = inloggen(nieuwe_browser(), "gemeente")
    assert gemeente.post(API + pad, json={}, headers=_kop(gemeente)).status_code == 405


def _velden_van(vorm: dict[str, Any], pad: str = "") -> dict[str, dict[str, Any]]:
    uit = {}
    for kind in vorm["kinderen"]:
        sub = f"{pad}.{kind['naam']}" if pad and kind["naam"] else kind["naam"] or pad
        uit[sub] = kind
        uit |= _velden_van(kind, sub)
    return uit


def test_het_werkplekformulier_zoals_het_formulier_van_de_server(
    demo: dict[str, int], nieuwe_browser: Any
) -> None:
    """The werkplek composes from the same form description (DESIGN §7): labels for the sender's
    role (a bewindvoerder's saldoverzoek carries its own number and contact), a document's name and
    media type hidden (filled from the chosen PDF), einde_bewind's reason codes as a choice in words."""
    bewind = inloggen(nieuwe_browser(), "bewindvoerder")
    typen = bewind.get("/portaal/sleutels/api/verzenden/opstellen", headers=_kop(bewind)).json()["typen"]
    per = {(t["module"], t["berichttype"]): t for t in typen}
    saldo = _velden_van(per[("saldoverzoek", "saldoverzoek")]["formulier"])
    assert saldo["klantnummerSHV"]["label"] == "Klantnummer bewindvoerder"
    assert saldo["contactpersoonSHV"]["label"] == "Contactpersoon bewindvoering"
    assert saldo["grondslagDocument.bestandsnaam"]["verborgen"] is True
    assert saldo["grondslagDocument.mediatype"]["verborgen"] is True
    assert saldo["grondslagDocument.inhoud"]["verborgen"] is False
    assert saldo["grondslagDocument.inhoud"]["label"] == "PDF-document"
    einde = _velden_van(per[("bewind", "einde_bewind")]["formulier"])
    assert [c for c, _ in einde["reden.code"]["suggesties"]][:2] == ["OPGEHEVEN", "OVERLEDEN"]
    assert einde["reden.code"]["andersHint"] == formulier.ANDERS_HINT
    assert einde["reden.code"]["label"] == "Reden van het einde"
    wijkteam = inloggen(nieuwe_browser(), "wijkteam")
    typen = wijkteam.get("/portaal/sleutels/api/verzenden/opstellen", headers=_kop(wijkteam)).json()["typen"]
    saldo = _velden_van(next(t for t in typen if t["berichttype"] == "saldoverzoek")["formulier"])
    assert saldo["klantnummerSHV"]["label"] == "Klantnummer SHV"
