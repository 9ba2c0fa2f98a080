"""The audit log's jobs (DESIGN §5, §6): the sequencer, which numbers committed entries and signs
the Merkle tree over them, and the retention purge, which deletes entries older than
KNOOPPUNT_AUDIT_BEWAARTERMIJN_DAGEN behind an anchor that keeps the rest verifiable. Both are
idempotent; on several nodes they take turns (advisory locks)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from knooppunt import metrics
from knooppunt.hub import audit, sequencer
from knooppunt.hub.notitie import Ondertekenaar
from knooppunt.store import audit as audit_store
from knooppunt.store.db import db_nu, leesverbinding, transactie

log = structlog.get_logger("knooppunt.jobs.audit")


def schoon_op(
    factory: sessionmaker[Session], *, nu: datetime, bewaartermijn: timedelta, batch: int = 5_000
) -> int:
    """Purge in batches, each its own transaction, until nothing is due; returns the number deleted."""
    totaal = 0
    while True:
        with transactie(factory) as session:
            aantal = audit.schoon_op(session, nu=nu, bewaartermijn=bewaartermijn, batch=batch)
        totaal += aantal
        if aantal < batch:
            return totaal


def _wachtend(factory: sessionmaker[Session]) -> tuple[int, float]:
    """(entries without volgnummer, seconds the oldest has waited) by the database clock."""
    engine = factory.kw["bind"]
    with leesverbinding(engine) as conn:
        aantal, oudste = audit_store.wachtend(conn)
        nu = db_nu(conn)
    return aantal, 0.0 if oudste is None else max(0.0, (nu - oudste).total_seconds())


def sequence(
    factory: sessionmaker[Session],
    ondertekenaar: Ondertekenaar,
    *,
    max_wacht: timedelta,
    batch: int | None = None,
    extensies: Sequence[str] = (),
) -> dict[str, Any]:
    """Sequence every committed entry, in runs of at most ``batch`` (each its own transaction and
    signed head; on SQLite, where a run holds the one write lock, 1,000, else 10,000). Entries that
    waited longer than ``max_wacht`` — found before or left after the run — are an alert: an error
    log line and knooppunt_audit_te_lang_ongesequenceerd_total."""
    if batch is None:
        batch = 1_000 if factory.kw["bind"].dialect.name == "sqlite" else 10_000
    _, gewacht = _wachtend(factory)
    totaal = 0
    while True:
        with transactie(factory) as session:
            aantal = sequencer.sequence(
                session, ondertekenaar, nu=db_nu(session), batch=batch, extensies=extensies
            )
        totaal += aantal
        if aantal < batch:
            break
    over, nog = _wachtend(factory)
    te_lang = max(gewacht, nog)
    if te_lang > max_wacht.total_seconds():
        metrics.AUDIT_TE_LANG_ONGESEQUENCEERD.inc()
        log.error(
            "auditregels te lang ongesequenceerd",
            gewacht_seconden=round(te_lang, 1),
            max_seconden=int(max_wacht.total_seconds()),
            gesequenceerd=totaal,
            nog_wachtend=over,
        )
    metrics.AUDIT_GESEQUENCEERD.inc(totaal)
    return {"gesequenceerd": totaal, "wachtend": over}
