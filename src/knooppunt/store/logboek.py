"""The logboek's query (DESIGN §4): the metadata of every message a participant sent or received in
a period, in (ontvangenOp, id) order, whatever its status — retained metadata only, never content."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, Select, or_, select, union_all
from sqlalchemy.orm import Session

from knooppunt.store.models import Bericht

Richting = Literal["verzonden", "ontvangen"]


@dataclass(frozen=True, slots=True)
class Positie:
    """Where a page ended: the last message's ``ontvangenOp`` and id. A total order (the id breaks
    ties), so paging neither repeats nor skips a message that was there when the first page was
    read."""

    ontvangen_op: datetime
    id: int


def _voorwaarden(
    *,
    vanaf: datetime,
    tot: datetime,
    module: str | None,
    berichttype: str | None,
    na: Positie | None,
) -> list[ColumnElement[bool]]:
    voorwaarden = [Bericht.ontvangen_op >= vanaf, Bericht.ontvangen_op < tot]
    if na is not None:
        # The range start stays a plain bound (>=) so an index on (partij, ontvangen_op, id) is
        # entered there; the OR only drops the ties at that instant already given.
        voorwaarden += [
            Bericht.ontvangen_op >= na.ontvangen_op,
            or_(Bericht.ontvangen_op > na.ontvangen_op, Bericht.id > na.id),
        ]
    if module:
        voorwaarden.append(Bericht.module == module)
    if berichttype:
        voorwaarden.append(Bericht.berichttype == berichttype)
    return voorwaarden


def _kant(voorwaarden: Sequence[ColumnElement[bool]], limiet: int) -> Select[int, datetime]:
    """One direction's first `limiet` ids, ordered by itself: each side is a range of its own
    index, and the two are merged, never an OR over both columns that must sort the whole period.
    Those indexes are (afzender, ontvangen_op, id) and (ontvanger, ontvangen_op, id); until they
    exist the sent side reads all of the sender's messages through ix_berichten_verzonden and the
    received side scans the table (the inbox index holds open messages only)."""
    return (
        select(Bericht.id, Bericht.ontvangen_op)
        .where(*voorwaarden)
        .order_by(Bericht.ontvangen_op, Bericht.id)
        .limit(limiet)
    )


def logboek(
    session: Session,
    *,
    partij: str,
    vanaf: datetime,
    tot: datetime,
    richting: Richting | None,
    module: str | None,
    berichttype: str | None,
    na: Positie | None,
    limiet: int,
) -> Sequence[Bericht]:
    """At most `limiet` messages with `partij` as afzender (``verzonden``) or ontvanger
    (``ontvangen``; both when `richting` is None), ``vanaf <= ontvangenOp < tot``, after `na`."""
    gemeen = _voorwaarden(vanaf=vanaf, tot=tot, module=module, berichttype=berichttype, na=na)
    kanten = []
    if richting in (None, "verzonden"):
        kanten.append(_kant([Bericht.afzender == partij, *gemeen], limiet).subquery())
    if richting in (None, "ontvangen"):
        # A message to oneself is counted once, as sent (the hub refuses one anyway).
        eigen = [Bericht.ontvanger == partij, Bericht.afzender != partij]
        kanten.append(_kant([*eigen, *gemeen], limiet).subquery())
    ids = kanten[0] if len(kanten) == 1 else union_all(*(select(k.c.id) for k in kanten)).subquery()
    return session.scalars(
        select(Bericht)
        .join(ids, ids.c.id == Bericht.id)
        .order_by(Bericht.ontvangen_op, Bericht.id)
        .limit(limiet)
    ).all()
