"""The portal CA (DESIGN §5 "Portal"): certificates for keys made in the browser, from CSRs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from knooppunt.config import Settings
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.portaal_ca import (
    Gebruik,
    OngeldigeAanvraag,
    PortaalCa,
    controleer_ondertekening,
    lees_aanvraag,
)

OIN = "00000001823288444000"


def _csr(sleutel: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    naam = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wie dan ook")])
    return (
        x509.CertificateSigningRequestBuilder()
        .subject_name(naam)
        .sign(sleutel, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )


@pytest.fixture
def ca(tmp_path: Path) -> PortaalCa:
    settings = Settings(env="development", data_dir=tmp_path)  # type: ignore[arg-type]
    ontwikkel_ca.init(settings.dev_pki_dir)
    geladen = PortaalCa.laad(settings)
    assert geladen is not None
    return geladen


def test_een_ondertekenverzoek_geeft_een_certificaat_met_de_oin_van_de_hub(ca: PortaalCa) -> None:
    sleutel = ec.generate_private_key(ec.SECP256R1())
    aanvraag = lees_aanvraag(_csr(sleutel))
    publiek = controleer_ondertekening(aanvraag)
    cert = ca.geef_uit(
        publiek, oin=OIN, naam="Gemeente X", gebruik=Gebruik.ONDERTEKENING, nu=datetime.now(UTC)
    )
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == OIN
    assert "wie dan ook" not in cert.subject.rfc4514_string()
    gebruik = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert gebruik.digital_signature and not gebruik.key_agreement
    cert.verify_directly_issued_by(ca.certificaat)


def test_een_versleutelsleutel_krijgt_alleen_sleutelovereenkomst(ca: PortaalCa) -> None:
    publiek = ec.generate_private_key(ec.SECP256R1()).public_key()
    cert = ca.geef_uit(
        publiek, oin=OIN, naam="Gemeente X", gebruik=Gebruik.VERSLEUTELING, nu=datetime.now(UTC)
    )
    gebruik = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert gebruik.key_agreement and not gebruik.digital_signature


def test_zwakke_of_vreemde_sleutels_en_kapotte_verzoeken_worden_geweigerd(ca: PortaalCa) -> None:
    with pytest.raises(OngeldigeAanvraag, match="P-256"):
        controleer_ondertekening(lees_aanvraag(_csr(ec.generate_private_key(ec.SECP384R1()))))
    with pytest.raises(OngeldigeAanvraag, match="2048"):
        ca.geef_uit(
            rsa.generate_private_key(65537, 1024).public_key(),
            oin=OIN,
            naam="X",
            gebruik=Gebruik.VERSLEUTELING,
            nu=datetime.now(UTC),
        )
    with pytest.raises(OngeldigeAanvraag, match="leesbaar"):
        lees_aanvraag(b"-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")


def test_productie_zonder_portaal_ca_heeft_er_geen(tmp_path: Path) -> None:
    settings = Settings(env="development", data_dir=tmp_path)  # type: ignore[arg-type]
    assert PortaalCa.laad(settings) is None  # no development CA made yet
