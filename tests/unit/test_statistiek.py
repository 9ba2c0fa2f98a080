"""The dashboard's arithmetic (DESIGN §7): percentiles, working time over weekends, holidays and
clock changes, and chart colours and axes that stay readable."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from knooppunt.hub.statistiek import Werkklok, percentiel
from knooppunt.portaal import grafiek
from knooppunt.protocol.werkdagen import Werkdagkalender

AMS = ZoneInfo("Europe/Amsterdam")


def _nl(tekst: str) -> datetime:
    return datetime.fromisoformat(tekst).replace(tzinfo=AMS)


def test_percentiel_interpoleert_tussen_rangen() -> None:
    assert percentiel([], 50) is None
    assert percentiel([7.0], 90) == 7.0
    assert percentiel([1, 2, 4, 6, 24, 72], 50) == 5.0
    assert percentiel([1, 2, 4, 6, 24, 72], 90) == 48.0
    assert percentiel([72, 1, 24, 2, 6, 4], 90) == 48.0  # order does not matter
    assert percentiel([48, 72], 90) == pytest.approx(69.6)


def test_werkuren_tellen_alleen_werkdagen() -> None:
    """The terms are in working days (DESIGN §6): a weekend or holiday does not count."""
    klok = Werkklok(Werkdagkalender(), date(2026, 12, 1), date(2027, 1, 10))
    # Friday noon to Monday noon: 12 + 12 hours.
    assert klok.werkuren(_nl("2026-12-04 12:00"), _nl("2026-12-07 12:00")) == 24.0
    # Within one working day.
    assert klok.werkuren(_nl("2026-12-08 09:00"), _nl("2026-12-08 11:30")) == 2.5
    # Thursday 24 December 12:00 to Monday 28 December 12:00: Christmas (25th, 26th) and the
    # weekend do not count.
    assert klok.werkuren(_nl("2026-12-24 12:00"), _nl("2026-12-28 12:00")) == 24.0
    # Arriving on a Saturday, confirmed on Monday at 08:00: 8 working hours.
    assert klok.werkuren(_nl("2026-12-05 15:00"), _nl("2026-12-07 08:00")) == 8.0
    # Extra closing days (configuration) do not count either.
    dicht = Werkklok(Werkdagkalender([date(2026, 12, 8)]), date(2026, 12, 1), date(2026, 12, 31))
    assert dicht.werkuren(_nl("2026-12-07 12:00"), _nl("2026-12-09 12:00")) == 24.0


def test_werkuren_over_de_klokwissel() -> None:
    """Monday 30 March 2026 follows the switch to summer time; moments in UTC give real hours."""
    klok = Werkklok(Werkdagkalender(), date(2026, 3, 20), date(2026, 4, 10))
    begin = datetime(2026, 3, 27, 11, 0, tzinfo=UTC)  # Friday 12:00 CET
    eind = datetime(2026, 3, 30, 10, 0, tzinfo=UTC)  # Monday 12:00 CEST
    assert klok.werkuren(begin, eind) == 24.0


def test_grafiekkleuren_hebben_voldoende_contrast() -> None:
    """WCAG 1.4.11: graphical objects ≥ 3:1 against the background and against each other."""
    for kleur in (*grafiek.REEKSEN, grafiek.RASTER):
        assert grafiek.contrast(kleur) >= 3.0, kleur
    assert grafiek.contrast(grafiek.REEKSEN[0], grafiek.REEKSEN[1]) >= 3.0
    assert grafiek.contrast(grafiek.TEKST) >= 4.5
    assert round(grafiek.contrast("#000000"), 1) == 21.0


def test_assen_en_getallen() -> None:
    assert grafiek.mooi_maximum(26) == 40
    assert grafiek.mooi_maximum(0, ondergrens=4) == 4
    assert grafiek.mooi_maximum(6, ondergrens=4) == 8
    assert grafiek.mooi_maximum(120) == 200
    assert grafiek.mooi_maximum(0.0003, ondergrens=1.0) == 2.0
    assert grafiek.getal(1234567) == "1.234.567"
    assert grafiek.getal(69.6, 1) == "69,6"


def test_staven_blijven_binnen_de_grafiek() -> None:
    g = grafiek.balken("g", "t", "d", ["a", "b"], [("Verstuurd", [10, 0]), ("Ontvangen", [3, 26])])
    assert len(g.staven) == 4 and len(g.legenda) == 2
    for staaf in g.staven:
        assert staaf.x >= 0 and staaf.x + staaf.breedte <= g.breedte
        assert staaf.y >= 0 and staaf.y + staaf.hoogte <= g.hoogte
    k = grafiek.kolommen("k", "t", "d", [f"wk {i}" for i in range(53)], list(range(53)))
    assert len(k.staven) == 53
    assert len([label for label in k.labels if label.tekst.startswith("wk")]) <= 14
    assert all(s.y >= 0 and s.y + s.hoogte <= k.hoogte for s in k.staven)
