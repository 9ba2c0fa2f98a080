"""Interoperability of the envelope (DESIGN §5: "checked against a non-Python library") with
panva/jose on Node: Node seals exactly as DESIGN §5 says and the SDK opens; the SDK seals and Node
opens; Node opens the published test vectors. Node scripts are in tests/interop/.

The `jose` npm package is installed once per session from tests/interop/package-lock.json
(`npm ci`). Without `node` the tests are skipped locally, and fail when CI=true.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from knooppunt.client import jose
from knooppunt.client.jose import OngeldigeEnvelop
from knooppunt.protocol.payloads import valideer
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from tests.factories import Partij
from tests.node import node_met_pakketten

INTEROP = Path(__file__).resolve().parent.parent / "interop"
VECTOREN = Path(__file__).resolve().parents[2] / "docs" / "testvectoren"

# (sender, recipient): the SE answers the SHV's saldoverzoek (an answer, so crossReferentienummer is set).
PAREN = {
    "rsa": ("energie", "kredietbank"),  # PS256 + RSA-OAEP-256
    "ec": ("belasting", "gemeente"),  # ES256 + ECDH-ES+A256KW
    "ec-naar-rsa": ("zorg", "kredietbank"),
    "rsa-naar-ec": ("woning", "gemeente"),
}


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, with panva/jose installed in tests/interop/node_modules."""
    return node_met_pakketten(INTEROP, "the JOSE interop check")


def _node(node: str, script: str, verzoek: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node, str(INTEROP / script)],
        input=json.dumps(verzoek),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=INTEROP,
    )


def _node_ok(node: str, script: str, verzoek: dict[str, Any]) -> str:
    r = _node(node, script, verzoek)
    assert r.returncode == 0, f"{script} failed:\n{r.stderr}"
    return r.stdout


def _metadata(afzender: Partij, ontvanger: Partij) -> dict[str, Any]:
    return {
        "referentienummer": str(uuid.uuid4()),
        "conversatieReferentienummer": str(uuid.uuid4()),
        "crossReferentienummer": str(uuid.uuid4()),
        "module": "schuldregeling",
        "berichttype": "saldoverzoek_antwoord",
        "versie": "1.0",
        "afzender": afzender.oin,
        "ontvanger": ontvanger.oin,
    }


@pytest.mark.parametrize("paar", PAREN)
def test_node_verzegelt_en_de_sdk_opent(node: str, pki: dict[str, Partij], paar: str) -> None:
    afzender, ontvanger = (pki[n] for n in PAREN[paar])
    metadata = _metadata(afzender, ontvanger)
    payload = voorbeeld("schuldregeling", "saldoverzoek_antwoord")
    iat = int(time.time())
    inhoud = _node_ok(
        node,
        "verzegel.mjs",
        {
            "payload": payload,
            "metadata": metadata,
            "iat": iat,
            "afzenderSleutel": afzender.key_pad.read_text(),
            "afzenderCertificaat": afzender.pem,
            "ontvangerCertificaat": ontvanger.pem,
        },
    )

    geopend = jose.open_(
        inhoud,
        ontvanger_sleutel=ontvanger.sleutel,
        afzender_certificaten=[pki["woning"].certificaat, afzender.certificaat],
        envelop=metadata,
    )
    assert geopend.json() == payload
    assert geopend.kop["iat"] == iat
    valideer("schuldregeling", "saldoverzoek_antwoord", "1.0", geopend.payload)

    # The SDK's checks are live on Node's output too: re-labelled, it is refused.
    with pytest.raises(OngeldigeEnvelop) as exc:
        jose.open_(
            inhoud,
            ontvanger_sleutel=ontvanger.sleutel,
            afzender_certificaten=[afzender.certificaat],
            envelop={**metadata, "berichttype": "klant_onbekend"},
        )
    assert exc.value.reden == "METADATA_ONJUIST"


@pytest.mark.parametrize("paar", PAREN)
def test_de_sdk_verzegelt_en_node_opent(node: str, pki: dict[str, Partij], paar: str) -> None:
    afzender, ontvanger = (pki[n] for n in PAREN[paar])
    metadata = _metadata(afzender, ontvanger)
    payload = voorbeeld("schuldregeling", "saldoverzoek_antwoord")
    inhoud = jose.verzegel(
        payload,
        metadata=metadata,
        iat=1_767_225_600,
        afzender_sleutel=afzender.sleutel,
        afzender_certificaat=afzender.certificaat,
        ontvanger_certificaat=ontvanger.certificaat,
    )
    uit = json.loads(
        _node_ok(
            node,
            "open.mjs",
            {
                "inhoud": inhoud,
                "ontvangerSleutel": ontvanger.key_pad.read_text(),
                "ontvangerCertificaat": ontvanger.pem,
                "afzenderCertificaten": [pki["zorg"].pem, afzender.pem],
            },
        )
    )

    assert uit["payload"] == payload
    rsa_afzender = isinstance(afzender.sleutel, jose.RSAKey)
    rsa_ontvanger = isinstance(ontvanger.sleutel, jose.RSAKey)
    assert uit["jweKop"]["alg"] == ("RSA-OAEP-256" if rsa_ontvanger else "ECDH-ES+A256KW")
    assert uit["jweKop"]["enc"] == "A256GCM"
    assert uit["jweKop"]["kid"] == jose.kid_van(ontvanger.certificaat)
    jws_kop = uit["jwsKop"]
    assert jws_kop["alg"] == ("PS256" if rsa_afzender else "ES256")
    assert {veld: jws_kop[veld] for veld in jose.METADATA_VELDEN} == metadata
    assert jws_kop["iat"] == 1_767_225_600
    assert jws_kop["x5t#S256"] == jose.kid_van(afzender.certificaat)
    valideer("schuldregeling", "saldoverzoek_antwoord", "1.0", uit["payload"])


def test_node_weigert_een_handtekening_van_een_ander(node: str, pki: dict[str, Partij]) -> None:
    """Node's side really verifies: the SDK's output signed by someone else does not open there."""
    afzender, ontvanger = pki["energie"], pki["kredietbank"]
    inhoud = jose.verzegel(
        {"a": 1},
        metadata=_metadata(afzender, ontvanger),
        iat=1,
        afzender_sleutel=pki["woning"].sleutel,
        afzender_certificaat=afzender.certificaat,  # names energie, signed by woning
        ontvanger_certificaat=ontvanger.certificaat,
    )
    r = _node(
        node,
        "open.mjs",
        {
            "inhoud": inhoud,
            "ontvangerSleutel": ontvanger.key_pad.read_text(),
            "ontvangerCertificaat": ontvanger.pem,
            "afzenderCertificaten": [afzender.pem],
        },
    )
    assert r.returncode != 0
    assert "signature verification failed" in r.stderr


def _vectoren() -> list[Path]:
    return sorted(p.parent for p in VECTOREN.glob("*/inhoud.jwe"))


@pytest.mark.parametrize("map_", _vectoren(), ids=lambda p: p.name)
def test_node_opent_de_testvectoren(node: str, map_: Path) -> None:
    """The published vectors (docs/testvectoren) open with a non-Python library, as vendors will."""
    verwacht = json.loads((map_ / "verwacht.json").read_text())
    uit = json.loads(
        _node_ok(
            node,
            "open.mjs",
            {
                "inhoud": (map_ / "inhoud.jwe").read_text().strip(),
                "ontvangerSleutel": (map_ / "ontvanger-sleutel.pem").read_text(),
                "ontvangerCertificaat": (map_ / "ontvanger.pem").read_text(),
                "afzenderCertificaten": [(map_ / "afzender.pem").read_text()],
            },
        )
    )
    assert uit["payload"] == json.loads((map_ / "payload.json").read_text())
    assert uit["jwsKop"] == verwacht["jwsKop"]
    assert uit["jweKop"] == verwacht["jweKop"]
