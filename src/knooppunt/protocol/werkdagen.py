"""Working days (DESIGN §6): Monday–Friday minus the holidays of the Algemene termijnenwet.

The Algemene termijnenwet (art. 3) names: Nieuwjaarsdag, Goede Vrijdag, Tweede Paasdag,
Koningsdag, 5 mei (every year, unlike the `holidays` package, which has Bevrijdingsdag only in
lustrum years), Hemelvaartsdag, Tweede Pinksterdag and both Christmas days. Sundays and Saturdays
are never working days anyway, so Eerste Paasdag and Eerste Pinksterdag need no special care.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# Names as the `holidays` package spells them (English locale), mapped to the wet's names.
_TERMIJNENWET = {
    "New Year's Day": "Nieuwjaarsdag",
    "Good Friday": "Goede Vrijdag",
    "Easter Monday": "Tweede Paasdag",
    "King's Day": "Koningsdag",
    "Queen's Day": "Koninginnedag",
    "Ascension Day": "Hemelvaartsdag",
    "Whit Monday": "Tweede Pinksterdag",
    "Pentecost Monday": "Tweede Pinksterdag",
    "Christmas Day": "Eerste Kerstdag",
    "Second Day of Christmas": "Tweede Kerstdag",
}


@lru_cache(maxsize=256)
def feestdagen(jaar: int) -> dict[date, str]:
    """The Algemene termijnenwet holidays of one year, with their Dutch names."""
    gevonden: dict[date, str] = {}
    for dag, naam in holidays.country_holidays("NL", years=jaar, language="en_US").items():
        for deel in str(naam).split(";"):
            nl = _TERMIJNENWET.get(deel.strip())
            if nl is not None:
                gevonden[dag] = nl
    gevonden[date(jaar, 5, 5)] = "Bevrijdingsdag"
    return gevonden


_MAX_EINDES = 4096


class Werkdagkalender:
    """Counts working days; extra closing days (configuration) are added to the holidays."""

    def __init__(self, extra_sluitingsdagen: Iterable[date] = ()) -> None:
        self._extra = frozenset(extra_sluitingsdagen)
        # (day, number of working days) -> the last day: every submit and confirmation asks the same
        # few (today's date, the terms of §6), so they are counted once (#13: the hot path).
        self._eindes: dict[tuple[date, int], date] = {}

    def is_werkdag(self, dag: date) -> bool:
        return dag.weekday() < 5 and dag not in feestdagen(dag.year) and dag not in self._extra

    def plus_werkdagen(self, dag: date, aantal: int) -> date:
        """The `aantal`-th working day after `dag` (counting starts the day after, DESIGN §6)."""
        if aantal < 1:
            raise ValueError("a term is at least one working day")
        gevonden = self._eindes.get((dag, aantal))
        if gevonden is not None:
            return gevonden
        huidig = dag
        over = aantal
        while over:
            huidig += timedelta(days=1)
            if self.is_werkdag(huidig):
                over -= 1
        if len(self._eindes) >= _MAX_EINDES:
            self._eindes.clear()
        self._eindes[(dag, aantal)] = huidig
        return huidig

    def termijn_einde(self, moment: datetime, werkdagen: int) -> datetime:
        """End (23:59:59 Europe/Amsterdam) of the last working day of a term starting at `moment`."""
        if moment.tzinfo is None:
            raise ValueError("moment must be timezone-aware")
        lokaal = moment.astimezone(AMSTERDAM).date()
        laatste = self.plus_werkdagen(lokaal, werkdagen)
        return datetime.combine(laatste, time(23, 59, 59), tzinfo=AMSTERDAM)


def parse_sluitingsdagen(waarden: Iterable[str]) -> list[date]:
    dagen = []
    for waarde in waarden:
        try:
            dagen.append(date.fromisoformat(waarde))
        except ValueError as exc:
            raise ValueError(
                f"KNOOPPUNT_EXTRA_SLUITINGSDAGEN: {waarde!r} is geen datum (JJJJ-MM-DD, bijv. 2026-12-24)"
            ) from exc
    return dagen
