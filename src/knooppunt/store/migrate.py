"""Alembic, driven from code: ``knooppunt db upgrade`` and the drift check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from knooppunt.store.models import Base

MIGRATIONS = Path(__file__).parent / "migrations"
_ADVISORY_LOCK = 0x4B4E50  # "KNP": one migrator at a time on PostgreSQL


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe when several nodes start at once."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


class SchemaNietActueel(Exception):
    """The database's schema is not the one this version of Knooppunt works with, and this command
    does not migrate (only `knooppunt db upgrade` and `knooppunt serve` do): the message says what
    to run."""


def controleer_actueel(engine: Engine) -> bool:
    """For a command that does not migrate a database in use: True when the database has no schema
    yet (a new one: the command may make it, nobody else uses it); nothing to do when it is at the
    newest revision (False); `SchemaNietActueel` when it is behind or ahead — migrating it here would change
    the schema under the nodes still serving it (a rolling upgrade), an independent operator probe."""
    huidig, nieuwste = huidige_revisie(engine), nieuwste_revisie()
    if huidig is None:
        return True
    if huidig == nieuwste:
        return False
    try:
        bekend = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(huidig) is not None
    except Exception:  # alembic: "Can't locate revision" — a newer version wrote it
        bekend = False
    if bekend:
        raise SchemaNietActueel(
            f"de database staat op schemarevisie {huidig}; deze versie van Knooppunt werkt met {nieuwste}. "
            "Draai eerst 'knooppunt db upgrade' (of start 'knooppunt serve', dat migreert onder een slot) "
            "en daarna dit commando opnieuw."
        )
    raise SchemaNietActueel(
        f"de database staat op schemarevisie {huidig}, die deze versie van Knooppunt niet kent (zij werkt "
        f"met {nieuwste}): de database is door een nieuwere versie bijgewerkt. Gebruik die versie."
    )


def huidige_revisie(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def nieuwste_revisie() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def drift(engine: Engine) -> list[object]:
    """Differences between the models and the migrated schema; empty when they agree."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))
