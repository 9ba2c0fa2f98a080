"""In a real browser: a beheerder looks through the participants, fills in the aanmeldformulier
(with its errors), opens a participant, and reads the dashboard — every page checked with axe-core
(WCAG 2.1 AA), also at tablet width."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import log_in

ENERGIE = "00000003501234560000"


def test_beheer_paginas_toegankelijk(page: Any, toegankelijk: Any, schermafdruk: Any) -> None:
    log_in(page, "Beheer van het knooppunt", naam="Bea Beheer")
    expect(page.get_by_role("heading", name="Deelnemers")).to_be_visible()
    assert "Demo Energie BV" in page.get_by_role("table").inner_text()
    toegankelijk(page)
    schermafdruk(page, "beheer-deelnemers")

    page.get_by_role("link", name="Demo Energie BV").click()
    expect(page.get_by_role("heading", name="Demo Energie BV")).to_be_visible()
    expect(page.get_by_role("table", name="Certificaten van Demo Energie BV")).to_be_visible()
    toegankelijk(page)
    page.get_by_role("link", name="Intrekken").first.click()
    expect(page.get_by_role("heading", name="Certificaat intrekken")).to_be_visible()
    toegankelijk(page)

    page.goto("/portaal/beheer/deelnemers/nieuw")
    toegankelijk(page)
    page.get_by_label("OIN").fill("123")
    page.get_by_role("button", name="Deelnemer aanmelden").click()
    samenvatting = page.get_by_role("alert")
    assert "fouten in het formulier" in samenvatting.inner_text()
    assert page.get_by_label("OIN").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("OIN").input_value() == "123"
    toegankelijk(page)
    schermafdruk(page, "beheer-aanmelden-fouten")
    samenvatting.get_by_role("link", name="OIN").click()
    assert page.evaluate("location.hash") == "#oin"

    page.goto("/portaal/beheer/dashboard")
    expect(page.get_by_role("img", name="Berichten per week")).to_be_visible()
    expect(page.get_by_role("table", name="Aangeboden berichten per week")).to_be_visible()
    toegankelijk(page)
    schermafdruk(page, "beheer-dashboard")


def test_beheer_op_tabletbreedte(page: Any, toegankelijk: Any) -> None:
    page.set_viewport_size({"width": 768, "height": 1024})
    log_in(page, "Beheer van het knooppunt")
    for pad in ("/portaal/beheer", f"/portaal/beheer/deelnemers/{ENERGIE}", "/portaal/beheer/dashboard"):
        page.goto(pad)
        # Wide tables scroll inside their own region; the page itself does not scroll sideways.
        assert page.evaluate("document.documentElement.scrollWidth") <= 768, pad
        toegankelijk(page)


def test_dashboard_grafieken_leesbaar_op_een_telefoon(page: Any, toegankelijk: Any) -> None:
    """At 360 px a chart keeps its own size — its 13-unit text is 13 px, not the ~6 px of a chart
    shrunk to the screen — and scrolls sideways in its own labelled region; the page does not."""
    page.set_viewport_size({"width": 360, "height": 800})
    log_in(page, "Beheer van het knooppunt")
    page.goto("/portaal/beheer/dashboard")
    expect(page.get_by_role("img", name="Berichten per week")).to_be_visible()
    regio = page.get_by_role("region", name="Grafiek: Berichten per week")
    expect(regio).to_be_visible()
    maten = regio.evaluate(
        """r => { const s = r.querySelector('svg'), t = s.querySelector('text');
                  return {schaal: s.getBoundingClientRect().width / s.viewBox.baseVal.width,
                          letter: parseFloat(getComputedStyle(t).fontSize) * s.getBoundingClientRect().width
                                  / s.viewBox.baseVal.width,
                          scrolt: r.scrollWidth > r.clientWidth}; }"""
    )
    assert maten["schaal"] >= 0.99 and maten["letter"] >= 12, maten
    assert maten["scrolt"], maten
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    toegankelijk(page)


def test_een_deelnemer_ziet_geen_beheer(page: Any) -> None:
    log_in(page, "Demo Energie BV (Schuldeiser)")
    assert page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Dashboard").count() == 0
    page.goto("/portaal/beheer")
    expect(page.get_by_role("heading", name="Geen toegang")).to_be_visible()


def test_aanmelden_wijzigen_en_inloggen_als_nieuwe_deelnemer(page: Any, toegankelijk: Any) -> None:
    """The aanmeldformulier as a beheerder fills it in: a creditor whose keys the portal holds
    (generated with the development CA), then its flags changed, then a colleague of that creditor
    logs in and sees its (empty) mailbox."""
    log_in(page, "Beheer van het knooppunt", naam="Bea Beheer")
    page.goto("/portaal/beheer/deelnemers/nieuw")
    page.get_by_label("Naam", exact=True).fill("Browser Incasso BV")
    page.get_by_label("OIN").fill("00000003509876540000")
    page.get_by_label("KvK-nummer").fill("50987654")
    page.get_by_role("group", name="Rol").get_by_label("Schuldeiser").check()
    page.get_by_role("group", name="Modules").get_by_label("schuldregeling").check()
    page.get_by_role("group", name="Schuldensoorten").get_by_label("overig").check()
    page.get_by_role("group", name="Sleutelbeheer").get_by_label("Portaal", exact=False).first.check()
    page.get_by_label("Genereer certificaat en sleutel met de ontwikkel-CA").check()
    page.get_by_role("button", name="Deelnemer aanmelden").click()
    expect(page.get_by_role("heading", name="Browser Incasso BV")).to_be_visible()
    toegankelijk(page)

    page.get_by_label("Standaard akkoord met betaalvoorstellen (art. 7.1)").check()
    page.get_by_role("button", name="Wijzigingen opslaan").click()
    expect(page.get_by_role("status").first).to_be_visible()
    assert page.get_by_label("Standaard akkoord met betaalvoorstellen (art. 7.1)").is_checked()

    page.get_by_role("button", name="Uitloggen").click()
    log_in(page, "Browser Incasso BV (Schuldeiser)", naam="Collega")
    expect(page.get_by_text("Er zijn geen nieuwe berichten")).to_be_visible()
