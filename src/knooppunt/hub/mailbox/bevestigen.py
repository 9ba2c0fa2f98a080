"""A recipient's verdict on a message (DESIGN §4, §6): confirming it (one, many, or by answering
it), or refusing content it cannot read. Confirming deletes the content, starts the answer term
and sends the sender a receipt; refusing deletes the content and tells the sender why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from knooppunt.hub import audit
from knooppunt.hub.adresboek import Partij
from knooppunt.hub.fouten import HubFout, OngeldigVeld, niet_gevonden
from knooppunt.hub.mailbox.envelop import KNOOPPUNT, WEIGERREDENEN, Instellingen, R, termijn_einde
from knooppunt.hub.mailbox.meldingen import hub_bericht, ontvangstbevestiging
from knooppunt.hub.mailbox.verlopen import verloop
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.werkdagen import AMSTERDAM
from knooppunt.store import berichten as store
from knooppunt.store import bevestigen as bevestig_store
from knooppunt.store.berichten import Berichtrij
from knooppunt.store.models import Bericht, Deelnemer


@dataclass(frozen=True, slots=True)
class Bevestiging:
    """Outcome of a confirm or refusal. ``verlopen`` means the message was past its term: it is now
    expired (commit that) and the caller reports VERLOPEN (410)."""

    bericht: Bericht
    nieuw: bool
    verlopen: bool = False


def _niet_open(
    session: Session, bericht: Bericht, *, nu: datetime, instellingen: Instellingen
) -> Bevestiging:
    session.refresh(bericht)
    if bericht.status in ("aangeboden", "opgehaald"):
        # Past its term but not yet swept: expire it now, so the sender is told (art. 17.5).
        verloop(session, bericht, nu=nu, instellingen=instellingen)
    if bericht.status == "verlopen":
        return Bevestiging(bericht, False, verlopen=True)
    return Bevestiging(bericht, False)


def bevestig(
    session: Session,
    ontvanger: Deelnemer | Partij,
    referentienummer: str,
    *,
    nu: datetime,
    instellingen: Instellingen,
) -> Bevestiging:
    """Confirm receipt: content deleted, answer deadline starts, receipt to the sender.
    Confirming again is harmless."""
    bericht = store.voor_ontvanger(session, ontvanger=ontvanger.oin, referentienummer=referentienummer)
    return _bevestig_een(session, bericht, referentienummer, nu=nu, instellingen=instellingen)


def _bevestig_een(
    session: Session,
    bericht: Bericht | None,
    referentienummer: str,
    *,
    nu: datetime,
    instellingen: Instellingen,
) -> Bevestiging:
    if bericht is None:
        raise niet_gevonden(f"Bericht {referentienummer}")
    if _bevestig(session, bericht, nu=nu, instellingen=instellingen):
        audit.bevestigd(session, bericht.ontvanger, [bericht], nu=nu)
        return Bevestiging(bericht, True)
    uitkomst = _niet_open(session, bericht, nu=nu, instellingen=instellingen)
    if uitkomst.bericht.status == "geweigerd":
        raise HubFout(
            "GEWEIGERD",
            409,
            "Bericht geweigerd",
            f"Bericht {referentienummer} is door u geweigerd en kan niet meer bevestigd worden.",
        )
    return uitkomst


def _bevestig_set(
    session: Session,
    berichten: Sequence[R],
    *,
    nu: datetime,
    instellingen: Instellingen,
    beantwoord: bool = False,
) -> list[R]:
    """Confirm messages already locked by the caller: one UPDATE per answer deadline, one DELETE
    of their ciphertext, one multi-row INSERT of the receipts. Returns those confirmed (the
    ones still open and unexpired); the caller writes their audit entries. ``beantwoord``: they
    are being answered, and the same UPDATE marks them so."""
    per_termijn: dict[datetime | None, list[R]] = {}
    for bericht in berichten:
        per_termijn.setdefault(_antwoord_uiterlijk(bericht, nu, instellingen), []).append(bericht)
    bonnen: list[dict[str, Any]] = []
    gelukte: list[R] = []
    for uiterlijk, groep in per_termijn.items():
        gelukt = store.bevestig_set(
            session, [b.id for b in groep], nu=nu, antwoord_uiterlijk=uiterlijk, beantwoord=beantwoord
        )
        for bericht in groep:
            if bericht.id in gelukt:
                if isinstance(bericht, Bericht):  # rows (a batch's) are read once and let go
                    store.toon_bevestigd(bericht, nu=nu, antwoord_uiterlijk=uiterlijk, beantwoord=beantwoord)
                gelukte.append(bericht)
                if bericht.afzender != KNOOPPUNT:
                    bonnen.append(ontvangstbevestiging(bericht, nu=nu, instellingen=instellingen))
    store.voeg_hub_berichten_toe(session, bonnen)
    return gelukte


def bevestig_meerdere(
    session: Session,
    ontvanger: Deelnemer | Partij,
    referentienummers: Sequence[str],
    *,
    nu: datetime,
    instellingen: Instellingen,
) -> list[tuple[str, Bericht | None, str | None]]:
    """Confirm many; returns (referentienummer, message or None, error code or None) per number.

    Set-based: on PostgreSQL the open, unexpired messages are confirmed — their ciphertext deleted,
    their counters lowered, their receipts and audit entries written — in one statement
    (store.bevestigen, decision 0033); elsewhere with one UPDATE per answer deadline, one DELETE of
    their ciphertext and one multi-row INSERT of the receipts. The rest (unknown, already
    confirmed, expired, refused) get their exact outcome as from `bevestig`."""
    if session.get_bind().dialect.name == "postgresql":
        return _bevestig_meerdere_pg(session, ontvanger, referentienummers, nu=nu, instellingen=instellingen)
    # One query loads and locks them all, in id order (no deadlocks between hub nodes).
    berichten = store.vergrendel(session, ontvanger=ontvanger.oin, referentienummers=referentienummers)
    gelukte = _bevestig_set(
        session,
        [b for b in berichten.values() if b.status in ("aangeboden", "opgehaald") and b.verloopt_op >= nu],
        nu=nu,
        instellingen=instellingen,
    )
    bevestigd = {b.id for b in gelukte}
    audit.bevestigd(session, ontvanger.oin, gelukte, nu=nu)
    return _uitkomsten(
        session,
        referentienummers,
        {ref: (b, b.id in bevestigd) for ref, b in berichten.items()},
        nu=nu,
        instellingen=instellingen,
    )


def _uitkomsten(
    session: Session,
    referentienummers: Sequence[str],
    berichten: dict[str, tuple[Bericht, bool]],
    *,
    nu: datetime,
    instellingen: Instellingen,
) -> list[tuple[str, Bericht | None, str | None]]:
    """Each number's outcome: confirmed just now (the first time it is named), else that of
    `bevestig` — read from the message as it is now, without a query, when that decides it."""
    resultaten: list[tuple[str, Bericht | None, str | None]] = []
    gezien: set[str] = set()
    for ref in referentienummers:
        gevonden, nieuw = berichten.get(ref, (None, False))
        if gevonden is not None and nieuw and ref not in gezien:
            gezien.add(ref)
            resultaten.append((ref, gevonden, None))
            continue
        if gevonden is not None and gevonden.status in _BESLIST:
            resultaten.append((ref, gevonden, _BESLIST[gevonden.status]))
            continue
        try:
            uitkomst = _bevestig_een(session, gevonden, ref, nu=nu, instellingen=instellingen)
        except HubFout as fout:
            resultaten.append((ref, gevonden, fout.code))
            continue
        resultaten.append((ref, uitkomst.bericht, "VERLOPEN" if uitkomst.verlopen else None))
    return resultaten


_BESLIST: dict[str, str | None] = {
    "bevestigd": None,
    "beantwoord": None,
    "geweigerd": "GEWEIGERD",
    "verlopen": "VERLOPEN",
}
"""A locked message with one of these statuses that was not confirmed now: its outcome (as
`_bevestig_een` would find it, with a query more)."""

_BON_OMSCHRIJVING = "Bericht %1$s (%2$s) is bevestigd door de ontvanger."
"""meldingen.ontvangstbevestiging's omschrijving as a PostgreSQL ``format()`` template."""


def _termijnen(nu: datetime, instellingen: Instellingen) -> list[bevestig_store.Termijn]:
    """The answer deadline from `nu` of every message type that expects an answer."""
    per_werkdagen: dict[int, datetime] = {}
    termijnen = []
    for berichttype in CATALOGUS.alle():
        if not berichttype.antwoord_verwacht:
            continue
        werkdagen = instellingen.antwoordtermijn_van(berichttype)
        if werkdagen not in per_werkdagen:
            per_werkdagen[werkdagen] = termijn_einde(instellingen.kalender, nu, werkdagen)
        termijnen.append(
            bevestig_store.Termijn(
                berichttype.module, berichttype.code, berichttype.versie, per_werkdagen[werkdagen]
            )
        )
    return termijnen


def bevestigvraag(
    ontvanger: str, *, nu: datetime, instellingen: Instellingen
) -> bevestig_store.Bevestigvraag:
    """What `ontvanger`'s confirm at `nu` asks of its statement but the numbers: the answer
    deadlines, the receipts' term and text, the audit entries' actor and action (store.bevestigen)."""
    return bevestig_store.Bevestigvraag(
        ontvanger=ontvanger,
        nu=nu,
        termijnen=_termijnen(nu, instellingen),
        hub=KNOOPPUNT,
        bon_verloopt_op=termijn_einde(instellingen.kalender, nu, instellingen.bevestigingstermijn),
        bevestigd_op_tekst=nu.astimezone(AMSTERDAM).isoformat(),
        omschrijving=_BON_OMSCHRIJVING,
        actor=ontvanger,
        actie=audit.Actie.BEVESTIGD.value,
    )


def _bevestig_meerdere_pg(
    session: Session,
    ontvanger: Deelnemer | Partij,
    referentienummers: Sequence[str],
    *,
    nu: datetime,
    instellingen: Instellingen,
) -> list[tuple[str, Bericht | None, str | None]]:
    berichten = bevestig_store.bevestig_pagina(
        session, bevestigvraag(ontvanger.oin, nu=nu, instellingen=instellingen), referentienummers
    )
    return _uitkomsten(
        session,
        referentienummers,
        {b.referentienummer: (b, nieuw) for b, nieuw in berichten},
        nu=nu,
        instellingen=instellingen,
    )


def weiger(
    session: Session,
    ontvanger: Deelnemer | Partij,
    referentienummer: str,
    reden: str,
    *,
    nu: datetime,
    instellingen: Instellingen,
) -> Bevestiging:
    """Refuse content that cannot be decrypted, verified or validated (DESIGN §4)."""
    if reden not in WEIGERREDENEN:
        raise HubFout(
            "ONGELDIG_VERZOEK",
            400,
            "Ongeldig verzoek",
            f"reden {reden!r} is onbekend; kies uit {', '.join(WEIGERREDENEN)}",
            [OngeldigVeld("reden", "onbekende reden")],
        )
    if session.get_bind().dialect.name == "postgresql":
        return _weiger_pg(session, ontvanger, referentienummer, reden, nu=nu, instellingen=instellingen)
    bericht = store.voor_ontvanger(session, ontvanger=ontvanger.oin, referentienummer=referentienummer)
    if bericht is None:
        raise niet_gevonden(f"Bericht {referentienummer}")
    if bericht.afzender == KNOOPPUNT:
        raise _niet_weigerbaar()
    if not store.weiger(session, bericht.id, nu=nu):
        return _niet_geweigerd(session, bericht, referentienummer, nu=nu, instellingen=instellingen)
    audit.geweigerd(session, ontvanger.oin, bericht, reden, nu=nu)
    hub_bericht(
        session,
        over=bericht,
        ontvanger=bericht.afzender,
        berichttype="foutbericht",
        melding={
            "code": "GEWEIGERD",
            "reden": reden,
            "omschrijving": _weigertekst(reden)
            .replace("%1$s", bericht.referentienummer)
            .replace("%2$s", bericht.berichttype)
            .replace("%%", "%"),
            "referentienummer": bericht.referentienummer,
            "ontvanger": bericht.ontvanger,
        },
        nu=nu,
        instellingen=instellingen,
    )
    session.refresh(bericht)
    return Bevestiging(bericht, True)


def _niet_weigerbaar() -> HubFout:
    return HubFout(
        "NIET_WEIGERBAAR",
        409,
        "Kan niet weigeren",
        "Meldingen van het knooppunt zijn niet versleuteld en kunnen niet geweigerd worden; bevestig ze.",
    )


def _niet_geweigerd(
    session: Session, bericht: Bericht, referentienummer: str, *, nu: datetime, instellingen: Instellingen
) -> Bevestiging:
    """A message that was not open to refuse: expired now if past its term, or refused before;
    one confirmed already cannot be refused."""
    uitkomst = _niet_open(session, bericht, nu=nu, instellingen=instellingen)
    if uitkomst.bericht.status in ("bevestigd", "beantwoord"):
        raise HubFout(
            "AL_BEVESTIGD",
            409,
            "Al bevestigd",
            f"Bericht {referentienummer} is al bevestigd; weigeren kan alleen vóór bevestiging.",
        )
    return uitkomst


def _weigertekst(reden: str) -> str:
    """The foutbericht's omschrijving as a PostgreSQL ``format()`` template (``%1$s`` the
    referentienummer, ``%2$s`` the type), filled in SQL on PostgreSQL and by `weiger` on SQLite."""
    return (
        f"Bericht %1$s (%2$s) is geweigerd: {WEIGERREDENEN[reden].replace('%', '%%')}. De inhoud is "
        "verwijderd; stuur het opnieuw onder een nieuw referentienummer."
    )


def _weiger_pg(
    session: Session,
    ontvanger: Deelnemer | Partij,
    referentienummer: str,
    reden: str,
    *,
    nu: datetime,
    instellingen: Instellingen,
) -> Bevestiging:
    """`weiger` on PostgreSQL: refused, inhoud deleted, counter lowered, foutbericht and audit
    entry in one statement (store.bevestigen.weiger_pg); the other outcomes as `weiger`'s."""
    uit = bevestig_store.weiger_pg(
        session,
        ontvanger=ontvanger.oin,
        referentienummer=referentienummer,
        reden=reden,
        nu=nu,
        hub=KNOOPPUNT,
        melding_verloopt_op=termijn_einde(instellingen.kalender, nu, instellingen.bevestigingstermijn),
        omschrijving=_weigertekst(reden),
        actor=ontvanger.oin,
        actie=audit.Actie.GEWEIGERD.value,
    )
    if uit is None:
        raise niet_gevonden(f"Bericht {referentienummer}")
    bericht, nieuw = uit
    if nieuw:
        return Bevestiging(bericht, True)
    if bericht.afzender == KNOOPPUNT:
        raise _niet_weigerbaar()
    return _niet_geweigerd(session, bericht, referentienummer, nu=nu, instellingen=instellingen)


def beantwoord_reeks(
    session: Session, vragen: list[Berichtrij], *, nu: datetime, instellingen: Instellingen
) -> None:
    """`beantwoord` for many questions: the open ones are confirmed (loaded and locked in id
    order, so concurrent batches never deadlock) and marked beantwoord in the same UPDATE, the
    confirmed ones marked beantwoord."""
    if not vragen:
        return
    open_ = store.vergrendel_rijen(session, [v.id for v in vragen if v.status in ("aangeboden", "opgehaald")])
    gelukte = _bevestig_set(
        session,
        [v for v in open_ if v.status in ("aangeboden", "opgehaald")],
        nu=nu,
        instellingen=instellingen,
        beantwoord=True,
    )
    for ontvanger in sorted({v.ontvanger for v in gelukte}):
        audit.bevestigd(
            session, ontvanger, [v for v in gelukte if v.ontvanger == ontvanger], nu=nu, door_antwoord=True
        )
    al_beantwoord = {v.id for v in gelukte}
    store.markeer_beantwoord_set(session, [v.id for v in vragen if v.id not in al_beantwoord], nu=nu)


def beantwoord(session: Session, vraag: Bericht, *, nu: datetime, instellingen: Instellingen) -> None:
    """An answer confirms an unconfirmed question, then marks it beantwoord (DESIGN §3)."""
    if vraag.status in ("aangeboden", "opgehaald") and _bevestig(
        session, vraag, nu=nu, instellingen=instellingen
    ):
        audit.bevestigd(session, vraag.ontvanger, [vraag], nu=nu, door_antwoord=True)
    store.markeer_beantwoord(session, vraag.id, nu=nu)


def _antwoord_uiterlijk(bericht: Berichtrij, nu: datetime, instellingen: Instellingen) -> datetime | None:
    berichttype = CATALOGUS.zoek(bericht.module, bericht.berichttype, bericht.versie)
    if berichttype is None or not berichttype.antwoord_verwacht:
        return None
    return termijn_einde(instellingen.kalender, nu, instellingen.antwoordtermijn_van(berichttype))


def _bevestig(session: Session, bericht: Bericht, *, nu: datetime, instellingen: Instellingen) -> bool:
    uiterlijk = _antwoord_uiterlijk(bericht, nu, instellingen)
    if not store.bevestig(session, bericht.id, nu=nu, antwoord_uiterlijk=uiterlijk):
        return False
    store.toon_bevestigd(bericht, nu=nu, antwoord_uiterlijk=uiterlijk)
    if bericht.afzender != KNOOPPUNT:
        store.voeg_hub_berichten_toe(
            session, [ontvangstbevestiging(bericht, nu=nu, instellingen=instellingen)]
        )
    return True
