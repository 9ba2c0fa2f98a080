"""Volumes and response times per participant for the beheer dashboard (DESIGN §7), from message
metadata only (store.statistiek).

Times are measured from the hub's own moments: *bevestigen* is ``ontvangenOp`` → ``bevestigdOp``
(the bevestigingstermijn), *beantwoorden* is ``bevestigdOp`` → ``beantwoordOp`` (the
antwoordtermijn, 2.1). They are shown in clock hours or in *werkuren*: hours that fall on working
days (Monday–Friday minus the Algemene termijnenwet holidays and configured closing days, whole
days, Europe/Amsterdam), the measure the 5-working-day terms are counted in — a message offered on
Friday afternoon and confirmed on Monday morning took about 9 werkuren, not 65 hours.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection

from knooppunt.protocol.werkdagen import AMSTERDAM, Werkdagkalender
from knooppunt.store import statistiek as store

MAX_MOMENTEN = 100_000  # durations are computed over at most this many messages (the newest)
MAX_DAGEN = 366


def percentiel(waarden: Sequence[float], p: float) -> float | None:
    """The p-th percentile with linear interpolation between closest ranks (as numpy's default);
    None for no values."""
    if not waarden:
        return None
    rij = sorted(waarden)
    positie = (len(rij) - 1) * p / 100
    onder = math.floor(positie)
    boven = min(onder + 1, len(rij) - 1)
    return rij[onder] + (rij[boven] - rij[onder]) * (positie - onder)


def _dagbegin(dag: date) -> datetime:
    return datetime.combine(dag, time(0), tzinfo=AMSTERDAM)


class Werkklok:
    """Seconds on working days since a first day, so that working time between two moments is a
    subtraction (one dictionary lookup per moment, however many messages)."""

    def __init__(self, kalender: Werkdagkalender, eerste: date, laatste: date) -> None:
        self.eerste = eerste
        self._voor: dict[date, float] = {}
        self._werkdag: dict[date, bool] = {}
        totaal = 0.0
        dag = eerste
        while dag <= laatste:
            self._voor[dag] = totaal
            self._werkdag[dag] = kalender.is_werkdag(dag)
            if self._werkdag[dag]:
                # Local days last 23 or 25 hours when the clocks change.
                totaal += (_dagbegin(dag + timedelta(days=1)) - _dagbegin(dag)).total_seconds()
            dag += timedelta(days=1)

    def stand(self, moment: datetime) -> float:
        dag = moment.astimezone(AMSTERDAM).date()
        basis = self._voor[dag]
        if self._werkdag[dag]:
            basis += (moment - _dagbegin(dag)).total_seconds()
        return basis

    def werkuren(self, begin: datetime, eind: datetime) -> float:
        return max(0.0, self.stand(eind) - self.stand(begin)) / 3600


@dataclass(frozen=True, slots=True)
class Tijden:
    """Median and 90th percentile of a duration, in hours or in werkuren."""

    aantal: int
    mediaan: float | None
    p90: float | None

    @classmethod
    def van(cls, uren: Sequence[float]) -> Tijden:
        return cls(len(uren), percentiel(uren, 50), percentiel(uren, 90))


@dataclass(slots=True)
class Deelnemercijfers:
    oin: str
    naam: str
    rol: str
    verzonden: int = 0
    ontvangen: int = 0
    open: int = 0
    verlopen: int = 0
    antwoord_verschuldigd: int = 0
    op_tijd_beantwoord: int = 0
    bevestigen: Tijden = field(default_factory=lambda: Tijden(0, None, None))
    beantwoorden: Tijden = field(default_factory=lambda: Tijden(0, None, None))

    @property
    def aandeel_op_tijd(self) -> float | None:
        """Share of the due answers given within the antwoordtermijn (2.1); None if none was due."""
        if not self.antwoord_verschuldigd:
            return None
        return self.op_tijd_beantwoord / self.antwoord_verschuldigd

    @property
    def actief(self) -> bool:
        return bool(self.verzonden or self.ontvangen or self.open or self.verlopen)


@dataclass(frozen=True, slots=True)
class Week:
    begin: date  # a Monday (the first week may start later: the period's first day)
    eind: date  # inclusive
    aantal: int

    @property
    def nummer(self) -> int:
        return self.begin.isocalendar().week


@dataclass(frozen=True, slots=True)
class Dashboard:
    van: date
    tot: date  # inclusive
    module: str | None
    werkuren: bool
    deelnemers: list[Deelnemercijfers]
    totaal: Deelnemercijfers
    weken: list[Week]
    afgekapt: bool  # durations were computed over the newest MAX_MOMENTEN messages only
    berekend_op: datetime


def _grenzen(van: date, tot: date) -> list[date]:
    """Week boundaries (Mondays) from ``van`` to the day after ``tot``."""
    grenzen = [van]
    maandag = van - timedelta(days=van.weekday()) + timedelta(days=7)
    while maandag <= tot:
        grenzen.append(maandag)
        maandag += timedelta(days=7)
    grenzen.append(tot + timedelta(days=1))
    return grenzen


def _utc(dag: date) -> datetime:
    return _dagbegin(dag).astimezone(UTC)


def dashboard(
    conn: Connection,
    *,
    van: date,
    tot: date,
    module: str | None,
    werkuren: bool,
    kalender: Werkdagkalender,
    nu: datetime,
    limiet: int = MAX_MOMENTEN,
) -> Dashboard:
    """The figures of the period ``van`` to ``tot`` (local dates, both inclusive)."""
    if tot < van:
        raise ValueError("tot ligt vóór van")
    begin, eind = _utc(van), _utc(tot + timedelta(days=1))
    rijen = {
        oin: Deelnemercijfers(oin, naam, rol) for oin, naam, rol in store.deelnemers(conn, module=module)
    }

    def rij(oin: str) -> Deelnemercijfers:
        if oin not in rijen:  # e.g. left the module since, or removed: still counted
            rijen[oin] = Deelnemercijfers(oin, oin, "?")
        return rijen[oin]

    for oin, aantal in store.verzonden(conn, van=begin, tot=eind, module=module).items():
        rij(oin).verzonden = aantal
    for oin, cijfers in store.ontvangen(conn, van=begin, tot=eind, module=module, nu=nu).items():
        r = rij(oin)
        r.ontvangen = cijfers.ontvangen
        r.antwoord_verschuldigd = cijfers.antwoord_verschuldigd
        r.op_tijd_beantwoord = cijfers.op_tijd_beantwoord
    for oin, aantal in store.verlopen(conn, van=begin, tot=eind, module=module).items():
        rij(oin).verlopen = aantal
    for oin, aantal in store.open_nu(conn, nu=nu, module=module).items():
        rij(oin).open = aantal

    momenten, afgekapt = store.momenten(conn, van=begin, tot=eind, module=module, limiet=limiet)
    bevestigen: dict[str, list[float]] = defaultdict(list)
    beantwoorden: dict[str, list[float]] = defaultdict(list)
    if momenten:
        tijden = [
            t for m in momenten for t in (m.ontvangen_op, m.bevestigd_op, m.beantwoord_op) if t is not None
        ]
        klok = Werkklok(
            kalender, min(tijden).astimezone(AMSTERDAM).date(), max(tijden).astimezone(AMSTERDAM).date()
        )

        def duur(a: datetime, b: datetime) -> float:
            return klok.werkuren(a, b) if werkuren else max(0.0, (b - a).total_seconds() / 3600)

        for m in momenten:
            bevestigen[m.ontvanger].append(duur(m.ontvangen_op, m.bevestigd_op))
            if m.beantwoord_op is not None:
                beantwoorden[m.ontvanger].append(duur(m.bevestigd_op, m.beantwoord_op))
    for oin, uren in bevestigen.items():
        rij(oin).bevestigen = Tijden.van(uren)
    for oin, uren in beantwoorden.items():
        rij(oin).beantwoorden = Tijden.van(uren)

    alle = list(rijen.values())
    totaal = Deelnemercijfers(
        "",
        "Alle deelnemers",
        "",
        verzonden=sum(r.verzonden for r in alle),
        ontvangen=sum(r.ontvangen for r in alle),
        open=sum(r.open for r in alle),
        verlopen=sum(r.verlopen for r in alle),
        antwoord_verschuldigd=sum(r.antwoord_verschuldigd for r in alle),
        op_tijd_beantwoord=sum(r.op_tijd_beantwoord for r in alle),
        bevestigen=Tijden.van([u for uren in bevestigen.values() for u in uren]),
        beantwoorden=Tijden.van([u for uren in beantwoorden.values() for u in uren]),
    )
    grenzen = _grenzen(van, tot)
    aantallen = store.per_week(conn, grenzen=[_utc(g) for g in grenzen], module=module)
    weken = [
        Week(grenzen[i], grenzen[i + 1] - timedelta(days=1), aantal) for i, aantal in enumerate(aantallen)
    ]
    return Dashboard(
        van=van,
        tot=tot,
        module=module,
        werkuren=werkuren,
        deelnemers=sorted(alle, key=lambda r: (r.naam.lower(), r.oin)),
        totaal=totaal,
        weken=weken,
        afgekapt=afgekapt,
        berekend_op=nu,
    )
