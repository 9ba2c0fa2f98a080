"""`knooppunt demo` (DESIGN §8): every module's story through an embedded hub, with no setup."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from knooppunt.cli.demo import VERHALEN, Tijdlijn, draai_demo, payload, sbn_besluit
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.modules.waarborgfonds.sbn import Drempels
from knooppunt.protocol.payloads.voorbeelden import voorbeeld


def _stil() -> Console:
    return Console(file=open(os.devnull, "w"), width=120)


def _demo(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    omgeving = {k: v for k, v in os.environ.items() if not k.startswith("KNOOPPUNT_")}
    omgeving |= {"HOME": str(tmp_path), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "knooppunt.cli.main", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
        env=omgeving,
    )


def test_demo_draait_zonder_instellingen_en_binnen_een_minuut(tmp_path: Path) -> None:
    begin = time.monotonic()
    uit = _demo(tmp_path)
    duur = time.monotonic() - begin
    assert uit.returncode == 0, uit.stderr
    assert duur < 60, f"de demo duurde {duur:.1f} s"
    for berichttype in (
        "kennisgeving_bsn",
        "saldoverzoek_nuts",
        "saldoverzoek_antwoord_standaard_akkoord",
        "klant_onbekend",
        "betaalvoorstel_akkoord",
        "betaalvoorstel_niet_akkoord",
        "heroverweging",
        "schuldregeling_geaccordeerd",
        "schuldregeling_beeindigd",
        "statusverzoek",
        "statusbericht",
        "geen_medewerking",
        "aanvraag_borgstelling",
        "gebeurtenis",
        "melding_bewind",
        "melding_bewind_antwoord",
        "pauze_beeindigd",
    ):
        assert berichttype in uit.stdout
    for titel in (
        "Landelijke pauzeknop",
        "Schuldinventarisatie, fase 1",
        "Schuldregeling (protocol 1.0)",
        "heroverweging (protocol 2.0)",
        "Betalingsregeling",
        "Waarborgfonds",
        "Meldingen bewindvoering",
    ):
        assert titel in uit.stdout
    assert "GEEN_BETAALVOORSTEL_NA_STANDAARD_AKKOORD" in uit.stdout  # art. 9.3, refused by the hub
    assert "verzoek" not in uit.stderr  # the request log stays out of the timeline
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_demo_een_module(tmp_path: Path) -> None:
    uit = _demo(tmp_path, "--module", "bewind")
    assert uit.returncode == 0, uit.stderr
    assert "Meldingen bewindvoering" in uit.stdout
    assert "Schuldregeling" not in uit.stdout
    fout = _demo(tmp_path, "--module", "schuld")
    assert fout.returncode == 2
    assert "kies uit pauzeknop, saldoverzoek, schuldregeling" in fout.stderr


def _verhaal(tijdlijn: Tijdlijn, titel: str) -> list[tuple[str, str]]:
    [verhaal] = [v for v in tijdlijn.verhalen if titel in v.titel]
    return [(s.berichttype, s.versie) for s in verhaal.stappen]


def test_demo_tijdlijn(tmp_path: Path) -> None:
    tijdlijn = draai_demo(_stil(), map_=tmp_path)
    assert {v.module for v in tijdlijn.verhalen} == set(CATALOGUS.modulecodes())
    stappen = tijdlijn.stappen
    geweigerd = [s for s in stappen if s.fout]
    assert [s.berichttype for s in geweigerd] == ["betaalvoorstel"]
    assert geweigerd[0].naar == "Zorgverzekeraar NV"

    # The handbook's story, in protocol 1.0.
    [oud] = [v for v in tijdlijn.verhalen if "protocol 1.0" in v.titel]
    assert {s.versie for s in oud.stappen if not s.fout} == {"1.0"}
    gelezen = {s.berichttype: s.gelezen for s in oud.stappen if not s.fout}
    assert "standaard akkoord" in gelezen["saldoverzoek_antwoord_standaard_akkoord"]
    assert "klant onbekend" in gelezen["klant_onbekend"]
    assert gelezen["betaalvoorstel_niet_akkoord"].startswith("niet akkoord")
    # Each creditor answers with its own data: the Belastingdienst with its own klantnummer, not the
    # payload examples' energy company's (EN-778812).
    [kennisgeving] = [s for s in oud.stappen if s.berichttype == "kennisgeving_antwoord"]
    assert kennisgeving.van == "Belastingdienst"
    assert kennisgeving.gelezen.startswith("klantnummer bij SE BD-"), kennisgeving.gelezen
    assert "EN-778812" not in " ".join(s.gelezen for s in stappen if s.van != "Energie BV")

    # 2.0: niet akkoord → heroverweging → akkoord → geaccordeerd.
    assert _verhaal(tijdlijn, "heroverweging")[-5:] == [
        ("betaalvoorstel", "2.0"),
        ("betaalvoorstel_niet_akkoord", "2.0"),
        ("heroverweging", "2.0"),
        ("betaalvoorstel_akkoord", "2.0"),
        ("schuldregeling_geaccordeerd", "2.0"),
    ]
    # Every question of the other modules is answered, in its module's version.
    assert _verhaal(tijdlijn, "fase 1") == [
        ("saldoverzoek_nuts", "2.0"),
        ("saldoverzoek_antwoord", "2.0"),
        ("saldoverzoek", "2.0"),
        ("geen_medewerking", "2.0"),
    ]
    # A bewindvoerder's inventarisatie, on the beschikking, in a conversation of its own.
    assert _verhaal(tijdlijn, "door een bewindvoerder") == [
        ("saldoverzoek_publiek", "2.0"),
        ("saldoverzoek_antwoord", "2.0"),
    ]
    assert [c for c, _ in _verhaal(tijdlijn, "pauzeknop")] == [
        "kennisgeving",
        "kennisgeving_antwoord",
        "kennisgeving_bsn",
        "kennisgeving_antwoord",
        "pauze_beeindigd",
    ]
    assert [c for c, _ in _verhaal(tijdlijn, "bewindvoering")][:2] == [
        "melding_bewind",
        "melding_bewind_antwoord",
    ]
    assert "betaalvoorstel_akkoord" in [c for c, _ in _verhaal(tijdlijn, "Betalingsregeling")]
    # The simulated fund decides each aanvraag by its limits.
    besluiten = {
        v.titel.split()[2]: [
            s.gelezen.split(":")[1].split()[0] for s in v.stappen if s.berichttype == "gebeurtenis"
        ]
        for v in tijdlijn.verhalen
        if v.module == "waarborgfonds"
    }
    assert besluiten == {
        "KB-2026-0101": ["borgstelling_afgegeven"],
        "KB-2026-0102": ["aanvraag_afgewezen"],
        "KB-2026-0103": ["aanvraag_in_behandeling", "borgstelling_afgegeven"],
    }
    # The hub's view carries metadata only: never what the recipient read.
    for stap in stappen:
        if not stap.fout:
            assert stap.gelezen not in stap.hub
            assert stap.hub.startswith("ref ")
            assert f"{stap.module} {stap.versie}" in stap.hub
    assert len(stappen) >= 60


def test_demo_van_een_module_draait_alleen_die(tmp_path: Path) -> None:
    tijdlijn = draai_demo(_stil(), map_=tmp_path, module="waarborgfonds")
    assert {v.module for v in tijdlijn.verhalen} == {"waarborgfonds"}
    assert set(VERHALEN) == set(CATALOGUS.modulecodes())


@pytest.mark.parametrize(
    ("som", "looptijd", "besluit"),
    [
        (499_999, 36, ["borgstelling_afgegeven"]),
        (499_999, 37, ["aanvraag_in_behandeling", "borgstelling_afgegeven"]),
        (500_000, 12, ["aanvraag_in_behandeling", "borgstelling_afgegeven"]),
        (999_999, 60, ["aanvraag_in_behandeling", "borgstelling_afgegeven"]),
        (1_000_000, 12, ["aanvraag_afgewezen"]),
    ],
)
def test_gesimuleerd_fonds_beslist_met_de_drempels(som: int, looptijd: int, besluit: list[str]) -> None:
    drempels = Drempels(direct_tot=500_000, direct_max_looptijd=36, afwijzen_vanaf=1_000_000)
    aanvraag = voorbeeld("waarborgfonds", "aanvraag_borgstelling") | {
        "brutoKredietsom": som,
        "looptijdMaanden": looptijd,
    }
    aanvraag.pop("proFormaBorgstelling", None)
    assert sbn_besluit(aanvraag, drempels) == besluit


def test_demo_payload_valt_terug_op_het_voorbeeld() -> None:
    """A change the type's model refuses leaves the example as it is."""
    basis = voorbeeld("schuldregeling", "betaalvoorstel", "1.0")
    assert payload("schuldregeling", "betaalvoorstel", "1.0", looptijdMaanden=-5) == basis
    gewijzigd = payload("schuldregeling", "betaalvoorstel", "1.0", onderbouwing="Anders.")
    assert gewijzigd["onderbouwing"] == "Anders."
