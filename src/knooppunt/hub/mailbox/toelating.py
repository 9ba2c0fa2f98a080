"""The admission pipeline: one ordered list of checks that lets an envelope in or refuses it, the
same for a single submit and for every envelope of a batch (DESIGN §4: "each exactly as a single
submit would be").

The pipeline reads nothing itself: it asks a `Zicht` (view) for the facts. `Databasezicht` asks
the database, for a single submit; the batch's view (`Reekszicht`) answers from the rows it read
once for the whole batch plus what the batch accepted before the envelope, which is what the
database would show the one-at-a-time path at that point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Row
from sqlalchemy.orm import Session

from knooppunt.hub import regels
from knooppunt.hub.mailbox import controles
from knooppunt.hub.mailbox.envelop import Envelop, Instellingen, R, termijn_einde
from knooppunt.protocol.catalogus import CATALOGUS, Berichttype
from knooppunt.store import berichten as store
from knooppunt.store import deelnemers as deelnemer_store
from knooppunt.store import inboxquotum
from knooppunt.store import verzenden as verzend_store
from knooppunt.store.berichten import Berichtrij
from knooppunt.store.models import Bericht, Deelnemer

R_co = TypeVar("R_co", bound=Berichtrij, covariant=True)


class Zicht(Protocol[R_co]):
    """The facts the pipeline asks for, as the database would give them to this envelope."""

    def bereid_voor(self, envelop: Envelop) -> None:
        """Called first, for each envelope: a view that reads the database may read every fact
        the envelope will need now, in one statement."""

    def regelfeiten(
        self, envelop: Envelop, berichttype: Berichttype, ontvanger: str, nu: datetime
    ) -> regels.Feiten:
        """Where the type's conditions get their facts (`regels.Feiten`)."""

    def bestaand(self, referentienummer: str) -> R_co | None:
        """The message with this number, whoever sent it."""

    def deelnemer(self, oin: str) -> Deelnemer | None: ...

    def eigenaar(self, conversatie: str) -> str:
        """The conversation's owner; a new conversation is the sender's (DESIGN §2)."""

    def bericht(self, referentienummer: str, *, afzender: str, ontvanger: str) -> R_co | None:
        """The message with this number between these two parties, in this direction."""

    def uitgewisseld(self, conversatie: str, module: str, ontvanger: str) -> bool:
        """Whether envelopes not yet in the database exchanged a message with `ontvanger` here
        (`regels.Context.uitgewisseld_in_reeks`)."""

    def aantal_open(self, ontvanger: str) -> int:
        """The sender's unconfirmed messages to `ontvanger` (counted up to ``max_open``)."""

    def bezetting(self, ontvanger: str) -> tuple[int, int]:
        """`inboxquotum.bezetting` of `ontvanger`: (all senders, this sender)."""


@dataclass(frozen=True, slots=True)
class Herhaling(Generic[R]):
    """A retry: the envelope's number is in use for this same envelope, by this sender."""

    bericht: R


@dataclass(frozen=True, slots=True)
class Toelating(Generic[R]):
    """An envelope let in: the row to insert (``waarden``) and what its effects need."""

    berichttype: Berichttype
    ontvanger: Deelnemer
    verwijzing: R | None
    waarden: dict[str, Any]
    grootte: int


def toelaten(
    zicht: Zicht[R],
    afzender: Deelnemer,
    envelop: Envelop,
    *,
    nu: datetime,
    instellingen: Instellingen,
    met_inhoud: bool = True,
) -> Herhaling[R] | Toelating[R]:
    """Judge one envelope: raises HubFout with the code of the first check that refuses it.
    ``met_inhoud=False`` (a dry run before sealing) skips the checks of the JWE and counts the
    message as empty; a number already in use is then always a conflict."""
    envelop_hash = envelop.hash() if met_inhoud else ""
    zicht.bereid_voor(envelop)
    bestaand = zicht.bestaand(envelop.referentienummer)
    if bestaand is not None:
        return Herhaling(controles.herhaling(bestaand, afzender, envelop_hash))

    berichttype = controles.berichttype_van(envelop)
    controles.controleer_afzender(berichttype, afzender)
    ontvanger = controles.controleer_ontvanger(
        berichttype, afzender, zicht.deelnemer(envelop.ontvanger), envelop
    )
    if met_inhoud:
        controles.controleer_inhoud(envelop, ontvanger, instellingen, nu)
    conversatie = envelop.conversatie_referentienummer
    ref = envelop.cross_referentienummer
    # A message that names another is judged by its reference first (DESIGN §3, §3a): an outsider
    # naming a message of someone else's traject gets the reference's refusal, in that traject's own
    # conversation as in any other, never a conversation error that tells it the traject exists. A
    # valid reference lies between the caller and the one addressed in this conversation, so its
    # owner is one of them and the owner's rule holds; it is still checked after the rules.
    noemt_bericht = berichttype.verwijst_naar or (berichttype.is_antwoord and ref is not None)
    if not noemt_bericht:
        controles.controleer_conversatie(afzender, envelop, zicht.eigenaar(conversatie))

    kandidaat = None
    if ref is not None and (berichttype.verwijst_naar or berichttype.is_antwoord):
        van, aan = controles.verwijzing_richting(berichttype, afzender, envelop)
        kandidaat = zicht.bericht(ref, afzender=van, ontvanger=aan)
    verwijzing = controles.beoordeel_verwijzing(berichttype, envelop, kandidaat, nu)
    regels.controleer(
        regels.Context(
            feiten=zicht.regelfeiten(envelop, berichttype, ontvanger.oin, nu),
            type=berichttype,
            afzender=afzender,
            ontvanger=ontvanger,
            conversatie=conversatie,
            verwijzing=verwijzing,
            nu=nu,
            uitgewisseld_in_reeks=zicht.uitgewisseld(conversatie, berichttype.module, ontvanger.oin),
        )
    )
    if noemt_bericht:
        controles.controleer_conversatie(afzender, envelop, zicht.eigenaar(conversatie))
    controles.controleer_open(ontvanger, zicht.aantal_open(ontvanger.oin), instellingen)
    # A dry run before sealing knows no size yet: it refuses only a sender already above its share.
    grootte = len(envelop.inhoud) if met_inhoud else 0
    controles.controleer_quotum(ontvanger, grootte, zicht.bezetting(ontvanger.oin), instellingen)

    waarden = {
        "referentienummer": envelop.referentienummer,
        "afzender": afzender.oin,
        "ontvanger": ontvanger.oin,
        "conversatie_referentienummer": conversatie,
        "cross_referentienummer": ref,
        "berichttype": berichttype.code,
        "module": berichttype.module,
        "versie": envelop.versie,
        "envelop_hash": envelop_hash,
        "status": "aangeboden",
        "ontvangen_op": nu,
        "verloopt_op": termijn_einde(instellingen.kalender, nu, instellingen.bevestigingstermijn),
    }
    return Toelating(berichttype, ontvanger, verwijzing, waarden, grootte)


@dataclass(frozen=True, slots=True)
class _Opgezocht:
    """`regels.Feiten` from what `store.verzenden.lees_feiten` read beforehand."""

    feiten: verzend_store.Feiten

    def laatste_antwoord(self, vraag: regels.LaatsteAntwoord) -> regels.Antwoordfeit | None:
        rij = self.feiten.antwoorden[verzend_store.Antwoordvraag(vraag.typen, vraag.vraagtypen)]
        return rij

    def eerder_uitgewisseld(self) -> bool:
        return self.feiten.uitgewisseld


@dataclass(frozen=True, slots=True)
class _Navragen:
    """`regels.Feiten` asked of the database one at a time (a batch)."""

    session: Session
    conversatie: str
    module: str
    afzender: str
    ontvanger: str
    nu: datetime

    def laatste_antwoord(self, vraag: regels.LaatsteAntwoord) -> regels.Antwoordfeit | None:
        rij = store.laatste_antwoord(
            self.session,
            conversatie=self.conversatie,
            module=self.module,
            van=self.ontvanger,
            aan=self.afzender,
            typen=vraag.typen,
            vraagtypen=vraag.vraagtypen,
            nu=self.nu,
        )
        return rij

    def eerder_uitgewisseld(self) -> bool:
        return store.eerder_uitgewisseld(
            self.session,
            conversatie=self.conversatie,
            module=self.module,
            partij=self.afzender,
            tegenpartij=self.ontvanger,
            nu=self.nu,
        )


def feitvraag(
    afzender: Deelnemer, envelop: Envelop, *, nu: datetime | None = None
) -> verzend_store.Feitvraag:
    """What `store.verzenden.lees_feiten` (or `feitenvraag`) must read for this envelope: every
    fact its type's conditions ask, the referenced message in its direction, the number's message,
    the conversation's owner and the recipient's counters."""
    berichttype = CATALOGUS.zoek(envelop.module, envelop.berichttype, envelop.versie)
    verwijzing = None
    vragen: list[regels.Feitvraag] = []
    if berichttype is not None:
        vragen = list(regels.benodigde_feiten(berichttype))
        ref = envelop.cross_referentienummer
        if ref is not None and (berichttype.verwijst_naar or berichttype.is_antwoord):
            van, aan = controles.verwijzing_richting(berichttype, afzender, envelop)
            verwijzing = (ref, van, aan)
    return verzend_store.Feitvraag(
        referentienummer=envelop.referentienummer,
        conversatie=envelop.conversatie_referentienummer,
        module=envelop.module,
        afzender=afzender.oin,
        ontvanger=envelop.ontvanger,
        verwijzing=verwijzing,
        antwoordvragen=tuple(
            verzend_store.Antwoordvraag(v.typen, v.vraagtypen)
            for v in vragen
            if isinstance(v, regels.LaatsteAntwoord)
        ),
        uitgewisseld=any(isinstance(v, regels.EerderUitgewisseld) for v in vragen),
        nu=nu,
    )


@dataclass(slots=True)
class Databasezicht:
    """The view of a single submit: every fact read in one statement when the envelope arrives
    (`bereid_voor`, `store.verzenden.lees_feiten`) unless given (``feiten``: read before, on the
    event loop), the adresboek entries from this process's cache (`deelnemers`) when it has one."""

    session: Session | None
    """None: the facts are given and the adresboek is ``deelnemers`` (the submit on the event loop)."""
    afzender: Deelnemer
    nu: datetime
    instellingen: Instellingen
    deelnemers: Callable[[str], Deelnemer | None] | None = None
    feiten: verzend_store.Feiten | None = None

    def bereid_voor(self, envelop: Envelop) -> None:
        if self.feiten is None:  # read before, for the hot submit on the event loop (api/lus.py)
            assert self.session is not None
            self.feiten = verzend_store.lees_feiten(
                self.session, feitvraag(self.afzender, envelop, nu=self.nu)
            )

    def _gelezen(self) -> verzend_store.Feiten:
        assert self.feiten is not None, "bereid_voor komt eerst"
        return self.feiten

    def regelfeiten(
        self, envelop: Envelop, berichttype: Berichttype, ontvanger: str, nu: datetime
    ) -> regels.Feiten:
        return _Opgezocht(self._gelezen())

    def bestaand(self, referentienummer: str) -> Berichtrij | None:
        return self._gelezen().bestaand

    def deelnemer(self, oin: str) -> Deelnemer | None:
        if self.deelnemers is not None:
            return self.deelnemers(oin)
        assert self.session is not None
        return deelnemer_store.haal(self.session, oin)

    def eigenaar(self, conversatie: str) -> str:
        # A new conversation is claimed by the first message's sender, in every module, when the
        # message is written (store.verzenden.schrijf); a message refused writes nothing.
        return self._gelezen().eigenaar or self.afzender.oin

    @property
    def claimt(self) -> bool:
        """Whether the accepted envelope starts its conversation."""
        return self._gelezen().eigenaar is None

    def bericht(self, referentienummer: str, *, afzender: str, ontvanger: str) -> Berichtrij | None:
        return self._gelezen().verwijzing

    def uitgewisseld(self, conversatie: str, module: str, ontvanger: str) -> bool:
        return False

    def aantal_open(self, ontvanger: str) -> int:
        # The maintained counter of the inbox quota, not a count of messages (#13).
        return self._gelezen().aantal_open

    def bezetting(self, ontvanger: str) -> tuple[int, int]:
        return self._gelezen().bezetting


@dataclass
class Reekszicht:
    """The view of an envelope of a batch: the rows found once for the whole batch (``bekend``,
    ``eigenaren``), plus what the batch accepted before that envelope (`neem_op`)."""

    session: Session
    afzender: Deelnemer
    instellingen: Instellingen
    bekend: dict[str, Row[Any]]
    eigenaren: dict[str, str]
    deelnemers: dict[str, Deelnemer | None] = field(default_factory=dict)
    open_per_ontvanger: dict[str, int] = field(default_factory=dict)
    bezettingen: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per recipient: (its unconfirmed ciphertext, of which this sender's), as `inboxquotum.bezetting`."""
    uitgewisseld_met: set[tuple[str, str, str]] = field(default_factory=set)
    """(conversation, module, recipient) of the accepted envelopes: EERDER_UITGEWISSELD per module."""
    in_reeks: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    """Accepted envelopes of the batch by referentienummer: (index, the row to insert)."""

    def bereid_voor(self, envelop: Envelop) -> None:
        return  # the batch read its rows once (verzenden._plan_reeks)

    def regelfeiten(
        self, envelop: Envelop, berichttype: Berichttype, ontvanger: str, nu: datetime
    ) -> regels.Feiten:
        return _Navragen(
            self.session,
            envelop.conversatie_referentienummer,
            berichttype.module,
            self.afzender.oin,
            ontvanger,
            nu,
        )

    def bestaand(self, referentienummer: str) -> Berichtrij | None:
        eerder = self.in_reeks.get(referentienummer)
        if eerder is not None:
            return Bericht(**eerder[1])
        return self.bekend.get(referentienummer)

    def deelnemer(self, oin: str) -> Deelnemer | None:
        if oin not in self.deelnemers:
            self.deelnemers[oin] = deelnemer_store.haal(self.session, oin)
        return self.deelnemers[oin]

    def eigenaar(self, conversatie: str) -> str:
        # A new conversation is claimed when the batch is stored (`verzenden._claim_reeks`).
        return self.eigenaren.get(conversatie, self.afzender.oin)

    def bericht(self, referentienummer: str, *, afzender: str, ontvanger: str) -> Berichtrij | None:
        gevonden = self.bestaand(referentienummer)
        if gevonden is not None and (gevonden.afzender, gevonden.ontvanger) != (afzender, ontvanger):
            return None
        return gevonden

    def uitgewisseld(self, conversatie: str, module: str, ontvanger: str) -> bool:
        return (conversatie, module, ontvanger) in self.uitgewisseld_met

    def aantal_open(self, ontvanger: str) -> int:
        if ontvanger not in self.open_per_ontvanger:
            self.open_per_ontvanger[ontvanger] = inboxquotum.aantal_open(
                self.session, ontvanger=ontvanger, afzender=self.afzender.oin
            )
        return self.open_per_ontvanger[ontvanger]

    def bezetting(self, ontvanger: str) -> tuple[int, int]:
        if ontvanger not in self.bezettingen:
            self.bezettingen[ontvanger] = inboxquotum.bezetting(
                self.session, ontvanger=ontvanger, afzender=self.afzender.oin
            )
        return self.bezettingen[ontvanger]

    def neem_op(self, index: int, toelating: Toelating[Berichtrij]) -> bool:
        """The envelope at `index` is accepted: the envelopes after it see it as the database
        would. Returns whether it starts its conversation."""
        waarden = toelating.waarden
        ontvanger = toelating.ontvanger.oin
        conversatie = waarden["conversatie_referentienummer"]
        self.open_per_ontvanger[ontvanger] += 1
        totaal, eigen = self.bezettingen[ontvanger]
        self.bezettingen[ontvanger] = (totaal + toelating.grootte, eigen + toelating.grootte)
        self.uitgewisseld_met.add((conversatie, toelating.berichttype.module, ontvanger))
        self.in_reeks[waarden["referentienummer"]] = (index, waarden)
        claimt = conversatie not in self.eigenaren
        if claimt:
            self.eigenaren[conversatie] = self.afzender.oin
        return claimt
