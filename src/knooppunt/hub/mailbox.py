"""The mailbox: submit, fetch, confirm, refuse, expire (DESIGN §4, §6).

Content-blind: the hub stores the JWE it is given and deletes it once the recipient confirms,
refuses it or lets it expire. It reads only the JWE's protected header.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from knooppunt.hub import adresboek, audit, regels
from knooppunt.hub.fouten import HubFout, OngeldigVeld, niet_gevonden
from knooppunt.protocol.catalogus import CATALOGUS, HUB_VERSIE, Berichttype, Rol
from knooppunt.protocol.jwe import OngeldigeJwe, alg_past_bij_sleutel, kid_naar_vingerafdruk, lees_kop
from knooppunt.protocol.werkdagen import Werkdagkalender
from knooppunt.store import berichten as store
from knooppunt.store import deelnemers as deelnemer_store
from knooppunt.store.models import Bericht, Deelnemer

KNOOPPUNT = Rol.KNOOPPUNT.value

WEIGERREDENEN = {
    "ONTSLEUTELING_MISLUKT": "de ontvanger kon de inhoud niet ontsleutelen",
    "HANDTEKENING_ONGELDIG": "de handtekening van de afzender klopt niet",
    "METADATA_ONJUIST": "de ondertekende metadata wijken af van de envelop",
    "INHOUD_ONGELDIG": "de inhoud voldoet niet aan het schema van het berichttype",
    "AL_VERWERKT": "het referentienummer is bij de ontvanger al verwerkt",
}


@dataclass(frozen=True, slots=True)
class Instellingen:
    kalender: Werkdagkalender
    bevestigingstermijn: int = 5
    antwoordtermijn: int = 5
    max_open: int = 10_000
    max_inhoud_bytes: int = 1_048_576


@dataclass(frozen=True, slots=True)
class Envelop:
    referentienummer: str
    conversatie_referentienummer: str
    cross_referentienummer: str | None
    berichttype: str
    module: str
    versie: str
    ontvanger: str
    inhoud: str

    def hash(self) -> str:
        canoniek = json.dumps(
            {
                "referentienummer": self.referentienummer,
                "conversatieReferentienummer": self.conversatie_referentienummer,
                "crossReferentienummer": self.cross_referentienummer,
                "berichttype": self.berichttype,
                "module": self.module,
                "versie": self.versie,
                "ontvanger": self.ontvanger,
                "inhoud": self.inhoud,
            },
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(canoniek.encode("utf-8")).hexdigest()


def te_laat(bericht: Bericht, nu: datetime) -> bool:
    """Past the answer deadline without an answer, or answered after it (art. 2.1)."""
    if bericht.antwoord_uiterlijk is None:
        return False
    moment = bericht.beantwoord_op or nu
    return moment > bericht.antwoord_uiterlijk


def _weigering(
    code: str,
    status: int,
    detail: str,
    veld: str | None = None,
    *,
    artikel: str | None = None,
    reden: str | None = None,
) -> HubFout:
    velden = [OngeldigVeld(veld, reden or detail)] if veld else []
    return HubFout(code, status, "Bericht niet toegestaan", detail, velden, artikel)


def _type(envelop: Envelop) -> Berichttype:
    berichttype = CATALOGUS.zoek(envelop.module, envelop.berichttype)
    if berichttype is None:
        andere = [t.module.value for t in CATALOGUS.per_code(envelop.berichttype)]
        if andere:
            raise _weigering(
                "ONBEKEND_BERICHTTYPE",
                422,
                f"berichttype '{envelop.berichttype}' hoort bij module {', '.join(andere)}, "
                f"niet bij '{envelop.module}'",
                "module",
            )
        raise _weigering(
            "ONBEKEND_BERICHTTYPE",
            422,
            f"berichttype '{envelop.berichttype}' in module '{envelop.module}' bestaat niet; "
            "zie /api/v1/berichttypen",
            "berichttype",
        )
    if envelop.versie not in berichttype.versies:
        raise _weigering(
            "ONBEKENDE_VERSIE",
            422,
            f"versie '{envelop.versie}' van '{berichttype.code}' wordt niet ondersteund; "
            f"gebruik {', '.join(berichttype.versies)}",
            "versie",
        )
    return berichttype


def _partijen(session: Session, berichttype: Berichttype, afzender: Deelnemer, envelop: Envelop) -> Deelnemer:
    modules = adresboek.modules_van(afzender)
    if berichttype.door_knooppunt or afzender.rol not in berichttype.van:
        rollen = ", ".join(sorted(r.value for r in berichttype.van))
        raise _weigering(
            "ROL_NIET_TOEGESTAAN",
            422,
            f"'{berichttype.code}' wordt verstuurd door {rollen}; u bent {afzender.rol}",
            "berichttype",
        )
    if berichttype.module.value not in modules:
        raise _weigering(
            "MODULE_NIET_ACTIEF",
            422,
            f"u neemt niet deel aan module '{berichttype.module.value}'; "
            "meld u daarvoor aan bij de beheerder",
            "module",
        )
    ontvanger = deelnemer_store.haal(session, envelop.ontvanger)
    if ontvanger is None:
        raise _weigering(
            "ONBEKENDE_ONTVANGER",
            422,
            f"OIN {envelop.ontvanger} staat niet in het adresboek; deze partij is niet via het knooppunt "
            "bereikbaar, gebruik een ander kanaal",
            "ontvanger",
        )
    if ontvanger.rol not in berichttype.naar:
        rollen = ", ".join(sorted(r.value for r in berichttype.naar))
        raise _weigering(
            "ROL_NIET_TOEGESTAAN",
            422,
            f"'{berichttype.code}' gaat naar {rollen}; {ontvanger.naam} is {ontvanger.rol}",
            "ontvanger",
        )
    if berichttype.module.value not in adresboek.modules_van(ontvanger):
        raise _weigering(
            "MODULE_NIET_ACTIEF",
            422,
            f"{ontvanger.naam} neemt niet deel aan module '{berichttype.module.value}'; "
            "gebruik een ander kanaal",
            "ontvanger",
        )
    return ontvanger


def _controleer_inhoud(
    envelop: Envelop, ontvanger: Deelnemer, instellingen: Instellingen, nu: datetime
) -> None:
    try:
        kop = lees_kop(envelop.inhoud, max_bytes=instellingen.max_inhoud_bytes)
    except OngeldigeJwe as exc:
        status = 413 if "maximum" in str(exc) else 400
        raise _weigering("ONGELDIGE_INHOUD", status, f"inhoud {exc}", "inhoud") from exc
    vingerafdruk = kid_naar_vingerafdruk(kop.kid)
    cert = next((c for c in ontvanger.certificaten if c.vingerafdruk == vingerafdruk), None)
    if cert is None or not cert.gebruik_versleuteling or not adresboek.is_actueel(cert, nu):
        raise _weigering(
            "ONGELDIGE_INHOUD",
            400,
            "inhoud is niet versleuteld voor een actueel versleutelcertificaat van de ontvanger "
            "(kid = x5t#S256 van dat certificaat); haal het certificaat opnieuw op uit het adresboek",
            "inhoud",
        )
    if not alg_past_bij_sleutel(kop.alg, cert.sleuteltype, cert.sleutelgrootte):
        raise _weigering(
            "ONGELDIGE_INHOUD",
            400,
            f"alg {kop.alg} past niet bij de {cert.sleuteltype}-sleutel van de ontvanger "
            "(RSA: RSA-OAEP-256, P-256: ECDH-ES+A256KW)",
            "inhoud",
        )


def _verwijzing(
    session: Session, berichttype: Berichttype, afzender: Deelnemer, envelop: Envelop
) -> Bericht | None:
    ref = envelop.cross_referentienummer
    if berichttype.verwijst_naar:
        # A reminder refers to the sender's own open question to this recipient (art. 15.1).
        if ref is None:
            return None
        vraag = store.van_naar(
            session, referentienummer=ref, afzender=afzender.oin, ontvanger=envelop.ontvanger
        )
        if vraag is None or vraag.conversatie_referentienummer != envelop.conversatie_referentienummer:
            return None
        return vraag
    if not berichttype.is_antwoord:
        if ref is not None:
            raise _weigering(
                "ONGELDIG_ANTWOORD",
                422,
                f"'{berichttype.code}' beantwoordt geen bericht: laat crossReferentienummer leeg",
                "crossReferentienummer",
            )
        return None
    if ref is None:
        if berichttype.antwoord_verplicht_verwijzing:
            raise _weigering(
                "ONGELDIG_ANTWOORD",
                422,
                f"'{berichttype.code}' is een antwoord: crossReferentienummer moet het bericht noemen "
                "dat u beantwoordt",
                "crossReferentienummer",
            )
        return None
    vraag = store.van_naar(session, referentienummer=ref, afzender=envelop.ontvanger, ontvanger=afzender.oin)
    # One answer for every failure: nobody learns what others exchanged (DESIGN §3).
    if (
        vraag is None
        or vraag.conversatie_referentienummer != envelop.conversatie_referentienummer
        or not berichttype.beantwoordt_type(vraag.berichttype)
        or vraag.status in ("verlopen", "geweigerd")
    ):
        raise _weigering(
            "ONGELDIG_ANTWOORD",
            422,
            f"crossReferentienummer {ref} is geen bericht dat u met '{berichttype.code}' kunt beantwoorden: "
            "het moet een niet-verlopen bericht zijn dat deze ontvanger u in deze conversatie stuurde, "
            f"van type {', '.join(sorted(berichttype.beantwoordt))}",
            "crossReferentienummer",
            reden="geen bericht dat u hiermee kunt beantwoorden",
        )
    return vraag


def _conversatie(session: Session, afzender: Deelnemer, envelop: Envelop, nu: datetime) -> None:
    eigenaar: str | None
    if afzender.rol == Rol.SHV:
        eigenaar = store.claim_conversatie(
            session, conversatie=envelop.conversatie_referentienummer, shv=afzender.oin, nu=nu
        )
    else:
        eigenaar = store.conversatie_eigenaar(session, envelop.conversatie_referentienummer)
    if eigenaar is not None and eigenaar not in (afzender.oin, envelop.ontvanger):
        raise _weigering(
            "ONGELDIGE_CONVERSATIE",
            422,
            "dit conversatieReferentienummer hoort bij een traject van een andere schuldhulpverlener; "
            "begin een nieuw traject met een nieuw UUID",
            "conversatieReferentienummer",
        )


def verstuur(
    session: Session, afzender: Deelnemer, envelop: Envelop, *, nu: datetime, instellingen: Instellingen
) -> tuple[Bericht, bool]:
    """Submit a message. Returns (message, created); a retry of the same envelope is not created
    again. Raises HubFout with the code of the first rule that refuses it, carrying the audit
    entry of the refusal (the caller's transaction rolls back; its owner writes the entry)."""
    try:
        return _verstuur(session, afzender, envelop, nu=nu, instellingen=instellingen)
    except HubFout as fout:
        fout.auditregel = audit.geweigerd_bij_verzenden(
            afzender=afzender.oin,
            berichttype=envelop.berichttype,
            module=envelop.module,
            ontvanger=envelop.ontvanger,
            referentienummer=envelop.referentienummer,
            code=fout.code,
            nu=nu,
        )
        raise


def _verstuur(
    session: Session, afzender: Deelnemer, envelop: Envelop, *, nu: datetime, instellingen: Instellingen
) -> tuple[Bericht, bool]:
    envelop_hash = envelop.hash()
    bestaand = store.op_referentie(session, envelop.referentienummer)
    if bestaand is not None:
        return _herhaling(bestaand, afzender, envelop_hash), False

    berichttype = _type(envelop)
    ontvanger = _partijen(session, berichttype, afzender, envelop)
    _controleer_inhoud(envelop, ontvanger, instellingen, nu)
    _conversatie(session, afzender, envelop, nu)
    verwijzing = _verwijzing(session, berichttype, afzender, envelop)
    regels.controleer(
        regels.Context(
            session=session,
            type=berichttype,
            afzender=afzender,
            ontvanger=ontvanger,
            conversatie=envelop.conversatie_referentienummer,
            verwijzing=verwijzing,
        )
    )
    if (
        store.aantal_open(session, afzender=afzender.oin, ontvanger=ontvanger.oin, tot=instellingen.max_open)
        >= instellingen.max_open
    ):
        raise _weigering(
            "TE_VEEL_OPEN",
            429,
            f"er staan al {instellingen.max_open} onbevestigde berichten van u voor {ontvanger.naam}; "
            "wacht tot de ontvanger ze bevestigt",
        )

    waarden = {
        "referentienummer": envelop.referentienummer,
        "afzender": afzender.oin,
        "ontvanger": ontvanger.oin,
        "conversatie_referentienummer": envelop.conversatie_referentienummer,
        "cross_referentienummer": envelop.cross_referentienummer,
        "berichttype": berichttype.code,
        "module": berichttype.module.value,
        "versie": envelop.versie,
        "envelop_hash": envelop_hash,
        "status": "aangeboden",
        "ontvangen_op": nu,
        "verloopt_op": instellingen.kalender.termijn_einde(nu, instellingen.bevestigingstermijn),
    }
    nieuw_id = store.voeg_toe_als_nieuw(session, waarden, envelop.inhoud)
    if nieuw_id is None:
        # A concurrent retry with the same referentienummer won the race.
        bestaand = store.op_referentie(session, envelop.referentienummer)
        assert bestaand is not None
        return _herhaling(bestaand, afzender, envelop_hash), False
    bericht = Bericht(id=nieuw_id, **waarden)
    audit.verstuurd(session, bericht, nu=nu)

    if verwijzing is not None and berichttype.is_antwoord:
        _beantwoord(session, verwijzing, nu=nu, instellingen=instellingen)
    return bericht, True


def _herhaling(bestaand: Bericht, afzender: Deelnemer, envelop_hash: str) -> Bericht:
    if bestaand.afzender == afzender.oin and bestaand.envelop_hash == envelop_hash:
        return bestaand
    raise _weigering(
        "REFERENTIENUMMER_CONFLICT",
        409,
        f"referentienummer {bestaand.referentienummer} is al gebruikt voor een ander bericht; "
        "gebruik voor elk nieuw bericht een nieuw UUID (hetzelfde alleen bij een herhaalde poging)",
        "referentienummer",
    )


def _beantwoord(session: Session, vraag: Bericht, *, nu: datetime, instellingen: Instellingen) -> None:
    """An answer confirms an unconfirmed question, then marks it beantwoord (DESIGN §3)."""
    if vraag.status in ("aangeboden", "opgehaald") and _bevestig(
        session, vraag, nu=nu, instellingen=instellingen
    ):
        audit.bevestigd(session, vraag.ontvanger, [vraag], nu=nu, door_antwoord=True)
    store.markeer_beantwoord(session, vraag.id, nu=nu)


def _antwoord_uiterlijk(bericht: Bericht, nu: datetime, instellingen: Instellingen) -> datetime | None:
    berichttype = CATALOGUS.zoek(bericht.module, bericht.berichttype)
    if berichttype is None or not berichttype.antwoord_verwacht:
        return None
    return instellingen.kalender.termijn_einde(nu, instellingen.antwoordtermijn)


def _bevestig(session: Session, bericht: Bericht, *, nu: datetime, instellingen: Instellingen) -> bool:
    uiterlijk = _antwoord_uiterlijk(bericht, nu, instellingen)
    if not store.bevestig(session, bericht.id, nu=nu, antwoord_uiterlijk=uiterlijk):
        return False
    store.toon_bevestigd(bericht, nu=nu, antwoord_uiterlijk=uiterlijk)
    if bericht.afzender != KNOOPPUNT:
        store.voeg_hub_berichten_toe(
            session, [_ontvangstbevestiging(bericht, nu=nu, instellingen=instellingen)]
        )
    return True


def _ontvangstbevestiging(bericht: Bericht, *, nu: datetime, instellingen: Instellingen) -> dict[str, Any]:
    """The row of the receipt the sender gets when the recipient confirms ``bericht``."""
    return _hub_bericht_waarden(
        over=bericht,
        ontvanger=bericht.afzender,
        berichttype="ontvangstbevestiging",
        melding={
            "code": "BEVESTIGD",
            "omschrijving": f"Bericht {bericht.referentienummer} ({bericht.berichttype}) is bevestigd "
            "door de ontvanger.",
            "referentienummer": bericht.referentienummer,
            "ontvanger": bericht.ontvanger,
            "bevestigdOp": nu.isoformat(),
        },
        nu=nu,
        instellingen=instellingen,
    )


def _hub_bericht_waarden(
    *,
    over: Bericht,
    ontvanger: str,
    berichttype: str,
    melding: dict[str, Any],
    nu: datetime,
    instellingen: Instellingen,
) -> dict[str, Any]:
    return {
        "referentienummer": str(uuid.uuid4()),
        "afzender": KNOOPPUNT,
        "ontvanger": ontvanger,
        "conversatie_referentienummer": over.conversatie_referentienummer,
        "cross_referentienummer": over.referentienummer,
        "berichttype": berichttype,
        "module": over.module,
        "versie": HUB_VERSIE,
        "envelop_hash": hashlib.sha256(json.dumps(melding, sort_keys=True).encode()).hexdigest(),
        "status": "aangeboden",
        "ontvangen_op": nu,
        "verloopt_op": instellingen.kalender.termijn_einde(nu, instellingen.bevestigingstermijn),
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
        **_hub_bericht_waarden(
            over=over,
            ontvanger=ontvanger,
            berichttype=berichttype,
            melding=melding,
            nu=nu,
            instellingen=instellingen,
        )
    )
    return store.voeg_toe(session, bericht, None)


def ophalen(
    session: Session,
    ontvanger: Deelnemer,
    *,
    nu: datetime,
    limiet: int,
    na_id: int | None = None,
    berichttype: str | None = None,
    afzender: str | None = None,
) -> list[tuple[Bericht, str | None]]:
    """The inbox: marks opgehaaldOp, keeps the messages until they are confirmed."""
    rijen = store.inbox(
        session,
        ontvanger=ontvanger.oin,
        nu=nu,
        limiet=limiet,
        na_id=na_id,
        berichttype=berichttype,
        afzender=afzender,
    )
    store.markeer_opgehaald(session, [b.id for b, _ in rijen], nu=nu)
    audit.opgehaald(session, ontvanger.oin, [(b, b.opgehaald_op is not None) for b, _ in rijen], nu=nu)
    for bericht, _ in rijen:
        # Show what the conditional update did, without marking the objects dirty: a flush
        # would write the status back unconditionally and could undo a concurrent confirm.
        store.toon_opgehaald(bericht, nu=nu)
    return rijen


def een_bericht(
    session: Session, ontvanger: Deelnemer, referentienummer: str, *, nu: datetime
) -> tuple[Bericht, str | None]:
    bericht = store.voor_ontvanger(session, ontvanger=ontvanger.oin, referentienummer=referentienummer)
    if bericht is None:
        raise niet_gevonden(f"Bericht {referentienummer}")
    jwe = None
    if bericht.status in ("aangeboden", "opgehaald") and bericht.verloopt_op >= nu:
        jwe = store.inhoud(session, bericht.id)
        audit.opgehaald(session, ontvanger.oin, [(bericht, bericht.opgehaald_op is not None)], nu=nu)
        store.markeer_opgehaald(session, [bericht.id], nu=nu)
        session.refresh(bericht)
    return bericht, jwe


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
    session: Session, ontvanger: Deelnemer, referentienummer: str, *, nu: datetime, instellingen: Instellingen
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


def bevestig_meerdere(
    session: Session,
    ontvanger: Deelnemer,
    referentienummers: Sequence[str],
    *,
    nu: datetime,
    instellingen: Instellingen,
) -> list[tuple[str, Bericht | None, str | None]]:
    """Confirm many; returns (referentienummer, message or None, error code or None) per number.

    Set-based: the open, unexpired messages are confirmed with one UPDATE per answer deadline, one
    DELETE of their ciphertext and one multi-row INSERT of the receipts; the rest (unknown,
    already confirmed, expired, refused) take the one-at-a-time path for their exact outcome."""
    # One query loads and locks them all, in id order (no deadlocks between hub nodes).
    berichten = store.vergrendel(session, ontvanger=ontvanger.oin, referentienummers=referentienummers)
    per_termijn: dict[datetime | None, list[Bericht]] = {}
    for bericht in berichten.values():
        if bericht.status in ("aangeboden", "opgehaald") and bericht.verloopt_op >= nu:
            per_termijn.setdefault(_antwoord_uiterlijk(bericht, nu, instellingen), []).append(bericht)
    bevestigd: set[int] = set()
    bonnen: list[dict[str, Any]] = []
    gelukte: list[Bericht] = []
    for uiterlijk, groep in per_termijn.items():
        gelukt = store.bevestig_set(session, [b.id for b in groep], nu=nu, antwoord_uiterlijk=uiterlijk)
        for bericht in groep:
            if bericht.id in gelukt:
                store.toon_bevestigd(bericht, nu=nu, antwoord_uiterlijk=uiterlijk)
                gelukte.append(bericht)
                if bericht.afzender != KNOOPPUNT:
                    bonnen.append(_ontvangstbevestiging(bericht, nu=nu, instellingen=instellingen))
        bevestigd |= gelukt
    store.voeg_hub_berichten_toe(session, bonnen)
    audit.bevestigd(session, ontvanger.oin, gelukte, nu=nu)

    resultaten: list[tuple[str, Bericht | None, str | None]] = []
    gezien: set[str] = set()
    for ref in referentienummers:
        gevonden = berichten.get(ref)
        if gevonden is not None and gevonden.id in bevestigd and ref not in gezien:
            gezien.add(ref)
            resultaten.append((ref, gevonden, None))
            continue
        try:
            uitkomst = _bevestig_een(session, gevonden, ref, nu=nu, instellingen=instellingen)
        except HubFout as fout:
            resultaten.append((ref, gevonden, fout.code))
            continue
        resultaten.append((ref, uitkomst.bericht, "VERLOPEN" if uitkomst.verlopen else None))
    return resultaten


def weiger(
    session: Session,
    ontvanger: Deelnemer,
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
    bericht = store.voor_ontvanger(session, ontvanger=ontvanger.oin, referentienummer=referentienummer)
    if bericht is None:
        raise niet_gevonden(f"Bericht {referentienummer}")
    if bericht.afzender == KNOOPPUNT:
        raise HubFout(
            "NIET_WEIGERBAAR",
            409,
            "Kan niet weigeren",
            "Meldingen van het knooppunt zijn niet versleuteld en kunnen niet geweigerd worden; bevestig ze.",
        )
    if not store.weiger(session, bericht.id, nu=nu):
        uitkomst = _niet_open(session, bericht, nu=nu, instellingen=instellingen)
        if uitkomst.bericht.status in ("bevestigd", "beantwoord"):
            raise HubFout(
                "AL_BEVESTIGD",
                409,
                "Al bevestigd",
                f"Bericht {referentienummer} is al bevestigd; weigeren kan alleen vóór bevestiging.",
            )
        return uitkomst
    audit.geweigerd(session, ontvanger.oin, bericht, reden, nu=nu)
    hub_bericht(
        session,
        over=bericht,
        ontvanger=bericht.afzender,
        berichttype="foutbericht",
        melding={
            "code": "GEWEIGERD",
            "reden": reden,
            "omschrijving": f"Bericht {bericht.referentienummer} ({bericht.berichttype}) is geweigerd: "
            f"{WEIGERREDENEN[reden]}. De inhoud is verwijderd; stuur het opnieuw onder een nieuw "
            "referentienummer.",
            "referentienummer": bericht.referentienummer,
            "ontvanger": bericht.ontvanger,
        },
        nu=nu,
        instellingen=instellingen,
    )
    session.refresh(bericht)
    return Bevestiging(bericht, True)


def verloop(session: Session, bericht: Bericht, *, nu: datetime, instellingen: Instellingen) -> bool:
    """Expire one message past its term: content deleted, sender told (art. 17.5). Hub notices
    expire silently."""
    if not store.laat_verlopen(session, bericht.id, nu=nu):
        return False
    audit.verlopen(session, bericht, nu=nu)
    if bericht.afzender != KNOOPPUNT:
        store.voeg_hub_berichten_toe(session, [_verlopen_melding(bericht, nu=nu, instellingen=instellingen)])
    session.refresh(bericht)
    return True


def verzonden(
    session: Session,
    afzender: Deelnemer,
    *,
    limiet: int,
    voor_id: int | None,
    status: str | None,
    conversatie: str | None,
) -> Sequence[Bericht]:
    return store.verzonden(
        session, afzender=afzender.oin, limiet=limiet, voor_id=voor_id, status=status, conversatie=conversatie
    )


def conversatie(session: Session, partij: Deelnemer, conversatie_referentienummer: str) -> Sequence[Bericht]:
    berichten = store.tijdlijn(session, conversatie=conversatie_referentienummer, partij=partij.oin)
    if not berichten:
        raise niet_gevonden(f"Conversatie {conversatie_referentienummer}")
    return berichten


def open_berichten(session: Session, ontvanger: Deelnemer, *, nu: datetime) -> Sequence[Bericht]:
    """The open inbox as metadata (nothing fetched, nothing marked)."""
    return store.open_metadata(session, ontvanger=ontvanger.oin, nu=nu)


def nieuw_per_type(session: Session, ontvanger: Deelnemer, *, nu: datetime) -> dict[str, int]:
    return store.nieuw_per_type(session, ontvanger=ontvanger.oin, nu=nu)


def conversatie_of_leeg(session: Session, oin: str, conversatie_referentienummer: str) -> Sequence[Bericht]:
    """The timeline the participant may see, empty when it has none (portal warnings)."""
    return store.tijdlijn(session, conversatie=conversatie_referentienummer, partij=oin)


_VERLOPEN_OMSCHRIJVING = (
    "Bericht {ref} ({type}) is niet binnen de bevestigingstermijn door de ontvanger bevestigd en is "
    "verwijderd. U kunt het opnieuw aanbieden onder een nieuw referentienummer."
)


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
            versie=HUB_VERSIE,
            code="VERLOPEN",
            omschrijving=_VERLOPEN_OMSCHRIJVING.format(ref="%1$s", type="%2$s"),
            melding_verloopt_op=instellingen.kalender.termijn_einde(nu, instellingen.bevestigingstermijn),
        )
        audit.verlopen_reeks(session, rijen, nu=nu)
        return len(rijen)
    rijen = store.verloop_reeks(session, nu=nu, limiet=limiet)
    meldingen = [
        _verlopen_melding(
            Bericht(
                referentienummer=r.referentienummer,
                afzender=r.afzender,
                ontvanger=r.ontvanger,
                conversatie_referentienummer=r.conversatie_referentienummer,
                berichttype=r.berichttype,
                module=r.module,
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


def _verlopen_melding(bericht: Bericht, *, nu: datetime, instellingen: Instellingen) -> dict[str, Any]:
    return _hub_bericht_waarden(
        over=bericht,
        ontvanger=bericht.afzender,
        berichttype="foutbericht",
        melding={
            "code": "VERLOPEN",
            "omschrijving": _VERLOPEN_OMSCHRIJVING.format(
                ref=bericht.referentienummer, type=bericht.berichttype
            ),
            "referentienummer": bericht.referentienummer,
            "ontvanger": bericht.ontvanger,
        },
        nu=nu,
        instellingen=instellingen,
    )


def kan_reminder_krijgen(bericht: Bericht) -> bool:
    """Whether a reminder may refer to this type of message (art. 15.1: saldoverzoek, betaalvoorstel)."""
    berichttype = CATALOGUS.zoek(bericht.module, "reminder")
    return berichttype is not None and bericht.berichttype in berichttype.verwijst_naar


def aantal_reminders(session: Session, afzender: Deelnemer, berichten: Sequence[Bericht]) -> dict[str, int]:
    """Per message of `afzender` that a reminder may refer to: how many reminders it sent."""
    refs = [b.referentienummer for b in berichten if b.afzender == afzender.oin and kan_reminder_krijgen(b)]
    return store.aantal_reminders(session, afzender=afzender.oin, referentienummers=refs)


# --- a debt counsellor's clients (the portal's client list, DESIGN §7) -------------------------------


@dataclass(frozen=True, slots=True)
class Conversatieoverzicht:
    """One client's traject at its SHV, from metadata only."""

    conversatie: str
    aangemaakt_op: datetime
    berichten: int = 0
    tegenpartijen: int = 0
    laatste: datetime | None = None
    open_vragen: int = 0
    te_laat: int = 0
    nieuw: int = 0


def conversaties(
    session: Session,
    shv: Deelnemer,
    *,
    nu: datetime,
    limiet: int,
    offset: int = 0,
    alleen: Sequence[str] | None = None,
) -> tuple[list[Conversatieoverzicht], int]:
    """The conversations this SHV started (newest first, one page) with their counts, and how many
    there are in all; ``alleen`` narrows them to these conversations."""
    pagina, totaal = store.conversaties_van_shv(
        session, shv=shv.oin, limiet=limiet, offset=offset, alleen=alleen
    )
    vraagtypen = [t.code for t in CATALOGUS.alle() if t.antwoord_verwacht]
    tellingen = store.conversatie_tellingen(
        session,
        partij=shv.oin,
        conversaties=[c for c, _ in pagina],
        hub=KNOOPPUNT,
        vraagtypen=vraagtypen,
        nu=nu,
    )
    return [Conversatieoverzicht(c, op, **tellingen.get(c, {})) for c, op in pagina], totaal


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
