"""RSA keys in the werkplek (decision 0036), with the page's own code (src/knooppunt/portaal/js/src/
kluis.js, zegelen.js and openen.js, run in Node's WebCrypto by js/test/rsa.mjs) against the Python
SDK (client/jose.py): what the page signs with an imported RSA key is a PS256 JWS the SDK opens and
verifies, with the same protected header as an ES256 one (DESIGN §5 "Content: sign, then encrypt");
what the SDK seals to an RSA certificate (RSA-OAEP-256, A256GCM) the page opens with the RSA key,
taken from the blob as RSA-OAEP (non-extractable) because its PKCS#8 bytes say RSA. A JWE whose alg
is not the one of the key its kid names is refused; a PKCS#1 key is rewrapped as the PKCS#8 that
`cryptography` writes.

Needs node and npm; skipped without them, failing instead with CI=true."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from knooppunt.client import jose
from knooppunt.protocol.jwe import x5t_s256
from tests.factories import Partij
from tests.node import draai_script, node_met_pakketten

JS = Path(__file__).resolve().parents[2] / "src" / "knooppunt" / "portaal" / "js"
PAYLOAD = {"klantnummerSHV": "K-1", "reden": {"code": "X", "tekst": "é <b>"}}


@pytest.fixture(scope="module")
def node() -> str:
    return node_met_pakketten(JS, "RSA keys in the werkplek's code")


def _der(partij: Partij, formaat: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8) -> bytes:
    sleutel = serialization.load_pem_private_key(partij.key_pad.read_bytes(), password=None)
    return sleutel.private_bytes(serialization.Encoding.DER, formaat, serialization.NoEncryption())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _kop(compact: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(compact.split(".", maxsplit=1)[0] + "=="))  # type: ignore[no-any-return]


def _metadata(afzender: Partij, ontvanger: Partij) -> dict[str, Any]:
    return {
        "referentienummer": str(uuid.uuid4()),
        "conversatieReferentienummer": str(uuid.uuid4()),
        "crossReferentienummer": str(uuid.uuid4()),
        "module": "schuldregeling",
        "berichttype": "klant_onbekend",
        "versie": "1.0",
        "afzender": afzender.oin,
        "ontvanger": ontvanger.oin,
    }


def test_de_sdk_opent_wat_de_pagina_met_een_rsa_sleutel_ondertekent(
    node: str, pki: dict[str, Partij]
) -> None:
    """PS256 for an RSA signing key, to a P-256 and to an RSA recipient; the SDK verifies it."""
    afzender = pki["energie"]  # RSA 2048 (the development CA's RSA participant)
    teken = {"kid": jose.kid_van(afzender.certificaat), "pkcs8": _b64(_der(afzender))}
    gevallen = []
    for ontvanger, alg in ((pki["zorg"], "ECDH-ES+A256KW"), (pki["kredietbank"], "RSA-OAEP-256")):
        cert = ontvanger.certificaat
        metadata = _metadata(afzender, ontvanger)
        gevallen.append(
            {
                "payload": json.dumps(PAYLOAD),
                "envelop": {k: v for k, v in metadata.items() if k != "afzender"},
                "afzender": afzender.oin,
                "teken": teken,
                "ontvanger": {
                    "pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
                    "kid": x5t_s256(cert.public_bytes(serialization.Encoding.DER)),
                    "alg": alg,
                },
            }
        )
    uit = draai_script(node, JS / "test" / "rsa.mjs", {"zegels": gevallen})
    for geval, ontvanger, jwe in zip(gevallen, (pki["zorg"], pki["kredietbank"]), uit["jwes"], strict=True):
        assert _kop(jwe)["alg"] == geval["ontvanger"]["alg"]
        env = {**geval["envelop"], "afzender": afzender.oin, "inhoud": jwe}
        geopend = jose.open_(
            jwe,
            ontvanger_sleutel={geval["ontvanger"]["kid"]: ontvanger.sleutel},
            afzender_certificaten=[afzender.certificaat],
            envelop=env,
        )
        assert geopend.json() == PAYLOAD
        # DESIGN §5: PS256, and otherwise the header of an ES256 signature (and of the SDK's own).
        assert geopend.kop["alg"] == "PS256" and geopend.kop["x5t#S256"] == teken["kid"]
        sdk = jose.open_(
            jose.verzegel(
                PAYLOAD,
                metadata={**geval["envelop"], "afzender": afzender.oin},
                iat=int(time.time()),
                afzender_sleutel=afzender.sleutel,
                afzender_certificaat=afzender.certificaat,
                ontvanger_certificaat=ontvanger.certificaat,
            ),
            ontvanger_sleutel={geval["ontvanger"]["kid"]: ontvanger.sleutel},
            afzender_certificaten=[afzender.certificaat],
            envelop=env,
        )
        assert set(geopend.kop) == set(sdk.kop) and sdk.kop["alg"] == "PS256"
        assert {k: geopend.kop[k] for k in geval["envelop"]} == geval["envelop"]
        # Signed by another certificate than the adresboek lists: refused.
        with pytest.raises(jose.OngeldigeEnvelop):
            jose.open_(
                jwe,
                ontvanger_sleutel={geval["ontvanger"]["kid"]: ontvanger.sleutel},
                afzender_certificaten=[pki["kredietbank"].certificaat],
                envelop=env,
            )


def test_de_pagina_opent_wat_de_sdk_aan_een_rsa_certificaat_verzegelt(
    node: str, pki: dict[str, Partij]
) -> None:
    """RSA-OAEP-256 to the RSA certificate, from an ES256 and a PS256 sender; refused when changed,
    and when the JWE's alg is not the one of the key its kid names."""
    ontvanger = pki["energie"]
    kid = jose.kid_van(ontvanger.certificaat)
    sleutel = _b64(_der(ontvanger))

    def envelop(afzender: Partij, cert: Any = ontvanger.certificaat) -> dict[str, Any]:
        metadata = _metadata(afzender, ontvanger)
        inhoud = jose.verzegel(
            PAYLOAD,
            metadata=metadata,
            iat=int(time.time()),
            afzender_sleutel=afzender.sleutel,
            afzender_certificaat=afzender.certificaat,
            ontvanger_certificaat=cert,
        )
        return {**metadata, "inhoud": inhoud, "ontvangenOp": datetime.now(UTC).isoformat()}

    es256, ps256 = envelop(pki["gemeente"]), envelop(pki["kredietbank"])
    assert _kop(es256["inhoud"])["alg"] == "RSA-OAEP-256"
    kapot = envelop(pki["gemeente"])
    delen = kapot["inhoud"].split(".")
    delen[1] = ("B" if delen[1][0] == "A" else "A") + delen[1][1:]  # the encrypted key
    kapot["inhoud"] = ".".join(delen)
    # Sealed with ECDH-ES+A256KW (for a P-256 certificate) but offered under the RSA key's kid.
    ander_alg = envelop(pki["gemeente"], pki["zorg"].certificaat)

    def geval(env: dict[str, Any], cert: Partij, met_kid: str = kid) -> dict[str, Any]:
        return {"envelop": env, "sleutel": sleutel, "kid": met_kid, "certificaten": [cert.pem]}

    uit = draai_script(
        node,
        JS / "test" / "rsa.mjs",
        {
            "openen": [
                geval(es256, pki["gemeente"]),
                geval(ps256, pki["kredietbank"]),
                geval(kapot, pki["gemeente"]),
                geval(ander_alg, pki["gemeente"], jose.kid_van(pki["zorg"].certificaat)),
            ]
        },
    )["geopend"]
    for geopend in uit[:2]:
        assert json.loads(geopend["payload"]) == PAYLOAD
        assert geopend["alg"] == "RSA-OAEP" and geopend["extractable"] is False
    assert [u.get("reden") for u in uit[2:]] == ["ONTSLEUTELING_MISLUKT", "ONTSLEUTELING_MISLUKT"]
    assert "vraagt RSA-OAEP-256" in uit[3]["melding"]


def test_sleutelsoort_en_pkcs1(node: str, pki: dict[str, Partij]) -> None:
    """The algorithm is read from the PKCS#8 bytes; a PKCS#1 RSA key becomes the PKCS#8 that
    `cryptography` writes for it."""
    rsa, ec = pki["energie"], pki["gemeente"]
    pkcs1 = _der(rsa, serialization.PrivateFormat.TraditionalOpenSSL)
    uit = draai_script(
        node, JS / "test" / "rsa.mjs", {"soorten": [_b64(_der(rsa)), _b64(_der(ec)), _b64(pkcs1)]}
    )["soorten"]
    assert [u["soort"] for u in uit] == ["RSA", "EC", None]
    assert base64.b64decode(uit[2]["pkcs8"]) == _der(rsa)
