"""In a real browser: a creditor downloads its messages as a zip, confirms the download (art.
17.1–17.3), reads one message, and uploads answers — first with a mistake, then right (art. 18).
Every page passes axe-core (WCAG 2.1 AA) and fits a tablet (768 px)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Portaalserver, log_in


def _download_alle(page: Any, tmp_path: Path) -> zipfile.ZipFile:
    with page.expect_download() as download:
        page.get_by_role("button", name="Download alle").click()
    pad = tmp_path / download.value.suggested_filename
    download.value.save_as(pad)
    assert pad.name.startswith("knooppunt-") and pad.name.endswith("-berichten.zip")
    return zipfile.ZipFile(pad)


def test_17_download_confirm_and_read_a_message(
    page: Any, toegankelijk: Any, schermafdruk: Any, tmp_path: Path
) -> None:
    log_in(page, "Demo Energie BV (Schuldeiser)")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Ontvangen").click()
    expect(page.get_by_role("heading", name="Ontvangen berichten")).to_be_visible()
    tabel = page.get_by_role("table", name="Onbevestigde berichten, oudste eerst")
    assert "Bevestigen vóór" in tabel.inner_text()
    toegankelijk(page)
    schermafdruk(page, "ontvangen-schuldeiser")

    zip_ = _download_alle(page, tmp_path)
    assert {"kennisgevingen.csv", "saldoverzoeken.csv", "LEESMIJ.txt"} <= set(zip_.namelist())

    page.get_by_role("link", name="Bekijken").first.click()
    expect(page.get_by_role("table", name="Inhoud")).to_be_visible()
    toegankelijk(page)

    page.goto("/portaal/ontvangen")
    assert page.get_by_text("Opgehaald", exact=True).count() >= 1  # 17.4: downloaded or viewed, not confirmed
    page.get_by_role("button", name="Bevestig alle gedownloade").click()
    expect(page.get_by_role("heading", name="Download bevestigd")).to_be_visible()
    assert "antwoordtermijn van 5 werkdagen" in page.get_by_role("status").first.inner_text()
    toegankelijk(page)


def test_18_upload_with_a_mistake_then_right(
    page: Any, toegankelijk: Any, schermafdruk: Any, tmp_path: Path
) -> None:
    log_in(page, "Demo Wonen (Schuldeiser)")
    page.goto("/portaal/ontvangen")
    zip_ = _download_alle(page, tmp_path)
    tekst = zip_.read("saldoverzoeken.csv").decode("utf-8-sig")
    rijen = list(csv.DictReader(io.StringIO(tekst, newline=""), delimiter=";"))
    kop = list(rijen[0])

    def bestand(bedrag: str) -> bytes:
        ingevuld = [
            {
                **rij,
                "antwoord.saldoverzoek": "saldo",
                "antwoord.klantnummerSE": "W-1",
                "antwoord.contactpersoonSE.naam": "Incasso",
                "antwoord.contactpersoonSE.email": "incasso@wonen.example.nl",
                "antwoord.peildatum": "2024-03-01",
                "antwoord.totaal.actueelBedrag": bedrag,
            }
            for rij in rijen
        ]
        buffer = io.StringIO(newline="")
        schrijver = csv.DictWriter(buffer, kop, delimiter=";", lineterminator="\r\n")
        schrijver.writeheader()
        schrijver.writerows(ingevuld)
        return buffer.getvalue().encode("utf-8-sig")

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Antwoorden uploaden").click()
    toegankelijk(page)
    fout = tmp_path / "saldoverzoeken.csv"
    fout.write_bytes(bestand("1.250,00"))
    page.get_by_label("Bestanden (.csv)").set_input_files(str(fout))
    page.get_by_role("button", name="Controleren en versturen").click()
    expect(page.get_by_role("heading", name="Upload niet verwerkt")).to_be_visible()
    samenvatting = page.get_by_role("alert")
    assert "Er is niets verstuurd" in samenvatting.inner_text()
    fouten = page.get_by_role("table", name="Alle fouten per bestand, rij en kolom")
    assert "antwoord.totaal.actueelBedrag" in fouten.inner_text() and "hele eurocenten" in fouten.inner_text()
    assert page.get_by_label("Bestanden (.csv)").get_attribute("aria-invalid") == "true"
    toegankelijk(page)
    schermafdruk(page, "upload-fouten")

    goed = tmp_path / "saldoverzoeken-goed.csv"
    goed.write_bytes(bestand("125000"))
    page.get_by_label("Bestanden (.csv)").set_input_files(str(goed))
    page.get_by_role("button", name="Controleren en versturen").click()
    expect(page.get_by_role("heading", name="Antwoorden verstuurd")).to_be_visible()
    # The downloaded questions were not confirmed yet: the answers confirmed them, and the page says so.
    bevestigd = page.get_by_role("table", name="Bevestigd met deze upload").inner_text()
    assert bevestigd.count("Gemeente Demodorp") == len(rijen)
    assert (
        page.get_by_role("table", name="Verstuurd per soort bericht")
        .inner_text()
        .count("Saldoverzoek antwoord")
    )
    toegankelijk(page)

    # the same file again (a re-upload): nothing is sent twice, every row is shown as already sent
    page.get_by_role("link", name="Nog een upload").click()
    page.get_by_label("Bestanden (.csv)").set_input_files(str(goed))
    page.get_by_role("button", name="Controleren en versturen").click()
    expect(page.get_by_role("heading", name="Alles was al verzonden")).to_be_visible()
    assert "Er is niets verstuurd" in page.get_by_role("status").inner_text()
    al = page.get_by_role("table", name="Al verzonden (overgeslagen)").inner_text()
    assert al.count("al verzonden op") == len(rijen)
    toegankelijk(page)
    schermafdruk(page, "upload-al-verzonden")


def test_received_messages_fit_a_tablet(
    browser: Any, portaalserver: Portaalserver, toegankelijk: Any
) -> None:
    ctx = browser.new_context(
        base_url=portaalserver.url,
        ignore_https_errors=True,
        viewport={"width": 768, "height": 1024},
        bypass_csp=True,
    )
    try:
        page = ctx.new_page()
        log_in(page, "Demo Belastingen (Schuldeiser)")
        for pad in ("/portaal/ontvangen", "/portaal/upload"):
            page.goto(pad)
            assert page.evaluate("document.documentElement.scrollWidth") <= 768, pad
        toegankelijk(page)
    finally:
        ctx.close()
