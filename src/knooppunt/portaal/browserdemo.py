"""The portal demo whose participants keep their keys in the browser (issue #14, DESIGN §5 "Portal":
the portal is zero-knowledge), development only (decision 0038).

The hosted demo (``demo.py``) puts its participants' keys in the kluis, so the server opens their
messages: quick for clicking around, but exactly what §5 says must not happen. This demo registers
its portal participants with no key and no certificate at all: a user logs in with the development
login, makes the organisation's keys in the browser (the key page), and the portal CA issues the
certificates. Their counterparts are simulated API participants: certificates from the development
CA with the private keys in files under the development data directory (``pki/browserdemo/``), as
an SDK user keeps them — never in the kluis. They seal with the SDK (``client.jose``) and submit
through the hub's mailbox with every hub rule, as the API does.

A message can only be sealed for a recipient that has a current encryption certificate, so the demo
messages to a portal participant are sent once its browser made keys: ``stuur_demoberichten`` sends
what can be sent and names who it waits for. Every message has a fixed ``referentienummer`` (a UUID
made from the recipient's OIN, the client and the type), so the hub's own record of what a sender
sent — metadata only — is what remembers: running it again sends nothing twice.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from sqlalchemy.orm import Session

from knooppunt.client import jose
from knooppunt.hub import adresboek, audit, mailbox
from knooppunt.hub.fouten import HubFout
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.portaal.demo import SE_MODULES, DemoDeelnemer, _met_klant, alleen_in_ontwikkeling
from knooppunt.portaal.demo import vertrouw_ontwikkel_ca as _vertrouw_ontwikkel_ca
from knooppunt.portaal.gastclient import Gastclient, Gastsleutel, TeVersturen
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store import deelnemers as deelnemers_store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Deelnemer

SR = "schuldregeling"
WIE = "portaal:browserdemo"
MAP = "browserdemo"
"""The counterparts' certificates and private keys: ``<data dir>/pki/browserdemo/<OIN>[-key].pem``."""

NAAMRUIMTE = uuid.UUID("6f1c2a52-8d0e-4c57-9a43-6b1e0c7d2f15")
"""Of the demo messages' fixed numbers (UUIDv5): the same message always gets the same number."""

PORTAALDEELNEMERS = (
    DemoDeelnemer(
        "energie",
        "00000003516123450000",
        "Demo Energie (browsersleutels)",
        "SE",
        "51612345",
        schuldensoorten=("nuts",),
        modules=SE_MODULES,
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


TEGENPARTIJEN = (
    Tegenpartij(
        "gemeente",
        "00000001009876543000",
        "Gemeente Sleutelstad (demo-API)",
        "SHV",
        "51698765",
        modules=("schuldregeling",),
    ),
)


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

    @property
    def berichten(self) -> int:
        return sum(self.verstuurd.values())


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
                ),
                nu,
            )
            nieuw += 1
    return nieuw


def _registreer(rt: Runtime, session: Session, nieuw: adresboek.NieuweDeelnemer, nu: datetime) -> None:
    adresboek.registreer(session, nieuw, nu=nu, ankers=rt.ankers, door=audit.beheerder("browserdemo"))


class Demopartij(Gastclient):
    """A counterpart sending as an SDK user does: it signs with the key from its file and seals with
    ``client.jose`` for the recipient's newest current encryption certificate (checked against the
    trust anchors, as the SDK checks it), then submits through ``hub.mailbox`` — the validation,
    sealing and submitting of `Gastclient`, with a key that never was in the kluis.

    It has no kluis (``sleutel`` below is the only key it has; it opens nothing)."""

    def __init__(self, rt: Runtime, partij: Tegenpartij) -> None:
        super().__init__(rt, None, partij.oin, wie=WIE)
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


def _nummer(*delen: object) -> str:
    return str(uuid.uuid5(NAAMRUIMTE, "|".join(str(d) for d in delen)))


def heeft_versleutelcertificaat(deelnemer: Deelnemer, nu: datetime) -> bool:
    """Whether senders can seal for it now: its browser made keys and the portal CA certified them."""
    return any(c.gebruik_versleuteling and adresboek.is_actueel(c, nu) for c in deelnemer.certificaten)


def stuur_demoberichten(rt: Runtime, *, alleen: str | None = None) -> Uitslag:
    """Send the demo messages to every portal participant of this demo (or only to OIN ``alleen``)
    that has a current encryption certificate and has not had them yet; name the others as waiting
    for keys. Idempotent: a message already sent (its fixed number is in the hub's record of the
    sender) is skipped, also when a concurrent run sent it a moment ago."""
    alleen_in_ontwikkeling(rt)
    uitslag = Uitslag()
    klaar: set[str] = set()
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        for d in PORTAALDEELNEMERS:
            if alleen is not None and d.oin != alleen:
                continue
            deelnemer = deelnemers_store.haal(session, d.oin)
            if deelnemer is not None and heeft_versleutelcertificaat(deelnemer, nu):
                klaar.add(d.sleutel)
            else:
                uitslag.wacht_op_sleutels.append(d.naam)
    partijen: dict[str, Demopartij] = {}
    for b in BERICHTEN:
        if b.ontvanger not in klaar:
            continue
        ontvanger = _portaaldeelnemer(b.ontvanger)
        if b.afzender not in partijen:
            partijen[b.afzender] = Demopartij(rt, _tegenpartij(b.afzender))
        afzender = partijen[b.afzender]
        referentienummer = _nummer(ontvanger.oin, b.klant, b.berichttype)
        if _al_verstuurd(rt, afzender, referentienummer):
            uitslag.al_verstuurd[ontvanger.naam] = uitslag.al_verstuurd.get(ontvanger.naam, 0) + 1
            continue
        bericht = TeVersturen(
            ontvanger.oin,
            b.berichttype,
            _met_klant(voorbeeld(SR, b.berichttype), b.klant),
            _nummer(ontvanger.oin, b.klant),
            referentienummer=referentienummer,
        )
        try:
            afzender.verstuur(bericht, waarvoor="browserdemo")
        except HubFout as fout:
            # A concurrent run sent it between our look and our submit (another JWE, same number).
            if fout.code != "REFERENTIENUMMER_CONFLICT":
                raise
            uitslag.al_verstuurd[ontvanger.naam] = uitslag.al_verstuurd.get(ontvanger.naam, 0) + 1
            continue
        uitslag.verstuurd[ontvanger.naam] = uitslag.verstuurd.get(ontvanger.naam, 0) + 1
    return uitslag


def _al_verstuurd(rt: Runtime, afzender: Demopartij, referentienummer: str) -> bool:
    with transactie(rt.sessions) as session:
        return bool(mailbox.verstuurd_set(session, afzender.deelnemer(session), [referentienummer]))


def laad_browserdemo(rt: Runtime) -> Uitslag:
    """Register the participants and send what can be sent (both idempotent). Development only."""
    nieuw = registreer(rt)
    uitslag = stuur_demoberichten(rt)
    uitslag.nieuw = nieuw
    return uitslag


def wachtzin(naam: str, *, opnieuw: str = "draai dit opnieuw") -> str:
    """What the CLI and the login page say for a portal participant without keys yet."""
    return f"{naam}: nog geen sleutels — log in en maak ze in de browser, en {opnieuw}"


def demomelding(uitkomst: str | None) -> str | None:
    """What the werkplek says after "Demoberichten laten sturen" (``?demoberichten=``): a text of
    the portal's own for each outcome, nothing for any other value."""
    if uitkomst == "al":
        return "De demoberichten zijn al eerder verstuurd; er is niets nieuws."
    if uitkomst == "geen-sleutels":
        return (
            "Uw organisatie heeft nog geen sleutels: maak ze op de pagina Sleutels en druk dan opnieuw op "
            "‘Demoberichten laten sturen’."
        )
    if uitkomst is not None and uitkomst.isascii() and uitkomst.isdigit() and len(uitkomst) <= 4:
        return (
            f"{int(uitkomst)} demoberichten verstuurd, versleuteld voor uw nieuwe certificaat. Open ze op de "
            "pagina Sleutels: daar ontgrendelt u uw sleutels en haalt u de berichten op."
        )
    return None
