"""The chain-verification cache never outlives a certificate's validity (DESIGN §5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from knooppunt.pki.certificaat import OngeldigCertificaat
from knooppunt.pki.verificatie import Vertrouwensankers
from tests.factories import Partij


def test_cache_hergebruikt_maar_niet_na_verloop(pki: dict[str, Partij], pki_dir: Path) -> None:
    ankers = Vertrouwensankers.uit_bestanden([pki_dir / "ca.pem"])
    cert = pki["gemeente"].certificaat
    nu = datetime.now(UTC)
    eerste = ankers.controleer(cert, moment=nu)
    assert ankers.controleer(cert, moment=nu + timedelta(seconds=10)) is eerste  # from the cache
    with pytest.raises(OngeldigCertificaat):
        ankers.controleer(cert, moment=cert.not_valid_after_utc + timedelta(seconds=1))
    with pytest.raises(OngeldigCertificaat):
        ankers.controleer(cert, moment=cert.not_valid_before_utc - timedelta(days=1))
    # After the cache period the chain is verified again (a fresh result, still valid).
    assert ankers.controleer(cert, moment=nu + timedelta(hours=1)) is not eerste
