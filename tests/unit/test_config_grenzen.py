"""Settings an operator can get wrong without noticing (independent operations probe): an empty
file setting, a retention term shorter than a question's life, an extra closing day that is no
date, and production's refusals all at once."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from knooppunt.config import DEFAULT_DATA_DIR, Settings, SettingsError, load_settings, minimale_bewaartermijn
from knooppunt.protocol.werkdagen import Werkdagkalender
from knooppunt.runtime import laad_audit_sleutel


@pytest.mark.parametrize(
    "naam",
    [
        "KNOOPPUNT_AUDIT_SLEUTEL_FILE",
        "KNOOPPUNT_PORTAAL_CA_CERTIFICAAT",
        "KNOOPPUNT_PORTAAL_CA_SLEUTEL",
        "KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS_BESTAND",
    ],
)
def test_een_lege_bestandsinstelling_is_niet_gezet(monkeypatch: pytest.MonkeyPatch, naam: str) -> None:
    """`KNOOPPUNT_AUDIT_SLEUTEL_FILE=` was the current folder (".: niet te lezen (Is a directory)");
    empty means not set, as for every text and list setting."""
    monkeypatch.setenv(naam, "")
    assert getattr(load_settings(), naam.removeprefix("KNOOPPUNT_").lower()) is None
    monkeypatch.setenv(naam, "  ")
    assert getattr(load_settings(), naam.removeprefix("KNOOPPUNT_").lower()) is None


def test_een_lege_audit_sleutel_in_productie_zegt_dat_ze_verplicht_is(
    monkeypatch: pytest.MonkeyPatch, pki_dir: Path
) -> None:
    monkeypatch.setenv("KNOOPPUNT_AUDIT_SLEUTEL_FILE", "")
    settings = load_settings(
        env="production", database_url="postgresql://x@y/z", trust_anchors=[pki_dir / "ca.pem"]
    )
    with pytest.raises(SettingsError) as info:
        laad_audit_sleutel(settings)
    assert str(info.value).startswith("KNOOPPUNT_AUDIT_SLEUTEL_FILE is verplicht in productie")
    assert "directory" not in str(info.value)


def test_een_lege_datamap_is_de_standaard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KNOOPPUNT_DATA_DIR", "")
    assert load_settings().data_dir == DEFAULT_DATA_DIR


@pytest.mark.parametrize("waarde", ["1", "30", "89"])
def test_een_bewaartermijn_korter_dan_een_vraag_leeft_wordt_geweigerd(
    monkeypatch: pytest.MonkeyPatch, waarde: str
) -> None:
    """Art. 2.1: an answer refers to its question. With KNOOPPUNT_BERICHT_BEWAARTERMIJN_DAGEN=1 the
    purge took confirmed, unanswered questions, and their answers were refused ONGELDIG_ANTWOORD."""
    monkeypatch.setenv("KNOOPPUNT_BERICHT_BEWAARTERMIJN_DAGEN", waarde)
    with pytest.raises(SettingsError) as info:
        load_settings()
    melding = str(info.value)
    assert melding.startswith("KNOOPPUNT_BERICHT_BEWAARTERMIJN_DAGEN: moet minstens 90 dagen zijn")
    assert f"(gegeven: {waarde})" in melding
    assert "bevestigingstermijn (5 werkdagen)" in melding and "antwoordtermijn (10 werkdagen)" in melding
    assert "ONGELDIG_ANTWOORD" in melding
    monkeypatch.setenv("KNOOPPUNT_BERICHT_BEWAARTERMIJN_DAGEN", "90")
    assert load_settings().bericht_bewaartermijn_dagen == 90


def test_langere_termijnen_vragen_een_langere_bewaartermijn() -> None:
    minimum = minimale_bewaartermijn(60, 60, 0)
    assert minimum > 90
    with pytest.raises(ValueError, match=f"moet minstens {minimum} dagen zijn"):
        Settings(
            bevestigingstermijn_werkdagen=60,
            antwoordtermijn_2_werkdagen=60,
            bericht_bewaartermijn_dagen=minimum - 1,
        )
    Settings(
        bevestigingstermijn_werkdagen=60, antwoordtermijn_2_werkdagen=60, bericht_bewaartermijn_dagen=minimum
    )


@pytest.mark.parametrize(("bevestiging", "antwoord"), [(5, 10), (20, 30), (60, 60)])
def test_de_minimale_bewaartermijn_overleeft_elke_vraag_met_een_maand_marge(
    bevestiging: int, antwoord: int
) -> None:
    """Whatever day a question arrives (two years of them, every holiday of the Algemene
    termijnenwet), its bevestigingstermijn plus antwoordtermijn end at least 30 days before the
    purge may take it."""
    kalender = Werkdagkalender()
    minimum = minimale_bewaartermijn(bevestiging, antwoord, 0)
    dag = date(2026, 1, 1)
    while dag < date(2028, 1, 1):
        einde = kalender.plus_werkdagen(dag, bevestiging + antwoord)
        assert (einde - dag).days + 30 <= minimum, (dag, einde, minimum)
        dag += timedelta(days=1)


def test_een_extra_sluitingsdag_die_geen_datum_is_wordt_in_het_nederlands_geweigerd(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KNOOPPUNT_EXTRA_SLUITINGSDAGEN", "2026-12-24,2026-13-01")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value) == (
        "KNOOPPUNT_EXTRA_SLUITINGSDAGEN: '2026-13-01' is geen datum als JJJJ-MM-DD (bijv. 2026-12-24); "
        "noem de extra sluitingsdagen zo, gescheiden door komma's"
    )
    monkeypatch.setenv("KNOOPPUNT_EXTRA_SLUITINGSDAGEN", "2026-12-24, 2026-12-31")
    assert load_settings().extra_sluitingsdagen == ["2026-12-24", "2026-12-31"]


def test_productie_noemt_wat_de_instellingen_missen_in_een_keer() -> None:
    """docs/configuration.md: one line per variable, all of them in one run."""
    with pytest.raises(SettingsError) as info:
        load_settings(env="production", webhook_lokaal_toegestaan=True)
    regels = str(info.value).splitlines()
    assert [r.split(" ")[0] for r in regels] == [
        "KNOOPPUNT_DATABASE_URL",
        "KNOOPPUNT_TRUST_ANCHORS",
        "KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN",
    ]
