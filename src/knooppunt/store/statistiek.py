"""Figures for the beheer dashboard (DESIGN §7), from message metadata only: who sent which type to
whom and the moments of its lifecycle. Never ``berichtinhoud``, never ``melding``.

Set-based SQL that runs the same on SQLite and PostgreSQL: GROUP BY with conditional sums, and
week buckets as a CASE over boundaries computed by the caller (date functions differ per database).
Durations are not computed in SQL (no portable interval arithmetic): ``momenten`` hands a bounded
number of rows of timestamps to the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute

from knooppunt.store.models import OPEN_STATUSSEN, Bericht, Deelnemer, DeelnemerModule

HUB = "KNOOPPUNT"  # hub-authored notices (receipts, foutberichten) are not a participant's traffic


@dataclass(frozen=True, slots=True)
class Ontvangen:
    """Per recipient, over the messages offered to it in the period."""

    ontvangen: int
    bevestigd: int
    antwoord_verschuldigd: int  # an answer was due (confirmed, answer type) and is given or late
    op_tijd_beantwoord: int


@dataclass(frozen=True, slots=True)
class Moment:
    ontvanger: str
    ontvangen_op: datetime
    bevestigd_op: datetime
    beantwoord_op: datetime | None


def _filter(module: str | None) -> list[ColumnElement[bool]]:
    voorwaarden: list[ColumnElement[bool]] = [Bericht.afzender != HUB]
    if module:
        voorwaarden.append(Bericht.module == module)
    return voorwaarden


def _in_periode(kolom: InstrumentedAttribute[Any], van: datetime, tot: datetime) -> ColumnElement[bool]:
    return and_(kolom >= van, kolom < tot)


def deelnemers(conn: Connection, *, module: str | None = None) -> list[tuple[str, str, str]]:
    """(oin, naam, rol) of every participant, or of those that joined ``module``."""
    query = select(Deelnemer.oin, Deelnemer.naam, Deelnemer.rol).order_by(Deelnemer.naam, Deelnemer.oin)
    if module:
        query = query.where(
            Deelnemer.oin.in_(select(DeelnemerModule.oin).where(DeelnemerModule.module == module))
        )
    return [(str(o), str(n), str(r)) for o, n, r in conn.execute(query).all()]


def verzonden(conn: Connection, *, van: datetime, tot: datetime, module: str | None) -> dict[str, int]:
    """Messages each participant sent in [van, tot)."""
    rijen = conn.execute(
        select(Bericht.afzender, func.count())
        .where(_in_periode(Bericht.ontvangen_op, van, tot), *_filter(module))
        .group_by(Bericht.afzender)
    ).all()
    return {str(oin): int(n) for oin, n in rijen}


def ontvangen(
    conn: Connection, *, van: datetime, tot: datetime, module: str | None, nu: datetime
) -> dict[str, Ontvangen]:
    """Per recipient: messages offered in [van, tot), how many it confirmed, and of the questions
    whose answer was due (answered, or past antwoordUiterlijk) how many were answered in time."""
    verschuldigd = and_(
        Bericht.antwoord_uiterlijk.is_not(None),
        (Bericht.beantwoord_op.is_not(None)) | (Bericht.antwoord_uiterlijk < nu),
    )
    op_tijd = and_(
        Bericht.antwoord_uiterlijk.is_not(None),
        Bericht.beantwoord_op.is_not(None),
        Bericht.beantwoord_op <= Bericht.antwoord_uiterlijk,
    )
    rijen = conn.execute(
        select(
            Bericht.ontvanger,
            func.count(),
            func.coalesce(func.sum(case((Bericht.bevestigd_op.is_not(None), 1), else_=0)), 0),
            func.coalesce(func.sum(case((verschuldigd, 1), else_=0)), 0),
            func.coalesce(func.sum(case((op_tijd, 1), else_=0)), 0),
        )
        .where(_in_periode(Bericht.ontvangen_op, van, tot), *_filter(module))
        .group_by(Bericht.ontvanger)
    ).all()
    return {str(r[0]): Ontvangen(int(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in rijen}


def verlopen(conn: Connection, *, van: datetime, tot: datetime, module: str | None) -> dict[str, int]:
    """Messages that expired unconfirmed in [van, tot), per recipient (who did not confirm)."""
    rijen = conn.execute(
        select(Bericht.ontvanger, func.count())
        .where(_in_periode(Bericht.verlopen_op, van, tot), *_filter(module))
        .group_by(Bericht.ontvanger)
    ).all()
    return {str(oin): int(n) for oin, n in rijen}


def open_nu(conn: Connection, *, nu: datetime, module: str | None) -> dict[str, int]:
    """Messages waiting for each recipient now: not confirmed, not expired."""
    rijen = conn.execute(
        select(Bericht.ontvanger, func.count())
        .where(Bericht.status.in_(OPEN_STATUSSEN), Bericht.verloopt_op >= nu, *_filter(module))
        .group_by(Bericht.ontvanger)
    ).all()
    return {str(oin): int(n) for oin, n in rijen}


def per_week(conn: Connection, *, grenzen: Sequence[datetime], module: str | None) -> list[int]:
    """Messages offered in each [grenzen[i], grenzen[i+1]); one query, buckets by CASE."""
    if len(grenzen) < 2:
        return []
    # The CASE in a subquery, grouped on its column: PostgreSQL cannot match a GROUP BY expression
    # to a select expression whose bound parameters differ.
    wanneer = [(Bericht.ontvangen_op < grens, i) for i, grens in enumerate(grenzen[1:-1])]
    week = case(*wanneer, else_=len(grenzen) - 2) if wanneer else literal(0)
    emmers = (
        select(week.label("week"))
        .where(_in_periode(Bericht.ontvangen_op, grenzen[0], grenzen[-1]), *_filter(module))
        .subquery()
    )
    rijen = conn.execute(select(emmers.c.week, func.count()).group_by(emmers.c.week)).all()
    aantallen = [0] * (len(grenzen) - 1)
    for week, aantal in rijen:
        if 0 <= int(week) < len(aantallen):
            aantallen[int(week)] = int(aantal)
    return aantallen


def momenten(
    conn: Connection, *, van: datetime, tot: datetime, module: str | None, limiet: int
) -> tuple[list[Moment], bool]:
    """Received, confirmed and answered moments of the confirmed messages offered in [van, tot),
    newest first, at most ``limiet`` (True when there were more): the caller computes durations."""
    rijen = conn.execute(
        select(Bericht.ontvanger, Bericht.ontvangen_op, Bericht.bevestigd_op, Bericht.beantwoord_op)
        .where(
            _in_periode(Bericht.ontvangen_op, van, tot),
            Bericht.bevestigd_op.is_not(None),
            *_filter(module),
        )
        .order_by(Bericht.id.desc())
        .limit(limiet + 1)
    ).all()
    momenten = []
    for ontvanger, ontvangen_op, bevestigd_op, beantwoord_op in rijen[:limiet]:
        assert bevestigd_op is not None  # selected IS NOT NULL
        momenten.append(Moment(str(ontvanger), ontvangen_op, bevestigd_op, beantwoord_op))
    return momenten, len(rijen) > limiet
