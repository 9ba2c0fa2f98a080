"""A retired certificate stays in the adresboek "for the bevestigingstermijn plus 30 days" (DESIGN
§2, §5) — the term as this hub counts it: working days, its configured length and closing days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from knooppunt.hub import adresboek
from knooppunt.protocol.werkdagen import AMSTERDAM, Werkdagkalender


def _cert(ingetrokken_op: datetime | None) -> Any:
    return SimpleNamespace(ingetrokken_op=ingetrokken_op)


def test_zichtbaar_tot_het_einde_van_de_bevestigingstermijn_plus_30_dagen() -> None:
    kalender = Werkdagkalender()
    # Retired on Monday 23 November 2026: a message offered then is confirmed by the end of Monday
    # 30 November (DESIGN §6's example); 30 days later is the end of Wednesday 30 December.
    ingetrokken = datetime(2026, 11, 23, 10, 0, tzinfo=AMSTERDAM)
    tot = adresboek.zichtbaar_tot(ingetrokken, kalender, 5)
    assert tot == datetime(2026, 12, 30, 23, 59, 59, tzinfo=AMSTERDAM)
    # A longer configured term, and extra closing days, keep it longer.
    assert adresboek.zichtbaar_tot(ingetrokken, kalender, 10) == datetime(
        2027, 1, 6, 23, 59, 59, tzinfo=AMSTERDAM
    )
    gesloten = Werkdagkalender([date(2026, 11, 24)])
    assert adresboek.zichtbaar_tot(ingetrokken, gesloten, 5) == tot + timedelta(days=1)


def test_zichtbare_certificaten_laten_een_ingetrokken_certificaat_na_die_termijn_weg() -> None:
    kalender = Werkdagkalender()
    ingetrokken = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    actueel, oud = _cert(None), _cert(ingetrokken)
    deelnemer: Any = SimpleNamespace(certificaten=[actueel, oud])
    einde = adresboek.zichtbaar_tot(ingetrokken, kalender, 10)

    def zichtbaar(nu: datetime, termijn: int) -> list[Any]:
        return adresboek.zichtbare_certificaten(
            deelnemer, nu=nu, kalender=kalender, bevestigingstermijn=termijn
        )

    assert zichtbaar(einde, 10) == [actueel, oud]
    assert zichtbaar(einde + timedelta(seconds=1), 10) == [actueel]
    # With the default 5 working days it had gone a week earlier (a fixed window would not follow
    # a configured term).
    assert zichtbaar(einde - timedelta(days=5), 5) == [actueel]
