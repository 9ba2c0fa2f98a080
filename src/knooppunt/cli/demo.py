"""`knooppunt demo`: every module of the standard between simulated participants, through an
embedded hub over real HTTPS with mutual TLS and real sign-then-encrypt, printed as one timeline per
module (DESIGN §3–§3b, §8).

No setup: a temporary SQLite database and a development PKI in a temporary directory, removed
afterwards. The cast: a debt counsellor (Gemeente Voorbeeldstad), a kredietbank, the guarantee fund
(SBN), a bewindvoerder and five creditors of the kinds the rules distinguish: one that identifies
clients by BSN (Belastingdienst, publiek), a nuts creditor (Energie), one with standaard akkoord
(Zorgverzekeraar), one that does not know the client (Woningcorporatie) and one that first declines
the betaalvoorstel (Telecom). ``knooppunt demo --module NAME`` runs one module's story.

Every payload is the module's example (``voorbeeld(module, code, versie)``), changed only where the
story needs it and only when the change still validates, so the demo keeps working whatever the
payload models of a module look like.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from rich.console import Console
from rich.text import Text

from knooppunt.client.fouten import HubFout
from knooppunt.client.hub import HubClient, Ontvangen, Verzonden
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.modules.waarborgfonds import sbn
from knooppunt.protocol.modules.waarborgfonds.payloads import Voorbeoordeling
from knooppunt.protocol.payloads import OnbekendPayloadtype, OngeldigePayload, valideer
from knooppunt.protocol.payloads.velden import vandaag
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.protocol.payloads.voorbeeldschuldeisers import Voorbeeldschuldeiser, eigen_gegevens

SCHULDREGELING = "schuldregeling"
_FASE1 = ("schuldregeling", "saldoverzoek", "pauzeknop")
_CREDITEUR = (*_FASE1, "betalingsregeling", "bewind")


@dataclass(frozen=True)
class DemoPartij:
    sleutel: str
    oin: str
    naam: str
    rol: str
    kvk: str
    key_type: str
    gebruikt_bsn: bool = False
    standaard_akkoord: bool = False
    schuldensoorten: tuple[str, ...] = ()
    modules: tuple[str, ...] = _CREDITEUR
    schuldeiser: Voorbeeldschuldeiser | None = None
    """A creditor's own klantnummer, contact, IBAN and invoices in what it sends and receives."""


PARTIJEN = (
    DemoPartij(
        "gemeente", "00000001001589623000", "Gemeente Voorbeeldstad", "SHV", "30280353", "ec", modules=_FASE1
    ),
    DemoPartij(
        "belasting",
        "00000001003214345000",
        "Belastingdienst",
        "SE",
        "27364382",
        "ec",
        gebruikt_bsn=True,
        schuldensoorten=("publiek",),
        schuldeiser=Voorbeeldschuldeiser(
            "Belastingdienst",
            "BD",
            "invordering@belastingdienst.example.nl",
            "NL67INGB0006543210",
            "Aanslag inkomstenbelasting 2023",
            contact="Team Invordering",
        ),
    ),
    DemoPartij(
        "energie",
        "00000003123456780000",
        "Energie BV",
        "SE",
        "12345678",
        "rsa",
        schuldensoorten=("nuts",),
        schuldeiser=Voorbeeldschuldeiser(
            "Energie B.V.",
            "EN",
            "bijzonderbeheer@energie.example.nl",
            "NL91ABNA0417164300",
            "Jaarafrekening energie 2023",
        ),
    ),
    DemoPartij(
        "zorg",
        "00000003456789010000",
        "Zorgverzekeraar NV",
        "SE",
        "45678901",
        "ec",
        standaard_akkoord=True,
        schuldensoorten=("zorg",),
        schuldeiser=Voorbeeldschuldeiser(
            "Zorgverzekeraar N.V.",
            "ZV",
            "premie-incasso@zorgverzekeraar.example.nl",
            "NL68KNAB0256789012",
            "Achterstallige zorgpremie 2023",
            contact="Team Premie-incasso",
        ),
    ),
    DemoPartij(
        "woning",
        "00000003567890120000",
        "Woningcorporatie",
        "SE",
        "56789012",
        "rsa",
        schuldensoorten=("overig",),
        schuldeiser=Voorbeeldschuldeiser(
            "Stichting Woningcorporatie",
            "WC",
            "huurincasso@woningcorporatie.example.nl",
            "NL81RABO0312345678",
            "Huurachterstand 2023",
            contact="Team Huurincasso",
        ),
    ),
    DemoPartij(
        "telecom",
        "00000003678901230000",
        "Telecom NL",
        "SE",
        "67890123",
        "ec",
        schuldensoorten=("overig",),
        schuldeiser=Voorbeeldschuldeiser(
            "Telecom Nederland B.V.",
            "TN",
            "incasso@telecom.example.nl",
            "NL76ABNA0501234567",
            "Openstaande abonnementskosten 2023",
            contact="Team Incasso",
        ),
    ),
    DemoPartij(
        "kredietbank",
        "00000003301234560000",
        "Kredietbank Voorbeeldstad",
        "SHV",
        "30123456",
        "ec",
        modules=("betalingsregeling", "waarborgfonds"),
    ),
    DemoPartij(
        "sbn",
        "00000003411234560000",
        "Waarborgfonds Saneringskredieten (SBN)",
        "WF",
        "41123456",
        "ec",
        modules=("waarborgfonds",),
    ),
    DemoPartij(
        "bewind",
        "00000003512345670000",
        "Bewindvoering Noord",
        "BW",
        "51234567",
        "rsa",
        modules=("bewind", "saldoverzoek"),
    ),
)


@dataclass
class Stap:
    van: str
    naar: str
    berichttype: str
    hub: str
    gelezen: str
    fout: bool = False
    module: str = SCHULDREGELING
    versie: str = ""


@dataclass
class Verhaal:
    """One module's story: its title and its steps."""

    titel: str
    module: str
    stappen: list[Stap] = field(default_factory=list)


@dataclass
class Tijdlijn:
    verhalen: list[Verhaal] = field(default_factory=list)

    @property
    def stappen(self) -> list[Stap]:
        return [s for v in self.verhalen for s in v.stappen]

    def begin(self, titel: str, module: str) -> None:
        self.verhalen.append(Verhaal(titel, module))

    def voeg_toe(self, stap: Stap) -> None:
        if not self.verhalen:
            self.begin("Berichten", stap.module)
        self.verhalen[-1].stappen.append(stap)


# --- the embedded hub ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IngebeddeHub:
    url: str
    ca: Path
    certificaten: dict[str, tuple[Path, Path]]
    database: str


@contextmanager
def ingebedde_hub(map_: Path) -> Iterator[IngebeddeHub]:
    """A hub in this process: development PKI, temporary SQLite, uvicorn with mutual TLS on a free
    port of 127.0.0.1, the participants registered. Stopped and removed on exit."""
    from knooppunt import runtime as runtime_mod
    from knooppunt.app import create_app
    from knooppunt.cli.serve import ServeOpties, _bind_tcp, _uvicorn_config
    from knooppunt.config import Settings
    from knooppunt.hub import adresboek
    from knooppunt.pki import ontwikkel_ca
    from knooppunt.pki.certificaat import lees_pem
    from knooppunt.store.db import db_nu, transactie

    pki = map_ / "pki"
    ontwikkel_ca.init(pki)
    certificaten: dict[str, tuple[Path, Path]] = {}
    for partij in PARTIJEN:
        uit = ontwikkel_ca.issue(pki, oin=partij.oin, naam=partij.naam, key_type=partij.key_type)
        certificaten[partij.sleutel] = (uit.certificaat, uit.sleutel)
    database = f"sqlite:///{map_ / 'knooppunt.sqlite3'}"
    settings = Settings(
        env="development",
        data_dir=map_,
        database_url=database,
        trust_anchors=[pki / "ca.pem"],
    )
    rt = runtime_mod.bouw(settings)
    try:
        with transactie(rt.sessions) as session:
            nu = db_nu(session)
            for partij in PARTIJEN:
                cert_pad = certificaten[partij.sleutel][0]
                adresboek.registreer(
                    session,
                    adresboek.NieuweDeelnemer(
                        oin=partij.oin,
                        naam=partij.naam,
                        rol=partij.rol,
                        kvk_nummer=partij.kvk,
                        modules=list(partij.modules),
                        certificaten=[lees_pem(cert_pad.read_bytes())],
                        gebruikt_bsn=partij.gebruikt_bsn,
                        standaard_akkoord=partij.standaard_akkoord,
                        schuldensoorten=list(partij.schuldensoorten),
                    ),
                    nu=nu,
                    ankers=rt.ankers,
                    door="beheer:demo",
                )
        sock = _bind_tcp("127.0.0.1", 0)
        poort = sock.getsockname()[1]
        opties = ServeOpties(
            host="127.0.0.1",
            port=poort,
            tls_cert=pki / "server.pem",
            tls_key=pki / "server-key.pem",
            client_ca=pki / "ca.pem",
            proxy=False,
            uds=None,
            ops_port=None,
            ops_host="127.0.0.1",
            jobs=False,
            job_interval=60.0,
        )
        server = uvicorn.Server(_uvicorn_config(create_app(rt), opties, pki / "ca.pem", log_level="warning"))
        draad = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])), name="knooppunt-demo", daemon=True
        )
        draad.start()
        einde = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > einde or not draad.is_alive():
                raise RuntimeError("de ingebedde hub startte niet")
            time.sleep(0.02)
        try:
            yield IngebeddeHub(
                url=f"https://localhost:{poort}",
                ca=pki / "ca.pem",
                certificaten=certificaten,
                database=database,
            )
        finally:
            server.should_exit = True
            draad.join(10)
            sock.close()
    finally:
        rt.close()


# --- payloads -------------------------------------------------------------------------------------


def payload(module: str, code: str, versie: str, **wijziging: Any) -> dict[str, Any]:
    """The example payload of this type, with the story's changes if they still validate against
    the type's model (otherwise the example unchanged: the demo never depends on a field that a
    module's model may not have). A value None removes the field."""
    basis = voorbeeld(module, code, versie)
    if not wijziging:
        return basis
    gewijzigd = {k: v for k, v in (basis | wijziging).items() if v is not None}
    try:
        valideer(module, code, versie, gewijzigd)
    except (OngeldigePayload, OnbekendPayloadtype):
        return basis
    return gewijzigd


# --- the simulated fund ---------------------------------------------------------------------------


def sbn_besluit(aanvraag: Mapping[str, Any], drempels: sbn.Drempels = sbn.STANDAARD) -> list[str]:
    """How the simulated fund decides an aanvraag borgstelling, by SBN's published rules
    (``waarborgfonds/sbn.py``): the gebeurtenissen it sends, in order — given at once below
    ``direct_tot`` within ``direct_max_looptijd`` months, refused from ``afwijzen_vanaf``, anything
    between first ``aanvraag_in_behandeling`` and then decided. Thresholds are per kredietbank."""
    model = valideer("waarborgfonds", "aanvraag_borgstelling", "2.0", dict(aanvraag))
    assert isinstance(model, Voorbeoordeling)
    return list(sbn.gebeurtenissen(model, nu=vandaag(), drempels=drempels))


_TOELICHTING = {
    "borgstelling_afgegeven": "borgstelling afgegeven",
    "aanvraag_afgewezen": "afgewezen: kredietsom boven de grens van het fonds",
    "aanvraag_in_behandeling": "in behandeling: maatwerk, wordt handmatig beoordeeld",
}


# --- what the recipient reads -----------------------------------------------------------------------


def _euro(centen: Any) -> str:
    if not isinstance(centen, int):
        return "?"
    return f"€ {centen / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def _reden(payload: Mapping[str, Any]) -> str:
    reden = payload.get("reden")
    if isinstance(reden, Mapping):
        return str(reden.get("tekst") or reden.get("code") or "")
    return str(reden or payload.get("toelichting") or "")


def samenvatting(berichttype: str, payload: dict[str, Any]) -> str:
    """What the recipient reads, in one line (the hub never sees any of this)."""
    if not payload:
        return "(het voorbeeld van dit type is nog leeg)"
    klant = payload.get("klant") or {}
    naam = " ".join(str(klant.get(k)) for k in ("voorletters", "voorvoegsel", "achternaam") if klant.get(k))
    naam = naam or "?"
    pauze = payload.get("pauze") if isinstance(payload.get("pauze"), Mapping) else None
    if berichttype.startswith("kennisgeving_antwoord"):
        tekst = f"klantnummer bij SE {payload.get('klantnummerSE')}"
        if pauze is not None:
            tekst += (
                f"; incasso opgeschort tot {pauze.get('incassoOpgeschortTot')}"
                if pauze.get("akkoord")
                else f"; geen pauze: {pauze.get('reden', '')}"
            )
        return tekst
    if berichttype.startswith("kennisgeving"):
        bsn = " (met BSN)" if klant.get("bsn") else ""
        if pauze is not None:
            return (
                f"klant {naam}{bsn}: pauze ({pauze.get('fase')}) van {pauze.get('ingangsdatum')} "
                f"tot {pauze.get('einddatum')}"
            )
        return f"klant {naam}{bsn} meldt zich voor schuldhulp"
    if berichttype.startswith("saldoverzoek_antwoord"):
        vorderingen = payload.get("vorderingen") or []
        totaal = payload.get("totaalvordering") or {}
        openstaand = payload.get("openstaandeSchulden") or []
        if openstaand:
            som = sum(int(s.get("actueelBedrag", 0)) for s in openstaand)
            return f"ongematchte schulden: {len(openstaand)}, samen {_euro(som)}"
        bedrag = (
            sum(int(v.get("actueelBedrag", 0)) for v in vorderingen)
            if vorderingen
            else totaal.get("actueelBedrag")
        )
        akkoord = ", standaard akkoord" if totaal.get("standaardAkkoord") else ""
        return f"openstaand {_euro(bedrag)}{akkoord}"
    if berichttype.startswith("saldoverzoek"):
        grondslag = f", grondslag {payload['grondslag']}" if payload.get("grondslag") else ""
        soort = f" ({payload['typeSchuldregeling']})" if payload.get("typeSchuldregeling") else ""
        return f"graag het saldo van klant {naam}{soort}{grondslag}"
    if berichttype in ("klant_onbekend", "geen_medewerking"):
        reden = payload.get("reden")
        code = f"{reden.get('code')}: " if isinstance(reden, Mapping) and reden.get("code") else ""
        return f"{berichttype.replace('_', ' ')}: {code}{_reden(payload)}".strip()
    if berichttype == "betaalvoorstel":
        if payload.get("typeSchuldregeling") in ("BR", "HF"):
            return (
                f"betalingsregeling ({payload.get('typeSchuldregeling')}): {payload.get('aantalTermijnen')} "
                f"termijnen van {_euro(payload.get('termijnbedrag'))}"
            )
        return (
            f"aanbod {payload.get('aanbodPercentage')}% over {payload.get('looptijdMaanden')} maanden, "
            f"aflossing {_euro(payload.get('afloscapaciteitPerMaand'))} per maand"
        )
    if berichttype == "heroverweging":
        return (
            f"graag heroverwegen: {payload.get('onderbouwing') or payload.get('toelichting') or ''}".strip()
        )
    if berichttype == "betaalvoorstel_akkoord":
        return "akkoord met het betaalvoorstel"
    if berichttype == "betaalvoorstel_niet_akkoord":
        return f"niet akkoord: {_reden(payload)}"
    if berichttype == "schuldregeling_geaccordeerd":
        return f"schuldregeling gestart per {payload.get('datumAkkoord')}"
    if berichttype == "schuldregeling_beeindigd":
        return f"beëindigd: {_reden(payload)}"
    if berichttype == "statusverzoek":
        return f"hoe staat het ervoor? {payload.get('toelichting', '')}".strip()
    if berichttype == "statusbericht":
        return f"status {payload.get('status')}: {payload.get('toelichting', '')}".strip()
    if berichttype in ("aanvraag_borgstelling", "voorbeoordeling", "aanvraag_overname"):
        return (
            f"borgstelling gevraagd voor {payload.get('kenmerk')}: {_euro(payload.get('brutoKredietsom'))} "
            f"over {payload.get('looptijdMaanden')} maanden"
        )
    if berichttype == "gebeurtenis":
        return f"{payload.get('kenmerk')}: {payload.get('gebeurtenis')} — {payload.get('toelichting', '')}"
    if berichttype == "melding_bewind":
        return (
            f"klant {naam} onder {payload.get('soort', 'bewind')} per {payload.get('ingangsdatum')}".replace(
                "klant  ", "klant "
            )
        )
    if berichttype == "melding_bewind_antwoord":
        return f"klantnummer bij SE {payload.get('klantnummerSE')}; vorderingen genoteerd"
    if berichttype == "einde_bewind":
        return f"bewind geëindigd per {payload.get('einddatum')}"
    if berichttype == "pauze_beeindigd":
        return f"pauze beëindigd per {payload.get('einddatum') or payload.get('datum') or '?'}"
    return ", ".join(sorted(payload))[:80] or "(voorbeeldinhoud)"


# --- the scenario ----------------------------------------------------------------------------------


class Scenario:
    def __init__(self, hub: IngebeddeHub) -> None:
        self.hub = hub
        self.clients = {
            # Every key of the demo is made by the demo itself, a minute ago: a warning about young
            # encryption certificates (DESIGN §5 key transparency) would be noise here.
            sleutel: HubClient(hub.url, cert=cert, key=key, ca=hub.ca, jong_certificaat_dagen=0)
            for sleutel, (cert, key) in hub.certificaten.items()
        }
        self.namen = {p.sleutel: p.naam for p in PARTIJEN}
        self.schuldeisers = {p.sleutel: p.schuldeiser for p in PARTIJEN if p.schuldeiser is not None}
        self.oins = {p.sleutel: p.oin for p in PARTIJEN}
        self.tijdlijn = Tijdlijn()
        self.conversatie = str(uuid.uuid4())
        self.module = SCHULDREGELING
        self.versie: str | None = "1.0"
        self._laatst_ontvangen: Ontvangen | None = None

    def sluit(self) -> None:
        for client in self.clients.values():
            client.close()

    def begin(self, titel: str, module: str, versie: str | None = None) -> None:
        """A new story: its own conversation; new messages in ``versie`` (None: the highest version
        both parties accept, as the SDK chooses it)."""
        self.tijdlijn.begin(titel, module)
        self.conversatie = str(uuid.uuid4())
        self.module = module
        self.versie = versie

    @staticmethod
    def _hubzicht(bericht: dict[str, Any], bevestiging: dict[str, Any] | None) -> str:
        delen = [
            f"ref {str(bericht['referentienummer'])[:8]}",
            f"{bericht['module']} {bericht['versie']}",
            f"ontvangen {_kort(bericht['ontvangenOp'])}",
        ]
        if bevestiging is None:
            delen.append(f"bevestigen vóór {_kort(bericht['verlooptOp'])}")
        else:
            delen.append(f"bevestigd {_kort(bevestiging.get('bevestigdOp'))}")
            if bevestiging.get("antwoordUiterlijk"):
                delen.append(f"antwoord vóór {_kort(bevestiging['antwoordUiterlijk'])}")
        return " · ".join(delen)

    def voorbeeld(self, code: str, **wijziging: Any) -> dict[str, Any]:
        """The story's payload of ``code`` in the current module and version."""
        versie = self.versie or CATALOGUS.versies(self.module, code)[-1]
        return payload(self.module, code, versie, **wijziging)

    def stuur(
        self, van: str, naar: str, berichttype: str, inhoud: dict[str, Any], *, op: Ontvangen | None = None
    ) -> Verzonden | None:
        """Send (an answer when ``op`` is given: in its module and version), then let the recipient
        fetch, open, confirm; record both views. What a creditor sends or receives carries its own
        data (`eigen`)."""
        inhoud = self.eigen(van, naar, inhoud, op)
        afzender = self.clients[van]
        try:
            if op is not None:
                verzonden = afzender.antwoord(op, berichttype=berichttype, payload=inhoud)
            else:
                verzonden = afzender.verstuur(
                    ontvanger=self.oins[naar],
                    berichttype=berichttype,
                    payload=inhoud,
                    conversatie=self.conversatie,
                    module=self.module,
                    versie=self.versie,
                )
        except HubFout as fout:
            self.tijdlijn.voeg_toe(
                Stap(
                    self.namen[van],
                    self.namen[naar],
                    berichttype,
                    f"geweigerd: {fout.status} {fout.code}",
                    fout.detail,
                    fout=True,
                    module=self.module,
                )
            )
            return None
        ontvanger = self.clients[naar]
        gelezen = "—"
        bevestiging: dict[str, Any] | None = None
        self._laatst_ontvangen = None
        for bericht in ontvanger.ontvang(afzender=self.oins[van], module=self.module):
            if bericht.referentienummer != verzonden.referentienummer:
                continue
            if bericht.payload is None:
                gelezen = f"geweigerd door ontvanger: {bericht.fout}"
                ontvanger.weiger(bericht)
            else:
                gelezen = samenvatting(berichttype, bericht.payload)
                bevestiging = ontvanger.bevestig(bericht)
            self._laatst_ontvangen = bericht
        hubzicht = self._hubzicht(verzonden.bericht, bevestiging)
        if verzonden.waarschuwingen:
            gelezen += "  [SDK waarschuwt: " + "; ".join(verzonden.waarschuwingen) + "]"
        self.tijdlijn.voeg_toe(
            Stap(
                self.namen[van],
                self.namen[naar],
                berichttype,
                hubzicht,
                gelezen,
                module=str(verzonden.bericht["module"]),
                versie=str(verzonden.bericht["versie"]),
            )
        )
        return verzonden

    def eigen(self, van: str, naar: str, inhoud: dict[str, Any], op: Ontvangen | None) -> dict[str, Any]:
        """The payload with the creditor's own klantnummer, contact, IBAN and invoices in place of
        the examples' energy company (``voorbeeldschuldeisers``), echoing the question ``op`` where
        it answers one (every example stays valid so: tests/unit/test_voorbeeldschuldeisers.py)."""
        schuldeiser = self.schuldeisers.get(van) or self.schuldeisers.get(naar)
        if schuldeiser is None:
            return inhoud
        return eigen_gegevens(inhoud, schuldeiser, vraag=op.payload if op is not None else None)

    def vraag_en_antwoord(
        self,
        van: str,
        naar: str,
        vraag: str,
        antwoord: str,
        *,
        vraag_payload: dict[str, Any] | None = None,
        antwoord_payload: dict[str, Any] | None = None,
    ) -> Ontvangen | None:
        """A question and its answer; returns the answer as the questioner received it."""
        if self.stuur(van, naar, vraag, vraag_payload or self.voorbeeld(vraag)) is None:
            return None
        ontvangen = self._laatst_ontvangen
        if ontvangen is None or ontvangen.payload is None:
            return None
        inhoud = antwoord_payload or payload(ontvangen.module, antwoord, ontvangen.versie)
        self.stuur(naar, van, antwoord, inhoud, op=ontvangen)
        return self._laatst_ontvangen

    # --- the stories, one per module -----------------------------------------------------------

    def pauzeknop(self) -> None:
        """Landelijke pauzeknop: the kennisgeving carries the pause; creditors answer it."""
        self.begin("Landelijke pauzeknop (pauzeknop 2.0)", "pauzeknop")
        g = "gemeente"
        self.vraag_en_antwoord(g, "energie", "kennisgeving", "kennisgeving_antwoord")
        self.vraag_en_antwoord(g, "belasting", "kennisgeving_bsn", "kennisgeving_antwoord")
        self.stuur(g, "energie", "pauze_beeindigd", self.voorbeeld("pauze_beeindigd"))

    def saldoverzoek(self) -> None:
        """Fase 1, schuldinventarisatie: saldoverzoeken answered with ongematchte schulden."""
        self.begin("Schuldinventarisatie, fase 1 (saldoverzoek 2.0)", "saldoverzoek")
        g = "gemeente"
        ongematcht = payload(
            "saldoverzoek",
            "saldoverzoek_antwoord",
            "2.0",
            vorderingen=None,
            openstaandeSchulden=[
                {"actueelBedrag": 30000, "omschrijving": "Eindafrekening vorig adres"},
                {"actueelBedrag": 125000, "omschrijving": "Jaarafrekening energie"},
            ],
        )
        self.vraag_en_antwoord(
            g, "energie", "saldoverzoek_nuts", "saldoverzoek_antwoord", antwoord_payload=ongematcht
        )
        self.vraag_en_antwoord(g, "woning", "saldoverzoek", "geen_medewerking")
        # A bewindvoerder inventories too, for its own client, on the court's beschikking (DESIGN §3b).
        self.begin("Schuldinventarisatie door een bewindvoerder (saldoverzoek 2.0)", "saldoverzoek")
        self.vraag_en_antwoord("bewind", "belasting", "saldoverzoek_publiek", "saldoverzoek_antwoord")

    def schuldregeling_1_0(self) -> None:
        """The handbook's schuldregeling, protocol 1.0 (articles 3–15)."""
        self.begin("Schuldregeling (protocol 1.0)", SCHULDREGELING, "1.0")
        g = "gemeente"
        # Fase 1: melden (art. 3, 4).
        self.vraag_en_antwoord(g, "belasting", "kennisgeving_bsn", "kennisgeving_antwoord")
        self.stuur(g, "energie", "kennisgeving", self.voorbeeld("kennisgeving"))
        # Inventarisatie: saldoverzoeken (art. 5–8).
        self.vraag_en_antwoord(g, "belasting", "saldoverzoek_publiek", "saldoverzoek_antwoord")
        self.vraag_en_antwoord(g, "energie", "saldoverzoek_nuts", "saldoverzoek_antwoord")
        self.vraag_en_antwoord(g, "zorg", "saldoverzoek_zorg", "saldoverzoek_antwoord_standaard_akkoord")
        self.vraag_en_antwoord(g, "woning", "saldoverzoek", "klant_onbekend")
        self.vraag_en_antwoord(g, "telecom", "saldoverzoek", "saldoverzoek_antwoord")
        # Betaalvoorstel (art. 9, 10): not to the creditor that agreed in advance (9.3).
        self.stuur(g, "zorg", "betaalvoorstel", self.voorbeeld("betaalvoorstel"))
        for se in ("belasting", "energie"):
            self.vraag_en_antwoord(g, se, "betaalvoorstel", "betaalvoorstel_akkoord")
        self.vraag_en_antwoord(g, "telecom", "betaalvoorstel", "betaalvoorstel_niet_akkoord")
        beter = self.voorbeeld(
            "betaalvoorstel", onderbouwing="Herzien voorstel na overleg: langere looptijd, zelfde aflossing."
        )
        self.vraag_en_antwoord(g, "telecom", "betaalvoorstel", "betaalvoorstel_akkoord", vraag_payload=beter)
        # Akkoord (art. 11) for everyone who agreed, or agreed in advance (7.2).
        for se in ("belasting", "energie", "zorg", "telecom"):
            self.stuur(g, se, "schuldregeling_geaccordeerd", self.voorbeeld("schuldregeling_geaccordeerd"))
        # The creditor that does not know the client leaves the traject (art. 12).
        self.stuur(g, "woning", "schuldregeling_beeindigd", self.voorbeeld("schuldregeling_beeindigd"))
        # Statusverzoek answered by a statusbericht (art. 13, 14).
        self.vraag_en_antwoord("telecom", g, "statusverzoek", "statusbericht")

    def schuldregeling_2_0(self) -> None:
        """Afsprakenstelsel 2.0: a niet-akkoord, a heroverweging that refers to it, then akkoord."""
        self.begin("Schuldregeling met heroverweging (protocol 2.0)", SCHULDREGELING)
        g = "gemeente"
        self.vraag_en_antwoord(g, "telecom", "saldoverzoek", "saldoverzoek_antwoord")
        niet_akkoord = self.vraag_en_antwoord(g, "telecom", "betaalvoorstel", "betaalvoorstel_niet_akkoord")
        if niet_akkoord is None:
            return
        # The heroverweging refers to the niet-akkoord (it does not answer it) and is answered itself.
        if (
            self.stuur(
                g,
                "telecom",
                "heroverweging",
                payload(SCHULDREGELING, "heroverweging", niet_akkoord.versie),
                op=niet_akkoord,
            )
            is None
        ):
            return
        verzoek = self._laatst_ontvangen
        if verzoek is None or verzoek.payload is None:
            return
        self.stuur(
            "telecom",
            g,
            "betaalvoorstel_akkoord",
            payload(SCHULDREGELING, "betaalvoorstel_akkoord", verzoek.versie),
            op=verzoek,
        )
        self.stuur(g, "telecom", "schuldregeling_geaccordeerd", self.voorbeeld("schuldregeling_geaccordeerd"))

    def betalingsregeling(self) -> None:
        """A betalingsregeling: every debt paid in full, in terms."""
        self.begin("Betalingsregeling (betalingsregeling 2.0)", "betalingsregeling")
        kb = "kredietbank"
        self.vraag_en_antwoord(kb, "energie", "saldoverzoek_nuts", "saldoverzoek_antwoord")
        self.vraag_en_antwoord(kb, "energie", "betaalvoorstel", "betaalvoorstel_akkoord")
        self.stuur(
            kb, "energie", "schuldregeling_geaccordeerd", self.voorbeeld("schuldregeling_geaccordeerd")
        )

    def waarborgfonds(self) -> None:
        """Three aanvragen borgstelling, each its own case (conversation), decided by the fund."""
        drempels = sbn.STANDAARD
        for nummer, (som, looptijd) in enumerate(((480_000, 36), (1_200_000, 60), (750_000, 48)), start=1):
            kenmerk = f"KB-2026-{100 + nummer:04d}"
            self.begin(f"Waarborgfonds: aanvraag {kenmerk} (waarborgfonds 2.0)", "waarborgfonds")
            aanvraag = self.voorbeeld(
                "aanvraag_borgstelling", kenmerk=kenmerk, brutoKredietsom=som, looptijdMaanden=looptijd
            )
            if self.stuur("kredietbank", "sbn", "aanvraag_borgstelling", aanvraag) is None:
                continue
            ontvangen = self._laatst_ontvangen
            if ontvangen is None or ontvangen.payload is None:
                continue
            for index, gebeurtenis in enumerate(sbn_besluit(ontvangen.payload, drempels)):
                inhoud = self.voorbeeld(
                    "gebeurtenis",
                    kenmerk=ontvangen.payload.get("kenmerk", kenmerk),
                    gebeurtenis=gebeurtenis,
                    toelichting=_TOELICHTING.get(gebeurtenis, gebeurtenis),
                )
                # The first answers the aanvraag; a later one is a new event in the case's conversation.
                self.stuur("sbn", "kredietbank", "gebeurtenis", inhoud, op=ontvangen if index == 0 else None)

    def bewind(self) -> None:
        """Meldingen bewindvoering: the bewindvoerder tells the creditors."""
        self.begin("Meldingen bewindvoering (bewind 2.0)", "bewind")
        bw = "bewind"
        self.vraag_en_antwoord(bw, "energie", "melding_bewind", "melding_bewind_antwoord")
        self.vraag_en_antwoord(bw, "woning", "melding_bewind", "geen_medewerking")
        self.stuur(bw, "energie", "einde_bewind", self.voorbeeld("einde_bewind"))

    def hub_notices(self) -> int:
        """Receipts the senders find in their inbox (each confirmation made one)."""
        aantal = 0
        for client in self.clients.values():
            bonnen = [b for b in client.ontvang(afzender="KNOOPPUNT")]
            aantal += len(bonnen)
            if bonnen:
                client.bevestig_meerdere(bonnen)
        return aantal


VERHALEN: dict[str, tuple[Callable[[Scenario], None], ...]] = {
    "pauzeknop": (Scenario.pauzeknop,),
    "saldoverzoek": (Scenario.saldoverzoek,),
    "schuldregeling": (Scenario.schuldregeling_1_0, Scenario.schuldregeling_2_0),
    "betalingsregeling": (Scenario.betalingsregeling,),
    "waarborgfonds": (Scenario.waarborgfonds,),
    "bewind": (Scenario.bewind,),
}
"""Each module's stories, in the order of a client's traject."""


def _kort(moment: Any) -> str:
    """``2026-12-02T02:15:07.123+01:00`` -> ``2 dec 02:15``, in the hub's (Amsterdam) time."""
    if not moment:
        return "?"
    from datetime import datetime

    waarde = datetime.fromisoformat(str(moment))
    maanden = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
    return f"{waarde.day} {maanden[waarde.month - 1]} {waarde:%H:%M}"


def toon(console: Console, tijdlijn: Tijdlijn, *, bonnen: int, duur: float, database: str) -> None:
    console.print(
        "[magenta]knooppunt[/magenta]: wat de hub zag en bewaart (alleen metadata)   "
        "[green]leest[/green]: wat de ontvanger na ontsleutelen en controle van de handtekening las"
    )
    for verhaal in tijdlijn.verhalen:
        console.print()
        console.rule(f"[bold]{verhaal.titel}[/bold]")
        for nummer, stap in enumerate(verhaal.stappen, start=1):
            regel = Text()
            regel.append(f"{nummer:>2}  ", style="dim")
            regel.append(f"{stap.van} → {stap.naar}", style="bold")
            regel.append(f"   {stap.berichttype}", style="cyan")
            console.print(regel)
            kleur = "red" if stap.fout else "magenta"
            console.print(Text("      knooppunt: ", style=kleur) + Text(stap.hub), overflow="fold")
            if stap.fout:
                console.print(Text("      reden: ", style="red") + Text(stap.gelezen), overflow="fold")
            else:
                console.print(Text("      leest: ", style="green") + Text(stap.gelezen), overflow="fold")
    stappen = tijdlijn.stappen
    verstuurd = sum(1 for s in stappen if not s.fout)
    geweigerd = sum(1 for s in stappen if s.fout)
    modules = sorted({v.module for v in tijdlijn.verhalen})
    console.rule()
    console.print(
        f"{verstuurd} berichten end-to-end versleuteld verstuurd en bevestigd in {len(modules)} "
        f"module(s) ({', '.join(modules)}), {geweigerd} door het knooppunt geweigerd, {bonnen} "
        f"ontvangstbevestigingen; in {duur:.1f} s over HTTPS met wederzijdse TLS.\nHet knooppunt zag "
        "alleen wie welk berichttype in welke module en versie aan wie stuurde en wanneer; na "
        f"bevestiging is de inhoud verwijderd ({database})."
    )


class OnbekendeDemoModule(ValueError):
    """``knooppunt demo --module`` named no module with a story."""


def draai_demo(
    console: Console | None = None, *, map_: Path | None = None, module: str | None = None
) -> Tijdlijn:
    """Run every module's story (or only ``module``'s) and print the timelines."""
    import logging

    from knooppunt.logging import configureer

    if module is not None and module not in VERHALEN:
        raise OnbekendeDemoModule(f"module {module!r} heeft geen demo; kies uit {', '.join(VERHALEN)}")
    # The hub's request log would drown the timeline; warnings and errors still show.
    configureer(niveau=logging.WARNING)
    console = console or Console()
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="knooppunt-demo-") as tijdelijk:
        basis = map_ or Path(tijdelijk)
        console.print("[dim]Ingebedde hub starten: ontwikkel-PKI, tijdelijke SQLite, mutual TLS …[/dim]")
        with ingebedde_hub(basis) as hub:
            scenario = Scenario(hub)
            try:
                for naam, verhalen in VERHALEN.items():
                    if module is None or naam == module:
                        for verhaal in verhalen:
                            verhaal(scenario)
                bonnen = scenario.hub_notices()
            finally:
                scenario.sluit()
            toon(
                console,
                scenario.tijdlijn,
                bonnen=bonnen,
                duur=time.monotonic() - start,
                database="tijdelijke SQLite, wordt nu opgeruimd",
            )
    return scenario.tijdlijn
