"""The werkplek's zip engine (src/knooppunt/portaal/js/src/downloaden.js, run in Node by
js/test/downloaden.mjs) against the server's export (export.py), from the same layout the page gets
(`export.beschrijving`): art. 17.1's CSVs byte for byte — lists of different lengths in one file,
a field no model names, a document under bijlagen/, the hub's foutberichten, a file of a module's
own layout, times in winter and in summer — and every cell, including the formula escape after
spaces, non-breaking and zero-width characters and full-width forms, floats and booleans.

Needs node and npm (`npm ci` in the js project); skipped without them, failing with CI=true."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from knooppunt.client.hub import Ontvangen
from knooppunt.portaal import export, leesbaar
from knooppunt.portaal.weergave import melding_weergave
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from tests.node import draai_script, node_met_pakketten

JS = Path(__file__).resolve().parents[2] / "src" / "knooppunt" / "portaal" / "js"
GEMEENTE = "00000001002306608000"
PDF = "JVBERi0xLjQK" + "QUJD" * 30

CELLEN: list[Any] = [
    "=1+1",
    " =1+1",
    "\u00a0-2",
    "\n@SOM(A1)",
    "\u200b+31 6",
    "\t1",
    "＝1",
    "a=b",
    "",
    "'=x",
    "gewoon",
    -5,
    12,
    0.5,
    1e-05,
    1234567.5,
    12.25,
    True,
    False,
    None,
]


_STATUS = voorbeeld("schuldregeling", "statusbericht")
CONTROLE: list[Any] = [
    _STATUS,
    {**_STATUS, "onbekendVeld": "GEHEIM"},
    {k: v for k, v in _STATUS.items() if k != "klantnummerSHV"},
    {**_STATUS, "klant": {**_STATUS["klant"], "geboortedatum": "GEHEIM"}},
    {**_STATUS, "toelichting": 12},
    ["GEHEIM"],
]
CONTROLE_MELDINGEN = [
    "veld onbekendVeld is een veld dat het berichttype niet kent",
    "mist een verplicht veld",
    "veld klant.geboortedatum",
    "veld toelichting",
    "het bericht heeft een verkeerd soort waarde",
]


@pytest.fixture(scope="module")
def node() -> str:
    return node_met_pakketten(JS, "the werkplek's zip engine")


def _env(
    ref: int, code: str, *, module: str = "schuldregeling", versie: str = "1.0", **meer: Any
) -> dict[str, Any]:
    return {
        "referentienummer": f"00000000-0000-4000-8000-{ref:012d}",
        "conversatieReferentienummer": f"10000000-0000-4000-8000-{ref:012d}",
        "crossReferentienummer": None,
        "berichttype": code,
        "module": "schuldregeling",
        "versie": versie,
        "afzender": GEMEENTE,
        "afzenderNaam": "Gemeente =Demodorp",
        "ontvangenOp": "2026-01-15T08:30:12.345678+00:00",
        "verlooptOp": "2026-07-22T21:59:59+00:00",
        **meer,
    }


def _saldo(vorderingen: int, **meer: Any) -> dict[str, Any]:
    payload = copy.deepcopy(voorbeeld("schuldregeling", "saldoverzoek_nuts"))
    payload["vorderingen"] = [{"factuurnummerSEVolgensSHV": f"=F-{i}"} for i in range(vorderingen)]
    return {**payload, **meer}


def _draai(node: str, invoer: dict[str, Any]) -> dict[str, Any]:
    uit: dict[str, Any] = draai_script(node, JS / "test" / "downloaden.mjs", invoer)
    return uit


def test_17_1_de_zip_van_de_browser_is_die_van_de_server(node: str) -> None:
    bestanden = {
        "saldoverzoeken.csv": [
            {"env": _env(1, "saldoverzoek_nuts"), "payload": _saldo(2), "melding": None},
            {"env": _env(2, "saldoverzoek_nuts"), "payload": _saldo(1, zzOnbekend="=x"), "melding": None},
            {
                "env": _env(3, "saldoverzoek_zorg"),
                "payload": voorbeeld("schuldregeling", "saldoverzoek_zorg"),
                "melding": None,
            },
        ],
        "statusberichten.csv": [
            {
                "env": _env(4, "statusbericht", crossReferentienummer="20000000-0000-4000-8000-000000000004"),
                "payload": {
                    **voorbeeld("schuldregeling", "statusbericht"),
                    "toelichting": ' -1; "twee"\r\nregels',
                },
                "melding": None,
            },
        ],
        "schuldregelingen_geaccordeerd.csv": [
            {
                "env": _env(5, "schuldregeling_geaccordeerd"),
                "payload": {**voorbeeld("schuldregeling", "schuldregeling_geaccordeerd"), "beschikking": PDF},
                "melding": None,
            },
        ],
        "foutberichten.csv": [
            {
                "env": _env(6, "foutbericht", afzender=export.HUB, afzenderNaam="Knooppunt"),
                "payload": None,
                "melding": {"code": "VERLOPEN", "omschrijving": "=niet bevestigd", "referentienummer": "x"},
            },
        ],
        "schuldregeling-2.0/saldoverzoeken_nuts.csv": [
            {
                "env": _env(7, "saldoverzoek_nuts", versie="2.0"),
                "payload": voorbeeld("schuldregeling", "saldoverzoek_nuts", "2.0"),
                "melding": None,
            },
        ],
    }
    indeling = export.beschrijving()
    for bestand, berichten in bestanden.items():
        for b in berichten:
            assert (
                indeling["typen"][f"{b['env']['module']}/{b['env']['versie']}/{b['env']['berichttype']}"][
                    "bestand"
                ]
                == bestand
            )
    kopie = bestanden["saldoverzoeken.csv"][0]
    uit = _draai(
        node,
        {
            "indeling": indeling,
            "cellen": CELLEN,
            "csv": [{"bestand": k, "berichten": v} for k, v in bestanden.items()],
            "kopie": {
                "bericht": {**kopie, "typeNaam": "Saldoverzoek nuts"},
                "gemaakt": "2026-12-06T10:00:00+00:00",
            },
            "controle": [{"env": _env(9, "statusbericht"), "payload": p} for p in CONTROLE],
        },
    )

    assert uit["cellen"] == [export.cel(json.loads(json.dumps(w))) for w in CELLEN]
    assert uit["cellen"][:7] == [
        "'=1+1",
        "' =1+1",
        "'\u00a0-2",
        "'\n@SOM(A1)",
        "'\u200b+31 6",
        "'\t1",
        "'＝1",
    ]

    for (bestand, berichten), gekregen in zip(bestanden.items(), uit["csv"], strict=True):
        ontvangen = [
            Ontvangen(envelop=b["env"], payload=b["payload"], melding=b["melding"]) for b in berichten
        ]
        namen = {b["env"]["afzender"]: b["env"]["afzenderNaam"] for b in berichten}
        soort = export.soort_van_bericht(ontvangen[0])
        assert soort.bestand == bestand
        verwacht = export.csv_van(soort, ontvangen, namen)
        assert base64.b64decode(gekregen) == verwacht, bestand

    # The readable copy: the labels and values of leesbaar.py, as text.
    tekst = uit["kopie"]
    for regel in leesbaar.regels(kopie["payload"]):
        if regel.waarde is not None:
            assert f"{'  ' * regel.niveau}{regel.label}: {regel.waarde}\r\n" in tekst, regel
        else:
            assert f"{'  ' * regel.niveau}{regel.label}\r\n" in tekst, regel
    assert "Van: Gemeente =Demodorp (00000001002306608000)" in tekst
    assert "Ontvangen: do 15 jan 2026 09:30" in tekst and "Bevestigen vóór: wo 22 jul 2026 23:59" in tekst
    assert tekst.startswith("\ufeffSaldoverzoek nuts\r\n")

    # The JSON Schema check of the payload (INHOUD_ONGELDIG): the field and the rule in Dutch,
    # never the value.
    controle = uit["controle"]
    assert controle[0] == {"geldig": True}
    for gekregen, verwacht in zip(controle[1:], CONTROLE_MELDINGEN, strict=True):
        assert gekregen["reden"] == "INHOUD_ONGELDIG"
        assert gekregen["melding"].startswith("de inhoud voldoet niet aan het schema van Statusbericht: ")
        assert verwacht in gekregen["melding"], gekregen
        assert "GEHEIM" not in gekregen["melding"]


def test_de_leesbare_kopie_van_de_browser_noemt_codes_in_woorden(node: str) -> None:
    """DESIGN §7 (never internal codes): the werkplek's readable copy (leesbaar.js, from the
    indeling's ``leesbaar.waarden``) shows a fund's gebeurtenis and a loan's soort in words, as
    leesbaar.py does — ``borgstelling_afgegeven`` is "Borgstelling afgegeven"."""
    payload = {"kenmerk": "SK-2026-1", "gebeurtenis": "borgstelling_afgegeven", "soortLening": "SK"}
    env = _env(8, "gebeurtenis", module="waarborgfonds", versie="2.0")
    uit = _draai(
        node,
        {
            "indeling": export.beschrijving(),
            "cellen": [],
            "csv": [],
            "kopie": {
                "bericht": {"env": env, "payload": payload, "melding": None, "typeNaam": "Gebeurtenis"},
                "gemaakt": "2026-12-06T10:00:00+00:00",
            },
            "controle": [],
        },
    )
    tekst = uit["kopie"]
    assert "Gebeurtenis: Borgstelling afgegeven\r\n" in tekst
    assert "Soort lening: SK – saneringskrediet\r\n" in tekst
    assert "borgstelling_afgegeven" not in tekst
    for regel in leesbaar.regels(payload):
        assert f"{regel.label}: {regel.waarde}\r\n" in tekst


def _wf(ref: int, code: str) -> dict[str, Any]:
    return {**_env(ref, code, versie="2.0"), "module": "waarborgfonds"}


def test_de_download_weigert_wat_de_regels_van_het_model_weigeren(node: str) -> None:
    """What the SDK's fetch refuses as INHOUD_ONGELDIG (``client.hub.open_inhoud``: the payload model's
    rules beyond the JSON Schema, and the module's rule for the sender's role, DESIGN §3b) the
    werkplek leaves out of the zip (and does not show) with that code: a pause of 9 months, a net
    credit above the gross, a bewindvoerder's saldoverzoek on the Wgs — with the rule's reason and
    its dates as dd-mm-jjjj. A werkplek tester's recipient had accepted them."""
    pauze = voorbeeld("pauzeknop", "kennisgeving", "2.0")
    pauze["pauze"] = {**pauze["pauze"], "ingangsdatum": "2026-12-07", "einddatum": "2027-09-07"}
    aanvraag = {**voorbeeld("waarborgfonds", "aanvraag_borgstelling", "2.0"), "nettoKredietsom": 500000}
    saldo = {**voorbeeld("saldoverzoek", "saldoverzoek", "2.0"), "grondslag": "wgs"}
    controle = [
        {"env": {**_env(11, "kennisgeving", versie="2.0"), "module": "pauzeknop"}, "payload": pauze},
        {"env": _wf(12, "aanvraag_borgstelling"), "payload": aanvraag},
        {
            "env": {**_env(13, "saldoverzoek", versie="2.0"), "module": "saldoverzoek", "afzenderRol": "BW"},
            "payload": saldo,
        },
        # The same saldoverzoek from a debt counsellor, and the fund's own example: in order.
        {
            "env": {**_env(14, "saldoverzoek", versie="2.0"), "module": "saldoverzoek", "afzenderRol": "SHV"},
            "payload": saldo,
        },
        {
            "env": _wf(15, "aanvraag_borgstelling"),
            "payload": voorbeeld("waarborgfonds", "aanvraag_borgstelling", "2.0"),
        },
    ]
    uit = _draai(
        node,
        {"indeling": export.beschrijving(), "cellen": [], "csv": [], "kopie": None, "controle": controle},
    )
    pauze_uit, aanvraag_uit, saldo_uit, shv_uit, goed_uit = uit["controle"]
    assert pauze_uit["reden"] == "INHOUD_ONGELDIG"
    assert (
        "pauze.einddatum: een pauze duurt hoogstens 8 maanden: einddatum (07-09-2027) mag niet na "
        in pauze_uit["melding"]
    )
    assert aanvraag_uit["reden"] == "INHOUD_ONGELDIG"
    assert (
        "nettoKredietsom (500000) mag niet hoger zijn dan brutoKredietsom (480000)" in aanvraag_uit["melding"]
    )
    assert saldo_uit["reden"] == "INHOUD_ONGELDIG"
    assert "grondslag: een bewindvoerder vraagt saldo's op grond van de beschikking" in saldo_uit["melding"]
    assert shv_uit == {"geldig": True}
    assert goed_uit == {"geldig": True}


def _kopie(node: str, bericht: dict[str, Any]) -> str:
    uit = _draai(
        node,
        {
            "indeling": export.beschrijving(),
            "cellen": [],
            "csv": [],
            "kopie": {"bericht": bericht, "gemaakt": "2026-12-06T10:00:00+00:00"},
            "controle": [],
        },
    )
    tekst: str = uit["kopie"]
    return tekst


def test_de_bedragen_van_het_waarborgfonds_in_euro(node: str) -> None:
    """docs/portaal.md (amounts in euro with a decimal comma): the fund read an aanvraag_borgstelling
    as "Bruto kredietsom 480000" and "Maandaflossing 13334" — every amount field of every module is
    one of ``leesbaar.BEDRAGEN`` now, in the browser's copy as in the server's."""
    payload = voorbeeld("waarborgfonds", "aanvraag_borgstelling", "2.0")
    tekst = _kopie(
        node, {"env": _wf(16, "aanvraag_borgstelling"), "payload": payload, "melding": None, "typeNaam": "x"}
    )
    assert "Bruto kredietsom: € 4.800,00\r\n" in tekst
    assert "Netto kredietsom: € 4.500,00\r\n" in tekst
    assert "Maandaflossing: € 133,34\r\n" in tekst
    assert "Looptijd maanden: 36\r\n" in tekst
    for regel in leesbaar.regels(payload):
        if regel.waarde is not None:
            assert f"{'  ' * regel.niveau}{regel.label}: {regel.waarde}\r\n" in tekst, regel


def test_een_melding_van_het_knooppunt_noemt_soorten_en_deelnemers_bij_naam(node: str) -> None:
    """DESIGN §7: a hub notice in the werkplek's copy names the message type by its handbook name and
    the recipient by name (the server gives ``meldingWeergave``, ``weergave.melding_weergave``), not
    ``(melding_bewind)`` and ``00000003505678950000``; the notice itself stays in the CSV."""
    melding = {
        "code": "VERLOPEN",
        "omschrijving": "Bericht bcfea3dd-0000-4000-8000-000000000001 (melding_bewind) is niet binnen de "
        "bevestigingstermijn door de ontvanger bevestigd en is verwijderd.",
        "referentienummer": "bcfea3dd-0000-4000-8000-000000000001",
        "ontvanger": "00000003505678950000",
    }
    weergave = melding_weergave(melding, {"00000003505678950000": "Incasso Demostad"})
    env = {**_env(17, "foutbericht", versie="2.0"), "module": "bewind", "meldingWeergave": weergave}
    tekst = _kopie(
        node, {"env": env, "payload": None, "melding": melding, "typeNaam": "Foutbericht (van knooppunt)"}
    )
    assert "Ontvanger: Incasso Demostad\r\n" in tekst
    assert "(‘Melding bewind’)" in tekst
    assert "melding_bewind" not in tekst.split("\r\n", 1)[1]
    assert "00000003505678950000" not in tekst
