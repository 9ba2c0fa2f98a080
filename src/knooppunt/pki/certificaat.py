"""Reading X.509 certificates the way the hub needs them (DESIGN §5)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from knooppunt.protocol.jwe import x5t_s256


class OngeldigCertificaat(ValueError):
    """A certificate cannot be used; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class CertificaatInfo:
    certificaat: x509.Certificate
    pem: str
    der: bytes
    vingerafdruk: str  # SHA-256 of DER, lowercase hex
    oin: str | None  # subject serialNumber
    onderwerp: str
    uitgever: str
    serienummer: str
    sleuteltype: str  # RSA | EC
    sleutelgrootte: int
    geldig_vanaf: datetime
    geldig_tot: datetime

    @property
    def kid(self) -> str:
        return x5t_s256(self.der)


def vingerafdruk(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def _sleutel(cert: x509.Certificate) -> tuple[str, int]:
    sleutel = cert.public_key()
    if isinstance(sleutel, rsa.RSAPublicKey):
        return "RSA", sleutel.key_size
    if isinstance(sleutel, ec.EllipticCurvePublicKey):
        return "EC", sleutel.curve.key_size if isinstance(sleutel.curve, ec.SECP256R1) else -1
    return type(sleutel).__name__, 0


def lees(cert: x509.Certificate) -> CertificaatInfo:
    der = cert.public_bytes(serialization.Encoding.DER)
    serials = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    oin = str(serials[0].value) if serials else None
    sleuteltype, grootte = _sleutel(cert)
    return CertificaatInfo(
        certificaat=cert,
        pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        der=der,
        vingerafdruk=vingerafdruk(der),
        oin=oin,
        onderwerp=cert.subject.rfc4514_string(),
        uitgever=cert.issuer.rfc4514_string(),
        serienummer=format(cert.serial_number, "x"),
        sleuteltype=sleuteltype,
        sleutelgrootte=grootte,
        geldig_vanaf=cert.not_valid_before_utc.astimezone(UTC),
        geldig_tot=cert.not_valid_after_utc.astimezone(UTC),
    )


def lees_pem(data: bytes | str) -> CertificaatInfo:
    ruw = data.encode("ascii", errors="replace") if isinstance(data, str) else data
    try:
        return lees(x509.load_pem_x509_certificate(ruw))
    except ValueError as exc:
        raise OngeldigCertificaat(
            "het bestand is geen PEM-certificaat (verwacht '-----BEGIN CERTIFICATE-----')"
        ) from exc


def lees_pem_bundel(data: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise OngeldigCertificaat("het bestand bevat geen PEM-certificaten") from exc


def lees_doorgestuurd(header: str) -> CertificaatInfo:
    """A certificate forwarded by a TLS proxy: nginx ``$ssl_client_escaped_cert`` (URL-encoded
    PEM) or RFC 9440 ``Client-Cert`` (``:base64-DER:``)."""
    waarde = header.strip()
    if waarde.startswith(":") and waarde.endswith(":"):
        import base64

        try:
            return lees(x509.load_der_x509_certificate(base64.b64decode(waarde[1:-1], validate=True)))
        except ValueError as exc:
            raise OngeldigCertificaat("doorgestuurd certificaat (RFC 9440) is ongeldig") from exc
    return lees_pem(unquote(waarde))


def controleer_bruikbaar(info: CertificaatInfo) -> None:
    """Only RSA ≥ 2048 bits and P-256 keys are accepted (DESIGN §5)."""
    if info.sleuteltype == "RSA" and info.sleutelgrootte >= 2048:
        return
    if info.sleuteltype == "EC" and info.sleutelgrootte == 256:
        return
    if info.sleuteltype == "EC":
        soort = "een EC-sleutel op een andere curve dan P-256"
    elif info.sleuteltype == "RSA":
        soort = f"een RSA-sleutel van {info.sleutelgrootte} bits"
    else:
        soort = "een ander soort sleutel dan RSA of EC"
    raise OngeldigCertificaat(
        f"het certificaat heeft {soort}; dat wordt niet ondersteund: gebruik RSA van minstens 2048 bits "
        "of EC P-256"
    )


PKIOVERHEID_ORGANISATIE = "Staat der Nederlanden"
"""The organisation in the names of the PKIoverheid root and domain CAs (the Staat der Nederlanden
roots and the Private Services CA that issues the issuing CAs)."""


def is_pkioverheid(cert: x509.Certificate) -> bool:
    """Whether a CA certificate is part of PKIoverheid: itself a Staat der Nederlanden CA, or issued
    by one (an issuing CA under the Private Services domain)."""
    return any(
        str(attribuut.value) == PKIOVERHEID_ORGANISATIE
        for naam in (cert.subject, cert.issuer)
        for attribuut in naam.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    )
