"""`knooppunt pki init / issue / revoke` (DESIGN §8): a development CA and participant
certificates the hub accepts, made through the real command line."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from knooppunt.cli.main import main
from knooppunt.pki.certificaat import lees_pem
from knooppunt.pki.verificatie import Vertrouwensankers

OIN = "00000003123412340000"


def knooppunt(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


def _crl(pad: Path) -> x509.CertificateRevocationList:
    return x509.load_pem_x509_crl(pad.read_bytes())


def test_init_maakt_een_ca_met_servercertificaat_en_crl(tmp_path: Path) -> None:
    ca_map = tmp_path / "pki"
    r = knooppunt("pki", "init", ca_map)
    assert r.exit_code == 0, r.output
    for naam in ("ca.pem", "ca-key.pem", "server.pem", "server-key.pem", "crl.pem"):
        assert (ca_map / naam).is_file(), naam
        assert str(ca_map / naam) in r.output
    # Private keys are for the owner only.
    assert stat.S_IMODE((ca_map / "ca-key.pem").stat().st_mode) == 0o600
    assert stat.S_IMODE((ca_map / "server-key.pem").stat().st_mode) == 0o600
    ca = x509.load_pem_x509_certificate((ca_map / "ca.pem").read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert "niet voor productie" in ca.subject.rfc4514_string()
    # The initial CRL: signed by the CA, nothing revoked, nextUpdate in the future.
    crl = _crl(ca_map / "crl.pem")
    assert crl.issuer == ca.subject
    assert crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    assert len(crl) == 0
    assert crl.next_update_utc is not None and crl.next_update_utc > datetime.now(UTC)
    # The server certificate is for localhost, issued by the CA.
    server = x509.load_pem_x509_certificate((ca_map / "server.pem").read_bytes())
    namen = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in namen.get_values_for_type(x509.DNSName)


def test_init_overschrijft_geen_bestaande_ca(tmp_path: Path) -> None:
    assert knooppunt("pki", "init", tmp_path).exit_code == 0
    ca_voor = (tmp_path / "ca.pem").read_bytes()
    sleutel_voor = (tmp_path / "ca-key.pem").read_bytes()
    r = knooppunt("pki", "init", tmp_path)
    assert r.exit_code == 1
    assert f"{tmp_path / 'ca.pem'} bestaat al" in r.output
    assert (tmp_path / "ca.pem").read_bytes() == ca_voor
    assert (tmp_path / "ca-key.pem").read_bytes() == sleutel_voor


@pytest.mark.parametrize(
    ("key_type", "sleuteltype"), [("ec", ec.EllipticCurvePublicKey), ("rsa", rsa.RSAPublicKey)]
)
def test_issue_zet_de_oin_in_het_serialnumber(key_type: str, sleuteltype: type, tmp_path: Path) -> None:
    assert knooppunt("pki", "init", tmp_path).exit_code == 0
    r = knooppunt("pki", "issue", tmp_path, "--oin", OIN, "--naam", "Incasso BV", "--key-type", key_type)
    assert r.exit_code == 0, r.output
    cert_pad, key_pad = tmp_path / f"{OIN}.pem", tmp_path / f"{OIN}-key.pem"
    assert str(cert_pad) in r.output and str(key_pad) in r.output
    info = lees_pem(cert_pad.read_bytes())
    assert info.oin == OIN
    cert = info.certificaat
    assert cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == OIN
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Incasso BV"
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.CLIENT_AUTH in eku
    publiek = cert.public_key()
    assert isinstance(publiek, sleuteltype)
    if isinstance(publiek, rsa.RSAPublicKey):
        assert publiek.key_size == 2048
    else:
        assert isinstance(publiek, ec.EllipticCurvePublicKey) and publiek.curve.name == "secp256r1"
    # The key belongs to the certificate and is private to its owner.
    sleutel = serialization.load_pem_private_key(key_pad.read_bytes(), password=None)
    assert sleutel.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == publiek.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert stat.S_IMODE(key_pad.stat().st_mode) == 0o600
    # And it chains to the CA the way the hub checks it (DESIGN §5).
    keten = Vertrouwensankers.uit_bestanden([tmp_path / "ca.pem"]).controleer(cert, moment=datetime.now(UTC))
    assert keten[0] == cert and len(keten) == 2


@pytest.mark.parametrize(
    ("oin", "melding"),
    [
        ("123", "moet uit precies 20 cijfers bestaan"),
        ("0000000312341234000A", "moet uit precies 20 cijfers bestaan"),
        ("00000007123412340000", "onbekend voorvoegsel"),
        ("00000003123412341234", "00000003 + KvK-nummer + 0000"),
    ],
)
def test_issue_weigert_een_ongeldige_oin(oin: str, melding: str, tmp_path: Path) -> None:
    assert knooppunt("pki", "init", tmp_path).exit_code == 0
    r = knooppunt("pki", "issue", tmp_path, "--oin", oin, "--naam", "X")
    assert r.exit_code == 2
    assert "--oin" in r.output and melding in r.output
    assert not (tmp_path / f"{oin}.pem").exists()


@pytest.mark.parametrize("naam", ["", "   ", "N" * 65])
def test_issue_weigert_een_lege_of_te_lange_naam(naam: str, tmp_path: Path) -> None:
    """Before: a traceback (ValueError: Attribute's length must be >= 1 and <= 64)."""
    assert knooppunt("pki", "init", tmp_path).exit_code == 0
    r = knooppunt("pki", "issue", tmp_path, "--oin", OIN, "--naam", naam)
    assert r.exit_code == 2, r.output
    assert "--naam" in r.output and "1 tot en met 64 tekens" in r.output
    assert "Traceback" not in r.output


def test_issue_overschrijft_geen_certificaat_en_kent_out(tmp_path: Path) -> None:
    assert knooppunt("pki", "init", tmp_path).exit_code == 0
    assert knooppunt("pki", "issue", tmp_path, "--oin", OIN, "--naam", "A").exit_code == 0
    sleutel = (tmp_path / f"{OIN}-key.pem").read_bytes()
    r = knooppunt("pki", "issue", tmp_path, "--oin", OIN, "--naam", "A")
    assert r.exit_code == 2
    assert "bestaat al" in r.output and "--out" in r.output
    assert (tmp_path / f"{OIN}-key.pem").read_bytes() == sleutel
    # A second certificate for the same OIN, e.g. for a key rollover.
    r = knooppunt("pki", "issue", tmp_path, "--oin", OIN, "--naam", "A", "--out", "a-2026")
    assert r.exit_code == 0, r.output
    assert lees_pem((tmp_path / "a-2026.pem").read_bytes()).oin == OIN


def test_issue_zonder_ca_zegt_hoe_het_wel_moet(tmp_path: Path) -> None:
    r = knooppunt("pki", "issue", tmp_path / "leeg", "--oin", OIN, "--naam", "A")
    assert r.exit_code == 1
    assert f"knooppunt pki init {tmp_path / 'leeg'}" in r.output


def test_revoke_zet_het_certificaat_op_de_crl(tmp_path: Path) -> None:
    ca_map = tmp_path / "ca"
    assert knooppunt("pki", "init", ca_map).exit_code == 0
    assert knooppunt("pki", "issue", ca_map, "--oin", OIN, "--naam", "A").exit_code == 0
    assert knooppunt("pki", "issue", ca_map, "--oin", OIN, "--naam", "A", "--out", "b").exit_code == 0
    ca = x509.load_pem_x509_certificate((ca_map / "ca.pem").read_bytes())
    a = lees_pem((ca_map / f"{OIN}.pem").read_bytes())
    b = lees_pem((ca_map / "b.pem").read_bytes())

    r = knooppunt("pki", "revoke", ca_map, "--cert", ca_map / f"{OIN}.pem")
    assert r.exit_code == 0, r.output
    assert f"certificaat {a.serienummer}" in r.output and "ingetrokken" in r.output
    crl = _crl(ca_map / "crl.pem")
    assert crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    assert crl.get_revoked_certificate_by_serial_number(a.certificaat.serial_number) is not None
    assert crl.get_revoked_certificate_by_serial_number(b.certificaat.serial_number) is None
    nummer = crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number

    # A second revocation keeps the first; each new CRL has a higher number.
    r = knooppunt("pki", "revoke", ca_map, "--cert", ca_map / "b.pem", "--geldig-dagen", "2")
    assert r.exit_code == 0, r.output
    crl = _crl(ca_map / "crl.pem")
    assert {r.serial_number for r in crl} == {a.certificaat.serial_number, b.certificaat.serial_number}
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number > nummer
    assert crl.next_update_utc is not None and crl.last_update_utc is not None
    assert (crl.next_update_utc - crl.last_update_utc).days == 2

    r = knooppunt("pki", "revoke", ca_map, "--cert", ca_map / "b.pem")
    assert r.exit_code == 0
    assert "was al ingetrokken" in r.output
    assert len(_crl(ca_map / "crl.pem")) == 2

    # `pki crl` re-signs with new dates and keeps the revocations.
    r = knooppunt("pki", "crl", ca_map, "--geldig-dagen", "30")
    assert r.exit_code == 0, r.output
    crl = _crl(ca_map / "crl.pem")
    assert len(crl) == 2 and crl.is_signature_valid(ca.public_key())  # type: ignore[arg-type]
    assert crl.next_update_utc is not None and crl.next_update_utc > datetime.now(UTC) + timedelta(days=29)


def test_revoke_weigert_een_certificaat_van_een_andere_ca(tmp_path: Path) -> None:
    assert knooppunt("pki", "init", tmp_path / "ca").exit_code == 0
    assert knooppunt("pki", "init", tmp_path / "ander").exit_code == 0
    assert knooppunt("pki", "issue", tmp_path / "ander", "--oin", OIN, "--naam", "A").exit_code == 0
    crl_voor = (tmp_path / "ca" / "crl.pem").read_bytes()
    r = knooppunt("pki", "revoke", tmp_path / "ca", "--cert", tmp_path / "ander" / f"{OIN}.pem")
    assert r.exit_code == 2
    assert "niet uitgegeven door de CA" in r.output
    assert (tmp_path / "ca" / "crl.pem").read_bytes() == crl_voor
    r = knooppunt("pki", "revoke", tmp_path / "ca", "--cert", tmp_path / "ca" / "ca-key.pem")
    assert r.exit_code == 2
    assert "geen PEM-certificaat" in r.output
