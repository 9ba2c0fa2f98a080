"""What the portal tells a debt counsellor before a message goes out (DESIGN §3, §7): per creditor,
whether it can be reached through the hub at all (else another channel is needed), whether a hub
condition will refuse the message, which earlier message it refers to or answers, and the SDK's
warnings (9.1). It asks the hub itself (``mailbox.controleer_reeks``, the dry run an upload also uses) on the
current metadata; nothing is written. The hub decides again when the message is sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from knooppunt.client.fouten import VerzendFout
from knooppunt.hub import adresboek, mailbox
from knooppunt.pki.certificaat import OngeldigCertificaat
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.protocol.catalogus import Berichttype
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store.models import Bericht, Deelnemer

AFGESLOTEN = ("verlopen", "geweigerd")


@dataclass
class Verwijzing:
    """An earlier message this one can refer to (reminder) or answer (statusbericht)."""

    referentienummer: str
    berichttype: str
    ontvangen_op: datetime
    status: str
    beantwoord: bool


@dataclass
class Ontvangercontrole:
    oin: str
    deelnemer: Deelnemer | None
    onbereikbaar: str | None = None
    """Why the creditor cannot be reached through the hub (another channel is needed)."""
    weigering: str | None = None
    """What the hub will refuse, and why (a hub condition of the catalogue)."""
    waarschuwingen: list[str] = field(default_factory=list)
    verwijzingen: list[Verwijzing] = field(default_factory=list)
    verwijzing_verplicht: bool = False
    gekozen: str | None = None

    @property
    def naam(self) -> str:
        return self.deelnemer.naam if self.deelnemer is not None else self.oin

    @property
    def kan_verstuurd(self) -> bool:
        return self.onbereikbaar is None and self.weigering is None


def _verwijzingen(
    berichttype: Berichttype, eigen: str, ontvanger: str, tijdlijn: Sequence[Bericht]
) -> tuple[list[Verwijzing], bool]:
    """The messages of this conversation this one may refer to, newest first, and whether one is
    required: a reminder names the own open saldoverzoek or betaalvoorstel to this creditor
    (15.1); an answer (statusbericht to a statusverzoek, 14.2) names what the creditor sent."""
    # References stay within one module and version (DESIGN §2, §3a).
    tijdlijn = [b for b in tijdlijn if b.module == berichttype.module and b.versie == berichttype.versie]
    if berichttype.verwijst_naar:
        kandidaten = [
            b
            for b in tijdlijn
            if b.afzender == eigen
            and b.ontvanger == ontvanger
            and b.berichttype in berichttype.verwijst_naar
            and b.beantwoord_op is None
            and b.status not in AFGESLOTEN
        ]
        verplicht = True
    elif berichttype.beantwoordt:
        kandidaten = [
            b
            for b in tijdlijn
            if b.afzender == ontvanger
            and b.ontvanger == eigen
            and berichttype.beantwoordt_type(b.berichttype)
            and b.status not in AFGESLOTEN
        ]
        verplicht = berichttype.antwoord_verplicht_verwijzing
    else:
        return [], False
    uit = [
        Verwijzing(b.referentienummer, b.berichttype, b.ontvangen_op, b.status, b.beantwoord_op is not None)
        for b in sorted(kandidaten, key=lambda b: b.id, reverse=True)
    ]
    return uit, verplicht


def versie_van_verwijzing(
    soorten: Mapping[str, Berichttype],
    eigen: str,
    ontvangers: Sequence[str],
    tijdlijn: Sequence[Bericht],
    antwoord_op: str | None,
) -> str | None:
    """The version a message that names another goes in (DESIGN §3a: it "carries that message's
    `module` and `versie`", so open questions can be finished during a switch-over). ``soorten``:
    the type to compose per version of its module; ``tijdlijn``: the conversation, in that module.
    ``antwoord_op`` (a link's, or the one picked) when it is a message of the conversation; else
    the newest message still open that the type may name for these recipients, in any version.
    None: the type names nothing here, so the version both parties share applies."""
    if antwoord_op:
        genoemd = next((b for b in tijdlijn if b.referentienummer == antwoord_op), None)
        if genoemd is not None and genoemd.versie in soorten:
            return genoemd.versie
    open_ = [
        (v.ontvangen_op, versie)
        for versie, soort in soorten.items()
        for oin in ontvangers
        for v in _verwijzingen(soort, eigen, oin, tijdlijn)[0]
        if not v.beantwoord
    ]
    return max(open_)[1] if open_ else None


def controleer(
    gast: Gastclient,
    session: Session,
    nu: datetime,
    *,
    berichttype: Berichttype,
    ontvangers: Sequence[str],
    conversatie: str | None,
    gekozen: Mapping[str, str] | None = None,
) -> list[Ontvangercontrole]:
    """One check per creditor; ``gekozen`` holds the references the user picked (by OIN)."""
    tijdlijn = mailbox.conversatie_of_leeg(session, gast.oin, conversatie) if conversatie else []
    uit = []
    for oin in ontvangers:
        deelnemer, waarom_niet = gast.bereikbaar(session, oin, berichttype.module)
        controle = Ontvangercontrole(oin, deelnemer)
        uit.append(controle)
        if deelnemer is None or waarom_niet is not None:
            controle.onbereikbaar = f"{deelnemer.naam if deelnemer else oin} {waarom_niet}"
            continue
        controle.verwijzingen, controle.verwijzing_verplicht = _verwijzingen(
            berichttype, gast.oin, oin, tijdlijn
        )
        keuze = (gekozen or {}).get(oin)
        if keuze is not None:
            controle.gekozen = keuze or None  # "" is "none" (a statusbericht on its own initiative)
        elif controle.verwijzingen:
            open_ = [v for v in controle.verwijzingen if not v.beantwoord]
            if controle.verwijzing_verplicht or open_:
                controle.gekozen = (open_ or controle.verwijzingen)[0].referentienummer
        try:
            gast.ontvangercertificaat(session, deelnemer, nu)
        except (VerzendFout, OngeldigCertificaat) as exc:
            controle.weigering = controle.weigering or str(getattr(exc, "detail", exc))
        if conversatie:
            controle.waarschuwingen += gast.waarschuwingen(
                session,
                TeVersturen(
                    oin,
                    berichttype.code,
                    {},
                    conversatie,
                    module=berichttype.module,
                    versie=berichttype.versie,
                ),
            )
    # Every hub condition, judged by the hub itself on the metadata (the same dry run as an upload).
    te_controleren = [c for c in uit if c.onbereikbaar is None]
    uitkomsten = gast.controleer_in(
        session,
        [
            TeVersturen(
                c.oin,
                berichttype.code,
                {},
                conversatie or str(uuid.uuid4()),
                module=berichttype.module,
                versie=berichttype.versie,
                antwoord_op=c.gekozen,
            )
            for c in te_controleren
        ],
        nu,
    )
    for controle, fout in zip(te_controleren, uitkomsten, strict=True):
        if fout is not None:
            controle.weigering = fout.detail
    return uit


def schuldeisers_van(session: Session, oin: str, tijdlijn: Sequence[Bericht]) -> list[Deelnemer]:
    """The counterparts of a conversation (the creditors of this client), in order of first contact."""
    gezien: dict[str, Deelnemer] = {}
    for b in tijdlijn:
        ander = b.ontvanger if b.afzender == oin else b.afzender
        if ander in gezien or ander == mailbox.KNOOPPUNT:
            continue
        deelnemer = deelnemers_store.haal(session, ander)
        if deelnemer is not None:
            gezien[ander] = deelnemer
    return list(gezien.values())


def kenmerken(deelnemer: Deelnemer) -> list[str]:
    """What a debt counsellor needs to know of a creditor to pick the right message type."""
    uit = []
    if deelnemer.gebruikt_bsn:
        uit.append("identificeert op BSN")
    soorten = sorted(adresboek.schuldensoorten_van(deelnemer))
    if soorten:
        uit.append("schuldensoort " + ", ".join(soorten))
    if deelnemer.standaard_akkoord:
        uit.append("standaard akkoord met betaalvoorstellen")
    return uit
