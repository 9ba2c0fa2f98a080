"""A development CA and participant certificates (``knooppunt pki init`` / ``pki issue``).

Certificates look like PKIoverheid ones where it matters to the hub: the OIN in the subject
``serialNumber``, client-auth key usage. The CA's subject says it is a development CA so that
production refuses it.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ONTWIKKEL_CA_NAAM = "Knooppunt Ontwikkel-CA (niet voor productie)"
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True, slots=True)
class UitgegevenCertificaat:
    certificaat: Path
    sleutel: Path


def is_ontwikkel_ca(cert: x509.Certificate) -> bool:
    namen = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return any(str(n.value) == ONTWIKKEL_CA_NAAM for n in namen)


def _nieuwe_sleutel(key_type: str) -> PrivateKey:
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"key type {key_type!r}: use rsa or ec")


def _schrijf_sleutel(pad: Path, sleutel: PrivateKey) -> None:
    pad.write_bytes(
        sleutel.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    pad.chmod(0o600)


def _schrijf_cert(pad: Path, cert: x509.Certificate) -> None:
    pad.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def ca_paden(map_: Path) -> tuple[Path, Path]:
    return map_ / "ca.pem", map_ / "ca-key.pem"


def init(map_: Path, *, key_type: str = "ec", naam: str = ONTWIKKEL_CA_NAAM) -> UitgegevenCertificaat:
    """Create a CA in `map_` plus a server certificate for localhost; refuses to overwrite."""
    map_.mkdir(parents=True, exist_ok=True)
    cert_pad, key_pad = ca_paden(map_)
    if cert_pad.exists():
        raise FileExistsError(f"{cert_pad} bestaat al; kies een lege map of gebruik de bestaande CA")
    sleutel = _nieuwe_sleutel(key_type)
    nu = datetime.now(UTC)
    onderwerp = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Knooppunt ontwikkeling"),
            x509.NameAttribute(NameOID.COMMON_NAME, naam),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(onderwerp)
        .issuer_name(onderwerp)
        .public_key(sleutel.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nu - timedelta(minutes=5))
        .not_valid_after(nu + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(sleutel.public_key()), critical=False)
        .sign(sleutel, hashes.SHA256())
    )
    _schrijf_sleutel(key_pad, sleutel)
    _schrijf_cert(cert_pad, cert)
    issue_server(map_, hosts=("localhost", "127.0.0.1", "::1"))
    return UitgegevenCertificaat(cert_pad, key_pad)


def _laad_ca(map_: Path) -> tuple[x509.Certificate, PrivateKey]:
    cert_pad, key_pad = ca_paden(map_)
    if not cert_pad.exists():
        raise FileNotFoundError(f"geen CA in {map_}; maak er een met 'knooppunt pki init {map_}'")
    cert = x509.load_pem_x509_certificate(cert_pad.read_bytes())
    sleutel = serialization.load_pem_private_key(key_pad.read_bytes(), password=None)
    assert isinstance(sleutel, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return cert, sleutel


def _uitgeven(
    map_: Path,
    onderwerp: x509.Name,
    *,
    key_type: str,
    extensies: list[tuple[x509.ExtensionType, bool]],
    geldig_dagen: int,
    basisnaam: str,
) -> UitgegevenCertificaat:
    ca_cert, ca_sleutel = _laad_ca(map_)
    sleutel = _nieuwe_sleutel(key_type)
    nu = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(onderwerp)
        .issuer_name(ca_cert.subject)
        .public_key(sleutel.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nu - timedelta(minutes=5))
        .not_valid_after(nu + timedelta(days=geldig_dagen))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_sleutel.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(sleutel.public_key()), critical=False)
    )
    for extensie, kritiek in extensies:
        builder = builder.add_extension(extensie, critical=kritiek)
    cert = builder.sign(ca_sleutel, hashes.SHA256())
    cert_pad, key_pad = map_ / f"{basisnaam}.pem", map_ / f"{basisnaam}-key.pem"
    _schrijf_sleutel(key_pad, sleutel)
    _schrijf_cert(cert_pad, cert)
    return UitgegevenCertificaat(cert_pad, key_pad)


def _key_usage(key_type: str) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=True,
        key_encipherment=key_type == "rsa", data_encipherment=False,
        key_agreement=key_type == "ec", key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )


def issue(
    map_: Path, *, oin: str, naam: str, key_type: str = "ec", geldig_dagen: int = 825,
    basisnaam: str | None = None,
) -> UitgegevenCertificaat:
    """A participant certificate: OIN in subject serialNumber, for TLS client auth, signing and
    encryption (one certificate with every ``gebruik``, the simplest setup)."""
    onderwerp = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, naam),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, oin),
            x509.NameAttribute(NameOID.COMMON_NAME, naam),
        ]
    )
    return _uitgeven(
        map_, onderwerp, key_type=key_type, geldig_dagen=geldig_dagen, basisnaam=basisnaam or oin,
        extensies=[
            (_key_usage(key_type), True),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False),
        ],
    )


def issue_server(map_: Path, *, hosts: tuple[str, ...], key_type: str = "ec") -> UitgegevenCertificaat:
    namen: list[x509.GeneralName] = []
    for host in hosts:
        try:
            namen.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            namen.append(x509.DNSName(host))
    onderwerp = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    return _uitgeven(
        map_, onderwerp, key_type=key_type, geldig_dagen=825, basisnaam="server",
        extensies=[
            (x509.SubjectAlternativeName(namen), False),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )
