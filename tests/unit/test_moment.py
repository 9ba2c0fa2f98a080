"""A period bound on the wire (`api.schemas.lees_moment`, the logboek's `vanaf`/`tot`): RFC 3339
date-times with their offset and dates, each read whole, in UTC; everything else refused in Dutch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic_core import PydanticCustomError

from knooppunt.api.schemas import lees_moment


@pytest.mark.parametrize(
    ("tekst", "verwacht"),
    [
        ("2026-11-01", datetime(2026, 10, 31, 23, 0, tzinfo=UTC)),  # winter time: +01:00
        ("2026-07-01", datetime(2026, 6, 30, 22, 0, tzinfo=UTC)),  # summer time: +02:00
        ("2026-11-01T09:00:00+01:00", datetime(2026, 11, 1, 8, 0, tzinfo=UTC)),
        ("2026-11-01t09:00:00z", datetime(2026, 11, 1, 9, 0, tzinfo=UTC)),  # RFC 3339 allows lower case
        ("2026-11-01T09:00:00.123456789-00:30", datetime(2026, 11, 1, 9, 30, 0, 123456, tzinfo=UTC)),
        ("0001-01-01T00:00:00+23:59", datetime.min.replace(tzinfo=UTC)),
        ("9999-12-31T23:59:59-23:59", datetime.max.replace(tzinfo=UTC)),
    ],
)
def test_datum_of_tijdstip_met_zone_wordt_utc(tekst: str, verwacht: datetime) -> None:
    assert lees_moment(tekst) == verwacht


@pytest.mark.parametrize(
    ("tekst", "reden"),
    [
        ("2026-11-01T09:00:00", "mist een tijdzone"),
        ("2026-11-01T09:00", "mist een tijdzone"),
        ("2026-11-01T09:00:00 01:00", "%2B"),
        ("2026-02-29", "geen bestaande datum"),
        ("2026-11-01T09:60:00Z", "geen bestaande datum"),
        ("2026-11-01T09:00:00+24:00", "geen bestaande datum"),
        ("2026-11-01\n", "moet een datum"),
        ("20261101", "moet een datum"),
        ("2026-W44", "moet een datum"),
        ("١٢٣٤-١١-٠١", "moet een datum"),  # other digits than ASCII
        ("2026-11-01T09:00:00." + "1" * 20 + "Z", "hoogstens 35 tekens"),
    ],
)
def test_al_het_andere_wordt_in_het_nederlands_geweigerd(tekst: str, reden: str) -> None:
    with pytest.raises(PydanticCustomError) as fout:
        lees_moment(tekst)
    assert reden in str(fout.value)


def test_sdk_en_cli_geven_een_tijd_zonder_zone_als_amsterdam_door() -> None:
    from datetime import date

    from knooppunt.client.logboek import als_periodegrens, lees_periodegrens

    assert als_periodegrens(lees_periodegrens("2026-11-01T09:00")) == "2026-11-01T09:00:00+01:00"
    assert als_periodegrens(lees_periodegrens("2026-07-01T09:00")) == "2026-07-01T09:00:00+02:00"
    assert als_periodegrens(lees_periodegrens(" 2026-11-01 ")) == "2026-11-01"
    assert als_periodegrens(lees_periodegrens("2026-11-01T09:00:00Z")) == "2026-11-01T09:00:00+00:00"
    assert als_periodegrens(date(2026, 11, 1)) == "2026-11-01"
    assert als_periodegrens("2026-11-01T09:00") == "2026-11-01T09:00"  # wire text: the hub judges it
    assert als_periodegrens(None) is None
    with pytest.raises(ValueError):
        lees_periodegrens("gisteren")
    # What the SDK sends is what the hub reads as the same moment.
    assert lees_moment(als_periodegrens(lees_periodegrens("2026-11-01T09:00")) or "") == datetime(
        2026, 11, 1, 8, 0, tzinfo=UTC
    )
