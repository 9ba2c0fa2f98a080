"""Notices the hub itself sends (DESIGN §3): the receipt (``ontvangstbevestiging``) a sender gets
when its message is confirmed, and the ``foutbericht`` when it is refused or expires."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from knooppunt.hub.mailbox.envelop import KNOOPPUNT, Instellingen, termijn_einde
from knooppunt.protocol.werkdagen import AMSTERDAM
from knooppunt.store import berichten as store
from knooppunt.store.berichten import Berichtrij
from knooppunt.store.models import Bericht

VERLOPEN_OMSCHRIJVING = (
    "Bericht {ref} ({type}) is niet binnen de bevestigingstermijn door de ontvanger bevestigd en is "
    "verwijderd. U kunt het opnieuw aanbieden onder een nieuw referentienummer."
)


def hub_bericht_waarden(
    *,
    over: Berichtrij,
    ontvanger: str,
    berichttype: str,
    melding: dict[str, Any],
    nu: datetime,
    instellingen: Instellingen,
) -> dict[str, Any]:
    """The row of a notice about message `over`, in its conversation."""
    return {
        "referentienummer": str(uuid.uuid4()),
        "afzender": KNOOPPUNT,
        "ontvanger": ontvanger,
        "conversatie_referentienummer": over.conversatie_referentienummer,
        "cross_referentienummer": over.referentienummer,
        "berichttype": berichttype,
        "module": over.module,
        "versie": over.versie,  # a notice is in the module and version of the message it concerns
        "envelop_hash": hashlib.sha256(json.dumps(melding, sort_keys=True).encode()).hexdigest(),
        "status": "aangeboden",
        "ontvangen_op": nu,
        "verloopt_op": termijn_einde(instellingen.kalender, nu, instellingen.bevestigingstermijn),
        "melding": melding,
    }


def hub_bericht(
    session: Session,
    *,
    over: Bericht,
    ontvanger: str,
    berichttype: str,
    melding: dict[str, Any],
    nu: datetime,
    instellingen: Instellingen,
) -> Bericht:
    """A notice authored by the hub (foutbericht, ontvangstbevestiging), in the same conversation."""
    bericht = Bericht(
        **hub_bericht_waarden(
            over=over,
            ontvanger=ontvanger,
            berichttype=berichttype,
            melding=melding,
            nu=nu,
            instellingen=instellingen,
        )
    )
    return store.voeg_toe(session, bericht, None)


def ontvangstbevestiging(bericht: Berichtrij, *, nu: datetime, instellingen: Instellingen) -> dict[str, Any]:
    """The row of the receipt the sender gets when the recipient confirms ``bericht``."""
    return hub_bericht_waarden(
        over=bericht,
        ontvanger=bericht.afzender,
        berichttype="ontvangstbevestiging",
        melding={
            "code": "BEVESTIGD",
            "omschrijving": f"Bericht {bericht.referentienummer} ({bericht.berichttype}) is bevestigd "
            "door de ontvanger.",
            "referentienummer": bericht.referentienummer,
            "ontvanger": bericht.ontvanger,
            "bevestigdOp": nu.astimezone(AMSTERDAM).isoformat(),  # like every time on the wire
        },
        nu=nu,
        instellingen=instellingen,
    )


def verlopen_melding(bericht: Bericht, *, nu: datetime, instellingen: Instellingen) -> dict[str, Any]:
    """The row of the foutbericht VERLOPEN the sender gets when ``bericht`` expires (art. 17.5)."""
    return hub_bericht_waarden(
        over=bericht,
        ontvanger=bericht.afzender,
        berichttype="foutbericht",
        melding={
            "code": "VERLOPEN",
            "omschrijving": VERLOPEN_OMSCHRIJVING.format(
                ref=bericht.referentienummer, type=bericht.berichttype
            ),
            "referentienummer": bericht.referentienummer,
            "ontvanger": bericht.ontvanger,
        },
        nu=nu,
        instellingen=instellingen,
    )
