"""The job runner when the database is away: every job counts a failed run (DESIGN §8: an
operator alerts on knooppunt_job_failures_total), and the run says the database is unreachable."""

from __future__ import annotations

from pathlib import Path

import pytest

from knooppunt import metrics
from knooppunt import runtime as runtime_mod
from knooppunt.jobs.planner import JOBS, JobsMislukt, draai_eenmaal
from tests.conftest import maak_settings


def _meting(naam: str, job: str) -> float:
    return metrics.JOBS.get_sample_value(naam, {"job": job}) or 0.0


def test_database_weg_telt_een_mislukte_run_per_job(tmp_path: Path, pki_dir: Path) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    weg = maak_settings("postgresql://postgres@127.0.0.1:1/nergens", tmp_path / "data", pki_dir)
    rt = runtime_mod.bouw(weg, upgrade=False)
    namen = (
        "knooppunt_job_runs_total",
        "knooppunt_job_failures_total",
        "knooppunt_job_last_success_timestamp_seconds",
    )
    voor = {(naam, job): _meting(naam, job) for naam in namen for job in JOBS}
    try:
        with pytest.raises(JobsMislukt, match="database onbereikbaar"):
            draai_eenmaal(rt)
    finally:
        rt.close()
    for job in JOBS:
        assert _meting("knooppunt_job_runs_total", job) == voor["knooppunt_job_runs_total", job] + 1
        assert _meting("knooppunt_job_failures_total", job) == voor["knooppunt_job_failures_total", job] + 1
        succes = "knooppunt_job_last_success_timestamp_seconds"
        assert _meting(succes, job) == voor[succes, job], f"{job}: een mislukte run telt niet als succes"
