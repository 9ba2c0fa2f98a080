"""A failure in the logs says why, in one JSON line and without content (operations.md "Logs":
`knooppunt_job_failures_total` counts runs that failed, "the error is in the log")."""

from __future__ import annotations

import io
import json
import logging
from contextlib import redirect_stderr

import structlog

from knooppunt.jobs import planner
from knooppunt.logging import configureer


def _regels(schrijf: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(r) for r in schrijf.getvalue().splitlines() if r.strip()]


def test_een_mislukte_job_noemt_soort_reden_en_plek() -> None:
    """Before: {"event": "job mislukt", "exc_info": true} — nothing about what went wrong (found by
    an independent operations probe after a broken audit sequence)."""
    uit = io.StringIO()
    with redirect_stderr(uit):
        configureer(json=True, niveau=logging.INFO)
        log = structlog.get_logger(planner.__name__)
        try:
            raise RuntimeError("de nieuwste ondertekende boomkop telt 41 auditregels")
        except RuntimeError:
            log.exception("job mislukt", job="audit_gesequenceerd")
    structlog.reset_defaults()
    [regel] = _regels(uit)
    assert regel["event"] == "job mislukt" and regel["job"] == "audit_gesequenceerd"
    assert regel["fout"] == "builtins.RuntimeError"
    assert regel["reden"] == "de nieuwste ondertekende boomkop telt 41 auditregels"
    assert isinstance(regel["waar"], list) and str(regel["waar"][0]).startswith("test_logregels.py:")
    assert "exc_info" not in regel


def test_een_lange_reden_wordt_afgekapt() -> None:
    uit = io.StringIO()
    with redirect_stderr(uit):
        configureer(json=True)
        try:
            raise ValueError("x" * 5000)
        except ValueError:
            structlog.get_logger("t").exception("mislukt")
    structlog.reset_defaults()
    [regel] = _regels(uit)
    assert len(str(regel["reden"])) < 510 and str(regel["reden"]).endswith(" …")
