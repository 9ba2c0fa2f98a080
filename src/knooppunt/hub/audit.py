"""The audit log (DESIGN §5): an append-only, hash-chained record of who sent which message type
to whom, who fetched, confirmed or refused it, what expired, and every beheer action on the
adresboek. Metadata only: never inhoud, never a payload field.

The hub notes entries on the session while it works; they are written with a gapless volgnummer
when the session commits (store.audit), so an action and its entry commit or roll back together.
``verifieer`` walks the chain; a checkpoint (volgnummer + hash exported earlier) also exposes a
cut-off tail. ``schoon_op`` purges entries past the retention period behind an anchor, so the
remaining chain still verifies.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import takewhile
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from knooppunt.store import audit as store
from knooppunt.store.berichten import Berichtrij
from knooppunt.store.db import leesverbinding
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
    CERTIFICAAT_TOEGEVOEGD = "certificaat_toegevoegd"  # uitkomst: the gebruik, e.g. "tls,versleuteling"
    CERTIFICAAT_INGETROKKEN = "certificaat_ingetrokken"
    AUDIT_OPGESCHOOND = "audit_opgeschoond"  # uitkomst: "t/m <volgnummer>"
    # A CRL older than the shared one, refused (DESIGN §5); certificaat: the trust anchor's SHA-256.
    CRL_GEWEIGERD = "crl_geweigerd"  # uitkomst: "nummer <aangeboden> < <gehouden>" or "... thisUpdate ouder"


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
    store.noteer(session, [_over_bericht(Actie.VERSTUURD, bericht, actor=bericht.afzender, tijd=nu)])


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
class Checkpoint:
    """An exported (volgnummer, hash, tijd) of the head of the log, kept outside the database."""

    volgnummer: int
    hash: str
    tijd: str

    def als_json(self) -> str:
        return json.dumps({"volgnummer": self.volgnummer, "hash": self.hash, "tijd": self.tijd}, indent=2)

    @classmethod
    def uit_json(cls, tekst: str) -> Checkpoint:
        try:
            data = json.loads(tekst)
            return cls(int(data["volgnummer"]), str(data["hash"]), str(data.get("tijd", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                "geen checkpoint van `knooppunt audit checkpoint` (verwacht JSON met volgnummer en hash)"
            ) from exc


@dataclass(frozen=True, slots=True)
class Probleem:
    volgnummer: int
    soort: str  # ontbreekt | gewijzigd | keten_gebroken | checkpoint
    uitleg: str

    def __str__(self) -> str:
        return f"volgnummer {self.volgnummer}: {self.soort}: {self.uitleg}"


@dataclass(slots=True)
class Verslag:
    aantal: int = 0
    eerste: int | None = None
    laatste: int | None = None
    laatste_hash: str | None = None
    anker: store.Anker | None = None
    problemen: list[Probleem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problemen

    def samenvatting(self) -> str:
        if self.aantal == 0:
            basis = "auditlog is leeg"
        else:
            basis = f"{self.aantal} auditregels, volgnummer {self.eerste} t/m {self.laatste}"
        if self.anker is not None:
            basis += f" (opgeschoond t/m {self.anker.volgnummer})"
        if self.intact:
            return f"{basis}: keten intact"
        return f"{basis}: {len(self.problemen)} probleem/problemen"


def verifieer(
    regels: Iterable[Mapping[str, Any]], *, anker: store.Anker | None, checkpoint: Checkpoint | None = None
) -> Verslag:
    """Walk the chain in volgnummer order and report every entry that was edited (its hash does not
    match its fields), deleted (a volgnummer is missing) or moved (its link to the previous entry
    is broken). With a checkpoint, also report a cut-off or rewritten tail."""
    verslag = Verslag(anker=anker)
    verwacht = (anker.volgnummer if anker else 0) + 1
    vorige_hash = anker.hash if anker else store.GENESIS
    checkpoint_gezien = False
    for regel in regels:
        nr = int(regel["volgnummer"])
        if verslag.eerste is None:
            verslag.eerste = nr
        verslag.aantal += 1
        if nr > verwacht:
            tot = f" t/m {nr - 1}" if nr - 1 > verwacht else ""
            verslag.problemen.append(
                Probleem(verwacht, "ontbreekt", f"volgnummer {verwacht}{tot} ontbreekt: verwijderd")
            )
        elif nr < verwacht:
            verslag.problemen.append(
                Probleem(
                    nr,
                    "keten_gebroken",
                    "ligt vóór het anker van de laatste opschoning: anker of regel gewijzigd",
                )
            )
        elif regel["vorige_hash"] != vorige_hash:
            verslag.problemen.append(
                Probleem(
                    nr,
                    "keten_gebroken",
                    f"vorige_hash verwijst niet naar volgnummer {nr - 1}: "
                    "regels verwisseld, ingevoegd of gewijzigd",
                )
            )
        if store.bereken_hash(regel) != regel["hash"]:
            verslag.problemen.append(
                Probleem(nr, "gewijzigd", "hash klopt niet met de velden: regel gewijzigd")
            )
        if checkpoint is not None and nr == checkpoint.volgnummer:
            checkpoint_gezien = True
            if regel["hash"] != checkpoint.hash:
                verslag.problemen.append(
                    Probleem(nr, "checkpoint", "hash wijkt af van het checkpoint: de keten is herschreven")
                )
        vorige_hash = str(regel["hash"])
        verwacht = nr + 1
        verslag.laatste, verslag.laatste_hash = nr, vorige_hash
    if checkpoint is not None and not checkpoint_gezien:
        _controleer_checkpoint_buiten_keten(verslag, checkpoint)
    return verslag


def _controleer_checkpoint_buiten_keten(verslag: Verslag, checkpoint: Checkpoint) -> None:
    anker = verslag.anker
    if anker is not None and checkpoint.volgnummer <= anker.volgnummer:
        # Purged since the checkpoint was taken: only the anchor itself can be compared.
        if checkpoint.volgnummer == anker.volgnummer and checkpoint.hash != anker.hash:
            verslag.problemen.append(
                Probleem(checkpoint.volgnummer, "checkpoint", "het anker wijkt af van het checkpoint")
            )
        return
    laatste = verslag.laatste or (anker.volgnummer if anker else 0)
    if checkpoint.volgnummer > laatste:
        verslag.problemen.append(
            Probleem(
                laatste + 1,
                "ontbreekt",
                f"volgnummer {laatste + 1} t/m {checkpoint.volgnummer} ontbreekt, maar het checkpoint van "
                f"{checkpoint.tijd or '?'} noemt {checkpoint.volgnummer}: het einde van het log is afgeknipt",
            )
        )


def controleer(engine: Engine, *, checkpoint: Checkpoint | None = None) -> Verslag:
    """Verify the whole log in one consistent snapshot, without blocking the hub."""
    with leesverbinding(engine, momentopname=True) as conn:
        return verifieer(store.regels(conn), anker=store.anker(conn), checkpoint=checkpoint)


def maak_checkpoint(engine: Engine) -> Checkpoint | None:
    """The head of the log as a checkpoint to keep outside the database; None when empty."""
    with leesverbinding(engine) as conn:
        kop = store.kop(conn)
    if kop is None:
        return None
    return Checkpoint(int(kop["volgnummer"]), str(kop["hash"]), store.tijd_tekst(kop["tijd"]))


# --- retention ------------------------------------------------------------------------------------


def schoon_op(session: Session, *, nu: datetime, bewaartermijn: timedelta, batch: int = 5_000) -> int:
    """Delete one batch of entries older than the retention period, oldest first, behind the anchor
    (volgnummer and hash of the last one deleted), so the rest still verifies. The newest entry is
    always kept. Returns the number deleted; 0 means nothing (more) is due."""
    grens = nu - bewaartermijn
    eerste = store.oudste(session, limiet=1)
    if not eerste or eerste[0][2] >= grens:
        return 0  # the usual case, one index lookup: nothing is old enough yet
    store.vergrendel_opschonen(session)
    oudste = store.oudste(session, limiet=batch + 1)
    # Only a prefix can go (the anchor is the entry right before the first one kept), and never
    # the newest entry (it is the head the next append chains to).
    prefix = list(takewhile(lambda rij: rij[2] < grens, oudste[:-1]))
    if not prefix:
        return 0
    aantal = store.schuif_anker_op(session, tot_en_met=prefix[-1], nu=nu)
    store.noteer(
        session, [_regel(Actie.AUDIT_OPGESCHOOND, actor=KNOOPPUNT, tijd=nu, uitkomst=f"t/m {prefix[-1][0]}")]
    )
    return aantal
