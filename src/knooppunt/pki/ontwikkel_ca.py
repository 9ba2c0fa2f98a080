"""A development CA and participant certificates (``knooppunt pki init`` / ``issue`` / ``revoke``).

Certificates look like PKIoverheid ones where it matters to the hub: the OIN in the subject
``serialNumber``, client-auth key usage. The CA's subject says it is a development CA so that
production refuses it. The CA publishes a CRL (``crl.pem``) so that revocation (DESIGN §5,
``KNOOPPUNT_CRLS``) can be tried out end to end, just as with PKIoverheid's published CRLs.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
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
    data = sleutel.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Created 0600 straight away: the key is never readable by others, not even for a moment.
    fd = os.open(pad, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as bestand:
        bestand.write(data)
    pad.chmod(0o600)  # also when the file existed with a wider mode


def _schrijf_cert(pad: Path, cert: x509.Certificate) -> None:
    pad.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def ca_paden(map_: Path) -> tuple[Path, Path]:
    return map_ / "ca.pem", map_ / "ca-key.pem"


def init(map_: Path, *, key_type: str = "ec", naam: str = ONTWIKKEL_CA_NAAM) -> UitgegevenCertificaat:
    """Create a CA in `map_` plus a server certificate for localhost and an empty CRL
    (``crl.pem``); refuses to overwrite an existing CA."""
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
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(sleutel.public_key()), critical=False)
        .sign(sleutel, hashes.SHA256())
    )
    _schrijf_sleutel(key_pad, sleutel)
    _schrijf_cert(cert_pad, cert)
    issue_server(map_, hosts=("localhost", "127.0.0.1", "::1"))
    schrijf_crl(crl_pad(map_), maak_crl(map_, []))
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
    uit_map: Path | None = None,
    sleutel_van: Path | None = None,
) -> UitgegevenCertificaat:
    ca_cert, ca_sleutel = _laad_ca(map_)
    if sleutel_van is None:
        sleutel = _nieuwe_sleutel(key_type)
    else:
        bestaand = serialization.load_pem_private_key(sleutel_van.read_bytes(), password=None)
        if not isinstance(bestaand, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            raise ValueError(f"{sleutel_van}: alleen RSA- en EC-sleutels")
        sleutel = bestaand
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
    doel = uit_map or map_
    doel.mkdir(parents=True, exist_ok=True)
    cert_pad, key_pad = uitgifte_paden(doel, basisnaam)
    _schrijf_sleutel(key_pad, sleutel)
    _schrijf_cert(cert_pad, cert)
    return UitgegevenCertificaat(cert_pad, key_pad)


def uitgifte_paden(map_: Path, basisnaam: str) -> tuple[Path, Path]:
    """Where `issue` writes a certificate and its key."""
    return map_ / f"{basisnaam}.pem", map_ / f"{basisnaam}-key.pem"


def _key_usage(key_type: str) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,
        key_encipherment=key_type == "rsa",
        data_encipherment=False,
        key_agreement=key_type == "ec",
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def issue(
    map_: Path,
    *,
    oin: str,
    naam: str,
    key_type: str = "ec",
    geldig_dagen: int = 825,
    basisnaam: str | None = None,
    uit_map: Path | None = None,
    sleutel_van: Path | None = None,
) -> UitgegevenCertificaat:
    """A participant certificate: OIN in subject serialNumber, for TLS client auth, signing and
    encryption (one certificate with every ``gebruik``, the simplest setup). Written to `uit_map`
    (default: the CA's own directory) as ``<basisnaam or OIN>.pem`` and ``-key.pem``.
    ``sleutel_van``: renew on this existing private key (PEM) instead of a new one."""
    onderwerp = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, naam),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, oin),
            x509.NameAttribute(NameOID.COMMON_NAME, naam),
        ]
    )
    return _uitgeven(
        map_,
        onderwerp,
        key_type=key_type,
        geldig_dagen=geldig_dagen,
        basisnaam=basisnaam or oin,
        uit_map=uit_map,
        sleutel_van=sleutel_van,
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
        map_,
        onderwerp,
        key_type=key_type,
        geldig_dagen=825,
        basisnaam="server",
        extensies=[
            (x509.SubjectAlternativeName(namen), False),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )


# --- revocation: the CA's CRL ---------------------------------------------------------------------

CRL_GELDIG = timedelta(days=7)


class NietVanDezeCa(ValueError):
    """A certificate or CRL does not belong to the CA in the directory; the message says so."""


@dataclass(frozen=True, slots=True)
class Intrekking:
    serienummer: int
    op: datetime


def crl_pad(map_: Path) -> Path:
    return map_ / "crl.pem"


def maak_crl(
    map_: Path,
    ingetrokken: Sequence[Intrekking],
    *,
    nummer: int = 1,
    deze_update: datetime | None = None,
    volgende_update: datetime | None = None,
) -> x509.CertificateRevocationList:
    """A CRL of the CA in `map_` listing `ingetrokken`. thisUpdate defaults to now and nextUpdate
    to a week later; tests pass a nextUpdate in the past to see the hub fail closed (DESIGN §5)."""
    ca_cert, ca_sleutel = _laad_ca(map_)
    deze = deze_update or datetime.now(UTC) - timedelta(minutes=5)
    volgende = volgende_update or deze + CRL_GELDIG
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(deze)
        .next_update(volgende)
        .add_extension(x509.CRLNumber(nummer), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_sleutel.public_key()), critical=False
        )
    )
    for intrekking in ingetrokken:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(intrekking.serienummer)
            .revocation_date(intrekking.op)
            .build()
        )
    return builder.sign(ca_sleutel, hashes.SHA256())


def schrijf_crl(pad: Path, crl: x509.CertificateRevocationList) -> Path:
    # Write-then-rename, so that a hub refreshing the CRL never reads half a file.
    tijdelijk = pad.with_name(pad.name + ".nieuw")
    tijdelijk.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    tijdelijk.replace(pad)
    return pad


def _bestaande_crl(
    map_: Path, ca_cert: x509.Certificate, ca_sleutel: PrivateKey
) -> tuple[list[Intrekking], int]:
    pad = crl_pad(map_)
    if not pad.exists():
        return [], 0
    try:
        crl = x509.load_pem_x509_crl(pad.read_bytes())
    except ValueError as exc:
        raise NietVanDezeCa(f"{pad} is geen PEM-CRL; verwijder het bestand of zet het terug") from exc
    if crl.issuer != ca_cert.subject or not crl.is_signature_valid(ca_sleutel.public_key()):
        raise NietVanDezeCa(
            f"{pad} is niet door de CA in {map_} ondertekend; verwijder het of kies de juiste map"
        )
    try:
        nummer = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    except x509.ExtensionNotFound:
        nummer = 0
    return [Intrekking(r.serial_number, r.revocation_date_utc) for r in crl], nummer


def vernieuw_crl(map_: Path, *, geldig: timedelta = CRL_GELDIG) -> Path:
    """Re-sign the CRL of the CA in `map_` with fresh dates, keeping its revocations: a CRL past
    its nextUpdate makes the hub refuse every certificate of the CA (DESIGN §5)."""
    ca_cert, ca_sleutel = _laad_ca(map_)
    ingetrokken, nummer = _bestaande_crl(map_, ca_cert, ca_sleutel)
    deze = datetime.now(UTC) - timedelta(minutes=5)
    crl = maak_crl(map_, ingetrokken, nummer=nummer + 1, deze_update=deze, volgende_update=deze + geldig)
    return schrijf_crl(crl_pad(map_), crl)


def trek_in(
    map_: Path, certificaat: x509.Certificate, *, geldig: timedelta = CRL_GELDIG
) -> tuple[Path, bool]:
    """Revoke `certificaat` (issued by the CA in `map_`): add it to the CRL in ``crl.pem`` and
    re-sign it with a higher CRL number. Returns the CRL's path and whether the certificate was
    newly revoked (revoking twice changes nothing but the CRL's dates)."""
    ca_cert, ca_sleutel = _laad_ca(map_)
    try:
        certificaat.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature) as exc:
        raise NietVanDezeCa(
            f"het certificaat ({certificaat.subject.rfc4514_string()}) is niet uitgegeven door de CA "
            f"in {map_}"
        ) from exc
    ingetrokken, nummer = _bestaande_crl(map_, ca_cert, ca_sleutel)
    nieuw = all(i.serienummer != certificaat.serial_number for i in ingetrokken)
    if nieuw:
        ingetrokken.append(Intrekking(certificaat.serial_number, datetime.now(UTC)))
    deze = datetime.now(UTC) - timedelta(minutes=5)
    crl = maak_crl(map_, ingetrokken, nummer=nummer + 1, deze_update=deze, volgende_update=deze + geldig)
    return schrijf_crl(crl_pad(map_), crl), nieuw
