"""The look of a Dutch government service (DESIGN §7): the NL Design System assets served by the
portal itself, the organisation responsible in the header, the footer's privacy statement,
toegankelijkheidsverklaring and contact pages without login, and the API's interactive docs
without any CDN."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from knooppunt import runtime as runtime_mod
from knooppunt.app import create_app
from knooppunt.config import Settings
from knooppunt.portaal.app import CSP
from knooppunt.runtime import Runtime
from tests.portaal.conftest import inloggen

STATIC = Path(__file__).resolve().parents[2] / "src" / "knooppunt" / "portaal" / "static"
HUISSTIJL = STATIC.parent / "huisstijl"
ORGANISATIE = "Gemeente Voorbeeldstad, team Schuldenknooppunt"
INFO = {
    "/portaal/privacy": "Privacyverklaring",
    "/portaal/toegankelijkheid": "Toegankelijkheidsverklaring",
    "/portaal/contact": "Contact",
}
# Any absolute address: scheme-relative (//host), http(s), or a url()/src/href to elsewhere.
EXTERN = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", re.I)


@pytest.fixture
def eigen(settings: Settings) -> Iterator[TestClient]:
    """The whole app with an operator that named itself (KNOOPPUNT_PORTAAL_ORGANISATIE)."""
    rt: Runtime = runtime_mod.bouw(
        settings.model_copy(
            update={
                "portaal_organisatie": ORGANISATIE,
                "portaal_contact_email": "schuldenknooppunt@voorbeeldstad.nl",
                "portaal_contact_telefoon": "+31 20 123 45 67",
            }
        )
    )
    try:
        with TestClient(create_app(rt), base_url="https://testserver", follow_redirects=False) as client:
            yield client
    finally:
        rt.close()


@pytest.mark.parametrize(("pad", "kop"), INFO.items())
def test_footer_pages_open_without_login_and_name_the_organisation(
    eigen: TestClient, pad: str, kop: str
) -> None:
    antwoord = eigen.get(pad)
    assert antwoord.status_code == 200, antwoord.text
    assert f"<h1>{kop}</h1>" in antwoord.text
    assert ORGANISATIE in antwoord.text
    assert antwoord.headers["content-security-policy"] == CSP  # the portal's policy, unchanged


def test_contact_page_gives_the_configured_address_and_phone(eigen: TestClient, portaal: TestClient) -> None:
    tekst = eigen.get("/portaal/contact").text
    assert 'href="mailto:schuldenknooppunt@voorbeeldstad.nl"' in tekst
    assert 'href="tel:+31201234567"' in tekst and "+31 20 123 45 67" in tekst
    # Not configured: no address is invented; the page says where the organisation got one.
    standaard = portaal.get("/portaal/contact").text
    assert "mailto:" not in standaard and "bij de aanmelding" in standaard


@pytest.mark.parametrize(
    ("veld", "waarde"),
    [("portaal_contact_email", "geen adres"), ("portaal_contact_telefoon", "bel ons<script>")],
)
def test_contact_settings_refuse_what_is_no_address_or_phone(
    settings: Settings, veld: str, waarde: str
) -> None:
    with pytest.raises(ValueError, match=f"KNOOPPUNT_{veld.upper()}"):
        Settings.model_validate({**settings.model_dump(), veld: waarde})


def test_every_page_has_the_header_and_the_footer_links(eigen: TestClient, demo: object) -> None:
    for client_pad in ("/portaal/inloggen", "/portaal/privacy"):
        html = eigen.get(client_pad).text
        assert (
            'class="utrecht-page-header' in html
            and '<img class="beeldmerk" src="/portaal/static/beeldmerk.svg" alt=""' in html
        )
        assert f'<span class="logo-organisatie">{ORGANISATIE}</span>' in html
        for pad in INFO:
            assert f'href="{pad}"' in html
        assert 'href="/api/v1/docs"' in html
    inloggen(eigen, "energie")
    html = eigen.get("/portaal/ontvangen").text
    assert 'class="utrecht-page-footer voet"' in html and 'href="/portaal/toegankelijkheid"' in html


def test_privacy_statement_says_what_the_operator_stores_and_serves(portaal: TestClient) -> None:
    tekst = portaal.get("/portaal/privacy").text
    for feit in ("versleutelde tekst", "metadata", "controlelogboek", "levert de code van dit portaal"):
        assert feit in tekst, feit
    assert "Beheerder van het Schuldenknooppunt" in tekst  # the default name


def test_logged_in_user_sees_the_info_pages_with_the_menu(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "gemeente")
    html = portaal.get("/portaal/contact").text
    assert 'aria-label="Hoofdmenu"' in html
    assert 'href="/portaal/contact" aria-current="page"' in html


def test_pages_load_only_the_portals_own_files(portaal: TestClient) -> None:
    html = portaal.get("/portaal/inloggen").text
    assert not EXTERN.search(html)
    bladen = re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert "/portaal/static/nlds/utrecht-componenten.css" in bladen
    assert "/portaal/static/nlds/voorbeeld-thema.css" in bladen
    for blad in bladen:
        antwoord = portaal.get(blad)
        assert antwoord.status_code == 200, blad
        assert not EXTERN.search(antwoord.text), blad
        for gevonden in re.findall(r"url\(([^)]+)\)", antwoord.text):
            verwijzing = gevonden.strip("\"'")
            if verwijzing.startswith("data:"):
                continue
            doel = blad.rsplit("/", 1)[0] + "/" + verwijzing.removeprefix("./")
            assert portaal.get(doel).status_code == 200, doel


def test_vendored_files_are_exactly_the_pinned_npm_packages() -> None:
    """static/BRONNEN.json (written by huisstijl/kopieer.mjs) names each copied file's package,
    version and SHA-256: the files are what the script copied, from the versions in the lock."""
    bronnen = json.loads((STATIC / "BRONNEN.json").read_text())
    slot = json.loads((HUISSTIJL / "package-lock.json").read_text())["packages"]
    gepind = json.loads((HUISSTIJL / "package.json").read_text())["dependencies"]
    assert {b["pakket"] for b in bronnen.values()} == set(gepind)
    for doel, bron in bronnen.items():
        inhoud = (STATIC / doel).read_bytes()
        assert hashlib.sha256(inhoud).hexdigest() == bron["sha256"], (
            f"{doel} differs from what kopieer.mjs copied"
        )
        assert slot[f"node_modules/{bron['pakket']}"]["version"] == bron["versie"] == gepind[bron["pakket"]]
    for map_ in ("nlds", "swagger-ui"):
        op_schijf = {p.relative_to(STATIC).as_posix() for p in (STATIC / map_).rglob("*") if p.is_file()}
        assert op_schijf == {d for d in bronnen if d.startswith(map_ + "/")}, f"stray files in {map_}/"


def test_the_favicon_is_served_so_no_page_logs_a_404(portaal: TestClient) -> None:
    """Browsers ask for /favicon.ico on every page (the API docs, the portal): served from the
    portal's static files, same origin, so the pages' CSP (``img-src 'self'``) lets it load."""
    import struct

    antwoord = portaal.get("/favicon.ico")
    assert antwoord.status_code == 200
    assert antwoord.headers["content-type"] == "image/vnd.microsoft.icon"
    assert antwoord.headers["x-content-type-options"] == "nosniff"
    assert antwoord.content == (STATIC / "favicon.ico").read_bytes()
    gereserveerd, soort, aantal = struct.unpack("<HHH", antwoord.content[:6])
    assert (gereserveerd, soort) == (0, 1)  # an icon
    maten = []
    for index in range(aantal):
        breedte, hoogte, _, _, _, _, lengte, plek = struct.unpack(
            "<BBBBHHII", antwoord.content[6 + 16 * index : 22 + 16 * index]
        )
        assert antwoord.content[plek : plek + 8] == b"\x89PNG\r\n\x1a\n" and plek + lengte <= len(
            antwoord.content
        )
        maten.append((breedte, hoogte))
    assert maten == [(16, 16), (32, 32)]
    for pagina in ("/api/v1/docs", "/portaal/inloggen"):
        assert "img-src 'self'" in portaal.get(pagina).headers["content-security-policy"], pagina


def test_api_docs_are_served_from_the_package_without_any_cdn(portaal: TestClient) -> None:
    pagina = portaal.get("/api/v1/docs")
    assert pagina.status_code == 200
    assert pagina.headers["content-type"].startswith("text/html")
    csp = pagina.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert not EXTERN.search(pagina.text)
    bestanden = re.findall(r'(?:src|href)="([^"]+)"', pagina.text)
    assert set(bestanden) == {
        "docs/swagger-ui/swagger-ui.css",
        "docs/swagger-ui/swagger-ui-bundle.js",
        "docs/start.js",
        "openapi.json",
    }
    for bestand in bestanden:
        antwoord = portaal.get("/api/v1/" + bestand)
        assert antwoord.status_code == 200, bestand
        assert antwoord.content, bestand
    start = portaal.get("/api/v1/docs/start.js").text
    assert 'url: "openapi.json"' in start and "validatorUrl: null" in start
    assert not re.search(r"https?://", start)
    css = portaal.get("/api/v1/docs/swagger-ui/swagger-ui.css").text
    assert not EXTERN.search(css)
    # The document itself still lists no docs route.
    assert not any("docs" in pad for pad in portaal.get("/api/v1/openapi.json").json()["paths"])
