"""Migration 0008 (DESIGN §4): messages still open when it runs get their size and are counted
against their recipient's inbox quota; confirmed ones (content gone) are not."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url

from knooppunt.store import migrate
from knooppunt.store.db import maak_engine
from knooppunt.store.models import Bericht, BerichtInhoud, Inboxbezetting
from tests.conftest import DATABASES, PG_URL, _psycopg

SE, SHV1, SHV2 = "00000003123456780000", "00000001823288444000", "00000003301234560000"


@pytest.fixture(params=DATABASES)
def lege_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database of its own, not yet migrated."""
    if request.param == "sqlite":
        engine = maak_engine(f"sqlite:///{tmp_path / 'migratie.sqlite3'}")
        yield engine
        engine.dispose()
        return
    beheer = create_engine(_psycopg(PG_URL), isolation_level="AUTOCOMMIT")
    naam = f"knooppunt_migratie_{uuid.uuid4().hex[:10]}"
    with beheer.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{naam}"'))
    engine = maak_engine(make_url(_psycopg(PG_URL)).set(database=naam).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with beheer.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{naam}" WITH (FORCE)'))
    beheer.dispose()


def _migreer(engine: Engine, revisie: str) -> None:
    config = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revisie)


def test_migratie_0008_telt_de_open_berichten_mee(lege_database: Engine) -> None:
    engine = lege_database
    _migreer(engine, "0007_portaal_dossiers")
    nu = datetime.now(UTC)
    berichten = [  # (afzender, status, jwe or None)
        (SHV1, "aangeboden", "a" * 1000),
        (SHV1, "opgehaald", "b" * 2500),
        (SHV2, "aangeboden", "c" * 700),
        (SHV1, "bevestigd", None),
    ]
    with engine.begin() as conn:
        for afzender, status, jwe in berichten:
            bericht_id = conn.execute(
                insert(Bericht.__table__)
                .values(
                    referentienummer=str(uuid.uuid4()),
                    afzender=afzender,
                    ontvanger=SE,
                    conversatie_referentienummer=str(uuid.uuid4()),
                    berichttype="saldoverzoek",
                    module="schuldregeling",
                    versie="1.0",
                    envelop_hash="0" * 64,
                    status=status,
                    ontvangen_op=nu,
                    verloopt_op=nu + timedelta(days=7),
                )
                .returning(Bericht.id)
            ).scalar_one()
            if jwe is not None:
                conn.execute(insert(BerichtInhoud).values(bericht_id=bericht_id, jwe=jwe))
    _migreer(engine, "head")
    with engine.connect() as conn:
        tellers = {
            (o, a): b
            for o, a, b in conn.execute(
                select(Inboxbezetting.ontvanger, Inboxbezetting.afzender, Inboxbezetting.bytes)
            )
        }
        groottes = {(s, g) for s, g in conn.execute(select(Bericht.status, Bericht.grootte))}
        aantallen = {
            (o, a): n
            for o, a, n in conn.execute(
                select(Inboxbezetting.ontvanger, Inboxbezetting.afzender, Inboxbezetting.aantal)
            )
        }
    assert tellers == {(SE, SHV1): 3500, (SE, SHV2): 700}
    # Migration 0014: the open messages counted beside their bytes (the per-sender cap reads it).
    assert aantallen == {(SE, SHV1): 2, (SE, SHV2): 1}
    assert groottes == {("aangeboden", 1000), ("opgehaald", 2500), ("aangeboden", 700), ("bevestigd", None)}
