"""DESIGN §5 "Key transparency": the SDK warns when a recipient's encryption certificate is young."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import sentinel

from knooppunt.client.adresboek import HubCertificaat
from knooppunt.client.hub import jong_certificaat

NU = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _cert(vanaf: datetime, toegevoegd: datetime | None = None) -> HubCertificaat:
    return HubCertificaat(
        certificaat=sentinel.cert,  # type: ignore[arg-type]
        gebruik=frozenset({"versleuteling"}),
        geldig_vanaf=vanaf,
        geldig_tot=vanaf + timedelta(days=800),
        ingetrokken_op=None,
        actueel=True,
        toegevoegd_op=toegevoegd,
    )


def test_een_certificaat_van_gisteren_geeft_een_waarschuwing_met_wat_te_doen() -> None:
    tekst = jong_certificaat(_cert(NU - timedelta(hours=30)), "Energie BV", 7, nu=NU)
    assert tekst is not None
    assert "30 uur" in tekst and "Energie BV" in tekst and "ander kanaal" in tekst


def test_dagen_bij_een_ouder_maar_nog_jong_certificaat() -> None:
    tekst = jong_certificaat(_cert(NU - timedelta(days=3, hours=2)), "Energie BV", 7, nu=NU)
    assert tekst is not None and "3 dagen" in tekst


def test_geen_waarschuwing_na_de_termijn_of_als_ze_uit_staat() -> None:
    assert jong_certificaat(_cert(NU - timedelta(days=8)), "X", 7, nu=NU) is None
    assert jong_certificaat(_cert(NU - timedelta(hours=1)), "X", 0, nu=NU) is None


def test_een_teruggedateerd_certificaat_is_jong_vanaf_zijn_registratie() -> None:
    """Key transparency: whoever could issue a certificate could backdate its geldigVanaf, not the
    moment it entered the adresboek (`toegevoegdOp` in GET /adresboek) — that one counts."""
    tekst = jong_certificaat(_cert(NU - timedelta(days=60), NU - timedelta(hours=5)), "Energie BV", 7, nu=NU)
    assert tekst is not None and "5 uur" in tekst and "in het adresboek sinds" in tekst
    # registered long ago, or by a hub that does not say: geldigVanaf alone
    assert jong_certificaat(_cert(NU - timedelta(days=60), NU - timedelta(days=59)), "X", 7, nu=NU) is None
    assert jong_certificaat(_cert(NU - timedelta(days=60)), "X", 7, nu=NU) is None
    # registered before it became valid (issued ahead): young from geldigVanaf
    tekst = jong_certificaat(_cert(NU - timedelta(hours=2), NU - timedelta(days=30)), "X", 7, nu=NU)
    assert tekst is not None and "geldig vanaf" in tekst
