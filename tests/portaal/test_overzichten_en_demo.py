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
