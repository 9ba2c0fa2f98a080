"""The CRL state shared by all hub nodes (DESIGN §5): per trust anchor the newest CRL any node
loaded, replaced only by a newer one in one conditional statement, and a version that every
request reads in its first statement.

One row more, ``uitgever`` = ``ADRESBOEK`` (no trust anchor's fingerprint: those are 64 hex digits),
holds no CRL: its ``versie`` counts the changes to the adresboek that bear on authentication, so
that the same first statement tells a node whether the certificates it verified before still stand
(api.auth's cache; docs/decisions/0021-authenticatie-cache.md).

Newer means a higher CRL number, or the same number with a later thisUpdate. ``crl_nummer`` is
stored as 49 zero-padded decimal digits (RFC 5280 allows 20 octets), so comparing the text in SQL
compares the numbers, on PostgreSQL and SQLite alike and in any collation (digits only).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Connection, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from knooppunt.store.db import NU_SQL, als_moment
from knooppunt.store.models import CrlStaat

NUMMER_CIJFERS = 49  # 2**160 - 1, the largest CRL number RFC 5280 allows, has 49 digits


def nummer_tekst(nummer: int) -> str:
    if not 0 <= nummer < 2**160:
        raise ValueError(f"CRL-nummer {nummer} valt buiten 0 .. 2**160-1 (RFC 5280)")
    return f"{nummer:0{NUMMER_CIJFERS}d}"


# The key of the adresboek's version row.
ADRESBOEK = "adresboek"

# The request's first statement: the database clock, the sum of the CRL rows' versions and the
# adresboek's version. Every change adds one to a row's versie (a new row starts at 1) and rows are
# never deleted by the hub, so the sum grows with every change; a tiny table (one row per trust
# anchor, and the adresboek's) read whole. (Text, not a Core select: this runs in every request,
# and a text statement costs the least.)
_VERSIES = (
    "(SELECT CAST(coalesce(sum(versie), 0) AS BIGINT) FROM crl_staat WHERE uitgever <> :adresboek), "
    "coalesce((SELECT versie FROM crl_staat WHERE uitgever = :adresboek), 0)"
)
_NU_EN_VERSIE = {
    dialect: text("SELECT " + sql + ", " + _VERSIES).bindparams(adresboek=ADRESBOEK)
    for dialect, sql in NU_SQL.items()
}


def nu_en_versie(session: Session) -> tuple[datetime, int, int]:
    """The database clock, the version of the shared CRL state and the adresboek's version, in one
    statement. On PostgreSQL, when it opens the transaction, it goes out in one round trip with the
    BEGIN (psycopg's pipeline mode: both queued, one Sync), not two (#13: a request's first
    statement)."""
    dialect = "sqlite" if session.get_bind().dialect.name == "sqlite" else "postgresql"
    if dialect == "postgresql":
        conn = session.connection()
        dbapi = conn.connection.driver_connection
        if dbapi is not None and dbapi.info.transaction_status == _IDLE:
            sql, params = _gecompileerd(conn)
            try:
                cursor = dbapi.cursor()
                with dbapi.pipeline():
                    cursor.execute(sql, params)
                moment, crl_versie, adresboek_versie = cursor.fetchone()
                cursor.close()
            except psycopg.OperationalError as exc:
                if not dbapi.broken and not dbapi.closed:
                    raise
                # The server went away (a restart): this connection is dead and so, most likely,
                # is every other one the pool holds. Discarded here; the caller may start over.
                conn.invalidate(exc)
                raise VerbindingVerloren(str(exc)) from exc
            return als_moment(moment, dialect), int(crl_versie), int(adresboek_versie)
    moment, crl_versie, adresboek_versie = session.execute(_NU_EN_VERSIE[dialect]).one()
    return als_moment(moment, dialect), int(crl_versie), int(adresboek_versie)


class VerbindingVerloren(Exception):
    """The request's first statement found its pooled connection dead (PostgreSQL restarted);
    nothing of the request has happened yet, so it can start over on a new connection."""


_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open on the connection
_PG_SQL: dict[str, tuple[str, dict[str, Any]]] = {}


def _gecompileerd(conn: Any) -> tuple[str, dict[str, Any]]:
    """The PostgreSQL statement of `nu_en_versie` as psycopg takes it, compiled once."""
    return voor_driver(conn.dialect)


def voor_driver(dialect: Any) -> tuple[str, dict[str, Any]]:
    """`nu_en_versie`'s statement on PostgreSQL as psycopg takes it, compiled once, and its
    parameters (also for the hot submit on the event loop, api/lus.py). Its row: the clock (an
    aware datetime), the CRL state's version, the adresboek's version."""
    gecompileerd = _PG_SQL.get("nu_en_versie")
    if gecompileerd is None:
        compiled = _NU_EN_VERSIE["postgresql"].compile(dialect=dialect)
        gecompileerd = _PG_SQL["nu_en_versie"] = (str(compiled), dict(compiled.params))
    return gecompileerd


async def nu_en_versie_async(
    conn: psycopg.AsyncConnection[Any], dialect: Any, *, begin: bool = True
) -> tuple[datetime, int, int]:
    """`nu_en_versie` on an asyncio connection in autocommit mode (store.db.verbind_async),
    opening a transaction (``begin``: ``BEGIN`` and the statement as one simple query, one round
    trip) or as a statement of its own."""
    async with conn.cursor() as cursor:
        if begin:
            await cursor.execute(_begin_en_nu_en_versie(dialect))
            cursor.nextset()
        else:
            await cursor.execute(*voor_driver(dialect))
        rij = await cursor.fetchone()
    assert rij is not None
    return als_moment(rij[0], "postgresql"), int(rij[1]), int(rij[2])


def _begin_en_nu_en_versie(dialect: Any) -> bytes:
    """``BEGIN; `` and `nu_en_versie`'s statement with its one (constant) parameter written in: no
    parameters, so psycopg sends both in one simple query."""
    gecompileerd = _PG_SQL.get("begin_nu_en_versie")
    if gecompileerd is None:
        sql = _NU_EN_VERSIE["postgresql"].compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        gecompileerd = _PG_SQL["begin_nu_en_versie"] = ("BEGIN; " + str(sql), {})
    return gecompileerd[0].encode()


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def adresboek_gewijzigd(session: Session, *, nu: datetime) -> None:
    """Count a change to the adresboek that bears on authentication, in the caller's transaction: one
    upsert of the adresboek's row (PostgreSQL holds its row lock to the commit, so such changes
    take turns; nodes read the new version only once it is committed)."""
    invoegen = _insert(session)(CrlStaat).values(
        uitgever=ADRESBOEK,
        uitgever_naam="adresboek: telt de wijzigingen die de authenticatie raken (geen CRL)",
        crl_nummer=nummer_tekst(0),
        deze_update=nu,
        volgende_update=nu,
        der=b"",
        versie=1,
        bijgewerkt_op=nu,
    )
    session.execute(
        invoegen.on_conflict_do_update(
            index_elements=[CrlStaat.uitgever],
            set_={"versie": CrlStaat.versie + 1, "bijgewerkt_op": invoegen.excluded.bijgewerkt_op},
        )
    )


@dataclass(frozen=True, slots=True)
class Rij:
    uitgever: str
    versie: int
    der: bytes


def versies(conn: Connection) -> dict[str, int]:
    """Per trust anchor (fingerprint) the version of its row."""
    rijen = conn.execute(select(CrlStaat.uitgever, CrlStaat.versie).where(CrlStaat.uitgever != ADRESBOEK))
    return {str(u): int(v) for u, v in rijen}


def lees(conn: Connection, uitgevers: Collection[str]) -> list[Rij]:
    """The stored CRLs (DER) of these trust anchors, with their versions."""
    if not uitgevers:
        return []
    rijen = conn.execute(
        select(CrlStaat.uitgever, CrlStaat.versie, CrlStaat.der).where(CrlStaat.uitgever.in_(uitgevers))
    )
    return [Rij(str(u), int(v), bytes(d)) for u, v, d in rijen]


@dataclass(frozen=True, slots=True)
class Gehouden:
    """The CRL held for a trust anchor when a candidate was not stored."""

    nummer: int
    deze_update: datetime


def bewaar(
    session: Session,
    *,
    uitgever: str,
    uitgever_naam: str,
    nummer: int,
    deze_update: datetime,
    volgende_update: datetime,
    der: bytes,
    nu: datetime,
) -> Gehouden | None:
    """Store this CRL if it is newer than the one held (or none is): one INSERT ... ON CONFLICT DO
    UPDATE ... WHERE (held number, held thisUpdate) < (new), atomic across nodes (PostgreSQL locks
    the conflicting row and checks the WHERE against its latest version; SQLite writers serialise
    at BEGIN IMMEDIATE). Returns None when stored, else what is held (the same or newer)."""
    insert = _insert(session)
    waarden = {
        "uitgever": uitgever,
        "uitgever_naam": uitgever_naam[:1000],
        "crl_nummer": nummer_tekst(nummer),
        "deze_update": deze_update,
        "volgende_update": volgende_update,
        "der": der,
        "versie": 1,
        "bijgewerkt_op": nu,
    }
    invoegen = insert(CrlStaat).values(waarden)
    nieuw = invoegen.excluded
    stmt = invoegen.on_conflict_do_update(
        index_elements=[CrlStaat.uitgever],
        set_={
            "uitgever_naam": nieuw.uitgever_naam,
            "crl_nummer": nieuw.crl_nummer,
            "deze_update": nieuw.deze_update,
            "volgende_update": nieuw.volgende_update,
            "der": nieuw.der,
            "versie": CrlStaat.versie + 1,
            "bijgewerkt_op": nieuw.bijgewerkt_op,
        },
        where=tuple_(CrlStaat.crl_nummer, CrlStaat.deze_update) < tuple_(nieuw.crl_nummer, nieuw.deze_update),
    ).returning(CrlStaat.versie)
    if session.execute(stmt).first() is not None:
        return None
    rij = session.execute(
        select(CrlStaat.crl_nummer, CrlStaat.deze_update).where(CrlStaat.uitgever == uitgever)
    ).one()
    return Gehouden(nummer=int(rij.crl_nummer), deze_update=rij.deze_update)
