"""Node.js for the tests that check against a JavaScript implementation: the JOSE interop
(tests/interop, panva/jose) and the portal's eHerkenning login against a real OpenID Connect
provider (tests/oidc, panva/oidc-provider). Each folder has a package.json and package-lock.json;
its node_modules/ (git-ignored) is installed with `npm ci` when it is missing or stale.

Without node or npm the test is skipped with the reason; with CI=true that is a failure instead.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def node_met_pakketten(map_: Path, waarvoor: str) -> str:
    """The node binary, with the packages of map_/package-lock.json installed in map_/node_modules."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        reden = f"node/npm not installed (apt-get install nodejs npm); {waarvoor} needs them"
        if _ci():
            pytest.fail(f"CI=true: {reden}")
        pytest.skip(reden)
    # One `npm ci` at a time per folder: `make test` runs the suite in several worker processes
    # (pytest-xdist), and `npm ci` empties node_modules/ before it fills it again.
    with (map_ / ".npm-ci.lock").open("w") as slot:
        fcntl.flock(slot, fcntl.LOCK_EX)
        _installeer(npm, map_)
    return node


def _installeer(npm: str, map_: Path) -> None:
    pakketten = json.loads((map_ / "package-lock.json").read_text())["packages"]
    for pad, gegevens in pakketten.items():
        if not pad or gegevens.get("optional") or "version" not in gegevens:
            continue  # the root, packages for other platforms, links
        geinstalleerd = map_ / pad / "package.json"
        if (
            not geinstalleerd.exists()
            or json.loads(geinstalleerd.read_text())["version"] != gegevens["version"]
        ):
            r = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--prefix", str(map_)],
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            assert r.returncode == 0, f"npm ci in {map_} failed:\n{r.stdout}\n{r.stderr}"
            break


def draai_script(node: str, script: Path, invoer: Any) -> Any:
    """Run a Node script that reads one JSON value on stdin and prints one on stdout; its answer."""
    r = subprocess.run(
        [node, str(script)],
        input=json.dumps(invoer),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)
