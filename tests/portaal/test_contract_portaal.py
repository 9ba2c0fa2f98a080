"""An independent check of the portal against DESIGN §5 "Portal" and §7, written from the contract:
what every page, route and served file must do, rather than what one page happens to do. Each test
quotes the sentence it checks. The statements already checked elsewhere are listed in the report of
helper "portaal"; this file holds the ones that were not, or only for one page."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi.routing import APIRoute
from starlette.testclient import TestClient

from knooppunt import runtime as runtime_mod
from knooppunt.app import create_app
from knooppunt.config import Settings, SettingsError
from knooppunt.portaal import routes
from knooppunt.portaal.routes import sleutels, werkplek_clienten, werkplek_download, werkplek_verzenden
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.runtime import Runtime
from tests.portaal.conftest import inloggen
from tests.portaal.test_aanmelden import als_aanmelder
from tests.portaal.test_ontvangen import berichten_aan, bevestig, download

STATIC = Path(__file__).resolve().parents[2] / "src" / "knooppunt" / "portaal" / "static"
ROUTERS = [*routes.ROUTERS, sleutels.router, werkplek_clienten.router, werkplek_download.router]
ROUTERS.append(werkplek_verzenden.router)
WIJZIGEND = {"POST", "PUT", "PATCH", "DELETE"}
SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.I | re.S)
ATTRIBUUT = re.compile(r'([a-z-]+)="([^"]*)"', re.I)
# A load from elsewhere in HTML or CSS: src/href/url() to another origin, or an @import.
EXTERN = re.compile(
    r"""(?:src|href|action)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", re.I
)
# A load from elsewhere in JavaScript: a module or script fetched from another origin.
EXTERN_JS = re.compile(
    r"""importScripts|import\(\s*["'`](?:https?:)?//|fetch\(\s*["'`](?:https?:)?//|\.src\s*=\s*["'`](?:https?:)?//""",
    re.I,
)


def _routes() -> list[APIRoute]:
    return [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


def _pad(route: APIRoute) -> str:
    """The route's path under /portaal with every path parameter filled in (a number fits both a
    str and an int parameter)."""
    return "/portaal" + re.sub(r"\{[^}]+\}", "1", route.path)


def _csp(antwoord: object) -> dict[str, list[str]]:
    kop: str = antwoord.headers["content-security-policy"]  # type: ignore[attr-defined]
    regels: dict[str, list[str]] = {}
    for regel in kop.split(";"):
        delen = regel.split()
        if delen:
            regels[delen[0]] = delen[1:]
    return regels


# --- CSRF ------------------------------------------------------------------------------------------


def test_every_state_changing_route_refuses_a_request_without_or_with_a_wrong_csrf_token(
    nieuwe_browser: Callable[[], TestClient], rt: Runtime, demo: object
) -> None:
    """DESIGN §5 "Portal", *The code*: "JSON endpoints keep CSRF tokens." Every route of the portal
    that changes state — forms and JSON endpoints alike — refuses a request that carries no token or
    another one, whoever is logged in; none is left out because it was added later. (A route
    another role may not use may refuse for that reason first; every route is refused for want
    of the token for at least one of a creditor, a debt counsellor, beheer and an applicant.)"""
    wijzigend = {
        (sorted((r.methods or set()) & WIJZIGEND)[0], _pad(r))
        for r in _routes()
        if (r.methods or set()) & WIJZIGEND
    }
    assert len(wijzigend) > 30, "the portal's state-changing routes were not found"
    om_csrf: set[tuple[str, str]] = set()
    for wie in ("energie", "gemeente", "beheer", "10000001"):
        client = nieuwe_browser()
        if wie.isdigit():
            als_aanmelder(client, rt, kvk=wie, vestiging=None)
        else:
            inloggen(client, wie)
        for methode, pad in sorted(wijzigend):
            for koppen in ({}, {"X-CSRF-Token": "niet-het-token"}):
                antwoord = client.request(methode, pad, json={}, headers=koppen)
                assert antwoord.status_code == 403, (wie, methode, pad, koppen, antwoord.status_code)
                if "CSRF" in antwoord.text:
                    om_csrf.add((methode, pad))
    assert wijzigend - om_csrf == set()


# --- the served pages: CSP, SRI, nothing from elsewhere ----------------------------------------------


def _paginas(client: TestClient) -> Iterator[tuple[str, object]]:
    """Every GET route without path parameters that answers this user with an HTML page."""
    for route in _routes():
        if "GET" not in (route.methods or set()) or "{" in route.path:
            continue
        pad = "/portaal" + route.path
        antwoord = client.get(pad)
        if antwoord.status_code == 200 and antwoord.headers["content-type"].startswith("text/html"):
            yield pad, antwoord


@pytest.mark.parametrize("wie", [None, "energie", "gemeente", "beheer"])
def test_every_page_has_the_designs_policy_and_loads_only_its_own_scripts_with_sri(
    portaal: TestClient, demo: object, wie: str | None
) -> None:
    """DESIGN §5 "Portal", *The code*: "served by the portal itself (no CDN) under `script-src
    'self'` (plus `'wasm-unsafe-eval'` only if Argon2id runs as WebAssembly), `require-trusted-
    types-for 'script'`, `frame-ancestors 'none'`, no service worker, with SRI" — on every page a
    user can open, not only the key page: each script the portal's own file with an `integrity`
    that matches what is served, no inline script, nothing loaded from another origin, and
    WebAssembly allowed exactly on the pages that load the Argon2id bundle."""
    if wie is not None:
        inloggen(portaal, wie)
    geteld = 0
    for pad, antwoord in _paginas(portaal):
        geteld += 1
        html: str = antwoord.text  # type: ignore[attr-defined]
        csp = _csp(antwoord)
        assert csp["require-trusted-types-for"] == ["'script'"], pad
        assert csp["frame-ancestors"] == ["'none'"], pad
        assert csp["worker-src"] == ["'none'"], pad  # no service worker can be registered
        assert "service-worker-allowed" not in antwoord.headers  # type: ignore[attr-defined]
        scripts = SCRIPT.findall(html)
        for attributen, inhoud in scripts:
            assert not inhoud.strip(), f"{pad}: inline script"
            velden = dict(ATTRIBUUT.findall(attributen))
            bron = velden.get("src", "")
            assert bron.startswith("/portaal/static/"), f"{pad}: script {bron!r} is not the portal's own"
            bestand = portaal.get(bron)
            assert bestand.status_code == 200, bron
            verwacht = "sha384-" + base64.b64encode(hashlib.sha384(bestand.content).digest()).decode()
            assert velden.get("integrity") == verwacht, f"{pad}: script {bron} without matching SRI"
        wasm = "'wasm-unsafe-eval'" in csp["script-src"]
        assert wasm == bool(scripts), f"{pad}: 'wasm-unsafe-eval' only where the Argon2id bundle runs"
        assert set(csp["script-src"]) - {"'wasm-unsafe-eval'"} == {"'self'"}, pad
        assert not EXTERN.search(html), f"{pad} loads something from elsewhere"
    assert geteld >= (3 if wie is None else 5), f"only {geteld} pages seen as {wie}"


def test_no_served_file_loads_anything_from_another_origin(portaal: TestClient) -> None:
    """DESIGN §5 "Portal": "served by the portal itself (no CDN)"; §7: "Interactive API docs served
    without any CDN." Every file under the portal's static folder is served from there, and no
    stylesheet, image or script in it pulls in a file from another origin."""
    bestanden = [p for p in STATIC.rglob("*") if p.is_file()]
    assert any(p.suffix == ".js" for p in bestanden) and any(p.suffix == ".css" for p in bestanden)
    for bestand in bestanden:
        pad = "/portaal/static/" + bestand.relative_to(STATIC).as_posix()
        antwoord = portaal.get(pad)
        assert antwoord.status_code == 200, pad
        assert antwoord.content == bestand.read_bytes(), pad
        if bestand.suffix in (".css", ".svg", ".html"):
            assert not EXTERN.search(antwoord.text), pad
        if bestand.suffix == ".js":
            assert not EXTERN_JS.search(antwoord.text), pad


def test_the_api_docs_scripts_carry_sri_too(portaal: TestClient) -> None:
    """DESIGN §5 "Portal", *The code*: the JavaScript is "served by the portal itself (no CDN) ...
    with SRI"; §7: "Interactive API docs served without any CDN." The docs page is served
    JavaScript like the rest: its scripts name their hashes."""
    pagina = portaal.get("/api/v1/docs")
    scripts = SCRIPT.findall(pagina.text)
    assert scripts
    for attributen, _ in scripts:
        velden = dict(ATTRIBUUT.findall(attributen))
        bestand = portaal.get("/api/v1/" + velden["src"])
        verwacht = "sha384-" + base64.b64encode(hashlib.sha384(bestand.content).digest()).decode()
        assert velden.get("integrity") == verwacht, velden["src"]


# --- development login ---------------------------------------------------------------------------


def _pkioverheid_root(pad: Path) -> Path:
    """A self-signed CA named as the PKIoverheid roots are (O = Staat der Nederlanden)."""
    sleutel = ec.generate_private_key(ec.SECP256R1())
    naam = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Staat der Nederlanden"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Staat der Nederlanden Private Root CA - G1"),
        ]
    )
    nu = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(naam)
        .issuer_name(naam)
        .public_key(sleutel.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nu - dt.timedelta(days=1))
        .not_valid_after(nu + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(sleutel, hashes.SHA256())
    )
    pad.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pad


def test_development_with_its_login_refuses_production_trust_anchors(
    settings: Settings, tmp_path: Path
) -> None:
    """DESIGN §5 "Portal": "A development login exists only when `KNOOPPUNT_ENV=development`, which
    refuses production trust anchors." A setup that offers a login without eHerkenning must not
    also trust PKIoverheid certificates."""
    assert settings.is_development
    productie = settings.model_copy(update={"trust_anchors": [_pkioverheid_root(tmp_path / "root.pem")]})
    with pytest.raises(SettingsError):
        runtime_mod.laad_ankers(productie)


# --- truthful wording: the terms the hub applies -------------------------------------------------


@pytest.fixture
def ander_rt(rt: Runtime) -> Runtime:
    """The runtime on the same database with terms other than the defaults (DESIGN §6: "Term
    lengths and extra closing days are configuration")."""
    settings = rt.settings.model_copy(
        update={
            "bevestigingstermijn_werkdagen": 6,
            "antwoordtermijn_werkdagen": 7,
            "antwoordtermijn_2_werkdagen": 9,
        }
    )
    return dataclasses.replace(rt, settings=settings, instellingen=runtime_mod.instellingen_uit(settings))


@pytest.fixture
def andere_termijnen(ander_rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(ander_rt), base_url="https://testserver", follow_redirects=False) as client:
        yield client


def test_footer_and_privacy_statement_name_the_confirmation_term_the_hub_applies(
    andere_termijnen: TestClient,
) -> None:
    """DESIGN §7: "the usual footer: privacy statement, ..." with truthful wording; §6: the
    bevestigingstermijn is configuration. What the footer and privacy statement promise about
    deletion is the term this hub applies, not the default."""
    for pad in ("/portaal/inloggen", "/portaal/privacy"):
        tekst = andere_termijnen.get(pad).text
        assert "bevestigingstermijn van 6 werkdagen" in tekst, pad
        assert "5 werkdagen" not in tekst, pad


def test_the_debt_counsellor_is_told_the_answer_term_the_hub_applies(
    andere_termijnen: TestClient, demo: object
) -> None:
    """DESIGN §6: "Antwoordtermijn (2.1): ... the term of §3a (5 working days in 1.0, 10 in 2.0, or the
    module's own)", and term lengths are configuration; §7: the SHV "follows answers and deadlines
    per client". A question not yet confirmed shows the answer term of its own version as this hub
    applies it."""
    inloggen(andere_termijnen, "gemeente")
    overzicht = andere_termijnen.get("/portaal/clienten").text
    trajecten = sorted(set(re.findall(r'href="/portaal/clienten/([0-9a-f-]{36})"', overzicht)))
    assert trajecten, "the demo's debt counsellor has no clients"
    gezien = ""
    for traject in trajecten:
        tekst = andere_termijnen.get(f"/portaal/clienten/{traject}").text
        assert "Antwoord binnen 5 werkdagen" not in tekst
        gezien += tekst
    assert re.search(r"Antwoord binnen (7|9) werkdagen na bevestiging", gezien)

    kiezen = andere_termijnen.get("/portaal/opstellen?module=schuldregeling").text
    assert "binnen 5 werkdagen" not in kiezen
    assert re.search(r"antwoord binnen (7|9) werkdagen na bevestiging", kiezen), "the saldoverzoek's term"


def test_the_creditor_confirming_is_told_the_answer_term_the_hub_applies(
    ander_rt: Runtime, rt: Runtime, demo: object
) -> None:
    """DESIGN §7: "confirms the download (17.2)"; §6: the answer term runs from `bevestigdOp`, "the
    term of §3a (5 working days in 1.0, 10 in 2.0, or the module's own)", term lengths configuration.
    The confirmation names the term this hub applies to these questions, not a fixed number."""
    for wie in ("woning", "incasso"):
        vragen = []
        for b in berichten_aan(rt, wie):
            soort = CATALOGUS.zoek(b.module, b.berichttype, b.versie)
            if soort is not None and soort.antwoord_verwacht:
                vragen.append((b.referentienummer, ander_rt.instellingen.antwoordtermijn_van(soort)))
        assert vragen, wie
        lengtes = sorted({n for _, n in vragen})
        assert 5 not in lengtes and (7 in lengtes or 9 in lengtes), lengtes  # the configured terms
        refs = [r for r, _ in vragen]
        with TestClient(
            create_app(ander_rt), base_url="https://testserver", follow_redirects=False
        ) as browser:
            inloggen(browser, wie)
            download(browser, refs)
            pagina = bevestig(browser, refs)
        assert pagina.status_code == 200, pagina.text
        main = pagina.text.split("<main", 1)[1].split("</main>", 1)[0]
        verwacht = " of ".join(str(n) for n in lengtes)
        assert f"antwoordtermijn van {verwacht} werkdagen (art. 2.1" in main, wie
        genoemd = {int(n) for n in re.findall(r"(\d+) werkdag", main)}
        assert genoemd <= set(lengtes), (wie, genoemd, lengtes)
        for n in re.findall(r"(\d+) werkdagen voor berichten van protocol 2\.0", main):
            assert int(n) == 9, f"{wie}: the page says {n} working days for protocol 2.0, the hub applies 9"
