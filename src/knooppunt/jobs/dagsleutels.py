"""Destroying day keys (DESIGN §5 "Deletion means gone, even from backups"): once nothing sealed
under a day's key can still be fetched, the key is destroyed, and every copy of that day's
ciphertext (dead rows, WAL, backups of the message database) opens with a key that exists nowhere.
Idempotent; safe with several workers (a conditional UPDATE in the key store)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session, sessionmaker

from knooppunt.store import berichten
from knooppunt.store.dagsleutels import Dagsleutels


def vernietig(
    dagsleutels: Dagsleutels,
    *,
    nu: datetime,
    berichten_db: sessionmaker[Session] | None = None,
    werkelijk: datetime | None = None,
) -> list[str]:
    """Destroy the day keys under which nothing can be fetched any more — every message of the day
    past its bevestigingstermijn, or (asked of the message database ``berichten_db``) none of them
    still open: all confirmed or refused — once the day ended more than a day before `nu` (and
    before ``werkelijk``, the real clock, when `nu` is a dry run's); returns those days."""
    if berichten_db is None:
        return dagsleutels.vernietig_verlopen(nu=nu, werkelijk=werkelijk)
    factory = berichten_db

    def nog_op_te_halen(dag: str, uiterlijk: datetime) -> bool:
        van = datetime.combine(date.fromisoformat(dag), time.min, tzinfo=UTC)
        with factory() as session:
            return berichten.nog_op_te_halen_van(
                session, van=van, tot=van + timedelta(days=1), nu=nu, uiterlijk=uiterlijk
            )

    return dagsleutels.vernietig_verlopen(nu=nu, nog_op_te_halen=nog_op_te_halen, werkelijk=werkelijk)
