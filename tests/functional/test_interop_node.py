"""Interoperability of the envelope (DESIGN §5: "checked against a non-Python library") with
panva/jose on Node: Node seals exactly as DESIGN §5 says and the SDK opens; the SDK seals and Node
opens, for a message type of every module; Node opens the published test vectors; and the Node
samples of docs/vendor-guide.md run as written against a served hub. Node scripts are in
tests/interop/.

The `jose` npm package is installed once per session from tests/interop/package-lock.json
(`npm ci`). Without `node` the tests are skipped locally, and fail when CI=true.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from knooppunt.client import jose
from knooppunt.client.hub import HubClient
from knooppunt.client.jose import OngeldigeEnvelop
from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads import valideer
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from tests.factories import Partij
from tests.functional.server import Hub
from tests.functional.test_client import _raw, hub
from tests.node import node_met_pakketten

__all__ = ["hub"]  # the served hub, a fixture of test_client

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


# One message type of every module, in its highest version: (module, berichttype, sender, recipient).
PER_MODULE = [
    ("schuldregeling", "geen_medewerking", "belasting", "gemeente"),
    ("saldoverzoek", "saldoverzoek_antwoord", "energie", "gemeente"),
    ("betalingsregeling", "betaalvoorstel", "kredietbank", "energie"),
    ("waarborgfonds", "aanvraag_borgstelling", "kredietbank", "zorg"),
    ("bewind", "melding_bewind", "woning", "belasting"),
    ("pauzeknop", "kennisgeving", "gemeente", "woning"),
]


def _module_metadata(module: str, code: str, afzender: Partij, ontvanger: Partij) -> dict[str, Any]:
    return {
        "referentienummer": str(uuid.uuid4()),
        "conversatieReferentienummer": str(uuid.uuid4()),
        "crossReferentienummer": None,
        "module": module,
        "berichttype": code,
        "versie": CATALOGUS.versies(module, code)[-1],
        "afzender": afzender.oin,
        "ontvanger": ontvanger.oin,
    }


def test_elke_module_heeft_een_interopgeval() -> None:
    assert {m for m, *_ in PER_MODULE} == set(CATALOGUS.modulecodes())


@pytest.mark.parametrize(("module", "code", "van", "naar"), PER_MODULE, ids=[m for m, *_ in PER_MODULE])
def test_elke_module_node_en_sdk_over_en_weer(
    node: str, pki: dict[str, Partij], module: str, code: str, van: str, naar: str
) -> None:
    afzender, ontvanger = pki[van], pki[naar]
    metadata = _module_metadata(module, code, afzender, ontvanger)
    payload = voorbeeld(module, code, metadata["versie"])

    # Node seals, the SDK opens and validates against that version's schema.
    inhoud = _node_ok(
        node,
        "verzegel.mjs",
        {
            "payload": payload,
            "metadata": metadata,
            "iat": int(time.time()),
            "afzenderSleutel": afzender.key_pad.read_text(),
            "afzenderCertificaat": afzender.pem,
            "ontvangerCertificaat": ontvanger.pem,
        },
    )
    geopend = jose.open_(
        inhoud,
        ontvanger_sleutel=ontvanger.sleutel,
        afzender_certificaten=[afzender.certificaat],
        envelop=metadata,
    )
    assert geopend.json() == payload
    valideer(module, code, metadata["versie"], geopend.payload)

    # The SDK seals, Node opens.
    terug = _module_metadata(module, code, afzender, ontvanger)
    uit = json.loads(
        _node_ok(
            node,
            "open.mjs",
            {
                "inhoud": jose.verzegel(
                    payload,
                    metadata=terug,
                    iat=1_767_225_600,
                    afzender_sleutel=afzender.sleutel,
                    afzender_certificaat=afzender.certificaat,
                    ontvanger_certificaat=ontvanger.certificaat,
                ),
                "ontvangerSleutel": ontvanger.key_pad.read_text(),
                "ontvangerCertificaat": ontvanger.pem,
                "afzenderCertificaten": [afzender.pem],
            },
        )
    )
    assert uit["payload"] == payload
    assert {veld: uit["jwsKop"][veld] for veld in jose.METADATA_VELDEN} == terug


# --- the vendor guide's Node samples, run as written ------------------------------------------------

GIDS = Path(__file__).resolve().parents[2] / "docs" / "vendor-guide.md"


def _gids_bestanden() -> dict[str, str]:
    """The guide's JavaScript samples by the file name on their first line, and its payload."""
    tekst = GIDS.read_text(encoding="utf-8")
    bestanden = {}
    for blok in re.findall(r"```js\n(.*?)```", tekst, flags=re.S):
        naam = re.match(r"// (\S+\.mjs) ", blok)
        assert naam is not None, f"a JavaScript sample in the vendor guide names no file: {blok[:80]}"
        bestanden[naam.group(1)] = blok
    payload = re.search(r"The payload \(`saldoverzoek_nuts.json`.*?```json\n(.*?)```", tekst, flags=re.S)
    assert payload is not None
    bestanden["saldoverzoek_nuts.json"] = payload.group(1)
    return bestanden


def test_de_gids_zegt_hoe_node_te_installeren() -> None:
    tekst = GIDS.read_text(encoding="utf-8")
    bestanden = _gids_bestanden()
    assert {"knooppunt.mjs", "verzegel.mjs", "open.mjs", "antwoord.mjs"} <= set(bestanden)
    versie = json.loads((INTEROP / "package.json").read_text())["dependencies"]["jose"]
    assert versie.startswith("^5") and "npm install jose@5" in tekst
    for naam in ("verzegel.mjs", "open.mjs", "antwoord.mjs"):
        assert f"node {naam}" in tekst
    # The guide's payload is valid in the version its sample seals it in.
    valideer("schuldregeling", "saldoverzoek_nuts", "1.0", json.loads(bestanden["saldoverzoek_nuts.json"]))


def test_de_node_voorbeelden_uit_de_gids_draaien_tegen_een_hub(
    node: str, hub: Hub, cast: dict[str, Partij], tmp_path: Path
) -> None:
    """Steps 3–6 of the vendor guide with its own Node code: the Gemeente seals and submits, Energie
    BV fetches, opens, checks and answers; the SDK reads the answer."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    map_ = tmp_path / "knooppunt-node"
    map_.mkdir()
    for naam, inhoud in _gids_bestanden().items():
        (map_ / naam).write_text(inhoud, encoding="utf-8")
    (map_ / "node_modules").symlink_to(INTEROP / "node_modules")  # `npm install jose@5`
    (map_ / "ca.pem").write_bytes(hub.ca.read_bytes())
    for partij, naam in ((gemeente, "gemeente"), (energie, "energie")):
        (map_ / f"{naam}.pem").write_text(partij.pem)
        (map_ / f"{naam}-key.pem").write_text(partij.key_pad.read_text())

    def node_in_map(script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [node, script], capture_output=True, text=True, timeout=60, check=False, cwd=map_
        )

    with _raw(hub, gemeente) as shv, _raw(hub, energie) as se:
        for client, oin, naam in ((shv, energie.oin, "energie"), (se, gemeente.oin, "gemeente")):
            entry = client.get(f"/adresboek/{oin}").json()
            versleuteling = [
                c for c in entry["certificaten"] if c["actueel"] and "versleuteling" in c["gebruik"]
            ]
            pem = max(versleuteling, key=lambda c: c["geldigVanaf"])["pem"]
            (map_ / f"{naam}-versleuteling.pem").write_text(pem)

        # Step 3 and 4: seal and submit.
        verzegeld = node_in_map("verzegel.mjs")
        assert verzegeld.returncode == 0, verzegeld.stderr
        envelop = json.loads(verzegeld.stdout)
        ingediend = shv.post("/berichten", json=envelop)
        assert ingediend.status_code == 201, ingediend.text

        # Step 5: fetch, open and check.
        bericht = se.get("/berichten", params={"limit": 1}).json()["berichten"][0]
        (map_ / "bericht.json").write_text(json.dumps(bericht))
        (map_ / "afzender.json").write_text(se.get(f"/adresboek/{bericht['afzender']}").text)
        geopend = node_in_map("open.mjs")
        assert geopend.returncode == 0, geopend.stderr
        assert json.loads(geopend.stdout) == json.loads((map_ / "saldoverzoek_nuts.json").read_text())
        # ... and a re-labelled envelope is refused with the weigering code.
        (map_ / "bericht.json").write_text(json.dumps(bericht | {"berichttype": "saldoverzoek"}))
        vals = node_in_map("open.mjs")
        assert vals.returncode == 3 and "METADATA_ONJUIST" in vals.stderr
        (map_ / "bericht.json").write_text(json.dumps(bericht))

        # Step 6: answer, in the question's conversation, module and version.
        antwoord_payload = voorbeeld("schuldregeling", "saldoverzoek_antwoord", "1.0")
        (map_ / "saldoverzoek_antwoord.json").write_text(json.dumps(antwoord_payload))
        beantwoord = node_in_map("antwoord.mjs")
        assert beantwoord.returncode == 0, beantwoord.stderr
        antwoord = se.post("/berichten", json=json.loads(beantwoord.stdout))
        assert antwoord.status_code == 201, antwoord.text
        assert antwoord.json()["crossReferentienummer"] == envelop["referentienummer"]

    with HubClient(hub.url, cert=gemeente.cert_pad, key=gemeente.key_pad, ca=hub.ca) as sdk_shv:
        [gelezen] = [b for b in sdk_shv.ontvang() if not b.van_knooppunt]
        assert gelezen.fout is None, gelezen.foutdetail
        assert gelezen.payload == antwoord_payload
        assert gelezen.envelop["versie"] == "1.0"


def test_node_opent_de_testvectoren_per_berichttype(node: str) -> None:
    """Every per-type vector (docs/testvectoren/berichten) opens with panva/jose too."""
    mappen = sorted(p.parent for p in (VECTOREN / "berichten").glob("*/*/*/inhoud.jwe"))
    assert len(mappen) == len(CATALOGUS.alle()) - 2 * sum(len(m.versies) for m in CATALOGUS.modules())
    for map_ in mappen:
        verwacht = json.loads((map_ / "verwacht.json").read_text())
        sleutels = VECTOREN / verwacht["sleutels"]
        uit = json.loads(
            _node_ok(
                node,
                "open.mjs",
                {
                    "inhoud": (map_ / "inhoud.jwe").read_text().strip(),
                    "ontvangerSleutel": (sleutels / "ontvanger-sleutel.pem").read_text(),
                    "ontvangerCertificaat": (sleutels / "ontvanger.pem").read_text(),
                    "afzenderCertificaten": [(sleutels / "afzender.pem").read_text()],
                },
            )
        )
        assert uit["payload"] == json.loads((map_ / "payload.json").read_text()), map_
        assert uit["jwsKop"] == verwacht["jwsKop"], map_
