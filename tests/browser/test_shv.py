"""In a real browser: a debt counsellor composes and sends, fixes a form error, adds a row without
JavaScript, follows a client, reads and confirms an answer, looks at sent messages and sets up
notifications — every page checked with axe-core (WCAG 2.1 AA) and at tablet width."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Portaalserver, log_in

GEMEENTE = "Gemeente Demodorp (Schuldhulpverlener)"


def _geen_horizontaal_scrollen(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_kennisgeving_opstellen_verbeteren_en_versturen(
    page: Any, toegankelijk: Any, schermafdruk: Any
) -> None:
    log_in(page, GEMEENTE, naam="Anna Jansen")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Nieuw bericht").click()
    page.get_by_label("Zoek een schuldeiser").fill("demo")
    page.get_by_label("Zoek een schuldeiser").press("Enter")  # Enter searches
    expect(page.get_by_text("5 schuldeisers gevonden")).to_be_visible()
    toegankelijk(page)
    page.get_by_label("Klant gemeld voor SHV (art. 3.1)").check()
    page.get_by_label("Demo Energie BV").check()
    page.get_by_role("button", name="Verder: inhoud invullen").click()
    page.wait_for_url("**/opstellen/inhoud?**")
    expect(page.get_by_text("geen melding in de VerwijsIndex Schuldhulpverlening")).to_be_visible()
    toegankelijk(page)

    page.get_by_label("Klantnummer SHV").fill("SHV-BROWSER-1")
    page.get_by_label("Voorletters").first.fill("K.")
    page.get_by_label("Postcode").fill("99")
    page.get_by_label("Postcode").press("Enter")  # Enter checks the form, it never sends
    samenvatting = page.get_by_role("alert")
    assert "fouten in het formulier" in samenvatting.inner_text()
    assert page.get_by_label("Klantnummer SHV").input_value() == "SHV-BROWSER-1"
    assert page.get_by_label("Postcode").get_attribute("aria-invalid") == "true"
    toegankelijk(page)
    schermafdruk(page, "opstellen-fouten")
    # The summary's links lead to the fields.
    samenvatting.get_by_role("link", name="Cliënt – Achternaam: is verplicht; vul het in").click()
    assert page.evaluate("document.activeElement.id") == "v-klant-achternaam"

    page.get_by_label("Achternaam").first.fill("Bosman")
    page.get_by_label("Geboortedatum").first.fill("1979-05-06")
    page.get_by_label("Straatnaam").fill("Dorpsstraat")
    page.get_by_label("Huisnummer", exact=True).fill("4")
    page.get_by_label("Postcode").fill("1234ab")
    page.get_by_label("Woonplaats").fill("Demodorp")
    # "E-mailadres (of telefoonnummer)", not "Telefoonnummer (of e-mailadres)"
    page.get_by_label(re.compile(r"^E-mailadres")).fill("anna@demodorp.example.nl")
    page.get_by_role("button", name="Versturen", exact=True).click()
    # Sealing and sending take a moment on a busy machine: wait for the answer page, then look.
    kop = page.get_by_role("heading", name="Verzonden: Klant gemeld voor SHV")
    kop.wait_for(timeout=30_000)
    expect(kop).to_be_visible()
    expect(page.get_by_text("1 van 1 bericht verzonden")).to_be_visible()
    toegankelijk(page)

    page.get_by_role("link", name="Naar de cliënt").click()
    expect(page.get_by_role("heading", name="K. Bosman · SHV-BROWSER-1")).to_be_visible()
    toegankelijk(page)


def test_regel_toevoegen_zonder_javascript(browser: Any, portaalserver: Portaalserver) -> None:
    ctx = browser.new_context(base_url=portaalserver.url, ignore_https_errors=True, java_script_enabled=False)
    try:
        page = ctx.new_page()
        log_in(page, GEMEENTE)
        page.goto("/portaal/opstellen?berichttype=saldoverzoek&ontvanger=00000003504567890000&actie=verder")
        assert page.locator("#v-vorderingen-3-factuurnummerSEVolgensSHV").count() == 0
        page.locator("#v-vorderingen-0-factuurnummerSEVolgensSHV").fill("F-1")
        page.get_by_role("button", name="Regel toevoegen aan vorderingen").click()
        assert page.locator("#v-vorderingen-3-factuurnummerSEVolgensSHV").count() == 1
        assert page.locator("#v-vorderingen-0-factuurnummerSEVolgensSHV").input_value() == "F-1"
    finally:
        ctx.close()


def test_client_volgen_antwoord_lezen_en_bevestigen(page: Any, toegankelijk: Any, schermafdruk: Any) -> None:
    log_in(page, GEMEENTE)
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Cliënten").click()
    toegankelijk(page)
    # The demo's first client is the oldest: the last row.
    page.get_by_role("table").get_by_role("link").last.click()
    expect(page.get_by_role("table", name="Berichten met Demo Zorgverzekeraar NV")).to_be_visible()
    toegankelijk(page)
    schermafdruk(page, "client")
    page.get_by_role("link", name="Lezen en bevestigen (Saldoverzoek antwoord – standaard akkoord").click()
    expect(page.get_by_role("heading", name="Saldoverzoek antwoord – standaard akkoord")).to_be_visible()
    expect(page.get_by_text("€ 1.550,00")).to_be_visible()
    toegankelijk(page)
    schermafdruk(page, "antwoord-lezen")
    page.get_by_role("button", name="Bevestig").click()
    expect(page.get_by_role("status").filter(has_text="Het bericht is bevestigd")).to_be_visible()


def test_verzonden_en_meldingen(page: Any, toegankelijk: Any, schermafdruk: Any) -> None:
    log_in(page, GEMEENTE)
    page.goto("/portaal/verzonden")
    expect(page.get_by_role("table", name="Verzonden berichten")).to_be_visible()
    toegankelijk(page)
    schermafdruk(page, "verzonden")
    page.get_by_label("Traject (conversatieReferentienummer)").fill("geen-uuid")
    page.get_by_role("button", name="Filteren").click()
    assert page.get_by_label("Traject (conversatieReferentienummer)").get_attribute("aria-invalid") == "true"
    toegankelijk(page)

    page.goto("/portaal/instellingen")
    page.get_by_label("Direct").check()
    page.get_by_role("button", name="Instellingen bewaren").click()
    assert "e-mailadres of een webhook nodig" in page.get_by_role("alert").inner_text()
    toegankelijk(page)
    page.get_by_label("E-mailadressen").fill("schuldhulp@demodorp.example.nl")
    page.get_by_role("button", name="Instellingen bewaren").click()
    expect(page.get_by_text("Uw instellingen zijn bewaard.")).to_be_visible()
    toegankelijk(page)
    schermafdruk(page, "meldingen")


def test_tabletbreedte(browser: Any, portaalserver: Portaalserver) -> None:
    ctx = browser.new_context(
        base_url=portaalserver.url, ignore_https_errors=True, viewport={"width": 768, "height": 1024}
    )
    try:
        page = ctx.new_page()
        log_in(page, GEMEENTE)
        for pad in (
            "/portaal/opstellen?zoek=demo",
            "/portaal/clienten",
            "/portaal/verzonden",
            "/portaal/instellingen",
        ):
            page.goto(pad)
            _geen_horizontaal_scrollen(page)
        page.goto("/portaal/clienten")
        page.get_by_role("table").get_by_role("link").last.click()
        _geen_horizontaal_scrollen(page)
        page.goto("/portaal/opstellen/inhoud?berichttype=betaalvoorstel&ontvanger=00000003501234560000")
        _geen_horizontaal_scrollen(page)
    finally:
        ctx.close()
