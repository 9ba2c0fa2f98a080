"""In a real browser, every module (DESIGN §7 "every module"): a creditor downloads and answers the
messages of each module it receives in (one round per module), and each kind of sender composes in
its modules — a fase-1 wijkteam, a municipality, a kredietbank to the guarantee fund, a
bewindvoerder. Rows and forms are filled from each module's examples (``voorbeeld``), so the tests
hold for whatever the payload models are. Every page passes axe-core (WCAG 2.1 AA)."""

from __future__ import annotations

import base64
import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from knooppunt.portaal import csvindeling, export
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from tests.browser.conftest import log_in
from tests.portaal.shv import velden

INCASSO = "Demo Incasso BV (Schuldeiser)"


def _download_alle(page: Any, tmp_path: Path) -> zipfile.ZipFile:
    with page.expect_download() as download:
        page.get_by_role("button", name="Download alle").click()
    pad = tmp_path / download.value.suggested_filename
    download.value.save_as(pad)
    return zipfile.ZipFile(pad)


def _rijen(zip_: zipfile.ZipFile, naam: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(zip_.read(naam).decode("utf-8-sig"), newline=""), delimiter=";"))


def _beantwoord(rij: dict[str, str]) -> dict[str, str]:
    """The row with the question's first answer, its cells from that answer's example."""
    module, versie = rij["module"], rij["versie"]
    antwoord = csvindeling.antwoordtypen(module, versie, rij["berichttype"])[0]
    uit = dict(rij, **{csvindeling.ANTWOORDSOORT: antwoord.naam})
    for kolom, waarde in export.plat(voorbeeld(module, antwoord.code, versie)).items():
        if not kolom.endswith("#") and not export.is_pdf(waarde):
            uit[csvindeling.ANTWOORD + kolom] = export.cel(waarde)
    return uit


def _als_csv(rijen: list[dict[str, str]]) -> bytes:
    kop: list[str] = []
    for rij in rijen:
        kop += [k for k in rij if k not in kop]
    buffer = io.StringIO(newline="")
    schrijver = csv.DictWriter(buffer, kop, delimiter=";", lineterminator="\r\n", restval="")
    schrijver.writeheader()
    schrijver.writerows(rijen)
    return buffer.getvalue().encode("utf-8-sig")


@pytest.mark.parametrize(
    "module", ["schuldregeling", "saldoverzoek", "betalingsregeling", "bewind", "pauzeknop"]
)
def test_download_and_answer_per_module(
    page: Any, toegankelijk: Any, schermafdruk: Any, tmp_path: Path, module: str
) -> None:
    log_in(page, INCASSO)
    page.goto("/portaal/ontvangen")
    zip_ = _download_alle(page, tmp_path)
    bestanden = [n for n in zip_.namelist() if n.startswith(f"{module}-") and n.endswith(".csv")]
    te_uploaden = []
    for naam in bestanden:
        rijen = _rijen(zip_, naam)
        if csvindeling.ANTWOORDSOORT in rijen[0]:
            pad = tmp_path / naam.rsplit("/", 1)[-1]
            pad.write_bytes(_als_csv([_beantwoord(r) for r in rijen]))
            te_uploaden.append(str(pad))
    assert te_uploaden, f"no {module} question in the download"

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Antwoorden uploaden").click()
    expect(page.get_by_role("heading", name="Per module")).to_be_visible()
    toegankelijk(page)
    if module == "bewind":
        schermafdruk(page, "upload-per-module")
    page.get_by_label("Bestanden (.csv)").set_input_files(te_uploaden)
    page.get_by_role("button", name="Controleren en versturen").click()
    expect(page.get_by_role("heading", name="Antwoorden verstuurd")).to_be_visible(timeout=30_000)
    toegankelijk(page)
    schermafdruk(page, f"upload-{module}")


# (organisation as the login lists it, module, type as the page names it, recipient)
OPSTELLEN = (
    ("Wijkteam Demostad (Schuldhulpverlener)", "saldoverzoek", "saldoverzoek", "Demo Incasso BV"),
    ("Wijkteam Demostad (Schuldhulpverlener)", "pauzeknop", "kennisgeving", "Demo Incasso BV"),
    ("Gemeente Demodorp (Schuldhulpverlener)", "betalingsregeling", "saldoverzoek", "Demo Incasso BV"),
    ("Demo Kredietbank (Schuldhulpverlener)", "waarborgfonds", "aanvraag_borgstelling", "Demo Waarborgfonds"),
    ("Demo Bewind BV (Bewindvoerder)", "bewind", "melding_bewind", "Demo Incasso BV"),
    ("Demo Bewind BV (Bewindvoerder)", "saldoverzoek", "saldoverzoek", "Demo Incasso BV"),
)


@pytest.mark.parametrize(("organisatie", "module", "code", "ontvanger"), OPSTELLEN)
def test_compose_per_module(
    page: Any, toegankelijk: Any, schermafdruk: Any, organisatie: str, module: str, code: str, ontvanger: str
) -> None:
    log_in(page, organisatie)
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Nieuw bericht").click()
    page.goto(f"/portaal/opstellen?module={module}")
    zoek = page.locator("#zoek")
    zoek.fill(ontvanger)
    zoek.press("Enter")
    page.get_by_label(ontvanger, exact=True).check()
    page.locator(f'input[name="berichttype"][value="{code}"]').check()
    toegankelijk(page)
    page.get_by_role("button", name="Verder: inhoud invullen").click()
    page.wait_for_url("**/opstellen/inhoud?**")
    expect(page.get_by_text("versie 2.0")).to_be_visible()
    payload = voorbeeld(module, code)
    if "Bewindvoerder" in organisatie and module == "saldoverzoek":
        # DESIGN §3b: a bewindvoerder asks on the beschikking, sent along as a PDF (the form checks it).
        payload["grondslag"] = "beschikking"
        payload["grondslagDocument"] = voorbeeld("bewind", "melding_bewind")["beschikking"]["document"]
    for naam, waarde in velden(payload).items():
        veld = page.locator(f'[name="{naam}"]')
        if veld.count() == 0:
            continue
        if veld.evaluate("e => e.tagName") == "SELECT":
            veld.select_option(waarde)
        elif veld.get_attribute("type") == "hidden":
            if page.locator(f'[name="bestand.{naam.removeprefix("p.")}"]').count() == 0:
                continue  # a document's name and media type: the portal fills them from the file
            # a document (PDF): uploaded as a file, the portal puts it in the payload as base64
            bestand = {
                "name": "document.pdf",
                "mimeType": "application/pdf",
                "buffer": base64.b64decode(waarde),
            }
            page.locator(f'[name="bestand.{naam.removeprefix("p.")}"]').set_input_files(bestand)
        else:
            veld.fill(waarde)
    toegankelijk(page)
    schermafdruk(page, f"opstellen-{module}-{code}")
    page.get_by_role("button", name="Versturen", exact=True).click()
    kop = page.get_by_role("heading", name="Verzonden:")
    kop.wait_for(timeout=30_000)
    toegankelijk(page)
