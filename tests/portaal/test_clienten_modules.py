"""Clients in every module, as a bewindvoerder, a kredietbank and a fase-1 wijkteam follow them
(DESIGN §7 "For people at work": client names and klantnummers beside every message and
conversation, the handbook's labels, correct Dutch; docs/portaal.md "Following a client" and "Namen
uit de berichten"). Findings of an independent probe of the portal at work."""

from __future__ import annotations

import html
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from knooppunt.hub import mailbox
from knooppunt.portaal import dossiers
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import Kluis
from knooppunt.portaal.weergave import tijdstip
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.shv import bericht, conversatie_van, referenties, verstuur

KENMERK = voorbeeld("waarborgfonds", "aanvraag_borgstelling", "2.0")["kenmerk"]
OPSTELLEN = re.compile(r'href="(/portaal/opstellen[^"]*)"')


def _eerste(rt: Runtime, *, afzender: str, module: str, berichttype: str) -> Bericht:
    with transactie(rt.sessions) as session:
        gevonden = session.scalars(
            select(Bericht)
            .where(
                Bericht.afzender == oin_van(afzender),
                Bericht.module == module,
                Bericht.berichttype == berichttype,
            )
            .order_by(Bericht.id)
        ).first()
        assert gevonden is not None
        session.expunge(gevonden)
        return gevonden


def _gast(rt: Runtime, kluis: Kluis, wie: str) -> Gastclient:
    return Gastclient(rt, kluis, oin_van(wie), wie="test")


def _termijn_voorbij(rt: Runtime, referentienummer: str) -> None:
    with transactie(rt.sessions) as session:
        session.execute(
            update(Bericht)
            .where(Bericht.referentienummer == referentienummer)
            .values(antwoord_uiterlijk=db_nu(session) - timedelta(hours=1))
        )


def _opstellinks(pagina: str) -> list[str]:
    return [html.unescape(h) for h in OPSTELLEN.findall(pagina)]


def _verzoek_kredietinformatie(rt: Runtime, kluis: Kluis) -> tuple[str, str]:
    """The fund asks the kredietbank for credit information in a conversation of its own (DESIGN §2:
    the fund owns it). Returns (conversation, referentienummer)."""
    conversatie = str(uuid.uuid4())
    verstuurd = _gast(rt, kluis, "fonds").verstuur(
        TeVersturen(
            oin_van("kredietbank"),
            "verzoek_kredietinformatie",
            voorbeeld("waarborgfonds", "verzoek_kredietinformatie", "2.0"),
            conversatie,
            module="waarborgfonds",
            versie="2.0",
        )
    )
    return conversatie, verstuurd.bericht.referentienummer


# --- 1. every link to the compose form carries the module of what it answers or refers to -----------


def test_15_1_reminder_van_een_bewindvoerder_opent_in_de_module_van_de_vraag(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    """Art. 15.1, DESIGN §3a: a reminder names the bewindvoerder's own saldoverzoek (module
    saldoverzoek) and goes in its module; the link opened the first step of schuldregeling-less
    compose with "Kies welk bericht u wilt sturen" before."""
    vraag = _eerste(rt, afzender="bewindvoerder", module="saldoverzoek", berichttype="saldoverzoek")
    _gast(rt, kluis, "incasso").bevestig([vraag.referentienummer])
    _termijn_voorbij(rt, vraag.referentienummer)
    inloggen(portaal, "bewindvoerder")
    pagina = portaal.get(f"/portaal/clienten/{vraag.conversatie_referentienummer}").text
    (reminder,) = [h for h in _opstellinks(pagina) if "berichttype=reminder" in h]
    assert "module=saldoverzoek" in reminder and f"antwoord_op={vraag.referentienummer}" in reminder
    formulier = portaal.get(reminder)
    assert formulier.status_code == 200, formulier.headers.get("location")
    assert "<h1>Reminderbericht opstellen</h1>" in formulier.text
    assert "Kies welk bericht u wilt sturen" not in formulier.text


@pytest.mark.parametrize("wie", ["gemeente", "wijkteam", "kredietbank", "bewindvoerder"])
def test_elke_link_naar_opstellen_noemt_de_module(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis, wie: str
) -> None:
    """Every compose link on the client pages, Ontvangen and Verzonden names its module (or, for a
    follow-up in a traject, the module comes from the traject): none lands in another module."""
    _verzoek_kredietinformatie(rt, kluis)
    inloggen(portaal, wie)
    lijst = portaal.get("/portaal/clienten").text
    trajecten = sorted(set(re.findall(r'href="/portaal/clienten/([0-9a-f-]{36})"', lijst)))
    assert trajecten
    paginas = [portaal.get(f"/portaal/clienten/{c}").text for c in trajecten]
    paginas += [portaal.get("/portaal/ontvangen").text, portaal.get("/portaal/verzonden").text]
    for pagina in paginas:
        for link in _opstellinks(pagina):
            if link.startswith("/portaal/opstellen/inhoud"):
                assert "module=" in link, link
            elif link != "/portaal/opstellen":
                assert "conversatie=" in link, link


# --- 2. a conversation another party started: on Cliënten, and answered from the portal -----------


def test_par_2_de_kredietbank_vindt_en_beantwoordt_het_verzoek_kredietinformatie(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    """DESIGN §2: the fund owns a verzoek kredietinformatie's conversation; the kredietbank takes
    part in it, so it is on its Cliënten, named after the fund, and its Bekijken page offers the
    answer (kredietinformatie, module waarborgfonds) and the traject, as the client page does."""
    conversatie, verzoek = _verzoek_kredietinformatie(rt, kluis)
    inloggen(portaal, "kredietbank")
    lijst = portaal.get("/portaal/clienten").text
    rij = lijst.split(f'href="/portaal/clienten/{conversatie}"')[1].split("</tr>")[0]
    assert ">Traject met Demo Waarborgfonds</a>" in rij
    assert "Cliënt zonder naam" not in rij

    client = portaal.get(f"/portaal/clienten/{conversatie}").text
    assert "<h1>Traject met Demo Waarborgfonds</h1>" in client
    assert any("berichttype=kredietinformatie" in link for link in _opstellinks(client))

    bekeken = portaal.get(f"/portaal/ontvangen/{verzoek}").text
    assert f'<a href="/portaal/clienten/{conversatie}">Traject met Demo Waarborgfonds</a>' in bekeken
    (antwoord,) = [h for h in _opstellinks(bekeken) if "berichttype=kredietinformatie" in h]
    assert "module=waarborgfonds" in antwoord and f"antwoord_op={verzoek}" in antwoord
    assert "Kredietinformatie sturen" in bekeken and "Een antwoord bevestigt dit bericht ook." in bekeken

    # Only viewed, not downloaded: the overview says what happened (art. 17.4: it counts as fetched).
    overzicht = portaal.get("/portaal/ontvangen").text
    assert ">Opgehaald<" in overzicht and ">Gedownload<" not in overzicht

    verstuurd = verstuur(
        portaal,
        "kredietinformatie",
        ["fonds"],
        voorbeeld("waarborgfonds", "kredietinformatie", "2.0"),
        conversatie=conversatie,
        antwoord_op=verzoek,
        module="waarborgfonds",
    )
    assert verstuurd.status_code == 200, verstuurd.text
    (ref,) = referenties(verstuurd.text)
    gestuurd = bericht(rt, ref)
    assert (gestuurd.module, gestuurd.cross_referentienummer, gestuurd.conversatie_referentienummer) == (
        "waarborgfonds",
        verzoek,
        conversatie,
    )
    assert bericht(rt, verzoek).status == "beantwoord"
    # In Verzonden the answer names the traject and links to it.
    verzonden = portaal.get("/portaal/verzonden").text
    assert f'<a href="/portaal/clienten/{conversatie}">Traject met Demo Waarborgfonds</a>' in verzonden


def test_een_schuldeiser_beantwoordt_per_upload(portaal: TestClient, demo: object, rt: Runtime) -> None:
    """A creditor's Bekijken page of a question says how it is answered (art. 18: by upload)."""
    vraag = _eerste(rt, afzender="bewindvoerder", module="bewind", berichttype="melding_bewind")
    inloggen(portaal, "incasso")
    pagina = portaal.get(f"/portaal/ontvangen/{vraag.referentienummer}").text
    assert 'Dit bericht beantwoordt u met <a href="/portaal/upload">Antwoorden uploaden</a>' in pagina
    assert "/portaal/opstellen" not in pagina and "/portaal/clienten/" not in pagina


# --- 3, 4. names from the messages: the kenmerk of a case, the bewindvoerder's klantnummer ----------


@pytest.mark.parametrize(
    ("module", "code", "veld"),
    [
        ("schuldregeling", "kennisgeving", "klantnummerSHV"),
        ("saldoverzoek", "saldoverzoek", "klantnummerSHV"),
        ("pauzeknop", "kennisgeving", "klantnummerSHV"),
        ("betalingsregeling", "saldoverzoek", "klantnummerSHV"),
        ("bewind", "melding_bewind", "klantnummerBW"),
        ("bewind", "melding_bewind_antwoord", "klantnummerBW"),
        ("waarborgfonds", "aanvraag_borgstelling", "kenmerk"),
        ("waarborgfonds", "gebeurtenis", "kenmerk"),
    ],
)
def test_het_eigen_nummer_uit_elke_module(module: str, code: str, veld: str) -> None:
    """docs/portaal.md "Namen uit de berichten": the own number of the party that follows the
    client, whatever the module calls it (klantnummerBW in bewind, a case's kenmerk in waarborgfonds)."""
    payload = voorbeeld(module, code, "2.0")
    label = dossiers.label_uit_payload(payload)
    assert label is not None and label.klantnummer == payload[veld]


def test_melding_bewind_noemt_het_klantnummer_van_de_bewindvoerder(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    """A traject started with a melding bewind is named as one started with a saldoverzoek: the
    client's name and the bewindvoerder's klantnummer (DESIGN §7)."""
    inloggen(portaal, "bewindvoerder")
    payload = voorbeeld("bewind", "melding_bewind", "2.0") | {"klantnummerBW": "BW-2026-0777"}
    antwoord = verstuur(portaal, "melding_bewind", ["incasso"], payload, module="bewind")
    assert antwoord.status_code == 200, antwoord.text
    conversatie = conversatie_van(antwoord.text)
    klant = payload["klant"]
    naam = " ".join(klant[d] for d in ("voorletters", "voorvoegsel", "achternaam") if klant.get(d))
    assert (
        f"<h1>{html.escape(naam)} · BW-2026-0777</h1>" in portaal.get(f"/portaal/clienten/{conversatie}").text
    )
    assert f"{html.escape(naam)} · BW-2026-0777</a>" in portaal.get("/portaal/clienten").text


def test_een_borgstelling_heet_naar_haar_kenmerk(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    """docs/portaal.md: a waarborgfonds traject is named after its kenmerk — when the kredietbank
    sends a message with one, and when it opens one it received (the fund's gebeurtenis)."""
    inloggen(portaal, "kredietbank")
    payload = voorbeeld("waarborgfonds", "aanvraag_borgstelling", "2.0") | {"kenmerk": "KB-2026-0777"}
    antwoord = verstuur(portaal, "aanvraag_borgstelling", ["fonds"], payload, module="waarborgfonds")
    assert antwoord.status_code == 200, antwoord.text
    conversatie = conversatie_van(antwoord.text)
    assert "<h1>KB-2026-0777</h1>" in portaal.get(f"/portaal/clienten/{conversatie}").text
    assert "KB-2026-0777</a>" in portaal.get("/portaal/clienten").text
    assert (
        f'<a href="/portaal/clienten/{conversatie}">KB-2026-0777</a>'
        in portaal.get("/portaal/verzonden").text
    )

    # Received: the demo's case loses its label; the fund answers; opening the answer names it again.
    aanvraag = _eerste(
        rt, afzender="kredietbank", module="waarborgfonds", berichttype="aanvraag_borgstelling"
    )
    demo_traject = aanvraag.conversatie_referentienummer
    with transactie(rt.sessions) as session:
        dossiers.verwijder(session, oin_van("kredietbank"), demo_traject)
    gebeurtenis = _gast(rt, kluis, "fonds").verstuur(
        TeVersturen(
            oin_van("kredietbank"),
            "gebeurtenis",
            voorbeeld("waarborgfonds", "gebeurtenis", "2.0") | {"kenmerk": KENMERK},
            demo_traject,
            module="waarborgfonds",
            versie="2.0",
            antwoord_op=aanvraag.referentienummer,
        )
    )
    ref = gebeurtenis.bericht.referentienummer
    assert "Cliënt zonder naam" in portaal.get(f"/portaal/clienten/{demo_traject}").text
    bekeken = portaal.get(f"/portaal/ontvangen/{ref}").text
    assert f"kenmerk {KENMERK}" in bekeken  # what the message says of the case
    assert f'<a href="/portaal/clienten/{demo_traject}">{KENMERK}</a>' in bekeken
    assert f"<h1>{KENMERK}</h1>" in portaal.get(f"/portaal/clienten/{demo_traject}").text
    # Ontvangen names the case beside the message, also for screen readers, never by number only.
    overzicht = portaal.get("/portaal/ontvangen").text
    rij = overzicht.split(f'value="{ref}"')[1].split("</tr>")[0]
    assert f">{KENMERK}</a>" in rij
    assert f"Gebeurtenis over {KENMERK} van Demo Waarborgfonds" in rij
    assert ref not in rij.split("Bekijken")[1]


# --- 5. hub notices name the client --------------------------------------------------------------


def test_17_5_een_melding_van_het_knooppunt_noemt_de_client(
    portaal: TestClient, demo: object, rt: Runtime
) -> None:
    melding = _eerste(rt, afzender="bewindvoerder", module="bewind", berichttype="melding_bewind")
    with transactie(rt.sessions) as session:
        rij = session.get(Bericht, melding.id)
        assert rij is not None
        mailbox.verloop(session, rij, nu=rij.verloopt_op + timedelta(seconds=1), instellingen=rt.instellingen)
    inloggen(portaal, "bewindvoerder")
    with transactie(rt.sessions) as session:
        label = dossiers.lees(
            session,
            Kluis.uit_instellingen(rt.settings),
            oin_van("bewindvoerder"),
            melding.conversatie_referentienummer,
        )
    assert label is not None and label.klantnummer  # the demo's melding bewind named it (item 4)
    pagina = portaal.get("/portaal/ontvangen").text
    meldingen = pagina.split('id="kop-meldingen"')[1]
    assert "Melding bewind aan Demo Incasso BV van" in meldingen
    assert f"cliënt {html.escape(label.tekst)}" in meldingen


# --- 6. the words of the role and module --------------------------------------------------------


def test_de_kredietbank_schrijft_ook_aan_het_fonds(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "kredietbank")
    lijst = portaal.get("/portaal/clienten").text
    assert '<th scope="col" class="getal">Schuldeisers en fonds</th>' in lijst
    assert "alle schuldeisers en het waarborgfonds" in lijst
    inloggen(portaal, "bewindvoerder")
    assert '<th scope="col" class="getal">Schuldeisers</th>' in portaal.get("/portaal/clienten").text


# --- 7. answers about to expire unseen -----------------------------------------------------------


def test_17_3_onbevestigde_antwoorden_staan_bij_de_client(
    portaal: TestClient, demo: object, rt: Runtime, kluis: Kluis
) -> None:
    """DESIGN §6, art. 17.3: an answer not confirmed in time expires and its content is gone; the
    wijkteam sees beside the client how many wait and until when, not only "1 nieuw"."""
    vraag = _eerste(rt, afzender="wijkteam", module="saldoverzoek", berichttype="saldoverzoek")
    antwoord_payload: dict[str, Any] = voorbeeld("saldoverzoek", "saldoverzoek_antwoord", "2.0")
    verstuurd = _gast(rt, kluis, "incasso").verstuur(
        TeVersturen(
            oin_van("wijkteam"),
            "saldoverzoek_antwoord",
            antwoord_payload,
            vraag.conversatie_referentienummer,
            module="saldoverzoek",
            versie="2.0",
            antwoord_op=vraag.referentienummer,
        )
    )
    antwoord = bericht(rt, verstuurd.bericht.referentienummer)
    inloggen(portaal, "wijkteam")
    lijst = portaal.get("/portaal/clienten").text
    rij = lijst.split(f'href="/portaal/clienten/{vraag.conversatie_referentienummer}"')[1].split("</tr>")[0]
    assert "<strong>1 onbevestigd</strong>" in rij
    assert "bevestigen vóór <time" in rij and tijdstip(antwoord.verloopt_op) in rij
    client = portaal.get(f"/portaal/clienten/{vraag.conversatie_referentienummer}").text
    waarschuwing = client.split('id="onbevestigd"')[1].split("</p>")[0]
    assert "1 ontvangen bericht is nog niet bevestigd" in waarschuwing
    assert f"vóór {tijdstip(antwoord.verloopt_op)}" in waarschuwing
    # The Overzicht points a client role to where that is shown.
    assert 'href="/portaal/clienten">Naar uw cliënten</a>' in portaal.get("/portaal/").text
