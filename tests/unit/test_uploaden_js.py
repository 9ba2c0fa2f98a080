"""The werkplek's sealing and numbering code (src/knooppunt/portaal/js/src/zegelen.js and
uploaden.js, run in Node's WebCrypto by js/test/zegel.mjs) against the Python side: what the page
seals — ES256 inside, ECDH-ES+A256KW for a P-256 recipient and RSA-OAEP-256 for an RSA one, the
headers of DESIGN §5 — the SDK opens and verifies (client/jose.py `open_`); an answer's number is
the UUIDv8 of portaal/antwoordnummers.py for the same secret and content (DESIGN §7), so the same
question and row always get the same number, in the page as on the server.

Needs node and npm; skipped without them, failing instead with CI=true."""

from __future__ import annotations

import base64
import json
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from knooppunt.client import jose
from knooppunt.portaal import antwoordnummers
from knooppunt.protocol.jwe import x5t_s256
from tests.factories import Partij
from tests.node import draai_script, node_met_pakketten

JS = Path(__file__).resolve().parents[2] / "src" / "knooppunt" / "portaal" / "js"


@pytest.fixture(scope="module")
def node() -> str:
    return node_met_pakketten(JS, "sealing with the werkplek's code")


def _run(node: str, invoer: dict[str, Any]) -> dict[str, Any]:
    uit: dict[str, Any] = draai_script(node, JS / "test" / "zegel.mjs", invoer)
    return uit


def _kop(compact: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(compact.split(".", maxsplit=1)[0] + "=="))  # type: ignore[no-any-return]


def test_de_sdk_opent_wat_de_pagina_verzegelt(node: str, pki: dict[str, Partij]) -> None:
    afzender = pki["gemeente"]  # P-256 signing key
    pkcs8 = serialization.load_pem_private_key(afzender.key_pad.read_bytes(), password=None).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    teken = {"kid": jose.kid_van(afzender.certificaat), "pkcs8": base64.b64encode(pkcs8).decode()}
    gevallen = []
    for ontvanger, alg in ((pki["zorg"], "ECDH-ES+A256KW"), (pki["energie"], "RSA-OAEP-256")):
        cert = ontvanger.certificaat
        envelop = {
            "referentienummer": str(uuid.uuid4()),
            "conversatieReferentienummer": str(uuid.uuid4()),
            "crossReferentienummer": str(uuid.uuid4()),
            "module": "schuldregeling",
            "berichttype": "klant_onbekend",
            "versie": "1.0",
            "ontvanger": ontvanger.oin,
        }
        gevallen.append(
            {
                "payload": json.dumps({"klantnummerSHV": "K-1", "reden": {"code": "X", "tekst": "é <b>"}}),
                "envelop": envelop,
                "afzender": afzender.oin,
                "teken": teken,
                "ontvanger": {
                    "pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
                    "kid": x5t_s256(cert.public_bytes(serialization.Encoding.DER)),
                    "alg": alg,
                },
                "_partij": ontvanger,
            }
        )
    uit = _run(
        node, {"zegels": [{k: v for k, v in g.items() if k != "_partij"} for g in gevallen], "nummers": []}
    )
    for geval, jwe in zip(gevallen, uit["jwes"], strict=True):
        kop = _kop(jwe)
        epk = kop.pop("epk", None)
        assert (epk is not None) is (geval["ontvanger"]["alg"] == "ECDH-ES+A256KW")
        assert kop == {
            "alg": geval["ontvanger"]["alg"],
            "enc": "A256GCM",
            "kid": geval["ontvanger"]["kid"],
            "cty": "JWT",
        }
        ontvanger: Partij = geval["_partij"]
        env = {**geval["envelop"], "afzender": afzender.oin, "inhoud": jwe}
        geopend = jose.open_(
            jwe,
            ontvanger_sleutel={geval["ontvanger"]["kid"]: ontvanger.sleutel},
            afzender_certificaten=[afzender.certificaat],
            envelop=env,
        )
        assert geopend.json() == {"klantnummerSHV": "K-1", "reden": {"code": "X", "tekst": "é <b>"}}
        # DESIGN §5: the JWS header repeats the metadata and iat and names the signing certificate.
        assert geopend.kop["alg"] == "ES256" and geopend.kop["x5t#S256"] == teken["kid"]
        assert {k: geopend.kop[k] for k in geval["envelop"]} == geval["envelop"]
        assert geopend.kop["afzender"] == afzender.oin and isinstance(geopend.kop["iat"], int)
        # Other metadata in the envelope than was signed: the SDK refuses it.
        with pytest.raises(jose.OngeldigeEnvelop):
            jose.open_(
                jwe,
                ontvanger_sleutel={geval["ontvanger"]["kid"]: ontvanger.sleutel},
                afzender_certificaten=[afzender.certificaat],
                envelop={**env, "berichttype": "saldoverzoek_antwoord"},
            )


def test_antwoordnummers_gelijk_aan_python(node: str) -> None:
    """DESIGN §7: the page's number of an answer is antwoordnummers.uuid8 of antwoordnummers.canoniek."""
    geheim = os.urandom(32)
    vraag, conversatie = str(uuid.uuid4()), str(uuid.uuid4())
    payloads = [
        {"klantnummerSHV": "K-1", "vorderingen": [{"hoofdsom": 100000, "omschrijving": "Énergie € 'x'"}]},
        {"reden": {"tekst": 'a\nb "c"', "code": "Z"}, "klantnummerSHV": "K-2"},
    ]
    gegevens = [
        [
            antwoordnummers.VERSIE,
            "schuldregeling",
            "1.0",
            "saldoverzoek_antwoord",
            conversatie,
            vraag,
            "",
            "",
            p,
        ]
        for p in payloads
    ]
    uit = _run(
        node,
        {
            "zegels": [],
            "nummers": [{"sleutel": base64.b64encode(geheim).decode(), "gegevens": g} for g in gegevens],
        },
    )
    verwacht = [
        antwoordnummers.uuid8(
            geheim,
            antwoordnummers.canoniek(
                berichttype="saldoverzoek_antwoord",
                module="schuldregeling",
                versie="1.0",
                conversatie=conversatie,
                antwoord_op=vraag,
                payload=p,
            ),
        )
        for p in payloads
    ]
    assert uit["nummers"] == verwacht
    assert uit["nummers"][0] != uit["nummers"][1]
