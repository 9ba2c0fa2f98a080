"""A logboek period's bounds as the hub reads them (DESIGN §4, `GET /logboek`): a date is the start
of that day in Europe/Amsterdam, and so is a datetime without a time zone — the hub itself wants the
offset, so the SDK and `knooppunt client logboek` add it."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypeAlias

from knooppunt.protocol.werkdagen import AMSTERDAM

Periodegrens: TypeAlias = datetime | date | str | None
"""A date, a datetime (naive: Europe/Amsterdam), or the wire's own text, passed on unchanged."""


def als_periodegrens(waarde: Periodegrens) -> str | None:
    """The query value: a date as ``2026-11-01``, a datetime with its offset."""
    if isinstance(waarde, datetime):
        return (waarde if waarde.tzinfo is not None else waarde.replace(tzinfo=AMSTERDAM)).isoformat()
    if isinstance(waarde, date):
        return waarde.isoformat()
    return waarde


def lees_periodegrens(tekst: str) -> date | datetime:
    """What a person types on the command line: ``2026-11-01``, ``2026-11-01T09:00`` (Europe/
    Amsterdam) or a time with its offset. Raises ValueError for anything else."""
    tekst = tekst.strip()
    moment = datetime.fromisoformat(tekst)
    if len(tekst) == len("2026-11-01"):
        return moment.date()
    return moment
