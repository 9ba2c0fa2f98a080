"""`knooppunt demo`: a whole schuldregeling between simulated participants, through an embedded hub
over real HTTPS with mutual TLS and real sign-then-encrypt, printed as a timeline.

No setup: a temporary SQLite database and a development PKI in a temporary directory, removed
afterwards. One debt counsellor (Gemeente Voorbeeldstad) and five creditors of the kinds the rules
distinguish: one that identifies clients by BSN (Belastingdienst, publiek), a nuts creditor
(Energie), one with standaard akkoord (Zorgverzekeraar), one that does not know the client
(Woningcorporatie) and one that first declines the betaalvoorstel (Telecom).
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from rich.console import Console
from rich.text import Text

from knooppunt.client.fouten import HubFout
from knooppunt.client.hub import HubClient, Ontvangen, Verzonden
from knooppunt.protocol.payloads.voorbeelden import voorbeeld

SCHULDREGELING = "schuldregeling"


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


PARTIJEN = (
    DemoPartij("gemeente", "00000001001589623000", "Gemeente Voorbeeldstad", "SHV", "30280353", "ec"),
    DemoPartij(
        "belasting",
        "00000001003214345000",
        "Belastingdienst",
        "SE",
        "27364382",
        "ec",
        gebruikt_bsn=True,
        schuldensoorten=("publiek",),
    ),
    DemoPartij(
        "energie", "00000003123456780000", "Energie BV", "SE", "12345678", "rsa", schuldensoorten=("nuts",)
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
    ),
    DemoPartij(
        "woning",
        "00000003567890120000",
        "Woningcorporatie",
        "SE",
        "56789012",
        "rsa",
        schuldensoorten=("overig",),
    ),
    DemoPartij(
        "telecom", "00000003678901230000", "Telecom NL", "SE", "67890123", "ec", schuldensoorten=("overig",)
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


@dataclass
class Tijdlijn:
    stappen: list[Stap] = field(default_factory=list)

    def voeg_toe(self, stap: Stap) -> None:
        self.stappen.append(stap)


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
                        modules=[SCHULDREGELING],
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


# --- the scenario ----------------------------------------------------------------------------------


def _euro(centen: Any) -> str:
    if not isinstance(centen, int):
        return "?"
    return f"€ {centen / 100:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")


def samenvatting(berichttype: str, payload: dict[str, Any]) -> str:
    """What the recipient reads, in one line (the hub never sees any of this)."""
    klant = payload.get("klant") or {}
    naam = " ".join(str(klant.get(k)) for k in ("voorletters", "voorvoegsel", "achternaam") if klant.get(k))
    if berichttype.startswith("kennisgeving_antwoord"):
        return f"klantnummer bij SE {payload.get('klantnummerSE')}"
    if berichttype.startswith("kennisgeving"):
        bsn = " (met BSN)" if klant.get("bsn") else ""
        return f"klant {naam}{bsn} meldt zich voor schuldhulp"
    if berichttype.startswith("saldoverzoek_antwoord"):
        vorderingen = payload.get("vorderingen") or []
        totaal = payload.get("totaalvordering") or {}
        bedrag = (
            sum(int(v.get("actueelBedrag", 0)) for v in vorderingen)
            if vorderingen
            else totaal.get("actueelBedrag")
        )
        akkoord = ", standaard akkoord" if totaal.get("standaardAkkoord") else ""
        return f"openstaand {_euro(bedrag)}{akkoord}"
    if berichttype.startswith("saldoverzoek"):
        return f"graag het saldo van klant {naam} ({payload.get('typeSchuldregeling')})"
    if berichttype == "klant_onbekend":
        reden = payload.get("reden") or {}
        return f"klant onbekend: {reden.get('tekst', '')}".strip()
    if berichttype == "betaalvoorstel":
        return (
            f"aanbod {payload.get('aanbodPercentage')}% over {payload.get('looptijdMaanden')} maanden, "
            f"aflossing {_euro(payload.get('afloscapaciteitPerMaand'))} per maand"
        )
    if berichttype == "betaalvoorstel_akkoord":
        return "akkoord met het betaalvoorstel"
    if berichttype == "betaalvoorstel_niet_akkoord":
        reden = payload.get("reden") or {}
        return f"niet akkoord: {reden.get('tekst', '')}"
    if berichttype == "schuldregeling_geaccordeerd":
        return f"schuldregeling gestart per {payload.get('datumAkkoord')}"
    if berichttype == "schuldregeling_beeindigd":
        reden = payload.get("reden") or {}
        return f"beëindigd: {reden.get('tekst', '')}"
    if berichttype == "statusverzoek":
        return f"hoe staat het ervoor? {payload.get('toelichting', '')}".strip()
    if berichttype == "statusbericht":
        return f"status {payload.get('status')}: {payload.get('toelichting', '')}".strip()
    return ", ".join(sorted(payload))[:80]


class Scenario:
    def __init__(self, hub: IngebeddeHub) -> None:
        self.hub = hub
        self.clients = {
            sleutel: HubClient(hub.url, cert=cert, key=key, ca=hub.ca)
            for sleutel, (cert, key) in hub.certificaten.items()
        }
        self.namen = {p.sleutel: p.naam for p in PARTIJEN}
        self.oins = {p.sleutel: p.oin for p in PARTIJEN}
        self.tijdlijn = Tijdlijn()
        self.conversatie = str(uuid.uuid4())
        self._laatst_ontvangen: Ontvangen | None = None

    def sluit(self) -> None:
        for client in self.clients.values():
            client.close()

    @staticmethod
    def _hubzicht(bericht: dict[str, Any], bevestiging: dict[str, Any] | None) -> str:
        delen = [f"ref {str(bericht['referentienummer'])[:8]}", f"ontvangen {_kort(bericht['ontvangenOp'])}"]
        if bevestiging is None:
            delen.append(f"bevestigen vóór {_kort(bericht['verlooptOp'])}")
        else:
            delen.append(f"bevestigd {_kort(bevestiging.get('bevestigdOp'))}")
            if bevestiging.get("antwoordUiterlijk"):
                delen.append(f"antwoord vóór {_kort(bevestiging['antwoordUiterlijk'])}")
        return " · ".join(delen)

    def stuur(
        self, van: str, naar: str, berichttype: str, payload: dict[str, Any], *, op: Ontvangen | None = None
    ) -> Verzonden | None:
        """Send, then let the recipient fetch, open, confirm; record both views."""
        afzender = self.clients[van]
        try:
            if op is not None:
                verzonden = afzender.antwoord(op, berichttype=berichttype, payload=payload)
            else:
                verzonden = afzender.verstuur(
                    ontvanger=self.oins[naar],
                    berichttype=berichttype,
                    payload=payload,
                    conversatie=self.conversatie,
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
                )
            )
            return None
        ontvanger = self.clients[naar]
        gelezen = "—"
        bevestiging: dict[str, Any] | None = None
        self._laatst_ontvangen = None
        for bericht in ontvanger.ontvang(afzender=self.oins[van]):
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
        self.tijdlijn.voeg_toe(Stap(self.namen[van], self.namen[naar], berichttype, hubzicht, gelezen))
        return verzonden

    def vraag_en_antwoord(
        self, shv: str, se: str, vraag: str, antwoord: str, *, vraag_payload: dict[str, Any] | None = None
    ) -> None:
        if self.stuur(shv, se, vraag, vraag_payload or voorbeeld(SCHULDREGELING, vraag)) is None:
            return
        ontvangen = self._laatst_ontvangen
        if ontvangen is None or ontvangen.payload is None:
            return
        self.stuur(se, shv, antwoord, voorbeeld(SCHULDREGELING, antwoord), op=ontvangen)

    def draai(self) -> None:
        g = "gemeente"
        # Fase 1: melden (art. 3, 4).
        self.vraag_en_antwoord(g, "belasting", "kennisgeving_bsn", "kennisgeving_antwoord")
        self.stuur(g, "energie", "kennisgeving", voorbeeld(SCHULDREGELING, "kennisgeving"))
        # Inventarisatie: saldoverzoeken (art. 5–8).
        self.vraag_en_antwoord(g, "belasting", "saldoverzoek_publiek", "saldoverzoek_antwoord")
        self.vraag_en_antwoord(g, "energie", "saldoverzoek_nuts", "saldoverzoek_antwoord")
        self.vraag_en_antwoord(g, "zorg", "saldoverzoek_zorg", "saldoverzoek_antwoord_standaard_akkoord")
        self.vraag_en_antwoord(g, "woning", "saldoverzoek", "klant_onbekend")
        self.vraag_en_antwoord(g, "telecom", "saldoverzoek", "saldoverzoek_antwoord")
        # Betaalvoorstel (art. 9, 10): not to the creditor that agreed in advance (9.3).
        self.stuur(g, "zorg", "betaalvoorstel", voorbeeld(SCHULDREGELING, "betaalvoorstel"))
        for se in ("belasting", "energie"):
            self.vraag_en_antwoord(g, se, "betaalvoorstel", "betaalvoorstel_akkoord")
        self.vraag_en_antwoord(g, "telecom", "betaalvoorstel", "betaalvoorstel_niet_akkoord")
        beter = voorbeeld(SCHULDREGELING, "betaalvoorstel")
        beter["onderbouwing"] = "Herzien voorstel na overleg: langere looptijd, zelfde aflossing."
        self.vraag_en_antwoord(g, "telecom", "betaalvoorstel", "betaalvoorstel_akkoord", vraag_payload=beter)
        # Akkoord (art. 11) for everyone who agreed, or agreed in advance (7.2).
        for se in ("belasting", "energie", "zorg", "telecom"):
            self.stuur(
                g, se, "schuldregeling_geaccordeerd", voorbeeld(SCHULDREGELING, "schuldregeling_geaccordeerd")
            )
        # The creditor that does not know the client leaves the traject (art. 12).
        self.stuur(
            g, "woning", "schuldregeling_beeindigd", voorbeeld(SCHULDREGELING, "schuldregeling_beeindigd")
        )
        # Statusverzoek answered by a statusbericht (art. 13, 14).
        self.vraag_en_antwoord("telecom", g, "statusverzoek", "statusbericht")

    def hub_notices(self) -> int:
        """Receipts the senders find in their inbox (each confirmation made one)."""
        aantal = 0
        for client in self.clients.values():
            bonnen = [b for b in client.ontvang(afzender="KNOOPPUNT")]
            aantal += len(bonnen)
            if bonnen:
                client.bevestig_meerdere(bonnen)
        return aantal


def _kort(moment: Any) -> str:
    """``2026-12-02T02:15:07.123+01:00`` -> ``2 dec 02:15``, in the hub's (Amsterdam) time."""
    if not moment:
        return "?"
    from datetime import datetime

    waarde = datetime.fromisoformat(str(moment))
    maanden = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
    return f"{waarde.day} {maanden[waarde.month - 1]} {waarde:%H:%M}"


def toon(console: Console, tijdlijn: Tijdlijn, *, bonnen: int, duur: float, database: str) -> None:
    console.rule("[bold]Een schuldregeling via het knooppunt[/bold]")
    console.print(
        "[magenta]knooppunt[/magenta]: wat de hub zag en bewaart (alleen metadata)   "
        "[green]leest[/green]: wat de ontvanger na ontsleutelen en controle van de handtekening las\n"
    )
    for nummer, stap in enumerate(tijdlijn.stappen, start=1):
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
    verstuurd = sum(1 for s in tijdlijn.stappen if not s.fout)
    geweigerd = sum(1 for s in tijdlijn.stappen if s.fout)
    console.rule()
    console.print(
        f"{verstuurd} berichten end-to-end versleuteld verstuurd en bevestigd, {geweigerd} door het "
        f"knooppunt geweigerd, {bonnen} ontvangstbevestigingen; in {duur:.1f} s over HTTPS met "
        "wederzijdse TLS.\nHet knooppunt zag alleen wie welk berichttype aan wie stuurde en wanneer; na "
        f"bevestiging is de inhoud verwijderd ({database})."
    )


def draai_demo(console: Console | None = None, *, map_: Path | None = None) -> Tijdlijn:
    import logging

    from knooppunt.logging import configureer

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
                scenario.draai()
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
