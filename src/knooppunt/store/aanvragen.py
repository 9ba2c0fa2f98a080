"""Aanvragen (an organisation's own aanmeldformulier, a participant's extra modules) and the
organisation of a restricted portal session. Every change of state is one conditional UPDATE:
two beheerders deciding at once cannot both succeed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from knooppunt.store.models import Aanvraag, PortaalAanmelder

INGEDIEND = "ingediend"
GOEDGEKEURD = "goedgekeurd"
GEWEIGERD = "geweigerd"


def voeg_toe(session: Session, aanvraag: Aanvraag) -> Aanvraag:
    session.add(aanvraag)
    session.flush()
    return aanvraag


def haal(session: Session, aanvraag_id: int) -> Aanvraag | None:
    return session.get(Aanvraag, aanvraag_id)


def lijst(session: Session, *, status: str | None = None, limiet: int = 200) -> Sequence[Aanvraag]:
    """Newest first; only those of one status when given."""
    vraag = select(Aanvraag).order_by(Aanvraag.id.desc()).limit(limiet)
    if status is not None:
        vraag = vraag.where(Aanvraag.status == status)
    return session.scalars(vraag).all()


def van_organisatie(
    session: Session, *, kvk: str, vestiging: str | None, limiet: int = 50
) -> Sequence[Aanvraag]:
    """The aanvragen of one organisation (KvK number and vestigingsnummer of the login)."""
    vestigingsvoorwaarde = (
        Aanvraag.vestigingsnummer.is_(None) if vestiging is None else Aanvraag.vestigingsnummer == vestiging
    )
    return session.scalars(
        select(Aanvraag)
        .where(Aanvraag.kvk_nummer == kvk, vestigingsvoorwaarde)
        .order_by(Aanvraag.id.desc())
        .limit(limiet)
    ).all()


def van_deelnemer(session: Session, oin: str, *, limiet: int = 50) -> Sequence[Aanvraag]:
    return session.scalars(
        select(Aanvraag).where(Aanvraag.oin == oin).order_by(Aanvraag.id.desc()).limit(limiet)
    ).all()


def open_voor_oin(session: Session, oin: str, *, soort: str) -> Aanvraag | None:
    return session.scalars(
        select(Aanvraag)
        .where(Aanvraag.oin == oin, Aanvraag.soort == soort, Aanvraag.status == INGEDIEND)
        .limit(1)
    ).first()


def beslis(
    session: Session,
    aanvraag_id: int,
    *,
    status: str,
    door: str,
    nu: datetime,
    reden: str | None = None,
) -> bool:
    """ingediend → `status`, only if it is still ingediend: False when someone else decided first."""
    resultaat = session.execute(
        update(Aanvraag)
        .where(Aanvraag.id == aanvraag_id, Aanvraag.status == INGEDIEND)
        .values(status=status, beoordeeld_door=door[:80], beoordeeld_op=nu, reden=reden)
        .execution_options(synchronize_session=False)
    )
    return bool(resultaat.rowcount)  # type: ignore[attr-defined]


def bewaar_aanmelder(session: Session, *, token_hash: str, kvk: str, vestiging: str | None) -> None:
    session.flush()  # the session row first: no relationship tells the unit of work the order
    session.add(PortaalAanmelder(token_hash=token_hash, kvk_nummer=kvk, vestigingsnummer=vestiging))
    session.flush()


def aanmelder(session: Session, token_hash: str) -> PortaalAanmelder | None:
    return session.get(PortaalAanmelder, token_hash)


def wis_sleutels(session: Session, aanvraag_id: int) -> None:
    """A refused aanvraag keeps no certificate requests and no keys made in the browser."""
    session.execute(
        update(Aanvraag)
        .where(Aanvraag.id == aanvraag_id)
        .values(csr_ondertekening=None, csr_versleuteling=None, browsersleutels=None)
        .execution_options(synchronize_session=False)
    )
