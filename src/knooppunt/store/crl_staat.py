"""The CRL state shared by all hub nodes (DESIGN §5): per trust anchor the newest CRL any node
loaded, replaced only by a newer one in one conditional statement, and a version that every
request reads in its first statement.

Newer means a higher CRL number, or the same number with a later thisUpdate. ``crl_nummer`` is
stored as 49 zero-padded decimal digits (RFC 5280 allows 20 octets), so comparing the text in SQL
compares the numbers, on PostgreSQL and SQLite alike and in any collation (digits only).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

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


# The request's first statement: the database clock and the sum of the rows' versions. Every
# change adds one to a row's versie (a new row starts at 1) and rows are never deleted by the
# hub, so the sum grows with every change; a tiny table (one row per trust anchor) read whole.
# (Text, not a Core select: this runs in every request, and a text statement costs the least.)
_VERSIE = "(SELECT CAST(coalesce(sum(versie), 0) AS BIGINT) FROM crl_staat)"
_NU_EN_VERSIE = {dialect: text("SELECT " + sql + ", " + _VERSIE) for dialect, sql in NU_SQL.items()}


def nu_en_versie(session: Session) -> tuple[datetime, int]:
    """The database clock and the version of the shared CRL state, in one statement."""
    dialect = "sqlite" if session.get_bind().dialect.name == "sqlite" else "postgresql"
    moment, versie = session.execute(_NU_EN_VERSIE[dialect]).one()
    return als_moment(moment, dialect), int(versie)


@dataclass(frozen=True, slots=True)
class Rij:
    uitgever: str
    versie: int
    der: bytes


def versies(conn: Connection) -> dict[str, int]:
    """Per trust anchor (fingerprint) the version of its row."""
    return {str(u): int(v) for u, v in conn.execute(select(CrlStaat.uitgever, CrlStaat.versie))}


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
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
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
