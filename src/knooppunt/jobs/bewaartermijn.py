"""The retention purge of message metadata (DESIGN §2 "Retention", §6 jobs): a message's metadata —
the envelope without `inhoud`, statuses, times — is kept KNOOPPUNT_BERICHT_BEWAARTERMIJN_DAGEN
(default 7 years) for the rules that look back, `/verzonden`, `/logboek` and the audit log, then
deleted. Idempotent; on several nodes at once each batch deletes what is still there."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from knooppunt.store import berichten
from knooppunt.store.db import transactie


def schoon_op(
    factory: sessionmaker[Session], *, nu: datetime, bewaartermijn: timedelta, batch: int = 5_000
) -> int:
    """Delete, in batches each in its own transaction, every message received more than
    ``bewaartermijn`` before ``nu`` that is no longer open; returns the number deleted."""
    totaal = 0
    while True:
        with transactie(factory) as session:
            aantal = berichten.schoon_op(session, grens=nu - bewaartermijn, batch=batch)
        totaal += aantal
        if aantal < batch:
            return totaal
