"""The key page's own opening code (src/knooppunt/portaal/js/src/openen.js, run in Node's
WebCrypto by js/test/open.mjs) against envelopes sealed by the Python SDK (client/jose.py
`verzegel`) for a browser-style ECDH certificate of the portal CA: ES256 and PS256 senders open;
every way the SDK refuses a message (other metadata, a signature by a key the adresboek does not
list, a changed ciphertext, a key the page does not hold) the page refuses with the same reason.

Needs node and npm (the js project's packages are installed with `npm ci`); skipped without them,
failing instead with CI=true."""

from __future__ import annotations

import base64
import json
import subprocess
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from knooppunt.client import jose
from knooppunt.pki.portaal_ca import Gebruik, PortaalCa
from tests.factories import Partij
from tests.node import node_met_pakketten

JS = Path(__file__).resolve().parents[2] / "src" / "knooppunt" / "portaal" / "js"
ONTVANGER = "00000003501234560000"


@pytest.fixture(scope="module")
def node() -> str:
    return node_met_pakketten(JS, "opening messages with the key page's code")


@pytest.fixture(scope="module")
def ontvanger(pki: dict[str, Partij]) -> tuple[ec.EllipticCurvePrivateKey, Any]:
    map_ = next(iter(pki.values())).cert_pad.parent
    ca = PortaalCa(
        x509.load_pem_x509_certificate((map_ / "ca.pem").read_bytes()),
        serialization.load_pem_private_key((map_ / "ca-key.pem").read_bytes(), password=None),  # type: ignore[arg-type]
    )
    sleutel = ec.generate_private_key(ec.SECP256R1())
    cert = ca.geef_uit(
        sleutel.public_key(),
        oin=ONTVANGER,
        naam="Demo Energie BV",
        gebruik=Gebruik.VERSLEUTELING,
        nu=datetime.now(UTC),
    )
    return sleutel, cert


def _envelop(afzender: Partij, ontvanger_cert: Any) -> dict[str, Any]:
    metadata = {
        "referentienummer": str(uuid.uuid4()),
        "conversatieReferentienummer": str(uuid.uuid4()),
        "crossReferentienummer": None,
        "module": "schuldregeling",
        "berichttype": "saldoverzoek",
        "versie": "1.0",
        "afzender": afzender.oin,
        "ontvanger": ONTVANGER,
    }
    inhoud = jose.verzegel(
        {"klantnummerSHV": "K-<b>1</b>", "tekst": "<script>alert(1)</script>"},
        metadata=metadata,
        iat=int(time.time()),
        afzender_sleutel=afzender.sleutel,
        afzender_certificaat=afzender.certificaat,
        ontvanger_certificaat=ontvanger_cert,
    )
    return {**metadata, "inhoud": inhoud, "ontvangenOp": datetime.now(UTC).isoformat()}


def _open(node: str, gevallen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    r = subprocess.run(
        [node, str(JS / "test" / "open.mjs")],
        input=json.dumps(gevallen),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    uit: list[dict[str, Any]] = json.loads(r.stdout)
    return uit


def test_de_pagina_opent_wat_de_sdk_verzegelt_en_weigert_wat_niet_klopt(
    node: str, pki: dict[str, Partij], ontvanger: tuple[ec.EllipticCurvePrivateKey, Any]
) -> None:
    sleutel, cert = ontvanger
    pkcs8 = base64.b64encode(
        sleutel.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    ).decode()
    kid = jose.kid_van(cert)
    ec_afzender, rsa_afzender = pki["gemeente"], pki["kredietbank"]

    def geval(env: dict[str, Any], certificaten: list[str], *, met_kid: str = kid) -> dict[str, Any]:
        return {"envelop": env, "sleutel": pkcs8, "kid": met_kid, "certificaten": certificaten}

    es256 = _envelop(ec_afzender, cert)
    ps256 = _envelop(rsa_afzender, cert)
    andere_metadata = {**_envelop(ec_afzender, cert), "berichttype": "kennisgeving"}
    ander_referentienummer = {**_envelop(ec_afzender, cert), "referentienummer": str(uuid.uuid4())}
    kapot = _envelop(ec_afzender, cert)
    delen = kapot["inhoud"].split(".")
    delen[3] = ("B" if delen[3][0] == "A" else "A") + delen[3][1:]
    kapot["inhoud"] = ".".join(delen)

    uit = _open(
        node,
        [
            geval(es256, [ec_afzender.pem]),
            geval(ps256, [rsa_afzender.pem]),
            geval(andere_metadata, [ec_afzender.pem]),
            geval(ander_referentienummer, [ec_afzender.pem]),
            geval(es256, [rsa_afzender.pem]),  # the adresboek lists another certificate
            geval(kapot, [ec_afzender.pem]),
            geval(es256, [ec_afzender.pem], met_kid="ander-kid"),
        ],
    )
    for geopend in uit[:2]:
        assert json.loads(geopend["payload"]) == {
            "klantnummerSHV": "K-<b>1</b>",
            "tekst": "<script>alert(1)</script>",
        }
    assert [u.get("reden") for u in uit[2:]] == [
        "METADATA_ONJUIST",
        "METADATA_ONJUIST",
        "HANDTEKENING_ONGELDIG",
        "ONTSLEUTELING_MISLUKT",
        "SLEUTEL_ONBRUIKBAAR",
    ]
    assert "berichttype" in uit[2]["melding"] and "wijkt af van de envelop" in uit[2]["melding"]
    assert "x5t#S256" in uit[4]["melding"]
