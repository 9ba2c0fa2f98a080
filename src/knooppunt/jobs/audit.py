"""Retention of the audit log (DESIGN §5, §6): entries older than
KNOOPPUNT_AUDIT_BEWAARTERMIJN_DAGEN are deleted, oldest first, behind an anchor that keeps the
remaining chain verifiable. Idempotent; purgers on several nodes take turns (advisory lock)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from knooppunt.hub import audit
from knooppunt.store.db import transactie


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
