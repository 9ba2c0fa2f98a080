"""The portal demo whose participants keep their keys in the browser (issue #14, DESIGN §5 "Portal":
the portal is zero-knowledge), development only (decision 0038).

The hosted demo (``demo.py``) puts its participants' keys in the kluis, so the server opens their
messages: quick for clicking around, but exactly what §5 says must not happen. This demo registers
its portal participants with no key and no certificate at all: a user logs in with the development
login, makes the organisation's keys in the browser (the key page), and the portal CA issues the
certificates. Their counterparts are simulated API participants: certificates from the development
CA with the private keys in files under the development data directory (``pki/browserdemo/``), as
an SDK user keeps them — never in the kluis. They seal and open with the SDK (``client.jose``) and
submit, fetch and confirm through the hub's mailbox with every hub rule, as the API does.

Two portal participants, two directions:

- the creditor *Demo Energie (browsersleutels)* is written to: the simulated municipality sends it
  a kennisgeving and a saldoverzoek per client. A message can only be sealed for a recipient that
  has a current encryption certificate, so they are sent once its browser made keys;
- the debt counsellor *Demo Gemeente (browsersleutels)* writes first: it composes (in the browser)
  a saldoverzoek, kennisgeving or betaalvoorstel to the simulated creditor *Demo Nuts (demo-API)*,
  which then fetches its inbox, opens each message of the counsellor with its file key (the
  signature checked against the adresboek certificate), confirms it and answers what a creditor
  answers, sealed for the counsellor's browser key. A creditor starts nothing itself (a
  statusverzoek needs earlier contact, art. 14.1), so until the counsellor sent something there is
  nothing to answer, and the demo says so.

``stuur_demoberichten`` does both, for what can be done, and names who it waits for. Every message
it sends has a fixed ``referentienummer`` (a UUID made from the recipient's OIN, the client and the
type; an answer's from the question's number), so the hub's own record of what a sender sent —
metadata only — is what remembers: running it again sends nothing twice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from sqlalchemy.orm import Session

from knooppunt.client import jose
from knooppunt.client.hub import Ontvangen
from knooppunt.hub import adresboek, audit
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.portaal.demo import DEELNEMERS as GEHOSTE_DEELNEMERS
from knooppunt.portaal.demo import (
    SE_MODULES,
    DemoDeelnemer,
    _met_klant,
    alleen_in_ontwikkeling,
    nummer,
    stuur_eenmaal,
)
from knooppunt.portaal.demo import vertrouw_ontwikkel_ca as _vertrouw_ontwikkel_ca
from knooppunt.portaal.gastclient import Gastclient, Gastsleutel, TeVersturen
from knooppunt.portaal.weergave import meervoud
from knooppunt.protocol.payloads.velden import vandaag
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.protocol.payloads.voorbeeldschuldeisers import Voorbeeldschuldeiser, eigen_gegevens
from knooppunt.runtime import Runtime
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Deelnemer

SR = "schuldregeling"
WIE = "portaal:browserdemo"
MAP = "browserdemo"
"""The counterparts' certificates and private keys: ``<data dir>/pki/browserdemo/<OIN>[-key].pem``."""

PORTAALDEELNEMERS = (
    DemoDeelnemer(
        "energie",
        "00000003516123450000",
        "Demo Energie (browsersleutels)",
        "SE",
        "51612345",
        schuldensoorten=("nuts",),
        modules=SE_MODULES,
        schuldeiser=Voorbeeldschuldeiser(
            "Demo Energie B.V.",
            "EB",
            "bijzonderbeheer@demo-energie.example.nl",
            "NL44ASNB0708123456",
            "Jaarafrekening energie 2023",
        ),
    ),
    DemoDeelnemer(
        "gemeente",
        "00000001001122334000",
        "Demo Gemeente (browsersleutels)",
        "SHV",
        "51611223",
        # The modules of the hosted demo's debt counsellor (Gemeente Demodorp).
        modules=next(d.modules for d in GEHOSTE_DEELNEMERS if d.sleutel == "gemeente"),
    ),
)
"""Portal participants with no hosted key: their own OINs and names, so that they sit beside the
hosted demo's participants in one database without touching them."""


@dataclass(frozen=True)
class Tegenpartij:
    """A simulated API participant (``sleutelbeheer`` eigen) with its keys in a file."""

    sleutel: str
    oin: str
    naam: str
    rol: str
    kvk: str
    modules: tuple[str, ...]
    gebruikt_bsn: bool = False
    standaard_akkoord: bool = False
    schuldensoorten: tuple[str, ...] = ()
    schuldeiser: Voorbeeldschuldeiser | None = None
    """A creditor's own klantnummer, contact, IBAN and invoices in its answers."""


TEGENPARTIJEN = (
    Tegenpartij(
        "gemeente",
        "00000001009876543000",
        "Gemeente Sleutelstad (demo-API)",
        "SHV",
        "51698765",
        modules=("schuldregeling",),
    ),
    Tegenpartij(
        "nuts",
        "00000003516223340000",
        "Demo Nuts (demo-API)",
        "SE",
        "51622334",
        modules=("schuldregeling", "saldoverzoek"),
        schuldensoorten=("nuts",),
        schuldeiser=Voorbeeldschuldeiser(
            "Demo Nuts B.V.",
            "NU",
            "klantenservice-schulden@demo-nuts.example.nl",
            "NL86BUNQ2034567891",
            "Jaarafrekening gas en stroom 2023",
            contact="Team Schulden",
        ),
    ),
)
"""The simulated API participants: the municipality that writes to Demo Energie, and the creditor
that answers Demo Gemeente (no BSN, no standaard akkoord: it answers a saldoverzoek with its
vorderingen and a betaalvoorstel with an akkoord)."""

BEANTWOORDERS = {"gemeente": "nuts"}
"""Per debt counsellor of this demo (a portal participant), the simulated creditor that answers it."""

ANTWOORDEN = ("saldoverzoek_antwoord", "betaalvoorstel_akkoord", "kennisgeving_antwoord")
"""What the simulated creditor answers, the first of these that the catalogue allows as an answer
to the message in its module and version: a saldoverzoek of any kind (art. 6.1), a betaalvoorstel
or a heroverweging (art. 10), a kennisgeving (art. 4). Anything else is confirmed, not answered."""

WAARVOOR = "browserdemo"


@dataclass(frozen=True)
class Demobericht:
    afzender: str
    ontvanger: str
    klant: int
    berichttype: str


BERICHTEN = tuple(
    Demobericht("gemeente", "energie", klant, berichttype)
    for klant in (201, 202)
    for berichttype in ("kennisgeving", "saldoverzoek_nuts")
)
"""Per client, as the hosted demo: the municipality reports the client to the creditor (art. 5)
and asks for the balance (art. 7), in one conversation per client."""


@dataclass
class Uitslag:
    """What `laad_browserdemo` / `stuur_demoberichten` did, by participant name."""

    nieuw: int = 0
    verstuurd: dict[str, int] = field(default_factory=dict)
    al_verstuurd: dict[str, int] = field(default_factory=dict)
    wacht_op_sleutels: list[str] = field(default_factory=list)
    geopend: dict[str, int] = field(default_factory=dict)
    """Per debt counsellor: how many of its messages the simulated creditor opened and confirmed."""
    beantwoord: dict[str, int] = field(default_factory=dict)
    """Per debt counsellor: how many answers the simulated creditor sent it now."""
    geweigerd: dict[str, int] = field(default_factory=dict)
    """Per debt counsellor: messages the simulated creditor could not open or trust, refused (§4)."""
    niets_te_beantwoorden: list[str] = field(default_factory=list)
    """Debt counsellors with keys whose creditor found nothing new of theirs to open."""

    @property
    def berichten(self) -> int:
        """Messages sent to the demo's creditors (answers to its debt counsellors not counted)."""
        return sum(self.verstuurd.values())

    @property
    def antwoorden(self) -> int:
        return sum(self.beantwoord.values())


def is_browserdemo(oin: str | None) -> bool:
    """Whether this is one of this demo's portal participants (the werkplek offers its button)."""
    return any(d.oin == oin for d in PORTAALDEELNEMERS)


def _portaaldeelnemer(sleutel: str) -> DemoDeelnemer:
    return next(d for d in PORTAALDEELNEMERS if d.sleutel == sleutel)


def _tegenpartij(sleutel: str) -> Tegenpartij:
    return next(t for t in TEGENPARTIJEN if t.sleutel == sleutel)


def _map(rt: Runtime) -> Path:
    return rt.settings.dev_pki_dir / MAP


def registreer(rt: Runtime) -> int:
    """Register this demo's participants (idempotent); returns how many were new. The portal
    participants get no certificate and no key; the counterparts get a development certificate
    whose key stays in its file."""
    alleen_in_ontwikkeling(rt)
    pki = _vertrouw_ontwikkel_ca(rt)
    uit_map = _map(rt)
    uit_map.mkdir(parents=True, exist_ok=True)
    nieuw = 0
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        for d in PORTAALDEELNEMERS:
            if deelnemers_store.haal(session, d.oin) is None:
                _registreer(rt, session, d.nieuw(), nu)
                nieuw += 1
        for t in TEGENPARTIJEN:
            if deelnemers_store.haal(session, t.oin) is not None:
                continue
            uit = ontwikkel_ca.issue(pki, oin=t.oin, naam=t.naam, key_type="ec", uit_map=uit_map)
            _registreer(
                rt,
                session,
                adresboek.NieuweDeelnemer(
                    oin=t.oin,
                    naam=t.naam,
                    rol=t.rol,
                    kvk_nummer=t.kvk,
                    modules=list(t.modules),
                    certificaten=[lees_pem(uit.certificaat.read_bytes())],
                    gebruikt_bsn=t.gebruikt_bsn,
                    standaard_akkoord=t.standaard_akkoord,
                    schuldensoorten=list(t.schuldensoorten),
                ),
                nu,
            )
            nieuw += 1
    return nieuw


def _registreer(rt: Runtime, session: Session, nieuw: adresboek.NieuweDeelnemer, nu: datetime) -> None:
    adresboek.registreer(session, nieuw, nu=nu, ankers=rt.ankers, door=audit.beheerder("browserdemo"))


class Demopartij(Gastclient):
    """A counterpart acting as an SDK user does: it signs with the key from its file and seals with
    ``client.jose`` for the recipient's newest current encryption certificate (checked against the
    trust anchors, as the SDK checks it), then submits through ``hub.mailbox``; it fetches through
    ``hub.mailbox`` and opens with the same file key, the signature checked against the sender's
    adresboek certificate (itself checked against the trust anchors). The validation, sealing,
    submitting, fetching, opening and confirming are `Gastclient`'s, with a key that never was in
    the kluis.

    It has no kluis: ``sleutel`` and ``sleutels_voor`` below answer with the one key it has."""

    def __init__(self, rt: Runtime, partij: Tegenpartij) -> None:
        super().__init__(rt, None, partij.oin, wie=WIE)
        self.partij = partij
        map_ = _map(rt)
        cert_pad, sleutel_pad = map_ / f"{partij.oin}.pem", map_ / f"{partij.oin}-key.pem"
        if not sleutel_pad.exists() or not cert_pad.exists():
            raise FileNotFoundError(
                f"de sleutel van {partij.naam} ontbreekt ({sleutel_pad}): de ontwikkelmap is gewist terwijl "
                "de database bleef. Begin met een lege database, of gebruik de KNOOPPUNT_DATA_DIR van toen"
            )
        certificaat = x509.load_pem_x509_certificate(cert_pad.read_bytes())
        self._sleutel = Gastsleutel(
            oin=partij.oin,
            kid=jose.kid_van(certificaat),
            certificaat=certificaat,
            sleutel=jose.prive_sleutel(sleutel_pad.read_bytes()),
        )

    def sleutel(self, session: Session, waarvoor: str, nu: datetime) -> Gastsleutel:
        return self._sleutel

    def sleutels_voor(
        self, session: Session, jwes: Sequence[str], waarvoor: str, nu: datetime
    ) -> dict[str, jose.Sleutel]:
        """Its file key, for what is sealed for its certificate; a message sealed for another
        ``kid`` cannot be opened (opening says so)."""
        return {self._sleutel.kid: self._sleutel.sleutel}


def heeft_versleutelcertificaat(deelnemer: Deelnemer, nu: datetime) -> bool:
    """Whether senders can seal for it now: its browser made keys and the portal CA certified them."""
    return any(c.gebruik_versleuteling and adresboek.is_actueel(c, nu) for c in deelnemer.certificaten)


def stuur_demoberichten(rt: Runtime, *, alleen: str | None = None) -> Uitslag:
    """For every portal participant of this demo (or only OIN ``alleen``) that has a current
    encryption certificate: send the demo messages a creditor has not had yet, and let the
    simulated creditor open, confirm and answer what a debt counsellor sent it. Name the others as
    waiting for keys. Idempotent: a message already sent (its fixed number is in the hub's record of
    the sender) is skipped, also when a concurrent run sent it a moment ago."""
    alleen_in_ontwikkeling(rt)
    uitslag = Uitslag()
    klaar: list[DemoDeelnemer] = []
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        for d in PORTAALDEELNEMERS:
            if alleen is not None and d.oin != alleen:
                continue
            deelnemer = deelnemers_store.haal(session, d.oin)
            if deelnemer is not None and heeft_versleutelcertificaat(deelnemer, nu):
                klaar.append(d)
            else:
                uitslag.wacht_op_sleutels.append(d.naam)
    partijen: dict[str, Demopartij] = {}

    def partij(sleutel: str) -> Demopartij:
        if sleutel not in partijen:
            partijen[sleutel] = Demopartij(rt, _tegenpartij(sleutel))
        return partijen[sleutel]

    for b in BERICHTEN:
        ontvanger = _portaaldeelnemer(b.ontvanger)
        if ontvanger not in klaar:
            continue
        payload = _met_klant(voorbeeld(SR, b.berichttype), b.klant)
        if ontvanger.schuldeiser is not None:
            payload = eigen_gegevens(payload, ontvanger.schuldeiser)
        bericht = TeVersturen(
            ontvanger.oin,
            b.berichttype,
            payload,
            nummer(ontvanger.oin, b.klant),
            referentienummer=nummer(ontvanger.oin, b.klant, b.berichttype),
        )
        verstuurd = stuur_eenmaal(partij(b.afzender), bericht, waarvoor=WAARVOOR)
        teller = uitslag.verstuurd if verstuurd else uitslag.al_verstuurd
        teller[ontvanger.naam] = teller.get(ontvanger.naam, 0) + 1
    for d in klaar:
        if d.sleutel in BEANTWOORDERS:
            _beantwoord(partij(BEANTWOORDERS[d.sleutel]), d, uitslag)
    return uitslag


def _beantwoord(schuldeiser: Demopartij, vrager: DemoDeelnemer, uitslag: Uitslag) -> None:
    """The simulated creditor's turn, as an SDK user would take it: fetch the open messages of this
    debt counsellor from the inbox (the hub marks them fetched), open each with the file key — the
    signature checked against the counsellor's adresboek certificate —, and answer it, sealed for
    the counsellor's newest encryption certificate (its browser's key). Answering an unconfirmed
    message confirms it (DESIGN §4), in the hub's same transaction; what a creditor does not answer
    is confirmed. A message it cannot open or trust is refused with the reason (DESIGN §4). The
    answer's number is made from the question's: a concurrent run that answered the same fetched
    question a moment earlier makes the hub refuse this one as a number conflict, so nothing goes
    twice; a run that stopped before answering leaves the question open for the next."""
    geopend = beantwoord = geweigerd = 0
    gezien: set[str] = set()
    profiel = schuldeiser.partij.schuldeiser
    assert profiel is not None, f"{schuldeiser.partij.naam} beantwoordt niets: het heeft geen eigen gegevens"
    while True:
        berichten, _namen, _nu = schuldeiser.open_berichten()
        nummers = [
            b.referentienummer
            for b in berichten
            if b.afzender == vrager.oin and b.referentienummer not in gezien
        ]
        if not nummers:
            break
        # At most a fetch page's bytes at a time (but always one message): the rest on the next turn.
        ontvangen = schuldeiser.haal_op(waarvoor=WAARVOOR, referentienummers=nummers)
        if not ontvangen:
            break
        for o in ontvangen:
            gezien.add(o.referentienummer)
            if o.payload is None:
                if o.fout is not None and o.ontbrekende_sleutel is None:
                    schuldeiser.weiger(o.referentienummer, o.fout)
                    geweigerd += 1
                continue
            antwoord = antwoord_op(o, profiel)
            if antwoord is None:
                schuldeiser.bevestig([o.referentienummer])
            elif stuur_eenmaal(schuldeiser, antwoord, waarvoor=WAARVOOR):
                beantwoord += 1
            geopend += 1
    if geopend:
        uitslag.geopend[vrager.naam] = geopend
    if beantwoord:
        uitslag.beantwoord[vrager.naam] = beantwoord
    if geweigerd:
        uitslag.geweigerd[vrager.naam] = geweigerd
    if not geopend and not geweigerd:
        uitslag.niets_te_beantwoorden.append(vrager.naam)


def antwoord_op(vraag: Ontvangen, schuldeiser: Voorbeeldschuldeiser) -> TeVersturen | None:
    """What a creditor answers to this opened message, in its module and version (`ANTWOORDEN`),
    or None when it is not a question a creditor answers. The payload is the example of the answer
    type with the creditor's own data (``schuldeiser``: its klantnummer, contact, IBAN and
    invoices), about the client the question names (its klantnummerSHV, the creditor's number and
    invoice numbers as far as the question gives them), the vorderingen as of today; its number is
    fixed by the question's."""
    assert vraag.payload is not None
    code = next((c for c in ANTWOORDEN if c in vraag.antwoordtypen), None)
    if code is None:
        return None
    payload = eigen_gegevens(voorbeeld(vraag.module, code, vraag.versie), schuldeiser, vraag=vraag.payload)
    if "peildatum" in payload:
        payload["peildatum"] = vandaag().isoformat()
    return TeVersturen(
        vraag.afzender,
        code,
        payload,
        vraag.conversatie,
        module=vraag.module,
        versie=vraag.versie,
        antwoord_op=vraag.referentienummer,
        referentienummer=nummer("antwoord", vraag.referentienummer),
    )


def laad_browserdemo(rt: Runtime) -> Uitslag:
    """Register the participants and send what can be sent (both idempotent). Development only."""
    nieuw = registreer(rt)
    uitslag = stuur_demoberichten(rt)
    uitslag.nieuw = nieuw
    return uitslag


def heeft_sleutels(rt: Runtime) -> list[tuple[DemoDeelnemer, bool]]:
    """Per portal participant of this demo that is registered: whether its browser made keys (the
    login page says what to do next for each)."""
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        uit = []
        for d in PORTAALDEELNEMERS:
            deelnemer = deelnemers_store.haal(session, d.oin)
            if deelnemer is not None:
                uit.append((d, heeft_versleutelcertificaat(deelnemer, nu)))
        return uit


def _op_naam(naam: str) -> DemoDeelnemer | None:
    return next((d for d in PORTAALDEELNEMERS if d.naam == naam), None)


def beantwoorder(naam: str) -> str | None:
    """The name of the simulated creditor that answers this debt counsellor of the demo, if any."""
    d = _op_naam(naam)
    return (
        _tegenpartij(BEANTWOORDERS[d.sleutel]).naam if d is not None and d.sleutel in BEANTWOORDERS else None
    )


def opstellen(schuldeiser: str) -> str:
    """What a debt counsellor of this demo does first: a creditor starts nothing itself."""
    return f"stel op de pagina Sleutels een saldoverzoek op aan {schuldeiser} en verstuur het"


def wachtzin(naam: str, *, opnieuw: str = "draai dit opnieuw") -> str:
    """What the CLI and the login page say for a portal participant without keys yet."""
    schuldeiser = beantwoorder(naam)
    if schuldeiser is not None:
        stap = opstellen(schuldeiser)
        return f"{naam}: nog geen sleutels — log in, maak ze in de browser, {stap}, en {opnieuw}"
    return f"{naam}: nog geen sleutels — log in en maak ze in de browser, en {opnieuw}"


def opstelzin(naam: str, *, opnieuw: str = "draai dit opnieuw") -> str:
    """What the CLI and the login page say for a debt counsellor with keys whose creditor has
    nothing of it to answer (yet)."""
    schuldeiser = beantwoorder(naam) or "de schuldeiser"
    stap = opstellen(schuldeiser)
    return f"{naam}: {schuldeiser} heeft niets nieuws te beantwoorden — {stap}, en {opnieuw}"


def antwoordzin(uitslag: Uitslag, naam: str) -> list[str]:
    """What the simulated creditor did for this debt counsellor, in sentences (none: nothing)."""
    schuldeiser = beantwoorder(naam) or "de schuldeiser"
    geopend, beantwoord = uitslag.geopend.get(naam, 0), uitslag.beantwoord.get(naam, 0)
    geweigerd = uitslag.geweigerd.get(naam, 0)
    zinnen = []
    if geopend:
        zinnen.append(
            f"{schuldeiser} opende en bevestigde {meervoud(geopend, 'bericht', 'berichten')} van {naam} en "
            f"stuurde {meervoud(beantwoord, 'antwoord', 'antwoorden')}"
        )
    if geweigerd:
        zinnen.append(
            f"{schuldeiser} weigerde {meervoud(geweigerd, 'bericht', 'berichten')} van {naam} "
            f"{'dat' if geweigerd == 1 else 'die'} het niet kon openen of vertrouwen"
        )
    return zinnen


def uitkomst(uitslag: Uitslag) -> str:
    """What "Demoberichten laten sturen" did for the one participant it was pressed for, as the
    value of ``?demoberichten=`` that `demomelding` reads (counts only, never content)."""
    if uitslag.wacht_op_sleutels:
        return "geen-sleutels"
    if uitslag.niets_te_beantwoorden:
        return "niets"
    if uitslag.geopend or uitslag.geweigerd:
        return f"g{sum(uitslag.geopend.values())}-a{uitslag.antwoorden}-w{sum(uitslag.geweigerd.values())}"
    if uitslag.berichten:
        return str(uitslag.berichten)
    return "al"


OPENEN = "Open {} op de pagina Sleutels: daar ontgrendelt u uw sleutels en haalt u de berichten op."


def demomelding(uitkomst: str | None) -> str | None:
    """What the werkplek says after "Demoberichten laten sturen" (``?demoberichten=``): a text of
    the portal's own for each outcome, nothing for any other value."""
    schuldeiser = _tegenpartij("nuts").naam
    if uitkomst == "al":
        return "De demoberichten zijn al eerder verstuurd; er is niets nieuws."
    if uitkomst == "geen-sleutels":
        return (
            "Uw organisatie heeft nog geen sleutels: maak ze op de pagina Sleutels en druk dan opnieuw op "
            "‘Demoberichten laten sturen’."
        )
    if uitkomst == "niets":
        return (
            f"{schuldeiser} heeft geen nieuwe berichten van u om te beantwoorden: een schuldeiser begint "
            f"zelf niets. Stel eerst een saldoverzoek op aan {schuldeiser} op de pagina Sleutels (Bericht "
            "opstellen), verstuur het en druk dan opnieuw op ‘Demoberichten laten sturen’."
        )
    if uitkomst is not None and uitkomst.isascii() and uitkomst.isdigit() and len(uitkomst) <= 4:
        return (
            f"{meervoud(int(uitkomst), 'demobericht', 'demoberichten')} verstuurd, versleuteld voor uw "
            f"nieuwe certificaat. {OPENEN.format('het' if int(uitkomst) == 1 else 'ze')}"
        )
    gevonden = re.fullmatch(r"g(\d{1,4})-a(\d{1,4})-w(\d{1,4})", uitkomst or "")
    if gevonden is None:
        return None
    geopend, beantwoord, geweigerd = (int(g) for g in gevonden.groups())
    zinnen = []
    if geopend:
        zinnen.append(
            f"{schuldeiser} opende {meervoud(geopend, 'bericht', 'berichten')} van u, controleerde de "
            f"handtekening en bevestigde {'het' if geopend == 1 else 'ze'}."
        )
        if beantwoord:
            zinnen.append(
                f"{schuldeiser} stuurde {meervoud(beantwoord, 'antwoord', 'antwoorden')}, versleuteld voor "
                f"uw certificaat. {OPENEN.format('het' if beantwoord == 1 else 'ze')}"
            )
        else:
            zinnen.append("Er viel niets op te antwoorden.")
    if geweigerd:
        zinnen.append(
            f"{schuldeiser} kon {meervoud(geweigerd, 'bericht', 'berichten')} van u niet openen of "
            f"vertrouwen en weigerde {'het' if geweigerd == 1 else 'ze'}."
        )
    return " ".join(zinnen) or None
