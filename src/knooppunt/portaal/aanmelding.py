"""The beheer forms behind the pages (routes/beheer.py): the aanmeldformulier, a change of modules
and flags, and a certificate added to a registration (DESIGN §2, §5, §7).

Every rule is the hub's (``hub.adresboek``); this module reads the form, hands the hub what it
needs and maps the hub's refusals (``HubFout.velden``) back onto the form's fields. Uploads are read
in memory and never stored as files. A private key (``sleutelbeheer`` portaal) goes only into the
kluis, encrypted (``gastclient.bewaar_sleutel``) — in the same transaction as the registration, so
a refusal leaves nothing behind — and is never shown back in a page.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from knooppunt.client import jose
from knooppunt.hub import adresboek
from knooppunt.hub.fouten import HubFout
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import CertificaatInfo, OngeldigCertificaat, lees_pem
from knooppunt.portaal.demo import vertrouw_ontwikkel_ca
from knooppunt.portaal.gastclient import bewaar_sleutel
from knooppunt.portaal.kluis import Kluis
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.identificatie import is_geldige_oin
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie

MAX_PEM = 64 * 1024  # a certificate or key in PEM is a few KiB

# The form's fields as the hub names them, with the label the page shows (error summary).
LABELS = {
    "oin": "OIN",
    "kvkNummer": "KvK-nummer",
    "vestigingsnummer": "Vestigingsnummer",
    "naam": "Naam",
    "rol": "Rol",
    "modules": "Modules",
    "gebruiktBsn": "Gebruikt BSN",
    "standaardAkkoord": "Standaard akkoord",
    "schuldensoorten": "Schuldensoorten",
    "contactNaam": "Naam van de contactpersoon",
    "contactEmail": "E-mailadres van de contactpersoon",
    "contactTelefoon": "Telefoonnummer van de contactpersoon",
    "browsersleutels": "Sleutels",
    "csrOndertekening": "Certificaatverzoek voor ondertekenen",
    "csrVersleuteling": "Certificaatverzoek voor versleutelen",
    "reden": "Reden",
    "sleutelbeheer": "Sleutelbeheer",
    "certificaat": "Certificaat",
    "gebruik": "Gebruik van het certificaat",
    "sleutel": "Privésleutel",
    "genereer": "Genereren met de ontwikkel-CA",
}
# Where the error summary links to: the first control of each field.
ANKERS = {
    "modules": "modules-0",
    "schuldensoorten": "schuldensoorten-0",
    "gebruik": "gebruik-0",
    "rol": "rol-0",
    "sleutelbeheer": "sleutelbeheer-0",
    "certificaat": "certificaatBestand",
    "sleutel": "sleutelBestand",
}


class Fouten(dict[str, list[str]]):
    """Error messages per form field (a ``velden`` name of the hub, or one of the form's own)."""

    def voeg_toe(self, veld: str, reden: str) -> None:
        lijst = self.setdefault(veld, [])
        if reden not in lijst:
            lijst.append(reden)

    def uit_hub(self, fout: HubFout) -> None:
        if not fout.velden:
            self.voeg_toe("", fout.detail)
        for veld in fout.velden:
            self.voeg_toe(veld.name if veld.name in LABELS else "", _zin(veld.reason))

    def samenvatting(self) -> list[tuple[str, str, str]]:
        """(anchor, label, message) in the order of the form."""
        volgorde = list(LABELS)
        uit = []
        for veld in sorted(self, key=lambda v: volgorde.index(v) if v in volgorde else -1):
            for reden in self[veld]:
                uit.append((ANKERS.get(veld, veld), LABELS.get(veld, "Formulier"), reden))
        return uit


def _zin(reden: str) -> str:
    """A hub reason as a sentence: capital first letter, full stop."""
    reden = reden.strip()
    if not reden:
        return reden
    reden = reden[0].upper() + reden[1:]
    return reden if reden.endswith((".", "!", "?")) else reden + "."


@dataclass(slots=True)
class Formulier:
    """What a beheer form sent: text fields, multi-valued fields and uploaded files (in memory)."""

    tekst: dict[str, str] = field(default_factory=dict)
    lijsten: dict[str, list[str]] = field(default_factory=dict)
    bestanden: dict[str, bytes] = field(default_factory=dict)
    te_groot: list[str] = field(default_factory=list)

    def waarde(self, naam: str) -> str:
        return self.tekst.get(naam, "").strip()

    def lijst(self, naam: str) -> list[str]:
        return [w for w in self.lijsten.get(naam, []) if w]

    def aan(self, naam: str) -> bool:
        return self.waarde(naam) in ("ja", "on", "true", "1")

    def pem(self, bestand: str, tekstvak: str) -> bytes | None:
        """An uploaded file if one was chosen, else the pasted text; None when both are empty."""
        inhoud = self.bestanden.get(bestand, b"")
        if inhoud.strip():
            return inhoud
        geplakt = self.tekst.get(tekstvak, "").strip().replace("\r\n", "\n")
        return (geplakt + "\n").encode("utf-8", errors="replace") if geplakt else None


async def lees_formulier(request: Request) -> Formulier:
    """Read a (multipart) form; files of at most MAX_PEM bytes, read in memory."""
    gegevens = await request.form(max_files=4, max_fields=200)
    formulier = Formulier()
    for naam in set(gegevens.keys()):
        waarden = gegevens.getlist(naam)
        for waarde in waarden:
            if isinstance(waarde, UploadFile):
                inhoud = await waarde.read(MAX_PEM + 1)
                if len(inhoud) > MAX_PEM:
                    formulier.te_groot.append(naam)
                elif inhoud:
                    formulier.bestanden[naam] = inhoud
            else:
                formulier.lijsten.setdefault(naam, []).append(waarde)
        tekst = [w for w in waarden if isinstance(w, str)]
        if tekst:
            formulier.tekst[naam] = tekst[-1][:MAX_PEM]
    return formulier


def ontwikkel_sleutelpaar(rt: Runtime, *, oin: str, naam: str) -> tuple[bytes, bytes]:
    """A certificate and key from the development CA (development only), trusted from then on, as
    for the demo participants. The files live in a temporary directory only while they are read."""
    pki = vertrouw_ontwikkel_ca(rt)
    with tempfile.TemporaryDirectory(prefix="knooppunt-beheer-") as map_:
        uit = ontwikkel_ca.issue(pki, oin=oin, naam=naam, key_type="ec", uit_map=Path(map_))
        return uit.certificaat.read_bytes(), uit.sleutel.read_bytes()


class _Afgewezen(Exception):
    """Rolls the transaction back: the form had errors, nothing may be stored."""


@dataclass(slots=True)
class _Materiaal:
    info: CertificaatInfo | None = None
    certificaat_pem: bytes | None = None
    sleutel_pem: bytes | None = None


def _certificaat_en_sleutel(
    rt: Runtime, formulier: Formulier, fouten: Fouten, *, oin: str, naam: str, sleutelbeheer: str
) -> _Materiaal:
    """The certificate (and, for sleutelbeheer portaal, the key) from the form: uploaded, pasted
    or — in development, on request — generated."""
    for veld in formulier.te_groot:
        doel = "sleutel" if veld.startswith("sleutel") else "certificaat"
        fouten.voeg_toe(doel, f"Het bestand is groter dan {MAX_PEM // 1024} KiB; kies het PEM-bestand zelf.")
    certificaat_pem = formulier.pem("certificaatBestand", "certificaat")
    sleutel_pem = formulier.pem("sleutelBestand", "sleutel")
    if formulier.aan("genereer"):
        if not rt.settings.is_development:
            fouten.voeg_toe(
                "genereer",
                "Certificaten maken met de ontwikkel-CA kan alleen in de ontwikkelomgeving "
                "(KNOOPPUNT_ENV=development). Upload het PKIoverheid-certificaat van de deelnemer.",
            )
            return _Materiaal()
        if sleutelbeheer != "portaal":
            fouten.voeg_toe(
                "genereer",
                "Genereren kan alleen bij sleutelbeheer 'portaal': bij eigen sleutelbeheer maakt de "
                "deelnemer zelf sleutel en certificaat. Kies 'portaal' of upload een certificaat.",
            )
            return _Materiaal()
        if certificaat_pem or sleutel_pem:
            fouten.voeg_toe(
                "genereer", "Kies óf genereren óf een eigen certificaat en sleutel, niet allebei."
            )
            return _Materiaal()
        if "oin" in fouten or not is_geldige_oin(oin):
            return _Materiaal()  # a certificate names the OIN: generate once that is right
        certificaat_pem, sleutel_pem = ontwikkel_sleutelpaar(rt, oin=oin, naam=naam or oin)
    materiaal = _Materiaal(certificaat_pem=certificaat_pem)
    if certificaat_pem is None:
        fouten.voeg_toe(
            "certificaat",
            "Upload of plak het certificaat van de deelnemer (PEM, '-----BEGIN CERTIFICATE-----').",
        )
    else:
        try:
            materiaal.info = lees_pem(certificaat_pem)
        except OngeldigCertificaat as exc:
            fouten.voeg_toe("certificaat", _zin(str(exc)) + " Kies het certificaat, niet de sleutel.")
    if sleutelbeheer == "portaal":
        if sleutel_pem is None:
            fouten.voeg_toe(
                "sleutel",
                "Bij sleutelbeheer 'portaal' is de privésleutel bij het certificaat nodig (PEM): het "
                "portaal ontsleutelt en ondertekent namens de deelnemer.",
            )
        materiaal.sleutel_pem = sleutel_pem
    elif sleutel_pem is not None:
        fouten.voeg_toe(
            "sleutel",
            "Laat de privésleutel leeg bij eigen sleutelbeheer: het portaal bewaart alleen sleutels van "
            "deelnemers met sleutelbeheer 'portaal'.",
        )
    return materiaal


def _bewaar_sleutel(
    session: Session, kluis: Kluis, fouten: Fouten, materiaal: _Materiaal, *, oin: str, nu: datetime
) -> None:
    """Into the kluis, encrypted, beside its certificate; or the reason it does not fit."""
    if materiaal.sleutel_pem is None:
        return
    if materiaal.info is None or materiaal.certificaat_pem is None or "certificaat" in fouten:
        try:  # the certificate is at fault already: say at least whether the key can be read
            jose.prive_sleutel(materiaal.sleutel_pem)
        except (ValueError, TypeError) as exc:
            fouten.voeg_toe("sleutel", f"De privésleutel is niet te lezen: {exc}.")
        return
    try:
        bewaar_sleutel(
            session,
            kluis,
            oin=oin,
            certificaat_pem=materiaal.info.pem.encode("ascii"),
            sleutel_pem=materiaal.sleutel_pem,
            nu=nu,
        )
    except (OngeldigCertificaat, TypeError) as exc:
        fouten.voeg_toe(
            "sleutel",
            _zin(str(exc)) + " Kies de privésleutel (PEM, zonder wachtwoord) die bij dit certificaat hoort.",
        )


def _gebruik(formulier: Formulier) -> list[str]:
    return formulier.lijst("gebruik")


def aanmelden(rt: Runtime, kluis: Kluis, formulier: Formulier, *, door: str) -> tuple[str | None, Fouten]:
    """The aanmeldformulier: register the participant (hub.adresboek.registreer) with its
    certificate and, for sleutelbeheer portaal, its key in the kluis — all or nothing. Returns
    (oin, no errors) or (None, the errors per field)."""
    fouten = Fouten()
    oin = formulier.waarde("oin")
    sleutelbeheer = formulier.waarde("sleutelbeheer") or "eigen"
    materiaal = _certificaat_en_sleutel(
        rt, formulier, fouten, oin=oin, naam=formulier.waarde("naam"), sleutelbeheer=sleutelbeheer
    )
    nieuw = adresboek.NieuweDeelnemer(
        oin=oin,
        naam=formulier.waarde("naam"),
        rol=formulier.waarde("rol"),
        kvk_nummer=formulier.waarde("kvkNummer"),
        vestigingsnummer=formulier.waarde("vestigingsnummer") or None,
        modules=modulekeuzes(formulier),
        certificaten=[materiaal.info] if materiaal.info is not None else [],
        gebruikt_bsn=formulier.aan("gebruiktBsn"),
        standaard_akkoord=formulier.aan("standaardAkkoord"),
        schuldensoorten=formulier.lijst("schuldensoorten"),
        gebruik=_gebruik(formulier),
        sleutelbeheer=sleutelbeheer,
    )
    if not nieuw.gebruik:
        fouten.voeg_toe("gebruik", "Kies minstens één gebruik van het certificaat.")
    try:
        with transactie(rt.sessions) as session:
            nu = db_nu(session)
            try:
                adresboek.registreer(session, nieuw, nu=nu, ankers=rt.ankers, door=door)
            except HubFout as fout:
                fouten.uit_hub(fout)
            _bewaar_sleutel(session, kluis, fouten, materiaal, oin=oin, nu=nu)
            if fouten:
                raise _Afgewezen
    except _Afgewezen:
        return None, fouten
    return oin, fouten


def certificaat_toevoegen(
    rt: Runtime, kluis: Kluis, oin: str, formulier: Formulier, *, door: str
) -> tuple[str | None, Fouten]:
    """Add a certificate to a registration (hub.adresboek.voeg_certificaat_toe: audited, e-mailed),
    with its key in the kluis for a participant whose keys the portal holds. Returns (fingerprint,
    no errors) or (None, the errors)."""
    fouten = Fouten()
    with transactie(rt.sessions) as session:
        deelnemer = adresboek.haal(session, oin)
        naam, sleutelbeheer = deelnemer.naam, deelnemer.sleutelbeheer
    materiaal = _certificaat_en_sleutel(
        rt, formulier, fouten, oin=oin, naam=naam, sleutelbeheer=sleutelbeheer
    )
    gebruik = _gebruik(formulier)
    if not gebruik:
        fouten.voeg_toe("gebruik", "Kies minstens één gebruik van het certificaat.")
    vingerafdruk = None
    try:
        with transactie(rt.sessions) as session:
            nu = db_nu(session)
            if materiaal.info is not None and gebruik:
                try:
                    cert = adresboek.voeg_certificaat_toe(
                        session, oin, materiaal.info, gebruik=gebruik, nu=nu, ankers=rt.ankers, door=door
                    )
                    vingerafdruk = cert.vingerafdruk
                except HubFout as fout:
                    fouten.uit_hub(fout)
            _bewaar_sleutel(session, kluis, fouten, materiaal, oin=oin, nu=nu)
            if fouten:
                raise _Afgewezen
    except _Afgewezen:
        return None, fouten
    return vingerafdruk, fouten


def modulekeuzes(formulier: Formulier) -> list[str]:
    """The chosen modules in the adresboek's notation (DESIGN §3a): ``code`` when every version of the
    module is ticked (or none: the default is all), else ``code:versie,versie``."""
    uit = []
    for module in formulier.lijst("modules"):
        versies = [v for v in formulier.lijst(f"versies.{module}") if v]
        alle = CATALOGUS.moduleversies(module)
        if versies and set(versies) != set(alle):
            uit.append(f"{module}:{','.join(versies)}")
        else:
            uit.append(module)
    return uit


def moduleopties(rol: str | None = None) -> list[tuple[str, str, tuple[str, ...]]]:
    """(code, name, versions) of every module, for the checkboxes of the beheer forms; with ``rol``
    only the modules whose types that role sends or receives."""
    modules = CATALOGUS.modules() if rol is None else CATALOGUS.modules_voor_rol(rol)
    return [(m.code, m.naam, m.versies) for m in modules]
