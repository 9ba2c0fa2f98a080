"""In a real browser (Chromium, with the portal's Content-Security-Policy in force): logging in with
eHerkenning through the OIDC test broker (tests/oidc/provider.mjs) against a real `knooppunt serve`,
logging out there too, and the refusal page's accessibility. The detailed rules are tested in
tests/portaal/test_oidc.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Portaalserver, _start
from tests.functional.server import vrije_poort
from tests.node import node_met_pakketten
from tests.portaal.makelaar import MAP, Makelaar, start_makelaar


@pytest.fixture(scope="module")
def makelaar_en_portaal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Makelaar, Portaalserver]]:
    node = node_met_pakketten(MAP, "the portal's eHerkenning (OIDC) browser test")
    poort = vrije_poort()
    tmp = tmp_path_factory.mktemp("oidc-browser")
    with start_makelaar(node, tmp, portaal=f"https://localhost:{poort}") as makelaar:
        omgeving = {
            "KNOOPPUNT_" + naam.upper(): ",".join(waarde) if isinstance(waarde, list) else str(waarde)
            for naam, waarde in makelaar.instellingen().items()
        }
        for server in _start(tmp, None, poort=poort, extra=omgeving):
            yield makelaar, server


@pytest.fixture
def oidc_page(browser: Any, makelaar_en_portaal: tuple[Makelaar, Portaalserver]) -> Iterator[Any]:
    """A page in a fresh profile with the CSP in force; requests leave this machine never."""
    _, server = makelaar_en_portaal
    ctx = browser.new_context(base_url=server.url, ignore_https_errors=True, locale="nl-NL")
    ctx.set_default_timeout(15_000)

    def alleen_lokaal(route: Any) -> None:
        if urlsplit(route.request.url).hostname in ("localhost", "127.0.0.1"):
            route.continue_()
        else:
            route.abort()

    ctx.route("**/*", alleen_lokaal)
    yield ctx.new_page()
    ctx.close()


def test_inloggen_en_uitloggen_met_eherkenning(
    oidc_page: Any, makelaar_en_portaal: tuple[Makelaar, Portaalserver]
) -> None:
    makelaar, _ = makelaar_en_portaal
    page = oidc_page
    page.goto("/portaal/inloggen")
    page.get_by_role("link", name="Inloggen met eHerkenning").click()
    page.wait_for_url(makelaar.issuer + "/interaction/**")
    page.get_by_label("Inloggen als").select_option("eh-energie-eva")
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url("**/portaal/")
    expect(page.get_by_text("Eva de Boer · Demo Energie BV (Schuldeiser)")).to_be_visible()
    expect(page.get_by_role("heading", name="Overzicht")).to_be_visible()

    page.get_by_role("button", name="Uitloggen").click()
    expect(page.get_by_role("heading", name="U bent uitgelogd")).to_be_visible()
    page.get_by_role("link", name="Ook uitloggen bij eHerkenning").click()
    page.wait_for_url(makelaar.issuer + "/session/end**")
    page.get_by_role("button", name="Ja, uitloggen").click()
    page.wait_for_url("**/portaal/uitgelogd**")
    expect(page.get_by_text("U bent ook bij eHerkenning uitgelogd.")).to_be_visible()

    # Logged out at both: the broker asks who is logging in again.
    page.goto("/portaal/inloggen")
    page.get_by_role("link", name="Inloggen met eHerkenning").click()
    page.wait_for_url(makelaar.issuer + "/interaction/**")


def test_weigering_is_toegankelijk(
    browser: Any, makelaar_en_portaal: tuple[Makelaar, Portaalserver], toegankelijk: Any, schermafdruk: Any
) -> None:
    _, server = makelaar_en_portaal
    # bypass_csp only so that axe-core can be injected.
    ctx = browser.new_context(base_url=server.url, ignore_https_errors=True, locale="nl-NL", bypass_csp=True)
    try:
        page = ctx.new_page()
        page.goto("/portaal/inloggen")
        page.get_by_role("link", name="Inloggen met eHerkenning").click()
        page.get_by_label("Inloggen als").select_option("eh-laag")
        page.get_by_role("button", name="Inloggen").click()
        page.wait_for_url("**/portaal/inloggen/oidc/terug**")
        melding = page.get_by_role("alert")
        assert (
            "Uw eHerkenningsmiddel heeft niveau EH2; voor het knooppunt is EH3 nodig." in melding.inner_text()
        )
        toegankelijk(page)
        schermafdruk(page, "inloggen-geweigerd")
    finally:
        ctx.close()
