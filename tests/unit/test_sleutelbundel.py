"""The key bundle of the portal (DESIGN §5 "Portal", decision 0025): built from pinned npm packages,
byte-for-byte reproducible, its SHA-256 published in docs/portaal.md, and free of what the page's
policy forbids (HTML from strings, eval, web storage, service workers).

The rebuild needs node and npm (and the npm registry); without them it is skipped, with CI=true it
fails instead (tests/node.py)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from knooppunt.portaal.routes import sleutels
from tests.node import _ci

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "src" / "knooppunt" / "portaal" / "js"
BUNDEL = ROOT / "src" / "knooppunt" / "portaal" / "static" / "js" / "portaal-sleutels.js"
DOCS = ROOT / "docs" / "portaal.md"


def test_pakketten_zijn_exact_vastgepind() -> None:
    pakket = json.loads((JS / "package.json").read_text())
    for naam, versie in {**pakket["dependencies"], **pakket["devDependencies"]}.items():
        assert versie[0].isdigit(), f"{naam}@{versie}: pin an exact version"
    slot = json.loads((JS / "package-lock.json").read_text())["packages"]
    for naam in pakket["dependencies"]:
        assert slot[f"node_modules/{naam}"]["version"] == pakket["dependencies"][naam]
        assert slot[f"node_modules/{naam}"]["integrity"].startswith("sha512-")


def test_sha256_staat_in_de_documentatie() -> None:
    digest = hashlib.sha256(BUNDEL.read_bytes()).hexdigest()
    assert sleutels.bundel_sha256() == digest
    assert f"`{digest}`" in DOCS.read_text(encoding="utf-8"), (
        f"docs/portaal.md must publish the bundle's SHA-256 {digest} (section 'Sleutels in de browser')"
    )


def test_bundel_bevat_niets_wat_de_pagina_verbiedt() -> None:
    tekst = BUNDEL.read_text(encoding="utf-8")
    for verboden in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "localStorage",
        "sessionStorage",
        "indexedDB",
        "serviceWorker",
    ):
        assert verboden not in tekst, verboden


def test_bundel_is_reproduceerbaar(tmp_path: Path) -> None:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        reden = "node/npm not installed; rebuilding the key bundle needs them"
        if _ci():
            pytest.fail(f"CI=true: {reden}")
        pytest.skip(reden)
    werk = tmp_path / "js"
    werk.mkdir()
    for naam in ("package.json", "package-lock.json", "build.mjs"):
        shutil.copy(JS / naam, werk / naam)
    shutil.copytree(JS / "src", werk / "src")
    r = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=werk,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert r.returncode == 0, f"npm ci failed:\n{r.stdout}\n{r.stderr}"
    uit = tmp_path / "portaal-sleutels.js"
    r = subprocess.run(
        [node, "build.mjs", str(uit)], cwd=werk, capture_output=True, text=True, timeout=300, check=False
    )
    assert r.returncode == 0, f"build failed:\n{r.stdout}\n{r.stderr}"
    assert uit.read_bytes() == BUNDEL.read_bytes(), (
        "the committed bundle is not what src/knooppunt/portaal/js builds: run `npm ci && node build.mjs` "
        "there and commit static/js/portaal-sleutels.js (and its SHA-256 in docs/portaal.md)"
    )
