"""In a real browser: the look of a Dutch government service (DESIGN §7). The main pages on a phone
(360 × 740): no horizontal scrolling, the main menu collapsed behind a "Menu" button that opens it
(by touch and by keyboard, no script: a <details> disclosure), axe-core clean; the header with the
beeldmerk and the organisation responsible; the footer's pages; a visible focus and the skip link;
and the API's interactive docs rendering with nothing fetched from anywhere but the hub.

With KNOOPPUNT_SCREENSHOTS=1 the phone-sized pages are saved as docs/screenshots/*-360.png (the
first page of each user also with the menu open, *-menu-360.png)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Portaalserver, log_in

TELEFOON = {"width": 360, "height": 740}
# (who logs in, the pages, the screenshot name of each); None: not logged in.
HOOFDPAGINAS: list[tuple[str | None, list[tuple[str, str]]]] = [
    (None, [("/portaal/inloggen", "inloggen"), ("/portaal/privacy", "privacy")]),
    (
        "Demo Energie BV (Schuldeiser)",
        [
            ("/portaal/", "overzicht-schuldeiser"),
            ("/portaal/ontvangen", "ontvangen-schuldeiser"),
            ("/portaal/upload", "upload"),
            ("/portaal/verzonden", "verzonden-schuldeiser"),
        ],
    ),
    (
        "Gemeente Demodorp (Schuldhulpverlener)",
        [
            ("/portaal/", "overzicht-shv"),
            ("/portaal/opstellen", "opstellen"),
            ("/portaal/clienten", "clienten"),
            ("/portaal/instellingen", "meldingen"),
        ],
    ),
    (
        "Beheer van het knooppunt",
        [("/portaal/beheer", "beheer-deelnemers"), ("/portaal/beheer/dashboard", "beheer-dashboard")],
    ),
]


@pytest.fixture
def telefoon(browser: Any, portaalserver: Portaalserver) -> Iterator[Any]:
    ctx = browser.new_context(
        base_url=portaalserver.url,
        ignore_https_errors=True,
        viewport=TELEFOON,
        locale="nl-NL",
        bypass_csp=True,  # only so that axe-core can be injected
        is_mobile=True,
        has_touch=True,
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.mark.parametrize(("wie", "paginas"), HOOFDPAGINAS, ids=["gast", "schuldeiser", "shv", "beheer"])
def test_main_pages_on_a_phone(
    telefoon: Any, toegankelijk: Any, schermafdruk: Any, wie: str | None, paginas: list[tuple[str, str]]
) -> None:
    page = telefoon.new_page()
    if wie is not None:
        log_in(page, wie)
    for pad, naam in paginas:
        page.goto(pad)
        breedte = page.evaluate("document.documentElement.scrollWidth")
        assert breedte <= TELEFOON["width"], f"{pad} scrolls sideways on a phone: {breedte} px wide"
        # The header with the beeldmerk and the organisation responsible for the service.
        kop = page.get_by_role("banner")
        expect(kop.locator("img.beeldmerk")).to_be_visible()
        expect(kop.get_by_text("Beheerder van het Schuldenknooppunt")).to_be_visible()
        voet = page.get_by_role("contentinfo")
        for naam_link in ("Privacyverklaring", "Toegankelijkheidsverklaring", "Contact"):
            expect(voet.get_by_role("link", name=naam_link)).to_be_visible()
        toegankelijk(page)
        schermafdruk(page, f"{naam}-360")
        if wie is not None:
            # The main menu is closed behind its "Menu" button; opened, every item is on the screen
            # and can be tapped.
            menu = page.get_by_role("navigation", name="Hoofdmenu")
            knop = menu.locator("summary.menu-knop")
            expect(knop).to_be_visible()
            expect(knop).to_contain_text("Menu")
            assert menu.get_by_role("link").count() == 0  # closed: no link rendered
            assert _uitgeklapt(page, False) is False
            knop.tap()
            assert _uitgeklapt(page, True) is True
            links = menu.get_by_role("link").all()
            assert len(links) >= 2
            for link in links:
                expect(link).to_be_visible()
                vak = link.bounding_box()
                assert vak is not None and vak["x"] >= 0 and vak["x"] + vak["width"] <= TELEFOON["width"]
                assert vak["height"] >= 44  # a target large enough to tap
            assert page.evaluate("document.documentElement.scrollWidth") <= TELEFOON["width"]
            if pad == paginas[0][0]:
                toegankelijk(page)
                schermafdruk(page, f"{naam}-menu-360")
            knop.tap()
            assert menu.get_by_role("link").count() == 0 and _uitgeklapt(page, False) is False


def _uitgeklapt(page: Any, verwacht: bool | None = None) -> bool | None:
    """The menu button's expanded state as Chromium gives it to assistive technology (the
    accessibility tree over the DevTools protocol, not the DOM): True, False, or None without one.
    With ``verwacht``, waits up to 5 s for that state (the tree is updated after the click)."""
    cdp = page.context.new_cdp_session(page)
    try:
        for _ in range(50):
            staat = None
            for knoop in cdp.send("Accessibility.getFullAXTree")["nodes"]:
                naam = knoop.get("name", {}).get("value", "")
                if knoop.get("ignored") or not naam.startswith("Menu"):
                    continue
                for eigenschap in knoop.get("properties", []):
                    if eigenschap["name"] == "expanded":
                        staat = bool(eigenschap["value"]["value"])
            if verwacht is None or staat is verwacht:
                return staat
            page.wait_for_timeout(100)
        return staat
    finally:
        cdp.detach()


def test_the_menu_is_a_bar_on_wider_screens(page: Any) -> None:
    """Above 480 px the menu is open without a button: every link at once, as before."""
    log_in(page, "Gemeente Demodorp (Schuldhulpverlener)")
    for breedte in (1280, 481):
        page.set_viewport_size({"width": breedte, "height": 800})
        menu = page.get_by_role("navigation", name="Hoofdmenu")
        expect(menu.locator("summary.menu-knop")).to_be_hidden()
        expect(menu.get_by_role("link", name="Verzonden")).to_be_visible()
        assert menu.get_by_role("link").count() >= 6
        assert _uitgeklapt(page) is None  # no disclosure for assistive technology either
    page.set_viewport_size({"width": 480, "height": 800})
    expect(page.get_by_role("navigation", name="Hoofdmenu").locator("summary.menu-knop")).to_be_visible()


def test_menu_reached_by_keyboard_on_a_phone(telefoon: Any) -> None:
    """Tab to the "Menu" button, Enter opens it, Tab reaches each link in order, Enter follows one;
    Enter on the button again closes it."""
    page = telefoon.new_page()
    log_in(page, "Gemeente Demodorp (Schuldhulpverlener)")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Naar de inhoud"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('menu-knop')"):
            break
    else:
        pytest.fail("the Menu button cannot be reached with Tab")
    stijl = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle; })()"
    )
    assert stijl != "none", "no visible focus on the Menu button"
    page.keyboard.press("Enter")
    assert _uitgeklapt(page, True) is True
    page.keyboard.press("Enter")
    assert _uitgeklapt(page, False) is False
    page.keyboard.press("Space")
    assert _uitgeklapt(page, True) is True
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    gezien = []
    for _ in range(len(menu.get_by_role("link").all())):
        page.keyboard.press("Tab")
        gezien.append(page.evaluate("document.activeElement.textContent").strip())
        if gezien[-1] == "Verzonden":
            break
    assert gezien[0] == "Overzicht" and gezien[-1] == "Verzonden", gezien
    page.keyboard.press("Enter")
    page.wait_for_url("**/portaal/verzonden")
    # On the next page the menu starts closed again; opened, it marks the current page.
    assert _uitgeklapt(page, False) is False
    menu.locator("summary.menu-knop").click()
    expect(menu.get_by_role("link", name="Verzonden")).to_have_attribute("aria-current", "page")


def test_focus_is_visible_and_the_skip_link_appears(page: Any) -> None:
    page.goto("/portaal/inloggen")
    skiplink = page.get_by_role("link", name="Naar de inhoud")
    page.keyboard.press("Tab")
    expect(skiplink).to_be_focused()
    expect(skiplink).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "inhoud"
    for element in (page.get_by_role("link", name="Privacyverklaring"), page.get_by_label("Organisatie")):
        element.focus()
        stijl = element.evaluate(
            "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth, s.boxShadow]; }"
        )
        assert stijl[0] != "none" and stijl[1] != "0px", f"no visible focus: {stijl}"


@pytest.mark.parametrize("pad", ["/portaal/privacy", "/portaal/toegankelijkheid", "/portaal/contact"])
def test_footer_pages(page: Any, toegankelijk: Any, schermafdruk: Any, pad: str) -> None:
    page.goto("/portaal/inloggen")
    naam = {
        "/portaal/privacy": "Privacyverklaring",
        "/portaal/toegankelijkheid": "Toegankelijkheidsverklaring",
    }
    link = naam.get(pad, "Contact")
    page.get_by_role("contentinfo").get_by_role("link", name=link).click()
    page.wait_for_url(f"**{pad}")
    expect(page.get_by_role("heading", level=1)).to_have_text(link)
    toegankelijk(page)
    schermafdruk(page, pad.rsplit("/", 1)[1])


def test_api_docs_render_offline(browser: Any, portaalserver: Portaalserver, schermafdruk: Any) -> None:
    """With the Content-Security-Policy in force (no bypass) and every request to anywhere but the
    hub refused, as on a machine without internet: the docs still show every operation."""
    ctx = browser.new_context(
        base_url=portaalserver.url, ignore_https_errors=True, viewport={"width": 1280, "height": 900}
    )
    elders: list[str] = []
    fouten: list[str] = []

    def alleen_de_hub(route: Any) -> None:
        if route.request.url.startswith(portaalserver.url + "/"):
            route.continue_()
        else:
            elders.append(route.request.url)
            route.abort()

    try:
        ctx.route("**/*", alleen_de_hub)
        page = ctx.new_page()
        page.on("console", lambda m: fouten.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: fouten.append(str(e)))
        page.goto("/api/v1/docs")
        expect(page.locator(".info .title")).to_contain_text("Knooppunt API")
        expect(page.locator(".opblock-tag", has_text="berichten").first).to_be_visible()
        operatie = page.locator(".opblock-summary-path", has_text="/berichten").first
        expect(operatie).to_be_visible()
        operatie.click()
        expect(page.locator(".opblock-body").first).to_be_visible()
        assert not elders, f"the docs asked for other addresses: {elders}"
        assert not fouten, f"errors in the docs page: {fouten}"
        schermafdruk(page, "api-docs")
    finally:
        ctx.close()
