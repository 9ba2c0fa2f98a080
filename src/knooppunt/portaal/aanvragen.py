"""Aanvragen, self-service (#14 item 5): an organisation that logged in with eHerkenning and is not
yet a participant fills in the aanmeldformulier itself; a participant asks for extra modules; a
beheerder approves or refuses (DESIGN §2, §5, §7).

"Bij aanmelding … kun je aangeven van welke modules je gebruik wilt maken. Ben je al deelnemer, dan
kun je via dit formulier aangeven van welke extra modules je gebruik wil maken."

KvK number and vestiging come from the login, never from the form. The keys are made in the
browser; the form carries their certificate requests (PKCS#10, PEM), checked here with the portal
CA's rules and, on approval, turned into certificates by the portal CA. Every decision is one
conditional UPDATE (``store.aanvragen.beslis``), so two beheerders cannot both decide; the
registration or module change happens in that same transaction. The organisation is told by
e-mail, at the contact address of the form, after the commit; every step is in the audit log
(metadata only: never the contact details, never the reason).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

import structlog
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from knooppunt.hub import adresboek, audit, notificaties
from knooppunt.hub.fouten import HubFout
from knooppunt.notify.base import Bestemming, Melding
from knooppunt.notify.email import EmailKanaal
from knooppunt.pki.certificaat import CertificaatInfo, lees_pem
from knooppunt.pki.portaal_ca import (
    Gebruik,
    OngeldigeAanvraag,
    PortaalCa,
    PubliekeSleutel,
    controleer_ondertekening,
    controleer_sleutel,
    lees_aanvraag,
)
from knooppunt.portaal import sleutelblobs
from knooppunt.portaal.aanmelding import Formulier, Fouten, modulekeuzes
from knooppunt.portaal.sessies import Gebruiker
from knooppunt.protocol.catalogus import CATALOGUS, Rol, Schuldensoort, versiesleutel
from knooppunt.protocol.identificatie import (
    KVK_PREFIX,
    OngeldigeIdentificatie,
    heeft_stuurtekens,
    valideer_oin,
)
from knooppunt.runtime import Runtime
from knooppunt.store import aanvragen as store
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Aanvraag

log = structlog.get_logger("knooppunt.portaal.aanvragen")

AANMELDING = "aanmelding"
EXTRA_MODULES = "extra_modules"
SOORTEN = {AANMELDING: "Aanmelding als deelnemer", EXTRA_MODULES: "Extra modules"}
STATUSSEN = {
    store.INGEDIEND: "Ingediend, wacht op beoordeling",
    store.GOEDGEKEURD: "Goedgekeurd",
    store.GEWEIGERD: "Geweigerd",
}
MAX_NAAM = 200
STUURTEKENFOUT = "De naam mag geen stuurtekens bevatten (zoals een regelovergang of tab): één regel."
MAX_REDEN = 2000
_TELEFOON = re.compile(r"\+?[0-9][0-9 ()\-]{8,22}")
_SE_VLAGGEN = ("gebruiktBsn", "standaardAkkoord", "schuldensoorten")


class AanvraagFout(Exception):
    """A decision that cannot be taken; ``uitleg`` (Dutch) says why and what to do."""

    def __init__(self, uitleg: str, *, status: int = 409) -> None:
        super().__init__(uitleg)
        self.uitleg = uitleg
        self.status = status


class _Afgewezen(Exception):
    """Rolls the transaction back: the form had errors, nothing may be stored."""


# --- the form ------------------------------------------------------------------------------------


def _zin(tekst: str) -> str:
    tekst = tekst.strip()
    if not tekst:
        return tekst
    tekst = tekst[0].upper() + tekst[1:]
    return tekst if tekst.endswith((".", "!", "?")) else tekst + "."


def _modules(formulier: Formulier, fouten: Fouten) -> dict[str, tuple[str, ...]]:
    """The chosen modules with their versions (every version when none is ticked), checked
    against the module registry."""
    gekozen: dict[str, tuple[str, ...]] = {}
    for keuze in modulekeuzes(formulier):
        try:
            code, versies = adresboek.ontleed_module(keuze)
        except adresboek.Modulegat as gat:
            fouten.voeg_toe("modules", f"{gat}.")
            continue
        mogelijk = CATALOGUS.moduleversies(code)
        if not mogelijk:
            fouten.voeg_toe("modules", f"Module {code!r} bestaat niet; kies een module uit de lijst.")
            continue
        onbekend = [v for v in versies or () if v not in mogelijk]
        if onbekend:
            fouten.voeg_toe(
                "modules",
                f"Module {code} kent versie {', '.join(onbekend)} niet; kies uit {', '.join(mogelijk)}.",
            )
            continue
        gekozen[code] = tuple(sorted(versies or mogelijk, key=versiesleutel))
    if not gekozen and "modules" not in fouten:
        fouten.voeg_toe("modules", "Kies minstens één module, en per module de versies die u gebruikt.")
    return gekozen


def _modules_passen_bij_rol(modules: dict[str, tuple[str, ...]], rol: str, fouten: Fouten) -> None:
    """A module none of whose types the role sends or receives is of no use to it (DESIGN §3b:
    bewind is for bewindvoerders and schuldeisers): refused, naming the modules that role can use."""
    mogelijk = {m.code for m in CATALOGUS.modules_voor_rol(rol)}
    vreemd = [code for code in modules if code not in mogelijk]
    if vreemd:
        namen = ", ".join(CATALOGUS.modulenaam(c) for c in vreemd)
        wel = ", ".join(CATALOGUS.modulenaam(c) for c in CATALOGUS.modulecodes() if c in mogelijk)
        rolnaam = ROLNAMEN.get(rol, rol)
        fouten.voeg_toe(
            "modules",
            f"{namen} {'is' if len(vreemd) == 1 else 'zijn'} niet voor een {rolnaam}: geen van de "
            f"berichten daarin stuurt of ontvangt een {rolnaam}. Kies uit {wel}.",
        )


ROLNAMEN = {"SHV": "schuldhulpverlener", "SE": "schuldeiser", "WF": "waarborgfonds", "BW": "bewindvoerder"}


def notatie(modules: dict[str, tuple[str, ...]]) -> list[str]:
    """The adresboek's notation (DESIGN §3a): ``code``, or ``code:versie,versie`` for some versions."""
    uit = []
    for code, versies in sorted(modules.items()):
        alle = CATALOGUS.moduleversies(code)
        uit.append(code if set(versies) == set(alle) else f"{code}:{','.join(versies)}")
    return uit


def _contact(formulier: Formulier, fouten: Fouten) -> tuple[str, str, str]:
    naam = formulier.waarde("contactNaam")
    email = formulier.waarde("contactEmail")
    telefoon = formulier.waarde("contactTelefoon")
    if not naam:
        fouten.voeg_toe(
            "contactNaam", "Vul de naam in van wie wij over deze aanvraag kunnen bellen of mailen."
        )
    elif len(naam) > MAX_NAAM:
        fouten.voeg_toe("contactNaam", f"De naam is {len(naam)} tekens; ten hoogste {MAX_NAAM}.")
    elif heeft_stuurtekens(naam):
        fouten.voeg_toe("contactNaam", STUURTEKENFOUT)
    if not email:
        fouten.voeg_toe(
            "contactEmail", "Vul een e-mailadres in: daar sturen wij de ontvangst en de beslissing naartoe."
        )
    else:
        try:  # the notifications' check: the address becomes the participant's notification address
            [email] = notificaties.normaliseer_emailadressen([email])
        except HubFout:
            fouten.voeg_toe("contactEmail", "Vul een geldig e-mailadres in, zoals naam@organisatie.nl.")
    if not telefoon:
        fouten.voeg_toe("contactTelefoon", "Vul een telefoonnummer in, zoals 030 123 45 67.")
    elif not _TELEFOON.fullmatch(telefoon) or not 10 <= sum(c.isdigit() for c in telefoon) <= 15:
        fouten.voeg_toe(
            "contactTelefoon",
            "Vul een telefoonnummer in van 10 tot 15 cijfers, zoals 030 123 45 67 of +31 30 123 45 67.",
        )
    return naam, email, telefoon


def _certificaatverzoek(
    formulier: Formulier, fouten: Fouten, veld: str, *, ondertekenen: bool
) -> tuple[str | None, PubliekeSleutel | None]:
    """A certificate request (PKCS#10, PEM) from the browser's key code: readable, a key the hub
    accepts and — for the signing key — its own signature valid (proof of possession)."""
    tekst = formulier.tekst.get(veld, "").strip().replace("\r\n", "\n")
    wat = "ondertekenen" if ondertekenen else "versleutelen"
    if not tekst:
        fouten.voeg_toe(
            veld,
            f"Het certificaatverzoek voor {wat} ontbreekt. Maak de sleutels op deze pagina "
            "of plak het verzoek (PEM, '-----BEGIN CERTIFICATE REQUEST-----').",
        )
        return None, None
    if "-----BEGIN CERTIFICATE REQUEST-----" not in tekst:
        fouten.voeg_toe(
            veld,
            "Dit is geen certificaatverzoek (PEM): het begint niet met "
            f"'-----BEGIN CERTIFICATE REQUEST-----'. Plak het verzoek voor {wat}, niet een certificaat "
            "of sleutel.",
        )
        return tekst, None
    try:
        aanvraag = lees_aanvraag(tekst)
        sleutel = (
            controleer_ondertekening(aanvraag) if ondertekenen else controleer_sleutel(aanvraag.public_key())
        )
    except OngeldigeAanvraag as exc:
        fouten.voeg_toe(veld, _zin(f"Het certificaatverzoek voor {wat} is niet bruikbaar: {exc}"))
        return tekst, None
    except (ValueError, UnsupportedAlgorithm) as exc:
        fouten.voeg_toe(veld, _zin(f"Het certificaatverzoek voor {wat} is niet te lezen: {exc}"))
        return tekst, None
    return tekst + "\n", sleutel


BROWSERSLEUTELS = "browsersleutels"
"""The aanmeldformulier's hidden field that the page's script fills with the keys it made (JSON:
csr, versleuteling, bewijs, blob; sleutelblobs.controleer_aanmeldsleutels)."""


def _browsersleutels(formulier: Formulier, fouten: Fouten) -> dict[str, object] | None:
    """The keys made in the browser, as sent (checked once the OIN is known), or None when the
    organisation pasted certificate requests instead (or has no JavaScript)."""
    tekst = formulier.tekst.get(BROWSERSLEUTELS, "").strip()
    if not tekst:
        return None
    try:
        gelezen = json.loads(tekst)
    except ValueError:
        gelezen = None
    if not isinstance(gelezen, dict):
        fouten.voeg_toe(
            BROWSERSLEUTELS,
            "De sleutels uit uw browser zijn onleesbaar aangekomen. Maak de sleutels opnieuw op deze pagina.",
        )
        return {}
    return gelezen


def _controleer_browsersleutels(
    fouten: Fouten, sleutels: dict[str, object], *, oin: str, nu: datetime
) -> dict[str, object] | None:
    try:
        return sleutelblobs.controleer_aanmeldsleutels(sleutels, oin=oin, nu=nu)
    except OngeldigeAanvraag as exc:
        fouten.voeg_toe(
            BROWSERSLEUTELS,
            f"De sleutels uit uw browser zijn niet bruikbaar: {exc}. Maak de sleutels opnieuw op deze "
            "pagina.",
        )
        return None


def _sleutelbytes(sleutel: PubliekeSleutel) -> bytes:
    return sleutel.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(slots=True)
class _Gelezen:
    naam: str
    modules: dict[str, tuple[str, ...]]
    contact: tuple[str, str, str]


def _gemeen(formulier: Formulier, fouten: Fouten) -> _Gelezen:
    naam = formulier.waarde("naam")
    if not naam:
        fouten.voeg_toe("naam", "Vul de naam van uw organisatie in, zoals in het Handelsregister.")
    elif len(naam) > MAX_NAAM:
        fouten.voeg_toe("naam", f"De naam is {len(naam)} tekens; ten hoogste {MAX_NAAM}.")
    elif heeft_stuurtekens(naam):
        fouten.voeg_toe("naam", STUURTEKENFOUT)
    return _Gelezen(naam=naam, modules=_modules(formulier, fouten), contact=_contact(formulier, fouten))


def _oin(session: Session, formulier: Formulier, fouten: Fouten, kvk: str) -> str:
    oin = formulier.waarde("oin")
    if not oin:
        fouten.voeg_toe(
            "oin",
            f"Vul het OIN van uw organisatie in: 20 cijfers. Voor een bedrijf is dat {KVK_PREFIX}{kvk}0000.",
        )
        return oin
    try:
        oin = valideer_oin(oin)
    except OngeldigeIdentificatie as exc:
        fouten.voeg_toe("oin", _zin(str(exc)))
        return oin
    if oin.startswith(KVK_PREFIX) and oin[8:16] != kvk:
        fouten.voeg_toe(
            "oin",
            f"Dit OIN hoort bij KvK-nummer {oin[8:16]}, maar u bent ingelogd voor KvK-nummer {kvk}. Het OIN "
            f"van uw organisatie is {KVK_PREFIX}{kvk}0000, of een OIN van Logius.",
        )
    elif deelnemers_store.haal(session, oin) is not None:
        fouten.voeg_toe(
            "oin",
            "Er is al een deelnemer met dit OIN. Is dat uw organisatie? Log dan in met de juiste vestiging.",
        )
    elif store.open_voor_oin(session, oin, soort=AANMELDING) is not None:
        fouten.voeg_toe("oin", "Voor dit OIN is al een aanmelding ingediend; die wordt nog beoordeeld.")
    return oin


def _vlaggen(formulier: Formulier, fouten: Fouten, rol: str) -> tuple[bool, bool, list[str]]:
    """gebruiktBsn (3.2), standaardAkkoord (7.1), schuldensoorten (5.2–5.5): creditors only."""
    bekend = [s.value for s in Schuldensoort]
    soorten = formulier.lijst("schuldensoorten")
    onbekend = sorted(set(soorten) - set(bekend))
    if onbekend:
        fouten.voeg_toe(
            "schuldensoorten", f"{', '.join(onbekend)} bestaat niet; kies uit {', '.join(bekend)}."
        )
    if rol and rol != Rol.SE:
        for veld in _SE_VLAGGEN:
            if formulier.aan(veld) or (veld == "schuldensoorten" and soorten):
                fouten.voeg_toe(
                    veld, "Dit geldt alleen voor schuldeisers (rol SE); laat het leeg of kies rol SE."
                )
    return formulier.aan("gebruiktBsn"), formulier.aan("standaardAkkoord"), sorted(set(soorten) & set(bekend))


def dien_aanmelding_in(rt: Runtime, formulier: Formulier, gebruiker: Gebruiker) -> tuple[int | None, Fouten]:
    """The aanmeldformulier of an organisation that is not a participant yet (an aanmelder's
    session). Returns (number, no errors) or (None, every error at once)."""
    assert gebruiker.is_aanmelder and gebruiker.kvk is not None
    fouten = Fouten()
    gelezen = _gemeen(formulier, fouten)
    rollen = [r.value for r in Rol if r is not Rol.KNOOPPUNT]
    rol = formulier.waarde("rol")
    if rol not in rollen:
        fouten.voeg_toe("rol", "Kies de rol van uw organisatie.")
        rol = ""
    gebruikt_bsn, standaard_akkoord, soorten = _vlaggen(formulier, fouten, rol)
    if rol:
        _modules_passen_bij_rol(gelezen.modules, rol, fouten)
    browser = _browsersleutels(formulier, fouten)
    csr_o: str | None = None
    csr_v: str | None = None
    sleutel_o: PubliekeSleutel | None = None
    sleutel_v: PubliekeSleutel | None = None
    if browser is None:  # no keys from the page's script: pasted certificate requests, as before
        csr_o, sleutel_o = _certificaatverzoek(formulier, fouten, "csrOndertekening", ondertekenen=True)
        csr_v, sleutel_v = _certificaatverzoek(formulier, fouten, "csrVersleuteling", ondertekenen=False)
    if (
        sleutel_o is not None
        and sleutel_v is not None
        and _sleutelbytes(sleutel_o) == _sleutelbytes(sleutel_v)
    ):
        fouten.voeg_toe(
            "csrVersleuteling",
            "Voor versleutelen is een andere sleutel nodig dan voor ondertekenen. Maak de sleutels opnieuw.",
        )
    try:
        with transactie(rt.sessions) as session:
            nu = db_nu(session)
            oin = _oin(session, formulier, fouten, gebruiker.kvk)
            bewaard: dict[str, object] | None = None
            if browser and "oin" not in fouten:
                bewaard = _controleer_browsersleutels(fouten, browser, oin=oin, nu=nu)
            if bewaard is not None:
                # Kept until beheer decides: public keys and ciphertext, and whose blob it becomes.
                csr_o = str(bewaard.pop("csr"))
                bewaard |= {"onderwerp": gebruiker.onderwerp, "naam": gebruiker.gebruiker}
            open_ = [
                a
                for a in store.van_organisatie(session, kvk=gebruiker.kvk, vestiging=gebruiker.vestiging)
                if a.soort == AANMELDING and a.status == store.INGEDIEND
            ]
            if open_:
                fouten.voeg_toe(
                    "",
                    f"Uw organisatie heeft al een aanmelding ingediend (nummer {open_[0].id}); die wordt nog "
                    "beoordeeld. U krijgt bericht per e-mail; de stand ziet u onder 'Mijn aanvragen'.",
                )
            if fouten:
                raise _Afgewezen
            aanvraag = store.voeg_toe(
                session,
                Aanvraag(
                    soort=AANMELDING,
                    status=store.INGEDIEND,
                    kvk_nummer=gebruiker.kvk,
                    vestigingsnummer=gebruiker.vestiging,
                    oin=oin,
                    naam=gelezen.naam,
                    rol=rol,
                    modules=notatie(gelezen.modules),
                    gebruikt_bsn=gebruikt_bsn,
                    standaard_akkoord=standaard_akkoord,
                    schuldensoorten=soorten,
                    contact_naam=gelezen.contact[0],
                    contact_email=gelezen.contact[1],
                    contact_telefoon=gelezen.contact[2],
                    csr_ondertekening=csr_o,
                    csr_versleuteling=csr_v,
                    browsersleutels=json.dumps(bewaard, separators=(",", ":")) if bewaard else None,
                    ingediend_door=gebruiker.audit_actor,
                    ingediend_op=nu,
                ),
            )
            audit.aanvraag(
                session,
                audit.Actie.AANVRAAG_INGEDIEND,
                door=gebruiker.audit_actor,
                oin=oin,
                soort=AANMELDING,
                nummer=aanvraag.id,
                nu=nu,
            )
            bericht = _Bericht.van(aanvraag)
    except _Afgewezen:
        return None, fouten
    mail(rt, bericht, "ingediend")
    return bericht.nummer, fouten


def dien_extra_modules_in(
    rt: Runtime, formulier: Formulier, gebruiker: Gebruiker
) -> tuple[int | None, Fouten]:
    """A participant asks for extra modules or versions. Returns (number, no errors) or (None, the
    errors)."""
    assert gebruiker.oin is not None
    fouten = Fouten()
    modules = _modules(formulier, fouten)
    contact = _contact(formulier, fouten)
    try:
        with transactie(rt.sessions) as session:
            nu = db_nu(session)
            deelnemer = adresboek.haal(session, gebruiker.oin)
            huidig = {m: tuple(v) for m, v in adresboek.versies_per_module(deelnemer).items()}
            _modules_passen_bij_rol(modules, str(deelnemer.rol), fouten)
            if modules and samengevoegd(huidig, modules) == notatie(huidig):
                fouten.voeg_toe(
                    "modules",
                    "Uw organisatie gebruikt deze modules en versies al. Kies een module of versie die u nog "
                    "niet gebruikt.",
                )
            open_ = store.open_voor_oin(session, gebruiker.oin, soort=EXTRA_MODULES)
            if open_ is not None:
                fouten.voeg_toe(
                    "",
                    f"Er is al een aanvraag voor extra modules ingediend (nummer {open_.id}); die wordt nog "
                    "beoordeeld. Wacht op de beslissing en vraag daarna zo nodig meer aan.",
                )
            if fouten:
                raise _Afgewezen
            aanvraag = store.voeg_toe(
                session,
                Aanvraag(
                    soort=EXTRA_MODULES,
                    status=store.INGEDIEND,
                    kvk_nummer=deelnemer.kvk_nummer,
                    vestigingsnummer=deelnemer.vestigingsnummer,
                    oin=deelnemer.oin,
                    naam=deelnemer.naam,
                    rol=deelnemer.rol,
                    modules=notatie(modules),
                    gebruikt_bsn=False,
                    standaard_akkoord=False,
                    schuldensoorten=[],
                    contact_naam=contact[0],
                    contact_email=contact[1],
                    contact_telefoon=contact[2],
                    ingediend_door=gebruiker.audit_actor,
                    ingediend_op=nu,
                ),
            )
            audit.aanvraag(
                session,
                audit.Actie.AANVRAAG_INGEDIEND,
                door=gebruiker.audit_actor,
                oin=deelnemer.oin,
                soort=EXTRA_MODULES,
                nummer=aanvraag.id,
                nu=nu,
            )
            bericht = _Bericht.van(aanvraag)
    except _Afgewezen:
        return None, fouten
    mail(rt, bericht, "ingediend")
    return bericht.nummer, fouten


def samengevoegd(huidig: dict[str, tuple[str, ...]], extra: dict[str, tuple[str, ...]]) -> list[str]:
    """The participant's modules with the extra ones added (versions of a module it has: both)."""
    alles = {m: set(v) for m, v in huidig.items()}
    for code, versies in extra.items():
        alles.setdefault(code, set()).update(versies)
    return notatie({m: tuple(sorted(v, key=versiesleutel)) for m, v in alles.items()})


# --- the decision --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Besluit:
    """What the beheer page says after a decision."""

    nummer: int
    soort: str
    status: str
    oin: str
    certificaten_uitgegeven: bool = False


def _haal(session: Session, nummer: int) -> Aanvraag:
    aanvraag = store.haal(session, nummer)
    if aanvraag is None:
        raise AanvraagFout(
            f"Er is geen aanvraag met nummer {nummer}. Kies een aanvraag uit de lijst.", status=404
        )
    return aanvraag


def _al_beslist(session: Session, nummer: int) -> AanvraagFout:
    session.rollback()
    aanvraag = store.haal(session, nummer)
    wie = f" door {aanvraag.beoordeeld_door}" if aanvraag is not None and aanvraag.beoordeeld_door else ""
    status = STATUSSEN.get(aanvraag.status, "") if aanvraag is not None else ""
    return AanvraagFout(
        f"Deze aanvraag is al beoordeeld{wie} ({status.lower()}); er is niets gewijzigd. Ververs de pagina "
        "om de beslissing te zien."
    )


def _certificaat(
    ca: PortaalCa, pem: str, *, oin: str, naam: str, gebruik: Gebruik, nu: datetime
) -> CertificaatInfo:
    """The portal CA's certificate for the key of a request checked at submission (checked again:
    the stored text is what the CA signs for)."""
    verzoek = lees_aanvraag(pem)
    sleutel = controleer_ondertekening(verzoek) if gebruik is Gebruik.ONDERTEKENING else verzoek.public_key()
    cert = ca.geef_uit(sleutel, oin=oin, naam=naam, gebruik=gebruik, nu=nu)
    return lees_pem(cert.public_bytes(serialization.Encoding.PEM))


def keur_goed(rt: Runtime, nummer: int, *, door: str) -> Besluit:
    """Approve: a new participant is registered in the adresboek with certificates from the portal
    CA (when one is configured); extra modules are added to the participant. All in the transaction
    of the conditional UPDATE, so a refusal by the adresboek leaves the aanvraag ingediend."""
    ca = PortaalCa.laad(rt.settings)
    uitgegeven = False
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        aanvraag = _haal(session, nummer)
        uit_browser = aanvraag.browsersleutels is not None
        if not store.beslis(session, nummer, status=store.GOEDGEKEURD, door=door, nu=nu):
            raise _al_beslist(session, nummer)
        try:
            if aanvraag.soort == AANMELDING:
                uitgegeven = _registreer(rt, session, aanvraag, ca, door=door, nu=nu)
            else:
                _voeg_modules_toe(session, aanvraag, door=door, nu=nu)
        except (HubFout, OngeldigeAanvraag) as fout:
            uitleg = fout.detail if isinstance(fout, HubFout) else str(fout)
            raise AanvraagFout(
                f"Goedkeuren lukt niet: {_zin(uitleg)} Er is niets gewijzigd; weiger de aanvraag met "
                "deze reden, zodat de organisatie het kan herstellen.",
                status=400,
            ) from fout
        audit.aanvraag(
            session,
            audit.Actie.AANVRAAG_GOEDGEKEURD,
            door=door,
            oin=aanvraag.oin,
            soort=aanvraag.soort,
            nummer=nummer,
            nu=nu,
        )
        bericht = _Bericht.van(aanvraag)
    mail(rt, bericht, "goedgekeurd", certificaten=uitgegeven, wachtwoord=uitgegeven and uit_browser)
    return Besluit(nummer, bericht.soort, store.GOEDGEKEURD, bericht.oin, certificaten_uitgegeven=uitgegeven)


def _registreer(
    rt: Runtime, session: Session, aanvraag: Aanvraag, ca: PortaalCa | None, *, door: str, nu: datetime
) -> bool:
    uit_browser = json.loads(aanvraag.browsersleutels) if aanvraag.browsersleutels else None
    ondertekening: list[CertificaatInfo] = []
    versleuteling: CertificaatInfo | None = None
    if ca is not None and uit_browser is None and aanvraag.csr_ondertekening and aanvraag.csr_versleuteling:
        oin, naam = aanvraag.oin, aanvraag.naam
        ondertekening = [
            _certificaat(
                ca, aanvraag.csr_ondertekening, oin=oin, naam=naam, gebruik=Gebruik.ONDERTEKENING, nu=nu
            )
        ]
        versleuteling = _certificaat(
            ca, aanvraag.csr_versleuteling, oin=oin, naam=naam, gebruik=Gebruik.VERSLEUTELING, nu=nu
        )
    deelnemer = adresboek.registreer(
        session,
        adresboek.NieuweDeelnemer(
            oin=aanvraag.oin,
            naam=aanvraag.naam,
            rol=aanvraag.rol or "",
            kvk_nummer=aanvraag.kvk_nummer,
            vestigingsnummer=aanvraag.vestigingsnummer,
            modules=list(aanvraag.modules),
            certificaten=ondertekening,
            gebruikt_bsn=aanvraag.gebruikt_bsn,
            standaard_akkoord=aanvraag.standaard_akkoord,
            schuldensoorten=list(aanvraag.schuldensoorten),
            gebruik=[Gebruik.ONDERTEKENING.value],
            # Its keys are made and kept in the browser: it works in the portal.
            sleutelbeheer="portaal",
        ),
        nu=nu,
        ankers=rt.ankers,
        door=door,
    )
    deelnemer.contact = {
        "naam": aanvraag.contact_naam,
        "email": aanvraag.contact_email,
        "telefoon": aanvraag.contact_telefoon,
    }
    # Certificate changes are e-mailed to the participant (DESIGN §5, key transparency): from now
    # on to the contact of the form, which it can change in its settings. New-message
    # notifications stay off until it turns them on.
    notificaties.stel_in(
        session,
        aanvraag.oin,
        notificaties.Wijziging(emailadressen=[aanvraag.contact_email]),
        door=door,
        nu=nu,
        lokale_webhooks=False,
    )
    if uit_browser is not None:
        aanvraag.browsersleutels = None  # from here on the applicant's blob, or gone without a CA
        if ca is None:
            return False
        sleutelblobs.registreer_aanmeldsleutels(
            session,
            rt,
            ca,
            deelnemer=deelnemer,
            onderwerp=str(uit_browser.pop("onderwerp")),
            naam=str(uit_browser.pop("naam")),
            door=door,
            bewaard={"csr": aanvraag.csr_ondertekening, **uit_browser},
            ingediend_op=aanvraag.ingediend_op,
            nu=nu,
        )
        return True
    if versleuteling is not None:
        adresboek.voeg_certificaat_toe(
            session,
            aanvraag.oin,
            versleuteling,
            gebruik=[Gebruik.VERSLEUTELING.value],
            nu=nu,
            ankers=rt.ankers,
            door=door,
        )
    return versleuteling is not None


def _voeg_modules_toe(session: Session, aanvraag: Aanvraag, *, door: str, nu: datetime) -> None:
    """The extra modules and versions beside those the participant has (hub.adresboek.wijzig:
    checked, audited, e-mailed to its notification addresses)."""
    deelnemer = adresboek.haal(session, aanvraag.oin)
    huidig = {m: tuple(v) for m, v in adresboek.versies_per_module(deelnemer).items()}
    extra = {}
    for keuze in aanvraag.modules:
        code, versies = adresboek.ontleed_module(keuze)
        extra[code] = versies or CATALOGUS.moduleversies(code)
    adresboek.wijzig(
        session,
        aanvraag.oin,
        adresboek.DeelnemerWijziging(modules=samengevoegd(huidig, extra)),
        door=door,
        nu=nu,
    )


def weiger(rt: Runtime, nummer: int, reden: str, *, door: str) -> tuple[Besluit | None, Fouten]:
    """Refuse, with a reason (required: the organisation is told why, so that it can put it right)."""
    fouten = Fouten()
    reden = reden.strip().replace("\r\n", "\n")
    if not reden:
        fouten.voeg_toe(
            "reden", "Geef een reden: de organisatie krijgt die per e-mail, zodat zij het kan herstellen."
        )
    elif len(reden) > MAX_REDEN:
        fouten.voeg_toe("reden", f"De reden is {len(reden)} tekens; ten hoogste {MAX_REDEN}.")
    if fouten:
        return None, fouten
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        aanvraag = _haal(session, nummer)
        if not store.beslis(session, nummer, status=store.GEWEIGERD, door=door, nu=nu, reden=reden):
            raise _al_beslist(session, nummer)
        # The certificate requests and the keys made in the browser are of no use any more.
        store.wis_sleutels(session, nummer)
        audit.aanvraag(
            session,
            audit.Actie.AANVRAAG_GEWEIGERD,
            door=door,
            oin=aanvraag.oin,
            soort=aanvraag.soort,
            nummer=nummer,
            nu=nu,
        )
        bericht = _Bericht.van(aanvraag)
    mail(rt, bericht, "geweigerd", reden=reden)
    return Besluit(nummer, bericht.soort, store.GEWEIGERD, bericht.oin), fouten


# --- e-mail to the organisation ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Bericht:
    """What the e-mail needs of an aanvraag, read inside its transaction."""

    nummer: int
    soort: str
    oin: str
    naam: str
    modules: tuple[str, ...]
    email: str
    contact: str

    @classmethod
    def van(cls, aanvraag: Aanvraag) -> _Bericht:
        return cls(
            nummer=aanvraag.id,
            soort=aanvraag.soort,
            oin=aanvraag.oin,
            naam=aanvraag.naam,
            modules=tuple(aanvraag.modules),
            email=aanvraag.contact_email,
            contact=aanvraag.contact_naam,
        )


def modulelabel(keuze: str) -> str:
    """``schuldregeling:2.0`` as people read it: "Schuldregeling (versie 2.0)"."""
    code, versies = adresboek.ontleed_module(keuze)
    return f"{CATALOGUS.modulenaam(code)} (versie {', '.join(versies or CATALOGUS.moduleversies(code))})"


def _modules_leesbaar(modules: tuple[str, ...]) -> list[str]:
    return [f"  - {modulelabel(keuze)}" for keuze in modules]


def mailtekst(
    bericht: _Bericht, wat: str, *, reden: str = "", certificaten: bool = False, wachtwoord: bool = False
) -> tuple[str, str]:
    """(subject, text) of the e-mail about an aanvraag: submitted, approved or refused. ``wachtwoord``:
    the keys were made in the browser with the aanmelding, to unlock with its passphrase."""
    soort = "aanmelding" if bericht.soort == AANMELDING else "aanvraag voor extra modules"
    kop = f"Schuldenknooppunt: uw {soort} (nummer {bericht.nummer})"
    regels = [f"Beste {bericht.contact},", ""]
    if wat == "ingediend":
        onderwerp = f"{kop} is ontvangen"
        regels += [
            f"Wij hebben de {soort} van {bericht.naam} (OIN {bericht.oin}) ontvangen, voor de modules:",
            *_modules_leesbaar(bericht.modules),
            "",
            "De beheerder van het knooppunt beoordeelt de aanvraag. U krijgt de beslissing per e-mail; de",
            "stand ziet u ook in het webportaal onder 'Mijn aanvragen'.",
        ]
    elif wat == "goedgekeurd":
        onderwerp = f"{kop} is goedgekeurd"
        if bericht.soort == AANMELDING:
            regels += [
                f"{bericht.naam} is opgenomen in het adresboek van het Schuldenknooppunt, met OIN "
                f"{bericht.oin}.",
                "Log opnieuw in met eHerkenning om het webportaal als deelnemer te gebruiken.",
            ]
            regels += (
                ["Uw certificaten voor ondertekenen en versleutelen zijn uitgegeven door de portaal-CA."]
                + (
                    [
                        "Na het inloggen ontgrendelt u de sleutels van uw organisatie met het wachtwoord dat",
                        "uw browser bij de aanmelding toonde en dat u hebt opgeschreven.",
                    ]
                    if wachtwoord
                    else []
                )
                if certificaten
                else [
                    "Er zijn nog geen certificaten uitgegeven; de beheerder neemt contact met u op om uw",
                    "certificaten te importeren.",
                ]
            )
        else:
            regels += [
                f"De modules zijn toegevoegd aan de registratie van {bericht.naam} (OIN {bericht.oin}):",
                *_modules_leesbaar(bericht.modules),
            ]
    else:
        onderwerp = f"{kop} is geweigerd"
        regels += [
            f"De beheerder van het knooppunt heeft de {soort} van {bericht.naam} geweigerd, met deze reden:",
            "",
            *(f"  {r}" for r in reden.splitlines()),
            "",
            "U kunt een nieuwe aanvraag indienen in het webportaal wanneer u dit hebt hersteld.",
        ]
    regels += [
        "",
        "Herkent u deze aanvraag niet? Neem dan contact op met de beheerder van het knooppunt.",
        "",
    ]
    return onderwerp, "\n".join(regels)


class _Aanvraagmail(EmailKanaal):
    """The SMTP channel of notify/, with the text of an aanvraag instead of a notification's."""

    def opstellen(self, melding: Melding, adressen: tuple[str, ...]) -> EmailMessage:
        bericht = super().opstellen(melding, adressen)
        details = melding.details or {}
        del bericht["Subject"]
        bericht["Subject"] = str(details["onderwerp"])
        bericht.set_content(str(details["tekst"]))
        return bericht


def mail(
    rt: Runtime,
    bericht: _Bericht,
    wat: str,
    *,
    reden: str = "",
    certificaten: bool = False,
    wachtwoord: bool = False,
) -> bool:
    """Send the e-mail after the commit; a failure is logged (metadata only) and not fatal: the
    portal shows the state of the aanvraag too."""
    onderwerp, tekst = mailtekst(bericht, wat, reden=reden, certificaten=certificaten, wachtwoord=wachtwoord)
    melding = Melding(
        id=bericht.nummer,
        deelnemer=bericht.oin,
        deelnemer_naam=bericht.naam,
        aantallen={},
        oudste_verloopt_op=None,
        portaal_url=None,
        soort="aanvraag",
        details={"onderwerp": onderwerp, "tekst": tekst},
    )
    uitslag = _Aanvraagmail(rt.settings).verstuur(
        melding, Bestemming(emailadressen=(bericht.email,), webhook_url=None, webhook_geheim=None)
    )
    if not uitslag.gelukt:
        log.warning(
            "e-mail over aanvraag niet verstuurd", aanvraag=bericht.nummer, wat=wat, fout=uitslag.fout
        )
    return uitslag.gelukt
