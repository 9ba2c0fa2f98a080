"""The logboek (DESIGN §4, the live hub's "Logboek zoekbericht"): the metadata of every message a
participant sent or received in a period — confirmed, refused and expired ones included — for as
long as metadata is retained (DESIGN §2). Only messages the caller is afzender or ontvanger of."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from knooppunt.hub.fouten import OngeldigVeld, ongeldig_verzoek
from knooppunt.store import logboek as store
from knooppunt.store.logboek import Positie, Richting
from knooppunt.store.models import Bericht

__all__ = ["STANDAARD_PERIODE", "Positie", "Richting", "logboek", "periode"]

STANDAARD_PERIODE = timedelta(days=30)
"""The period when ``vanaf`` is not given: the 30 days before ``tot`` (which defaults to now)."""

_BEGIN = datetime.min.replace(tzinfo=UTC)


def periode(vanaf: datetime | None, tot: datetime | None, *, nu: datetime) -> tuple[datetime, datetime]:
    """The period asked for, ``vanaf`` inclusive and ``tot`` exclusive; without ``tot`` it ends now,
    without ``vanaf`` it starts `STANDAARD_PERIODE` before its end. A ``vanaf`` after ``tot`` is a
    400 naming it."""
    eind = nu if tot is None else tot
    if vanaf is None:
        begin = eind - STANDAARD_PERIODE if eind - _BEGIN > STANDAARD_PERIODE else _BEGIN
    else:
        begin = vanaf
    if begin > eind:
        uitleg = "ligt na tot" if tot is not None else "ligt in de toekomst (tot is standaard nu)"
        raise ongeldig_verzoek(
            f"De periode is leeg: vanaf {uitleg}; geef een vanaf vóór tot.",
            [OngeldigVeld("vanaf", uitleg)],
        )
    return begin, eind


def logboek(
    session: Session,
    oin: str,
    *,
    vanaf: datetime,
    tot: datetime,
    richting: Richting | None = None,
    module: str | None = None,
    berichttype: str | None = None,
    na: Positie | None = None,
    limiet: int,
) -> Sequence[Bericht]:
    """At most `limiet` messages of participant `oin` in [vanaf, tot), oldest first by
    (ontvangenOp, id), after position `na`."""
    return store.logboek(
        session,
        partij=oin,
        vanaf=vanaf,
        tot=tot,
        richting=richting,
        module=module,
        berichttype=berichttype,
        na=na,
        limiet=limiet,
    )
