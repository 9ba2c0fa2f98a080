"""In a real browser: a newcomer opens the portal, logs in with the development login as a demo
creditor or debt counsellor, sees the new-messages indicator (art. 16.1), and logs out."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Portaalserver, log_in


def test_opening_the_hub_in_a_browser_leads_to_the_login(
    page: Any, toegankelijk: Any, schermafdruk: Any
) -> None:
    page.goto("/")
    page.wait_for_url("**/portaal/inloggen**")
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    expect(page.get_by_role("heading", name="Ontwikkel-login")).to_be_visible()
    toegankelijk(page)
    schermafdruk(page, "inloggen")


def test_16_1_creditor_sees_new_messages_at_once(page: Any, toegankelijk: Any, schermafdruk: Any) -> None:
    log_in(page, "Demo Energie BV (Schuldeiser)", naam="Els Jansen")
    expect(page.get_by_role("heading", name="Overzicht")).to_be_visible()
    expect(page.get_by_text("Els Jansen · Demo Energie BV (Schuldeiser)")).to_be_visible()
    indicator = page.get_by_role("status").first
    assert "nieuwe berichten" in indicator.inner_text()
    tabel = page.get_by_role("table", name="Nieuwe berichten per soort")
    assert "Saldoverzoek nuts" in tabel.inner_text()
    # The count is in the menu on every page too.
    assert page.locator("nav .teller").inner_text().strip().isdigit()
    toegankelijk(page)
    schermafdruk(page, "overzicht-schuldeiser")


def test_debt_counsellor_menu(page: Any) -> None:
    log_in(page, "Gemeente Demodorp (Schuldhulpverlener)")
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    for naam in ("Overzicht", "Ontvangen", "Nieuw bericht", "Cliënten", "Verzonden", "Notificaties"):
        assert menu.get_by_role("link", name=naam).count() >= 1
    assert menu.get_by_role("link", name="Antwoorden uploaden").count() == 0


def test_logout_ends_the_session(page: Any) -> None:
    log_in(page, "Demo Zorgverzekeraar NV (Schuldeiser)")
    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("heading", name="U bent uitgelogd")).to_be_visible()
    page.goto("/portaal/")
    page.wait_for_url("**/portaal/inloggen**")


def test_keyboard_only_login(page: Any) -> None:
    """Everything can be reached with the keyboard: skip link first, then the form in order."""
    page.goto("/portaal/inloggen")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Naar de inhoud"
    page.get_by_label("Organisatie").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "naam"
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/portaal/")


def test_tablet_width_has_no_horizontal_scrolling(browser: Any, portaalserver: Portaalserver) -> None:
    ctx = browser.new_context(
        base_url=portaalserver.url, ignore_https_errors=True, viewport={"width": 768, "height": 1024}
    )
    try:
        page = ctx.new_page()
        log_in(page, "Demo Energie BV (Schuldeiser)")
        breedte = page.evaluate("document.documentElement.scrollWidth")
        assert breedte <= 768
    finally:
        ctx.close()
