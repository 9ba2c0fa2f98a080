"""Notifications about new messages (DESIGN §6): an outbox, filled and emptied by this job.

(a) ``plan``: per participant with notifications on, the open messages that arrived in its inbox
since the last notification (a high-water mark on ``berichten.id``) become one outbox row per
channel. ``direct``: every run; ``dagelijks``: once a day, at or after the digest hour
(Europe/Amsterdam). The mark moves by a conditional update in the same transaction as the rows are
written, so two workers never announce the same messages twice.

(b) ``bezorg``: due rows are claimed (a conditional update that hides the row for a lease), sent
outside any transaction, and their outcome recorded. Delivery is at-least-once: a worker that stops
between sending and recording leaves the row to be claimed again after the lease, so the receiver
may get a duplicate (same ``id``) but never misses a notification.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from knooppunt.config import Settings
from knooppunt.hub.notificaties import kanalen
from knooppunt.notify import Bestemming, Kanaal, Melding, Uitslag, register
from knooppunt.protocol.werkdagen import AMSTERDAM
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store import notificaties as store
from knooppunt.store.db import transactie
from knooppunt.store.models import Notificatie

log = structlog.get_logger("knooppunt.notificaties")

# Minutes to wait after attempt 1, 2, 3, ...; the last value repeats up to the maximum attempts.
WACHTTIJDEN_MINUTEN = (1, 5, 15, 60, 240, 720)
# A claimed row is hidden this long: at least, and longer than an attempt can take (connect, send
# and answer each within the timeout). Rows are claimed one at a time, so that several workers
# share a long queue and a slow receiver never holds a lease on rows it is not sending.
CLAIM_DUUR = timedelta(minutes=5)
# A message counts once it arrived this long ago, so that the mark never passes a message whose
# submitting transaction has a lower id but has not committed yet (see docs/decisions/0007).
RUSTTIJD = timedelta(seconds=60)


def wachttijd(poging: int) -> timedelta:
    return timedelta(minutes=WACHTTIJDEN_MINUTEN[min(poging, len(WACHTTIJDEN_MINUTEN)) - 1])


def digest_dag(*, digest_uur: int, laatste: date | None, nu: datetime) -> date | None:
    """Today's date (Amsterdam) if today's digest is due: at or after the hour, not yet sent."""
    lokaal = nu.astimezone(AMSTERDAM)
    if lokaal.hour < digest_uur or (laatste is not None and laatste >= lokaal.date()):
        return None
    return lokaal.date()


def plan_voor(session: Session, oin: str, *, nu: datetime) -> int:
    """Write the outbox rows for one participant; returns how many."""
    instellingen = store.instellingen(session, oin)
    if instellingen is None or instellingen.modus == "uit":
        return 0
    dag = None
    if instellingen.modus == "dagelijks":
        dag = digest_dag(digest_uur=instellingen.digest_uur, laatste=instellingen.laatste_digest_dag, nu=nu)
        if dag is None:
            return 0
    markering = instellingen.laatst_gemeld_id
    nieuw = store.nieuwe_berichten(session, ontvanger=oin, na_id=markering, nu=nu, gezet_voor=nu - RUSTTIJD)
    if nieuw is None:
        if dag is not None:  # nothing new today: the digest is done until tomorrow
            store.verschuif_markering(
                session,
                oin=oin,
                modus=instellingen.modus,
                van_id=markering,
                naar_id=markering,
                digest_dag=dag,
            )
        return 0
    if not store.verschuif_markering(
        session, oin=oin, modus=instellingen.modus, van_id=markering, naar_id=nieuw.tot_id, digest_dag=dag
    ):
        return 0  # another worker announced these messages
    rijen = [
        Notificatie(
            deelnemer=oin,
            kanaal=kanaal,
            aantallen=nieuw.aantallen,
            oudste_verloopt_op=nieuw.oudste_verloopt_op,
            tot_bericht_id=nieuw.tot_id,
            status="wachtend",
            pogingen=0,
            volgende_poging=nu,
            aangemaakt_op=nu,
        )
        for kanaal in kanalen(instellingen)
    ]
    for rij in rijen:
        store.voeg_notificatie_toe(session, rij)
    return len(rijen)


def plan(factory: sessionmaker[Session], *, nu: datetime) -> int:
    with factory() as session:
        oins = [i.oin for i in store.actieve_instellingen(session)]
    aantal = 0
    for oin in oins:
        with transactie(factory) as session:  # one participant per transaction
            aantal += plan_voor(session, oin, nu=nu)
    return aantal


def _werk(
    session: Session, notificatie: Notificatie, settings: Settings
) -> tuple[Melding, Bestemming | None]:
    deelnemer = deelnemers_store.haal(session, notificatie.deelnemer)
    instellingen = store.instellingen(session, notificatie.deelnemer)
    melding = Melding(
        id=notificatie.id,
        deelnemer=notificatie.deelnemer,
        deelnemer_naam=deelnemer.naam if deelnemer else notificatie.deelnemer,
        aantallen=dict(notificatie.aantallen),
        oudste_verloopt_op=notificatie.oudste_verloopt_op,
        portaal_url=settings.portaal_url or None,
        soort=notificatie.soort,
        details=dict(notificatie.details) if notificatie.details else None,
    )
    if instellingen is None or (instellingen.modus == "uit" and notificatie.soort != "beheer"):
        return melding, None
    return melding, Bestemming(
        emailadressen=tuple(instellingen.emailadressen),
        webhook_url=instellingen.webhook_url,
        webhook_geheim=instellingen.webhook_geheim,
    )


def claim_duur(settings: Settings) -> timedelta:
    return max(CLAIM_DUUR, timedelta(seconds=4 * settings.notificatie_timeout_seconden))


def _verstuur(kanaal: Kanaal, melding: Melding, bestemming: Bestemming) -> Uitslag:
    """One attempt. A channel reports delivery problems in its `Uitslag`; anything else it raises (a
    defect, or data it cannot put into a message) fails this notification only, recorded with its
    reason and retried later like any failure — it never stops the delivery of the others."""
    try:
        return kanaal.verstuur(melding, bestemming)
    except Exception as exc:
        log.exception("notificatie niet op te stellen", notificatie=melding.id, kanaal=kanaal.naam)
        return Uitslag.mislukt(f"interne fout bij het opstellen: {type(exc).__name__}: {exc}")


def bezorg(factory: sessionmaker[Session], *, nu: datetime, settings: Settings) -> dict[str, int]:
    """Send every due outbox row once; returns counts per outcome."""
    uitkomst = {"verzonden": 0, "opnieuw": 0, "mislukt": 0}
    max_pogingen = settings.notificatie_max_pogingen
    lease = claim_duur(settings)
    kanaal_per_naam: dict[str, Kanaal] = {naam: register.maak(naam, settings) for naam in register}
    while True:
        with transactie(factory) as session:
            uitkomst["mislukt"] += store.markeer_uitgeput(session, nu=nu, max_pogingen=max_pogingen)
            geclaimd = store.claim(session, nu=nu, tot=nu + lease, max_pogingen=max_pogingen, limiet=1)
            werk = [(n.id, n.pogingen, n.kanaal, n.deelnemer, *_werk(session, n, settings)) for n in geclaimd]
        if not werk:
            return uitkomst
        for notificatie_id, poging, kanaal_naam, oin, melding, bestemming in werk:
            kanaal = kanaal_per_naam.get(kanaal_naam)
            if bestemming is None:
                uitslag = Uitslag.mislukt("notificaties staan uit voor deze deelnemer", definitief=True)
            elif kanaal is None:
                uitslag = Uitslag.mislukt(f"onbekend kanaal {kanaal_naam!r}", definitief=True)
            else:
                uitslag = _verstuur(kanaal, melding, bestemming)
            if uitslag.gelukt:
                status, volgende = "verzonden", None
            elif uitslag.definitief or poging >= max_pogingen:
                status, volgende = "mislukt", None
            else:
                status, volgende = "wachtend", nu + wachttijd(poging)
            with transactie(factory) as session:
                store.leg_uitslag_vast(
                    session,
                    notificatie_id=notificatie_id,
                    poging=poging,
                    status=status,
                    nu=nu,
                    volgende_poging=volgende,
                    antwoordcode=uitslag.antwoordcode,
                    fout=uitslag.fout,
                )
            uitkomst["opnieuw" if status == "wachtend" else status] += 1
            log.info(
                "notificatie",
                notificatie=notificatie_id,
                kanaal=kanaal_naam,
                deelnemer=oin,
                poging=poging,
                status=status,
                antwoordcode=uitslag.antwoordcode,
                fout=uitslag.fout,
            )


def draai(factory: sessionmaker[Session], *, nu: datetime, settings: Settings) -> dict[str, Any]:
    aangemaakt = plan(factory, nu=nu)
    return {"aangemaakt": aangemaakt, **bezorg(factory, nu=nu, settings=settings)}
