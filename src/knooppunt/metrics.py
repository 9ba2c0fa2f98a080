"""Prometheus metrics (DESIGN §8), served only on the operator listener (ops.py): they reveal
volumes across participants, so the participant API never serves them, and no metric carries a
participant label.

Two kinds:
- counted in-process: HTTP requests by route template and status, job runs and failures, CRLs
  refused as older than the one held (a revocation rolled back, pki.intrekking);
- computed from the database at scrape time (one GROUP BY): messages by berichttype and status,
  open answers past their antwoordUiterlijk, the audit log's signed tree size and the entries
  still waiting for the sequencer (count, age of the oldest).

With ``serve --workers N`` the API runs in worker processes: their HTTP counters go to files in
PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode), which the operator listener in
the supervisor adds up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from knooppunt.store import audit as audit_store
from knooppunt.store import berichten as berichten_store
from knooppunt.store import inboxquotum
from knooppunt.store.db import db_nu, leesverbinding

log = structlog.get_logger("knooppunt.metrics")
T = TypeVar("T")

HTTP = CollectorRegistry(auto_describe=True)
JOBS = CollectorRegistry(auto_describe=True)

HTTP_VERZOEKEN = Counter(
    "knooppunt_http_requests",
    "HTTP requests on the participant API, by route template, method and status code",
    ["route", "method", "status"],
    registry=HTTP,
)
SNELLE_AANNAME = Counter(
    "knooppunt_api_lus_submits",
    "Submits (POST /berichten) the event loop accepted itself (uitkomst=aangenomen) or left to the "
    "handler threads, by why: certificaat, adresboek, dagsleutel (not yet in this process's memory), "
    "regel (refused), herhaling, antwoord, wedloop (a concurrent retry or claim), database, fout",
    ["uitkomst"],
    registry=HTTP,
)
HTTP_DUUR = Histogram(
    "knooppunt_http_request_duration_seconds",
    "Time to answer an HTTP request on the participant API, by route template and method",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=HTTP,
)
CRL_TERUGGEDRAAID = Counter(
    "knooppunt_crl_teruggedraaid_geweigerd",
    "CRLs refused because they are older (CRL number, then thisUpdate) than the one held: from a "
    "configured source (herkomst=bron) or from the shared state in the database (herkomst=database)",
    ["herkomst"],
    registry=HTTP,
)
JOB_RUNS = Counter("knooppunt_job_runs", "Runs of a periodic job in this process", ["job"], registry=JOBS)
JOB_FOUTEN = Counter(
    "knooppunt_job_failures", "Runs of a periodic job that failed with an error", ["job"], registry=JOBS
)
JOB_LAATSTE_SUCCES = Gauge(
    "knooppunt_job_last_success_timestamp_seconds",
    "Unix time of the last successful run of a periodic job in this process",
    ["job"],
    registry=JOBS,
)
VERLOPEN = Counter(
    "knooppunt_berichten_verlopen",
    "Messages expired by the expiry job of this process (content deleted, sender told)",
    registry=JOBS,
)
BERICHTEN_OPGESCHOOND = Counter(
    "knooppunt_berichten_opgeschoond",
    "Messages (metadata) deleted by the retention job of this process",
    registry=JOBS,
)
AUDIT_OPGESCHOOND = Counter(
    "knooppunt_auditregels_opgeschoond",
    "Audit entries deleted by the retention job of this process",
    registry=JOBS,
)
AUDIT_GESEQUENCEERD = Counter(
    "knooppunt_auditregels_gesequenceerd",
    "Audit entries given a volgnummer (and a signed tree head) by the sequencer of this process",
    registry=JOBS,
)
AUDIT_TE_LANG_ONGESEQUENCEERD = Counter(
    "knooppunt_audit_te_lang_ongesequenceerd",
    "Sequencer runs of this process that found audit entries waiting longer than "
    "KNOOPPUNT_AUDIT_MAX_ONGESEQUENCEERD_SECONDEN for a volgnummer (an alert)",
    registry=JOBS,
)


def meet_job(job: str, functie: Callable[[], T]) -> T:
    """Run one job, counting the run, a failure, or the moment of success."""
    JOB_RUNS.labels(job).inc()
    try:
        uitkomst = functie()
    except Exception:
        JOB_FOUTEN.labels(job).inc()
        raise
    JOB_LAATSTE_SUCCES.labels(job).set(time.time())
    return uitkomst


def route_sjabloon(scope: Scope) -> str:
    """The route template a request matched (``/api/v1/berichten/{referentienummer}``), never the
    raw path: raw paths hold referentienummers and OINs. Unmatched requests are ``onbekend``."""
    route = scope.get("route")
    pad = getattr(route, "path", None)
    if not isinstance(pad, str):
        return "onbekend"
    return str(scope.get("root_path", "")) + pad


class HttpMeting:
    """Count every request by route template, method and status, and time it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        begin = time.perf_counter()
        status = 500

        async def met_status(bericht: Message) -> None:
            nonlocal status
            if bericht["type"] == "http.response.start":
                status = int(bericht["status"])
            await send(bericht)

        try:
            await self.app(scope, receive, met_status)
        finally:
            route, methode = route_sjabloon(scope), str(scope.get("method", ""))
            HTTP_VERZOEKEN.labels(route, methode, str(status)).inc()
            HTTP_DUUR.labels(route, methode).observe(time.perf_counter() - begin)


class _Database(Collector):
    """Gauges computed from the database at scrape time."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    def collect(self) -> Iterable[Metric]:
        bereikbaar = GaugeMetricFamily(
            "knooppunt_database_up", "1 when the database answered the queries of this scrape, else 0"
        )
        try:
            with leesverbinding(self.engine) as conn:
                tellingen = berichten_store.tellingen(conn, nu=db_nu(conn))
                kop = audit_store.nieuwste_kop(conn)
                wachtend, oudste = audit_store.wachtend(conn)
                nu = db_nu(conn)
                inbox_totaal, inbox_grootste = inboxquotum.totalen(conn)
        except SQLAlchemyError as exc:
            log.warning("metrics: database niet bereikbaar", fout=type(exc).__name__)
            bereikbaar.add_metric([], 0)
            yield bereikbaar
            return
        bereikbaar.add_metric([], 1)
        yield bereikbaar
        berichten = GaugeMetricFamily(
            "knooppunt_berichten",
            "Messages (metadata rows) by berichttype and status, counted at scrape time",
            labels=["berichttype", "status"],
        )
        te_laat = GaugeMetricFamily(
            "knooppunt_antwoorden_te_laat",
            "Confirmed questions past their antwoordUiterlijk, unanswered (teLaat, open), by berichttype",
            labels=["berichttype"],
        )
        per_type: dict[str, int] = {}
        for berichttype, status, aantal, overschreden in tellingen:
            berichten.add_metric([berichttype, status], aantal)
            if status == "bevestigd":
                per_type[berichttype] = per_type.get(berichttype, 0) + overschreden
        for berichttype, aantal in sorted(per_type.items()):
            te_laat.add_metric([berichttype], aantal)
        yield berichten
        yield te_laat
        onbevestigd = GaugeMetricFamily(
            "knooppunt_inbox_onbevestigd_bytes",
            "Unconfirmed ciphertext (submitted JWE lengths) waiting in every inbox together (DESIGN §4)",
        )
        onbevestigd.add_metric([], inbox_totaal)
        yield onbevestigd
        grootste = GaugeMetricFamily(
            "knooppunt_inbox_grootste_bytes",
            "Unconfirmed ciphertext in the fullest inbox; INBOX_VOL starts once it passes that inbox's quota",
        )
        grootste.add_metric([], inbox_grootste)
        yield grootste
        volgnummer = GaugeMetricFamily(
            "knooppunt_audit_volgnummer",
            "The size of the audit log's newest signed tree head: its highest volgnummer (0 when empty)",
        )
        volgnummer.add_metric([], 0 if kop is None else kop.grootte)
        yield volgnummer
        ongesequenceerd = GaugeMetricFamily(
            "knooppunt_audit_ongesequenceerd", "Audit entries still waiting for a volgnummer"
        )
        ongesequenceerd.add_metric([], wachtend)
        yield ongesequenceerd
        wacht = GaugeMetricFamily(
            "knooppunt_audit_ongesequenceerd_oudste_seconden",
            "Seconds the oldest audit entry without volgnummer has waited (0 when none): alert when "
            "above KNOOPPUNT_AUDIT_MAX_ONGESEQUENCEERD_SECONDEN",
        )
        wacht.add_metric([], 0.0 if oudste is None else max(0.0, (nu - oudste).total_seconds()))
        yield wacht


class _Doorgeef(Collector):
    """Expose another registry's metrics through this one."""

    def __init__(self, bron: CollectorRegistry) -> None:
        self.bron = bron

    def collect(self) -> Iterable[Metric]:
        return self.bron.collect()


def registry(engine: Any, *, multiproces_map: Path | None = None) -> CollectorRegistry:
    """The registry /metrics serves: database gauges, this process's job counters, and the HTTP
    counters of this process or, with worker processes, of all of them."""
    register = CollectorRegistry(auto_describe=False)
    register.register(_Database(engine))
    register.register(_Doorgeef(JOBS))
    if multiproces_map is None:
        register.register(_Doorgeef(HTTP))
    else:
        MultiProcessCollector(register, path=str(multiproces_map))  # type: ignore[no-untyped-call]
    return register


LUS_VERZOEKEN = Counter(
    "knooppunt_api_lus_verzoeken",
    "Fetches (pad=ophalen: GET /berichten) and confirms (pad=bevestigen: POST /bevestigingen) the event "
    "loop served itself (uitkomst=bediend) or left to the usual way, by why: certificaat, dagsleutel "
    "(not in this process's memory), niet_ingesloten (content to read while streaming), niet_alles (a "
    "number not confirmed now), dubbel (a number named twice), database, fout",
    ["pad", "uitkomst"],
    registry=HTTP,
)
