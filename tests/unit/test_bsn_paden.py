"""DESIGN §3: "BSN only to creditors with `gebruiktBsn`" is a payload rule the participant SDK and the
portal enforce. Both find the BSNs of a payload the same way — `protocol.payloads.velden.bsn_paden`
(the SDK's) and the werkplek's `bsnPaden` (src/knooppunt/portaal/js/src/controles.js, run in Node by
js/test/controles.mjs) — on the catalogue's own examples of every type and on nested cases.

The Node half needs node and npm; skipped without them, failing instead with CI=true."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads.velden import bsn_paden
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from tests.node import draai_script, node_met_pakketten

JS = Path(__file__).resolve().parents[2] / "src" / "knooppunt" / "portaal" / "js"

GEVALLEN: list[tuple[Any, list[str]]] = [
    ({}, []),
    ({"klant": {"bsn": "111222333"}}, ["klant.bsn"]),
    ({"klant": {"bsn": "111222333"}, "partner": {"bsn": "123456782"}}, ["klant.bsn", "partner.bsn"]),
    ({"klant": {"bsn": ""}, "partner": {"bsn": None}}, []),
    ({"personen": [{"bsn": "111222333"}, {"naam": "x"}]}, ["personen[0].bsn"]),
    ({"bsn": "111222333", "x": [[{"bsn": "123456782"}]]}, ["bsn", "x[0][0].bsn"]),
    ({"omschrijving": "bsn 111222333 in tekst"}, []),  # a field named bsn, not a number in a text
]


def _voorbeelden() -> list[Any]:
    uit = []
    for t in CATALOGUS.alle():
        try:
            uit.append(voorbeeld(t.module, t.code, t.versie))
        except Exception:  # hub notices have no payload
            continue
    return uit


def test_sdk_vindt_elk_bsn() -> None:
    for payload, paden in GEVALLEN:
        assert bsn_paden(payload) == paden, payload
    publiek = voorbeeld("schuldregeling", "saldoverzoek_publiek")
    assert "klant.bsn" in bsn_paden(publiek)
    assert bsn_paden(voorbeeld("schuldregeling", "saldoverzoek_nuts")) == []


def test_werkplek_vindt_dezelfde_bsns_als_de_sdk() -> None:
    node = node_met_pakketten(JS, "the werkplek's BSN rule")
    payloads = [p for p, _ in GEVALLEN] + _voorbeelden()
    uit = draai_script(node, JS / "test" / "controles.mjs", {"bsn": payloads})
    assert uit["bsn"] == [bsn_paden(p) for p in payloads]
    assert any(uit["bsn"]), "the examples carry at least one BSN"
