"""SQL of the audit log (DESIGN §5): the canonical hash, the gapless append under a lock, reading
the chain, the anchor and the retention purge. The rules (what is recorded, what verify reports)
live in hub.audit.

Entries are queued on the session (``noteer``) by the hub while it works, and written in one
INSERT (one executemany) just before the session commits (``koppel`` hooks ``before_commit``): in the
same transaction as the action, so a rolled-back action leaves no entry and a committed one
always has its entry; and as the last thing the transaction does, so the lock that keeps the
chain linear is held only from that INSERT to COMMIT.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, text
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from knooppunt.store.models import Auditanker, Auditregel

GENESIS = "0" * 64
# The fields the hash covers, in the order of the model (the serialization sorts keys anyway).
VELDEN = (
    "volgnummer",
    "tijd",
    "actor",
    "actie",
    "berichttype",
    "module",
    "afzender",
    "ontvanger",
    "referentienummer",
    "deelnemer",
    "certificaat",
    "uitkomst",
    "vorige_hash",
)
# PostgreSQL advisory lock keys: one appender at a time ("KNPA"), one purger at a time ("KNPO").
_SLOT_TOEVOEGEN = 0x4B4E5041
_SLOT_OPSCHONEN = 0x4B4E504F
_WACHTEND = "knooppunt.audit.wachtend"


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def tijd_tekst(moment: datetime) -> str:
    """The one textual form of ``tijd`` in the hash: UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_CANONIEK = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def bereken_hash(regel: Mapping[str, Any], *, tijd: str | None = None) -> str:
    """SHA-256 (hex) over the canonical JSON of an entry: its VELDEN, keys sorted, no spaces.
    ``tijd``: the entry's ``tijd_tekst`` when the caller already has it (a batch shares one)."""
    canoniek = {veld: regel.get(veld) for veld in VELDEN}
    canoniek["tijd"] = tijd if tijd is not None else tijd_tekst(regel["tijd"])
    return hashlib.sha256(_CANONIEK.encode(canoniek).encode("utf-8")).hexdigest()


# --- appending ----------------------------------------------------------------------------------


def noteer(session: Session, regels: Sequence[Mapping[str, Any]]) -> None:
    """Queue entries (without volgnummer and hashes) to be written when this session commits."""
    session.info.setdefault(_WACHTEND, []).extend(regels)


def _schrijf_wachtende(session: Session) -> None:
    regels: list[Mapping[str, Any]] | None = session.info.pop(_WACHTEND, None)
    if regels:
        voeg_toe(session, regels)


def _vergeet_wachtende(session: Session, transactie: SessionTransaction) -> None:
    # Rolled back (or committed and already written): nothing queued survives the transaction.
    if transactie.parent is None:
        session.info.pop(_WACHTEND, None)


def koppel(factory: sessionmaker[Session]) -> None:
    """Write queued entries at commit for every session this factory makes."""
    from sqlalchemy import event

    event.listen(factory, "before_commit", _schrijf_wachtende)
    event.listen(factory, "after_transaction_end", _vergeet_wachtende)


def _kop(conn: Connection) -> tuple[int, str]:
    """(volgnummer, hash) of the newest entry; the anchor's after a full purge; else genesis."""
    rij = conn.execute(_KOP).first()
    if rij is not None:
        return int(rij[0]), str(rij[1])
    anker = conn.execute(select(Auditanker.volgnummer, Auditanker.hash)).first()
    if anker is not None:
        return int(anker[0]), str(anker[1])
    return 0, GENESIS


_KOP = select(Auditregel.volgnummer, Auditregel.hash).order_by(Auditregel.volgnummer.desc()).limit(1)
_SLOT = text("SELECT pg_advisory_xact_lock(:k)")
_INSERT = insert(Auditregel)


def voeg_toe(session: Session, regels: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Append entries now, in this transaction, in one executemany. The lock (PostgreSQL: a
    transaction-scoped advisory lock; SQLite: every write transaction is BEGIN IMMEDIATE) is held
    until commit, so volgnummers stay gapless and the chain linear across hub processes. Core
    statements on the session's connection: this runs in every writing request."""
    if not regels:
        return []
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(_SLOT, {"k": _SLOT_TOEVOEGEN})
    volgnummer, vorige = _kop(conn)
    rijen: list[dict[str, Any]] = []
    teksten: dict[datetime, str] = {}  # the entries of one action share their moment
    for regel in regels:
        volgnummer += 1
        rij = {veld: regel.get(veld) for veld in VELDEN}
        rij.update(volgnummer=volgnummer, vorige_hash=vorige, tijd=regel["tijd"])
        moment: datetime = regel["tijd"]
        tijd = teksten.get(moment)
        if tijd is None:
            tijd = teksten[moment] = tijd_tekst(moment)
        rij["hash"] = vorige = bereken_hash(rij, tijd=tijd)
        rijen.append(rij)
    if conn.dialect.name == "postgresql" and len(rijen) > _COPY_VANAF:
        # Large batches (an expiry sweep, a page of confirmations): COPY, one stream the server
        # loads without parsing a statement per row.
        _kopieer(conn, rijen)
        return rijen
    # One executemany: psycopg 3 pipelines it (all rows in one round trip), SQLite runs it in C.
    # Measured cheaper in CPU than a multi-row VALUES with RETURNING (insertmanyvalues), whose
    # result rows must be processed, or than .values([...]), whose compilation is not cached.
    conn.execute(_INSERT, rijen)
    return rijen


_COPY_VANAF = 200
_COPY_KOLOMMEN = (*VELDEN, "hash")


def _kopieer(conn: Connection, rijen: Sequence[Mapping[str, Any]]) -> None:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    sql = f"COPY auditregels ({', '.join(_COPY_KOLOMMEN)}) FROM STDIN"
    with cursor.copy(sql) as kopie:
        for rij in rijen:
            kopie.write_row([rij.get(k) for k in _COPY_KOLOMMEN])


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Anker:
    volgnummer: int
    hash: str
    tijd: datetime


def anker(conn: Connection | Session) -> Anker | None:
    rij = conn.execute(select(Auditanker.volgnummer, Auditanker.hash, Auditanker.tijd)).first()
    return None if rij is None else Anker(int(rij[0]), str(rij[1]), rij[2])


def regels(conn: Connection, *, vanaf: int = 0, batch: int = 10_000) -> Iterator[dict[str, Any]]:
    """Every entry with volgnummer > ``vanaf`` in volgnummer order, fetched in keyset batches."""
    kolommen = [getattr(Auditregel, veld) for veld in (*VELDEN, "hash")]
    while True:
        rijen = conn.execute(
            select(*kolommen)
            .where(Auditregel.volgnummer > vanaf)
            .order_by(Auditregel.volgnummer)
            .limit(batch)
        ).all()
        for rij in rijen:
            yield dict(rij._mapping)
        if len(rijen) < batch:
            return
        vanaf = int(rijen[-1][0])


def kop(conn: Connection | Session) -> dict[str, Any] | None:
    """The newest entry's volgnummer, hash and tijd, or None when the log is empty."""
    rij = conn.execute(
        select(Auditregel.volgnummer, Auditregel.hash, Auditregel.tijd)
        .order_by(Auditregel.volgnummer.desc())
        .limit(1)
    ).first()
    return None if rij is None else dict(rij._mapping)


# --- retention ----------------------------------------------------------------------------------


def vergrendel_opschonen(session: Session) -> None:
    """One purger at a time (PostgreSQL; SQLite writers are serialised already)."""
    if _is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SLOT_OPSCHONEN})


def oudste(session: Session, *, limiet: int) -> list[tuple[int, str, datetime]]:
    """(volgnummer, hash, tijd) of the oldest entries, oldest first."""
    return [
        (int(r[0]), str(r[1]), r[2])
        for r in session.execute(
            select(Auditregel.volgnummer, Auditregel.hash, Auditregel.tijd)
            .order_by(Auditregel.volgnummer)
            .limit(limiet)
        ).all()
    ]


def schuif_anker_op(session: Session, *, tot_en_met: tuple[int, str, datetime], nu: datetime) -> int:
    """Delete every entry up to and including ``tot_en_met`` and make it the anchor; returns the
    number deleted."""
    volgnummer, hash_, tijd = tot_en_met
    resultaat = session.execute(
        delete(Auditregel)
        .where(Auditregel.volgnummer <= volgnummer)
        .execution_options(synchronize_session=False)
    )
    bestaand = session.get(Auditanker, 1)
    if bestaand is None:
        session.add(Auditanker(id=1, volgnummer=volgnummer, hash=hash_, tijd=tijd, opgeschoond_op=nu))
    else:
        bestaand.volgnummer, bestaand.hash, bestaand.tijd, bestaand.opgeschoond_op = (
            volgnummer,
            hash_,
            tijd,
            nu,
        )
    session.flush()
    return int(resultaat.rowcount)  # type: ignore[attr-defined]
