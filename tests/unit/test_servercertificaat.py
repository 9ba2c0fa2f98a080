"""`knooppunt serve`'s server certificate (DESIGN §8): a missing or expired one is said at the start,
naming the file — not a start that dies on the first connection; in development the server
certificate of the development PKI (about two years, under a CA of ten) is made again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from knooppunt.cli.serve import ServeOpties, _tls_bestanden
from knooppunt.config import Settings, SettingsError
from knooppunt.pki import ontwikkel_ca


def _opties(cert: Path | None = None, key: Path | None = None) -> ServeOpties:
    return ServeOpties(
        host="127.0.0.1",
        port=8443,
        tls_cert=cert,
        tls_key=key,
        client_ca=None,
        proxy=False,
        uds=None,
        ops_port=None,
        ops_host="127.0.0.1",
        jobs=False,
        job_interval=60.0,
    )


def _verlopen(map_: Path) -> tuple[Path, Path]:
    sleutel = ec.generate_private_key(ec.SECP256R1())
    naam = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    nu = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(naam)
        .issuer_name(naam)
        .public_key(sleutel.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nu - timedelta(days=900))
        .not_valid_after(nu - timedelta(days=1))
        .sign(sleutel, hashes.SHA256())
    )
    pem, sleutelpem = map_ / "server.pem", map_ / "server-key.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    sleutelpem.write_bytes(
        sleutel.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return pem, sleutelpem


def test_een_ontbrekend_of_verlopen_servercertificaat_wordt_bij_de_start_genoemd(tmp_path: Path) -> None:
    settings = Settings(env="development", data_dir=tmp_path)
    with pytest.raises(SettingsError, match=r"--tls-cert .*weg\.pem: dat bestand bestaat niet"):
        _tls_bestanden(settings, _opties(tmp_path / "weg.pem", tmp_path / "weg-key.pem"))
    cert, key = _verlopen(tmp_path)
    with pytest.raises(SettingsError, match=r"--tls-cert .*server\.pem is verlopen op .*vernieuw"):
        _tls_bestanden(settings, _opties(cert, key))


def test_in_ontwikkeling_wordt_het_servercertificaat_opnieuw_gemaakt(tmp_path: Path) -> None:
    settings = Settings(env="development", data_dir=tmp_path)
    cert, key = _tls_bestanden(settings, _opties())  # the development PKI, made on first use
    ca = ontwikkel_ca.ca_paden(settings.dev_pki_dir)[0].read_bytes()
    cert.unlink()
    assert _tls_bestanden(settings, _opties()) == (cert, key)
    assert cert.is_file()
    _verlopen(settings.dev_pki_dir)  # an expired one in its place
    _tls_bestanden(settings, _opties())
    nieuw = x509.load_pem_x509_certificate(cert.read_bytes())
    assert nieuw.not_valid_after_utc > datetime.now(UTC) + timedelta(days=365)
    assert ontwikkel_ca.ca_paden(settings.dev_pki_dir)[0].read_bytes() == ca  # the same CA


def test_een_sleutel_die_niet_bij_het_servercertificaat_hoort_wordt_bij_de_start_genoemd(
    tmp_path: Path,
) -> None:
    """Before: "knooppunt gestart", then a raw ssl.SSLError traceback [KEY_VALUES_MISMATCH] (an
    independent operations probe)."""
    settings = Settings(env="development", data_dir=tmp_path)
    pki = tmp_path / "pki"
    ontwikkel_ca.init(pki)
    server = ontwikkel_ca.issue_server(pki, hosts=("localhost",))
    deelnemer = ontwikkel_ca.issue(pki, oin="00000001823288444000", naam="Gemeente")
    with pytest.raises(SettingsError, match=r"--tls-key .* is niet de sleutel van --tls-cert"):
        _tls_bestanden(settings, _opties(deelnemer.certificaat, server.sleutel))
    kapot = tmp_path / "kapot-key.pem"
    kapot.write_text("geen sleutel")
    with pytest.raises(SettingsError, match=r"niet te gebruiken .*onversleutelde PEM-privésleutel"):
        _tls_bestanden(settings, _opties(server.certificaat, kapot))
    assert _tls_bestanden(settings, _opties(server.certificaat, server.sleutel)) == (
        server.certificaat,
        server.sleutel,
    )
