"""The SDK checks every adresboek certificate itself (DESIGN §5: against its own trust anchors and
the participant's OIN), and remembering a good one for the next message never stretches that check:
not to another OIN, not beyond the certificate's validity, not to a certificate of another CA."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from knooppunt.client.hub import HubClient
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import OngeldigCertificaat
from tests.factories import Partij


@pytest.fixture
def client(pki: dict[str, Partij], pki_dir: Path) -> Iterator[HubClient]:
    ontvanger = pki["gemeente"]
    # No request is made: the checks run on certificates handed to them.
    with HubClient(
        "https://hub.invalid", cert=ontvanger.cert_pad, key=ontvanger.key_pad, ca=pki_dir / "ca.pem"
    ) as c:
        yield c


def test_goed_certificaat_blijft_goed_voor_het_volgende_bericht(
    client: HubClient, pki: dict[str, Partij]
) -> None:
    afzender = pki["energie"]
    cert, nu = afzender.certificaat, datetime.now(UTC)
    client._controleer_certificaat(cert, afzender.oin, moment=nu)
    client._controleer_certificaat(cert, afzender.oin, moment=nu + timedelta(days=1))


def test_onthouden_certificaat_geldt_niet_voor_een_andere_oin(
    client: HubClient, pki: dict[str, Partij]
) -> None:
    afzender = pki["energie"]
    cert, nu = afzender.certificaat, datetime.now(UTC)
    client._controleer_certificaat(cert, afzender.oin, moment=nu)
    with pytest.raises(OngeldigCertificaat, match=f"niet bij {pki['woning'].oin}"):
        client._controleer_certificaat(cert, pki["woning"].oin, moment=nu)


def test_onthouden_certificaat_geldt_niet_buiten_zijn_geldigheid(
    client: HubClient, pki: dict[str, Partij]
) -> None:
    afzender = pki["energie"]
    cert = afzender.certificaat
    client._controleer_certificaat(cert, afzender.oin, moment=datetime.now(UTC))
    for moment, melding in (
        (cert.not_valid_after_utc + timedelta(seconds=1), "het certificaat is verlopen op "),
        (cert.not_valid_before_utc - timedelta(days=1), "het certificaat is pas geldig vanaf "),
    ):
        # Said as it is, not as "niet uitgegeven door een vertrouwde CA" (independent security probe).
        with pytest.raises(OngeldigCertificaat, match=melding):
            client._controleer_certificaat(cert, afzender.oin, moment=moment)


def test_certificaat_van_een_andere_ca_wordt_geweigerd(
    client: HubClient, pki: dict[str, Partij], tmp_path: Path
) -> None:
    afzender = pki["energie"]
    client._controleer_certificaat(afzender.certificaat, afzender.oin, moment=datetime.now(UTC))
    ontwikkel_ca.init(tmp_path)
    vals = ontwikkel_ca.issue(
        tmp_path, oin=afzender.oin, naam=afzender.naam, key_type="rsa", basisnaam="vals"
    )
    with pytest.raises(OngeldigCertificaat, match="vertrouwde CA"):
        client._controleer_certificaat(
            x509.load_pem_x509_certificate(vals.certificaat.read_bytes()),
            afzender.oin,
            moment=datetime.now(UTC),
        )
