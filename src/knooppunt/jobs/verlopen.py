"""Expiry (DESIGN §6): messages not confirmed within the bevestigingstermijn lose their content,
become ``verlopen`` and their sender gets a ``foutbericht`` VERLOPEN (art. 17.3–17.5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from knooppunt.hub import mailbox
from knooppunt.store.db import transactie


def verloop_batch(
    session: Session, *, nu: datetime, instellingen: mailbox.Instellingen, limiet: int = 2000
) -> int:
    """Expire up to `limiet` due messages in one transaction, set-based; idempotent and safe to run
    concurrently (conditional updates, locked rows skipped), so a message is expired and reported
    exactly once."""
    return mailbox.verloop_reeks(session, nu=nu, instellingen=instellingen, limiet=limiet)


def verloop_alles(
    factory: sessionmaker[Session], *, nu: datetime, instellingen: mailbox.Instellingen, batch: int = 2000
) -> int:
    """Run batches until nothing is due; each batch commits on its own, so a crash loses at most
    the batch in flight (rolled back, redone by the next run)."""
    totaal = 0
    while True:
        with transactie(factory) as session:
            aantal = verloop_batch(session, nu=nu, instellingen=instellingen, limiet=batch)
        totaal += aantal
        if aantal < batch:
            return totaal
