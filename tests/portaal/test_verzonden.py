"""Sent messages, for both roles (DESIGN §7): status, verlooptOp, antwoordUiterlijk, teLaat,
reminders and the hub's notices about them; filtered, paged, and only the organisation's own."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from knooppunt.hub import adresboek, mailbox
from knooppunt.portaal import dossiers
from knooppunt.portaal.gastclient import Gastclient
from knooppunt.portaal.kluis import Kluis
from knooppunt.portaal.routes import verzonden as verzonden_route
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.shv import bericht, demo_conversatie, laatste


@pytest.fixture
def gemeente(portaal: TestClient, demo: dict[str, int]) -> TestClient:
    return inloggen(portaal, "gemeente")


def _rijen(tekst: str) -> list[str]:
    return tekst.split("<tbody>")[1].split("</tbody>", maxsplit=1)[0].split("<tr>")[1:]


def test_verzonden_berichten_met_status_en_termijnen(gemeente: TestClient, rt: Runtime) -> None:
    pagina = gemeente.get("/portaal/verzonden")
    assert pagina.status_code == 200
    rijen = _rijen(pagina.text)
    assert len(rijen) == 24  # the demo: 3 clients x 4 creditors x (kennisgeving + saldoverzoek)
    assert '<caption id="verzonden-caption">Verzonden berichten</caption>' in pagina.text
    # Newest first; open messages show until when the creditor can confirm them (17.3).
    nieuwste = laatste(
        rt,
        afzender=oin_van("gemeente"),
        ontvanger=oin_van("woning"),
        berichttype="saldoverzoek",
        conversatie=demo_conversatie(rt, 3),
    )
    from knooppunt.portaal.weergave import tijdstip

    assert "Saldoverzoek" in rijen[0] and "Demo Wonen" in rijen[0]
    assert tijdstip(nieuwste.verloopt_op) in rijen[0]
    assert "Beantwoord" in pagina.text  # the two answered saldoverzoeken of client 1
    assert f'href="/portaal/clienten/{demo_conversatie(rt)}"' in pagina.text


def test_filter_op_status_en_traject(gemeente: TestClient, rt: Runtime) -> None:
    beantwoord = gemeente.get("/portaal/verzonden", params={"status": "beantwoord"})
    rijen = _rijen(beantwoord.text)
    assert len(rijen) == 2
    assert all('<span class="status beantwoord">Beantwoord</span>' in r for r in rijen)
    conversatie = demo_conversatie(rt, 2)
    traject = gemeente.get("/portaal/verzonden", params={"conversatie": conversatie.upper()})
    assert len(_rijen(traject.text)) == 8
    assert f'value="{conversatie}"' in traject.text


def test_ongeldig_filter_zegt_wat_er_mis_is(gemeente: TestClient) -> None:
    pagina = gemeente.get("/portaal/verzonden", params={"conversatie": "klant-42", "status": "zoek"})
    assert pagina.status_code == 400
    assert 'role="alert"' in pagina.text
    assert (
        '<a href="#conversatie">Traject: Een traject (conversatieReferentienummer) is een UUID' in pagina.text
    )
    assert 'aria-describedby="conversatie-hint conversatie-fout" aria-invalid="true"' in pagina.text
    assert "Kies een status uit de lijst." in pagina.text
    assert 'value="klant-42"' in pagina.text


def test_bladeren(gemeente: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(verzonden_route, "PER_PAGINA", 10)
    pagina = gemeente.get("/portaal/verzonden", params={"status": "aangeboden"})
    gezien = _rijen(pagina.text)
    assert len(gezien) == 10 and "Nieuwste berichten" not in pagina.text
    while oudere := re.search(r'href="([^"]+)">Oudere berichten', pagina.text):
        pagina = gemeente.get(html.unescape(oudere.group(1)))
        assert "Nieuwste berichten" in pagina.text
        assert 'value="aangeboden" selected' in pagina.text  # the filter stays
        rijen = _rijen(pagina.text)
        assert not set(gezien) & set(rijen)
        gezien += rijen
    # Every message still "Nieuw" (the demo's 24, less the 4 that zorg and woning fetched), once.
    assert len(gezien) == 20


def test_melding_van_het_knooppunt_bij_verlopen_en_weigeren(gemeente: TestClient, rt: Runtime) -> None:
    """17.5: an expired message disappears and the sender is told; a refused one too."""
    conversatie = demo_conversatie(rt, 2)
    verloopt = laatste(
        rt,
        afzender=oin_van("gemeente"),
        ontvanger=oin_van("energie"),
        berichttype="kennisgeving",
        conversatie=conversatie,
    )
    geweigerd = laatste(
        rt,
        afzender=oin_van("gemeente"),
        ontvanger=oin_van("belasting"),
        berichttype="saldoverzoek_publiek",
        conversatie=conversatie,
    )
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        b = session.get(Bericht, verloopt.id)
        assert b is not None
        mailbox.verloop(session, b, nu=b.verloopt_op + timedelta(seconds=1), instellingen=rt.instellingen)
        belasting = adresboek.haal(session, oin_van("belasting"))
        mailbox.weiger(
            session,
            belasting,
            geweigerd.referentienummer,
            "HANDTEKENING_ONGELDIG",
            nu=nu,
            instellingen=rt.instellingen,
        )
    pagina = gemeente.get("/portaal/verzonden", params={"conversatie": conversatie})
    kennisgeving = next(r for r in _rijen(pagina.text) if "Demo Energie BV" in r and "Klant gemeld" in r)
    assert '<span class="status verlopen">Verlopen</span>' in kennisgeving
    # The notice as a sentence about the message, in the handbook's words; never the hub's code or
    # the type's code (#14 item 4).
    assert (
        "<strong>Melding van het knooppunt:</strong> Klant gemeld voor SHV aan Demo Energie BV is niet "
        "binnen de bevestigingstermijn bevestigd en is verlopen" in kennisgeving
    )
    assert "VERLOPEN" not in kennisgeving and "kennisgeving)" not in kennisgeving
    publiek = next(r for r in _rijen(pagina.text) if "Demo Belastingen" in r and "Saldoverzoek publiek" in r)
    # A refused recipient is visible as such, red like an expired one, with the reason the hub reports.
    assert '<span class="status geweigerd verlopen">Geweigerd</span>' in publiek
    assert "Reden: de handtekening van de afzender klopt niet" in publiek
    assert (
        "Saldoverzoek publiek aan Demo Belastingen is geweigerd: de handtekening van de afzender klopt niet"
        in publiek
    )
    assert "GEWEIGERD" not in publiek and "saldoverzoek_publiek" not in publiek
    assert "Verzonden" not in publiek.split("</th>")[1]  # the status column says Geweigerd, nothing green
    assert "status bevestigd" not in publiek and "status beantwoord" not in publiek


def test_te_laat_en_reminders(gemeente: TestClient, rt: Runtime, kluis: Kluis) -> None:
    conversatie = demo_conversatie(rt, 3)
    vraag = laatste(
        rt,
        afzender=oin_van("gemeente"),
        ontvanger=oin_van("energie"),
        berichttype="saldoverzoek_nuts",
        conversatie=conversatie,
    )
    Gastclient(rt, kluis, oin_van("energie"), wie="test").bevestig([vraag.referentienummer])
    with transactie(rt.sessions) as session:
        session.execute(
            update(Bericht)
            .where(Bericht.id == vraag.id)
            .values(antwoord_uiterlijk=db_nu(session) - timedelta(minutes=5))
        )
    pagina = gemeente.get("/portaal/verzonden", params={"conversatie": conversatie})
    rij = next(r for r in _rijen(pagina.text) if "Saldoverzoek nuts" in r)
    assert '<span class="status te-laat">Te laat</span>' in rij
    assert "Reminders: 0" in rij  # no reminders yet
    assert bericht(rt, vraag.referentienummer).status == "bevestigd"


def test_een_schuldeiser_ziet_alleen_wat_hij_zelf_verstuurde(
    portaal: TestClient, demo: dict[str, int]
) -> None:
    inloggen(portaal, "zorg")
    pagina = portaal.get("/portaal/verzonden")
    assert pagina.status_code == 200
    rijen = _rijen(pagina.text)
    assert len(rijen) == 1
    assert "Saldoverzoek antwoord – standaard akkoord" in rijen[0]
    assert "Gemeente Demodorp" in rijen[0]
    assert "/portaal/clienten/" not in pagina.text  # creditors have no client pages


def test_een_bewindvoerder_ziet_zijn_clienten(
    portaal: TestClient, demo: dict[str, int], rt: Runtime, kluis: Kluis
) -> None:
    """Like a debt counsellor, a bewindvoerder keeps client labels: its sent messages name the client
    its Cliënten page names, not only the traject."""
    inloggen(portaal, "bewindvoerder")
    pagina = portaal.get("/portaal/verzonden")
    rijen = _rijen(pagina.text)
    assert rijen and '<th scope="col">Cliënt</th>' in pagina.text
    with transactie(rt.sessions) as session:
        labels = dossiers.lees_meerdere(session, kluis, oin_van("bewindvoerder"))
    assert labels
    clienten = portaal.get("/portaal/clienten").text
    for rij in rijen:
        conversatie = re.search(r'href="/portaal/clienten/([0-9a-f-]{36})">([^<]+)</a>', rij)
        assert conversatie, rij
        assert conversatie.group(2) == labels[conversatie.group(1)].tekst
        assert html.escape(conversatie.group(2)) in clienten or conversatie.group(2) in clienten
        assert "Traject met" not in rij
    # Filtered on one traject, the caption names the client too.
    eerste = next(iter(labels))
    gefilterd = portaal.get("/portaal/verzonden", params={"conversatie": eerste})
    assert f"voor cliënt {labels[eerste].tekst}</caption>" in gefilterd.text


def test_beheerder_heeft_geen_verzonden_berichten(portaal: TestClient, demo: dict[str, int]) -> None:
    inloggen(portaal, "beheer")
    assert portaal.get("/portaal/verzonden").status_code == 403
