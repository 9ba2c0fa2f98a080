"""HTTP load against a running hub: submit → fetch → confirm, closed loop or at a fixed offered rate.

The httpx load generator (``--lastgever httpx``; the default is bench/lastgever.py, raw TLS in
several processes, about ten times cheaper per request). Also the sequential per-call costs
(`kosten`) and the inbox timing, which stay on httpx (one request at a time: the client's CPU does
not compete there).

Clients are httpx keep-alive connections (one per thread, mutual TLS), so the TLS handshake is paid
once per connection, as a vendor's integration would. Envelopes are serialized before the clock
starts; the JWE is a real sealed one per (sender, recipient) pair, reused with a new
referentienummer per message (the hub only checks the protected header and stores what it gets).
"""

from __future__ import annotations

import itertools
import json
import statistics
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx

from omgeving import CpuMeter, Hub, Partij, Pki, boom_cpu, per_bericht_ms, wacht_op_rust

JSON = {"content-type": "application/json"}


@dataclass(frozen=True, slots=True)
class Klaar:
    """A prepared submission."""

    afzender: int  # index in pki.shv
    ontvanger: int  # index in pki.se
    referentienummer: str
    body: bytes


def bereid_voor(pki: Pki, inhouden: dict[tuple[int, int], str], aantal: int) -> list[Klaar]:
    """`aantal` saldoverzoeken spread round-robin over all (SHV, SE) pairs; one conversation per
    SHV per round (a traject that asks every creditor for its balance)."""
    paren = [(a, o) for a in range(len(pki.shv)) for o in range(len(pki.se))]
    uit = []
    conversaties: dict[tuple[int, int], str] = {}
    for i in range(aantal):
        a, o = paren[i % len(paren)]
        ronde = i // len(paren)
        conv = conversaties.setdefault((a, ronde), str(uuid.uuid4()))
        ref = str(uuid.uuid4())
        body = json.dumps(
            {
                "referentienummer": ref,
                "conversatieReferentienummer": conv,
                "crossReferentienummer": None,
                "berichttype": "saldoverzoek",
                "module": "schuldregeling",
                "versie": "1.0",
                "ontvanger": pki.se[o].oin,
                "inhoud": inhouden[(a, o)],
            },
            separators=(",", ":"),
        ).encode()
        uit.append(Klaar(a, o, ref, body))
    return uit


def percentielen(waarden: list[float]) -> dict[str, float]:
    """Milliseconds: p50, p90, p99, max, mean."""
    if not waarden:
        return {}
    geordend = sorted(waarden)

    def p(q: float) -> float:
        return round(1000 * geordend[min(len(geordend) - 1, int(q * len(geordend)))], 2)

    return {
        "p50_ms": p(0.50),
        "p90_ms": p(0.90),
        "p99_ms": p(0.99),
        "max_ms": round(1000 * geordend[-1], 2),
        "gem_ms": round(1000 * statistics.fmean(geordend), 2),
        "n": len(geordend),
    }


@dataclass
class Uitkomst:
    """What one run measured (times are perf_counter seconds)."""

    verstuurd: int = 0
    bevestigd: int = 0
    dubbel: int = 0  # confirmed messages that a later GET /berichten returned again
    fouten: dict[str, int] = field(default_factory=dict)
    voorbeeld_fouten: list[str] = field(default_factory=list)
    submit_lat: list[float] = field(default_factory=list)
    submit_lat_vanaf_gepland: list[float] = field(default_factory=list)
    fetch_lat: list[float] = field(default_factory=list)
    confirm_lat: list[float] = field(default_factory=list)
    e2e_lat: list[float] = field(default_factory=list)
    fetch_groottes: list[int] = field(default_factory=list)
    submit_start: dict[str, float] = field(default_factory=dict)
    eerste: float = 0.0
    laatste_submit: float = 0.0
    laatste_bevestiging: float = 0.0
    slot: threading.Lock = field(default_factory=threading.Lock)

    def fout(self, soort: str, tekst: str) -> None:
        with self.slot:
            self.fouten[soort] = self.fouten.get(soort, 0) + 1
            if len(self.voorbeeld_fouten) < 5:
                self.voorbeeld_fouten.append(f"{soort}: {tekst[:300]}")


def _verstuurder(
    clients: list[httpx.Client],
    rij: deque[Klaar],
    uit: Uitkomst,
    einde: float,
    rooster: tuple[itertools.count[int], float, float, int] | None = None,
    alle: list[Klaar] | None = None,
) -> None:
    """Closed loop over `rij`; or, with a rooster (counter, t0, rate, n), each message at its due time.
    `clients` holds one keep-alive connection per sender (closed loop: only the one of `rij`)."""
    while time.perf_counter() < einde:
        gepland = None
        if rooster is not None:
            teller, t0, tempo, n = rooster
            i = next(teller)
            if i >= n or alle is None:
                return
            klaar = alle[i]
            gepland = t0 + i / tempo
            wacht = gepland - time.perf_counter()
            if wacht > 0:
                time.sleep(wacht)
        else:
            try:
                klaar = rij.popleft()
            except IndexError:
                return
        client = clients[klaar.afzender if len(clients) > 1 else 0]
        start = time.perf_counter()
        uit.submit_start[klaar.referentienummer] = start
        try:
            r = client.post("/berichten", content=klaar.body, headers=JSON)
        except httpx.HTTPError as exc:
            uit.fout("submit-net", repr(exc))
            continue
        eind = time.perf_counter()
        if r.status_code != 201:
            uit.fout(f"submit-{r.status_code}", r.text)
            continue
        with uit.slot:
            uit.verstuurd += 1
            uit.submit_lat.append(eind - start)
            if gepland is not None:
                uit.submit_lat_vanaf_gepland.append(eind - gepland)
            uit.laatste_submit = max(uit.laatste_submit, eind)


def _ontvanger(
    client: httpx.Client,
    verwacht: int,
    uit: Uitkomst,
    einde: float,
    limiet: int,
    klaar_met_sturen: threading.Event,
) -> None:
    """Drain one recipient's inbox: GET /berichten?limit=… then POST /bevestigingen with the page."""
    bevestigd = 0
    leeg = 0
    gezien: set[str] = set()
    while bevestigd < verwacht and time.perf_counter() < einde:
        t0 = time.perf_counter()
        try:
            r = client.get("/berichten", params={"limit": limiet})
        except httpx.HTTPError as exc:
            uit.fout("fetch-net", repr(exc))
            continue
        t1 = time.perf_counter()
        if r.status_code != 200:
            uit.fout(f"fetch-{r.status_code}", r.text)
            time.sleep(0.05)
            continue
        refs = [b["referentienummer"] for b in r.json()["berichten"] if b.get("inhoud")]
        if not refs:
            if klaar_met_sturen.is_set():
                leeg += 1
                if leeg >= 5:  # the senders are done and nothing arrives: some submits failed
                    return
            time.sleep(0.005 if not klaar_met_sturen.is_set() else 0.02)
            continue
        leeg = 0
        uit.fetch_lat.append(t1 - t0)
        uit.fetch_groottes.append(len(refs))
        try:
            b = client.post("/bevestigingen", json={"referentienummers": refs})
        except httpx.HTTPError as exc:
            uit.fout("confirm-net", repr(exc))
            continue
        t2 = time.perf_counter()
        if b.status_code != 200:
            uit.fout(f"confirm-{b.status_code}", b.text)
            continue
        uit.confirm_lat.append(t2 - t1)
        ok = [
            x["referentienummer"]
            for x in b.json()["bevestigingen"]
            if x["status"] == "bevestigd" and not x.get("code")
        ]
        # A message fetched again after its confirmation was answered would be counted twice.
        dubbel = [ref for ref in ok if ref in gezien]
        # Left over from an earlier run that stopped at its time limit: confirmed, not counted.
        ok = [ref for ref in ok if ref not in gezien and ref in uit.submit_start]
        gezien.update(ok)
        bevestigd += len(ok)
        with uit.slot:
            uit.bevestigd += len(ok)
            uit.dubbel += len(dubbel)
            uit.laatste_bevestiging = max(uit.laatste_bevestiging, t2)
            for ref in ok:
                begin = uit.submit_start.get(ref)
                if begin is not None:
                    uit.e2e_lat.append(t2 - begin)


def leeg_inbox(client: httpx.Client, *, einde: float) -> int:
    """Confirm everything in one recipient's inbox (bounded in time); returns how many."""
    totaal = 0
    while time.perf_counter() < einde:
        refs = [
            b["referentienummer"]
            for b in client.get("/berichten", params={"limit": 1000}).json()["berichten"]
        ]
        if not refs:
            break
        client.post("/bevestigingen", json={"referentienummers": refs}).raise_for_status()
        totaal += len(refs)
    return totaal


def draai(
    hub: Hub,
    pki: Pki,
    berichten: list[Klaar],
    *,
    threads: int,
    max_seconden: float,
    tempo: float | None = None,
    limiet: int = 100,
    wacht_rust: bool = True,
) -> dict[str, Any]:
    """Submit all `berichten` with `threads` submitting threads (closed loop, or at `tempo` per second)
    while one thread per recipient fetches and confirms. Bounded by `max_seconden`."""
    uit = Uitkomst()
    per_afzender: dict[int, deque[Klaar]] = {i: deque() for i in range(len(pki.shv))}
    for k in berichten:
        per_afzender[k.afzender].append(k)
    verwacht = {o: sum(1 for k in berichten if k.ontvanger == o) for o in range(len(pki.se))}
    # Connections first (TLS handshakes are not part of the measurement).
    if tempo:  # any thread may send any message: a connection per sender in every thread
        zend_clients = [[hub.client(shv) for shv in pki.shv] for _ in range(threads)]
    else:
        zend_clients = [[hub.client(pki.shv[t % len(pki.shv)])] for t in range(threads)]
    ontvang_clients = [hub.client(se) for se in pki.se]
    alle_clients = [c for cs in zend_clients for c in cs] + ontvang_clients
    for c in alle_clients:
        c.get("/berichttypen/saldoverzoek", params={"module": "schuldregeling"})
    rust = wacht_op_rust() if wacht_rust else -1.0
    klaar_met_sturen = threading.Event()
    meter = CpuMeter(hub.wortels(), pg=hub.pg())
    meter.start()
    t0 = time.perf_counter()
    einde = t0 + max_seconden
    uit.eerste = t0
    rooster = (itertools.count(), t0 + 0.05, tempo, len(berichten)) if tempo else None
    zenders = [
        threading.Thread(
            target=_verstuurder,
            args=(c, per_afzender[t % len(pki.shv)], uit, einde, rooster, berichten if tempo else None),
            daemon=True,
        )
        for t, c in enumerate(zend_clients)
    ]
    ontvangers = [
        threading.Thread(
            target=_ontvanger, args=(c, verwacht[o], uit, einde, limiet, klaar_met_sturen), daemon=True
        )
        for o, c in enumerate(ontvang_clients)
    ]
    for t in zenders + ontvangers:
        t.start()
    for t in zenders:
        t.join(max(0.0, einde - time.perf_counter()) + 5)
    klaar_met_sturen.set()
    for t in ontvangers:
        t.join(max(0.0, einde - time.perf_counter()) + 5)
    cpu = meter.stop()
    cpu["machine_bezet_voor_start_pct"] = rust
    if uit.bevestigd < len(berichten):  # stopped at the time limit: empty the inboxes for the next run
        for c in ontvang_clients:
            leeg_inbox(c, einde=time.perf_counter() + 120)
    for c in alle_clients:
        c.close()
    hub.clients.clear()
    duur = max(uit.laatste_bevestiging, uit.laatste_submit) - t0
    submit_duur = uit.laatste_submit - t0
    return {
        "lastgever": "httpx",
        "berichten": len(berichten),
        "per_verzending": 1,
        "verstuurd": uit.verstuurd,
        "bevestigd": uit.bevestigd,
        "volledig": uit.bevestigd == len(berichten),
        "opnieuw_geleverd_na_bevestiging": uit.dubbel,
        "fouten": uit.fouten,
        "voorbeeld_fouten": uit.voorbeeld_fouten,
        "threads": threads,
        "tempo_aangeboden": tempo,
        "duur_s": round(duur, 2),
        "e2e_per_s": round(uit.bevestigd / duur, 1) if duur > 0 else 0.0,
        "submit_per_s": round(uit.verstuurd / submit_duur, 1) if submit_duur > 0 else 0.0,
        "submit": percentielen(uit.submit_lat),
        "submit_vanaf_gepland": percentielen(uit.submit_lat_vanaf_gepland),
        "fetch": percentielen(uit.fetch_lat),
        "confirm": percentielen(uit.confirm_lat),
        "e2e": percentielen(uit.e2e_lat),
        "gem_paginagrootte": round(statistics.fmean(uit.fetch_groottes), 1) if uit.fetch_groottes else 0,
        "cpu": cpu,
        "cpu_ms_per_bericht": per_bericht_ms(cpu, uit.bevestigd),
    }


def time_inbox(hub: Hub, ontvanger: Partij, *, herhalingen: int, limiet: int = 100) -> dict[str, Any]:
    """GET /berichten?limit=… for one recipient, `herhalingen` times (the first one marks the page
    opgehaald; they stay in the inbox until confirmed, so every call returns a full page)."""
    client = hub.client(ontvanger)
    client.get("/berichttypen/saldoverzoek", params={"module": "schuldregeling"})
    tijden, groottes = [], []
    for _ in range(herhalingen):
        t0 = time.perf_counter()
        r = client.get("/berichten", params={"limit": limiet})
        tijden.append(time.perf_counter() - t0)
        r.raise_for_status()
        groottes.append(len(r.json()["berichten"]))
    client.close()
    hub.clients.remove(client)
    return {
        "tijden": percentielen(tijden),
        "eerste_ms": round(1000 * tijden[0], 2),
        "paginagrootte": min(groottes),
    }


def kosten(
    hub: Hub, pki: Pki, inhouden: dict[tuple[int, int], str], *, herhalingen: int = 100
) -> dict[str, Any]:
    """Sequential calls, one at a time on one keep-alive connection: wall time and server CPU per call.
    The difference between the unauthenticated 404 and GET /berichten/{unknown} (authenticated, one
    indexed lookup, 404) is the per-request cost of the session, authentication and commit."""
    shv, se = hub.client(pki.shv[0]), hub.client(pki.se[0])
    berichten = [
        k for k in bereid_voor(pki, inhouden, 8 * (herhalingen + 220)) if k.afzender == 0 and k.ontvanger == 0
    ]
    for c in (shv, se):
        c.get("/berichttypen/saldoverzoek", params={"module": "schuldregeling"})
    rest = iter(berichten)
    uit: dict[str, Any] = {}

    def meet(naam: str, actie: Any, n: int, per: int = 1) -> None:
        c0 = boom_cpu(hub.wortels())
        t0 = time.perf_counter()
        for _ in range(n):
            actie()
        wand = time.perf_counter() - t0
        cpu = boom_cpu(hub.wortels()) - c0
        uit[naam] = {
            "wand_ms": round(1000 * wand / n, 2),
            "server_cpu_ms": round(1000 * cpu / n, 2),
            "server_cpu_ms_per_bericht": round(1000 * cpu / (n * per), 2),
            "n": n,
        }

    def post() -> None:
        shv.post("/berichten", content=next(rest).body, headers=JSON).raise_for_status()

    def bevestig_pagina() -> None:
        r = se.get("/berichten", params={"limit": 100})
        refs = [b["referentienummer"] for b in r.json()["berichten"]]
        se.post("/bevestigingen", json={"referentienummers": refs}).raise_for_status()

    meet("GET /api/v1/bestaat-niet (404, geen auth)", lambda: se.get("/bestaat-niet"), herhalingen)
    onbekend = "/berichten/00000000-0000-4000-8000-000000000000"
    meet("GET /berichten/{onbekend} (auth + 1 query, 404)", lambda: se.get(onbekend), herhalingen)
    meet(
        "GET /berichttypen/saldoverzoek (auth + catalogus)",
        lambda: se.get("/berichttypen/saldoverzoek", params={"module": "schuldregeling"}),
        herhalingen,
    )
    meet("POST /berichten (2 KB JWE)", post, herhalingen)
    for _ in range(max(0, 200 - herhalingen)):
        post()
    meet(
        "GET /berichten?limit=100 (volle pagina)",
        lambda: se.get("/berichten", params={"limit": 100}),
        max(5, herhalingen // 10),
        per=100,
    )
    meet("GET + POST /bevestigingen (pagina van 100)", bevestig_pagina, 2, per=100)
    for c in (shv, se):
        c.close()
        hub.clients.remove(c)
    return uit
