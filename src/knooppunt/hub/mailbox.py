"""The mailbox: submit, fetch, confirm, refuse, expire (DESIGN §4, §6).

Content-blind: the hub stores the JWE it is given and deletes it once the recipient confirms,
refuses it or lets it expire. It reads only the JWE's protected header.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import Row
from sqlalchemy.orm import Session

from knooppunt.hub import adresboek, audit, regels
from knooppunt.hub.adresboek import Partij
from knooppunt.hub.fouten import HubFout, OngeldigVeld, niet_gevonden
from knooppunt.protocol.catalogus import CATALOGUS, Berichttype, Rol
from knooppunt.protocol.jwe import OngeldigeJwe, alg_past_bij_sleutel, kid_naar_vingerafdruk, lees_kop
from knooppunt.protocol.werkdagen import AMSTERDAM, Werkdagkalender
from knooppunt.store import berichten as store
from knooppunt.store import deelnemers as deelnemer_store
from knooppunt.store import inboxquotum
from knooppunt.store.berichten import Berichtrij
from knooppunt.store.models import Bericht, Deelnemer

KNOOPPUNT = Rol.KNOOPPUNT.value
R = TypeVar("R", bound=Berichtrij)

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
    """Working days to answer a question sent in protocol 1.0 (handbook 2.1)."""
    antwoordtermijn_2: int = 10
    """Working days to answer a question sent in protocol 2.0 and later (afsprakenstelsel 2.0)."""
    max_open: int = 10_000
    max_inhoud_bytes: int = 4 * 1024 * 1024
    # DESIGN §4: a fetch page holds at most this much inhoud (but always one message); each
    # recipient holds at most `inbox_quotum` bytes of unconfirmed ciphertext (its own
    # ``Deelnemer.inbox_quotum`` wins) before a sender above `inbox_aandeel` of it is refused.
    max_pagina_bytes: int = 16 * 1024 * 1024
    inbox_quotum: int = 1024 * 1024 * 1024
    inbox_aandeel: float = 1 / 8

    def antwoordtermijn_van(self, berichttype: Berichttype) -> int:
        """DESIGN §3a: the module's own term, else that of the type's protocol version."""
        if berichttype.antwoordtermijn is not None:
            return berichttype.antwoordtermijn
        return self.antwoordtermijn if berichttype.versie == "1.0" else self.antwoordtermijn_2


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


@lru_cache(maxsize=64)
def _termijn_einde(kalender: Werkdagkalender, nu: datetime, werkdagen: int) -> datetime:
    """The end of a term from `nu`: the same for every message of a batch (one `nu` per
    transaction), so worked out once per batch, not per message."""
    return kalender.termijn_einde(nu, werkdagen)


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
    if CATALOGUS.zoek(envelop.module, envelop.berichttype) is None:
        andere = [t.module for t in CATALOGUS.per_code(envelop.berichttype)]
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
    berichttype = CATALOGUS.zoek(envelop.module, envelop.berichttype, envelop.versie)
    if berichttype is None:
        versies = CATALOGUS.versies(envelop.module, envelop.berichttype)
        raise _weigering(
            "ONBEKENDE_VERSIE",
            422,
            f"'{envelop.berichttype}' bestaat niet in versie '{envelop.versie}' van module "
            f"'{envelop.module}'; het bestaat in versie {', '.join(versies)}",
            "versie",
        )
    return berichttype


def _controleer_versie(
    berichttype: Berichttype, afzender: Deelnemer, ontvanger: Deelnemer, envelop: Envelop
) -> None:
    """DESIGN §3a: a message that names no other must be in a version both parties accept; an
    answer or reference carries its question's version and is never refused for it."""
    if envelop.cross_referentienummer is not None:
        return
    eigen = adresboek.versies_van(afzender, berichttype.module)
    andere = adresboek.versies_van(ontvanger, berichttype.module)
    if berichttype.versie in eigen and berichttype.versie in andere:
        return
    beide = [v for v in eigen if v in andere]
    raise _weigering(
        "VERSIE_NIET_ONDERSTEUND",
        422,
        f"versie {berichttype.versie} van module '{berichttype.module}' wordt niet ondersteund door "
        + ("u" if berichttype.versie not in eigen else ontvanger.naam)
        + (
            f"; u en {ontvanger.naam} ondersteunen beide versie {', '.join(beide)}"
            if beide
            else f"; u en {ontvanger.naam} hebben geen versie van deze module gemeen"
        ),
        "versie",
    )


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
    if berichttype.module not in modules:
        raise _weigering(
            "MODULE_NIET_ACTIEF",
            422,
            f"u neemt niet deel aan module '{berichttype.module}'; meld u daarvoor aan bij de beheerder",
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
    if berichttype.module not in adresboek.modules_van(ontvanger):
        raise _weigering(
            "MODULE_NIET_ACTIEF",
            422,
            f"{ontvanger.naam} neemt niet deel aan module '{berichttype.module}'; gebruik een ander kanaal",
            "ontvanger",
        )
    _controleer_versie(berichttype, afzender, ontvanger, envelop)
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


def _verwijzing_richting(berichttype: Berichttype, afzender: Deelnemer, envelop: Envelop) -> tuple[str, str]:
    """(afzender, ontvanger) of the message a crossReferentienummer may name: a reminder names the
    sender's own question to this recipient (art. 15.1), an answer or a heroverweging a message it
    received from it."""
    if berichttype.verwijst_naar and not berichttype.verwijst_naar_ontvangen:
        return afzender.oin, envelop.ontvanger
    return envelop.ontvanger, afzender.oin


def _verwijzing(
    session: Session, berichttype: Berichttype, afzender: Deelnemer, envelop: Envelop
) -> Bericht | None:
    kandidaat = None
    ref = envelop.cross_referentienummer
    if ref is not None and (berichttype.verwijst_naar or berichttype.is_antwoord):
        van, aan = _verwijzing_richting(berichttype, afzender, envelop)
        kandidaat = store.van_naar(session, referentienummer=ref, afzender=van, ontvanger=aan)
    return _beoordeel_verwijzing(berichttype, envelop, kandidaat)


def _zelfde_traject(vraag: R, envelop: Envelop) -> bool:
    """DESIGN §2, §3a: a message names only a message of its own conversation, module and version."""
    return (
        vraag.conversatie_referentienummer == envelop.conversatie_referentienummer
        and vraag.module == envelop.module
        and vraag.versie == envelop.versie
    )


def _beoordeel_verwijzing(berichttype: Berichttype, envelop: Envelop, vraag: R | None) -> R | None:
    """The referenced message, or a refusal; ``vraag`` is the message the number names between
    these two parties in the direction of `_verwijzing_richting` (None when there is none)."""
    ref = envelop.cross_referentienummer
    if berichttype.verwijst_naar:
        # A reminder refers to the sender's own open question to this recipient (art. 15.1).
        if ref is None:
            return None
        if vraag is None or not _zelfde_traject(vraag, envelop):
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
    # One answer for every failure: nobody learns what others exchanged (DESIGN §3).
    if (
        vraag is None
        or not _zelfde_traject(vraag, envelop)
        or not berichttype.beantwoordt_type(vraag.berichttype)
        or vraag.status in ("verlopen", "geweigerd")
    ):
        raise _weigering(
            "ONGELDIG_ANTWOORD",
            422,
            f"crossReferentienummer {ref} is geen bericht dat u met '{berichttype.code}' kunt beantwoorden: "
            "het moet een niet-verlopen bericht zijn dat deze ontvanger u in deze conversatie stuurde, in "
            "dezelfde module en versie als dit antwoord, van type "
            + ", ".join(sorted(berichttype.beantwoordt)),
            "crossReferentienummer",
            reden="geen bericht dat u hiermee kunt beantwoorden",
        )
    return vraag


def _conversatie(session: Session, afzender: Deelnemer, envelop: Envelop, nu: datetime) -> None:
    # DESIGN §2: a conversation's first message creates it and its sender owns it, in every module
    # (a debt counsellor, kredietbank or bewindvoerder for a client, the fund for a
    # verzoek_kredietinformatie). A creditor's first message is refused by its own rules and
    # rolled back with the claim.
    eigenaar = store.claim_conversatie(
        session, conversatie=envelop.conversatie_referentienummer, shv=afzender.oin, nu=nu
    )
    _beoordeel_conversatie(afzender, envelop, eigenaar)


def _beoordeel_conversatie(afzender: Deelnemer, envelop: Envelop, eigenaar: str | None) -> None:
    if eigenaar is not None and eigenaar not in (afzender.oin, envelop.ontvanger):
        raise _weigering(
            "ONGELDIGE_CONVERSATIE",
            422,
            "dit conversatieReferentienummer hoort bij een traject van een andere partij; "
            "begin een nieuw traject met een nieuw UUID",
            "conversatieReferentienummer",
        )


def _te_veel_open(ontvanger: Deelnemer, instellingen: Instellingen) -> HubFout:
    return _weigering(
        "TE_VEEL_OPEN",
        429,
        f"er staan al {instellingen.max_open} onbevestigde berichten van u voor {ontvanger.naam}; "
        "wacht tot de ontvanger ze bevestigt",
    )


def _mib(aantal: int) -> str:
    return f"{aantal / (1024 * 1024):.1f} MiB"


def _controleer_quotum(
    ontvanger: Deelnemer, grootte: int, bezetting: tuple[int, int], instellingen: Instellingen
) -> None:
    """DESIGN §4: once the recipient's unconfirmed ciphertext (with this message) would exceed
    its quota, only a sender that would then hold more than its share is refused, so that one
    sender cannot block a creditor for everyone."""
    totaal, eigen = bezetting
    quotum = ontvanger.inbox_quotum if ontvanger.inbox_quotum is not None else instellingen.inbox_quotum
    aandeel = int(quotum * instellingen.inbox_aandeel)
    if totaal + grootte > quotum and eigen + grootte > aandeel:
        raise _weigering(
            "INBOX_VOL",
            429,
            f"de inbox van {ontvanger.naam} is vol (hoogstens {_mib(quotum)} onbevestigde inhoud) en met "
            f"dit bericht zou u er meer dan uw aandeel ({_mib(aandeel)}) in hebben staan; u heeft er nu "
            f"{_mib(eigen)}. Wacht tot de ontvanger uw berichten bevestigt en bied dit bericht daarna "
            "opnieuw aan, onder hetzelfde referentienummer",
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
        fout.auditregel = _weigeringsregel(afzender, envelop, fout.code, nu)
        raise


def _weigeringsregel(afzender: Deelnemer, envelop: Envelop, code: str, nu: datetime) -> dict[str, Any]:
    """The audit entry of a refused submit (written by the caller, after its rollback)."""
    return audit.geweigerd_bij_verzenden(
        afzender=afzender.oin,
        berichttype=envelop.berichttype,
        module=envelop.module,
        ontvanger=envelop.ontvanger,
        referentienummer=envelop.referentienummer,
        code=code,
        nu=nu,
    )


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
        raise _te_veel_open(ontvanger, instellingen)
    _controleer_quotum(
        ontvanger,
        len(envelop.inhoud),
        inboxquotum.bezetting(session, ontvanger=ontvanger.oin, afzender=afzender.oin),
        instellingen,
    )

    waarden = _waarden(
        envelop,
        afzender,
        ontvanger,
        berichttype,
        envelop_hash,
        nu=nu,
        verloopt_op=instellingen.kalender.termijn_einde(nu, instellingen.bevestigingstermijn),
    )
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


def _waarden(
    envelop: Envelop,
    afzender: Deelnemer,
    ontvanger: Deelnemer,
    berichttype: Berichttype,
    envelop_hash: str,
    *,
    nu: datetime,
    verloopt_op: datetime,
) -> dict[str, Any]:
    return {
        "referentienummer": envelop.referentienummer,
        "afzender": afzender.oin,
        "ontvanger": ontvanger.oin,
        "conversatie_referentienummer": envelop.conversatie_referentienummer,
        "cross_referentienummer": envelop.cross_referentienummer,
        "berichttype": berichttype.code,
        "module": berichttype.module,
        "versie": envelop.versie,
        "envelop_hash": envelop_hash,
        "status": "aangeboden",
        "ontvangen_op": nu,
        "verloopt_op": verloopt_op,
    }


def _herhaling(bestaand: R, afzender: Deelnemer, envelop_hash: str) -> R:
    if bestaand.afzender == afzender.oin and bestaand.envelop_hash == envelop_hash:
        return bestaand
    raise _weigering(
        "REFERENTIENUMMER_CONFLICT",
        409,
        f"referentienummer {bestaand.referentienummer} is al gebruikt voor een ander bericht; "
        "gebruik voor elk nieuw bericht een nieuw UUID (hetzelfde alleen bij een herhaalde poging)",
        "referentienummer",
    )


# --- many messages of one sender at once (the portal's CSV upload, art. 18) ----------------------


@dataclass(slots=True)
class Reeksweigering(HubFout):
    """A refusal of one message of a batch; ``index`` is its position in the batch."""

    index: int = -1


@dataclass(slots=True)
class _Gepland:
    """What the batch will do with one envelope: insert ``waarden``, or return an existing
    message (a retry: ``bestaand``, or ``zelfde_als`` an earlier envelope of the same batch)."""

    berichttype: Berichttype | None = None
    verwijzing: Berichtrij | None = None
    waarden: dict[str, Any] | None = None
    bestaand: Berichtrij | None = None
    zelfde_als: int | None = None
    claimt: bool = False


@dataclass
class _Reeks:
    """The database as the one-at-a-time path would see it before each envelope: the rows found
    once for the whole batch, plus what the batch accepted before that envelope."""

    afzender: Deelnemer
    bekend: dict[str, Row[Any]]
    eigenaren: dict[str, str]
    nu: datetime
    instellingen: Instellingen
    verloopt_op: datetime
    partijen: dict[tuple[str, str, str, bool, str], Deelnemer | HubFout] = field(default_factory=dict)
    open_per_ontvanger: dict[str, int] = field(default_factory=dict)
    bezetting: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per recipient: (its unconfirmed ciphertext, of which this sender's), as `inboxquotum.bezetting`."""
    uitgewisseld: set[tuple[str, str, str]] = field(default_factory=set)
    """(conversation, module, recipient) of the accepted envelopes: EERDER_UITGEWISSELD per module."""
    in_reeks: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    """Accepted envelopes of the batch by referentienummer: (index, the row to insert)."""


def controleer_reeks(
    session: Session,
    afzender: Deelnemer,
    envelops: Sequence[Envelop],
    *,
    nu: datetime,
    instellingen: Instellingen,
    met_inhoud: bool = True,
) -> list[HubFout | None]:
    """A dry run of `verstuur_reeks`: per envelope the refusal of the first rule it fails (None
    when it would be accepted), judged as if the envelopes before it were accepted. Writes
    nothing. ``met_inhoud=False`` skips the checks of the JWE (to check metadata before sealing);
    a referentienummer already in use is then always a conflict."""
    return [
        uitkomst if isinstance(uitkomst, HubFout) else None
        for uitkomst in _plan_reeks(
            session,
            afzender,
            envelops,
            nu=nu,
            instellingen=instellingen,
            met_inhoud=met_inhoud,
            tot_fout=False,
        )
    ]


def verstuur_reeks(
    session: Session,
    afzender: Deelnemer,
    envelops: Sequence[Envelop],
    *,
    nu: datetime,
    instellingen: Instellingen,
) -> list[tuple[Berichtrij, bool]]:
    """Submit many messages of one sender, all or nothing: the same rules as `verstuur`, in the
    same order, each message judged as if the ones before it had been submitted one at a time;
    set-based (a handful of queries per batch, not per message). Returns (message, created) per
    envelope: a `store.NieuwBericht` for a new one, the stored `Bericht` for a retry. Raises
    `Reeksweigering` for the first envelope a rule refuses, carrying the audit entry of that
    refusal; the caller rolls back, so nothing of the batch is submitted."""
    plan = _plan_reeks(
        session, afzender, envelops, nu=nu, instellingen=instellingen, met_inhoud=True, tot_fout=True
    )
    for index, uitkomst in enumerate(plan):
        if isinstance(uitkomst, HubFout):
            raise _reeksweigering(uitkomst, index, afzender, envelops[index], nu)
    geplanden = [u for u in plan if isinstance(u, _Gepland)]
    _claim_reeks(session, afzender, envelops, geplanden, nu=nu)

    nieuw = [(i, g) for i, g in enumerate(geplanden) if g.waarden is not None]
    ids = store.voeg_reeks_toe(
        session,
        [g.waarden for _, g in nieuw if g.waarden is not None],
        [envelops[i].inhoud for i, _ in nieuw],
    )
    resultaten: list[tuple[Berichtrij, bool]] = []
    vragen: dict[int, Berichtrij] = {}
    verstuurd: list[store.NieuwBericht] = []
    for index, gepland in enumerate(geplanden):
        if gepland.zelfde_als is not None:
            resultaten.append((resultaten[gepland.zelfde_als][0], False))
            continue
        if gepland.waarden is None:
            assert gepland.bestaand is not None
            # a retry (rare): the message as the one-at-a-time path returns it
            bestaand = store.op_referentie(session, gepland.bestaand.referentienummer)
            assert bestaand is not None
            resultaten.append((bestaand, False))
            continue
        envelop = envelops[index]
        nieuw_id = ids.get(envelop.referentienummer)
        if nieuw_id is None:
            # A concurrent retry with the same referentienummer won the race.
            bestaand = store.op_referentie(session, envelop.referentienummer)
            assert bestaand is not None
            try:
                resultaten.append((_herhaling(bestaand, afzender, gepland.waarden["envelop_hash"]), False))
            except HubFout as fout:
                raise _reeksweigering(fout, index, afzender, envelop, nu) from None
            continue
        bericht = store.NieuwBericht(id=nieuw_id, **gepland.waarden)
        verstuurd.append(bericht)
        resultaten.append((bericht, True))
        if (
            gepland.verwijzing is not None
            and gepland.berichttype is not None
            and gepland.berichttype.is_antwoord
        ):
            vragen.setdefault(gepland.verwijzing.id, gepland.verwijzing)
    audit.verstuurd_reeks(session, verstuurd, nu=nu)
    _beantwoord_reeks(session, list(vragen.values()), nu=nu, instellingen=instellingen)
    return resultaten


def _reeksweigering(
    fout: HubFout, index: int, afzender: Deelnemer, envelop: Envelop, nu: datetime
) -> HubFout:
    weigering = Reeksweigering(
        fout.code, fout.status, fout.titel, fout.detail, list(fout.velden), fout.artikel, index=index
    )
    weigering.auditregel = _weigeringsregel(afzender, envelop, fout.code, nu)
    return weigering


def _plan_reeks(
    session: Session,
    afzender: Deelnemer,
    envelops: Sequence[Envelop],
    *,
    nu: datetime,
    instellingen: Instellingen,
    met_inhoud: bool,
    tot_fout: bool,
) -> list[_Gepland | HubFout]:
    nummers = {e.referentienummer for e in envelops} | {
        e.cross_referentienummer for e in envelops if e.cross_referentienummer is not None
    }
    reeks = _Reeks(
        afzender=afzender,
        bekend=store.op_referenties(session, nummers),
        eigenaren=store.conversatie_eigenaren(session, {e.conversatie_referentienummer for e in envelops}),
        nu=nu,
        instellingen=instellingen,
        verloopt_op=instellingen.kalender.termijn_einde(nu, instellingen.bevestigingstermijn),
    )
    uitkomsten: list[_Gepland | HubFout] = []
    for index, envelop in enumerate(envelops):
        try:
            uitkomsten.append(_plan_een(session, reeks, index, envelop, met_inhoud=met_inhoud))
        except HubFout as fout:
            uitkomsten.append(fout)
            if tot_fout:
                break
    return uitkomsten


def _plan_een(session: Session, reeks: _Reeks, index: int, envelop: Envelop, *, met_inhoud: bool) -> _Gepland:
    """`_verstuur`'s checks, in its order, against the batch's view of the database."""
    afzender = reeks.afzender
    # A dry run without content needs no hash (a number in use is then a conflict anyway).
    envelop_hash = envelop.hash() if met_inhoud else ""
    eerder = reeks.in_reeks.get(envelop.referentienummer)
    if eerder is not None:
        _herhaling(Bericht(**eerder[1]), afzender, envelop_hash)
        return _Gepland(zelfde_als=eerder[0])
    bestaand = reeks.bekend.get(envelop.referentienummer)
    if bestaand is not None:
        return _Gepland(bestaand=_herhaling(bestaand, afzender, envelop_hash))

    berichttype = _type(envelop)
    sleutel = (
        berichttype.module,
        berichttype.code,
        berichttype.versie,
        envelop.cross_referentienummer is None,
        envelop.ontvanger,
    )
    if sleutel not in reeks.partijen:
        try:
            reeks.partijen[sleutel] = _partijen(session, berichttype, afzender, envelop)
        except HubFout as fout:
            reeks.partijen[sleutel] = fout
    gevonden = reeks.partijen[sleutel]
    if isinstance(gevonden, HubFout):
        raise gevonden
    ontvanger = gevonden
    if met_inhoud:
        _controleer_inhoud(envelop, ontvanger, reeks.instellingen, reeks.nu)
    conversatie = envelop.conversatie_referentienummer
    eigenaar = reeks.eigenaren.get(conversatie)
    claimt = eigenaar is None
    _beoordeel_conversatie(afzender, envelop, afzender.oin if claimt else eigenaar)

    kandidaat = None
    ref = envelop.cross_referentienummer
    if ref is not None and (berichttype.verwijst_naar or berichttype.is_antwoord):
        van, aan = _verwijzing_richting(berichttype, afzender, envelop)
        in_reeks = reeks.in_reeks.get(ref)
        kandidaat = Bericht(**in_reeks[1]) if in_reeks is not None else reeks.bekend.get(ref)
        if kandidaat is not None and (kandidaat.afzender, kandidaat.ontvanger) != (van, aan):
            kandidaat = None
    verwijzing = _beoordeel_verwijzing(berichttype, envelop, kandidaat)
    regels.controleer(
        regels.Context(
            session=session,
            type=berichttype,
            afzender=afzender,
            ontvanger=ontvanger,
            conversatie=conversatie,
            verwijzing=verwijzing,
            uitgewisseld_in_reeks=(conversatie, berichttype.module, ontvanger.oin) in reeks.uitgewisseld,
        )
    )
    if ontvanger.oin not in reeks.open_per_ontvanger:
        reeks.open_per_ontvanger[ontvanger.oin] = store.aantal_open(
            session, afzender=afzender.oin, ontvanger=ontvanger.oin, tot=reeks.instellingen.max_open
        )
    if reeks.open_per_ontvanger[ontvanger.oin] >= reeks.instellingen.max_open:
        raise _te_veel_open(ontvanger, reeks.instellingen)
    if ontvanger.oin not in reeks.bezetting:
        reeks.bezetting[ontvanger.oin] = inboxquotum.bezetting(
            session, ontvanger=ontvanger.oin, afzender=afzender.oin
        )
    # A dry run before sealing knows no size yet: it refuses only a sender already above its share.
    grootte = len(envelop.inhoud) if met_inhoud else 0
    _controleer_quotum(ontvanger, grootte, reeks.bezetting[ontvanger.oin], reeks.instellingen)

    waarden = _waarden(
        envelop, afzender, ontvanger, berichttype, envelop_hash, nu=reeks.nu, verloopt_op=reeks.verloopt_op
    )
    # Accepted: the envelopes after it see it as the database would.
    reeks.open_per_ontvanger[ontvanger.oin] += 1
    totaal, eigen = reeks.bezetting[ontvanger.oin]
    reeks.bezetting[ontvanger.oin] = (totaal + grootte, eigen + grootte)
    reeks.uitgewisseld.add((conversatie, berichttype.module, ontvanger.oin))
    reeks.in_reeks[envelop.referentienummer] = (index, waarden)
    if claimt:
        reeks.eigenaren[conversatie] = afzender.oin
    return _Gepland(berichttype=berichttype, verwijzing=verwijzing, waarden=waarden, claimt=claimt)


def _claim_reeks(
    session: Session,
    afzender: Deelnemer,
    envelops: Sequence[Envelop],
    geplanden: list[_Gepland],
    *,
    nu: datetime,
) -> None:
    """Register the conversations an SHV starts in this batch; another SHV that claimed one
    concurrently keeps it, and the envelope is refused as `_conversatie` would refuse it."""
    nieuw = {envelops[i].conversatie_referentienummer: i for i, g in enumerate(geplanden) if g.claimt}
    if not nieuw:
        return
    # Inserted in sorted order: two batches starting the same conversations wait for each other
    # instead of deadlocking (decision 0022).
    eigenaren = store.claim_conversaties(session, conversaties=sorted(nieuw), shv=afzender.oin, nu=nu)
    for conversatie, index in sorted(nieuw.items(), key=lambda paar: paar[1]):
        try:
            _beoordeel_conversatie(afzender, envelops[index], eigenaren.get(conversatie))
        except HubFout as fout:
            raise _reeksweigering(fout, index, afzender, envelops[index], nu) from None


def _beantwoord_reeks(
    session: Session, vragen: list[Berichtrij], *, nu: datetime, instellingen: Instellingen
) -> None:
    """`_beantwoord` for many questions: the open ones are confirmed (loaded and locked in id
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


def _beantwoord(session: Session, vraag: Bericht, *, nu: datetime, instellingen: Instellingen) -> None:
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
    return _termijn_einde(instellingen.kalender, nu, instellingen.antwoordtermijn_van(berichttype))


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


def _ontvangstbevestiging(bericht: Berichtrij, *, nu: datetime, instellingen: Instellingen) -> dict[str, Any]:
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
            "bevestigdOp": nu.astimezone(AMSTERDAM).isoformat(),  # like every time on the wire
        },
        nu=nu,
        instellingen=instellingen,
    )


def _hub_bericht_waarden(
    *,
    over: Berichtrij,
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
        "versie": over.versie,  # a notice is in the module and version of the message it concerns
        "envelop_hash": hashlib.sha256(json.dumps(melding, sort_keys=True).encode()).hexdigest(),
        "status": "aangeboden",
        "ontvangen_op": nu,
        "verloopt_op": _termijn_einde(instellingen.kalender, nu, instellingen.bevestigingstermijn),
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


def ontvangen_set(
    session: Session, ontvanger: Deelnemer, referentienummers: Sequence[str]
) -> dict[str, Row[Any]]:
    """Metadata of the messages with these numbers addressed to `ontvanger` (any status), as
    read-only rows with the columns of `Bericht`: what a recipient may know of messages it
    received, e.g. to address its answers."""
    return store.voor_ontvanger_set(session, ontvanger=ontvanger.oin, referentienummers=referentienummers)


def verstuurd_set(
    session: Session, afzender: Deelnemer, referentienummers: Sequence[str]
) -> dict[str, datetime]:
    """Which of these numbers `afzender` already sent, with their ``ontvangenOp``: an upload of the
    portal skips them as already sent (DESIGN §7)."""
    return store.van_afzender_set(session, afzender=afzender.oin, referentienummers=referentienummers)


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
                    bonnen.append(_ontvangstbevestiging(bericht, nu=nu, instellingen=instellingen))
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

    Set-based: the open, unexpired messages are confirmed with one UPDATE per answer deadline, one
    DELETE of their ciphertext and one multi-row INSERT of the receipts; the rest (unknown,
    already confirmed, expired, refused) take the one-at-a-time path for their exact outcome."""
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
    afzender: Deelnemer | Partij,
    *,
    limiet: int,
    voor_id: int | None,
    status: str | None,
    conversatie: str | None,
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
    )


def conversatie(
    session: Session, partij: Deelnemer | Partij, conversatie_referentienummer: str
) -> Sequence[Bericht]:
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
                versie=r.versie,
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
    vraagtypen: dict[str, set[str]] = {}
    for t in CATALOGUS.alle():  # a kennisgeving expects an answer in pauzeknop, not in schuldregeling
        if t.antwoord_verwacht:
            vraagtypen.setdefault(t.module, set()).add(t.code)
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
