"""Fetching (DESIGN §4): the recipient's inbox, a page at a time, and one message; fetching marks
``opgehaaldOp`` and keeps the message until it is confirmed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from knooppunt.hub import audit
from knooppunt.hub.adresboek import Partij
from knooppunt.hub.fouten import niet_gevonden
from knooppunt.store import berichten as store
from knooppunt.store.models import Bericht, Deelnemer


@dataclass(frozen=True, slots=True)
class Pagina:
    """One fetch page (DESIGN §4): its messages, chosen by their size before any content is read,
    and whether more remain after the last of them (``volgende``)."""

    berichten: list[Bericht]
    meer: bool


def kies_pagina(kandidaten: Sequence[Bericht], *, limiet: int, max_bytes: int) -> tuple[list[Bericht], bool]:
    """The oldest of `kandidaten` (oldest first) that fit in `limiet` messages and `max_bytes` of
    inhoud, but always at least one, however large; and whether any candidate was left out."""
    pagina: list[Bericht] = []
    bytes_ = 0
    for bericht in kandidaten[:limiet]:
        grootte = bericht.grootte or 0  # hub notices carry no inhoud
        if pagina and bytes_ + grootte > max_bytes:
            break
        pagina.append(bericht)
        bytes_ += grootte
    return pagina, len(pagina) < len(kandidaten)


def ophalen_pagina(
    session: Session,
    ontvanger: Deelnemer | Partij,
    *,
    nu: datetime,
    limiet: int,
    max_bytes: int,
    na_id: int | None = None,
    berichttype: str | None = None,
    afzender: str | None = None,
    module: str | None = None,
    referentienummers: Sequence[str] | None = None,
) -> Pagina:
    """The inbox, one page of it without the content (read it a few messages at a time with
    `inhoud_van`, so no page is ever held whole): marks opgehaaldOp, keeps the messages until they
    are confirmed. With ``referentienummers`` only those of them that are open."""
    kandidaten = store.inbox_metadata(
        session,
        ontvanger=ontvanger.oin,
        nu=nu,
        limiet=limiet + 1,
        na_id=na_id,
        berichttype=berichttype,
        afzender=afzender,
        module=module,
        referentienummers=referentienummers,
    )
    berichten, meer = kies_pagina(kandidaten, limiet=limiet, max_bytes=max_bytes)
    store.markeer_opgehaald(session, [b.id for b in berichten], nu=nu)
    audit.opgehaald(session, ontvanger.oin, [(b, b.opgehaald_op is not None) for b in berichten], nu=nu)
    for bericht in berichten:
        # Show what the conditional update did, without marking the objects dirty: a flush
        # would write the status back unconditionally and could undo a concurrent confirm.
        store.toon_opgehaald(bericht, nu=nu)
    return Pagina(berichten, meer)


def inhoud_van(
    session: Session, ontvanger: str, referentienummers: Sequence[str], *, nu: datetime
) -> dict[str, str]:
    """The ciphertext of these messages of a page just fetched (`ophalen_pagina`) by number; one
    confirmed, refused or expired meanwhile is left out."""
    return {
        bericht.referentienummer: jwe
        for bericht, jwe in store.inbox(
            session,
            ontvanger=ontvanger,
            nu=nu,
            limiet=len(referentienummers),
            referentienummers=referentienummers,
        )
        if jwe is not None
    }


def ophalen(
    session: Session,
    ontvanger: Deelnemer | Partij,
    *,
    nu: datetime,
    limiet: int,
    max_bytes: int,
    na_id: int | None = None,
    berichttype: str | None = None,
    afzender: str | None = None,
    module: str | None = None,
    referentienummers: Sequence[str] | None = None,
) -> list[tuple[Bericht, str | None]]:
    """`ophalen_pagina` with the content of its messages (at most `max_bytes` of it, or the one
    message): the portal's fetch, which opens what it fetched."""
    pagina = ophalen_pagina(
        session,
        ontvanger,
        nu=nu,
        limiet=limiet,
        max_bytes=max_bytes,
        na_id=na_id,
        berichttype=berichttype,
        afzender=afzender,
        module=module,
        referentienummers=referentienummers,
    )
    if not pagina.berichten:
        return []
    inhouden = {
        bericht.id: jwe
        for bericht, jwe in store.inbox(
            session,
            ontvanger=ontvanger.oin,
            nu=nu,
            limiet=len(pagina.berichten),
            referentienummers=[b.referentienummer for b in pagina.berichten],
        )
    }
    return [(bericht, inhouden.get(bericht.id)) for bericht in pagina.berichten]


def een_bericht(
    session: Session, ontvanger: Deelnemer | Partij, referentienummer: str, *, nu: datetime
) -> tuple[Bericht, str | None]:
    bericht = store.voor_ontvanger(session, ontvanger=ontvanger.oin, referentienummer=referentienummer)
    if bericht is None:
        raise niet_gevonden(f"Bericht {referentienummer}")
    jwe = None
    if bericht.status in ("aangeboden", "opgehaald") and bericht.verloopt_op >= nu:
        jwe = store.inhoud(session, bericht.id)
        if jwe is None and bericht.melding is None:
            # Its day key is destroyed (a restored backup): the content is gone, as at expiry.
            store.toon_verlopen(bericht)
            return bericht, None
        audit.opgehaald(session, ontvanger.oin, [(bericht, bericht.opgehaald_op is not None)], nu=nu)
        store.markeer_opgehaald(session, [bericht.id], nu=nu)
        session.refresh(bericht)
    return bericht, jwe


def open_berichten(session: Session, ontvanger: Deelnemer, *, nu: datetime) -> Sequence[Bericht]:
    """The open inbox as metadata (nothing fetched, nothing marked)."""
    return store.open_metadata(session, ontvanger=ontvanger.oin, nu=nu)


def nieuw_per_type(session: Session, ontvanger: Deelnemer, *, nu: datetime) -> dict[str, int]:
    return store.nieuw_per_type(session, ontvanger=ontvanger.oin, nu=nu)


def ontvangen_set(
    session: Session, ontvanger: Deelnemer, referentienummers: Sequence[str]
) -> dict[str, Row[Any]]:
    """Metadata of the messages with these numbers addressed to `ontvanger` (any status), as
    read-only rows with the columns of `Bericht`: what a recipient may know of messages it
    received, e.g. to address its answers."""
    return store.voor_ontvanger_set(session, ontvanger=ontvanger.oin, referentienummers=referentienummers)
