"""SQL of the audit log (DESIGN §5): the canonical leaf, the append without a lock, the sequencer's
statements, reading entries and tree heads, the anchor and the retention purge. The rules (what is
recorded, the sequencer, what verify reports) live in hub.audit and hub.sequencer.

Entries are queued on the session (``noteer``) by the hub while it works, and written in one
INSERT (one executemany, or COPY for large batches) just before the session commits (``koppel``
hooks ``before_commit``): in the same transaction as the action, so a rolled-back action leaves no
entry and a committed one always has its entry. No lock is taken: an entry gets an ``id`` from the
sequence and waits, ``volgnummer`` NULL, for the sequencer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, text, update
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from knooppunt.store.models import Auditanker, Auditkop, Auditregel

# The fields a leaf covers: everything the entry says, not where or when it was sequenced.
VELDEN = (
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
)
# PostgreSQL advisory lock keys: one sequencer at a time ("KNPS"), one purger at a time ("KNPO").
_SLOT_SEQUENCER = 0x4B4E5053
_SLOT_OPSCHONEN = 0x4B4E504F
_WACHTEND = "knooppunt.audit.wachtend"


def _is_postgresql(session: Session | Connection) -> bool:
    bind = session if isinstance(session, Connection) else session.get_bind()
    return bind.dialect.name == "postgresql"


def tijd_tekst(moment: datetime) -> str:
    """The one textual form of ``tijd`` in a leaf: UTC, microseconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_CANONIEK = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canoniek(regel: Mapping[str, Any]) -> bytes:
    """The entry's bytes in the tree: canonical JSON of its VELDEN (keys sorted, no spaces, UTF-8)."""
    velden = {veld: regel.get(veld) for veld in VELDEN}
    velden["tijd"] = tijd_tekst(regel["tijd"])
    return _CANONIEK.encode(velden).encode("utf-8")


# --- appending ----------------------------------------------------------------------------------


def noteer(session: Session, regels: Sequence[Mapping[str, Any]]) -> None:
    """Queue entries to be written when this session commits."""
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


_INSERT = insert(Auditregel)


def voeg_toe(session: Session, regels: Sequence[Mapping[str, Any]]) -> None:
    """Insert entries now, in this transaction, without any lock: the sequencer numbers and hashes
    them after they commit. Core statements on the session's connection: this runs in every
    writing request."""
    if not regels:
        return
    conn = session.connection()
    rijen = [{veld: regel.get(veld) for veld in VELDEN} for regel in regels]
    if conn.dialect.name == "postgresql" and len(rijen) > _COPY_VANAF:
        # Large batches (an expiry sweep, a page of confirmations): COPY, one stream the server
        # loads without parsing a statement per row.
        _kopieer(conn, rijen)
        return
    # One executemany: psycopg 3 pipelines it (all rows in one round trip), SQLite runs it in C.
    conn.execute(_INSERT, rijen)


_COPY_VANAF = 200


def _kopieer(conn: Connection, rijen: Sequence[Mapping[str, Any]]) -> None:
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    sql = f"COPY auditregels ({', '.join(VELDEN)}) FROM STDIN"
    with cursor.copy(sql) as kopie:
        for rij in rijen:
            kopie.write_row([rij.get(k) for k in VELDEN])


# --- the sequencer ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Kop:
    """A stored tree head."""

    grootte: int
    wortel: str
    rand: str
    tijd: datetime
    checkpoint: str


def vergrendel_sequencer(session: Session) -> None:
    """One sequencer at a time: a transaction-scoped advisory lock on PostgreSQL (released by
    COMMIT, ROLLBACK or a dead connection); SQLite write transactions are BEGIN IMMEDIATE already.
    Inserting entries never takes it."""
    if _is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SLOT_SEQUENCER})


_KOP_KOLOMMEN = (Auditkop.grootte, Auditkop.wortel, Auditkop.rand, Auditkop.tijd, Auditkop.checkpoint)


def nieuwste_kop(conn: Session | Connection) -> Kop | None:
    rij = conn.execute(select(*_KOP_KOLOMMEN).order_by(Auditkop.grootte.desc()).limit(1)).first()
    return None if rij is None else Kop(int(rij[0]), str(rij[1]), str(rij[2]), rij[3], str(rij[4]))


_REGEL_KOLOMMEN = [getattr(Auditregel, veld) for veld in VELDEN]


def ongesequenceerd(session: Session, *, limiet: int) -> list[dict[str, Any]]:
    """The oldest committed entries without volgnummer, in id order (this transaction sees only
    committed rows: an entry whose transaction is still open is picked up by a later run)."""
    rijen = session.execute(
        select(Auditregel.id, *_REGEL_KOLOMMEN)
        .where(Auditregel.volgnummer.is_(None))
        .order_by(Auditregel.id)
        .limit(limiet)
    ).all()
    return [dict(rij._mapping) for rij in rijen]


_KEN_TOE = (
    update(Auditregel)
    .where(Auditregel.id == bindparam("b_id"), Auditregel.volgnummer.is_(None))
    .values(volgnummer=bindparam("b_volgnummer"), hash=bindparam("b_hash"))
)


def ken_toe(session: Session, toewijzingen: Sequence[tuple[int, int, str]]) -> None:
    """Give entries (id, volgnummer, leaf hash). Only an entry still without volgnummer changes;
    RuntimeError (and so a rollback) when any already had one: then another sequencer ran without
    the lock, and nothing of this run may stay."""
    conn = session.connection()
    resultaat = conn.execute(
        _KEN_TOE, [{"b_id": i, "b_volgnummer": v, "b_hash": h} for i, v, h in toewijzingen]
    )
    if resultaat.rowcount not in (-1, len(toewijzingen)):
        raise RuntimeError(
            f"sequencer: {len(toewijzingen) - resultaat.rowcount} auditregels hadden al een volgnummer"
        )


def voeg_kop_toe(session: Session, kop: Kop) -> None:
    session.connection().execute(
        insert(Auditkop).values(
            grootte=kop.grootte, wortel=kop.wortel, rand=kop.rand, tijd=kop.tijd, checkpoint=kop.checkpoint
        )
    )


def wachtend(conn: Session | Connection) -> tuple[int, datetime | None]:
    """(number of entries without volgnummer, the oldest one's ingevoegd_op)."""
    rij = conn.execute(
        select(func.count(), func.min(Auditregel.ingevoegd_op)).where(Auditregel.volgnummer.is_(None))
    ).one()
    oudste = rij[1]
    if isinstance(oudste, str):  # SQLite: an aggregate loses the column's type
        oudste = datetime.fromisoformat(oudste)
    if oudste is not None and oudste.tzinfo is None:
        oudste = oudste.replace(tzinfo=UTC)
    return int(rij[0]), oudste


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Anker:
    volgnummer: int
    hash: str
    rand: str
    tijd: datetime


def anker(conn: Connection | Session) -> Anker | None:
    rij = conn.execute(
        select(Auditanker.volgnummer, Auditanker.hash, Auditanker.rand, Auditanker.tijd)
    ).first()
    return None if rij is None else Anker(int(rij[0]), str(rij[1]), str(rij[2]), rij[3])


def regels(conn: Connection | Session, *, vanaf: int = 0, batch: int = 10_000) -> Iterator[dict[str, Any]]:
    """Every sequenced entry with volgnummer > ``vanaf`` in volgnummer order, in keyset batches."""
    while True:
        rijen = conn.execute(
            select(Auditregel.volgnummer, Auditregel.hash, *_REGEL_KOLOMMEN)
            .where(Auditregel.volgnummer > vanaf)
            .order_by(Auditregel.volgnummer)
            .limit(batch)
        ).all()
        for rij in rijen:
            yield dict(rij._mapping)
        if len(rijen) < batch:
            return
        vanaf = int(rijen[-1][0])


def lijst(
    conn: Connection | Session,
    *,
    vanaf: datetime | None = None,
    tot: datetime | None = None,
    actie: str | None = None,
    limiet: int = 100,
) -> list[dict[str, Any]]:
    """The newest ``limiet`` entries, sequenced or not, with ``vanaf <= tijd < tot`` and this
    ``actie``, as stored (with volgnummer and hash, None while waiting for the sequencer) and in the
    order they were written, newest last. Walks the primary key back from the newest entry, so a
    recent window is quick however long the log is."""
    query = select(Auditregel.volgnummer, Auditregel.hash, *_REGEL_KOLOMMEN)
    if vanaf is not None:
        query = query.where(Auditregel.tijd >= vanaf)
    if tot is not None:
        query = query.where(Auditregel.tijd < tot)
    if actie is not None:
        query = query.where(Auditregel.actie == actie)
    rijen = conn.execute(query.order_by(Auditregel.id.desc()).limit(limiet)).all()
    return [dict(rij._mapping) for rij in reversed(rijen)]


def koppen(conn: Connection, *, batch: int = 1_000) -> Iterator[Kop]:
    """Every stored tree head, smallest first."""
    vanaf = -1
    while True:
        rijen = conn.execute(
            select(*_KOP_KOLOMMEN).where(Auditkop.grootte > vanaf).order_by(Auditkop.grootte).limit(batch)
        ).all()
        for rij in rijen:
            yield Kop(int(rij[0]), str(rij[1]), str(rij[2]), rij[3], str(rij[4]))
        if len(rijen) < batch:
            return
        vanaf = int(rijen[-1][0])


# --- retention ----------------------------------------------------------------------------------


def vergrendel_opschonen(session: Session) -> None:
    """One purger at a time (PostgreSQL; SQLite writers are serialised already)."""
    if _is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SLOT_OPSCHONEN})


def oudste(session: Session, *, limiet: int) -> list[dict[str, Any]]:
    """The oldest sequenced entries (volgnummer, tijd and the leaf's fields), oldest first."""
    rijen = session.execute(
        select(Auditregel.volgnummer, *_REGEL_KOLOMMEN)
        .where(Auditregel.volgnummer.is_not(None))
        .order_by(Auditregel.volgnummer)
        .limit(limiet)
    ).all()
    return [dict(rij._mapping) for rij in rijen]


def koppen_tot(session: Session, *, tot_en_met: int) -> dict[int, str]:
    """{grootte: wortel} of the stored heads up to a size."""
    rijen = session.execute(
        select(Auditkop.grootte, Auditkop.wortel).where(Auditkop.grootte <= tot_en_met)
    ).all()
    return {int(r[0]): str(r[1]) for r in rijen}


def schuif_anker_op(
    session: Session, *, volgnummer: int, wortel: str, rand: str, tijd: datetime, nu: datetime
) -> int:
    """Delete every entry up to and including ``volgnummer`` and the heads of smaller trees, and
    make their compact range the anchor; returns the number of entries deleted."""
    resultaat = session.execute(
        delete(Auditregel)
        .where(Auditregel.volgnummer <= volgnummer)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Auditkop).where(Auditkop.grootte < volgnummer).execution_options(synchronize_session=False)
    )
    bestaand = session.get(Auditanker, 1)
    if bestaand is None:
        session.add(
            Auditanker(id=1, volgnummer=volgnummer, hash=wortel, rand=rand, tijd=tijd, opgeschoond_op=nu)
        )
    else:
        bestaand.volgnummer, bestaand.hash, bestaand.rand = volgnummer, wortel, rand
        bestaand.tijd, bestaand.opgeschoond_op = tijd, nu
    session.flush()
    return int(resultaat.rowcount)  # type: ignore[attr-defined]
