"""The adresboek: participants, their modules, flags and certificates (DESIGN §2)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from knooppunt.hub import audit
from knooppunt.hub.fouten import HubFout, OngeldigVeld
from knooppunt.pki.certificaat import (
    CertificaatInfo,
    OngeldigCertificaat,
    controleer_bruikbaar,
)
from knooppunt.pki.verificatie import Vertrouwensankers
from knooppunt.protocol.catalogus import Module, Rol, Schuldensoort
from knooppunt.protocol.identificatie import OngeldigeIdentificatie, valideer_kvk, valideer_oin
from knooppunt.store import deelnemers as store
from knooppunt.store.models import Certificaat, Deelnemer, DeelnemerModule, DeelnemerSchuldensoort

GEBRUIK = ("tls", "ondertekening", "versleuteling")
# Retired certificates stay visible for the bevestigingstermijn plus 30 days (DESIGN §2, §5).
INGETROKKEN_ZICHTBAAR = timedelta(days=30 + 14)  # 5 working days never exceed 14 calendar days


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


def _fout(naam: str, reden: str) -> HubFout:
    return HubFout(
        "ONGELDIGE_DEELNEMER", 400, "Ongeldige deelnemer", f"{naam}: {reden}", [OngeldigVeld(naam, reden)]
    )


def _keuze(naam: str, waarde: str, toegestaan: Iterable[str]) -> str:
    opties = list(toegestaan)
    if waarde not in opties:
        raise _fout(naam, f"{waarde!r} is onbekend; kies uit {', '.join(opties)}")
    return waarde


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
    """Add a participant (the aanmeldformulier). Every field is checked before anything is stored.
    ``door`` is the audit actor (``audit.beheerder(...)``)."""
    try:
        oin = valideer_oin(nieuw.oin)
    except OngeldigeIdentificatie as exc:
        raise _fout("oin", str(exc)) from exc
    try:
        kvk = valideer_kvk(nieuw.kvk_nummer)
    except OngeldigeIdentificatie as exc:
        raise _fout("kvkNummer", str(exc)) from exc
    if not nieuw.naam.strip():
        raise _fout("naam", "naam is verplicht")
    rol = _keuze("rol", nieuw.rol, [r.value for r in Rol if r is not Rol.KNOOPPUNT])
    if not nieuw.modules:
        raise _fout("modules", "kies minstens één module")
    modules = sorted({_keuze("modules", m, [m.value for m in Module]) for m in nieuw.modules})
    soorten = sorted(
        {_keuze("schuldensoorten", s, [s.value for s in Schuldensoort]) for s in nieuw.schuldensoorten}
    )
    gebruik = {_keuze("gebruik", g, GEBRUIK) for g in nieuw.gebruik}
    if rol != Rol.SE and (nieuw.standaard_akkoord or nieuw.gebruikt_bsn or soorten):
        raise _fout(
            "rol", "gebruiktBsn, standaardAkkoord en schuldensoorten gelden alleen voor schuldeisers (SE)"
        )
    if store.haal(session, oin) is not None:
        raise HubFout(
            "DEELNEMER_BESTAAT", 409, "Deelnemer bestaat al", f"Er is al een deelnemer met OIN {oin}."
        )
    for info in nieuw.certificaten:
        controleer_certificaat(info, oin=oin, ankers=ankers, moment=nu)
        if store.certificaat(session, info.vingerafdruk) is not None:
            raise _fout("certificaat", "dit certificaat is al geregistreerd")
    deelnemer = Deelnemer(
        oin=oin,
        kvk_nummer=kvk,
        vestigingsnummer=nieuw.vestigingsnummer,
        naam=nieuw.naam.strip(),
        rol=rol,
        gebruikt_bsn=nieuw.gebruikt_bsn,
        standaard_akkoord=nieuw.standaard_akkoord,
        sleutelbeheer=nieuw.sleutelbeheer,
        contact={},
        aangemaakt_op=nu,
        modules=[DeelnemerModule(module=m) for m in modules],
        schuldensoorten=[DeelnemerSchuldensoort(soort=s) for s in soorten],
        certificaten=[_certificaat(info, gebruik, nu) for info in nieuw.certificaten],
    )
    session.add(deelnemer)
    session.flush()
    audit.deelnemer_toegevoegd(session, deelnemer, door=door, nu=nu)
    return deelnemer


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
        raise _fout("certificaat", "dit certificaat is al geregistreerd")
    cert = _certificaat(info, {_keuze("gebruik", g, GEBRUIK) for g in gebruik}, nu)
    deelnemer.certificaten.append(cert)
    session.flush()
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
        audit.certificaat_ingetrokken(session, cert, door=door, nu=nu)
        _meld_certificaat(session, cert, "ingetrokken", door=door, nu=nu)
    session.flush()
    return cert


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


def zichtbare_certificaten(deelnemer: Deelnemer, *, nu: datetime) -> list[Certificaat]:
    """Current certificates, and retired ones within the bevestigingstermijn + 30 days."""
    return [
        c
        for c in deelnemer.certificaten
        if c.ingetrokken_op is None or nu - c.ingetrokken_op <= INGETROKKEN_ZICHTBAAR
    ]


def is_actueel(cert: Certificaat, nu: datetime) -> bool:
    return cert.ingetrokken_op is None and cert.geldig_vanaf <= nu < cert.geldig_tot


def modules_van(deelnemer: Deelnemer) -> set[str]:
    return {m.module for m in deelnemer.modules}


def schuldensoorten_van(deelnemer: Deelnemer) -> set[str]:
    return {s.soort for s in deelnemer.schuldensoorten}


def authenticeer(session: Session, *, oin: str, vingerafdruk: str, nu: datetime) -> Deelnemer | None:
    """The participant whose current TLS certificate this is, or None (DESIGN §5)."""
    return store.met_tls_certificaat(session, oin=oin, vingerafdruk=vingerafdruk, moment=nu)
