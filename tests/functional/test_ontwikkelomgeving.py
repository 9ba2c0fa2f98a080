"""The developer's first commands (issue #11, item 8): the Makefile works in a virtual environment
of the project's own and takes a port, and `knooppunt serve` starts without deprecation warnings."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.functional.server import start_hub

REPO = Path(__file__).resolve().parents[2]


def _make_droog(*doelen: str) -> str:
    """What `make` would run (-n: nothing runs), from a state where .venv does not exist yet."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    uit = subprocess.run(
        ["make", "-n", "--no-print-directory", "VENV=.venv-bestaat-niet", *doelen],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return uit.stdout


def test_make_installeert_in_een_eigen_virtuele_omgeving() -> None:
    stappen = _make_droog("install").splitlines()
    assert stappen[0].endswith("-m venv .venv-bestaat-niet")
    assert any(s.startswith(".venv-bestaat-niet/bin/python -m pip install") and "-e" in s for s in stappen)
    # Nothing is installed with the Python that happens to be first on PATH.
    assert not any(s.startswith(("python3 -m pip", "pip ")) for s in stappen), stappen
    test = _make_droog("test").splitlines()
    assert test[-1] == ".venv-bestaat-niet/bin/python -m pytest -n auto --dist loadfile"


def test_make_run_neemt_een_poort() -> None:
    assert _make_droog("run").splitlines()[-1].endswith("knooppunt serve --port 8443")
    assert _make_droog("run", "PORT=9443").splitlines()[-1].endswith("knooppunt serve --port 9443")


def test_serve_start_zonder_deprecation_warnings(database_url: str, tmp_path: Path, pki_dir: Path) -> None:
    with start_hub(
        database_url=database_url,
        data_dir=tmp_path / "hub",
        pki_dir=pki_dir,
        extra_args=["--no-jobs"],
    ) as hub:
        time.sleep(0.2)  # let the log reader take what the start printed
        uitvoer = "".join(hub.log)
    assert "Knooppunt (development)" in uitvoer
    assert "DeprecationWarning" not in uitvoer, uitvoer
