"""Runs the jobs: once (``worker --once``), in a loop (``worker``) or embedded in ``serve``.

Every job is idempotent and safe with several instances: each state change is a conditional
update, so two workers never report the same expiry twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog

from knooppunt import metrics
from knooppunt.jobs import audit, bewaartermijn, dagsleutels, kluis, notificaties, termijnen, verlopen
from knooppunt.protocol.werkdagen import AMSTERDAM
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu

log = structlog.get_logger("knooppunt.jobs")


def _nu(runtime: Runtime, nu: datetime | None) -> datetime:
    if nu is not None:
        return nu
    with runtime.sessions() as session:
        return db_nu(session)


class JobsMislukt(RuntimeError):
    """One or more jobs failed (each was logged); the others still ran."""


def _verloop(runtime: Runtime, nu: datetime) -> int:
    aantal = verlopen.verloop_alles(runtime.sessions, nu=nu, instellingen=runtime.instellingen)
    metrics.VERLOPEN.inc(aantal)
    return aantal


def _termijnen(runtime: Runtime, nu: datetime) -> int:
    return termijnen.markeer_alles(runtime.sessions, nu=nu)


def _berichten_opschonen(runtime: Runtime, nu: datetime) -> int:
    termijn = timedelta(days=runtime.settings.bericht_bewaartermijn_dagen)
    aantal = bewaartermijn.schoon_op(runtime.sessions, nu=nu, bewaartermijn=termijn)
    metrics.BERICHTEN_OPGESCHOOND.inc(aantal)
    return aantal


def _audit_opschonen(runtime: Runtime, nu: datetime) -> int:
    termijn = timedelta(days=runtime.settings.audit_bewaartermijn_dagen)
    aantal = audit.schoon_op(runtime.sessions, nu=nu, bewaartermijn=termijn)
    metrics.AUDIT_OPGESCHOOND.inc(aantal)
    return aantal


def _audit_sequence(runtime: Runtime, nu: datetime) -> dict[str, Any]:
    # The database clock, not ``nu``: a head's tijd and the waiting time are real time.
    max_wacht = timedelta(seconds=runtime.settings.audit_max_ongesequenceerd_seconden)
    return audit.sequence(
        runtime.sessions,
        runtime.ondertekenaar(),
        max_wacht=max_wacht,
        extensies=runtime.checkpointextensies(),
    )


def _notificaties(runtime: Runtime, nu: datetime) -> dict[str, Any]:
    return notificaties.draai(runtime.sessions, nu=nu, settings=runtime.settings)


def werkelijke_tijd(runtime: Runtime) -> datetime:
    """The database clock, whatever moment a dry run (``worker --once --now``) runs the jobs at."""
    return _nu(runtime, None)


def _dagsleutels(runtime: Runtime, nu: datetime) -> int:
    # A dry run's clock may lie ahead of the real one: a day's key goes only once the day is over
    # in real time too, for the live hub still seals today's submits under today's key.
    return len(
        dagsleutels.vernietig(
            runtime.dagsleutels, nu=nu, berichten_db=runtime.sessions, werkelijk=werkelijke_tijd(runtime)
        )
    )


def _kluis(runtime: Runtime, nu: datetime) -> int:
    return kluis.vernietig(runtime.sessions, runtime.settings, nu=nu)


JOBS: dict[str, Callable[[Runtime, datetime], Any]] = {
    "verlopen": _verloop,
    # Deadline marks: teLaat for questions past their antwoordUiterlijk unanswered (DESIGN §6).
    "termijnen_gemarkeerd": _termijnen,
    "dagsleutels_vernietigd": _dagsleutels,
    # After the expiry: the last message in flight for a hosted key may just have expired.
    "kluis_vernietigd": _kluis,
    "notificaties": _notificaties,
    "berichten_opgeschoond": _berichten_opschonen,
    "audit_opgeschoond": _audit_opschonen,
    # Last, so the entries the other jobs wrote in this run are sequenced in it too.
    "audit_gesequenceerd": _audit_sequence,
}


def draai_eenmaal(runtime: Runtime, *, nu: datetime | None = None) -> dict[str, Any]:
    """Run every due job once; returns what each did. A failing job does not stop the others;
    afterwards JobsMislukt names the ones that failed. Without the database clock (the database
    is away) none can run, and every job counts a failed run: an alert on
    knooppunt_job_failures_total then fires during an outage, not only once it is long."""
    try:
        moment = _nu(runtime, nu)
    except Exception as exc:
        for naam in JOBS:
            metrics.JOB_RUNS.labels(naam).inc()
            metrics.JOB_FOUTEN.labels(naam).inc()
        log.exception("jobs mislukt: geen databaseklok")
        raise JobsMislukt(f"jobs mislukt: {', '.join(JOBS)} (database onbereikbaar)") from exc
    # In Europe/Amsterdam with its offset, as every time the hub shows (docs/api.md "Times"): the
    # operator sees the calendar day the terms are counted in.
    resultaat: dict[str, Any] = {"nu": moment.astimezone(AMSTERDAM).isoformat()}
    mislukt: list[str] = []
    for naam, job in JOBS.items():
        try:
            resultaat[naam] = metrics.meet_job(naam, partial(job, runtime, moment))
        except Exception:
            log.exception("job mislukt", job=naam)
            mislukt.append(naam)
    log.info("jobs", **resultaat)
    if mislukt:
        raise JobsMislukt(f"jobs mislukt: {', '.join(mislukt)}")
    return resultaat


def draai_steeds(
    runtime: Runtime, *, interval: float, nu: datetime | None = None, stop: threading.Event | None = None
) -> None:
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            draai_eenmaal(runtime, nu=nu)
        except Exception:
            log.exception("job mislukt")
        stop.wait(interval)


class IngebouwdePlanner:
    """The jobs in a background thread of ``knooppunt serve``."""

    def __init__(self, runtime: Runtime, interval: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=draai_steeds,
            kwargs={"runtime": runtime, "interval": interval, "stop": self._stop},
            name="knooppunt-jobs",
            daemon=True,
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        started = time.monotonic()
        self._thread.join(max(0.0, timeout - (time.monotonic() - started)))
