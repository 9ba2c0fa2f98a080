"""The portal CA (DESIGN §5 "Portal"): certificates for key pairs made in a portal user's browser.

The browser makes the key pair (WebCrypto, non-extractable) and sends a PKCS#10 CSR; this module
checks the request and issues a certificate for its public key with the participant's OIN in the
subject ``serialNumber`` (the subject of the request is not trusted: the hub names the subject).
A signing key proves possession by the CSR's own signature. A key that cannot sign (an ECDH or
RSA-OAEP key, the encryption key) proves nothing by itself: its request is accepted only together
with a checked signing request of the same user (``bewezen_door``), as RFC 4211's indirect
proof of possession allows for encryption keys: the certificate is useless to anyone but the holder
of the private key.

In development the development CA of the data directory is the portal CA (it is a trust anchor
there); in production a CA configured with ``KNOOPPUNT_PORTAAL_CA_CERTIFICAAT`` and
``KNOOPPUNT_PORTAAL_CA_SLEUTEL``, which must be one of the trust anchors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from knooppunt.config import Settings, SettingsError
from knooppunt.pki import ontwikkel_ca

GELDIG_DAGEN = 825
"""How long a portal certificate is valid (as the development CA's participant certificates)."""


class Gebruik(StrEnum):
    """What a portal certificate is for: the adresboek's ``gebruik`` of the key."""

    ONDERTEKENING = "ondertekening"
    VERSLEUTELING = "versleuteling"


class OngeldigeAanvraag(ValueError):
    """A certificate request the portal CA refuses; the message says what was wrong, in Dutch."""


PubliekeSleutel = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


def lees_aanvraag(pem: bytes | str) -> x509.CertificateSigningRequest:
    """A PEM (or DER) PKCS#10 request, or OngeldigeAanvraag."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_csr(data)
        return x509.load_der_x509_csr(data)
    except ValueError as exc:
        raise OngeldigeAanvraag(f"geen leesbaar certificaatverzoek (PKCS#10, PEM of DER): {exc}") from exc


def controleer_sleutel(sleutel: object) -> PubliekeSleutel:
    """DESIGN §5: RSA of at least 2048 bits, or P-256."""
    if isinstance(sleutel, rsa.RSAPublicKey):
        if sleutel.key_size < 2048:
            raise OngeldigeAanvraag(f"RSA-sleutel van {sleutel.key_size} bits: minstens 2048 bits vereist")
        return sleutel
    if isinstance(sleutel, ec.EllipticCurvePublicKey):
        if not isinstance(sleutel.curve, ec.SECP256R1):
            raise OngeldigeAanvraag(f"EC-sleutel op {sleutel.curve.name}: alleen P-256 is toegestaan")
        return sleutel
    raise OngeldigeAanvraag("alleen RSA- (≥ 2048 bits) en P-256-sleutels zijn toegestaan")


def controleer_ondertekening(aanvraag: x509.CertificateSigningRequest) -> PubliekeSleutel:
    """A signing key's request: its own signature must hold (proof of possession)."""
    sleutel = controleer_sleutel(aanvraag.public_key())
    if not aanvraag.is_signature_valid:
        raise OngeldigeAanvraag("de handtekening van het certificaatverzoek klopt niet")
    return sleutel


@dataclass(frozen=True, slots=True)
class PortaalCa:
    certificaat: x509.Certificate
    sleutel: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

    @classmethod
    def laad(cls, settings: Settings) -> PortaalCa | None:
        """The configured portal CA; in development the development CA; else None."""
        cert_pad: Path | None = settings.portaal_ca_certificaat
        sleutel_pad: Path | None = settings.portaal_ca_sleutel
        if cert_pad is None and sleutel_pad is None and settings.is_development:
            cert_pad, sleutel_pad = ontwikkel_ca.ca_paden(settings.dev_pki_dir)
            if not cert_pad.exists():
                return None
        if cert_pad is None and sleutel_pad is None:
            return None
        if cert_pad is None or sleutel_pad is None:
            gegeven, ontbreekt = (
                ("KNOOPPUNT_PORTAAL_CA_CERTIFICAAT", "KNOOPPUNT_PORTAAL_CA_SLEUTEL")
                if sleutel_pad is None
                else ("KNOOPPUNT_PORTAAL_CA_SLEUTEL", "KNOOPPUNT_PORTAAL_CA_CERTIFICAAT")
            )
            raise SettingsError(
                f"{gegeven} is gezet maar {ontbreekt} niet: de portaal-CA heeft beide nodig (het "
                "certificaat en zijn sleutel), of laat beide weg"
            )
        cert = x509.load_pem_x509_certificate(cert_pad.read_bytes())
        sleutel = serialization.load_pem_private_key(sleutel_pad.read_bytes(), password=None)
        if not isinstance(sleutel, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError(f"{sleutel_pad}: alleen RSA- en EC-sleutels")
        publiek = serialization.PublicFormat.SubjectPublicKeyInfo
        if sleutel.public_key().public_bytes(
            serialization.Encoding.DER, publiek
        ) != cert.public_key().public_bytes(serialization.Encoding.DER, publiek):
            raise SettingsError(
                f"KNOOPPUNT_PORTAAL_CA_SLEUTEL {sleutel_pad} is niet de sleutel van "
                f"KNOOPPUNT_PORTAAL_CA_CERTIFICAAT {cert_pad}: geef de sleutel die bij het "
                "CA-certificaat hoort"
            )
        return cls(cert, sleutel)

    def geef_uit(
        self,
        publieke_sleutel: object,
        *,
        oin: str,
        naam: str,
        gebruik: Gebruik,
        nu: datetime,
        geldig_dagen: int = GELDIG_DAGEN,
    ) -> x509.Certificate:
        """A certificate for `publieke_sleutel` (already checked for possession by the caller:
        `controleer_ondertekening`, or a signing request of the same user for an encryption key),
        with the OIN in the subject and key usage for `gebruik` only."""
        sleutel = controleer_sleutel(publieke_sleutel)
        onderwerp = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, naam[:64]),
                x509.NameAttribute(NameOID.SERIAL_NUMBER, oin),
                x509.NameAttribute(NameOID.COMMON_NAME, f"{naam[:48]} (portaal)"),
            ]
        )
        ondertekenen = gebruik is Gebruik.ONDERTEKENING
        key_usage = x509.KeyUsage(
            digital_signature=ondertekenen,
            content_commitment=ondertekenen,
            key_encipherment=not ondertekenen and isinstance(sleutel, rsa.RSAPublicKey),
            data_encipherment=False,
            key_agreement=not ondertekenen and isinstance(sleutel, ec.EllipticCurvePublicKey),
            key_cert_sign=False,
            crl_sign=False,
            encipher_only=False,
            decipher_only=False,
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(onderwerp)
            .issuer_name(self.certificaat.subject)
            .public_key(sleutel)
            .serial_number(x509.random_serial_number())
            .not_valid_before(nu - timedelta(minutes=5))
            .not_valid_after(nu + timedelta(days=geldig_dagen))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage, critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.sleutel.public_key()), critical=False
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(sleutel), critical=False)
        )
        if ondertekenen:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
            )
        return builder.sign(self.sleutel, hashes.SHA256())
