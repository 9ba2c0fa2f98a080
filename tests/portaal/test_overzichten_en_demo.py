"""What the testers found in the overviews, the demo and the download's LEESMIJ: one name per
message type on every page (DESIGN §7 "labels from the handbook"), a demo that follows the module
rules (DESIGN §3b), and a LEESMIJ that explains only the files in its zip."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from knooppunt.portaal.gastclient import Gastclient
from knooppunt.portaal.kluis import Kluis
from knooppunt.runtime import Runtime
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.test_ontvangen import download


def _rijen(html: str, caption: str) -> list[str]:
    """The first cells of a table's rows, as text."""
    tabel = html.split(caption, 1)[1].split("</table>", 1)[0]
    cellen = re.findall(r"<tr><td>(.*?)</td>", tabel, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", c).split()) for c in cellen]


def test_overzicht_noemt_elk_bericht_zoals_ontvangen_het_noemt(portaal: TestClient, demo: object) -> None:
    """DESIGN §7 "labels from the handbook, never internal codes" and STYLE "one name per thing": the
    start page counts a type under the name it has in its own module and version — the name
    /portaal/ontvangen gives the same messages — not the 1.0 name of the code over every module."""
    inloggen(portaal, "incasso")
    overzicht = portaal.get("/portaal/")
    assert overzicht.status_code == 200
    rijen = _rijen(overzicht.text, "Nieuwe berichten per soort")
    assert not any("Klant gemeld voor SHV" in r for r in rijen), rijen
    assert "Kennisgeving" in rijen  # schuldregeling 2.0
    assert "Kennisgeving (pauze) (Landelijke pauzeknop)" in rijen
    ontvangen = portaal.get("/portaal/ontvangen").text
    namen = {
        " ".join(re.sub(r"<[^>]+>", "", n).split())
        for n in re.findall(r'class="gewoon">(.*?)</label>', ontvangen, flags=re.S)
    }
    assert set(rijen) == namen


def test_demo_bewindvoerder_vraagt_saldo_op_grond_van_de_beschikking(
    demo: object, rt: Runtime, kluis: Kluis
) -> None:
    """DESIGN §3b: "a bewindvoerder [must send] the beschikking" — the demo's saldoverzoek from Demo
    Bewind BV carries grondslag beschikking with the document, and opens at the creditor without a
    fault (the recipient checks the grondslag against the sender's role too)."""
    incasso = Gastclient(rt, kluis, oin_van("incasso"), wie="test")
    ontvangen = incasso.haal_op(waarvoor="test")
    assert ontvangen and all(o.fout is None for o in ontvangen), [o.foutdetail for o in ontvangen if o.fout]
    [van_bw] = [
        o for o in ontvangen if o.afzender == oin_van("bewindvoerder") and o.berichttype == "saldoverzoek"
    ]
    assert van_bw.payload is not None
    assert van_bw.payload["grondslag"] == "beschikking"
    assert van_bw.payload["grondslagDocument"]["mediatype"] == "application/pdf"


def test_leesmij_van_het_waarborgfonds_legt_alleen_zijn_eigen_bestanden_uit(
    portaal: TestClient, demo: object
) -> None:
    """DESIGN §7 (a zip per download with its CSVs): the fund never gets saldoverzoeken,
    betaalvoorstellen or kennisgevingen, so its LEESMIJ does not explain them; a creditor's does."""
    inloggen(portaal, "fonds")
    zip_ = download(portaal)
    csvs = [n for n in zip_.namelist() if n.endswith(".csv")]
    assert csvs and all(n.startswith("waarborgfonds-2.0/") for n in csvs), csvs
    leesmij = zip_.read("LEESMIJ.txt").decode("utf-8-sig")
    for vreemd in ("saldoverzoeken.csv", "betaalvoorstellen.csv", "kennisgevingen", "Saldoverzoeken en"):
        assert vreemd not in leesmij, vreemd
    assert "<module>-<versie>/" in leesmij and "ANTWOORDEN UPLOADEN" in leesmij
    inloggen(portaal, "energie")
    leesmij = download(portaal).read("LEESMIJ.txt").decode("utf-8-sig")
    assert "saldoverzoeken.csv: vul per rij" in leesmij and "kennisgevingen.csv" in leesmij
    assert "betaalvoorstellen.csv:" not in leesmij and "<module>-<versie>/" not in leesmij


def _berichten(rt: Runtime) -> dict[str, tuple[int, int]]:
    """Per recipient OIN: how many messages the hub holds for it, in how many conversations."""
    from sqlalchemy import distinct, func, select

    from knooppunt.store.db import transactie
    from knooppunt.store.models import Bericht

    with transactie(rt.sessions) as session:
        rijen = session.execute(
            select(
                Bericht.ontvanger, func.count(), func.count(distinct(Bericht.conversatie_referentienummer))
            ).group_by(Bericht.ontvanger)
        ).all()
    return {str(ontvanger): (int(aantal), int(trajecten)) for ontvanger, aantal, trajecten in rijen}


def test_de_demo_opnieuw_laden_verstuurt_niets_dubbel(
    demo: dict[str, int], rt: Runtime, kluis: Kluis
) -> None:
    """Loading the hosted demo again (`knooppunt portaal demo`, "Demogegevens laden") sends nothing
    twice, as the browser demo: every message has a fixed number, so Demo Wonen keeps its messages
    in as many trajecten as before."""
    from knooppunt.portaal.demo import laad_demo

    voor = _berichten(rt)
    assert voor[oin_van("woning")] == (6, 3)  # a kennisgeving and a saldoverzoek per client
    assert demo["berichten"] > 0 and demo["al_verstuurd"] == 0
    opnieuw = laad_demo(rt, kluis)
    assert opnieuw == {"deelnemers": 0, "berichten": 0, "al_verstuurd": demo["berichten"]}
    assert _berichten(rt) == voor


def test_een_demoschuldeiser_antwoordt_met_zijn_eigen_gegevens(
    demo: object, rt: Runtime, kluis: Kluis
) -> None:
    """The hosted demo's creditors answer with their own klantnummer, contact and IBAN, and the
    municipality's questions name each creditor's own number (not the examples' energy company)."""
    gemeente = Gastclient(rt, kluis, oin_van("gemeente"), wie="test")
    [antwoord] = [o for o in gemeente.haal_op(waarvoor="test") if o.afzender == oin_van("zorg")]
    assert antwoord.payload is not None
    assert antwoord.payload["klantnummerSE"].startswith("DZ-")
    assert antwoord.payload["contactpersoonSE"]["email"] == "premie-incasso@demo-zorg.example.nl"
    assert antwoord.payload["betaalgegevens"]["betalingskenmerk"] == antwoord.payload["klantnummerSE"]
    belasting = Gastclient(rt, kluis, oin_van("belasting"), wie="test")
    vragen = [o for o in belasting.haal_op(waarvoor="test") if o.payload is not None]
    assert vragen and all(o.payload["klantnummerSEVolgensSHV"].startswith("DB-") for o in vragen)
