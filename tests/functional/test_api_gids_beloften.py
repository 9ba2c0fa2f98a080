"""What docs/api.md and docs/vendor-guide.md tell a vendor about repeats and the JOSE headers,
checked against a real `knooppunt serve` over mutual TLS (findings of an independent vendor probe):
a repeated submit or confirm after the message moved on answers 200 with the message as it is now,
`POST /bevestigingen` answers inside `{"bevestigingen": [...]}`, and `typ`/`cty` in the JWS and JWE
headers are optional."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from knooppunt.client import compact, jose
from knooppunt.client.hub import HubClient
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from tests.factories import Partij, envelop
from tests.functional.server import Hub, start_hub

M = "schuldregeling"


@pytest.fixture
def hub(database_url: str, tmp_path: Path, pki_dir: Path, cast: dict[str, Partij]) -> Iterator[Hub]:
    with start_hub(database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir) as h:
        yield h


def _kop(deel: str) -> dict[str, Any]:
    return dict(json.loads(base64.urlsafe_b64decode(deel + "=" * (-len(deel) % 4))))


def test_herhaling_na_voortgang_geeft_het_bericht_zoals_het_nu_is(hub: Hub, cast: dict[str, Partij]) -> None:
    """docs/api.md "Sending" and "Receiving": a retry of a submit (same number, same body) and a
    repeated confirm, after the message was confirmed and answered, answer 200 with its metadata
    as it is now (`status` `beantwoord`), not a copy of the first answer; `POST /bevestigingen`
    answers `{"bevestigingen": [...]}` with that status and no `code`."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    conversatie = str(uuid.uuid4())
    vraag = envelop(gemeente, energie, "saldoverzoek", conversatie=conversatie)
    with hub.client(gemeente) as shv, hub.client(energie) as se:
        eerste = shv.post("/berichten", json=vraag)
        assert eerste.status_code == 201, eerste.text
        assert eerste.json()["status"] == "aangeboden"
        ref = vraag["referentienummer"]
        bevestigd = se.post(f"/berichten/{ref}/bevestiging")
        assert bevestigd.status_code == 200, bevestigd.text
        antwoord = envelop(
            energie, gemeente, "saldoverzoek_antwoord", conversatie=conversatie, antwoord_op=ref
        )
        assert se.post("/berichten", json=antwoord).status_code == 201

        opnieuw = shv.post("/berichten", json=vraag)
        assert opnieuw.status_code == 200, opnieuw.text
        nu = opnieuw.json()
        assert nu["referentienummer"] == ref and nu["status"] == "beantwoord"
        assert nu["bevestigdOp"] == bevestigd.json()["bevestigdOp"]
        assert nu["antwoordUiterlijk"] == bevestigd.json()["antwoordUiterlijk"]
        assert nu != eerste.json()

        nogmaals = se.post(f"/berichten/{ref}/bevestiging")
        assert nogmaals.status_code == 200, nogmaals.text
        assert nogmaals.json()["status"] == "beantwoord"

        r = se.post("/bevestigingen", json={"referentienummers": [ref]})
        assert r.status_code == 200, r.text
        assert r.json() == {
            "bevestigingen": [
                {
                    "referentienummer": ref,
                    "status": "beantwoord",
                    "code": None,
                    "bevestigdOp": bevestigd.json()["bevestigdOp"],
                    "antwoordUiterlijk": bevestigd.json()["antwoordUiterlijk"],
                }
            ]
        }


def test_typ_en_cty_in_de_jose_koppen_zijn_niet_nodig(
    hub: Hub, cast: dict[str, Partij], monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/api.md "Sending": the test vectors carry `typ`/`cty`, but neither the hub nor the SDK
    requires them — an envelope sealed without them is accepted, opened and verified."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    onderteken, versleutel = compact.onderteken, compact.versleutel

    def zonder(kop: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in kop.items() if k not in ("typ", "cty")}

    monkeypatch.setattr(compact, "onderteken", lambda kop, *a: onderteken(zonder(kop), *a))
    monkeypatch.setattr(compact, "versleutel", lambda kop, *a: versleutel(zonder(kop), *a))
    payload = voorbeeld(M, "saldoverzoek_nuts", "1.0")
    vraag = envelop(gemeente, energie, "saldoverzoek_nuts", payload=payload)
    monkeypatch.undo()

    jwe_kop = _kop(vraag["inhoud"].split(".")[0])
    assert "typ" not in jwe_kop and "cty" not in jwe_kop and jwe_kop["enc"] == "A256GCM"
    with hub.client(gemeente) as shv:
        r = shv.post("/berichten", json=vraag)
        assert r.status_code == 201, r.text
    with HubClient(hub.url, cert=energie.cert_pad, key=energie.key_pad, ca=hub.ca) as se:
        [ontvangen] = list(se.ontvang())
        assert ontvangen.fout is None, ontvangen.foutdetail
        assert ontvangen.payload == payload
    # The JWS inside carries no typ/cty either.
    geopend = jose.open_(
        vraag["inhoud"],
        ontvanger_sleutel=energie.sleutel,
        afzender_certificaten=[gemeente.certificaat],
        envelop=vraag | {"afzender": gemeente.oin},
    )
    assert "typ" not in geopend.kop and "cty" not in geopend.kop
