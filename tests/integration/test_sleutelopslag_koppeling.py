"""A node whose key store is not the one the message database works with refuses to start
(DESIGN §5 "Deletion means gone": day keys live in a key store apart from the message database,
shared by every node; §8: stateless nodes on one database).

Two nodes with a key store each would each seal what they store under keys the other cannot
open: a fetch on the other node leaves those messages out, silently. The first process records
its key store's identity in the message database; another store is refused at start with what to
set, and `knooppunt sleutels koppel --opgeven` is the deliberate way out after a store is lost."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from knooppunt import runtime as runtime_mod
from knooppunt.cli.main import main as cli
from knooppunt.config import SettingsError
from tests.conftest import maak_settings

pytestmark = pytest.mark.usefixtures("pki")


def _bouw(database_url: str, data_dir: Path, pki_dir: Path, **extra: object) -> runtime_mod.Runtime:
    return runtime_mod.bouw(maak_settings(database_url, data_dir, pki_dir, **extra))


def test_tweede_node_met_eigen_sleutelopslag_start_niet(
    database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    eerste = _bouw(database_url, tmp_path / "node-a", pki_dir)
    try:
        with pytest.raises(SettingsError) as fout:
            _bouw(database_url, tmp_path / "node-b", pki_dir)
        tekst = str(fout.value)
        assert "KNOOPPUNT_SLEUTELOPSLAG_URL" in tekst
        assert "KNOOPPUNT_DATA_DIR" in tekst
        assert "knooppunt sleutels koppel --opgeven" in tekst
        assert eerste.dagsleutels.identiteit() in tekst  # names the store the database knows
        # The first node goes on as before; the same configuration starts again.
        tweede_keer = _bouw(database_url, tmp_path / "node-a", pki_dir)
        tweede_keer.close()
    finally:
        eerste.close()


def test_gedeelde_sleutelopslag_en_hoofdsleutel_starten_beide(
    database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """Two data directories, one key store and one master key (as a cluster's nodes are
    configured): both start."""
    sleutel = base64.b64encode(os.urandom(32)).decode()
    gedeeld = {
        "sleutelopslag_url": f"sqlite:///{tmp_path / 'sleutelopslag.sqlite3'}",
        "dagsleutel_hoofdsleutels": f"k1:{sleutel}",
    }
    a = _bouw(database_url, tmp_path / "node-a", pki_dir, **gedeeld)
    b = _bouw(database_url, tmp_path / "node-b", pki_dir, **gedeeld)
    try:
        assert a.dagsleutels.identiteit() == b.dagsleutels.identiteit()
    finally:
        a.close()
        b.close()


def test_koppel_opgeven_maakt_de_nieuwe_opslag_de_geldende(
    database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    oud = _bouw(database_url, tmp_path / "oud", pki_dir)
    oud_id = oud.dagsleutels.identiteit()
    oud.close()
    nieuw_settings = maak_settings(database_url, tmp_path / "nieuw", pki_dir)
    from knooppunt.store.dagsleutels import Dagsleutels
    from knooppunt.store.db import maak_engine

    opslag = Dagsleutels.uit_instellingen(nieuw_settings)
    engine = maak_engine(database_url, pool_size=1)
    try:
        assert opslag.koppel(engine) == oud_id
        assert opslag.koppel(engine) is None  # already this one
    finally:
        engine.dispose()
        opslag.close()
    _bouw(database_url, tmp_path / "nieuw", pki_dir).close()
    with pytest.raises(SettingsError):
        _bouw(database_url, tmp_path / "oud", pki_dir)


def test_cli_sleutels_koppel(database_url: str, tmp_path: Path, pki_dir: Path) -> None:
    _bouw(database_url, tmp_path / "node-a", pki_dir).close()
    omgeving = {
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": database_url,
        "KNOOPPUNT_DATA_DIR": str(tmp_path / "node-b"),
        "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
    }
    runner = CliRunner()
    fout = runner.invoke(cli, ["sleutels", "koppel"], env=omgeving)
    assert fout.exit_code == 2, fout.output
    assert "configuratiefout" in fout.output and "--opgeven" in fout.output

    # `knooppunt worker --once` builds a runtime as `serve` does: refused the same way.
    werker = runner.invoke(cli, ["worker", "--once"], env=omgeving)
    assert werker.exit_code == 2, werker.output
    assert "KNOOPPUNT_SLEUTELOPSLAG_URL" in werker.output

    goed = runner.invoke(cli, ["sleutels", "koppel", "--opgeven"], env=omgeving)
    assert goed.exit_code == 0, goed.output
    assert "in plaats van" in goed.output
    daarna = runner.invoke(cli, ["sleutels", "koppel"], env=omgeving)
    assert daarna.exit_code == 0, daarna.output
    assert "is die van de berichtendatabase" in daarna.output


def test_geweigerde_sleutelopslag_blijft_onaangeroerd(
    database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """A node pointed at a wrong key-store database (a mistyped KNOOPPUNT_SLEUTELOPSLAG_URL) is
    refused before it writes anything there: no tables, no identity row (decision 0040)."""
    import sqlalchemy

    _bouw(database_url, tmp_path / "node-a", pki_dir).close()
    verkeerd = tmp_path / "verkeerde-database.sqlite3"
    with pytest.raises(SettingsError, match="nog leeg"):
        _bouw(database_url, tmp_path / "node-b", pki_dir, sleutelopslag_url=f"sqlite:///{verkeerd}")
    engine = sqlalchemy.create_engine(f"sqlite:///{verkeerd}")
    try:
        assert sqlalchemy.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()

    # `sleutels status` and `sleutels koppel` (without --opgeven) only look, too.
    omgeving = {
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": database_url,
        "KNOOPPUNT_DATA_DIR": str(tmp_path / "node-b"),
        "KNOOPPUNT_SLEUTELOPSLAG_URL": f"sqlite:///{verkeerd}",
        "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
    }
    runner = CliRunner()
    status = runner.invoke(cli, ["sleutels", "status"], env=omgeving)
    assert status.exit_code == 0, status.output
    assert "0 levende dagsleutel(s)" in status.output
    koppel = runner.invoke(cli, ["sleutels", "koppel"], env=omgeving)
    assert koppel.exit_code == 2, koppel.output
    engine = sqlalchemy.create_engine(f"sqlite:///{verkeerd}")
    try:
        assert sqlalchemy.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
