"""The published JOSE test vectors (docs/testvectoren) open with the SDK, every test run, and say
what the README promises. Nothing here depends on today's date: certificate chains are verified at
the vector's own ``iat``, and the lifetime is a fixed property of the certificates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509

from knooppunt.client import jose
from knooppunt.pki.ontwikkel_ca import is_ontwikkel_ca
from knooppunt.pki.verificatie import Vertrouwensankers
from knooppunt.protocol.payloads import valideer
from tests.factories import testvectoren

MAP = testvectoren.STANDAARD_MAP


def _cert(pad: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pad.read_bytes())


def _open(map_: Path) -> tuple[jose.Geopend, dict[str, object]]:
    metadata = json.loads((map_ / "metadata.json").read_text())
    geopend = jose.open_(
        (map_ / "inhoud.jwe").read_text().strip(),
        ontvanger_sleutel=jose.prive_sleutel((map_ / "ontvanger-sleutel.pem").read_bytes()),
        afzender_certificaten=[_cert(map_ / "afzender.pem")],
        envelop=metadata,
    )
    return geopend, metadata


def test_er_zijn_een_rsa_en_een_ec_vector() -> None:
    assert sorted(p.parent.name for p in MAP.glob("*/inhoud.jwe")) == ["ec", "rsa"]
    assert (MAP / "README.md").exists()


@pytest.mark.parametrize("naam", ["rsa", "ec"])
def test_vector_opent_met_de_sdk_en_geeft_wat_verwacht_is(naam: str) -> None:
    map_ = MAP / naam
    geopend, metadata = _open(map_)
    verwacht = json.loads((map_ / "verwacht.json").read_text())
    assert geopend.payload == (map_ / "payload.json").read_bytes()
    assert geopend.kop == verwacht["jwsKop"]
    assert testvectoren.beschermde_kop((map_ / "inhoud.jwe").read_text()) == verwacht["jweKop"]
    assert verwacht["jweKop"]["kid"] == jose.kid_van(_cert(map_ / "ontvanger.pem"))
    assert verwacht["jwsKop"]["x5t#S256"] == jose.kid_van(_cert(map_ / "afzender.pem"))
    alg = {"rsa": ("RSA-OAEP-256", "PS256"), "ec": ("ECDH-ES+A256KW", "ES256")}[naam]
    assert (verwacht["jweKop"]["alg"], verwacht["jwsKop"]["alg"]) == alg
    valideer(str(metadata["module"]), str(metadata["berichttype"]), str(metadata["versie"]), geopend.payload)


@pytest.mark.parametrize("naam", ["rsa", "ec"])
def test_vectorcertificaten_zijn_tien_jaar_geldig_en_van_een_ontwikkel_ca(naam: str) -> None:
    ca = _cert(MAP / "ca.pem")
    assert is_ontwikkel_ca(ca)  # production refuses this CA: the vector keys are public
    geopend, metadata = _open(MAP / naam)
    iat = datetime.fromtimestamp(int(geopend.kop["iat"]), UTC)
    for rol in ("afzender", "ontvanger"):
        cert = _cert(MAP / naam / f"{rol}.pem")
        Vertrouwensankers([ca]).controleer(cert, moment=iat)
        assert cert.not_valid_after_utc - iat > timedelta(days=9 * 365)
        assert "sleutel openbaar" in cert.subject.rfc4514_string()
        assert cert.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)[0].value == metadata[rol]


def test_generator_maakt_vectoren_die_opengaan(tmp_path: Path) -> None:
    """The generator itself keeps working (a regenerated set opens and validates too)."""
    geschreven = testvectoren.genereer(tmp_path)
    assert sorted(p.name for p in geschreven) == ["ec", "rsa"]
    for map_ in geschreven:
        geopend, _ = _open(map_)
        assert geopend.payload == (map_ / "payload.json").read_bytes()
