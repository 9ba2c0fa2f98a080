"""Deadline marks (DESIGN §6): a confirmed question past its antwoordUiterlijk without an answer is
marked late, so both sides see teLaat from the job's clock on — also after a dry run
(``worker --once --now``), which sets that clock. Between two runs the API compares with the
request's own clock as well (hub.mailbox.te_laat), so nobody waits for the job to see it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from knooppunt.store import berichten
from knooppunt.store.db import transactie


def markeer_alles(factory: sessionmaker[Session], *, nu: datetime, batch: int = 2000) -> int:
    """Mark every overdue question, `batch` per transaction (a crash loses at most the batch in
    flight, which the next run redoes); returns how many were marked."""
    totaal = 0
    while True:
        with transactie(factory) as session:
            aantal = berichten.markeer_termijn_verstreken(session, nu=nu, limiet=batch)
        totaal += aantal
        if aantal < batch:
            return totaal
