"""Queries and conditional updates for notification settings and the notification outbox.

Two guarantees live here, both as conditional updates so that several workers may run at once:
the high-water mark on ``berichten.id`` moves only from the value a worker read (so a batch of new
messages is announced once), and an outbox row is claimed only while it is still due (so one
attempt is made by one worker).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from knooppunt.protocol.soorten import HUB_BERICHTTYPEN
from knooppunt.store.models import OPEN_STATUSSEN, Bericht, Notificatie, NotificatieInstellingen


def instellingen(session: Session, oin: str) -> NotificatieInstellingen | None:
    return session.get(NotificatieInstellingen, oin)


def actieve_instellingen(session: Session) -> Sequence[NotificatieInstellingen]:
    """Participants that want notifications (modus other than ``uit``), in OIN order."""
    return session.scalars(
        select(NotificatieInstellingen)
        .where(NotificatieInstellingen.modus != "uit")
        .order_by(NotificatieInstellingen.oin)
    ).all()


@dataclass(frozen=True, slots=True)
class NieuweBerichten:
    aantallen: dict[str, int]
    oudste_verloopt_op: datetime | None
    tot_id: int

    @property
    def totaal(self) -> int:
        return sum(self.aantallen.values())


def nieuwe_berichten(
    session: Session, *, ontvanger: str, na_id: int, nu: datetime, gezet_voor: datetime
) -> NieuweBerichten | None:
    """Open, unexpired messages of `ontvanger` above the mark, counted per type.

    Only messages that arrived before `gezet_voor` count, and counting stops at the first newer
    one, so the mark never jumps over a message whose transaction may not have committed yet.
    Both queries use the partial inbox index (ontvanger, id)."""
    basis = (
        Bericht.ontvanger == ontvanger,
        Bericht.status.in_(OPEN_STATUSSEN),
        Bericht.id > na_id,
    )
    grens = session.scalar(select(func.min(Bericht.id)).where(*basis, Bericht.ontvangen_op > gezet_voor))
    query = (
        select(Bericht.berichttype, func.count(), func.min(Bericht.verloopt_op), func.max(Bericht.id))
        .where(*basis, Bericht.verloopt_op >= nu)
        .group_by(Bericht.berichttype)
    )
    if grens is not None:
        query = query.where(Bericht.id < grens)
    rijen = session.execute(query).all()
    if not rijen:
        return None
    # The deadline the notification names is that of the participants' messages when there are
    # any: the hub's own notices expire silently (DESIGN §6), so theirs is no deadline to warn of.
    van_deelnemers = [r for r in rijen if str(r[0]) not in HUB_BERICHTTYPEN] or rijen
    return NieuweBerichten(
        aantallen={str(r[0]): int(r[1]) for r in sorted(rijen, key=lambda r: str(r[0]))},
        oudste_verloopt_op=min(r[2] for r in van_deelnemers),
        tot_id=max(int(r[3]) for r in rijen),
    )


def verschuif_markering(
    session: Session,
    *,
    oin: str,
    modus: str,
    van_id: int,
    naar_id: int,
    digest_dag: date | None = None,
) -> bool:
    """Move the mark from `van_id` to `naar_id` (and record today's digest); False when another
    worker moved it first or the settings changed meanwhile."""
    query = (
        update(NotificatieInstellingen)
        .where(
            NotificatieInstellingen.oin == oin,
            NotificatieInstellingen.modus == modus,
            NotificatieInstellingen.laatst_gemeld_id == van_id,
        )
        .values(laatst_gemeld_id=naar_id)
        .execution_options(synchronize_session=False)
    )
    if digest_dag is not None:
        query = query.where(
            or_(
                NotificatieInstellingen.laatste_digest_dag.is_(None),
                NotificatieInstellingen.laatste_digest_dag < digest_dag,
            )
        ).values(laatste_digest_dag=digest_dag)
    return session.execute(query).rowcount == 1  # type: ignore[attr-defined,no-any-return]


def voeg_notificatie_toe(session: Session, notificatie: Notificatie) -> None:
    session.add(notificatie)


def markeer_uitgeput(session: Session, *, nu: datetime, max_pogingen: int) -> int:
    """Rows whose last allowed attempt was claimed but never reported back (a worker stopped)."""
    return session.execute(  # type: ignore[attr-defined,no-any-return]
        update(Notificatie)
        .where(
            Notificatie.status == "wachtend",
            Notificatie.volgende_poging <= nu,
            Notificatie.pogingen >= max_pogingen,
        )
        .values(status="mislukt", laatste_fout="geen uitslag van de laatste poging (proces gestopt)")
        .execution_options(synchronize_session=False)
    ).rowcount


def claim(
    session: Session, *, nu: datetime, tot: datetime, max_pogingen: int, limiet: int
) -> list[Notificatie]:
    """Claim due rows: each gets one more attempt and is hidden until `tot` (the lease). On
    PostgreSQL rows another worker is claiming are skipped; the conditional update makes the claim
    safe on SQLite as well."""
    ids = list(
        session.scalars(
            select(Notificatie.id)
            .where(
                Notificatie.status == "wachtend",
                Notificatie.volgende_poging <= nu,
                Notificatie.pogingen < max_pogingen,
            )
            .order_by(Notificatie.volgende_poging, Notificatie.id)
            .limit(limiet)
            .with_for_update(skip_locked=True)
        )
    )
    geclaimd = []
    for notificatie_id in ids:
        gelukt = session.execute(
            update(Notificatie)
            .where(
                Notificatie.id == notificatie_id,
                Notificatie.status == "wachtend",
                Notificatie.volgende_poging <= nu,
            )
            .values(pogingen=Notificatie.pogingen + 1, volgende_poging=tot)
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        if gelukt == 1:
            geclaimd.append(notificatie_id)
    if not geclaimd:
        return []
    return list(
        session.scalars(
            select(Notificatie)
            .where(Notificatie.id.in_(geclaimd))
            .order_by(Notificatie.id)
            .execution_options(populate_existing=True)
        )
    )


def leg_uitslag_vast(
    session: Session,
    *,
    notificatie_id: int,
    poging: int,
    status: str,
    nu: datetime,
    volgende_poging: datetime | None,
    antwoordcode: int | None,
    fout: str | None,
) -> bool:
    """Record the outcome of attempt `poging`; ignored if the row moved on (another claim)."""
    waarden: dict[str, object] = {"status": status, "antwoordcode": antwoordcode, "laatste_fout": fout}
    if status == "verzonden":
        waarden["verzonden_op"] = nu
    if volgende_poging is not None:
        waarden["volgende_poging"] = volgende_poging
    aantal: int = session.execute(  # type: ignore[attr-defined]
        update(Notificatie)
        .where(
            Notificatie.id == notificatie_id,
            Notificatie.pogingen == poging,
            Notificatie.status == "wachtend",
        )
        .values(**waarden)
        .execution_options(synchronize_session=False)
    ).rowcount
    return aantal == 1


def recente(session: Session, *, oin: str, limiet: int = 10) -> Sequence[Notificatie]:
    return session.scalars(
        select(Notificatie).where(Notificatie.deelnemer == oin).order_by(Notificatie.id.desc()).limit(limiet)
    ).all()
