"""Destroying day keys (DESIGN §5 "Deletion means gone, even from backups"): once nothing sealed
under a day's key can still be fetched, the key is destroyed, and every copy of that day's
ciphertext (dead rows, WAL, backups of the message database) opens with a key that exists nowhere.
Idempotent; safe with several workers (a conditional UPDATE in the key store)."""

from __future__ import annotations

from datetime import datetime

from knooppunt.store.dagsleutels import Dagsleutels


def vernietig(dagsleutels: Dagsleutels, *, nu: datetime) -> list[str]:
    """Destroy the day keys whose messages are all past their bevestigingstermijn (so confirmed,
    refused or expired) and whose day ended more than a day before `nu`; returns those days."""
    return dagsleutels.vernietig_verlopen(nu=nu)
