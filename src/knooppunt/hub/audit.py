"""The audit log (DESIGN §5): an append-only, tamper-evident record of who sent which message type
to whom, who fetched, confirmed or refused it, what expired, and every beheer action on the
adresboek. Metadata only: never inhoud, never a payload field.

The hub notes entries on the session while it works; they are inserted, without any lock, when the
session commits (store.audit), so an action and its entry commit or roll back together. The
sequencer (hub.sequencer) later numbers them and builds the signed RFC 6962 Merkle tree.
``verifieer`` recomputes the tree and checks the signed heads with a public key given by the
caller, and exported checkpoints expose a cut-off or rewritten tail. ``schoon_op`` purges entries
past the retention period behind an anchor (their compact range), so the rest still verifies.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import takewhile
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from knooppunt.hub.merkle import Rand
from knooppunt.hub.notitie import Checkpoint, NotitieFout, Verificatiesleutel, lees_checkpoint
from knooppunt.hub.sequencer import blad
from knooppunt.store import audit as store
from knooppunt.store.berichten import Berichtrij
from knooppunt.store.db import db_nu, leesverbinding
from knooppunt.store.models import Bericht, Certificaat, Deelnemer

KNOOPPUNT = "KNOOPPUNT"  # the actor of what the hub does by itself (expiry, purge)


class Actie(StrEnum):
    VERSTUURD = "verstuurd"
    GEWEIGERD_BIJ_VERZENDEN = "geweigerd_bij_verzenden"  # uitkomst: the hub's error code
    # A malformed request to the API (400/415) from an authenticated participant; uitkomst:
    # "<code> <operationId>", never a field's value.
    GEWEIGERD_VERZOEK = "geweigerd_verzoek"
    OPGEHAALD = "opgehaald"  # uitkomst: "eerste" or "opnieuw"
    BEVESTIGD = "bevestigd"  # uitkomst: "door_antwoord" when an answer confirmed it
    GEWEIGERD = "geweigerd"  # by the recipient; uitkomst: the reden code
    VERLOPEN = "verlopen"
    INGELOGD = "ingelogd"  # a portal login; actor: the user's subject, deelnemer: the OIN (if any)
    UITGELOGD = "uitgelogd"
    SLEUTEL_GEBRUIKT = "sleutel_gebruikt"  # the portal decrypted a hosted key; uitkomst: why
    DEELNEMER_GEWIJZIGD = "deelnemer_gewijzigd"  # uitkomst: which fields (modules, flags, ...)
    DEELNEMER_TOEGEVOEGD = "deelnemer_toegevoegd"  # uitkomst: the rol
    # Where a participant's notices go (e-mail addresses, mode, digest hour, webhook); uitkomst: the
    # settings changed ("email,modus,webhook"), never an address, URL or secret.
    NOTIFICATIES_GEWIJZIGD = "notificaties_gewijzigd"
    CERTIFICAAT_TOEGEVOEGD = "certificaat_toegevoegd"  # uitkomst: the gebruik, e.g. "tls,versleuteling"
    CERTIFICAAT_INGETROKKEN = "certificaat_ingetrokken"
    # Issued by the hub's portal CA for a key made in a portal user's browser (DESIGN §5, key
    # transparency); uitkomst: "portaal-ca:<gebruik>". Registering it follows as certificaat_toegevoegd.
    CERTIFICAAT_UITGEGEVEN = "certificaat_uitgegeven"
    AUDIT_OPGESCHOOND = "audit_opgeschoond"  # uitkomst: "t/m <volgnummer>"
    # Written once by migration 0011: the hash-chained log became the Merkle tree; uitkomst: the old
    # chain's head hash, so the old chain is bound into the new tree.
    AUDIT_OMGEZET = "audit_omgezet"
    # A CRL older than the shared one, refused (DESIGN §5); certificaat: the trust anchor's SHA-256.
    CRL_GEWEIGERD = "crl_geweigerd"  # uitkomst: "nummer <aangeboden> < <gehouden>" or "... thisUpdate ouder"
    # An aanvraag (#14): an organisation's own aanmeldformulier or a participant's extra modules;
    # deelnemer: the (requested) OIN; uitkomst: "<soort> <id>". Never the contact details or a reason.
    AANVRAAG_INGEDIEND = "aanvraag_ingediend"
    AANVRAAG_GOEDGEKEURD = "aanvraag_goedgekeurd"
    AANVRAAG_GEWEIGERD = "aanvraag_geweigerd"
    # Access of a portal user to the organisation's keys in the browser (decision 0027); actor: who
    # did it, deelnemer: the OIN, uitkomst: the user it concerns ("portaal:<subject>").
    SLEUTELTOEGANG_GEVRAAGD = "sleuteltoegang_gevraagd"
    SLEUTELTOEGANG_GEGEVEN = "sleuteltoegang_gegeven"
    SLEUTELTOEGANG_GEWEIGERD = "sleuteltoegang_geweigerd"
    SLEUTELTOEGANG_BEEINDIGD = "sleuteltoegang_beeindigd"
    # The kluis master keys destroyed once no hosted key was needed any more (DESIGN §5 "Migration");
    # uitkomst: the master key ids.
    KLUIS_VERNIETIGD = "kluis_vernietigd"


def beheerder(wie: str) -> str:
    """The actor of an operator action: ``beheer:<who>``."""
    return f"beheer:{wie}"[:80]


def _regel(actie: Actie, *, actor: str, tijd: datetime, **velden: str | None) -> dict[str, Any]:
    return {"actie": actie.value, "actor": actor[:80], "tijd": tijd, **velden}


def _over_bericht(
    actie: Actie, bericht: Berichtrij, *, actor: str, tijd: datetime, uitkomst: str | None = None
) -> dict[str, Any]:
    return _regel(
        actie,
        actor=actor,
        tijd=tijd,
        berichttype=bericht.berichttype,
        module=bericht.module,
        afzender=bericht.afzender,
        ontvanger=bericht.ontvanger,
        referentienummer=bericht.referentienummer,
        uitkomst=uitkomst,
    )


# --- what the mailbox and the adresboek note -----------------------------------------------------


def verstuurd(session: Session, bericht: Bericht, *, nu: datetime) -> None:
    store.noteer(session, [verstuurd_regel(bericht, nu=nu)])


def verstuurd_regel(bericht: Berichtrij, *, nu: datetime) -> dict[str, Any]:
    """The entry of a submitted message, for a caller that writes it with the message itself
    (store.verzenden.schrijf)."""
    return _over_bericht(Actie.VERSTUURD, bericht, actor=bericht.afzender, tijd=nu)


def verstuurd_reeks(session: Session, berichten: Iterable[Berichtrij], *, nu: datetime) -> None:
    """One entry per message of a batch submit (mailbox.verstuur_reeks)."""
    actie = Actie.VERSTUURD.value  # once: an enum's .value is a descriptor call
    store.noteer(
        session,
        [
            {
                "actie": actie,
                "actor": b.afzender[:80],
                "tijd": nu,
                "berichttype": b.berichttype,
                "module": b.module,
                "afzender": b.afzender,
                "ontvanger": b.ontvanger,
                "referentienummer": b.referentienummer,
                "uitkomst": None,
            }
            for b in berichten
        ],
    )


def geweigerd_bij_verzenden(
    *,
    afzender: str,
    berichttype: str,
    module: str,
    ontvanger: str,
    referentienummer: str,
    code: str,
    nu: datetime,
) -> dict[str, Any]:
    """The entry of a submit the hub refused. Not queued on the request's session, which rolls
    back: the transaction owner writes it in a transaction of its own (api.deps)."""
    return _regel(
        Actie.GEWEIGERD_BIJ_VERZENDEN,
        actor=afzender,
        tijd=nu,
        berichttype=berichttype[:64],
        module=module[:32],
        afzender=afzender,
        ontvanger=ontvanger[:20],
        referentienummer=referentienummer[:36],
        uitkomst=code,
    )


def geweigerd_verzoek(*, actor: str, operatie: str, code: str, nu: datetime) -> dict[str, Any]:
    """The entry of a request the API refused as malformed (which field, and its value, stay out:
    they could be payload). Written like `geweigerd_bij_verzenden`, by the transaction owner."""
    return _regel(Actie.GEWEIGERD_VERZOEK, actor=actor, tijd=nu, uitkomst=f"{code} {operatie}"[:64])


def noteer(session: Session, regels: Sequence[Mapping[str, Any]]) -> None:
    """Queue prepared entries (e.g. a refusal) on this session, written when it commits."""
    store.noteer(session, regels)


def opgehaald(
    session: Session, actor: str, berichten: Iterable[tuple[Bericht, bool]], *, nu: datetime
) -> None:
    """One entry per message handed out with its content; ``bool``: fetched before."""
    store.noteer(
        session,
        [
            _over_bericht(
                Actie.OPGEHAALD, b, actor=actor, tijd=nu, uitkomst="opnieuw" if eerder else "eerste"
            )
            for b, eerder in berichten
        ],
    )


def bevestigd(
    session: Session,
    actor: str,
    berichten: Iterable[Berichtrij],
    *,
    nu: datetime,
    door_antwoord: bool = False,
) -> None:
    uitkomst = "door_antwoord" if door_antwoord else None
    store.noteer(
        session,
        [_over_bericht(Actie.BEVESTIGD, b, actor=actor, tijd=nu, uitkomst=uitkomst) for b in berichten],
    )


def geweigerd(session: Session, actor: str, bericht: Bericht, reden: str, *, nu: datetime) -> None:
    store.noteer(session, [_over_bericht(Actie.GEWEIGERD, bericht, actor=actor, tijd=nu, uitkomst=reden)])


def verlopen(session: Session, bericht: Bericht, *, nu: datetime) -> None:
    store.noteer(session, [_over_bericht(Actie.VERLOPEN, bericht, actor=KNOOPPUNT, tijd=nu)])


def verlopen_reeks(session: Session, rijen: Iterable[Any], *, nu: datetime) -> None:
    """One entry per message the sweep expired; ``rijen`` carry the message's metadata columns
    (berichttype, module, afzender, ontvanger, referentienummer), as the sweep returns them."""
    actie = Actie.VERLOPEN.value  # once: an enum's .value is a descriptor call
    store.noteer(
        session,
        [
            {
                "actie": actie,
                "actor": KNOOPPUNT,
                "tijd": nu,
                "berichttype": r.berichttype,
                "module": r.module,
                "afzender": r.afzender,
                "ontvanger": r.ontvanger,
                "referentienummer": r.referentienummer,
                "uitkomst": None,
            }
            for r in rijen
        ],
    )


def deelnemer_toegevoegd(session: Session, deelnemer: Deelnemer, *, door: str, nu: datetime) -> None:
    store.noteer(
        session,
        [
            _regel(
                Actie.DEELNEMER_TOEGEVOEGD,
                actor=door,
                tijd=nu,
                deelnemer=deelnemer.oin,
                uitkomst=deelnemer.rol,
            ),
            *(
                _certificaat(Actie.CERTIFICAAT_TOEGEVOEGD, c, door=door, nu=nu)
                for c in deelnemer.certificaten
            ),
        ],
    )


def _certificaat(actie: Actie, cert: Certificaat, *, door: str, nu: datetime) -> dict[str, Any]:
    uitkomst = ",".join(cert.gebruik) if actie is Actie.CERTIFICAAT_TOEGEVOEGD else None
    return _regel(
        actie, actor=door, tijd=nu, deelnemer=cert.oin, certificaat=cert.vingerafdruk, uitkomst=uitkomst
    )


def certificaat_toegevoegd(session: Session, cert: Certificaat, *, door: str, nu: datetime) -> None:
    store.noteer(session, [_certificaat(Actie.CERTIFICAAT_TOEGEVOEGD, cert, door=door, nu=nu)])


def certificaat_uitgegeven(
    session: Session, *, oin: str, vingerafdruk: str, gebruik: str, door: str, nu: datetime
) -> None:
    """A certificate the portal CA issued (DESIGN §5 key transparency: every certificate issued or
    registered for anyone is an entry in the signed audit log)."""
    store.noteer(
        session,
        [
            _regel(
                Actie.CERTIFICAAT_UITGEGEVEN,
                actor=door,
                tijd=nu,
                deelnemer=oin,
                certificaat=vingerafdruk,
                uitkomst=f"portaal-ca:{gebruik}"[:64],
            )
        ],
    )


def certificaat_ingetrokken(session: Session, cert: Certificaat, *, door: str, nu: datetime) -> None:
    store.noteer(session, [_certificaat(Actie.CERTIFICAAT_INGETROKKEN, cert, door=door, nu=nu)])


def ingelogd(session: Session, *, wie: str, oin: str | None, hoe: str, nu: datetime) -> None:
    store.noteer(session, [_regel(Actie.INGELOGD, actor=wie, tijd=nu, deelnemer=oin, uitkomst=hoe)])


def uitgelogd(session: Session, *, wie: str, oin: str | None, hoe: str, nu: datetime) -> None:
    store.noteer(session, [_regel(Actie.UITGELOGD, actor=wie, tijd=nu, deelnemer=oin, uitkomst=hoe)])


def sleutel_gebruikt(session: Session, *, wie: str, oin: str, kid: str, waarvoor: str, nu: datetime) -> None:
    """Every decryption of a hosted participant's private key (DESIGN §5)."""
    store.noteer(
        session,
        [
            _regel(
                Actie.SLEUTEL_GEBRUIKT,
                actor=wie,
                tijd=nu,
                deelnemer=oin,
                certificaat=kid[:64],
                uitkomst=waarvoor[:64],
            )
        ],
    )


def deelnemer_gewijzigd(session: Session, *, oin: str, wat: str, door: str, nu: datetime) -> None:
    store.noteer(
        session, [_regel(Actie.DEELNEMER_GEWIJZIGD, actor=door, tijd=nu, deelnemer=oin, uitkomst=wat[:64])]
    )


def notificaties_gewijzigd(session: Session, *, oin: str, wat: str, door: str, nu: datetime) -> None:
    store.noteer(
        session, [_regel(Actie.NOTIFICATIES_GEWIJZIGD, actor=door, tijd=nu, deelnemer=oin, uitkomst=wat[:64])]
    )


def aanvraag(
    session: Session, actie: Actie, *, door: str, oin: str, soort: str, nummer: int, nu: datetime
) -> None:
    """An aanvraag submitted, approved or refused (metadata only)."""
    assert actie in (Actie.AANVRAAG_INGEDIEND, Actie.AANVRAAG_GOEDGEKEURD, Actie.AANVRAAG_GEWEIGERD)
    store.noteer(
        session, [_regel(actie, actor=door, tijd=nu, deelnemer=oin, uitkomst=f"{soort} {nummer}"[:64])]
    )


SLEUTELTOEGANG = (
    Actie.SLEUTELTOEGANG_GEVRAAGD,
    Actie.SLEUTELTOEGANG_GEGEVEN,
    Actie.SLEUTELTOEGANG_GEWEIGERD,
    Actie.SLEUTELTOEGANG_BEEINDIGD,
)


def sleuteltoegang(session: Session, actie: Actie, *, door: str, oin: str, wie: str, nu: datetime) -> None:
    """A portal user's access to the organisation's keys asked, given, refused or ended (metadata:
    who did it and whom it concerns, never a key)."""
    assert actie in SLEUTELTOEGANG
    store.noteer(session, [_regel(actie, actor=door, tijd=nu, deelnemer=oin, uitkomst=wie[:64])])


def kluis_vernietigd(session: Session, *, door: str, ids: str, nu: datetime) -> None:
    store.noteer(session, [_regel(Actie.KLUIS_VERNIETIGD, actor=door, tijd=nu, uitkomst=ids[:64])])


def crl_geweigerd(
    session: Session, *, uitgever: str, nummer: int, gehouden_nummer: int, nu: datetime
) -> None:
    """A source served an older CRL than the hub holds (a revocation rolled back): refused."""
    if nummer != gehouden_nummer:
        uitkomst = f"nummer {nummer} < {gehouden_nummer}"
    else:
        uitkomst = f"nummer {nummer}, thisUpdate ouder"
    store.noteer(
        session,
        [_regel(Actie.CRL_GEWEIGERD, actor=KNOOPPUNT, tijd=nu, certificaat=uitgever, uitkomst=uitkomst[:64])],
    )


# --- verifying ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Probleem:
    volgnummer: int | None  # None: about the log as a whole (entries waiting too long)
    # ontbreekt | gewijzigd | boom | handtekening | afgeknipt | checkpoint | niet_ondertekend
    # | anker | ongesequenceerd
    soort: str
    uitleg: str

    def __str__(self) -> str:
        if self.volgnummer is None:
            return f"{self.soort}: {self.uitleg}"
        return f"volgnummer {self.volgnummer}: {self.soort}: {self.uitleg}"


@dataclass(slots=True)
class Verslag:
    aantal: int = 0
    eerste: int | None = None
    laatste: int | None = None
    grootte: int = 0  # the newest signed tree head's size
    koppen: int = 0  # signed heads checked
    checkpoints: int = 0  # exported checkpoints checked
    wachtend: int = 0  # entries without volgnummer yet
    anker: store.Anker | None = None
    problemen: list[Probleem] = field(default_factory=list)
    # The portal code the signed heads name (DESIGN §5 "The code"): (tree size of the first head
    # that names it, "sha256:<hex>"), one entry per change, oldest first.
    bundels: list[tuple[int, str]] = field(default_factory=list)
    # The signing keys of the heads (after a key change, e.g. a new log begun after a restore):
    # (tree size of the first head signed by it, "name+hash"), one entry per change, oldest first.
    sleutels: list[tuple[int, str]] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problemen

    def probleem(self, volgnummer: int | None, soort: str, uitleg: str) -> None:
        self.problemen.append(Probleem(volgnummer, soort, uitleg))

    def samenvatting(self) -> str:
        if self.aantal == 0:
            basis = "auditlog is leeg"
        else:
            basis = f"{self.aantal} auditregels, volgnummer {self.eerste} t/m {self.laatste}"
        if self.anker is not None:
            basis += f" (opgeschoond t/m {self.anker.volgnummer})"
        basis += f"; {self.koppen} ondertekende boomkoppen"
        if self.checkpoints:
            basis += f", {self.checkpoints} checkpoint(s)"
        if self.wachtend:
            basis += f"; {self.wachtend} nog zonder volgnummer"
        if self.intact:
            return f"{basis}: boom en handtekeningen intact"
        return f"{basis}: {len(self.problemen)} probleem/problemen"


@dataclass(frozen=True, slots=True)
class Wachtend:
    """Entries without volgnummer: how many, and since when the oldest waits."""

    aantal: int
    oudste: datetime | None


def verifieer(
    regels: Iterable[Mapping[str, Any]],
    koppen: Iterable[store.Kop],
    *,
    anker: store.Anker | None,
    sleutel: Verificatiesleutel | Sequence[Verificatiesleutel],
    checkpoints: Sequence[tuple[str, Checkpoint]] = (),
    wachtend: Wachtend = Wachtend(0, None),
    nu: datetime | None = None,
    max_wacht: timedelta = timedelta(seconds=300),
) -> Verslag:
    """Recompute every leaf and the tree over the entries in volgnummer order; check every stored
    tree head's root and its signature by ``sleutel`` (given by the caller, never read from the
    database; several after a change of key: each head must carry a valid signature of one of
    them), and every exported checkpoint (name, checkpoint — already signature-checked) against
    the tree of its size, so a cut-off or rewritten history shows. Entries waiting longer than
    ``max_wacht`` for a volgnummer are a problem too."""
    sleutels = [sleutel] if isinstance(sleutel, Verificatiesleutel) else list(sleutel)
    verslag = Verslag(anker=anker)
    rand = Rand()
    if anker is not None:
        try:
            rand = Rand.uit_tekst(anker.volgnummer, anker.rand)
        except ValueError as exc:
            verslag.probleem(anker.volgnummer, "anker", f"het anker van de opschoning is onleesbaar: {exc}")
            return verslag
        if rand.wortel().hex() != anker.hash:
            verslag.probleem(
                anker.volgnummer, "anker", "de rand van het anker geeft niet zijn wortel: gewijzigd"
            )
    per_grootte: dict[int, list[tuple[str, Checkpoint]]] = {}
    for naam, checkpoint in checkpoints:
        per_grootte.setdefault(checkpoint.grootte, []).append((naam, checkpoint))
    verslag.checkpoints = len(checkpoints)
    kop_iter = iter(koppen)
    volgende_kop = next(kop_iter, None)
    boom_gebroken = False  # after the first wrong root every larger tree is wrong too: say it once
    boom_onbekend = False  # after a missing entry the tree can no longer be recomputed

    def controleer_kop(kop: store.Kop, wortel: bytes | None) -> None:
        nonlocal boom_gebroken
        verslag.koppen += 1
        verslag.grootte = max(verslag.grootte, kop.grootte)
        try:
            getekend, door = lees_met_een_van(kop.checkpoint, sleutels)
        except NotitieFout as exc:
            verslag.probleem(kop.grootte, "handtekening", f"de boomkop van grootte {kop.grootte}: {exc}")
        else:
            if not verslag.sleutels or verslag.sleutels[-1][1] != door:
                verslag.sleutels.append((kop.grootte, door))
            bundel = getekend.bundel
            if bundel is not None and (not verslag.bundels or verslag.bundels[-1][1] != bundel):
                verslag.bundels.append((kop.grootte, bundel))
            if getekend.grootte != kop.grootte or getekend.wortel.hex() != kop.wortel:
                verslag.probleem(
                    kop.grootte, "handtekening", "de ondertekende checkpoint zegt iets anders dan de boomkop"
                )
        if wortel is not None and wortel.hex() != kop.wortel and not boom_gebroken:
            boom_gebroken = True
            verslag.probleem(
                kop.grootte,
                "boom",
                f"de boom over volgnummer 1 t/m {kop.grootte} heeft een andere wortel dan de ondertekende "
                "boomkop: regels gewijzigd, verwisseld, ingevoegd of verwijderd",
            )

    def bij(grootte: int) -> None:
        nonlocal volgende_kop
        if (volgende_kop is None or volgende_kop.grootte > grootte) and grootte not in per_grootte:
            return  # the usual case: no head or checkpoint of this size, no root to compute
        wortel = None if boom_onbekend else rand.wortel()
        while volgende_kop is not None and volgende_kop.grootte <= grootte:
            # A head smaller than the anchor (left by a purge) can only have its signature checked.
            controleer_kop(volgende_kop, wortel if volgende_kop.grootte == grootte else None)
            volgende_kop = next(kop_iter, None)
        for naam, checkpoint in per_grootte.pop(grootte, []):
            if wortel is None:
                verslag.probleem(grootte, "checkpoint", f"{naam}: niet te controleren, er ontbreken regels")
            elif checkpoint.wortel != wortel:
                verslag.probleem(
                    grootte,
                    "checkpoint",
                    f"{naam}: de boom van {grootte} regels wijkt af van dit checkpoint: "
                    "de geschiedenis is herschreven",
                )

    # Checkpoints from before the anchor: only one of exactly the anchor's size can be compared.
    for grootte in [g for g in per_grootte if g < rand.grootte]:
        per_grootte.pop(grootte)
    bij(rand.grootte)
    verwacht = rand.grootte + 1
    for regel in regels:
        nr = int(regel["volgnummer"])
        if verslag.eerste is None:
            verslag.eerste = nr
        verslag.aantal += 1
        verslag.laatste = nr
        if nr < verwacht:
            verslag.probleem(
                nr, "anker", "ligt vóór het anker van de laatste opschoning: anker of regel gewijzigd"
            )
            continue
        if nr > verwacht:
            tot = f" t/m {nr - 1}" if nr - 1 > verwacht else ""
            verslag.probleem(verwacht, "ontbreekt", f"volgnummer {verwacht}{tot} ontbreekt: verwijderd")
            boom_onbekend = True
        hash_ = blad(regel)
        if regel["hash"] != hash_.hex():
            verslag.probleem(nr, "gewijzigd", "de bladhash klopt niet met de velden: regel gewijzigd")
        if not boom_onbekend:
            rand.voeg_toe(hash_)
        bij(nr)
        verwacht = nr + 1
    laatste = verwacht - 1
    if volgende_kop is not None:
        grootste = volgende_kop
        for kop in kop_iter:
            grootste = kop
        verslag.grootte = max(verslag.grootte, grootste.grootte)
        verslag.probleem(
            laatste + 1,
            "afgeknipt",
            f"volgnummer {laatste + 1} t/m {grootste.grootte} ontbreekt, maar de ondertekende boomkop van "
            f"{store.tijd_tekst(grootste.tijd)} telt {grootste.grootte} regels: "
            "het einde van het log is afgeknipt",
        )
    for grootte, lijst in sorted(per_grootte.items()):
        for naam, _ in lijst:
            verslag.probleem(
                laatste + 1,
                "afgeknipt",
                f"volgnummer {laatste + 1} t/m {grootte} ontbreekt, maar {naam} telt {grootte} regels: "
                "het einde van het log is afgeknipt",
            )
    if laatste > verslag.grootte:
        verslag.probleem(
            verslag.grootte + 1,
            "niet_ondertekend",
            f"volgnummer {verslag.grootte + 1} t/m {laatste} valt buiten elke ondertekende boomkop: "
            "buiten de sequencer om ingevoegd",
        )
    verslag.wachtend = wachtend.aantal
    if wachtend.oudste is not None and nu is not None and nu - wachtend.oudste > max_wacht:
        verslag.probleem(
            None,
            "ongesequenceerd",
            f"{wachtend.aantal} auditregel(s) zonder volgnummer, de oudste sinds "
            f"{store.tijd_tekst(wachtend.oudste)} "
            f"(langer dan {int(max_wacht.total_seconds())} s): draait de sequencer "
            "(`knooppunt worker`, of `knooppunt audit sequence`)?",
        )
    return verslag


def lees_met_een_van(notitie: str, sleutels: Sequence[Verificatiesleutel]) -> tuple[Checkpoint, str]:
    """A signed checkpoint checked against the first of ``sleutels`` that signed it, and that
    key's "name+hash"; NotitieFout (naming every key tried) when none did."""
    fouten: list[str] = []
    for sleutel in sleutels:
        try:
            return lees_checkpoint(notitie, sleutel), f"{sleutel.naam}+{sleutel.sleutelhash.hex()}"
        except NotitieFout as exc:
            fouten.append(str(exc))
    if len(fouten) == 1:
        raise NotitieFout(fouten[0])
    raise NotitieFout("door geen van de gegeven sleutels ondertekend (" + "; ".join(fouten) + ")")


def controleer(
    engine: Engine,
    *,
    sleutel: Verificatiesleutel | Sequence[Verificatiesleutel],
    checkpoints: Sequence[tuple[str, Checkpoint]] = (),
    max_wacht: timedelta = timedelta(seconds=300),
) -> Verslag:
    """Verify the whole log in one consistent snapshot, without blocking the hub."""
    with leesverbinding(engine, momentopname=True) as conn:
        aantal, oudste = store.wachtend(conn)
        return verifieer(
            store.regels(conn),
            store.koppen(conn),
            anker=store.anker(conn),
            sleutel=sleutel,
            checkpoints=checkpoints,
            wachtend=Wachtend(aantal, oudste),
            nu=db_nu(conn),
            max_wacht=max_wacht,
        )


def nieuwste_checkpoint(conn: Connection | Session) -> str | None:
    """The newest signed checkpoint (a C2SP signed note), or None before the first sequencer run."""
    kop = store.nieuwste_kop(conn)
    return None if kop is None else kop.checkpoint


def lijst(
    conn: Connection | Session,
    *,
    vanaf: datetime | None = None,
    tot: datetime | None = None,
    actie: Actie | None = None,
    limiet: int = 100,
) -> list[dict[str, Any]]:
    """The newest ``limiet`` entries in [vanaf, tot) (of one actie), as stored, newest last
    (`knooppunt audit lijst`); ``tijd`` in the one textual form of the leaves (UTC, ``Z``)."""
    regels = store.lijst(
        conn, vanaf=vanaf, tot=tot, actie=actie.value if actie is not None else None, limiet=limiet
    )
    return [{**r, "tijd": store.tijd_tekst(r["tijd"])} for r in regels]


# --- retention ------------------------------------------------------------------------------------


class OpschonenGeweigerd(RuntimeError):
    """The entries to purge do not hash to the signed tree: deleting them would destroy the evidence."""


def schoon_op(session: Session, *, nu: datetime, bewaartermijn: timedelta, batch: int = 5_000) -> int:
    """Delete one batch of sequenced entries older than the retention period, oldest first, and keep
    their compact range as the anchor, so the rest still hashes to the signed tree heads. Before it
    deletes, the purge recomputes the tree over what it deletes and compares every signed root it
    passes; a mismatch refuses the purge (OpschonenGeweigerd). Returns the number deleted; 0 means
    nothing (more) is due."""
    grens = nu - bewaartermijn
    eerste = store.oudste(session, limiet=1)
    if not eerste or eerste[0]["tijd"] >= grens:
        return 0  # the usual case, one index lookup: nothing is old enough yet
    store.vergrendel_opschonen(session)
    anker = store.anker(session)
    # Only a prefix can go: the anchor is the compact range of everything before the first one kept.
    prefix = list(takewhile(lambda r: r["tijd"] < grens, store.oudste(session, limiet=batch)))
    if not prefix:
        return 0
    rand = Rand.uit_tekst(anker.volgnummer, anker.rand) if anker else Rand()
    wortels = store.koppen_tot(session, tot_en_met=int(prefix[-1]["volgnummer"]))
    for regel in prefix:
        if int(regel["volgnummer"]) != rand.grootte + 1:
            raise OpschonenGeweigerd(
                f"opschonen geweigerd: volgnummer {rand.grootte + 1} ontbreekt. "
                "Controleer met `knooppunt audit verify`."
            )
        rand.voeg_toe(blad(regel))
        ondertekend = wortels.get(rand.grootte)
        if ondertekend is not None and ondertekend != rand.wortel().hex():
            raise OpschonenGeweigerd(
                f"opschonen geweigerd: de regels t/m volgnummer {rand.grootte} geven niet de "
                "ondertekende wortel. "
                "Controleer met `knooppunt audit verify`."
            )
    laatste = prefix[-1]
    aantal = store.schuif_anker_op(
        session,
        volgnummer=rand.grootte,
        wortel=rand.wortel().hex(),
        rand=rand.als_tekst(),
        tijd=laatste["tijd"],
        nu=nu,
    )
    store.noteer(
        session, [_regel(Actie.AUDIT_OPGESCHOOND, actor=KNOOPPUNT, tijd=nu, uitkomst=f"t/m {rand.grootte}")]
    )
    return aantal
