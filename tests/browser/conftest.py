"""Browser tests of the web portal: Playwright driving Debian's Chromium (/usr/bin/chromium, via
``executable_path`` — never ``playwright install``) against a real ``knooppunt serve`` process over
real TLS, started the way a newcomer starts it (development mode, development PKI made on first
start, embedded SQLite — or PostgreSQL when KNOOPPUNT_TEST_DATABASE_URL is set, see
``portaal_pg``), with the demo participants and messages seeded by ``knooppunt portaal demo``.

Accessibility: ``toegankelijk(page)`` runs axe-core (from npm, tests/browser/package-lock.json) on
the page for WCAG 2.1 A and AA and fails on any violation.

Screenshots of the main pages go to docs/screenshots/ when KNOOPPUNT_SCREENSHOTS=1 (they are
committed; the tests do not rewrite them otherwise).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.functional.server import _lees_log, vrije_poort, wacht_op_poort
from tests.node import node_met_pakketten

HIER = Path(__file__).resolve().parent
ROOT = HIER.parents[1]
CHROMIUM = os.environ.get("KNOOPPUNT_CHROMIUM", "/usr/bin/chromium")
SCHERMAFDRUKKEN = ROOT / "docs" / "screenshots"
PG_URL = os.environ.get("KNOOPPUNT_TEST_DATABASE_URL", "").strip()


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _nodig(reden: str) -> None:
    if _ci():
        pytest.fail(f"CI=true: {reden}")
    pytest.skip(reden)


@dataclass
class Portaalserver:
    url: str
    data_dir: Path
    proces: subprocess.Popen[bytes]
    omgeving: dict[str, str]
    log: list[str] = field(default_factory=list)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "knooppunt.cli.main", *args],
            env=self.omgeving,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def python(self, script: str, *args: str) -> str:
        """Run a Python script in the server's environment (its database, data dir, PKI); its stdout."""
        r = subprocess.run(
            [sys.executable, "-c", script, *args],
            env=self.omgeving,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert r.returncode == 0, r.stderr + r.stdout
        return r.stdout


def _start(
    tmp: Path,
    database_url: str | None,
    *,
    poort: int | None = None,
    extra: dict[str, str] | None = None,
    programma: list[str] | None = None,
    alleen_server: dict[str, str] | None = None,
) -> Iterator[Portaalserver]:
    """Seed the demo data and start ``knooppunt serve`` (``programma``: another way to run the same
    CLI, e.g. wrapped by a test's recorder; ``alleen_server``: environment for the server process
    only, not for the demo or `Portaalserver.omgeving`)."""
    poort = poort or vrije_poort()
    omgeving = {k: v for k, v in os.environ.items() if not k.startswith("KNOOPPUNT_")}
    omgeving |= {"KNOOPPUNT_ENV": "development", "KNOOPPUNT_DATA_DIR": str(tmp / "data"), **(extra or {})}
    if database_url:
        omgeving["KNOOPPUNT_DATABASE_URL"] = database_url
    # The demo data first, with the same settings the server will use (as a newcomer would).
    demo = subprocess.run(
        [sys.executable, "-m", "knooppunt.cli.main", "portaal", "demo"],
        env=omgeving,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr + demo.stdout
    cli = programma or [sys.executable, "-m", "knooppunt.cli.main"]
    proces = subprocess.Popen(
        [*cli, "serve", "--port", str(poort), "--job-interval", "3600"],
        env={**omgeving, **(alleen_server or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    server = Portaalserver(
        url=f"https://localhost:{poort}", data_dir=tmp / "data", proces=proces, omgeving=omgeving
    )
    try:
        wacht_op_poort(poort, proces)
        threading.Thread(target=_lees_log, args=(proces, server.log), daemon=True).start()
        yield server
    finally:
        if proces.poll() is None:
            proces.terminate()
            try:
                proces.wait(15)
            except subprocess.TimeoutExpired:
                proces.kill()


@pytest.fixture(scope="module")
def portaalserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portaalserver]:
    """`knooppunt serve` on SQLite with the demo data; one per test module."""
    yield from _start(tmp_path_factory.mktemp("portaal"), None)


@pytest.fixture(scope="module")
def portaal_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portaalserver]:
    """The same on PostgreSQL (a database of its own), when KNOOPPUNT_TEST_DATABASE_URL is set."""
    if not PG_URL:
        pytest.skip("KNOOPPUNT_TEST_DATABASE_URL is not set")
    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    beheer = create_engine(url, isolation_level="AUTOCOMMIT")
    naam = f"knooppunt_browser_{uuid.uuid4().hex[:10]}"
    with beheer.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{naam}"'))
    try:
        yield from _start(
            tmp_path_factory.mktemp("portaal-pg"),
            make_url(url).set(database=naam).render_as_string(hide_password=False),
        )
    finally:
        with beheer.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{naam}" WITH (FORCE)'))
        beheer.dispose()


# Per module, not per session: Playwright's sync API keeps an event loop running in the main thread
# while it is open, and later tests that call asyncio.run() (the OpenAPI export) would fail.
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _nodig(f"{CHROMIUM} is missing (apt-get install -y chromium); the portal's browser tests need it")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - playwright is a test dependency
        _nodig("the playwright package is missing (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield b
        b.close()


@pytest.fixture
def context(browser: Any, portaalserver: Portaalserver) -> Iterator[Any]:
    """A fresh browser profile (no cookies) on a laptop-sized window; the server's certificate is
    from the development CA, which the browser does not know."""
    ctx = browser.new_context(
        base_url=portaalserver.url,
        ignore_https_errors=True,
        viewport={"width": 1280, "height": 860},
        locale="nl-NL",
        accept_downloads=True,
        bypass_csp=True,  # only so that axe-core can be injected; the pages themselves have no scripts
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    from playwright.sync_api import expect

    # Assertions on what a page shows wait for it (as a user does) instead of looking at once:
    # on a busy machine the answer to a click can take seconds (sealing, sending).
    expect.set_options(timeout=15_000)
    return context.new_page()


def log_in(page: Any, organisatie: str, naam: str = "Test Gebruiker") -> None:
    """The development login, as a user does it: pick the organisation, type a name, click."""
    page.goto("/portaal/inloggen")
    page.get_by_label("Organisatie").select_option(label=organisatie)
    page.get_by_label("Uw naam").fill(naam)
    page.get_by_role("button", name="Inloggen", exact=True).click()
    page.wait_for_url("**/portaal/**")


@pytest.fixture(scope="session")
def axe_script() -> Path:
    node_met_pakketten(HIER, "the accessibility checks (axe-core)")
    return HIER / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def toegankelijk(axe_script: Path) -> Any:
    """toegankelijk(page): axe-core on the current page, WCAG 2.0/2.1 A and AA; fails on violations."""

    def controleer(page: Any) -> None:
        page.add_script_tag(path=str(axe_script))
        resultaat = page.evaluate(
            """async () => await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}
            })"""
        )
        fouten = [
            f"{v['id']} ({v['impact']}): {v['help']} — "
            + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
            for v in resultaat["violations"]
        ]
        assert not fouten, f"WCAG-schendingen op {page.url}:\n" + "\n".join(fouten)

    return controleer


@pytest.fixture
def schermafdruk() -> Any:
    """schermafdruk(page, naam): save docs/screenshots/<naam>.png when KNOOPPUNT_SCREENSHOTS=1."""

    def maak(page: Any, naam: str) -> None:
        if os.environ.get("KNOOPPUNT_SCREENSHOTS") == "1":
            SCHERMAFDRUKKEN.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCHERMAFDRUKKEN / f"{naam}.png"), full_page=True)

    return maak
