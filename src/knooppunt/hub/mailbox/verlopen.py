"""Expiry (DESIGN §6): a message not confirmed within the bevestigingstermijn loses its content and
its sender is told (art. 17.5); hub notices expire silently."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from knooppunt.hub import audit
from knooppunt.hub.mailbox.envelop import KNOOPPUNT, Instellingen
from knooppunt.hub.mailbox.meldingen import VERLOPEN_OMSCHRIJVING, verlopen_melding
from knooppunt.store import berichten as store
from knooppunt.store.models import Bericht


def verloop(session: Session, bericht: Bericht, *, nu: datetime, instellingen: Instellingen) -> bool:
    """Expire one message past its term: content deleted, sender told (art. 17.5). Hub notices
    expire silently."""
    if not store.laat_verlopen(session, bericht.id, nu=nu):
        return False
    audit.verlopen(session, bericht, nu=nu)
    if bericht.afzender != KNOOPPUNT:
        store.voeg_hub_berichten_toe(session, [verlopen_melding(bericht, nu=nu, instellingen=instellingen)])
    session.refresh(bericht)
    return True


def verloop_reeks(session: Session, *, nu: datetime, instellingen: Instellingen, limiet: int = 2000) -> int:
    """Expire up to `limiet` due messages at once (the job's path): content deleted, status
    `verlopen`, a ``foutbericht`` VERLOPEN to each sender (art. 17.5); hub notices expire silently.
    Returns how many expired. On PostgreSQL one statement does it all; elsewhere one UPDATE, one
    DELETE and one multi-row INSERT."""
    if session.get_bind().dialect.name == "postgresql":
        rijen = store.verloop_met_meldingen_pg(
            session,
            nu=nu,
            limiet=limiet,
            hub=KNOOPPUNT,
            berichttype="foutbericht",
            code="VERLOPEN",
            omschrijving=VERLOPEN_OMSCHRIJVING.format(ref="%1$s", type="%2$s"),
            melding_verloopt_op=instellingen.kalender.termijn_einde(nu, instellingen.bevestigingstermijn),
        )
        audit.verlopen_reeks(session, rijen, nu=nu)
        return len(rijen)
    rijen = store.verloop_reeks(session, nu=nu, limiet=limiet)
    meldingen = [
        verlopen_melding(
            Bericht(
                referentienummer=r.referentienummer,
                afzender=r.afzender,
                ontvanger=r.ontvanger,
                conversatie_referentienummer=r.conversatie_referentienummer,
                berichttype=r.berichttype,
                module=r.module,
                versie=r.versie,
            ),
            nu=nu,
            instellingen=instellingen,
        )
        for r in rijen
        if r.afzender != KNOOPPUNT
    ]
    store.voeg_hub_berichten_toe(session, meldingen)
    audit.verlopen_reeks(session, rijen, nu=nu)
    return len(rijen)
