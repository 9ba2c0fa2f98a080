"""SQL of the client labels encrypted in the browser (portal table ``portaal_clientlabels``, see
``portaal.routes.werkplek_clienten``), and of the participant's conversations the werkplek lists
beside them (metadata only). The hub never reads the labels; the server cannot."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from knooppunt.store.models import Bericht, PortaalClientlabel, PortaalDossier, PortaalSleutelblob


def labels_van(
    session: Session, oin: str, conversaties: Collection[str] | None = None
) -> Sequence[PortaalClientlabel]:
    query = select(PortaalClientlabel).where(PortaalClientlabel.oin == oin)
    if conversaties is not None:
        if not conversaties:
            return []
        query = query.where(PortaalClientlabel.conversatie.in_(list(conversaties)))
    return session.scalars(query).all()


def bewaar_label(session: Session, label: PortaalClientlabel) -> None:
    """Create or replace the label, and delete the server-readable label of the same conversation
    (``portaal_dossiers``) in the same transaction: once the browser's copy is there, the server's
    readable one goes."""
    session.merge(label)
    verwijder_dossier(session, label.oin, label.conversatie)


def verwijder_label(session: Session, oin: str, conversatie: str) -> int:
    resultaat = session.execute(
        delete(PortaalClientlabel).where(
            (PortaalClientlabel.oin == oin) & (PortaalClientlabel.conversatie == conversatie)
        )
    )
    return int(getattr(resultaat, "rowcount", 0) or 0)


def verwijder_dossier(session: Session, oin: str, conversatie: str) -> None:
    """Delete the server-readable label of this conversation (``portaal_dossiers``)."""
    session.execute(
        delete(PortaalDossier).where(
            (PortaalDossier.oin == oin) & (PortaalDossier.conversatie == conversatie)
        )
    )


def heeft_browsersleutels(session: Session, oin: str) -> bool:
    """Whether any user of this participant keeps keys in the browser (a key blob): then its client
    names are the browser's alone."""
    return (
        session.scalar(select(PortaalSleutelblob.oin).where(PortaalSleutelblob.oin == oin).limit(1))
        is not None
    )


def conversaties_van(session: Session, oin: str, *, hub: str, limiet: int) -> list[tuple[str, datetime]]:
    """The conversations in which this participant sent or received a message (hub notices aside),
    latest activity first: (conversatieReferentienummer, latest ontvangenOp)."""
    laatste = func.max(Bericht.ontvangen_op)
    rijen = session.execute(
        select(Bericht.conversatie_referentienummer, laatste)
        .where(or_(Bericht.afzender == oin, Bericht.ontvanger == oin), Bericht.afzender != hub)
        .group_by(Bericht.conversatie_referentienummer)
        .order_by(laatste.desc(), Bericht.conversatie_referentienummer)
        .limit(limiet)
    ).all()
    return [(str(r[0]), r[1]) for r in rijen]


def berichten_in(session: Session, oin: str, conversaties: Collection[str], *, hub: str) -> Sequence[Bericht]:
    """This participant's messages (sent or received, hub notices aside) in these conversations,
    oldest first."""
    if not conversaties:
        return []
    return session.scalars(
        select(Bericht)
        .where(
            Bericht.conversatie_referentienummer.in_(list(conversaties)),
            or_(Bericht.afzender == oin, Bericht.ontvanger == oin),
            Bericht.afzender != hub,
        )
        .order_by(Bericht.ontvangen_op, Bericht.id)
    ).all()
