"""What a participant sees of its messages as metadata (DESIGN §4, §7): sent messages and their
deadlines, a conversation's timeline, a debt counsellor's clients, reminders and hub notices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from knooppunt.hub.adresboek import Partij
from knooppunt.hub.fouten import niet_gevonden
from knooppunt.hub.mailbox.envelop import KNOOPPUNT
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.store import berichten as store
from knooppunt.store.models import OPEN_STATUSSEN, Bericht, Deelnemer


def te_laat(bericht: store.Berichtkolommen, nu: datetime) -> bool:
    """Past the answer deadline without an answer, or answered after it (art. 2.1): marked so by
    the deadline job (DESIGN §6, from its clock, a dry run's included), or so at `nu`."""
    if bericht.antwoord_uiterlijk is None:
        return False
    if bericht.termijn_verstreken:
        return True
    moment = bericht.beantwoord_op or nu
    return moment > bericht.antwoord_uiterlijk


def status_op(bericht: store.Berichtkolommen, nu: datetime) -> str:
    """The status a participant sees at `nu` (DESIGN §6): a message still open past its verlooptOp
    is `verlopen` at once, before the expiry job has deleted its content and told the sender (it can
    no longer be fetched or confirmed: the same comparison as those use)."""
    if bericht.status in OPEN_STATUSSEN and bericht.verloopt_op < nu:
        return "verlopen"
    return bericht.status


def verzonden(
    session: Session,
    afzender: Deelnemer | Partij,
    *,
    limiet: int,
    voor_id: int | None,
    status: str | None,
    conversatie: str | None,
    nu: datetime,
    module: str | None = None,
) -> Sequence[Bericht]:
    return store.verzonden(
        session,
        afzender=afzender.oin,
        limiet=limiet,
        voor_id=voor_id,
        status=status,
        conversatie=conversatie,
        module=module,
        nu=nu,
    )


def verstuurd_set(
    session: Session, afzender: Deelnemer, referentienummers: Sequence[str]
) -> dict[str, datetime]:
    """Which of these numbers `afzender` already sent, with their ``ontvangenOp``: an upload of the
    portal skips them as already sent (DESIGN §7)."""
    return store.van_afzender_set(session, afzender=afzender.oin, referentienummers=referentienummers)


def conversatie(
    session: Session, partij: Deelnemer | Partij, conversatie_referentienummer: str
) -> Sequence[Bericht]:
    berichten = store.tijdlijn(session, conversatie=conversatie_referentienummer, partij=partij.oin)
    if not berichten:
        raise niet_gevonden(f"Conversatie {conversatie_referentienummer}")
    return berichten


def conversatie_of_leeg(session: Session, oin: str, conversatie_referentienummer: str) -> Sequence[Bericht]:
    """The timeline the participant may see, empty when it has none (portal warnings)."""
    return store.tijdlijn(session, conversatie=conversatie_referentienummer, partij=oin)


def kan_reminder_krijgen(bericht: store.Berichtrij) -> bool:
    """Whether a reminder may refer to this type of message (art. 15.1: saldoverzoek, betaalvoorstel)."""
    berichttype = CATALOGUS.zoek(bericht.module, "reminder", bericht.versie)
    return berichttype is not None and bericht.berichttype in berichttype.verwijst_naar


def aantal_reminders(
    session: Session, afzender: Deelnemer | Partij, berichten: Sequence[Bericht]
) -> dict[str, int]:
    """Per message of `afzender` that a reminder may refer to: how many reminders it sent."""
    refs = [b.referentienummer for b in berichten if b.afzender == afzender.oin and kan_reminder_krijgen(b)]
    return store.aantal_reminders(session, afzender=afzender.oin, referentienummers=refs)


# --- a debt counsellor's clients (the portal's client list, DESIGN §7) -------------------------------


@dataclass(frozen=True, slots=True)
class Conversatieoverzicht:
    """One client's traject at a party in it (its SHV, or a party another started it with), from
    metadata only; ``eigenaar`` is the participant that started it."""

    conversatie: str
    aangemaakt_op: datetime
    eigenaar: str = ""
    berichten: int = 0
    tegenpartijen: int = 0
    laatste: datetime | None = None
    open_vragen: int = 0
    te_laat: int = 0
    nieuw: int = 0
    eerst_verlopend: datetime | None = None
    """The earliest ``verlooptOp`` of the messages waiting for the party (art. 17.3)."""


def conversaties(
    session: Session,
    shv: Deelnemer,
    *,
    nu: datetime,
    limiet: int,
    offset: int = 0,
    alleen: Sequence[str] | None = None,
) -> tuple[list[Conversatieoverzicht], int]:
    """The conversations this SHV (or bewindvoerder) takes part in — those it started and those
    another party started with it, e.g. the fund's verzoek kredietinformatie to a kredietbank
    (DESIGN §2) — newest first, one page, with their counts, and how many there are in all;
    ``alleen`` narrows them to these conversations."""
    pagina, totaal = store.conversaties_van_partij(
        session, partij=shv.oin, hub=KNOOPPUNT, limiet=limiet, offset=offset, alleen=alleen
    )
    vraagtypen: dict[str, set[str]] = {}
    for t in CATALOGUS.alle():  # a kennisgeving expects an answer in pauzeknop, not in schuldregeling
        if t.antwoord_verwacht:
            vraagtypen.setdefault(t.module, set()).add(t.code)
    tellingen = store.conversatie_tellingen(
        session,
        partij=shv.oin,
        conversaties=[c for c, _, _ in pagina],
        hub=KNOOPPUNT,
        vraagtypen=vraagtypen,
        nu=nu,
    )
    return [
        Conversatieoverzicht(c, op, eigenaar, **tellingen.get(c, {})) for c, op, eigenaar in pagina
    ], totaal


def meldingen_over(
    session: Session, partij: Deelnemer, berichten: Sequence[Bericht]
) -> dict[str, list[Bericht]]:
    """The hub's notices (foutbericht VERLOPEN / GEWEIGERD) to `partij` about these messages it
    sent, by the referentienummer they concern."""
    refs = [b.referentienummer for b in berichten if b.afzender == partij.oin]
    uit: dict[str, list[Bericht]] = {}
    for melding in store.meldingen_over(session, ontvanger=partij.oin, hub=KNOOPPUNT, referentienummers=refs):
        if melding.cross_referentienummer is not None:
            uit.setdefault(melding.cross_referentienummer, []).append(melding)
    return uit
