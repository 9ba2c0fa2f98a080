"""Fetching (DESIGN §4): the recipient's inbox, a page at a time, and one message; fetching marks
``opgehaaldOp`` and keeps the message until it is confirmed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from knooppunt.hub import audit
from knooppunt.hub.adresboek import Partij
from knooppunt.hub.fouten import niet_gevonden
from knooppunt.store import berichten as store
from knooppunt.store import ophalen as ophaal_store
from knooppunt.store.berichten import Berichtkolommen
from knooppunt.store.models import Bericht, Deelnemer


@dataclass(frozen=True, slots=True)
class Pagina:
    """One fetch page (DESIGN §4): its messages, chosen by their size before any content is read,
    and whether more remain after the last of them (``volgende``); ``inhoud``: the JWE (None: its
    day key is destroyed, the content is gone) of the messages whose content came with the page,
    by number."""

    berichten: list[Berichtkolommen]
    meer: bool
    inhoud: dict[str, str | None] = field(default_factory=dict)


def kies_pagina(kandidaten: Sequence[Bericht], *, limiet: int, max_bytes: int) -> tuple[list[Bericht], bool]:
    """The oldest of `kandidaten` (oldest first) that fit in `limiet` messages and `max_bytes` of
    inhoud, but always at least one, however large; and whether any candidate was left out.
    (store.ophalen chooses a page the same way in its statement.)"""
    pagina: list[Bericht] = []
    bytes_ = 0
    for bericht in kandidaten[:limiet]:
        grootte = bericht.grootte or 0  # hub notices carry no inhoud
        if pagina and bytes_ + grootte > max_bytes:
            break
        pagina.append(bericht)
        bytes_ += grootte
    return pagina, len(pagina) < len(kandidaten)


INGESLOTEN_BYTES = 1024 * 1024
"""Inhoud read with the API's page (store.ophalen): its first streamed group (api.v1 reads the
inhoud a group of at most 1 MiB at a time), so a page of small messages needs no other query."""


def paginavraag(
    ontvanger: str,
    *,
    nu: datetime,
    limiet: int,
    max_bytes: int,
    ingesloten_bytes: int,
    na_id: int | None = None,
    berichttype: str | None = None,
    afzender: str | None = None,
    module: str | None = None,
    referentienummers: Sequence[str] | None = None,
) -> ophaal_store.Paginavraag:
    """A recipient's fetch as the store reads it: the recipient itself asks, and each message's
    audit entry says it was fetched (the thread path's and the event loop's fetch alike)."""
    return ophaal_store.Paginavraag(
        ontvanger=ontvanger,
        actor=ontvanger,
        actie=audit.Actie.OPGEHAALD.value,
        nu=nu,
        limiet=limiet,
        max_bytes=max_bytes,
        ingesloten_bytes=ingesloten_bytes,
        na_id=na_id,
        berichttype=berichttype,
        afzender=afzender,
        module=module,
        referentienummers=referentienummers,
    )


def _haal_pagina(session: Session, vraag: ophaal_store.Paginavraag) -> tuple[Pagina, list[Berichtkolommen]]:
    """The page, marked and audited in one statement (store.ophalen), with the content that came
    with it opened; and the messages whose content did not come with it."""
    rijen, meer = ophaal_store.haal_pagina(session, vraag)
    return pagina_uit(
        rijen,
        meer,
        nu=vraag.nu,
        open_=lambda bericht, opgeslagen: store.open_inhoud(
            session,
            afzender=bericht.afzender,
            referentienummer=bericht.referentienummer,
            opgeslagen=opgeslagen,
        ),
    )


def pagina_uit(
    rijen: Sequence[ophaal_store.Paginarij],
    meer: bool,
    *,
    nu: datetime,
    open_: Callable[[Berichtkolommen, str], str | None],
) -> tuple[Pagina, list[Berichtkolommen]]:
    """The page of the fetch statement's rows (store.ophalen), the content that came with it opened
    by ``open_`` (the thread's session, or the day keys in memory on the event loop,
    api/lus_inbox.py), shown as fetched; and the messages whose content did not come with it."""
    inhoud: dict[str, str | None] = {}
    zonder: list[Berichtkolommen] = []
    getoond: list[Berichtkolommen] = []
    for rij in rijen:
        bericht = rij.bericht
        if not rij.ingesloten:
            zonder.append(bericht)
        elif rij.opgeslagen is not None:
            # None: its day key is destroyed (a restored backup), the content is gone, as at expiry.
            inhoud[bericht.referentienummer] = open_(bericht, rij.opgeslagen)
        elif bericht.melding is None:
            inhoud[bericht.referentienummer] = None  # no inhoud left: nothing to serve
        # Show what the conditional update did (without marking ORM objects dirty).
        getoond.append(store.toon_opgehaald(bericht, nu=nu))
    return Pagina(getoond, meer, inhoud), zonder


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
    """The inbox, one page of it with the content of at most its first `INGESLOTEN_BYTES` (read
    the rest a few messages at a time with `inhoud_van`, so no page is ever held whole): marks
    opgehaaldOp, keeps the messages until they are confirmed. With ``referentienummers`` only
    those of them that are open. ``Pagina.inhoud``: the content that came with the page, by
    number (None: gone), for the caller to serve before it reads the rest with `inhoud_van`."""
    pagina, _zonder = _haal_pagina(
        session,
        paginavraag(
            ontvanger.oin,
            nu=nu,
            limiet=limiet,
            max_bytes=max_bytes,
            ingesloten_bytes=INGESLOTEN_BYTES,
            na_id=na_id,
            berichttype=berichttype,
            afzender=afzender,
            module=module,
            referentienummers=referentienummers,
        ),
    )
    return pagina


def inhoud_van(
    session: Session, ontvanger: str, referentienummers: Sequence[str], *, nu: datetime
) -> dict[str, str]:
    """The ciphertext of these messages of a page just fetched (`ophalen_pagina`) by number; one
    confirmed, refused or expired meanwhile, or whose day key is destroyed, is left out."""
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
) -> list[tuple[Berichtkolommen, str | None]]:
    """`ophalen_pagina` with the content of its messages (at most `max_bytes` of it, or the one
    message): the portal's fetch, which opens what it fetched. The content comes with the page;
    only a single message larger than `max_bytes` is read on its own."""
    pagina, zonder = _haal_pagina(
        session,
        paginavraag(
            ontvanger.oin,
            nu=nu,
            limiet=limiet,
            max_bytes=max_bytes,
            ingesloten_bytes=max_bytes,
            na_id=na_id,
            berichttype=berichttype,
            afzender=afzender,
            module=module,
            referentienummers=referentienummers,
        ),
    )
    if not pagina.berichten:
        return []
    inhouden = dict(pagina.inhoud)
    if zonder:
        inhouden |= {
            bericht.referentienummer: jwe
            for bericht, jwe in store.inbox(
                session,
                ontvanger=ontvanger.oin,
                nu=nu,
                limiet=len(zonder),
                referentienummers=[b.referentienummer for b in zonder],
            )
        }
    return [(bericht, inhouden.get(bericht.referentienummer)) for bericht in pagina.berichten]


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


def nieuw_per_type(
    session: Session, ontvanger: Deelnemer, *, nu: datetime
) -> dict[tuple[str, str, str], int]:
    return store.nieuw_per_type(session, ontvanger=ontvanger.oin, nu=nu)


def ontvangen_set(
    session: Session, ontvanger: Deelnemer, referentienummers: Sequence[str]
) -> dict[str, Row[Any]]:
    """Metadata of the messages with these numbers addressed to `ontvanger` (any status), as
    read-only rows with the columns of `Bericht`: what a recipient may know of messages it
    received, e.g. to address its answers."""
    return store.voor_ontvanger_set(session, ontvanger=ontvanger.oin, referentienummers=referentienummers)
