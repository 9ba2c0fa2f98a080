"""Runs the jobs: once (``worker --once``), in a loop (``worker``) or embedded in ``serve``.

Every job is idempotent and safe with several instances: each state change is a conditional
update, so two workers never report the same expiry twice.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

import structlog

from knooppunt.jobs import notificaties, verlopen
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu

log = structlog.get_logger("knooppunt.jobs")


def _nu(runtime: Runtime, nu: datetime | None) -> datetime:
    if nu is not None:
        return nu
    with runtime.sessions() as session:
        return db_nu(session)


def draai_eenmaal(runtime: Runtime, *, nu: datetime | None = None) -> dict[str, Any]:
    """Run every due job once; returns what each did."""
    moment = _nu(runtime, nu)
    verlopen_aantal = verlopen.verloop_alles(runtime.sessions, nu=moment, instellingen=runtime.instellingen)
    gemeld = notificaties.draai(runtime.sessions, nu=moment, settings=runtime.settings)
    resultaat = {"nu": moment.isoformat(), "verlopen": verlopen_aantal, "notificaties": gemeld}
    log.info("jobs", **resultaat)
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
