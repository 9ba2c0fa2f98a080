"""`knooppunt worker --now` (DESIGN §6: "with KNOOPPUNT_ENV=development, --now ISO-8601 sets its
clock"): a time without an offset is Europe/Amsterdam time; one that a DST change makes ambiguous or
non-existent is refused with what to give instead, never guessed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click
import pytest

from knooppunt.cli.main import _parse_now
from knooppunt.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(env="development", data_dir=tmp_path)


def test_zonder_offset_is_het_amsterdamse_tijd(settings: Settings) -> None:
    assert _parse_now("2027-01-15T12:00", settings) == datetime(2027, 1, 15, 11, tzinfo=UTC)
    assert _parse_now("2027-07-15T12:00", settings) == datetime(2027, 7, 15, 10, tzinfo=UTC)
    assert _parse_now("2027-03-28T02:30+01:00", settings) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "waarom"),
    [("2027-03-28T02:30", "bestaat niet"), ("2026-10-25T02:30", "bestaat twee keer")],
)
def test_een_tijd_in_de_zomertijdwissel_vraagt_een_offset(
    settings: Settings, moment: str, waarom: str
) -> None:
    with pytest.raises(click.BadParameter, match=f"{waarom} in Europe/Amsterdam.*geef de offset"):
        _parse_now(moment, settings)
