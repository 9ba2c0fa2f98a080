"""The werkplek's compose form reads what a person types as the hosted form does
(src/knooppunt/portaal/js/src/opstellen.js ``waarde``, run in Node by js/test/opstellen.mjs, beside
``formulier._scalair``): amounts in euro with a decimal comma in every amount field of every module —
a tester typed "133,34" as an aanvraag_borgstelling's maandaflossing and was told it is no whole
number — and a postcode in its common form without a space ("3011AA" → "3011 AA").

Needs node and npm (`npm ci` in the js project); skipped without them, failing with CI=true."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from knooppunt.portaal import formulier
from tests.node import draai_script, node_met_pakketten

JS = Path(__file__).resolve().parents[2] / "src" / "knooppunt" / "portaal" / "js"


@pytest.fixture(scope="module")
def node() -> str:
    return node_met_pakketten(JS, "the werkplek's compose form")


def _velden(sj: formulier.Sjabloon) -> dict[str, formulier.Sjabloon]:
    if sj.soort in ("groep", "lijst"):
        uit: dict[str, formulier.Sjabloon] = {}
        for kind in sj.kinderen:
            uit.update(_velden(kind))
        return uit
    return {sj.naam: sj}


def test_bedragen_en_postcodes_zoals_het_formulier_van_de_server(node: str) -> None:
    velden = _velden(formulier.sjabloon("waarborgfonds", "aanvraag_borgstelling", "2.0"))
    assert velden["maandaflossing"].soort == "bedrag"
    assert velden["brutoKredietsom"].soort == "bedrag"
    assert velden["looptijdMaanden"].soort == "geheel"
    postcode = _velden(formulier.sjabloon("schuldregeling", "kennisgeving", "2.0"))["postcode"]
    gevallen: list[tuple[formulier.Sjabloon, str]] = [
        (velden["maandaflossing"], "133,34"),
        (velden["maandaflossing"], "€ 133,34"),
        (velden["brutoKredietsom"], "4.800,00"),
        (velden["maandaflossing"], "133"),
        (velden["looptijdMaanden"], "36"),
        (postcode, "3011AA"),
        (postcode, "3011 aa"),
        (postcode, "3011  AA"),
        (postcode, "3011 AA"),
    ]
    uit = draai_script(
        node,
        JS / "test" / "opstellen.mjs",
        {"waarden": [{"soort": sj.soort, "naam": sj.naam, "tekst": t} for sj, t in gevallen]},
    )["waarden"]
    verwacht: list[Any] = [formulier._scalair(sj, t) for sj, t in gevallen]
    assert [u.get("waarde") for u in uit] == verwacht
    assert verwacht[:4] == [13334, 13334, 480000, 13300]
    assert verwacht[5:] == ["3011 AA"] * 4
