"""Expiry (DESIGN §6): messages not confirmed within the bevestigingstermijn lose their content,
become ``verlopen`` and their sender gets a ``foutbericht`` VERLOPEN (art. 17.3–17.5)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from knooppunt.hub import mailbox
from knooppunt.store import berichten as store
from knooppunt.store.db import transactie
from knooppunt.store.models import Bericht


def verloop_batch(
    session: Session, *, nu: datetime, instellingen: mailbox.Instellingen, limiet: int = 500
) -> int:
    """Expire up to `limiet` due messages in one transaction; idempotent, safe to run concurrently
    (each expiry is a conditional update, so a message is expired and reported exactly once)."""
    aantal = 0
    for bericht_id in store.verlopen_kandidaten(session, nu=nu, limiet=limiet):
        bericht = session.get(Bericht, bericht_id)
        if bericht is not None and mailbox.verloop(session, bericht, nu=nu, instellingen=instellingen):
            aantal += 1
    return aantal


def verloop_alles(
    factory: sessionmaker[Session], *, nu: datetime, instellingen: mailbox.Instellingen, batch: int = 500
) -> int:
    """Run batches until nothing is due; each batch commits on its own."""
    totaal = 0
    while True:
        with transactie(factory) as session:
            kandidaten = store.verlopen_kandidaten(session, nu=nu, limiet=1)
            if not kandidaten:
                return totaal
            totaal += verloop_batch(session, nu=nu, instellingen=instellingen, limiet=batch)
