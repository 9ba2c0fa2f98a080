"""Helpers for the load, concurrency and crash tests against real `knooppunt serve` processes."""

from __future__ import annotations

import functools
import json
import os
import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.factories import Partij, envelop
from tests.functional.server import Hub, mtls_client, start_hub

PG_URL = os.environ.get("KNOOPPUNT_TEST_DATABASE_URL", "").strip()

# Request the database_url fixture's params explicitly, so a run without PostgreSQL shows the
# PostgreSQL case as skipped (with the reason) instead of leaving it out silently.
BEIDE_DATABASES = pytest.mark.parametrize(
    "database_url",
    [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgresql",
            id="postgresql",
            marks=pytest.mark.skipif(
                not PG_URL, reason="KNOOPPUNT_TEST_DATABASE_URL is niet gezet: geen PostgreSQL voor deze test"
            ),
        ),
    ],
    indirect=True,
)


class SnellePartij(Partij):
    """A Partij whose key and certificate are parsed once: `envelop()` reads them on every call,
    and loading an RSA key costs ~80 ms, too slow for hundreds of envelopes."""

    sleutel = functools.cached_property(Partij.sleutel.fget)  # type: ignore[assignment,arg-type]
    certificaat = functools.cached_property(Partij.certificaat.fget)  # type: ignore[assignment,arg-type]

    @classmethod
    def van(cls, partij: Partij) -> SnellePartij:
        return cls(**{f.name: getattr(partij, f.name) for f in fields(partij)})


def verzegel(
    afzender: Partij,
    ontvanger: Partij,
    aantal: int,
    *,
    conversaties: list[str],
    berichttype: str = "saldoverzoek",
) -> list[dict[str, Any]]:
    """`aantal` sealed envelopes from afzender to ontvanger, spread over the given conversations."""
    snel_afzender, snel_ontvanger = SnellePartij.van(afzender), SnellePartij.van(ontvanger)
    return [
        envelop(snel_afzender, snel_ontvanger, berichttype, conversatie=conversaties[i % len(conversaties)])
        for i in range(aantal)
    ]


class HubLog:
    """The hub's stdout+stderr lines as evidence. `start_hub` already drains the pipe in a thread
    (an undrained pipe fills up at 64 KiB and then blocks the server); this reads what that thread
    collected, so a second reader does not split the lines between the two."""

    def __init__(self, hub: Hub, naam: str) -> None:
        self.naam = naam
        self._hub = hub

    @property
    def regels(self) -> list[str]:
        return [regel.rstrip("\n") for regel in list(self._hub.log)]

    def wacht(self, timeout: float = 5.0) -> None:
        """Give the drain a moment to read the last lines of a stopped hub."""
        einde = time.monotonic() + timeout
        while self._hub.proces.poll() is None and time.monotonic() < einde:
            time.sleep(0.05)

    def statussen(self) -> dict[int, int]:
        """How often each HTTP status was answered, from the hub's request log lines."""
        telling: dict[int, int] = {}
        for regel in self.regels:
            try:
                gegevens = json.loads(regel)
            except ValueError:
                continue
            if isinstance(gegevens, dict) and gegevens.get("event") == "verzoek":
                status = int(gegevens.get("status", 0))
                telling[status] = telling.get(status, 0) + 1
        return telling

    def verdacht(self) -> list[str]:
        """Log lines pointing at a server-side failure: 5xx, tracebacks, locked databases, deadlocks,
        content that does not open under its day key (nodes without one key store)."""
        sleutels = (
            "opent niet onder haar dagsleutel",
            "Traceback",
            "Exception",
            "Error",
            "locked",
            "deadlock",
            '"status": 5',
            '"level": "error"',
        )
        return [regel for regel in self.regels if any(s in regel for s in sleutels)]

    def staart(self, aantal: int = 60) -> str:
        code = self._hub.proces.poll()
        toestand = "draait nog" if code is None else f"gestopt met code {code}"
        toestand += f"; antwoordde {self._hub.klaar_na:.1f} s na het openen van de poort"
        return f"--- log van {self.naam} ({toestand}; laatste {aantal} regels) ---\n" + "\n".join(
            self.regels[-aantal:]
        )


@contextmanager
def hub_met_log(
    naam: str,
    *,
    database_url: str,
    data_dir: Path,
    pki_dir: Path,
    poort: int | None = None,
    extra_args: Sequence[str] = (),
) -> Iterator[tuple[Hub, HubLog]]:
    """start_hub plus a log drain; on exit the hub is stopped (SIGTERM) and the drain joined."""
    with start_hub(
        database_url=database_url, data_dir=data_dir, pki_dir=pki_dir, poort=poort, extra_args=extra_args
    ) as hub:
        log = HubLog(hub, naam)
        try:
            yield hub, log
        finally:
            hub.stop()
            log.wacht()


def alle_paginas(
    client: httpx.Client, pad: str, params: dict[str, Any] | None = None, *, max_paginas: int = 200
) -> list[dict[str, Any]]:
    """Every item of a paged list (following `volgende`), in order."""
    items: list[dict[str, Any]] = []
    volgende: str | None = None
    for _ in range(max_paginas):
        vraag = dict(params or {})
        if volgende:
            vraag["volgende"] = volgende
        r = client.get(pad, params=vraag)
        assert r.status_code == 200, f"GET {pad} {vraag}: {r.status_code} {r.text}"
        lijst = r.json()
        items.extend(lijst["berichten"])
        volgende = lijst.get("volgende")
        if not volgende:
            return items
    raise AssertionError(f"GET {pad}: meer dan {max_paginas} pagina's")


def berichten_in_database(database_url: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """All rows of berichten (as dicts), and the stored ciphertext per referentienummer."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rijen = [
                dict(r._mapping)
                for r in conn.execute(
                    text(
                        "SELECT id, referentienummer, afzender, ontvanger, berichttype, status, "
                        "cross_referentienummer, bevestigd_op, melding FROM berichten ORDER BY id"
                    )
                )
            ]
            inhoud = {
                str(r[0]): str(r[1])
                for r in conn.execute(
                    text(
                        "SELECT b.referentienummer, i.jwe FROM berichtinhoud i "
                        "JOIN berichten b ON b.id = i.bericht_id"
                    )
                )
            }
    finally:
        engine.dispose()
    for rij in rijen:
        if isinstance(rij["melding"], str):  # SQLite returns the JSON column as text via raw SQL
            rij["melding"] = json.loads(rij["melding"])
    return rijen, inhoud


@dataclass
class Fouten:
    """Unexpected answers collected from many threads."""

    lijst: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def voeg_toe(self, tekst: str) -> None:
        with self._lock:
            self.lijst.append(tekst)

    def __bool__(self) -> bool:
        return bool(self.lijst)

    def samenvatting(self, maximaal: int = 15) -> str:
        meer = f"\n... en nog {len(self.lijst) - maximaal}" if len(self.lijst) > maximaal else ""
        return "\n".join(self.lijst[:maximaal]) + meer


def bewijs(fouten: Fouten, logs: list[HubLog], map_: Path) -> str:
    """The unexpected answers, the suspicious log lines and the log tails, for an assertion
    message; the complete hub logs are written to `map_`."""
    for log in logs:
        (map_ / f"{log.naam}.log").write_text("\n".join(log.regels) + "\n")
    verdacht = [f"[{log.naam}] {regel}" for log in logs for regel in log.verdacht()]
    return (
        f"{len(fouten.lijst)} bevindingen:\n{fouten.samenvatting()}"
        + f"\n--- verdachte logregels ({len(verdacht)}) ---\n"
        + "\n".join(verdacht[:40])
        + "\n"
        + "\n".join(log.staart(10) for log in logs)
        + f"\n(volledige logs in {map_})"
    )


class Termijn:
    """The time a load phase may take; the test can end it early, so that every loop stops at its
    next check (no thread outlives a failed test)."""

    def __init__(self, seconden: float) -> None:
        self.einde = time.monotonic() + seconden
        self._gestopt = threading.Event()

    def over(self) -> float:
        return 0.0 if self._gestopt.is_set() else self.einde - time.monotonic()

    def stop(self) -> None:
        self._gestopt.set()

    def stop_en_wacht(self, threads: list[threading.Thread], timeout: float = 15.0) -> None:
        self.stop()
        for t in threads:
            t.join(timeout)


# Short read timeout: a request that hangs on a dead server is retried soon.
TIMEOUT = httpx.Timeout(5.0, connect=2.0)
ONGEDULDIG = httpx.Timeout(5.0, connect=2.0, read=0.001)


@dataclass
class Poging:
    """What one client saw for one message."""

    pogingen: int = 0
    netwerkfouten: int = 0
    # When attempts answered 503 TIJDELIJK_NIET_BESCHIKBAAR with Retry-After (if allowed) were sent.
    onbeschikbaar: list[float] = field(default_factory=list)
    ongeduldig: bool = False  # the first attempt was given up on purpose
    status: int | None = None  # 201 or 200 once acknowledged
    antwoord: dict[str, Any] = field(default_factory=dict)
    begin: float = 0.0  # time.monotonic() when the acknowledged attempt was sent
    erkend_op: float = 0.0  # ... and when its answer came


def zend_tot_erkend(
    hub_url: str,
    ca: Path,
    partij: Partij,
    envelops: list[dict[str, Any]],
    nr: int,
    pogingen: dict[str, Poging],
    fouten: Fouten,
    termijn: Termijn,
    *,
    ongeduldig_elke: int = 6,
    onbeschikbaar_mag: bool = False,
    via_proxy: bool = False,
    pauze: float = 0.0,
) -> None:
    """One client thread: submit each envelope until the hub acknowledges it (201, or 200 for a
    retry), retrying the identical request on any network error or timeout; the connection is
    rebuilt after each error. Every `ongeduldig_elke`-th message's first attempt gives up right
    after sending, so two identical submits race. With `onbeschikbaar_mag`, a 503
    TIJDELIJK_NIET_BESCHIKBAAR with Retry-After (the database is away) is retried too instead of
    reported. Pauses before a retry are 50-200 ms, shorter than the hub's Retry-After on purpose:
    the chaos test measures the hub's recovery, not a client's patience. With `via_proxy`, a 502
    or 504 from the TLS proxy (the node it passed the request to died) is retried like a network
    error, as nginx does not replay a POST that reached a node. `pauze`: seconds between one
    acknowledged envelope and the next, so that the load outlasts the disturbances of a test however
    fast the hub is."""
    rnd = random.Random(nr)
    client = mtls_client(hub_url, ca, partij, timeout=TIMEOUT)
    try:
        for i, env in enumerate(envelops):
            ref = env["referentienummer"]
            poging = pogingen[ref]
            while poging.status is None:
                if termijn.over() <= 0:
                    fouten.voeg_toe(f"tijd op: {ref} na {poging.pogingen} pogingen niet bevestigd")
                    return
                poging.pogingen += 1
                if poging.pogingen == 1:
                    poging.ongeduldig = i % ongeduldig_elke == nr % ongeduldig_elke
                ongeduldig = poging.ongeduldig and poging.pogingen == 1
                begin = time.monotonic()
                try:
                    r = client.post("/berichten", json=env, timeout=ONGEDULDIG if ongeduldig else TIMEOUT)
                except httpx.TransportError:
                    poging.netwerkfouten += 1
                    client.close()
                    if not ongeduldig:
                        time.sleep(rnd.uniform(0.05, 0.2))
                    client = mtls_client(hub_url, ca, partij, timeout=TIMEOUT)
                    continue
                if (
                    via_proxy
                    and r.status_code in (502, 504)
                    and "problem" not in r.headers.get("content-type", "")
                ):
                    poging.netwerkfouten += 1
                    time.sleep(rnd.uniform(0.05, 0.2))
                    continue
                if r.status_code in (200, 201):
                    poging.status, poging.antwoord = r.status_code, r.json()
                    poging.begin, poging.erkend_op = begin, time.monotonic()
                    if pauze:
                        time.sleep(pauze)
                    break
                if (
                    onbeschikbaar_mag
                    and r.status_code == 503
                    and r.headers.get("Retry-After")
                    and r.json().get("code") == "TIJDELIJK_NIET_BESCHIKBAAR"
                ):
                    poging.onbeschikbaar.append(begin)
                    time.sleep(rnd.uniform(0.05, 0.2))
                    continue
                fouten.voeg_toe(f"POST /berichten {ref} poging {poging.pogingen}: {r.status_code} {r.text}")
                if r.status_code < 500:
                    return  # a refusal will not change on retry
                time.sleep(0.1)
    finally:
        client.close()
