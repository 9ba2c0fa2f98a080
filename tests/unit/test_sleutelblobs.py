"""The server's checks of keys made in the browser (portaal.sleutelblobs): the public-key thumbprint
is RFC 7638's (as the page's jose computes it), a JWK with a private member or off the curve is
refused, and the blob's form and Argon2id parameters are checked before anything is stored."""

from __future__ import annotations

import base64
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from knooppunt.pki.portaal_ca import OngeldigeAanvraag
from knooppunt.portaal import sleutelblobs


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def test_jkt_is_rfc_7638() -> None:
    sleutel = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = sleutel.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert sleutelblobs.jkt(sleutel) == ECKey.import_key(pem).thumbprint()


def test_jwk_wordt_streng_gelezen() -> None:
    sleutel = ec.generate_private_key(ec.SECP256R1())
    jwk = sleutelblobs.jwk_van(sleutel.public_key())
    assert sleutelblobs.lees_jwk(jwk).public_numbers() == sleutel.public_key().public_numbers()
    d = sleutel.private_numbers().private_value.to_bytes(32, "big")
    gevallen: list[tuple[Any, str]] = [
        ({**jwk, "d": b64url(d)}, "privé-deel"),
        ({**jwk, "crv": "P-384"}, "P-256"),
        ({**jwk, "x": b64url(os.urandom(31))}, "32 bytes"),
        ({**jwk, "y": b64url(bytes(32))}, "geen punt op P-256"),
        ({**jwk, "x": "niet/base64"}, "base64url"),
        ("geen object", "JWK-object"),
    ]
    for fout, woord in gevallen:
        with pytest.raises(OngeldigeAanvraag, match=woord):
            sleutelblobs.lees_jwk(fout)


def _blob(**kdf: Any) -> dict[str, Any]:
    item = {
        "gebruik": "versleuteling",
        "jkt": b64url(os.urandom(32)),
        "iv": b64url(os.urandom(12)),
        "versleuteld": b64url(os.urandom(154)),
    }
    return {
        "versie": 1,
        "kdf": {
            "algoritme": "argon2id",
            "geheugenKiB": 65536,
            "iteraties": 3,
            "parallel": 1,
            "zout": b64url(os.urandom(16)),
            **kdf,
        },
        "sleutels": [item],
    }


def test_blob_vorm_en_argon2id_parameters() -> None:
    kdf, sleutels = sleutelblobs.controleer_blob(_blob())
    assert kdf["geheugenKiB"] == 65536 and len(sleutels) == 1
    assert sleutelblobs.controleer_blob(_blob(geheugenKiB=262144, iteraties=4))[0]["iteraties"] == 4
    gevallen: list[tuple[dict[str, Any], str]] = [
        (_blob(algoritme="pbkdf2"), "Argon2id"),
        (_blob(geheugenKiB=65535), "64 MiB"),
        (_blob(geheugenKiB=8 * 1024 * 1024), "64 MiB"),
        (_blob(iteraties=2), "iteraties"),
        (_blob(parallel=4), "parallelliteit"),
        (_blob(iteraties=True), "gehele getallen"),
        (_blob(zout=b64url(os.urandom(8))), "16 bytes"),
        ({**_blob(), "versie": 2}, "versie 1"),
        ({**_blob(), "wachtwoord": "x"}, "onbekende vorm"),
        ({**_blob(), "sleutels": []}, "ontbreken"),
    ]
    kort = _blob()
    kort["sleutels"][0]["versleuteld"] = b64url(os.urandom(20))
    gevallen.append((kort, "te kort"))
    vreemd = _blob()
    vreemd["sleutels"][0]["gebruik"] = "tls"
    gevallen.append((vreemd, "onbekend gebruik"))
    extra = _blob()
    extra["sleutels"][0]["d"] = "geheim"
    gevallen.append((extra, "onbekende vorm"))
    for blob, woord in gevallen:
        with pytest.raises(OngeldigeAanvraag, match=woord):
            sleutelblobs.controleer_blob(blob)
