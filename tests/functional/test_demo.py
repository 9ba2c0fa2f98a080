"""`knooppunt demo` (DESIGN §8): a whole schuldregeling through an embedded hub, with no setup."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from knooppunt.cli.demo import draai_demo


def test_demo_draait_zonder_instellingen(tmp_path: Path) -> None:
    omgeving = {k: v for k, v in os.environ.items() if not k.startswith("KNOOPPUNT_")}
    omgeving |= {"HOME": str(tmp_path), "COLUMNS": "200"}
    uit = subprocess.run(
        [sys.executable, "-m", "knooppunt.cli.main", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env=omgeving,
    )
    assert uit.returncode == 0, uit.stderr
    for berichttype in (
        "kennisgeving_bsn",
        "saldoverzoek_nuts",
        "saldoverzoek_antwoord_standaard_akkoord",
        "klant_onbekend",
        "betaalvoorstel_akkoord",
        "betaalvoorstel_niet_akkoord",
        "schuldregeling_geaccordeerd",
        "schuldregeling_beeindigd",
        "statusverzoek",
        "statusbericht",
    ):
        assert berichttype in uit.stdout
    assert "GEEN_BETAALVOORSTEL_NA_STANDAARD_AKKOORD" in uit.stdout  # art. 9.3, refused by the hub
    assert "verzoek" not in uit.stderr  # the request log stays out of the timeline
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_demo_tijdlijn(tmp_path: Path) -> None:
    console = Console(file=open(os.devnull, "w"), width=120)  # noqa: SIM115
    tijdlijn = draai_demo(console, map_=tmp_path)
    stappen = tijdlijn.stappen
    geweigerd = [s for s in stappen if s.fout]
    assert [s.berichttype for s in geweigerd] == ["betaalvoorstel"]
    assert geweigerd[0].naar == "Zorgverzekeraar NV"
    gelezen = {s.berichttype: s.gelezen for s in stappen if not s.fout}
    assert "standaard akkoord" in gelezen["saldoverzoek_antwoord_standaard_akkoord"]
    assert "klant onbekend" in gelezen["klant_onbekend"]
    assert gelezen["betaalvoorstel_niet_akkoord"].startswith("niet akkoord")
    # The hub's view carries metadata only: never what the recipient read.
    for stap in stappen:
        if not stap.fout:
            assert stap.gelezen not in stap.hub
            assert stap.hub.startswith("ref ")
    assert len(stappen) >= 25
