"""The name the werkplek gives a traject from the client an opened message names (DESIGN §7,
src/knooppunt/portaal/js/src/clienten.js ``labelUitPayload``, run in Node by js/test/clientlabel.mjs):
the client's name (``klant.naam``, or voornamen — else voorletters —, voorvoegsel and achternaam,
whitespace collapsed, at most 200 characters) and the creditor's own klantnummerSE, else the sender's
klantnummerSHV (at most 50); no label for a message that names no client (a klantnummer alone names
none).

Needs node and npm (`npm ci` in the js project); skipped without them, failing with CI=true."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from tests.node import draai_script, node_met_pakketten

JS = Path(__file__).resolve().parents[2] / "src" / "knooppunt" / "portaal" / "js"


def _labels(payloads: list[Any]) -> list[Any]:
    node = node_met_pakketten(JS, "the werkplek's client names")
    uit: list[Any] = draai_script(node, JS / "test" / "clientlabel.mjs", payloads)
    return uit


def test_naam_en_klantnummer_uit_het_bericht() -> None:
    kennisgeving = voorbeeld("schuldregeling", "kennisgeving")  # klantnummerSHV, no klantnummerSE
    statusbericht = voorbeeld("schuldregeling", "statusbericht")  # klantnummerSE as well
    zonder_voornamen = copy.deepcopy(kennisgeving)
    del zonder_voornamen["klant"]["voornamen"], zonder_voornamen["klant"]["voorvoegsel"]
    lang = copy.deepcopy(kennisgeving)
    lang["klant"]["achternaam"] = "  Vries   van\tOranje " + "x" * 300
    lang["klantnummerSHV"] = "K" * 80
    met_naam = {"klant": {"naam": " Piet  Jansen "}, "klantnummerSHV": 12}
    payloads: list[Any] = [
        kennisgeving,
        statusbericht,
        zonder_voornamen,
        lang,
        met_naam,
        voorbeeld("schuldregeling", "reminder"),  # klantnummers, no client: no label
        {"klant": {"voornamen": " ", "achternaam": ""}, "klantnummerSE": "X"},
        {"klant": "Jansen"},
        ["klant"],
        None,
    ]
    uit = _labels(payloads)
    assert uit[0] == {"klantnummer": "SHV-2024-0042", "naam": "Johanna de Vries"}
    assert uit[1] == {"klantnummer": "EN-778812", "naam": "Johanna de Vries"}
    assert uit[2] == {"klantnummer": "SHV-2024-0042", "naam": "J. Vries"}
    assert uit[3]["naam"].startswith("Johanna de Vries van Oranje xxx") and len(uit[3]["naam"]) == 200
    assert uit[3]["klantnummer"] == "K" * 50
    assert uit[4] == {"klantnummer": "12", "naam": "Piet Jansen"}
    assert uit[5:] == [None] * 5


def test_een_verstuurd_bericht_noemt_het_eigen_klantnummer() -> None:
    """A traject the werkplek's compose starts is named from what the user typed (an independent
    werkplek probe found them all "zonder naam"): the organisation's own number first —
    klantnummerSHV of a debt counsellor even beside a creditor's klantnummerSE, klantnummerBW of a
    bewindvoerder's melding."""
    statusbericht = voorbeeld("schuldregeling", "statusbericht")  # klantnummerSE and klantnummerSHV
    melding = voorbeeld("bewind", "melding_bewind")
    uit = _labels(
        [
            {"eigenNummer": "klantnummerSHV", "payload": statusbericht},
            {"eigenNummer": "klantnummerBW", "payload": melding},
            melding,
        ]
    )
    assert uit[0]["klantnummer"] == statusbericht["klantnummerSHV"]
    assert uit[1]["klantnummer"] == melding["klantnummerBW"]
    assert uit[2]["klantnummer"] == melding["klantnummerBW"]  # received: the only number there is
    assert uit[1]["naam"]


def test_een_traject_van_het_waarborgfonds_heet_naar_zijn_kenmerk() -> None:
    """The waarborgfonds names no client (SBN): both the kredietbank and the fund saw only
    "Traject 24080779" / "onbekende cliënt". The case's kenmerk (one conversation per case, DESIGN §3b)
    names the traject instead, encrypted under the label key as a name from a message is; a message
    that names a client keeps its name."""
    aanvraag = voorbeeld("waarborgfonds", "aanvraag_borgstelling", "2.0")
    gebeurtenis = voorbeeld("waarborgfonds", "gebeurtenis", "2.0")
    uit = _labels([aanvraag, gebeurtenis, {"kenmerk": "  "}, {"kenmerk": 12}])
    assert uit[0] == {"klantnummer": "", "naam": f"Kenmerk {aanvraag['kenmerk']}"}
    assert uit[1] == {"klantnummer": "", "naam": f"Kenmerk {gebeurtenis['kenmerk']}"}
    assert uit[2] is None
    assert uit[3] == {"klantnummer": "", "naam": "Kenmerk 12"}
