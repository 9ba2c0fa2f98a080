"""A load generator cheap enough not to be the bottleneck: raw TLS HTTP/1.1 keep-alive clients in
several processes.

Every request is serialised to bytes before the clock starts (request line, headers, 2 KB JWE
envelope); a response is parsed only as far as needed (status line, Content-Length or chunked,
body). Layout: `zend_processen` sender processes sharing `threads` sending connections between them
(a thread per connection, blocked in recv most of the time), and `ontvang_processen` receiver
processes, each draining one or more recipients (a thread and connection per recipient): GET
/api/v1/berichten?limit=100, then POST /api/v1/bevestigingen with the referentienummers of the
page — the same semantics as the httpx generator in bench/belasting.py (``--lastgever httpx``).

Processes are forked (the prepared requests are inherited, not pickled), connect and shake hands,
then wait at a barrier; the clock starts when all are ready. Each process reports its own CPU
(getrusage, all its threads) from the start signal to its last request; the CPU meter adds the
parent's. Times are time.perf_counter() (CLOCK_MONOTONIC, one clock for all processes).

``per_verzending=100``: the senders submit through POST /api/v1/verzendingen, 100 envelopes of one
sender per request (DESIGN §4); submit latency is then per request of 100.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import re
import resource
import socket
import ssl
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from belasting import Klaar, leeg_inbox, percentielen
from omgeving import CpuMeter, Hub, Partij, per_bericht_ms, wacht_op_rust

FORK = mp.get_context("fork")
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d+)")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def verzoek(methode: str, pad: str, host: str, body: bytes | None = None) -> bytes:
    """One HTTP/1.1 request as bytes."""
    kop = f"{methode} {pad} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\n"
    if body is not None:
        kop += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return kop.encode("ascii") + b"\r\n" + (body or b"")


class Verbinding:
    """One keep-alive TLS connection (mutual TLS with the participant's certificate). Reconnects
    when the server said ``Connection: close`` (nginx does after 1,000 requests) or dropped it."""

    def __init__(self, host: str, poort: int, servernaam: str, ctx: ssl.SSLContext) -> None:
        self.host, self.poort, self.servernaam, self.ctx = host, poort, servernaam, ctx
        self.sock: ssl.SSLSocket | None = None
        self.buf = bytearray()
        self.verbonden = 0
        self.verzoeken = 0

    def verbind(self) -> None:
        ruw = socket.create_connection((self.host, self.poort), timeout=120)
        ruw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self.ctx.wrap_socket(ruw, server_hostname=self.servernaam)
        self.buf = bytearray()
        self.verbonden += 1

    def sluit(self) -> None:
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock = None

    def vraag(self, data: bytes) -> tuple[int, bytes, bool]:
        """Send one request, read its response: (status, body, retried). A request that fails on a
        connection the server dropped is sent once more on a new one (every request here may be
        repeated safely: submits are idempotent, confirms harmless)."""
        for poging in (0, 1):
            try:
                if self.sock is None:
                    self.verbind()
                assert self.sock is not None
                self.sock.sendall(data)
                self.verzoeken += 1
                status, body = self._antwoord()
                return status, body, poging == 1
            except (OSError, ConnectionError):
                self.sluit()
                if poging == 1:
                    raise
        raise AssertionError("onbereikbaar")

    def _lees(self) -> None:
        assert self.sock is not None
        stuk = self.sock.recv(262144)
        if not stuk:
            raise ConnectionError("verbinding gesloten door de server")
        self.buf += stuk

    def _antwoord(self) -> tuple[int, bytes]:
        buf = self.buf
        while (i := buf.find(b"\r\n\r\n")) < 0:
            self._lees()
            buf = self.buf
        kop = bytes(buf[:i]).lower()
        status = int(kop[9:12])
        begin = i + 4
        m = _CONTENT_LENGTH.search(kop)
        if m:
            einde = begin + int(m.group(1))
            while len(self.buf) < einde:
                self._lees()
            body = bytes(self.buf[begin:einde])
            del self.buf[:einde]
        elif b"\r\ntransfer-encoding: chunked" in kop:
            del self.buf[:begin]
            body = self._chunked()
        else:
            body = b""
            del self.buf[:begin]
        if b"\r\nconnection: close" in kop:
            self.sluit()
        return status, body

    def _chunked(self) -> bytes:
        delen = []
        while True:
            while (i := self.buf.find(b"\r\n")) < 0:
                self._lees()
            grootte = int(bytes(self.buf[:i]).split(b";")[0], 16)
            while len(self.buf) < i + 2 + grootte + 2:
                self._lees()
            delen.append(bytes(self.buf[i + 2 : i + 2 + grootte]))
            del self.buf[: i + 2 + grootte + 2]
            if grootte == 0:
                return b"".join(delen)


def _ctx(hub: Hub, partij: Partij) -> ssl.SSLContext:
    return hub.ssl_context(partij)


@dataclass
class Stuk:
    """One prepared submit request: a single envelope or a verzending of many."""

    afzender: int
    data: bytes
    indices: tuple[int, ...]


@dataclass
class Deeluitkomst:
    """What one process measured; sent to the parent when it is done."""

    soort: str
    cpu_s: float = 0.0
    verstuurd: int = 0
    bevestigd: int = 0
    dubbel: int = 0
    verbindingen: int = 0
    verzoeken: int = 0
    fouten: dict[str, int] = field(default_factory=dict)
    voorbeeld_fouten: list[str] = field(default_factory=list)
    submit_lat: list[float] = field(default_factory=list)
    vanaf_gepland: list[float] = field(default_factory=list)
    starts: list[tuple[int, float]] = field(default_factory=list)
    bevestigingen: list[tuple[int, float]] = field(default_factory=list)
    fetch_lat: list[float] = field(default_factory=list)
    confirm_lat: list[float] = field(default_factory=list)
    groottes: list[int] = field(default_factory=list)
    laatste_submit: float = 0.0
    laatste_bevestiging: float = 0.0

    def fout(self, soort: str, tekst: str) -> None:
        self.fouten[soort] = self.fouten.get(soort, 0) + 1
        if len(self.voorbeeld_fouten) < 5:
            self.voorbeeld_fouten.append(f"{soort}: {tekst[:300]}")


@dataclass
class Gedeeld:
    """Synchronisation between the parent and its load processes."""

    klaar: Any  # Barrier: every process connected
    start: Any  # Barrier: go
    t_start: Any  # Value('d'): the common start moment (perf_counter)
    teller: Any  # Value('q'): next stuk to send
    zenders_klaar: Any  # Event: all senders done
    resultaten: Any  # Queue of Deeluitkomst


def _wacht_op_start(g: Gedeeld) -> float:
    g.klaar.wait(300)
    g.start.wait(600)
    t0 = float(g.t_start.value)
    while (wacht := t0 - time.perf_counter()) > 0:
        time.sleep(wacht)
    return t0


def _bewaakt(doel: Any, soort: str, g: Gedeeld, *args: Any) -> None:
    """Run a load process; when it fails, break the barriers (the parent then stops waiting) and
    report the failure as an error of this process."""
    try:
        doel(g, *args)
    except BaseException as exc:
        g.klaar.abort()
        g.start.abort()
        uit = Deeluitkomst(soort)
        uit.fout("lastgever", repr(exc))
        g.resultaten.put(uit)
        raise


def _zend_proces(
    g: Gedeeld,
    adres: tuple[str, int, str],
    partijen: list[Partij],
    hub: Hub,
    stukken: list[Stuk],
    threads: int,
    tempo: float | None,
    max_seconden: float,
) -> None:
    uit = Deeluitkomst("zender")
    slot = threading.Lock()
    host, poort, naam = adres
    ctxs = [_ctx(hub, p) for p in partijen]
    # every thread holds a connection per sender identity: any thread may send any stuk
    verbindingen = [[Verbinding(host, poort, naam, c) for c in ctxs] for _ in range(threads)]
    warm = verzoek("GET", "/api/v1/berichttypen/saldoverzoek?module=schuldregeling", naam)
    for rij in verbindingen:
        for v in rij:
            status, body, _ = v.vraag(warm)
            if status != 200:
                uit.fout(f"warm-{status}", body.decode(errors="replace"))
    t0 = _wacht_op_start(g)
    cpu0 = _cpu()
    einde = t0 + max_seconden
    n = len(stukken)
    per_verzending = len(stukken[0].indices) > 1 if stukken else False

    def draad(rij: list[Verbinding]) -> None:
        while True:
            with g.teller.get_lock():
                i = g.teller.value
                g.teller.value = i + 1
            if i >= n:
                return
            stuk = stukken[i]
            gepland = None
            if tempo:
                gepland = t0 + i / tempo
                if (wacht := gepland - time.perf_counter()) > 0:
                    time.sleep(wacht)
            if time.perf_counter() > einde:
                return
            begin = time.perf_counter()
            try:
                status, body, herhaald = rij[stuk.afzender].vraag(stuk.data)
            except (OSError, ConnectionError) as exc:
                with slot:
                    uit.fout("submit-net", repr(exc))
                continue
            eind = time.perf_counter()
            if per_verzending:
                if status != 200:
                    with slot:
                        uit.fout(f"verzending-{status}", body.decode(errors="replace"))
                    continue
                uitkomsten = json.loads(body)["berichten"]
                goed = [stuk.indices[u["index"]] for u in uitkomsten if u["status"] == 201]
                for u in uitkomsten:
                    if u["status"] != 201:
                        with slot:
                            uit.fout(f"submit-{u['status']}", json.dumps(u.get("probleem")))
            else:
                if status != 201 and not (herhaald and status == 200):
                    with slot:
                        uit.fout(f"submit-{status}", body.decode(errors="replace"))
                    continue
                goed = list(stuk.indices)
            with slot:
                uit.verstuurd += len(goed)
                uit.submit_lat.append(eind - begin)
                if gepland is not None:
                    uit.vanaf_gepland.append(eind - gepland)
                uit.starts.extend((j, begin) for j in goed)
                uit.laatste_submit = max(uit.laatste_submit, eind)

    draden = [threading.Thread(target=draad, args=(rij,)) for rij in verbindingen]
    for d in draden:
        d.start()
    for d in draden:
        d.join()
    uit.cpu_s = _cpu() - cpu0
    uit.verbindingen = sum(v.verbonden for rij in verbindingen for v in rij)
    uit.verzoeken = sum(v.verzoeken for rij in verbindingen for v in rij) - threads * len(partijen)
    for rij in verbindingen:
        for v in rij:
            v.sluit()
    g.resultaten.put(uit)


def _ontvang_proces(
    g: Gedeeld,
    adres: tuple[str, int, str],
    hub: Hub,
    ontvangers: list[tuple[Partij, dict[str, int]]],
    limiet: int,
    max_seconden: float,
    volle_paginas: bool = False,
) -> None:
    """One thread per recipient: fetch a page, confirm its referentienummers; until all expected
    messages are confirmed, or the senders are done and the inbox stays empty.

    ``volle_paginas``: a receiver as a vendor's nightly job or a webhook-driven poller would be —
    after a page that was not full, while the senders are still sending, it waits about as long as
    a full page takes to arrive at this recipient (its own rate so far, at most 1 s) instead
    of asking again at once, so that it fetches and confirms in pages of about ``limiet`` (#13's
    "fetch in pages of 100, confirm in batches of 100"). Without it every receiver drains whatever
    has arrived (pages of a few messages under saturation)."""
    uit = Deeluitkomst("ontvanger")
    slot = threading.Lock()
    host, poort, naam = adres
    verbindingen = [Verbinding(host, poort, naam, _ctx(hub, p)) for p, _ in ontvangers]
    warm = verzoek("GET", "/api/v1/berichttypen/saldoverzoek?module=schuldregeling", naam)
    for v in verbindingen:
        v.vraag(warm)
    haal = verzoek("GET", f"/api/v1/berichten?limit={limiet}", naam)
    t0 = _wacht_op_start(g)
    cpu0 = _cpu()
    einde = t0 + max_seconden

    def draad(v: Verbinding, index: dict[str, int]) -> None:
        verwacht = len(index)
        bevestigd = leeg = 0
        gezien: set[str] = set()
        volgende_vraag = 0.0
        while bevestigd < verwacht and time.perf_counter() < einde:
            wacht = volgende_vraag - time.perf_counter()
            if wacht > 0 and not g.zenders_klaar.is_set():
                time.sleep(min(wacht, 0.05))  # in steps: the senders may finish meanwhile
                continue
            t1 = time.perf_counter()
            try:
                status, body, _ = v.vraag(haal)
            except (OSError, ConnectionError) as exc:
                with slot:
                    uit.fout("fetch-net", repr(exc))
                continue
            t2 = time.perf_counter()
            if status != 200:
                with slot:
                    uit.fout(f"fetch-{status}", body.decode(errors="replace"))
                time.sleep(0.05)
                continue
            refs = [b["referentienummer"] for b in json.loads(body)["berichten"] if b.get("inhoud")]
            if volle_paginas and len(refs) < limiet:
                # the page took all there was: the next full page takes limiet / rate, at this
                # recipient's arrival rate so far (the first pages, with no rate yet, wait 0.1 s)
                tempo = (bevestigd + len(refs)) / max(t2 - t0, 1e-3)
                volgende_vraag = t2 + min(1.0, limiet / tempo if tempo > 0 else 0.1)
            if not refs:
                if g.zenders_klaar.is_set():
                    leeg += 1
                    if leeg >= 5:  # the senders are done and nothing arrives: some submits failed
                        return
                if not volle_paginas:
                    time.sleep(0.005 if not g.zenders_klaar.is_set() else 0.02)
                elif g.zenders_klaar.is_set():
                    time.sleep(0.02)
                continue
            leeg = 0
            bevestig = json.dumps({"referentienummers": refs}, separators=(",", ":")).encode()
            try:
                status, body, _ = v.vraag(verzoek("POST", "/api/v1/bevestigingen", naam, bevestig))
            except (OSError, ConnectionError) as exc:
                with slot:
                    uit.fout("confirm-net", repr(exc))
                continue
            t3 = time.perf_counter()
            if status != 200:
                with slot:
                    uit.fout(f"confirm-{status}", body.decode(errors="replace"))
                continue
            ok = [
                x["referentienummer"]
                for x in json.loads(body)["bevestigingen"]
                if x["status"] == "bevestigd" and not x.get("code")
            ]
            # A message fetched again after its confirmation was answered would be counted twice.
            dubbel = sum(1 for ref in ok if ref in gezien)
            # Left over from an earlier run that stopped at its time limit: confirmed, not counted.
            ok = [ref for ref in ok if ref not in gezien and ref in index]
            gezien.update(ok)
            bevestigd += len(ok)
            with slot:
                uit.fetch_lat.append(t2 - t1)
                uit.confirm_lat.append(t3 - t2)
                uit.groottes.append(len(refs))
                uit.bevestigd += len(ok)
                uit.dubbel += dubbel
                uit.laatste_bevestiging = max(uit.laatste_bevestiging, t3)
                uit.bevestigingen.extend((index[ref], t3) for ref in ok)

    draden = [
        threading.Thread(target=draad, args=(v, index))
        for v, (_, index) in zip(verbindingen, ontvangers, strict=True)
    ]
    for d in draden:
        d.start()
    for d in draden:
        d.join()
    uit.cpu_s = _cpu() - cpu0
    uit.verbindingen = sum(v.verbonden for v in verbindingen)
    uit.verzoeken = sum(v.verzoeken for v in verbindingen) - len(verbindingen)
    for v in verbindingen:
        v.sluit()
    g.resultaten.put(uit)


def stukken_voor(berichten: list[Klaar], host: str, per_verzending: int) -> list[Stuk]:
    """The submit requests as bytes: one per message, or verzendingen of `per_verzending` envelopes
    of one sender each (the envelopes in their original order)."""
    if per_verzending <= 1:
        return [
            Stuk(k.afzender, verzoek("POST", "/api/v1/berichten", host, k.body), (i,))
            for i, k in enumerate(berichten)
        ]
    per_afzender: dict[int, list[int]] = {}
    for i, k in enumerate(berichten):
        per_afzender.setdefault(k.afzender, []).append(i)
    groepen = [
        (a, idx[s : s + per_verzending])
        for a, idx in per_afzender.items()
        for s in range(0, len(idx), per_verzending)
    ]
    # interleave the senders, as the single submits are
    groepen.sort(key=lambda g: (g[1][0], g[0]))
    uit = []
    for a, idx in groepen:
        body = b'{"allesOfNiets":false,"berichten":[' + b",".join(berichten[i].body for i in idx) + b"]}"
        uit.append(Stuk(a, verzoek("POST", "/api/v1/verzendingen", host, body), tuple(idx)))
    return uit


def draai(
    hub: Hub,
    berichten: list[Klaar],
    *,
    threads: int,
    max_seconden: float,
    tempo: float | None = None,
    limiet: int = 100,
    wacht_rust: bool = True,
    per_verzending: int = 0,
    zend_processen: int | None = None,
    ontvang_processen: int | None = None,
    volle_paginas: bool = False,
) -> dict[str, Any]:
    """Submit all `berichten` over `threads` connections in `zend_processen` processes (closed loop,
    or message i at t0 + i/tempo), while `ontvang_processen` processes fetch and confirm for every
    recipient. Bounded by `max_seconden`. Same result keys as belasting.draai, plus CPU per message."""
    pki = hub.pki
    host, poort, naam = hub.adres
    stukken = stukken_voor(berichten, naam, per_verzending)
    threads = max(1, min(threads, len(stukken)))
    zp = max(1, min(zend_processen or min(4, threads), threads))
    ontvangers_met_werk = [o for o in range(len(pki.se)) if any(k.ontvanger == o for k in berichten)]
    op = max(1, min(ontvang_processen or len(ontvangers_met_werk), len(ontvangers_met_werk)))
    indexen: dict[int, dict[str, int]] = {o: {} for o in ontvangers_met_werk}
    for i, k in enumerate(berichten):
        indexen[k.ontvanger][k.referentienummer] = i
    g = Gedeeld(
        klaar=FORK.Barrier(zp + op + 1),
        start=FORK.Barrier(zp + op + 1),
        t_start=FORK.Value("d", 0.0),
        teller=FORK.Value("q", 0),
        zenders_klaar=FORK.Event(),
        resultaten=FORK.Queue(),
    )
    adres = (host, poort, naam)
    zenders = [
        FORK.Process(
            target=_bewaakt,
            args=(
                _zend_proces,
                "zender",
                g,
                adres,
                pki.shv,
                hub,
                stukken,
                threads // zp + (1 if p < threads % zp else 0),
                tempo,
                max_seconden,
            ),
            daemon=True,
        )
        for p in range(zp)
    ]
    ontvangers = [
        FORK.Process(
            target=_bewaakt,
            args=(
                _ontvang_proces,
                "ontvanger",
                g,
                adres,
                hub,
                [(pki.se[o], indexen[o]) for o in ontvangers_met_werk[p::op]],
                limiet,
                max_seconden,
                volle_paginas,
            ),
            daemon=True,
        )
        for p in range(op)
    ]
    # Wait for a quiet machine first: connections left idle longer than the server's keep-alive
    # timeout (uvicorn: 5 s) would be closed, and their new handshakes fall inside the run.
    rust = wacht_op_rust() if wacht_rust else -1.0
    for p in zenders + ontvangers:
        p.start()
    try:
        g.klaar.wait(300)  # every process connected and warmed up
        meter = CpuMeter(hub.wortels(), pg=hub.pg())
        meter.start()
        t0 = time.perf_counter() + 0.02
        g.t_start.value = t0
        g.start.wait(60)
    except threading.BrokenBarrierError:
        redenen = []
        while not g.resultaten.empty():
            redenen += g.resultaten.get(timeout=5).voorbeeld_fouten
        for p in zenders + ontvangers:
            p.terminate()
        raise RuntimeError(f"de lastgever kon niet starten: {redenen}") from None
    delen: list[Deeluitkomst] = []
    zend_delen = 0
    while zend_delen < zp:
        deel = g.resultaten.get(timeout=max_seconden + 120)
        delen.append(deel)
        zend_delen += deel.soort == "zender"
    g.zenders_klaar.set()
    while len(delen) < zp + op:
        delen.append(g.resultaten.get(timeout=max_seconden + 120))
    for p in zenders + ontvangers:
        p.join(30)
    cpu = meter.stop(lastgever_kinderen_s=sum(d.cpu_s for d in delen))
    cpu["machine_bezet_voor_start_pct"] = rust
    cpu["lastgever_processen"] = {"zenders": zp, "ontvangers": op, "threads": threads}
    cpu["lastgever_zenders_cpu_s"] = round(sum(d.cpu_s for d in delen if d.soort == "zender"), 3)
    cpu["lastgever_ontvangers_cpu_s"] = round(sum(d.cpu_s for d in delen if d.soort == "ontvanger"), 3)
    zend = [d for d in delen if d.soort == "zender"]
    ontv = [d for d in delen if d.soort == "ontvanger"]
    bevestigd = sum(d.bevestigd for d in ontv)
    verstuurd = sum(d.verstuurd for d in zend)
    if bevestigd < len(berichten):  # stopped at the time limit: empty the inboxes for the next run
        for o in ontvangers_met_werk:
            client = hub.client(pki.se[o])
            leeg_inbox(client, einde=time.perf_counter() + 120)
        hub.sluit_clients()
    starts = dict(s for d in zend for s in d.starts)
    e2e = [t - starts[i] for d in ontv for i, t in d.bevestigingen if i in starts]
    laatste_submit = max((d.laatste_submit for d in zend), default=t0)
    laatste = max([laatste_submit, *(d.laatste_bevestiging for d in ontv)])
    duur = laatste - t0
    submit_duur = laatste_submit - t0
    fouten: dict[str, int] = {}
    for d in delen:
        for k, v in d.fouten.items():
            fouten[k] = fouten.get(k, 0) + v
    groottes = [x for d in ontv for x in d.groottes]
    return {
        "lastgever": "rauw",
        "volle_paginas": volle_paginas,
        "berichten": len(berichten),
        "per_verzending": max(1, per_verzending),
        "verstuurd": verstuurd,
        "bevestigd": bevestigd,
        "volledig": bevestigd == len(berichten),
        "opnieuw_geleverd_na_bevestiging": sum(d.dubbel for d in ontv),
        "fouten": fouten,
        "voorbeeld_fouten": [f for d in delen for f in d.voorbeeld_fouten][:5],
        "threads": threads,
        "verbindingen_geopend": sum(d.verbindingen for d in delen),
        "verzoeken": {
            "submit": sum(d.verzoeken for d in zend),
            "ontvangers": sum(d.verzoeken for d in ontv),
        },
        "tempo_aangeboden": tempo,
        "duur_s": round(duur, 2),
        "e2e_per_s": round(bevestigd / duur, 1) if duur > 0 else 0.0,
        "submit_per_s": round(verstuurd / submit_duur, 1) if submit_duur > 0 else 0.0,
        "submit": percentielen([x for d in zend for x in d.submit_lat]),
        "submit_vanaf_gepland": percentielen([x for d in zend for x in d.vanaf_gepland]),
        "fetch": percentielen([x for d in ontv for x in d.fetch_lat]),
        "confirm": percentielen([x for d in ontv for x in d.confirm_lat]),
        "e2e": percentielen(e2e),
        "gem_paginagrootte": round(statistics.fmean(groottes), 1) if groottes else 0,
        "mediaan_paginagrootte": statistics.median(groottes) if groottes else 0,
        "aantal_paginas": len(groottes),
        "cpu": cpu,
        "cpu_ms_per_bericht": per_bericht_ms(cpu, bevestigd),
    }
