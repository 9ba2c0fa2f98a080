"""SQL of the inbox quota (DESIGN §4): per (recipient, sender) the bytes of unconfirmed ciphertext
and the number of unconfirmed messages, kept in ``inboxbezetting`` so that a submit reads a
recipient's few rows instead of summing or counting its open messages (the quota and the
per-sender cap, ``TE_VEEL_OPEN``).

The store functions that add or delete ciphertext queue a change here (``noteer``); the changes
are written in one executemany, in key order, just before the session commits (``koppel`` hooks
``before_commit``, before the audit log's): in the same transaction as the change, and always in
the same order, so two transactions that change the same counters (an answer confirms its question
and fills the other inbox) never deadlock, and each counter row is locked only from that UPDATE to
COMMIT. ``bezetting`` adds what the session has queued, so a batch sees its own messages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from knooppunt.store.models import Inboxbezetting

_WACHTEND = "knooppunt.inboxquotum.wachtend"

Sleutel = tuple[str, str]
"""(ontvanger, afzender)"""


def noteer(session: Session, wijzigingen: Iterable[tuple[str, str, int | None]]) -> None:
    """Queue (ontvanger, afzender, bytes) changes — positive for a stored message's ciphertext,
    negative for deleted — to be written when this session commits; each also counts the message
    (+1 or -1). None (a hub notice) counts nothing."""
    wachtend: dict[Sleutel, tuple[int, int]] = session.info.setdefault(_WACHTEND, {})
    for ontvanger, afzender, grootte in wijzigingen:
        if grootte:
            sleutel = (ontvanger, afzender)
            bytes_, aantal = wachtend.get(sleutel, (0, 0))
            wachtend[sleutel] = (bytes_ + grootte, aantal + (1 if grootte > 0 else -1))


def bezetting(session: Session, *, ontvanger: str, afzender: str) -> tuple[int, int]:
    """(all senders, this sender): the bytes of unconfirmed ciphertext waiting for `ontvanger`,
    as this transaction will leave them. One indexed read of the recipient's rows (one per
    sender that has messages waiting), never a sum over its messages."""
    rij = session.execute(
        select(
            func.coalesce(func.sum(Inboxbezetting.bytes), 0),
            func.coalesce(
                func.sum(case((Inboxbezetting.afzender == afzender, Inboxbezetting.bytes), else_=0)), 0
            ),
        ).where(Inboxbezetting.ontvanger == ontvanger)
    ).one()
    totaal, eigen = int(rij[0]), int(rij[1])
    wachtend: dict[Sleutel, tuple[int, int]] = session.info.get(_WACHTEND, {})
    for (o, a), (delta, _) in wachtend.items():
        if o == ontvanger:
            totaal += delta
            if a == afzender:
                eigen += delta
    return totaal, eigen


def wachtend(session: Session, *, ontvanger: str, afzender: str) -> tuple[int, int, int]:
    """What this session queued and has not written: (this sender's bytes, its number of
    messages, all senders' bytes) for `ontvanger`."""
    wachtend_: dict[Sleutel, tuple[int, int]] = session.info.get(_WACHTEND, {})
    if not wachtend_:
        return 0, 0, 0
    eigen_bytes, eigen_aantal = wachtend_.get((ontvanger, afzender), (0, 0))
    totaal = sum(delta for (o, _), (delta, _) in wachtend_.items() if o == ontvanger)
    return eigen_bytes, eigen_aantal, totaal


def aantal_open(session: Session, *, ontvanger: str, afzender: str) -> int:
    """How many messages of `afzender` wait unconfirmed for `ontvanger`, as this transaction will
    leave them: one primary-key read of the counter, never a count of messages."""
    aantal = int(
        session.scalar(
            select(Inboxbezetting.aantal).where(
                Inboxbezetting.ontvanger == ontvanger, Inboxbezetting.afzender == afzender
            )
        )
        or 0
    )
    wachtend: dict[Sleutel, tuple[int, int]] = session.info.get(_WACHTEND, {})
    return aantal + wachtend.get((ontvanger, afzender), (0, 0))[1]


def aantallen_per_afzender(session: Session, ontvanger: str) -> dict[str, int]:
    """The committed message counters of one recipient, by sender (operators, tests)."""
    return {
        str(a): int(n)
        for a, n in session.execute(
            select(Inboxbezetting.afzender, Inboxbezetting.aantal).where(
                Inboxbezetting.ontvanger == ontvanger
            )
        )
    }


def per_afzender(session: Session, ontvanger: str) -> dict[str, int]:
    """The committed counters of one recipient, by sender (operators, tests)."""
    return {
        str(a): int(b)
        for a, b in session.execute(
            select(Inboxbezetting.afzender, Inboxbezetting.bytes).where(Inboxbezetting.ontvanger == ontvanger)
        )
    }


def totalen(conn: Connection) -> tuple[int, int]:
    """(all unconfirmed ciphertext, that of the fullest inbox) in bytes, for /metrics: two
    aggregates over the counters (one row per recipient and sender), never over messages."""
    per_ontvanger = (
        select(func.sum(Inboxbezetting.bytes).label("bytes")).group_by(Inboxbezetting.ontvanger).subquery()
    )
    rij = conn.execute(
        select(
            func.coalesce(func.sum(per_ontvanger.c.bytes), 0),
            func.coalesce(func.max(per_ontvanger.c.bytes), 0),
        )
    ).one()
    return int(rij[0]), int(rij[1])


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def _schrijf_wachtende(session: Session) -> None:
    wachtend: dict[Sleutel, tuple[int, int]] | None = session.info.pop(_WACHTEND, None)
    if not wachtend:
        return
    rijen = [
        {"ontvanger": o, "afzender": a, "bytes": delta, "aantal": aantal}
        for (o, a), (delta, aantal) in sorted(wachtend.items())
        if delta != 0 or aantal != 0
    ]
    if not rijen:
        return
    stmt = _insert(session)(Inboxbezetting)
    session.connection().execute(
        stmt.on_conflict_do_update(
            index_elements=[Inboxbezetting.ontvanger, Inboxbezetting.afzender],
            set_={
                "bytes": Inboxbezetting.bytes + stmt.excluded.bytes,
                "aantal": Inboxbezetting.aantal + stmt.excluded.aantal,
            },
        ),
        rijen,
    )


def _vergeet_wachtende(session: Session, transactie: SessionTransaction) -> None:
    # Rolled back (or committed and already written): nothing queued survives the transaction.
    if transactie.parent is None:
        session.info.pop(_WACHTEND, None)


def koppel(factory: sessionmaker[Session]) -> None:
    """Write queued counter changes at commit for every session this factory makes. Call before
    the audit log's ``koppel``: the counters' row locks come before its global lock."""
    from sqlalchemy import event

    event.listen(factory, "before_commit", _schrijf_wachtende)
    event.listen(factory, "after_transaction_end", _vergeet_wachtende)
