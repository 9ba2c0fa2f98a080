"""Demo participants and messages for the portal, seeded on request in development only (never in
production): a municipality, four creditors, and messages in every state about clients with
realistic names (the sender's own labels included), so that a newcomer can log in with the
development login and click through at once.

Everything goes through the hub's services and the hosted client, as real use would: certificates
from the development CA, keys in the kluis, messages sealed and submitted with every hub rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509

from knooppunt.config import SettingsError
from knooppunt.hub import adresboek, audit, mailbox
from knooppunt.hub.fouten import HubFout
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import CertificaatInfo, lees_pem
from knooppunt.portaal import dossiers
from knooppunt.portaal.gastclient import Gastclient, TeVersturen, bewaar_sleutel
from knooppunt.portaal.kluis import Kluis
from knooppunt.protocol.payloads.velden import pdf_document, voorbeeld_pdf
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.protocol.payloads.voorbeeldschuldeisers import Voorbeeldschuldeiser, eigen_gegevens
from knooppunt.runtime import Runtime, laad_ankers
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store.db import db_nu, transactie

SR = "schuldregeling"
WIE = "portaal:demo"

NAAMRUIMTE = uuid.UUID("6f1c2a52-8d0e-4c57-9a43-6b1e0c7d2f15")
"""Of the demo messages' fixed numbers (UUIDv5): the same message always gets the same number."""


def nummer(*delen: object) -> str:
    """A fixed number for the same parts (each demo message once): a name-based UUID given the
    form of a UUIDv4, as a conversatieReferentienummer must have (DESIGN §2)."""
    naamgebonden = uuid.uuid5(NAAMRUIMTE, "|".join(str(d) for d in delen))
    return str(uuid.UUID(bytes=naamgebonden.bytes, version=4))


def stuur_eenmaal(afzender: Gastclient, bericht: TeVersturen, *, waarvoor: str) -> bool:
    """Seal and submit a message with a fixed number, unless the sender sent that number already
    (True: sent now). The hub's record of what a sender sent — metadata only — is what remembers,
    so running a demo again sends nothing twice."""
    assert bericht.referentienummer is not None
    if al_verstuurd(afzender, bericht.referentienummer):
        return False
    try:
        afzender.verstuur(bericht, waarvoor=waarvoor)
    except HubFout as fout:
        # A concurrent run sent it between our look and our submit (another JWE, same number).
        if fout.code != "REFERENTIENUMMER_CONFLICT":
            raise
        return False
    return True


def al_verstuurd(afzender: Gastclient, referentienummer: str) -> bool:
    """Whether the sender sent a message with this number already."""
    with afzender.transactie() as (session, _nu):
        return bool(mailbox.verstuurd_set(session, afzender.deelnemer(session), [referentienummer]))


@dataclass(frozen=True)
class DemoDeelnemer:
    sleutel: str
    oin: str
    naam: str
    rol: str
    kvk: str
    vestiging: str | None = None
    gebruikt_bsn: bool = False
    standaard_akkoord: bool = False
    schuldensoorten: tuple[str, ...] = ()
    modules: tuple[str, ...] = ("schuldregeling:1.0",)
    """Module entries as the adresboek writes them (``code`` or ``code:versie,versie``, DESIGN §3a)."""
    schuldeiser: Voorbeeldschuldeiser | None = None
    """A creditor's own klantnummer, contact, IBAN and invoices in what it sends and receives."""

    def nieuw(self, certificaten: Sequence[CertificaatInfo] = ()) -> adresboek.NieuweDeelnemer:
        """Its registration as a portal participant (``sleutelbeheer`` portaal)."""
        return adresboek.NieuweDeelnemer(
            oin=self.oin,
            naam=self.naam,
            rol=self.rol,
            kvk_nummer=self.kvk,
            vestigingsnummer=self.vestiging,
            modules=list(self.modules),
            certificaten=list(certificaten),
            gebruikt_bsn=self.gebruikt_bsn,
            standaard_akkoord=self.standaard_akkoord,
            schuldensoorten=list(self.schuldensoorten),
            sleutelbeheer="portaal",
        )


SE_MODULES = ("schuldregeling:1.0",)
"""The four creditors of the first demo: schuldregeling as the handbook has it (1.0)."""

DEELNEMERS = (
    DemoDeelnemer(
        "gemeente",
        "00000001002306608000",
        "Gemeente Demodorp",
        "SHV",
        "50200097",
        "000012345678",
        modules=("schuldregeling", "saldoverzoek", "betalingsregeling", "pauzeknop"),
    ),
    DemoDeelnemer(
        "energie",
        "00000003501234560000",
        "Demo Energie BV",
        "SE",
        "50123456",
        "000023456789",
        schuldensoorten=("nuts",),
        modules=SE_MODULES,
        schuldeiser=Voorbeeldschuldeiser(
            "Demo Energie B.V.",
            "DE",
            "bijzonderbeheer@demo-energie.example.nl",
            "NL36INGB0007654321",
            "Jaarafrekening energie 2023",
        ),
    ),
    DemoDeelnemer(
        "zorg",
        "00000003502345670000",
        "Demo Zorgverzekeraar NV",
        "SE",
        "50234567",
        standaard_akkoord=True,
        schuldensoorten=("zorg",),
        modules=SE_MODULES,
        schuldeiser=Voorbeeldschuldeiser(
            "Demo Zorgverzekeraar N.V.",
            "DZ",
            "premie-incasso@demo-zorg.example.nl",
            "NL81RABO0312345678",
            "Achterstallige zorgpremie 2023",
            contact="Team Premie-incasso",
        ),
    ),
    DemoDeelnemer(
        "belasting",
        "00000001503456780000",
        "Demo Belastingen",
        "SE",
        "50345678",
        gebruikt_bsn=True,
        schuldensoorten=("publiek",),
        modules=SE_MODULES,
        schuldeiser=Voorbeeldschuldeiser(
            "Demo Belastingen",
            "DB",
            "invordering@demo-belastingen.example.nl",
            "NL76ABNA0501234567",
            "Aanslag gemeentelijke belastingen 2023",
            contact="Team Invordering",
        ),
    ),
    DemoDeelnemer(
        "woning",
        "00000003504567890000",
        "Demo Wonen",
        "SE",
        "50456789",
        schuldensoorten=("overig",),
        modules=SE_MODULES,
        schuldeiser=Voorbeeldschuldeiser(
            "Stichting Demo Wonen",
            "DW",
            "huurincasso@demo-wonen.example.nl",
            "NL49TRIO0390123456",
            "Huurachterstand 2023",
            contact="Team Huurincasso",
        ),
    ),
    # Every module has something to click (DESIGN §7 "every module"): a creditor in protocol 2.0, a
    # fase-1 wijkteam, a kredietbank with the guarantee fund, a bewindvoerder.
    DemoDeelnemer(
        "incasso",
        "00000003505678950000",
        "Demo Incasso BV",
        "SE",
        "50567895",
        schuldensoorten=("overig",),
        modules=("schuldregeling:2.0", "saldoverzoek", "betalingsregeling", "bewind", "pauzeknop"),
        schuldeiser=Voorbeeldschuldeiser(
            "Demo Incasso B.V.",
            "DI",
            "dossiers@demo-incasso.example.nl",
            "NL22SNSB0912345678",
            "Vordering webwinkel 2023 in incasso",
            contact="Afdeling Dossierbeheer",
        ),
    ),
    DemoDeelnemer(
        "wijkteam",
        "00000003506789060000",
        "Wijkteam Demostad",
        "SHV",
        "50678906",
        modules=("saldoverzoek", "pauzeknop"),
    ),
    DemoDeelnemer(
        "kredietbank",
        "00000003507890170000",
        "Demo Kredietbank",
        "SHV",
        "50789017",
        modules=("waarborgfonds", "schuldregeling:2.0", "betalingsregeling"),
    ),
    DemoDeelnemer(
        "fonds", "00000003508901280000", "Demo Waarborgfonds", "WF", "50890128", modules=("waarborgfonds",)
    ),
    DemoDeelnemer(
        "bewindvoerder",
        "00000003509012390000",
        "Demo Bewind BV",
        "BW",
        "50901239",
        modules=("bewind", "saldoverzoek"),
    ),
)


def _oin(sleutel: str) -> str:
    return next(d.oin for d in DEELNEMERS if d.sleutel == sleutel)


def vertrouw_ontwikkel_ca(rt: Runtime) -> Path:
    """The development CA of the data dir (made when missing), trusted from here on; returns its
    directory. Development only (also used by the beheer pages to generate certificates)."""
    if not rt.settings.is_development:
        raise SettingsError("de ontwikkel-CA bestaat alleen in ontwikkeling (KNOOPPUNT_ENV=development)")
    pki = rt.settings.dev_pki_dir
    if not ontwikkel_ca.ca_paden(pki)[0].exists():
        ontwikkel_ca.init(pki)
    ca = x509.load_pem_x509_certificate(ontwikkel_ca.ca_paden(pki)[0].read_bytes())
    if rt.ankers is None or ca not in rt.ankers.certificaten:
        # The development CA was made just now (or beside other anchors): trust it from here on.
        rt.ankers = laad_ankers(rt.settings)
    return pki


ALLEEN_IN_ONTWIKKELING = "demogegevens bestaan alleen in ontwikkeling (KNOOPPUNT_ENV=development)"
"""Why both demos (this one and ``browserdemo``) refuse outside development, for the CLI and routes."""


def alleen_in_ontwikkeling(rt: Runtime) -> None:
    """Refuse demo data outside development (SettingsError, which the CLI prints as it is)."""
    if not rt.settings.is_development:
        raise SettingsError(ALLEEN_IN_ONTWIKKELING)


def registreer_deelnemers(rt: Runtime, kluis: Kluis) -> int:
    """Register the demo participants (hosted keys from the development CA); returns how many
    were new. Idempotent."""
    alleen_in_ontwikkeling(rt)
    pki = vertrouw_ontwikkel_ca(rt)
    uit_map = pki / "portaal-demo"
    uit_map.mkdir(parents=True, exist_ok=True)
    nieuw = 0
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        for d in DEELNEMERS:
            if deelnemers_store.haal(session, d.oin) is not None:
                continue
            uit = ontwikkel_ca.issue(pki, oin=d.oin, naam=d.naam, key_type="ec", uit_map=uit_map)
            cert_pem = uit.certificaat.read_bytes()
            adresboek.registreer(
                session,
                d.nieuw([lees_pem(cert_pem)]),
                nu=nu,
                ankers=rt.ankers,
                door=audit.beheerder("demo"),
            )
            bewaar_sleutel(
                session,
                kluis,
                oin=d.oin,
                certificaat_pem=cert_pem,
                sleutel_pem=uit.sleutel.read_bytes(),
                nu=nu,
            )
            uit.sleutel.unlink()  # the key lives in the kluis only
            nieuw += 1
    return nieuw


KLANTEN = (
    ("V", "J.", "Johanna", "de", "Vries"),
    ("M", "M.", "Mohamed", "", "El Amrani"),
    ("V", "S.", "Sanne", "", "Bakker"),
    ("M", "P.J.", "Pieter Jan", "van den", "Berg"),
    ("V", "F.", "Fatma", "", "Yılmaz"),
    ("M", "K.", "Kees", "", "Visser"),
    ("V", "L.", "Linda", "", "Smit"),
    ("M", "D.", "Dennis", "van", "Dijk"),
    ("V", "A.", "Anouk", "", "Meijer"),
    ("M", "R.", "Ruben", "de", "Boer"),
)
"""The demo's clients (DESIGN §7 "client names beside every message"): realistic Dutch names, so
that the client pages and a creditor's received messages read as they would at work."""


def _klant(nummer: int) -> dict[str, Any]:
    """The client of demo traject `nummer`: its klantnummerSHV and the payload's ``klant`` names."""
    geslacht, voorletters, voornamen, voorvoegsel, achternaam = KLANTEN[(nummer - 1) % len(KLANTEN)]
    namen = {"geslacht": geslacht, "voorletters": voorletters, "voornamen": voornamen}
    if voorvoegsel:
        namen["voorvoegsel"] = voorvoegsel
    return {"klantnummerSHV": f"SHV-2026-{nummer:04d}", "klant": {**namen, "achternaam": achternaam}}


def _met_klant(payload: dict[str, Any], nummer: int) -> dict[str, Any]:
    """An example payload about demo client `nummer`."""
    klant = _klant(nummer)
    if "klantnummerSHV" in payload:
        payload["klantnummerSHV"] = klant["klantnummerSHV"]
    if isinstance(payload.get("klant"), dict):
        oud = {k: v for k, v in payload["klant"].items() if k != "voorvoegsel"}
        payload["klant"] = {**oud, **klant["klant"]}
    return payload


def _label(rt: Runtime, kluis: Kluis, oin: str, conversatie: str, payload: dict[str, Any]) -> None:
    """The sender's own label of the client (what its people would type on the client page), kept
    readable under the kluis — only while the sender's keys are hosted: for a participant that keeps
    keys in the browser ``dossiers.bewaar`` stores none (its names are the browser's alone; a label
    seeded earlier is offered on its werkplek to be moved, encrypted, once)."""
    label = dossiers.label_uit_payload(payload)
    if label is None and payload.get("kenmerk"):
        label = dossiers.maak_label(str(payload["kenmerk"]), "")
    if label is None:
        return
    with transactie(rt.sessions) as session:
        dossiers.bewaar(session, kluis, oin=oin, conversatie=conversatie, label=label, nu=db_nu(session))


def _voor_afzender(payload: dict[str, Any], afzender: str) -> dict[str, Any]:
    """A bewindvoerder's saldoverzoek rests on the court's beschikking, which it sends along (DESIGN
    §3b; the module's examples are a debt counsellor's, on the Wgs)."""
    if next(d.rol for d in DEELNEMERS if d.sleutel == afzender) != "BW" or "grondslag" not in payload:
        return payload
    klantnummer = str(payload["klantnummerSHV"]).replace("SHV-", "BW-", 1)
    return {
        **payload,
        "klantnummerSHV": klantnummer,
        "grondslag": "beschikking",
        "grondslagDocument": pdf_document(
            "beschikking-beschermingsbewind.pdf",
            # The example PDF holds ASCII text only: the client's number, not a name like Yılmaz.
            voorbeeld_pdf(f"Beschikking beschermingsbewind, klant {klantnummer} (demo)"),
        ),
    }


MODULEBERICHTEN: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("kredietbank", "incasso", "schuldregeling", ("kennisgeving", "saldoverzoek")),
    ("kredietbank", "incasso", "betalingsregeling", ("saldoverzoek", "betaalvoorstel")),
    ("wijkteam", "incasso", "saldoverzoek", ("saldoverzoek",)),
    ("wijkteam", "incasso", "pauzeknop", ("kennisgeving",)),
    ("bewindvoerder", "incasso", "bewind", ("melding_bewind",)),
    ("bewindvoerder", "incasso", "saldoverzoek", ("saldoverzoek",)),
    ("kredietbank", "fonds", "waarborgfonds", ("aanvraag_borgstelling", "voorbeoordeling")),
)
"""Per (sender, recipient, module) the messages of one demo client, in one conversation each."""


def _versie(rt: Runtime, afzender: str, ontvanger: str, module: str) -> str:
    with transactie(rt.sessions) as session:
        a, b = deelnemers_store.haal(session, _oin(afzender)), deelnemers_store.haal(session, _oin(ontvanger))
        assert a is not None and b is not None
        versie = adresboek.hoogste_gemeenschappelijke_versie(a, b, module)
    assert versie is not None, f"demo: {afzender} en {ontvanger} delen geen versie van {module}"
    return versie


def _eigen(payload: dict[str, Any], se: str, *, vraag: dict[str, Any] | None = None) -> dict[str, Any]:
    """The payload of a message from or to demo participant ``se``: a creditor's own data in it."""
    profiel = next(d.schuldeiser for d in DEELNEMERS if d.sleutel == se)
    return payload if profiel is None else eigen_gegevens(payload, profiel, vraag=vraag)


@dataclass
class Telling:
    """What a demo load sent now, and what an earlier load had sent already (sent not again)."""

    verstuurd: int = 0
    al_verstuurd: int = 0

    def tel(self, nieuw: bool) -> None:
        if nieuw:
            self.verstuurd += 1
        else:
            self.al_verstuurd += 1


def laad_modules(rt: Runtime, kluis: Kluis, telling: Telling) -> None:
    """A few messages in every module, in the highest version both parties accept (the demo
    examples of each module's ``voorbeelden``), each with a fixed number: sent once."""
    for klant, (afzender, ontvanger, module, codes) in enumerate(MODULEBERICHTEN, start=100):
        client = Gastclient(rt, kluis, _oin(afzender), wie=WIE)
        versie = _versie(rt, afzender, ontvanger, module)
        conversatie = nummer("gehost", _oin(afzender), klant, module)
        for code in codes:
            payload = _voor_afzender(_met_klant(voorbeeld(module, code, versie), klant), afzender)
            payload = _eigen(payload, ontvanger)
            nieuw = stuur_eenmaal(
                client,
                TeVersturen(
                    _oin(ontvanger),
                    code,
                    payload,
                    conversatie,
                    module=module,
                    versie=versie,
                    referentienummer=nummer("gehost", _oin(ontvanger), klant, module, code),
                ),
                waarvoor="demo",
            )
            if nieuw and code == codes[0]:
                _label(rt, kluis, _oin(afzender), conversatie, payload)
            telling.tel(nieuw)


def laad_demo(rt: Runtime, kluis: Kluis, *, klanten: int = 3) -> dict[str, int]:
    """Participants plus messages: per client a conversation in which the municipality reports the
    client and asks every creditor for a balance; some creditors have answered, the rest have new
    messages waiting. Every message has a fixed number (from the recipient, the client and the
    type), so loading again sends nothing twice. Returns counts: new participants, messages sent
    now (``berichten``) and sent by an earlier load (``al_verstuurd``)."""
    nieuw = registreer_deelnemers(rt, kluis)
    gemeente = Gastclient(rt, kluis, _oin("gemeente"), wie=WIE)
    telling = Telling()
    for klant in range(1, klanten + 1):
        conversatie = nummer("gehost", _oin("gemeente"), klant)
        vragen: dict[str, tuple[str, dict[str, Any]]] = {}
        for se, kennis, saldo in (
            ("energie", "kennisgeving", "saldoverzoek_nuts"),
            ("zorg", "kennisgeving", "saldoverzoek_zorg"),
            ("belasting", "kennisgeving_bsn", "saldoverzoek_publiek"),
            ("woning", "kennisgeving", "saldoverzoek"),
        ):
            for code in (kennis, saldo):
                payload = _eigen(_met_klant(voorbeeld(SR, code), klant), se)
                referentienummer = nummer("gehost", _oin(se), klant, code)
                verstuurd = stuur_eenmaal(
                    gemeente,
                    TeVersturen(_oin(se), code, payload, conversatie, referentienummer=referentienummer),
                    waarvoor="demo",
                )
                if verstuurd and se == "energie" and code == kennis:
                    _label(rt, kluis, _oin("gemeente"), conversatie, payload)
                telling.tel(verstuurd)
                vragen[se] = (referentienummer, payload)
        if klant == 1:
            # Two creditors have already answered the first client's saldoverzoek.
            for se, antwoord in (
                ("zorg", "saldoverzoek_antwoord_standaard_akkoord"),
                ("woning", "klant_onbekend"),
            ):
                client = Gastclient(rt, kluis, _oin(se), wie=WIE)
                vraagnummer, vraag = vragen[se]
                bericht = TeVersturen(
                    _oin("gemeente"),
                    antwoord,
                    _eigen(_met_klant(voorbeeld(SR, antwoord), klant), se, vraag=vraag),
                    conversatie,
                    antwoord_op=vraagnummer,
                    referentienummer=nummer("gehost", "antwoord", vraagnummer),
                )
                if not al_verstuurd(client, str(bericht.referentienummer)):
                    client.haal_op(waarvoor="demo")
                telling.tel(stuur_eenmaal(client, bericht, waarvoor="demo"))
    laad_modules(rt, kluis, telling)
    return {"deelnemers": nieuw, "berichten": telling.verstuurd, "al_verstuurd": telling.al_verstuurd}
