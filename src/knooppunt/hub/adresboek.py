"""The adresboek: participants, their modules, flags and certificates (DESIGN §2).

Every change here counts in the adresboek's version (store.crl_staat.adresboek_gewijzigd), in the
transaction of the change: a node drops the certificates it verified before when a request's first
statement reads a new version, so a retired certificate is refused on its next request on every
node (DESIGN §5)."""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from knooppunt.hub import audit
from knooppunt.hub.fouten import HubFout, OngeldigVeld
from knooppunt.pki.certificaat import (
    CertificaatInfo,
    OngeldigCertificaat,
    controleer_bruikbaar,
)
from knooppunt.pki.verificatie import Vertrouwensankers
from knooppunt.protocol.catalogus import CATALOGUS, Rol, Schuldensoort, versiesleutel
from knooppunt.protocol.identificatie import (
    KVK_PREFIX,
    OngeldigeIdentificatie,
    heeft_stuurtekens,
    valideer_kvk,
    valideer_oin,
    valideer_vestigingsnummer,
)
from knooppunt.protocol.werkdagen import Werkdagkalender
from knooppunt.store import crl_staat
from knooppunt.store import deelnemers as store
from knooppunt.store.models import Certificaat, Deelnemer, DeelnemerModule, DeelnemerSchuldensoort

GEBRUIK = ("tls", "ondertekening", "versleuteling")
NA_DE_TERMIJN = timedelta(days=30)
"""DESIGN §2, §5: retired certificates stay in the adresboek "for the bevestigingstermijn plus 30
days", so that a message signed before the retirement can be verified until it expires, and then
some."""


@dataclass(slots=True)
class NieuweDeelnemer:
    oin: str
    naam: str
    rol: str
    kvk_nummer: str
    modules: list[str]
    certificaten: list[CertificaatInfo] = field(default_factory=list)
    vestigingsnummer: str | None = None
    gebruikt_bsn: bool = False
    standaard_akkoord: bool = False
    schuldensoorten: list[str] = field(default_factory=list)
    gebruik: list[str] = field(default_factory=lambda: list(GEBRUIK))
    sleutelbeheer: str = "eigen"


@dataclass(frozen=True, slots=True)
class Partij:
    """What a request needs of the participant it comes from, as a plain record: it outlives the
    session that read it (a rollback expires ORM objects), so that a node can keep it with the
    certificate it verified (api.auth; DESIGN §5)."""

    oin: str


SLEUTELBEHEER = ("eigen", "portaal")
MAX_NAAM = 200


def _fout(naam: str, reden: str) -> HubFout:
    return _fouten([OngeldigVeld(naam, reden)])


AL_GEREGISTREERD = "dit certificaat is al geregistreerd"


def _fouten(velden: list[OngeldigVeld]) -> HubFout:
    """One refusal naming every field at fault, so a form can show them all at once."""
    return HubFout(
        "ONGELDIGE_DEELNEMER",
        400,
        "Ongeldige deelnemer",
        "; ".join(f"{v.name}: {v.reason}" for v in velden),
        list(velden),
    )


def _keuze(naam: str, waarde: str, toegestaan: Iterable[str]) -> str:
    opties = list(toegestaan)
    if waarde not in opties:
        raise _fout(naam, f"{waarde!r} is onbekend; kies uit {', '.join(opties)}")
    return waarde


def _keuzes(
    fouten: list[OngeldigVeld], naam: str, waarden: Iterable[str], toegestaan: Iterable[str]
) -> list[str]:
    """The known values, sorted and without duplicates; unknown ones are noted in ``fouten``."""
    opties = list(toegestaan)
    gekozen = set(waarden)
    onbekend = sorted(gekozen - set(opties))
    if onbekend:
        fouten.append(
            OngeldigVeld(naam, f"{', '.join(map(repr, onbekend))} is onbekend; kies uit {', '.join(opties)}")
        )
    return sorted(gekozen & set(opties))


def _controleer_vlaggen(
    fouten: list[OngeldigVeld],
    rol: str | None,
    *,
    gebruikt_bsn: bool,
    standaard_akkoord: bool,
    soorten: list[str],
) -> None:
    """gebruiktBsn (3.2), standaardAkkoord (7.1) and schuldensoorten (5.2-5.5) are creditors' flags."""
    if rol is None or rol == Rol.SE:
        return
    for naam, aan in (
        ("gebruiktBsn", gebruikt_bsn),
        ("standaardAkkoord", standaard_akkoord),
        ("schuldensoorten", bool(soorten)),
    ):
        if aan:
            fouten.append(OngeldigVeld(naam, "geldt alleen voor schuldeisers (rol SE)"))


def controleer_certificaat(
    info: CertificaatInfo, *, oin: str, ankers: Vertrouwensankers | None, moment: datetime
) -> None:
    """A certificate may be registered for `oin` only if it names that OIN and is usable."""
    try:
        controleer_bruikbaar(info)
    except OngeldigCertificaat as exc:
        raise _fout("certificaat", str(exc)) from exc
    if info.oin != oin:
        raise _fout(
            "certificaat",
            f"het certificaat is voor OIN {info.oin or '(geen serialNumber)'}, niet voor {oin}",
        )
    if info.geldig_tot <= moment:
        raise _fout("certificaat", f"het certificaat is verlopen op {info.geldig_tot.isoformat()}")
    if ankers is not None:
        try:
            ankers.controleer(info.certificaat, moment=max(moment, info.geldig_vanaf))
        except OngeldigCertificaat as exc:
            raise _fout("certificaat", str(exc)) from exc


def registreer(
    session: Session,
    nieuw: NieuweDeelnemer,
    *,
    nu: datetime,
    ankers: Vertrouwensankers | None,
    door: str,
) -> Deelnemer:
    """Add a participant (the aanmeldformulier). Every field is checked before anything is stored,
    and one refusal names every field at fault. ``door`` is the audit actor."""
    fouten: list[OngeldigVeld] = []
    oin: str | None = None
    kvk: str | None = None
    vestigingsnummer: str | None = None
    if not nieuw.oin.strip():
        fouten.append(
            OngeldigVeld("oin", "OIN is verplicht: 20 cijfers, voor bedrijven 00000003 + KvK-nummer + 0000")
        )
    else:
        try:
            oin = valideer_oin(nieuw.oin)
        except OngeldigeIdentificatie as exc:
            fouten.append(OngeldigVeld("oin", str(exc)))
    # Judged after every other field, so that a refusal names every field at fault at once.
    bestaat = oin is not None and store.haal(session, oin) is not None
    if not nieuw.kvk_nummer.strip():
        fouten.append(OngeldigVeld("kvkNummer", "KvK-nummer is verplicht: 8 cijfers"))
    else:
        try:
            kvk = valideer_kvk(nieuw.kvk_nummer)
        except OngeldigeIdentificatie as exc:
            fouten.append(OngeldigVeld("kvkNummer", str(exc)))
    if oin is not None and kvk is not None and oin.startswith(KVK_PREFIX) and oin[8:16] != kvk:
        # DESIGN §2: a company's OIN is 00000003 + its KvK number + 0000.
        fouten.append(
            OngeldigVeld("kvkNummer", f"KvK-nummer {kvk} hoort niet bij OIN {oin} (daarin staat {oin[8:16]})")
        )
    if nieuw.vestigingsnummer:
        try:
            vestigingsnummer = valideer_vestigingsnummer(nieuw.vestigingsnummer)
        except OngeldigeIdentificatie as exc:
            fouten.append(OngeldigVeld("vestigingsnummer", str(exc)))
    naam = nieuw.naam.strip()
    if not naam:
        fouten.append(OngeldigVeld("naam", "naam is verplicht"))
    elif len(naam) > MAX_NAAM:
        fouten.append(OngeldigVeld("naam", f"naam is {len(naam)} tekens; ten hoogste {MAX_NAAM}"))
    elif heeft_stuurtekens(naam):
        fouten.append(
            OngeldigVeld("naam", "de naam mag geen stuurtekens bevatten (zoals een regelovergang of tab)")
        )
    rollen = [r.value for r in Rol if r is not Rol.KNOOPPUNT]
    rol: str | None = nieuw.rol if nieuw.rol in rollen else None
    if rol is None:
        fouten.append(
            OngeldigVeld(
                "rol",
                f"kies een rol: {', '.join(rollen)}"
                if not nieuw.rol
                else f"{nieuw.rol!r} is onbekend; kies uit {', '.join(rollen)}",
            )
        )
    modules = _modulekeuzes(fouten, nieuw.modules)
    if not nieuw.modules:
        fouten.append(OngeldigVeld("modules", "kies minstens één module"))
    soorten = _keuzes(fouten, "schuldensoorten", nieuw.schuldensoorten, [s.value for s in Schuldensoort])
    _controleer_vlaggen(
        fouten,
        rol,
        gebruikt_bsn=nieuw.gebruikt_bsn,
        standaard_akkoord=nieuw.standaard_akkoord,
        soorten=soorten,
    )
    gebruik = set(_keuzes(fouten, "gebruik", nieuw.gebruik, GEBRUIK))
    if not nieuw.gebruik and nieuw.certificaten:
        fouten.append(OngeldigVeld("gebruik", "kies minstens één gebruik van het certificaat"))
    if nieuw.sleutelbeheer not in SLEUTELBEHEER:
        fouten.append(
            OngeldigVeld(
                "sleutelbeheer", f"{nieuw.sleutelbeheer!r} is onbekend; kies uit {', '.join(SLEUTELBEHEER)}"
            )
        )
    if oin is not None:
        for info in nieuw.certificaten:
            try:
                controleer_certificaat(info, oin=oin, ankers=ankers, moment=nu)
            except HubFout as fout:
                fouten.extend(fout.velden)
                continue
            if store.certificaat(session, info.vingerafdruk) is not None:
                fouten.append(OngeldigVeld("certificaat", AL_GEREGISTREERD))
    if bestaat:
        al = OngeldigVeld("oin", f"er is al een deelnemer met OIN {oin}")
        # Its certificate being registered already is the same fact (the participant added twice).
        andere = [f for f in fouten if f.reason != AL_GEREGISTREERD]
        if andere:
            raise _fouten([al, *andere])
        raise HubFout(
            "DEELNEMER_BESTAAT", 409, "Deelnemer bestaat al", f"Er is al een deelnemer met OIN {oin}.", [al]
        )
    if fouten:
        raise _fouten(fouten)
    assert oin is not None and kvk is not None and rol is not None
    deelnemer = Deelnemer(
        oin=oin,
        kvk_nummer=kvk,
        vestigingsnummer=vestigingsnummer,
        naam=naam,
        rol=rol,
        gebruikt_bsn=nieuw.gebruikt_bsn,
        standaard_akkoord=nieuw.standaard_akkoord,
        sleutelbeheer=nieuw.sleutelbeheer,
        contact={},
        aangemaakt_op=nu,
        modules=[DeelnemerModule(module=m, versies=v) for m, v in modules.items()],
        schuldensoorten=[DeelnemerSchuldensoort(soort=s) for s in soorten],
        certificaten=[_certificaat(info, gebruik, nu) for info in nieuw.certificaten],
    )
    session.add(deelnemer)
    session.flush()
    crl_staat.adresboek_gewijzigd(session, nu=nu)
    audit.deelnemer_toegevoegd(session, deelnemer, door=door, nu=nu)
    return deelnemer


@dataclass(slots=True)
class DeelnemerWijziging:
    """What a beheerder changes in a registration; None leaves a field as it is."""

    modules: list[str] | None = None
    gebruikt_bsn: bool | None = None
    standaard_akkoord: bool | None = None
    schuldensoorten: list[str] | None = None
    inbox_quotum: int | None = None
    """Bytes of unconfirmed ciphertext its inbox may hold (DESIGN §4); 0: back to the default."""


def wijzig(
    session: Session, oin: str, wijziging: DeelnemerWijziging, *, door: str, nu: datetime
) -> dict[str, tuple[Any, Any]]:
    """Change a participant's modules and flags, checked as ``registreer`` checks them. Returns
    what changed, {field: (old, new)}; a change is audited and e-mailed to the participant
    (DESIGN §5: every beheer action is audited, a change to the registration is e-mailed)."""
    deelnemer = haal(session, oin)
    fouten: list[OngeldigVeld] = []
    oud: dict[str, Any] = {
        "modules": _modulenotatie({m.module: m.versies for m in deelnemer.modules}),
        "gebruiktBsn": deelnemer.gebruikt_bsn,
        "standaardAkkoord": deelnemer.standaard_akkoord,
        "schuldensoorten": sorted(schuldensoorten_van(deelnemer)),
        "inboxQuotum": deelnemer.inbox_quotum,
    }
    nieuw = dict(oud)
    if wijziging.modules is not None:
        gekozen = _modulekeuzes(fouten, wijziging.modules)
        nieuw["modules"] = _modulenotatie(gekozen)
        if not wijziging.modules:
            fouten.append(OngeldigVeld("modules", "kies minstens één module"))
    if wijziging.schuldensoorten is not None:
        nieuw["schuldensoorten"] = _keuzes(
            fouten, "schuldensoorten", wijziging.schuldensoorten, [s.value for s in Schuldensoort]
        )
    if wijziging.gebruikt_bsn is not None:
        nieuw["gebruiktBsn"] = wijziging.gebruikt_bsn
    if wijziging.standaard_akkoord is not None:
        nieuw["standaardAkkoord"] = wijziging.standaard_akkoord
    if wijziging.inbox_quotum is not None:
        if wijziging.inbox_quotum < 0:
            fouten.append(OngeldigVeld("inboxQuotum", "geef een aantal bytes (0: de standaardwaarde)"))
        nieuw["inboxQuotum"] = wijziging.inbox_quotum or None
    _controleer_vlaggen(
        fouten,
        deelnemer.rol,
        gebruikt_bsn=nieuw["gebruiktBsn"],
        standaard_akkoord=nieuw["standaardAkkoord"],
        soorten=nieuw["schuldensoorten"],
    )
    if fouten:
        raise _fouten(fouten)
    gewijzigd = {k: (oud[k], nieuw[k]) for k in oud if oud[k] != nieuw[k]}
    if not gewijzigd:
        return {}
    if "modules" in gewijzigd:
        deelnemer.modules[:] = [m for m in deelnemer.modules if m.module in gekozen]
        for rij in deelnemer.modules:
            rij.versies = gekozen[rij.module]
        bestaand = modules_van(deelnemer)
        deelnemer.modules.extend(
            DeelnemerModule(module=m, versies=v) for m, v in gekozen.items() if m not in bestaand
        )
    if "schuldensoorten" in gewijzigd:
        deelnemer.schuldensoorten[:] = [
            s for s in deelnemer.schuldensoorten if s.soort in nieuw["schuldensoorten"]
        ]
        bestaand = schuldensoorten_van(deelnemer)
        deelnemer.schuldensoorten.extend(
            DeelnemerSchuldensoort(soort=s) for s in nieuw["schuldensoorten"] if s not in bestaand
        )
    deelnemer.gebruikt_bsn = nieuw["gebruiktBsn"]
    deelnemer.standaard_akkoord = nieuw["standaardAkkoord"]
    deelnemer.inbox_quotum = nieuw["inboxQuotum"]
    session.flush()
    crl_staat.adresboek_gewijzigd(session, nu=nu)
    audit.deelnemer_gewijzigd(session, oin=oin, wat=",".join(gewijzigd), door=door, nu=nu)
    from knooppunt.hub import notificaties

    notificaties.meld_beheer(
        session,
        oin,
        details={
            "actie": "deelnemer_gewijzigd",
            "wijzigingen": {k: {"oud": o, "nieuw": n} for k, (o, n) in gewijzigd.items()},
            "door": door,
            "moment": nu.isoformat(),
        },
        nu=nu,
    )
    return gewijzigd


def _certificaat(info: CertificaatInfo, gebruik: set[str], nu: datetime) -> Certificaat:
    return Certificaat(
        vingerafdruk=info.vingerafdruk,
        pem=info.pem,
        onderwerp=info.onderwerp[:500],
        uitgever=info.uitgever[:500],
        serienummer=info.serienummer,
        sleuteltype=info.sleuteltype,
        sleutelgrootte=info.sleutelgrootte,
        geldig_vanaf=info.geldig_vanaf,
        geldig_tot=info.geldig_tot,
        gebruik_tls="tls" in gebruik,
        gebruik_ondertekening="ondertekening" in gebruik,
        gebruik_versleuteling="versleuteling" in gebruik,
        toegevoegd_op=nu,
    )


def voeg_certificaat_toe(
    session: Session,
    oin: str,
    info: CertificaatInfo,
    *,
    gebruik: Iterable[str],
    nu: datetime,
    ankers: Vertrouwensankers | None,
    door: str,
) -> Certificaat:
    deelnemer = haal(session, oin)
    controleer_certificaat(info, oin=oin, ankers=ankers, moment=nu)
    if store.certificaat(session, info.vingerafdruk) is not None:
        raise _fout("certificaat", AL_GEREGISTREERD)
    cert = _certificaat(info, {_keuze("gebruik", g, GEBRUIK) for g in gebruik}, nu)
    deelnemer.certificaten.append(cert)
    session.flush()
    crl_staat.adresboek_gewijzigd(session, nu=nu)
    audit.certificaat_toegevoegd(session, cert, door=door, nu=nu)
    _meld_certificaat(session, cert, "toegevoegd", door=door, nu=nu)
    return cert


def _meld_certificaat(session: Session, cert: Certificaat, wat: str, *, door: str, nu: datetime) -> None:
    from knooppunt.hub import notificaties

    gebruik = [
        g
        for g, aan in (
            ("tls", cert.gebruik_tls),
            ("ondertekening", cert.gebruik_ondertekening),
            ("versleuteling", cert.gebruik_versleuteling),
        )
        if aan
    ]
    notificaties.meld_beheer(
        session,
        cert.oin,
        details={
            "actie": f"certificaat_{wat}",
            "vingerafdruk": cert.vingerafdruk,
            "onderwerp": cert.onderwerp,
            "geldigTot": cert.geldig_tot.isoformat(),
            "gebruik": gebruik,
            "door": door,
            "moment": nu.isoformat(),
        },
        nu=nu,
    )


def trek_certificaat_in(
    session: Session, oin: str, vingerafdruk: str, *, nu: datetime, door: str
) -> Certificaat:
    """Retire a certificate: no longer accepted for TLS or as an encryption target; still listed
    for verifying signatures on messages sent before (DESIGN §5)."""
    cert = store.certificaat(session, vingerafdruk.lower())
    if cert is None or cert.oin != oin:
        raise HubFout(
            "NIET_GEVONDEN", 404, "Niet gevonden", f"Deelnemer {oin} heeft geen certificaat {vingerafdruk}."
        )
    if cert.ingetrokken_op is None:
        cert.ingetrokken_op = nu
        # Every node refuses it on its next request: its cached verification no longer counts.
        crl_staat.adresboek_gewijzigd(session, nu=nu)
        audit.certificaat_ingetrokken(session, cert, door=door, nu=nu)
        _meld_certificaat(session, cert, "ingetrokken", door=door, nu=nu)
    session.flush()
    return cert


def trek_in_volgens_crl(
    session: Session, *, uitgever: str, ingetrokken: Mapping[int, datetime], crl_nummer: int, nu: datetime
) -> list[Certificaat]:
    """Retire the adresboek's current certificates that a CRL of `uitgever` (its subject, RFC 4514)
    revokes, from their revocation date (at the latest `nu`), as a beheerder's retirement does: not
    only refused for TLS (api.auth checks the CRL itself) but no longer "current" — the hub refuses
    a JWE for it (DESIGN §5: "`kid` is a current `versleuteling` certificate"), the SDKs stop
    encrypting for it and refuse signatures made with it after that date. Audited, notified."""
    if not ingetrokken:
        return []
    kandidaten = store.actuele_certificaten_van(session, uitgever)
    door = f"crl:{crl_nummer}"
    uit: list[Certificaat] = []
    for cert in kandidaten:
        moment = ingetrokken.get(int(cert.serienummer, 16))
        if moment is None:
            continue
        cert.ingetrokken_op = min(moment, nu)
        audit.certificaat_ingetrokken(session, cert, door=door, nu=nu)
        _meld_certificaat(session, cert, "ingetrokken", door=door, nu=nu)
        uit.append(cert)
    if uit:
        crl_staat.adresboek_gewijzigd(session, nu=nu)
        session.flush()
    return uit


def haal(session: Session, oin: str) -> Deelnemer:
    deelnemer = store.haal(session, oin)
    if deelnemer is None:
        raise HubFout("NIET_GEVONDEN", 404, "Niet gevonden", f"Er is geen deelnemer met OIN {oin}.")
    return deelnemer


def zoek(
    session: Session,
    *,
    rol: str | None,
    module: str | None,
    zoekterm: str | None,
    na_oin: str | None,
    limiet: int,
) -> Sequence[Deelnemer]:
    return store.zoek(session, rol=rol, module=module, zoekterm=zoekterm, na_oin=na_oin, limiet=limiet)


def zichtbaar_tot(ingetrokken_op: datetime, kalender: Werkdagkalender, bevestigingstermijn: int) -> datetime:
    """Until when a certificate retired at `ingetrokken_op` stays in the adresboek: the end of the
    bevestigingstermijn (in working days, as this hub counts it) of a message offered at that
    moment, plus 30 days (DESIGN §2)."""
    return kalender.termijn_einde(ingetrokken_op, bevestigingstermijn) + NA_DE_TERMIJN


def zichtbare_certificaten(
    deelnemer: Deelnemer, *, nu: datetime, kalender: Werkdagkalender, bevestigingstermijn: int
) -> list[Certificaat]:
    """Current certificates, and retired ones within the bevestigingstermijn + 30 days."""
    return [
        c
        for c in deelnemer.certificaten
        if c.ingetrokken_op is None or nu <= zichtbaar_tot(c.ingetrokken_op, kalender, bevestigingstermijn)
    ]


def is_actueel(cert: Certificaat, nu: datetime) -> bool:
    return cert.ingetrokken_op is None and cert.geldig_vanaf <= nu < cert.geldig_tot


def modules_van(deelnemer: Deelnemer) -> set[str]:
    return {m.module for m in deelnemer.modules}


def versies_van(deelnemer: Deelnemer, module: str) -> tuple[str, ...]:
    """The protocol versions the participant accepts in a module (DESIGN §3a): those registered,
    else every version of the module; none when it has not joined the module."""
    for rij in deelnemer.modules:
        if rij.module == module:
            if rij.versies:
                return tuple(rij.versies.split(","))
            return CATALOGUS.moduleversies(module)
    return ()


def versies_per_module(deelnemer: Deelnemer) -> dict[str, list[str]]:
    """Module → accepted versions, for the adresboek's ``versies`` field."""
    return {rij.module: list(versies_van(deelnemer, rij.module)) for rij in deelnemer.modules}


def hoogste_gemeenschappelijke_versie(a: Deelnemer, b: Deelnemer, module: str) -> str | None:
    """The highest version of a module both accept (what the SDK and the portal send in)."""
    gemeen = [v for v in versies_van(a, module) if v in versies_van(b, module)]
    return max(gemeen, key=versiesleutel) if gemeen else None


class Modulegat(ValueError):
    """A module choice whose version list has a gap (``schuldregeling:`` or ``schuldregeling:1.0,``):
    read as "every version" or silently shortened, it would register something else than meant."""


def ontleed_module(tekst: str) -> tuple[str, tuple[str, ...] | None]:
    """``schuldregeling`` or ``schuldregeling:1.0,2.0`` (the CLI's ``--module``) → (code, versions;
    None for every version). A version list with a gap raises `Modulegat`, saying what to write."""
    code, dubbele_punt, na = tekst.strip().partition(":")
    code = code.strip()
    if not dubbele_punt:
        return code, None
    versies = [v.strip() for v in na.split(",")]
    if not all(versies):
        voorbeeld = ",".join(CATALOGUS.moduleversies(code)) or "1.0"
        raise Modulegat(
            f"{tekst.strip()!r}: na ':' volgen versies gescheiden door komma's, zonder lege "
            f"plekken (bijv. {code}:{voorbeeld}), of alleen {code} voor elke versie"
        )
    return code, tuple(versies)


def _modulekeuzes(fouten: list[OngeldigVeld], keuzes: list[str]) -> dict[str, str | None]:
    """Module choices, each ``code`` or ``code:versie,versie``, checked against the registry:
    module → comma-separated versions (None: every version of the module)."""
    gekozen: dict[str, str | None] = {}
    bekend = CATALOGUS.modulecodes()
    for keuze in keuzes:
        try:
            code, versies = ontleed_module(keuze)
        except Modulegat as gat:
            fouten.append(OngeldigVeld("modules", str(gat)))
            continue
        if code not in bekend:
            fouten.append(OngeldigVeld("modules", f"{code!r} is onbekend; kies uit {', '.join(bekend)}"))
            continue
        if versies is None:
            gekozen[code] = None
            continue
        mogelijk = CATALOGUS.moduleversies(code)
        onbekend = [v for v in versies if v not in mogelijk]
        if onbekend or not versies:
            fouten.append(
                OngeldigVeld(
                    "modules",
                    f"module {code} kent versie {', '.join(onbekend) or '(geen)'} niet; "
                    f"kies uit {', '.join(mogelijk)}",
                )
            )
            continue
        if code in gekozen:  # named twice (``--module m:1.0 --module m:2.0``): both count
            eerder = gekozen[code]
            versies = mogelijk if eerder is None else (*versies, *eerder.split(","))
        gesorteerd = sorted(set(versies), key=versiesleutel)
        gekozen[code] = None if tuple(gesorteerd) == mogelijk else ",".join(gesorteerd)
    return gekozen


def _modulenotatie(modules: dict[str, str | None]) -> list[str]:
    return sorted(m if v is None else f"{m}:{v}" for m, v in modules.items())


def schuldensoorten_van(deelnemer: Deelnemer) -> set[str]:
    return {s.soort for s in deelnemer.schuldensoorten}


def authenticeer(session: Session, *, oin: str, vingerafdruk: str, nu: datetime) -> Partij | None:
    """The participant whose current TLS certificate this is, or None (DESIGN §5)."""
    if not store.heeft_tls_certificaat(session, oin=oin, vingerafdruk=vingerafdruk, moment=nu):
        return None
    return Partij(oin=oin)


class Onbekend(enum.Enum):
    """Not in a cache (`Deelnemercache.uit_geheugen`): ask the database."""

    ONBEKEND = "onbekend"


ONBEKEND = Onbekend.ONBEKEND


class Deelnemercache:
    """Adresboek entries this process read, for one adresboek version (#13: a submit's rules read
    the sender's and the recipient's entries from memory, not with two joined queries per request).

    Every adresboek change raises the version (store.crl_staat.adresboek_gewijzigd) in its own
    transaction, and every request reads the version in its first statement: a request that reads
    another version than the one kept empties the cache, so no node answers from an entry older
    than the version its request saw. Entries are detached from any session (a rollback does not
    expire them) and only read; an unknown OIN is kept as None. Least recently used go first;
    thread-safe."""

    def __init__(self, maximum: int = 10_000) -> None:
        self.maximum = maximum
        self._items: OrderedDict[str, Deelnemer | None] = OrderedDict()
        self._versie: int | None = None
        self._slot = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def uit_geheugen(self, oin: str, *, versie: int) -> Deelnemer | Onbekend | None:
        """The entry kept for `oin` under `versie` (None: kept as not in the adresboek), or
        ONBEKEND when it is not kept — never the database (the hot submit on the event loop)."""
        with self._slot:
            if versie != self._versie or oin not in self._items:
                return ONBEKEND
            self._items.move_to_end(oin)
            return self._items[oin]

    def haal(self, session: Session, oin: str, *, versie: int) -> Deelnemer | None:
        with self._slot:
            if versie != self._versie:
                self._items.clear()
                self._versie = versie
            elif oin in self._items:
                self._items.move_to_end(oin)
                return self._items[oin]
        if session.identity_key(Deelnemer, oin) in session.identity_map:
            # Already an object of this request's session: it stays that (not detached under it).
            return store.haal(session, oin)
        deelnemer = store.haal(session, oin)
        if deelnemer is not None:
            # Everything the rules read is loaded (modules, schuldensoorten and certificates are
            # joined eagerly); the entry leaves the session so that no rollback expires it.
            session.expunge(deelnemer)
        with self._slot:
            if versie == self._versie:
                self._items[oin] = deelnemer
                while len(self._items) > self.maximum:
                    self._items.popitem(last=False)
        return deelnemer
