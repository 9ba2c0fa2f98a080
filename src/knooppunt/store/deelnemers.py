"""Queries on the adresboek tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, lazyload

from knooppunt.store.models import Certificaat, Deelnemer, DeelnemerModule


def haal(session: Session, oin: str) -> Deelnemer | None:
    return session.get(Deelnemer, oin)


def zoek(
    session: Session,
    *,
    rol: str | None = None,
    module: str | None = None,
    zoekterm: str | None = None,
    na_oin: str | None = None,
    limiet: int = 100,
) -> Sequence[Deelnemer]:
    query = select(Deelnemer).order_by(Deelnemer.oin)
    if rol:
        query = query.where(Deelnemer.rol == rol)
    if module:
        query = query.where(
            Deelnemer.oin.in_(select(DeelnemerModule.oin).where(DeelnemerModule.module == module))
        )
    if zoekterm:
        patroon = "%" + zoekterm.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                Deelnemer.naam.ilike(patroon, escape="\\"),
                Deelnemer.kvk_nummer == zoekterm,
                Deelnemer.oin == zoekterm,
            )
        )
    if na_oin:
        query = query.where(Deelnemer.oin > na_oin)
    return session.scalars(query.limit(limiet)).unique().all()


def met_kvk(
    session: Session, kvk_nummer: str, vestigingsnummer: str | None = None, *, limiet: int = 2
) -> Sequence[Deelnemer]:
    """Participants with this KvK number and, when given, this vestigingsnummer (at most `limiet`:
    the portal's login only needs to know whether exactly one matches)."""
    query = (
        select(Deelnemer)
        .where(Deelnemer.kvk_nummer == kvk_nummer)
        .order_by(Deelnemer.oin)
        .options(
            lazyload(Deelnemer.certificaten), lazyload(Deelnemer.schuldensoorten), lazyload(Deelnemer.modules)
        )
    )
    if vestigingsnummer is not None:
        query = query.where(Deelnemer.vestigingsnummer == vestigingsnummer)
    return session.scalars(query.limit(limiet)).all()


def certificaat(session: Session, vingerafdruk: str) -> Certificaat | None:
    return session.get(Certificaat, vingerafdruk)


def actuele_certificaten_van(session: Session, uitgever: str) -> Sequence[Certificaat]:
    """The certificates not retired whose issuer is `uitgever` (RFC 4514, as stored)."""
    return session.scalars(
        select(Certificaat).where(
            Certificaat.uitgever == uitgever[:500], Certificaat.ingetrokken_op.is_(None)
        )
    ).all()


def heeft_tls_certificaat(session: Session, *, oin: str, vingerafdruk: str, moment: datetime) -> bool:
    """Whether this fingerprint is one of the current TLS certificates of participant `oin` (one
    query on the certificate's primary key; a participant's certificates go with it)."""
    gevonden = session.execute(
        select(Certificaat.vingerafdruk).where(
            Certificaat.vingerafdruk == vingerafdruk,
            Certificaat.oin == oin,
            Certificaat.gebruik_tls.is_(True),
            Certificaat.ingetrokken_op.is_(None),
            Certificaat.geldig_vanaf <= moment,
            Certificaat.geldig_tot > moment,
        )
    ).first()
    return gevonden is not None
