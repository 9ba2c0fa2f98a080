"""Engine, sessions and the database clock. One code path for SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import structlog
from psycopg.rows import namedtuple_row
from sqlalchemy import Connection, Dialect, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

log = structlog.get_logger("knooppunt.store")


def maak_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and ``secure_delete`` (DESIGN §5)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
            # A database error's message names the statement, never its values (ciphertext,
            # metadata): it goes to the logs (knooppunt.logging).
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, open transactions, so BEGIN IMMEDIATE works.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers serialise at BEGIN, so read-then-write transactions never deadlock. A
            # read-only snapshot (store.audit.momentopname) begins deferred and blocks nobody.
            if conn.get_execution_options().get("knooppunt_alleen_lezen"):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        connect_args=_verbindtermijn(parsed),
        hide_parameters=True,
    )
    _ping_na_rust(engine)
    gemeld = False

    @event.listens_for(engine, "connect")
    def _duurzaam(dbapi_connection: Any, _record: Any) -> None:
        nonlocal gemeld
        # A 201 promises the message is stored (DESIGN §4). With synchronous_commit=off PostgreSQL
        # confirms a COMMIT before its WAL is flushed, and a crash loses what the hub acknowledged
        # (the chaos test lost 3 of 240). Only "off" is raised: local and the replication levels
        # already wait for the local flush.
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True  # not in a transaction, which a rollback would undo
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(_TOON_SYNCHROON)
                if cursor.fetchone()[0] == "off":
                    cursor.execute(_SYNCHROON_AAN)
                    if not gemeld:
                        gemeld = True
                        log.warning("synchronous_commit=off op de server; voor het knooppunt op on gezet")
        finally:
            dbapi_connection.autocommit = autocommit

    return engine


VERBIND_SECONDEN = 10
"""How long opening a PostgreSQL connection may take (libpq's ``connect_timeout``) unless the
database URL names its own: a database that accepts no connection fails a request (503) or sends a
submit the usual way, instead of holding it until the operating system gives up."""


def _verbindtermijn(url: URL) -> dict[str, Any]:
    return {} if "connect_timeout" in url.query else {"connect_timeout": VERBIND_SECONDEN}


# A 201 promises the message is stored: connections raise synchronous_commit from "off" (see
# maak_engine's `_duurzaam`), the engine's and the event loop's (`verbind_async`) alike.
_TOON_SYNCHROON = "SHOW synchronous_commit"
_SYNCHROON_AAN = "SET synchronous_commit TO on"


async def verbind_async(engine: Engine) -> psycopg.AsyncConnection[Any]:
    """An asyncio connection to the engine's PostgreSQL database, made durable as the engine's own
    connections are (the common submit on the event loop, store.lusverbindingen). It stays in
    autocommit mode: its user opens each transaction itself, with its first statement in the same
    simple query (``BEGIN; SELECT …``, store.crl_staat.nu_en_versie_async) — one round trip without
    pipeline mode, whose bookkeeping costs more CPU than the round trip it saves (#13) — and ends it
    with ``commit()``/``rollback()``, which psycopg sends as long as a transaction is open."""
    dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True, **_verbindtermijn(engine.url))
    try:
        cursor = await conn.execute(_TOON_SYNCHROON)
        rij = await cursor.fetchone()
        if rij is not None and rij[0] == "off":
            await conn.execute(_SYNCHROON_AAN)
    except BaseException:
        await conn.close()
        raise
    return conn


_ZONDER_PING = threading.local()


@contextmanager
def zonder_ping() -> Iterator[None]:
    """Connections checked out in this block (this thread) are not pinged first: for a caller
    that finds a dead connection itself and starts over (the API's first statement, #13)."""
    _ZONDER_PING.aan = True
    try:
        yield
    finally:
        _ZONDER_PING.aan = False


def _ping_na_rust(engine: Engine) -> None:
    """After PostgreSQL restarted, an idle hub's pooled connections are dead; the first request must
    get a live one, not a 503 (tests/functional/test_chaos.py). SQLAlchemy's ``pool_pre_ping``
    pings on every checkout: a round trip per request on a busy hub (#13). Here every checkout is
    pinged as before, except inside `zonder_ping`: the API's request path, whose first statement
    finds a dead connection itself and starts the request over on a new pool
    (api.deps.Verzoek.begin, store.crl_staat.VerbindingVerloren)."""

    @event.listens_for(engine, "checkout")
    def _uit(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        if getattr(_ZONDER_PING, "aan", False):
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            if not dbapi_connection.autocommit:
                dbapi_connection.rollback()
        except Exception as exc:
            # The pool discards this connection and checks out (or connects) another.
            raise DisconnectionError(f"verbinding niet meer bruikbaar: {type(exc).__name__}") from exc


def maak_sessionmaker(engine: Engine, *, dagsleutels: Any = None) -> sessionmaker[Session]:
    """Sessions whose queued inbox counters (store.inboxquotum) and audit entries (store.audit)
    are written at commit, in that order; ``dagsleutels`` (a `store.dagsleutels.Dagsleutels`)
    seals and opens stored inhoud (``session.info``)."""
    from knooppunt.store import audit, inboxquotum

    factory = sessionmaker(bind=engine, expire_on_commit=False, info={"dagsleutels": dagsleutels})
    inboxquotum.koppel(factory)
    audit.koppel(factory)
    return factory


@contextmanager
def transactie(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error. Services never commit."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


WEDLOOP_CODES = frozenset({"40P01", "40001"})
"""PostgreSQL's deadlock_detected and serialization_failure: the statement lost a race and the
same work, done again, succeeds."""


def is_wedloop(fout: DBAPIError) -> bool:
    """Whether a database error is a lost race (deadlock or serialisation failure) worth a retry."""
    return getattr(fout.orig, "sqlstate", None) in WEDLOOP_CODES


@contextmanager
def leesverbinding(engine: Engine, *, momentopname: bool = False) -> Iterator[Connection]:
    """A read-only connection that blocks no writer (SQLite: a deferred BEGIN instead of the
    writers' BEGIN IMMEDIATE). ``momentopname``: one consistent view for as long as it is open
    (PostgreSQL REPEATABLE READ; a SQLite read transaction in WAL mode is one already)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            if momentopname:
                conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        else:
            conn.execution_options(knooppunt_alleen_lezen=True)
        with conn.begin():
            yield conn


# The database clock's expression per dialect; other statements may select it as their first column
# (store.crl_staat.nu_en_versie), so that a request reads the clock and more in one round trip.
NU_SQL = {
    "sqlite": "strftime('%Y-%m-%d %H:%M:%f', 'now')",
    "postgresql": "statement_timestamp()",
}
_NU = {dialect: text(f"SELECT {sql}") for dialect, sql in NU_SQL.items()}


def als_moment(waarde: object, dialect: str) -> datetime:
    """The value of NU_SQL as an aware UTC datetime."""
    if dialect == "sqlite":
        return datetime.fromisoformat(str(waarde)).replace(tzinfo=UTC)
    assert isinstance(waarde, datetime)
    return waarde.astimezone(UTC)


def db_nu(session: Session | Connection) -> datetime:
    """The database clock (DESIGN §4: all times come from the database)."""
    dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
    naam = "sqlite" if dialect.name == "sqlite" else "postgresql"
    return als_moment(session.execute(_NU[naam]).scalar_one(), naam)


def database_bereikbaar(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


class Vast:
    """A Core statement built once and compiled once per dialect to the driver's own SQL (#13 item 2:
    the hot path's statements). SQLAlchemy would otherwise build the construct and compute its
    cache key on every request, which for the submit's UNION of facts costs more CPU than
    PostgreSQL spends on it. Bind parameters are named with `bindparam`; their bind processors
    (e.g. `UTCDateTime`) still apply; no expanding IN lists (write a constant list as `literal`
    values).

    On PostgreSQL the statement runs on the session's own psycopg connection (in its transaction),
    rows as named tuples straight from psycopg: no SQLAlchemy result object, whose column metadata
    (and psycopg's `Cursor.description` it reads) cost more per execution than the rows (#13: a
    sixth of a submit's server CPU). Result columns come as psycopg gives them (timestamptz is an
    aware datetime already). A driver error is raised as SQLAlchemy's (`DBAPIError.instance`, the
    connection invalidated when it is gone), as `Connection.execute` would, so callers' handling
    of lost races and lost connections is unchanged. SQLite, in-process, executes the built
    statement the usual way."""

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._gecompileerd: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {}

    def voor_driver(self, dialect: Dialect, waarden: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The statement as the driver takes it (compiled once per dialect) and its parameters,
        the bind processors applied."""
        vorm = self._gecompileerd.get(dialect.name)
        if vorm is None:
            compiled = self.statement.compile(dialect=dialect)
            assert compiled.positiontup is None, "psycopg takes named parameters (pyformat)"
            vorm = (str(compiled), dict(compiled.params), dict(compiled._bind_processors))
            self._gecompileerd[dialect.name] = vorm
        sql, standaard, verwerkers = vorm
        alle = {**standaard, **waarden}
        for naam, verwerk in verwerkers.items():
            if naam in alle and callable(verwerk):
                alle[naam] = verwerk(alle[naam])
        return sql, alle

    async def voer_uit_async(
        self, conn: psycopg.AsyncConnection[Any], dialect: Dialect, waarden: dict[str, Any]
    ) -> list[Any]:
        """All rows of the statement on an asyncio psycopg connection (PostgreSQL only: the hot
        submit on the event loop, api/lus.py), in its transaction; driver errors as psycopg raises
        them."""
        sql, alle = self.voor_driver(dialect, waarden)
        async with conn.cursor(row_factory=namedtuple_row) as cursor:
            await cursor.execute(sql, alle)
            return await cursor.fetchall() if cursor.pgresult is not None and cursor.pgresult.ntuples else []

    def voer_uit(self, conn: Connection, waarden: dict[str, Any]) -> list[Any]:
        """All rows of the statement (attribute access by column name)."""
        dialect = conn.dialect
        if dialect.name != "postgresql":
            return list(conn.execute(self.statement, waarden).all())
        sql, alle = self.voor_driver(dialect, waarden)
        driver = conn.connection.driver_connection
        assert driver is not None
        try:
            with driver.cursor(row_factory=namedtuple_row) as cursor:
                cursor.execute(sql, alle)
                return cursor.fetchall() if cursor.pgresult is not None and cursor.pgresult.ntuples else []
        except dialect.loaded_dbapi.Error as exc:
            weg = dialect.is_disconnect(exc, driver, None)
            if weg:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                sql, alle, exc, dialect.loaded_dbapi.Error, connection_invalidated=weg, dialect=dialect
            ) from exc
