"""What an operator is told at start-up (independent operations probe; STYLE "refusals that say in
Dutch what to do"): production's missing settings all in one run, one line each; which of the two
databases is unreachable; a new data dir made relative to the current folder."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from knooppunt.cli.main import main


def _vrije_poort() -> int:
    """A port on which nothing listens (bound and released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def kale_omgeving(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No KNOOPPUNT_* setting at all, in an empty current folder (returned)."""
    for naam in list(os.environ):
        if naam.startswith("KNOOPPUNT_") and not naam.startswith("KNOOPPUNT_TEST_"):
            monkeypatch.delenv(naam)
    map_ = tmp_path / "leeg"
    map_.mkdir()
    monkeypatch.chdir(map_)
    return map_


def _configuratiefouten(uitvoer: str) -> list[str]:
    regels = [r for r in uitvoer.splitlines() if r.strip()]
    assert all(r.startswith("configuratiefout: ") for r in regels), uitvoer
    return [r.removeprefix("configuratiefout: ") for r in regels]


def test_serve_in_productie_noemt_alles_wat_ontbreekt_in_een_keer(
    kale_omgeving: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`KNOOPPUNT_ENV=production knooppunt serve` with nothing else set took seven runs, one missing
    setting each (DATABASE_URL, TRUST_ANCHORS, PORTAAL_HOOFDSLEUTELS, --tls-cert, the day-key master
    key, the key store, CRLS); now one run names them all, one line each, in Dutch, and makes
    nothing."""
    monkeypatch.setenv("KNOOPPUNT_ENV", "production")
    r = CliRunner().invoke(main, ["serve"])
    assert r.exit_code == 2, r.output
    regels = _configuratiefouten(r.stderr)
    verwacht = [
        "KNOOPPUNT_DATABASE_URL",
        "KNOOPPUNT_TRUST_ANCHORS",
        "KNOOPPUNT_PORTAAL_HOOFDSLEUTELS",
        "KNOOPPUNT_OIDC_ISSUER",
        "--tls-cert en --tls-key",
        "KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS",
        "KNOOPPUNT_SLEUTELOPSLAG_URL",
        "KNOOPPUNT_CRLS",
        "KNOOPPUNT_AUDIT_SLEUTEL_FILE",
    ]
    assert len(regels) == len(verwacht), regels
    for regel, naam in zip(regels, verwacht, strict=True):
        assert naam in regel, (naam, regel)
    for engels in ("production needs", "checks revocation", " set KNOOPPUNT", "is required"):
        assert engels not in r.stderr
    assert list(kale_omgeving.iterdir()) == []  # refused before anything was made


def test_serve_in_productie_met_een_ontbrekende_instelling_noemt_alleen_die(
    kale_omgeving: Path, monkeypatch: pytest.MonkeyPatch, pki_dir: Path
) -> None:
    sleutel = "a:" + "A" * 43 + "="
    for naam, waarde in {
        "ENV": "production",
        "DATABASE_URL": "postgresql://knooppunt@127.0.0.1:1/knooppunt",
        "SLEUTELOPSLAG_URL": "postgresql://knooppunt@127.0.0.1:1/sleutels",
        "TRUST_ANCHORS": str(pki_dir / "ca.pem"),
        "DAGSLEUTEL_HOOFDSLEUTELS": sleutel,
        "PORTAAL_ACTIEF": "false",
    }.items():
        monkeypatch.setenv(f"KNOOPPUNT_{naam}", waarde)
    r = CliRunner().invoke(main, ["serve", "--uds", str(kale_omgeving / "s.sock"), "--no-jobs"])
    assert r.exit_code == 2, r.output
    assert _configuratiefouten(r.stderr) == [
        "productie controleert bij elk verzoek of het certificaat is ingetrokken (DESIGN §5): zet "
        "KNOOPPUNT_CRLS op de CRL's (bestandspaden of http(s)-URL's) van de CA's in KNOOPPUNT_TRUST_ANCHORS"
    ]


def test_een_onbereikbare_sleutelopslag_noemt_knooppunt_sleutelopslag_url(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key store down, the message database fine: the line names the key store and
    KNOOPPUNT_SLEUTELOPSLAG_URL (it said "de database … controleer KNOOPPUNT_DATABASE_URL")."""
    poort = _vrije_poort()
    monkeypatch.setenv("KNOOPPUNT_SLEUTELOPSLAG_URL", f"postgresql://postgres:x@127.0.0.1:{poort}/k")
    r = cli("worker", "--once")
    assert r.exit_code == 1, r.output
    assert r.stderr.startswith("fout: de sleutelopslag (de database van de dagsleutels) is niet bereikbaar")
    assert str(poort) in r.stderr and "KNOOPPUNT_SLEUTELOPSLAG_URL" in r.stderr
    assert "KNOOPPUNT_DATABASE_URL" not in r.stderr
    assert ":x@" not in r.stderr  # never the password


def test_een_nieuwe_datamap_in_de_huidige_map_wordt_gemeld(
    cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Run from another folder, `knooppunt deelnemer list` said "(geen deelnemers)" and silently made
    a new key store and day-key master key in ./.knooppunt: now one line on stderr names that folder,
    says it is relative to the current folder and what to do. Said once: the second run finds it."""
    monkeypatch.delenv("KNOOPPUNT_DATA_DIR")
    elders = tmp_path / "elders"
    elders.mkdir()
    monkeypatch.chdir(elders)

    # `db upgrade` on the configured database keeps nothing in the data dir: not made, not said.
    r = cli("db", "upgrade")
    assert r.exit_code == 0, r.output
    assert "datamap" not in r.stderr and not (elders / ".knooppunt").exists()

    r = cli("deelnemer", "list")
    assert r.exit_code == 0, r.output
    [melding, leeg] = r.stderr.splitlines()
    assert leeg == "(geen deelnemers)"
    assert melding.startswith(f"let op: nieuwe, lege datamap {elders / '.knooppunt'} ")
    assert "relatief aan de huidige map" in melding and "make run" in melding
    assert "KNOOPPUNT_DATA_DIR" in melding
    assert (elders / ".knooppunt").is_dir()

    r = cli("deelnemer", "list")
    assert r.exit_code == 0 and "datamap" not in r.stderr, r.stderr
