"""Working days (DESIGN §6): Algemene termijnenwet holidays, Europe/Amsterdam, end of last day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from knooppunt.protocol.werkdagen import AMSTERDAM, Werkdagkalender, feestdagen, parse_sluitingsdagen

K = Werkdagkalender()


def test_voorbeeld_uit_het_ontwerp() -> None:
    # Offered Monday 23 November 2026: confirm by the end of Monday 30 November.
    einde = K.termijn_einde(datetime(2026, 11, 23, 14, 0, tzinfo=AMSTERDAM), 5)
    assert einde == datetime(2026, 11, 30, 23, 59, 59, tzinfo=AMSTERDAM)


@pytest.mark.parametrize(
    ("dag", "naam"),
    [
        (date(2026, 1, 1), "Nieuwjaarsdag"),
        (date(2026, 4, 3), "Goede Vrijdag"),
        (date(2026, 4, 6), "Tweede Paasdag"),
        (date(2026, 4, 27), "Koningsdag"),
        (date(2026, 5, 5), "Bevrijdingsdag"),
        (date(2026, 5, 14), "Hemelvaartsdag"),
        (date(2026, 5, 25), "Tweede Pinksterdag"),
        (date(2026, 12, 25), "Eerste Kerstdag"),
        (date(2026, 12, 26), "Tweede Kerstdag"),
        (date(2027, 5, 5), "Bevrijdingsdag"),  # every year, not only in lustrum years
        (date(2014, 4, 26), "Koningsdag"),  # Koningsdag on a Sunday falls on 26 April
    ],
)
def test_feestdagen_van_de_algemene_termijnenwet(dag: date, naam: str) -> None:
    assert feestdagen(dag.year)[dag] == naam
    assert not K.is_werkdag(dag)


def test_weekend_en_gewone_dagen() -> None:
    assert not K.is_werkdag(date(2026, 11, 28))  # Saturday
    assert not K.is_werkdag(date(2026, 11, 29))  # Sunday
    assert K.is_werkdag(date(2026, 11, 27))
    assert len(feestdagen(2026)) == 9


def test_over_de_jaargrens_en_kerst() -> None:
    # Thursday 24 Dec 2026: 25 and 26 closed, then 28, 29, 30, 31 Dec; 1 Jan closed; 4 Jan is the 5th.
    assert K.plus_werkdagen(date(2026, 12, 24), 5) == date(2027, 1, 4)


def test_termijn_telt_vanaf_de_dag_erna_ook_bij_late_avond_utc() -> None:
    # 23:30 UTC on Sunday 22 Nov is already Monday 00:30 in Amsterdam.
    einde = K.termijn_einde(datetime(2026, 11, 22, 23, 30, tzinfo=UTC), 5)
    assert einde.date() == date(2026, 11, 30)


def test_zomertijd_wissel() -> None:
    # Clocks go forward on Sunday 29 March 2026; the end is still 23:59:59 local time (+02:00).
    einde = K.termijn_einde(datetime(2026, 3, 26, 10, 0, tzinfo=AMSTERDAM), 5)
    assert einde == datetime(2026, 4, 2, 23, 59, 59, tzinfo=AMSTERDAM)
    assert einde.utcoffset() is not None and einde.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]


def test_extra_sluitingsdagen_zijn_configureerbaar() -> None:
    k = Werkdagkalender(parse_sluitingsdagen(["2026-11-24"]))
    assert k.plus_werkdagen(date(2026, 11, 23), 5) == date(2026, 12, 1)
    with pytest.raises(ValueError, match="is geen datum"):
        parse_sluitingsdagen(["24-11-2026"])


def test_naive_moment_geweigerd() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        K.termijn_einde(datetime(2026, 11, 23), 5)


def _pasen(jaar: int) -> date:
    """Easter Sunday (anonymous Gregorian algorithm): an independent check on the holiday library."""
    a, b, c = jaar % 19, jaar // 100, jaar % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ll = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ll) // 451
    maand = (h + ll - 7 * m + 114) // 31
    dag = (h + ll - 7 * m + 114) % 31 + 1
    return date(jaar, maand, dag)


@pytest.mark.parametrize("jaar", range(2015, 2041))
def test_feestdagen_kloppen_met_de_wet_voor_twintig_jaar(jaar: int) -> None:
    """Algemene termijnenwet art. 3: exactly these nine days, every year."""
    from datetime import timedelta

    pasen = _pasen(jaar)
    koningsdag = date(jaar, 4, 27)
    if koningsdag.weekday() == 6:  # on a Sunday it is held on Saturday 26 April
        koningsdag = date(jaar, 4, 26)
    verwacht = {
        date(jaar, 1, 1),
        pasen - timedelta(days=2),
        pasen + timedelta(days=1),
        koningsdag,
        date(jaar, 5, 5),
        pasen + timedelta(days=39),
        pasen + timedelta(days=50),
        date(jaar, 12, 25),
        date(jaar, 12, 26),
    }
    assert set(feestdagen(jaar)) == verwacht
