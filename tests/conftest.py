"""Shared fixtures. Every database test runs on SQLite and, when KNOOPPUNT_TEST_DATABASE_URL is
set, on PostgreSQL too (a fresh database per test session, emptied after every test)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from knooppunt import runtime as runtime_mod
from knooppunt.app import create_app
from knooppunt.config import Settings
from knooppunt.hub import adresboek
from knooppunt.pki.certificaat import lees_pem
from knooppunt.runtime import Runtime
from knooppunt.store import migrate
from knooppunt.store.db import db_nu, maak_engine, transactie
from knooppunt.store.models import Base
from tests.factories import Partij, maak_pki

PG_URL = os.environ.get("KNOOPPUNT_TEST_DATABASE_URL", "").strip()
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _psycopg(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


@pytest.fixture(autouse=True)
def _structlog_per_test() -> Iterator[None]:
    """Every test starts with structlog's defaults. A test that runs a command in-process
    (CliRunner) configures JSON logs bound to that test's captured stderr; without this reset a
    later test's log lines would go to that closed capture, or in another format."""
    yield
    structlog.reset_defaults()


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Partij]:
    return maak_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def pki_dir(pki: dict[str, Partij]) -> Path:
    return next(iter(pki.values())).cert_pad.parent


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str | None]:
    """A database of its own for this test session, so concurrent runs never collide."""
    if not PG_URL:
        yield None
        return
    beheer = create_engine(_psycopg(PG_URL), isolation_level="AUTOCOMMIT")
    naam = f"knooppunt_test_{uuid.uuid4().hex[:10]}"
    with beheer.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{naam}"'))
    url = make_url(_psycopg(PG_URL)).set(database=naam).render_as_string(hide_password=False)
    engine = maak_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    with beheer.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{naam}" WITH (FORCE)'))
    beheer.dispose()


@pytest.fixture(scope="session")
def sqlite_sjabloon(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for every test (migrating once is much faster)."""
    pad = tmp_path_factory.mktemp("sjabloon") / "knooppunt.sqlite3"
    engine = maak_engine(f"sqlite:///{pad}")
    migrate.upgrade(engine)
    engine.dispose()
    return pad


@pytest.fixture(params=DATABASES)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_sjabloon: Path, pg_database: str | None
) -> Iterator[str]:
    if request.param == "sqlite":
        pad = tmp_path / "knooppunt.sqlite3"
        shutil.copy(sqlite_sjabloon, pad)
        yield f"sqlite:///{pad}"
        return
    assert pg_database is not None
    yield pg_database
    engine = create_engine(pg_database)
    with engine.begin() as conn:
        tabellen = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
        conn.execute(text(f"TRUNCATE {tabellen} RESTART IDENTITY CASCADE"))
    engine.dispose()


def maak_settings(database_url: str, data_dir: Path, pki_dir: Path, **extra: Any) -> Settings:
    return Settings(
        env="development",  # type: ignore[arg-type]
        data_dir=data_dir,
        database_url=database_url,
        trust_anchors=[pki_dir / "ca.pem"],
        **extra,
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path, pki_dir: Path) -> Settings:
    return maak_settings(database_url, tmp_path / "data", pki_dir)


def met_portaal_ca(database_url: str, tmp_path: Path, pki_dir: Path, **extra: Any) -> Settings:
    """Settings with the development CA as the portal CA (as `knooppunt serve` has in development):
    for tests whose browser makes keys and has their CSRs certified."""
    return maak_settings(
        database_url,
        tmp_path / "data",
        pki_dir,
        portaal_ca_certificaat=pki_dir / "ca.pem",
        portaal_ca_sleutel=pki_dir / "ca-key.pem",
        **extra,
    )


@pytest.fixture
def rt(settings: Settings) -> Iterator[Runtime]:
    runtime = runtime_mod.bouw(settings, upgrade=False)
    yield runtime
    runtime.close()


def registreer(runtime: Runtime, partij: Partij, **overschrijf: Any) -> None:
    opties = {**partij.opties, **overschrijf}
    with transactie(runtime.sessions) as session:
        adresboek.registreer(
            session,
            adresboek.NieuweDeelnemer(
                oin=partij.oin,
                naam=partij.naam,
                rol=partij.rol,
                kvk_nummer=partij.kvk,
                modules=opties.get("modules", ["schuldregeling"]),
                certificaten=[lees_pem(partij.cert_pad.read_bytes())],
                gebruikt_bsn=opties.get("gebruikt_bsn", False),
                standaard_akkoord=opties.get("standaard_akkoord", False),
                schuldensoorten=opties.get("schuldensoorten", []),
            ),
            nu=db_nu(session),
            ankers=runtime.ankers,
            door="beheer:test",
        )


@pytest.fixture
def cast(rt: Runtime, pki: dict[str, Partij]) -> dict[str, Partij]:
    """Every participant of the cast registered in the adresboek."""
    for partij in pki.values():
        registreer(rt, partij)
    return pki


@pytest.fixture
def cli(database_url: str, tmp_path: Path, pki_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """cli("deelnemer", "list", ...) -> the result of `knooppunt …` on this test's database."""
    from click.testing import CliRunner

    from knooppunt.cli.main import main

    monkeypatch.setenv("KNOOPPUNT_ENV", "development")
    monkeypatch.setenv("KNOOPPUNT_DATABASE_URL", database_url)
    monkeypatch.setenv("KNOOPPUNT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KNOOPPUNT_TRUST_ANCHORS", str(pki_dir / "ca.pem"))
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(main, list(args), catch_exceptions=False)

    return run


class MetCertificaat:
    """ASGI wrapper that presents a client certificate the way the TLS server does."""

    def __init__(self, app: Any, pem: str | None) -> None:
        self.app = app
        self.pem = pem

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.pem is not None:
            scope = {**scope, "extensions": {"tls": {"client_cert_chain": [self.pem]}}}
        await self.app(scope, receive, send)


@pytest.fixture
def app(rt: Runtime) -> Any:
    return create_app(rt)


@pytest.fixture
def client_voor(app: Any) -> Iterator[Any]:
    """client_voor(partij) -> a TestClient authenticated as that participant (None: no certificate)."""
    clients: list[TestClient] = []

    def maak(partij: Partij | None) -> TestClient:
        client = TestClient(
            MetCertificaat(app, partij.pem if partij else None), base_url="https://testserver/api/v1"
        )
        clients.append(client)
        return client

    yield maak
    for client in clients:
        client.close()
