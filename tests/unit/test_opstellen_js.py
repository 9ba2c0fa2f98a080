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


def test_de_afzenderregel_in_woorden_gelijk_aan_het_formulier_van_de_server(node: str) -> None:
    """DESIGN §3b's sender rule (a bewindvoerder asks saldo's on the beschikking) as the compose forms
    say it: controles.js ``inWoorden`` gives formulier.in_woorden's words for every role and grondslag —
    never 'wgs' or grondslagDocument."""
    from knooppunt.protocol.catalogus import CATALOGUS
    from knooppunt.protocol.payloads.voorbeelden import voorbeeld

    definitie = CATALOGUS.module("saldoverzoek")
    assert definitie is not None
    gevallen, verwacht = [], []
    for rol in ("SHV", "BW"):
        for grondslag in ("wgs", "toestemmingsverklaring", "beschikking"):
            payload = {**voorbeeld("saldoverzoek", "saldoverzoek"), "grondslag": grondslag}
            fout = definitie.afzenderfout("saldoverzoek", rol, payload)
            if fout is None:
                continue
            gevallen.append(
                {
                    "module": "saldoverzoek",
                    "rol": rol,
                    "payload": payload,
                    "fout": {"veld": fout[0], "reden": fout[1]},
                }
            )
            verwacht.append(formulier.in_woorden("saldoverzoek", "saldoverzoek", rol, payload, fout))
    gevallen.append({"module": "bewind", "rol": "BW", "payload": {}, "fout": {"veld": "x", "reden": "zo"}})
    verwacht.append("zo")
    uit = draai_script(node, JS / "test" / "controles.mjs", {"woorden": gevallen})["woorden"]
    assert uit == verwacht
    assert len(verwacht) == 4
    assert all("'wgs'" not in w and "grondslagDocument" not in w for w in verwacht)


def test_een_code_met_keuzes_zoals_het_formulier_van_de_server(node: str) -> None:
    """einde_bewind's reason (docs/modules/bewind.md: codes free): the chosen code, or with "Een andere
    reden" the code typed beside it — as formulier._lees reads the hosted form's two fields."""
    sj = formulier.sjabloon("bewind", "einde_bewind", "2.0")
    code = next(k for k in next(k for k in sj.kinderen if k.naam == "reden").kinderen if k.naam == "code")
    gevallen = [
        ("OPGEHEVEN", ""),
        (formulier.ANDERS, " EIGEN_CODE "),
        ("", "EIGEN_CODE"),
        (formulier.ANDERS, ""),
    ]
    uit = draai_script(node, JS / "test" / "opstellen.mjs", {"codes": [list(g) for g in gevallen]})["codes"]
    verwacht = []
    for keuze, anders in gevallen:
        gelezen: dict[str, list[str]] = {}
        invoer = formulier.Invoer({"reden.code": keuze, "reden.code.anders": anders})
        waarde = formulier._lees(code, "reden.code", invoer, gelezen)
        verwacht.append("" if waarde is formulier._LEEG else waarde)
    assert uit == verwacht == ["OPGEHEVEN", "EIGEN_CODE", "EIGEN_CODE", ""]


def test_de_bestandsnaam_van_een_pdf_zoals_de_server_haar_maakt(node: str) -> None:
    """A document's bestandsnaam comes from the chosen file, not typed (an independent probe): the
    werkplek makes it as the hosted compose does (routes/opstellen.py ``bestandsnaam``)."""
    from knooppunt.portaal.routes.opstellen import bestandsnaam

    namen = [
        "beschikking.pdf",
        "C:\\Mijn stukken\\beschikking 2024.pdf",
        "/home/a/b.pdf",
        "  spaties.pdf ",
        "tab\there.pdf",
        "nbsp\u00a0naam.pdf",
        "",
        "a" * 300 + ".pdf",
        "é" * 250,
        "x" * 195 + "." + "y" * 20,
    ]
    uit = draai_script(node, JS / "test" / "opstellen.mjs", {"namen": namen})["namen"]
    assert uit == [bestandsnaam(n) for n in namen]
