"""A debt counsellor's clients (DESIGN §7: "follows answers and deadlines per client"): the list,
one client's timeline per creditor with statuses, deadlines, teLaat and reminders; reading and
confirming a creditor's answer; the client's label, which the portal keeps encrypted."""

from __future__ import annotations

import base64
import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from knooppunt.hub import adresboek, mailbox
from knooppunt.portaal import dossiers
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import ONTWIKKEL_BESTAND, Kluis
from knooppunt.runtime import Runtime
from knooppunt.store import berichten as berichten_store
from knooppunt.store import portaal as portaal_store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Base, Bericht, PortaalDossier
from tests.portaal.conftest import csrf_van, inloggen, oin_van
from tests.portaal.shv import (
    bericht,
    conversatie_van,
    demo_conversatie,
    laatste,
    payload,
    tweede_gemeente,
    verstuur,
)


@pytest.fixture
def gemeente(portaal: TestClient, demo: dict[str, int]) -> TestClient:
    return inloggen(portaal, "gemeente")


def _antwoord(rt: Runtime, wie: str, conversatie: str) -> Bericht:
    return laatste(
        rt,
        afzender=oin_van(wie),
        ontvanger=oin_van("gemeente"),
        berichttype={
            "zorg": "saldoverzoek_antwoord_standaard_akkoord",
            "woning": "klant_onbekend",
        }[wie],
        conversatie=conversatie,
    )


def test_lijst_van_clienten(gemeente: TestClient, rt: Runtime) -> None:
    lijst = gemeente.get("/portaal/clienten")
    assert lijst.status_code == 200
    assert "3 cliënten" in lijst.text
    for nummer in (1, 2, 3):
        assert f'href="/portaal/clienten/{demo_conversatie(rt, nummer)}"' in lijst.text
    # Client 1 has two answers waiting (standaard akkoord, klant onbekend) and two open questions.
    eerste = lijst.text.split(demo_conversatie(rt, 1))[1].split("</tr>")[0]
    assert "<strong>2 onbevestigd</strong>" in eerste
    assert '<td class="getal">4</td>' in eerste  # four creditors


def test_client_per_schuldeiser_met_antwoorden_en_termijnen(
    gemeente: TestClient, rt: Runtime, kluis: Kluis
) -> None:
    conversatie = demo_conversatie(rt)
    # energie confirms its saldoverzoek: the answer deadline starts (2.1).
    vraag = laatste(
        rt,
        afzender=oin_van("gemeente"),
        ontvanger=oin_van("energie"),
        berichttype="saldoverzoek_nuts",
        conversatie=conversatie,
    )
    Gastclient(rt, kluis, oin_van("energie"), wie="test").bevestig([vraag.referentienummer])
    uiterlijk = bericht(rt, vraag.referentienummer).antwoord_uiterlijk
    assert uiterlijk is not None

    pagina = gemeente.get(f"/portaal/clienten/{conversatie}")
    assert pagina.status_code == 200
    tekst = pagina.text
    for naam in ("Demo Energie BV", "Demo Zorgverzekeraar NV", "Demo Belastingen", "Demo Wonen"):
        assert f"<caption>Berichten met {naam}</caption>" in tekst
    assert "beantwoord met Saldoverzoek antwoord – standaard akkoord" in tekst
    assert "beantwoord met Klant onbekend" in tekst
    assert tekst.count("Lezen en bevestigen") == 2
    from knooppunt.portaal.weergave import tijdstip

    energie = tekst.split("<caption>Berichten met Demo Energie BV</caption>")[1].split("</table>")[0]
    assert tijdstip(uiterlijk) in energie
    assert "Te laat" not in energie
    # Confirmed, within its answer term: no reminder offered yet, only when one would make sense.
    assert "Herinnering sturen" not in energie
    assert f"Herinneren kan na {tijdstip(uiterlijk)}, als er dan geen antwoord is" in energie
    # Not even confirmed (Demo Wonen's saldoverzoek of client 1 is answered; Demo Belastingen's is
    # neither confirmed nor answered): no reminder either.
    belasting = tekst.split("<caption>Berichten met Demo Belastingen</caption>")[1].split("</table>")[0]
    assert "Herinnering sturen" not in belasting
    assert "Herinneren kan pas als de antwoordtermijn voorbij is" in belasting
    assert "Herinnering sturen" not in tekst

    # Past the deadline without an answer: teLaat, on both the client and the list (2.1).
    with transactie(rt.sessions) as session:
        session.execute(
            update(Bericht)
            .where(Bericht.referentienummer == vraag.referentienummer)
            .values(antwoord_uiterlijk=db_nu(session) - timedelta(hours=1))
        )
    pagina = gemeente.get(f"/portaal/clienten/{conversatie}")
    energie = pagina.text.split("<caption>Berichten met Demo Energie BV</caption>")[1].split("</table>")[0]
    assert '<span class="status te-laat">Te laat</span>' in energie
    assert "Herinnering sturen" in energie
    assert "1 te laat" in gemeente.get("/portaal/clienten").text


def test_reminders_worden_geteld(gemeente: TestClient, rt: Runtime) -> None:
    conversatie = demo_conversatie(rt, 2)
    for keer in range(2):
        # A second reminder says something else (the same one again the same day is "al verzonden":
        # a resubmitted form sends nothing twice, DESIGN §7).
        tekst = payload("reminder") | {"toelichting": f"Herinnering {keer + 1}: nog geen antwoord."}
        antwoord = verstuur(gemeente, "reminder", ["woning"], tekst, conversatie=conversatie)
        assert antwoord.status_code == 200, antwoord.text
        assert "Al verzonden" not in antwoord.text
    pagina = gemeente.get(f"/portaal/clienten/{conversatie}")
    woning = pagina.text.split("<caption>Berichten met Demo Wonen</caption>")[1].split("</table>")[0]
    assert "herinnering aan Saldoverzoek" in woning
    assert "Reminders: 2" in woning


def test_antwoord_lezen_en_bevestigen(gemeente: TestClient, rt: Runtime, kluis: Kluis) -> None:
    conversatie = demo_conversatie(rt)
    antwoord = _antwoord(rt, "zorg", conversatie)
    nieuw_voor = mailbox_nieuw(rt)

    pagina = gemeente.get(f"/portaal/clienten/{conversatie}/berichten/{antwoord.referentienummer}")
    assert pagina.status_code == 200
    tekst = pagina.text
    assert "<h1>Saldoverzoek antwoord – standaard akkoord</h1>" in tekst
    assert "Demo Zorgverzekeraar NV" in tekst
    assert "€ 1.550,00" in tekst  # actueelBedrag 155000 cents, shown in euros
    assert "€ 1.240,00" in tekst  # hoofdsom
    assert "Team Premie-incasso" in tekst  # the creditor's own contact, not the examples' energy company's
    assert "Na bevestigen verwijdert het knooppunt de inhoud" in tekst
    # Reading one answer fetched that one only: the other new message stays new.
    assert bericht(rt, antwoord.referentienummer).status == "opgehaald"
    assert mailbox_nieuw(rt) == nieuw_voor - 1

    bevestigd = gemeente.post(
        f"/portaal/clienten/{conversatie}/berichten/{antwoord.referentienummer}/bevestig",
        data={"csrf": csrf_van(tekst)},
    )
    assert bevestigd.status_code == 303
    assert (
        bevestigd.headers["location"]
        == f"/portaal/clienten/{conversatie}?bevestigd={antwoord.referentienummer}"
    )
    assert "Het bericht is bevestigd" in gemeente.get(bevestigd.headers["location"]).text
    assert bericht(rt, antwoord.referentienummer).status == "bevestigd"
    # The creditor gets its receipt; the content is gone from the hub.
    zorg = Gastclient(rt, kluis, oin_van("zorg"), wie="test").haal_op(waarvoor="test")
    assert any(
        o.berichttype == "ontvangstbevestiging"
        and (o.melding or {}).get("referentienummer") == antwoord.referentienummer
        for o in zorg
    )
    weg = gemeente.get(f"/portaal/clienten/{conversatie}/berichten/{antwoord.referentienummer}")
    assert "De inhoud is niet meer beschikbaar" in weg.text


def mailbox_nieuw(rt: Runtime) -> int:
    with transactie(rt.sessions) as session:
        return sum(
            berichten_store.nieuw_per_type(session, ontvanger=oin_van("gemeente"), nu=db_nu(session)).values()
        )


def test_melding_van_het_knooppunt_bevestigen(gemeente: TestClient, rt: Runtime) -> None:
    """A creditor refuses a message it cannot read: the SHV sees the hub's GEWEIGERD notice at the
    client and confirms it there."""
    conversatie = demo_conversatie(rt, 3)
    vraag = laatste(
        rt,
        afzender=oin_van("gemeente"),
        ontvanger=oin_van("woning"),
        berichttype="saldoverzoek",
        conversatie=conversatie,
    )
    with transactie(rt.sessions) as session:
        woning = adresboek.haal(session, oin_van("woning"))
        mailbox.weiger(
            session,
            woning,
            vraag.referentienummer,
            "INHOUD_ONGELDIG",
            nu=db_nu(session),
            instellingen=rt.instellingen,
        )
    pagina = gemeente.get(f"/portaal/clienten/{conversatie}")
    woning_deel = pagina.text.split("<caption>Berichten met Demo Wonen</caption>")[1].split("</table>")[0]
    assert "Melding van het knooppunt:" in woning_deel
    assert "is geweigerd" in woning_deel
    # The refused saldoverzoek itself is marked refused (red, as an expired one), with the reason the
    # hub reports, and the notice names it by its handbook name (#14 item 4).
    assert '<span class="status geweigerd verlopen">Geweigerd</span>' in woning_deel
    assert "Reden: de inhoud voldoet niet aan het schema van het berichttype" in woning_deel
    assert "Saldoverzoek aan Demo Wonen is geweigerd: de inhoud voldoet niet" in woning_deel
    assert "(saldoverzoek)" not in woning_deel and "GEWEIGERD" not in woning_deel
    melding = laatste(
        rt,
        afzender="KNOOPPUNT",
        ontvanger=oin_van("gemeente"),
        berichttype="foutbericht",
        conversatie=conversatie,
    )
    bevestigd = gemeente.post(
        f"/portaal/clienten/{conversatie}/berichten/{melding.referentienummer}/bevestig",
        data={"csrf": csrf_van(pagina.text)},
    )
    assert bevestigd.status_code == 303
    assert bericht(rt, melding.referentienummer).status == "bevestigd"


def test_label_wordt_versleuteld_bewaard(
    gemeente: TestClient, rt: Runtime, kluis: Kluis, database_url: str
) -> None:
    """The hub keeps no client names (DESIGN §1.3); the portal's label is AES-GCM ciphertext,
    never plaintext in any table or in the database file."""
    klant = {**payload("kennisgeving")["klant"], "achternaam": "Zwanenburg-Pietersz"}
    antwoord = verstuur(
        gemeente,
        "kennisgeving",
        ["energie"],
        payload("kennisgeving", klantnummerSHV="KLNT-ZW-4711", klant=klant),
    )
    assert antwoord.status_code == 200, antwoord.text
    conversatie = conversatie_van(antwoord.text)
    assert "J. de Zwanenburg-Pietersz · KLNT-ZW-4711" in gemeente.get("/portaal/clienten").text
    assert "KLNT-ZW-4711" in gemeente.get("/portaal/clienten", params={"zoek": "zwanenburg"}).text
    assert "3 cliënten" not in gemeente.get("/portaal/clienten", params={"zoek": "zwanenburg"}).text

    with transactie(rt.sessions) as session:
        rijen = portaal_store.dossiers_van(session, oin_van("gemeente"))
        assert conversatie in [r.conversatie for r in rijen]  # beside the demo clients' labels
        for tabel in Base.metadata.sorted_tables:
            for rij in session.execute(select(tabel)).all():
                tekst = json.dumps([str(w) for w in rij], ensure_ascii=False)
                assert "Zwanenburg" not in tekst and "KLNT-ZW-4711" not in tekst, tabel.name
    if database_url.startswith("sqlite"):
        pad = Path(database_url.removeprefix("sqlite:///"))
        for bestand in pad.parent.glob(pad.name + "*"):
            inhoud = bestand.read_bytes()
            assert b"Zwanenburg" not in inhoud and b"KLNT-ZW-4711" not in inhoud, bestand.name

    # Bound to its participant and conversation (associated data): moved, it does not decrypt.
    andere = demo_conversatie(rt, 2)
    with transactie(rt.sessions) as session:
        (rij,) = portaal_store.dossiers_van(session, oin_van("gemeente"), [conversatie])
        (oud,) = portaal_store.dossiers_van(session, oin_van("gemeente"), [andere])
        session.delete(oud)
        session.flush()
        session.add(
            PortaalDossier(
                oin=rij.oin,
                conversatie=andere,
                hoofdsleutel_id=rij.hoofdsleutel_id,
                nonce=rij.nonce,
                versleuteld=rij.versleuteld,
                aangemaakt_op=rij.aangemaakt_op,
                gewijzigd_op=rij.gewijzigd_op,
            )
        )
    with transactie(rt.sessions) as session:
        assert dossiers.lees(session, kluis, oin_van("gemeente"), andere) == dossiers.ONLEESBAAR
        assert dossiers.lees(session, kluis, oin_van("gemeente"), conversatie) == dossiers.Label(
            "KLNT-ZW-4711", "J. de Zwanenburg-Pietersz"
        )


def test_label_wijzigen(gemeente: TestClient, rt: Runtime) -> None:
    conversatie = demo_conversatie(rt, 2)
    pagina = gemeente.get(f"/portaal/clienten/{conversatie}")
    assert "<h1>M. El Amrani · SHV-2026-0002</h1>" in pagina.text  # the demo's label
    leeg = gemeente.post(
        f"/portaal/clienten/{conversatie}/label",
        data={"csrf": csrf_van(pagina.text), "klantnummer": " ", "naam": ""},
    )
    assert leeg.status_code == 400
    bewaard = gemeente.post(
        f"/portaal/clienten/{conversatie}/label",
        data={"csrf": csrf_van(pagina.text), "klantnummer": "DEMO-0002", "naam": "Mw. de Vries"},
    )
    assert bewaard.status_code == 303
    pagina = gemeente.get(bewaard.headers["location"])
    assert "<h1>Mw. de Vries · DEMO-0002</h1>" in pagina.text
    assert "De naam van de cliënt is bewaard." in pagina.text


def test_vervolgbericht_vanuit_de_client(gemeente: TestClient, rt: Runtime, kluis: Kluis) -> None:
    conversatie = demo_conversatie(rt, 2)
    gemeente.post(
        f"/portaal/clienten/{conversatie}/label",
        data={"csrf": csrf_van(gemeente.get("/portaal/").text), "klantnummer": "DEMO-0002", "naam": "Bakker"},
    )
    pagina = gemeente.get(f"/portaal/clienten/{conversatie}")
    assert f'href="/portaal/opstellen?conversatie={conversatie}"' in pagina.text
    kiezen = gemeente.get("/portaal/opstellen", params={"conversatie": conversatie})
    assert "Schuldeisers in dit traject" in kiezen.text
    assert 'value="reminder"' in kiezen.text  # follow-up types are offered
    vorm = gemeente.get(
        "/portaal/opstellen/inhoud",
        params={"berichttype": "statusbericht", "ontvanger": oin_van("zorg"), "conversatie": conversatie},
    )
    assert 'value="DEMO-0002"' in vorm.text  # klantnummerSHV from the label


def test_een_andere_organisatie_ziet_de_client_niet(
    portaal: TestClient, demo: dict[str, int], rt: Runtime, kluis: Kluis
) -> None:
    conversatie = demo_conversatie(rt)
    antwoord = _antwoord(rt, "zorg", conversatie)
    inloggen(portaal, tweede_gemeente(rt, kluis))
    assert "0 cliënten" in portaal.get("/portaal/clienten").text
    for pad in (
        f"/portaal/clienten/{conversatie}",
        f"/portaal/clienten/{conversatie}/berichten/{antwoord.referentienummer}",
        "/portaal/clienten/niet-een-uuid",
    ):
        gevonden = portaal.get(pad)
        assert gevonden.status_code == 404, pad
        assert "Zorgverzekeraar" not in gevonden.text
    csrf = csrf_van(portaal.get("/portaal/").text)
    bevestig = portaal.post(
        f"/portaal/clienten/{conversatie}/berichten/{antwoord.referentienummer}/bevestig", data={"csrf": csrf}
    )
    assert bevestig.status_code == 404
    assert bericht(rt, antwoord.referentienummer).status == "aangeboden"


def test_een_schuldeiser_ziet_geen_clienten(portaal: TestClient, demo: dict[str, int], rt: Runtime) -> None:
    inloggen(portaal, "zorg")
    for pad in ("/portaal/clienten", f"/portaal/clienten/{demo_conversatie(rt)}"):
        assert portaal.get(pad).status_code == 403


def test_demo_zonder_naam_krijgt_een_label_bij_het_eerste_bericht(gemeente: TestClient, rt: Runtime) -> None:
    conversatie = demo_conversatie(rt, 3)
    with transactie(rt.sessions) as session:  # a client whose label is gone (made before labels)
        for rij in portaal_store.dossiers_van(session, oin_van("gemeente"), [conversatie]):
            session.delete(rij)
    assert "<h1>Cliënt zonder naam</h1>" in gemeente.get(f"/portaal/clienten/{conversatie}").text
    statusbericht = payload("statusbericht", klantnummerSHV="DEMO-0003")
    antwoord = verstuur(gemeente, "statusbericht", ["energie"], statusbericht, conversatie=conversatie)
    assert antwoord.status_code == 200, antwoord.text
    assert "J. de Vries · DEMO-0003" in gemeente.get(f"/portaal/clienten/{conversatie}").text


def test_bevestigen_na_de_termijn_zegt_dat_het_verlopen_is(gemeente: TestClient, rt: Runtime) -> None:
    conversatie = demo_conversatie(rt)
    antwoord = _antwoord(rt, "woning", conversatie)
    pagina = gemeente.get(f"/portaal/clienten/{conversatie}")
    with transactie(rt.sessions) as session:
        session.execute(
            update(Bericht)
            .where(Bericht.referentienummer == antwoord.referentienummer)
            .values(verloopt_op=db_nu(session) - timedelta(minutes=1))
        )
    verlopen = gemeente.post(
        f"/portaal/clienten/{conversatie}/berichten/{antwoord.referentienummer}/bevestig",
        data={"csrf": csrf_van(pagina.text)},
    )
    assert verlopen.status_code == 410
    assert "is verlopen" in verlopen.text and "art. 17.5" in verlopen.text


def test_statusverzoek_staat_bij_de_client(gemeente: TestClient, rt: Runtime, kluis: Kluis) -> None:
    conversatie = demo_conversatie(rt, 2)
    Gastclient(rt, kluis, oin_van("belasting"), wie="test").verstuur(
        TeVersturen(oin_van("gemeente"), "statusverzoek", payload("statusverzoek"), conversatie)
    )
    pagina = gemeente.get(f"/portaal/clienten/{conversatie}")
    belasting = pagina.text.split("<caption>Berichten met Demo Belastingen</caption>")[1].split("</table>")[0]
    assert "Ontvangen:</span>\n        Statusverzoek" in belasting
    assert "Statusbericht sturen" in belasting
    assert "Lezen en bevestigen" in belasting


def test_labels_na_rotatie_van_de_hoofdsleutel(
    gemeente: TestClient, rt: Runtime, kluis: Kluis, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`knooppunt portaal herversleutel` re-encrypts the labels too: after it, the old master key
    can go."""
    conversatie = demo_conversatie(rt, 2)
    with transactie(rt.sessions) as session:
        dossiers.bewaar(
            session,
            kluis,
            oin=oin_van("gemeente"),
            conversatie=conversatie,
            label=dossiers.Label("DEMO-0002", "Bakker"),
            nu=db_nu(session),
        )
    oud = (rt.settings.data_dir / ONTWIKKEL_BESTAND).read_text().strip()
    nieuw = "nieuw-2:" + base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("KNOOPPUNT_PORTAAL_HOOFDSLEUTELS", f"{nieuw},{oud}")
    with transactie(rt.sessions) as session:
        labels = len(list(portaal_store.alle_dossiers(session)))  # the demo's and this one
    uitkomst = cli("portaal", "herversleutel")
    assert uitkomst.exit_code == 0, uitkomst.output
    assert f"{labels} cliëntnaam/-namen opnieuw versleuteld" in uitkomst.output
    with transactie(rt.sessions) as session:
        assert dossiers.lees(
            session, Kluis.uit_tekst(nieuw), oin_van("gemeente"), conversatie
        ) == dossiers.Label("DEMO-0002", "Bakker")


# --- labels encrypted in the browser (the werkplek's Cliënten part, routes.werkplek_clienten) -------

API = "/portaal/sleutels/api"


def _csrf(client: TestClient) -> str:
    pagina = client.get("/portaal/sleutels").text
    start = pagina.index('data-csrf="') + len('data-csrf="')
    return pagina[start : pagina.index('"', start)]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _versleuteld(grootte: int = 64) -> dict[str, str]:
    """What the page sends: a key id, an IV and ciphertext (random bytes: the server cannot tell)."""
    return {
        "sleutel": _b64(os.urandom(32)),
        "iv": _b64(os.urandom(12)),
        "versleuteld": _b64(os.urandom(grootte)),
    }


def _browsersleutels(rt: Runtime, wie: str) -> None:
    """The participant keeps keys in the browser (a user's key blob; its content does not matter here)."""
    from knooppunt.store.models import PortaalSleutelblob

    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        session.add(
            PortaalSleutelblob(
                oin=oin_van(wie), onderwerp="dev:blob", blob="{}", aangemaakt_op=nu, gewijzigd_op=nu
            )
        )


def test_werkplek_lijst_en_versleuteld_label(gemeente: TestClient, rt: Runtime) -> None:
    csrf = _csrf(gemeente)
    conversatie = demo_conversatie(rt)
    r = gemeente.get(f"{API}/clienten", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    gegevens = r.json()
    rij = next(c for c in gegevens["conversaties"] if c["conversatie"] == conversatie)
    assert rij["tegenpartijen"] and all(not t.isdigit() for t in rij["tegenpartijen"])  # names, not OINs
    assert rij["laatste"]["berichttypeNaam"] and rij["laatste"]["ontvangenOp"]
    assert rij["nieuw"] == 2
    assert gegevens["labels"] == {}
    assert gegevens["oudeLabels"] == 3  # the demo's readable labels, to be moved

    label = _versleuteld()
    r = gemeente.put(
        f"{API}/clienten/{conversatie.upper()}/label", json=label, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == 200, r.text
    gegevens = gemeente.get(f"{API}/clienten", headers={"X-CSRF-Token": csrf}).json()
    assert gegevens["labels"] == {conversatie: label}  # exactly what the page sent, nothing added
    assert gegevens["oudeLabels"] == 2  # storing it deleted the readable copy of that conversation
    with transactie(rt.sessions) as session:
        assert portaal_store.dossier(session, oin_van("gemeente"), conversatie) is None

    assert (
        gemeente.delete(f"{API}/clienten/{conversatie}/label", headers={"X-CSRF-Token": csrf}).status_code
        == 200
    )
    assert gemeente.get(f"{API}/clienten", headers={"X-CSRF-Token": csrf}).json()["labels"] == {}


@pytest.mark.parametrize(
    ("lichaam", "status", "tekst"),
    [
        ({**_versleuteld(), "naam": "J. de Vries"}, 400, "precies de velden sleutel, iv en versleuteld"),
        ({"sleutel": _b64(os.urandom(32)), "iv": _b64(os.urandom(12))}, 400, "precies de velden"),
        ({**_versleuteld(), "iv": _b64(os.urandom(16))}, 400, "12 bytes"),
        ({**_versleuteld(), "sleutel": _b64(os.urandom(16))}, 400, "32 bytes"),
        ({**_versleuteld(), "versleuteld": "J. de Vries"}, 400, "geen base64url"),
        ({**_versleuteld(), "versleuteld": 12}, 400, "geen tekst"),
        (_versleuteld(4096), 413, "hoogstens 200 tekens"),
        (_versleuteld(4), 400, "tussen"),
    ],
)
def test_werkplek_label_weigert_wat_niet_versleuteld_is(
    gemeente: TestClient, rt: Runtime, lichaam: dict[str, Any], status: int, tekst: str
) -> None:
    csrf = _csrf(gemeente)
    r = gemeente.put(
        f"{API}/clienten/{demo_conversatie(rt)}/label", json=lichaam, headers={"X-CSRF-Token": csrf}
    )
    assert r.status_code == status, r.text
    assert tekst in r.json()["detail"]
    assert gemeente.get(f"{API}/clienten", headers={"X-CSRF-Token": csrf}).json()["labels"] == {}


def test_werkplek_label_alleen_bij_een_eigen_traject(
    portaal: TestClient, demo: dict[str, int], rt: Runtime
) -> None:
    conversatie = demo_conversatie(rt)
    inloggen(portaal, "gemeente")
    assert (
        portaal.put(f"{API}/clienten/{conversatie}/label", json=_versleuteld()).status_code == 403
    )  # no CSRF
    csrf = _csrf(portaal)
    vreemd = portaal.put(
        f"{API}/clienten/0b8f2c1e-3f4a-4b7c-9d2e-1a2b3c4d5e6f/label",
        json=_versleuteld(),
        headers={"X-CSRF-Token": csrf},
    )
    assert vreemd.status_code == 404 and "geen berichten in dit traject" in vreemd.json()["detail"]
    geen_uuid = portaal.put(f"{API}/clienten/abc/label", json=_versleuteld(), headers={"X-CSRF-Token": csrf})
    assert geen_uuid.status_code == 400 and "geen UUID" in geen_uuid.json()["detail"]
    # The municipality's client is not the creditor's, even though the creditor is in the traject:
    # each organisation labels its own side, and sees only its own labels.
    assert (
        portaal.put(
            f"{API}/clienten/{conversatie}/label", json=_versleuteld(), headers={"X-CSRF-Token": csrf}
        ).status_code
        == 200
    )
    inloggen(portaal, "woning")
    csrf = _csrf(portaal)
    eigen = portaal.get(f"{API}/clienten", headers={"X-CSRF-Token": csrf}).json()
    assert eigen["labels"] == {} and conversatie in [c["conversatie"] for c in eigen["conversaties"]]


def test_oude_namen_overzetten(gemeente: TestClient, rt: Runtime) -> None:
    csrf = _csrf(gemeente)
    oud = gemeente.get(f"{API}/clienten/oude-labels", headers={"X-CSRF-Token": csrf}).json()["labels"]
    assert {label["conversatie"] for label in oud} == {demo_conversatie(rt, n) for n in (1, 2, 3)}
    assert all(label["naam"] or label["klantnummer"] for label in oud)
    for label in oud:  # the page encrypts each and stores it
        r = gemeente.put(
            f"{API}/clienten/{label['conversatie']}/label",
            json=_versleuteld(),
            headers={"X-CSRF-Token": csrf},
        )
        assert r.status_code == 200
    assert gemeente.get(f"{API}/clienten", headers={"X-CSRF-Token": csrf}).json()["oudeLabels"] == 0
    assert gemeente.get(f"{API}/clienten/oude-labels", headers={"X-CSRF-Token": csrf}).json()["labels"] == []
    with transactie(rt.sessions) as session:
        assert portaal_store.dossiers_van(session, oin_van("gemeente")) == []


def test_met_browsersleutels_toont_het_portaal_geen_namen(
    gemeente: TestClient, rt: Runtime, kluis: Kluis
) -> None:
    conversatie = demo_conversatie(rt)
    with transactie(rt.sessions) as session:
        naam = dossiers.lees(session, kluis, oin_van("gemeente"), conversatie)
    assert naam is not None and naam.naam
    _browsersleutels(rt, "gemeente")

    lijst = gemeente.get("/portaal/clienten").text
    assert naam.naam not in lijst and f"Traject {conversatie[:8]}" in lijst
    assert 'href="/portaal/sleutels"' in lijst
    client = gemeente.get(f"/portaal/clienten/{conversatie}").text
    assert naam.naam not in client and f"<h1>Traject {conversatie[:8]}</h1>" in client
    assert 'action="/portaal/clienten/' not in client  # no form that would send a name to the server
    assert naam.naam not in gemeente.get("/portaal/verzonden").text
    # Search by the traject's reference only.
    gezocht = gemeente.get("/portaal/clienten", params={"zoek": conversatie[:8]}).text
    assert "1 cliënt" in gezocht and conversatie in gezocht

    weigering = gemeente.post(
        f"/portaal/clienten/{conversatie}/label",
        data={"csrf": csrf_van(gemeente.get(f"/portaal/clienten/{conversatie}").text), "naam": "J. Jansen"},
    )
    assert weigering.status_code == 409 and "werkplek" in weigering.text
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        bewaard = dossiers.bewaar(
            session,
            kluis,
            oin=oin_van("gemeente"),
            conversatie=conversatie,
            label=dossiers.maak_label("K", "N"),
            nu=nu,
        )
        assert bewaard is False
        # The old readable ones wait to be moved on the werkplek, which still gets them.
        assert len(dossiers.oude_labels(session, kluis, oin_van("gemeente"))) == 3
