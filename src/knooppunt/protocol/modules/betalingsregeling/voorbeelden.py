"""Example payloads of module ``betalingsregeling``: one valid payload per message type, for the SDK,
the docs, the demo and the tests. The story of schuldregeling's examples (client J. de Vries, debts
at an energy company), now paid in full: a betalingsregeling in five terms, and a herfinanciering
as the revised offer of the heroverweging."""

from __future__ import annotations

from typing import Any

from knooppunt.protocol.modules.schuldregeling import versie_2_0


def _v2(code: str) -> dict[str, Any]:
    return dict(versie_2_0.VOORBEELDEN[code])


_BETAALVOORSTEL: dict[str, Any] = {
    key: waarde
    for key, waarde in _v2("betaalvoorstel").items()
    if key
    not in {"afloscapaciteitPerMaand", "looptijdMaanden", "aanbodPercentage", "vorderingen", "onderbouwing"}
}

VOORBEELDEN: dict[str, dict[str, Any]] = {
    **{code: _v2(code) for code in versie_2_0.VOORBEELDEN},
    "saldoverzoek": {**_v2("saldoverzoek"), "typeSchuldregeling": "BR"},
    "saldoverzoek_nuts": {**_v2("saldoverzoek_nuts"), "typeSchuldregeling": "BR"},
    "saldoverzoek_publiek": {**_v2("saldoverzoek_publiek"), "typeSchuldregeling": "BR"},
    "saldoverzoek_zorg": {**_v2("saldoverzoek_zorg"), "typeSchuldregeling": "HF"},
    "betaalvoorstel": {
        **_BETAALVOORSTEL,
        "typeSchuldregeling": "BR",
        "termijnbedrag": 25000,
        "aantalTermijnen": 5,
        "eersteBetaaldatum": "2024-06-01",
        "vorderingen": [
            {
                "eigenVordering": True,
                "schuldeiser": "Energie Voorbeeld B.V.",
                "factuurnummerSE": "F-2023-55101",
                "preferent": False,
                "bedrag": 125000,
                "aangebodenBedrag": 125000,
            },
            {
                "eigenVordering": False,
                "schuldeiser": "Zorgverzekeraar Voorbeeld",
                "preferent": False,
                "bedrag": 300000,
                "aangebodenBedrag": 300000,
            },
            {
                "eigenVordering": False,
                "schuldeiser": "Belastingdienst",
                "preferent": True,
                "bedrag": 80000,
                "aangebodenBedrag": 80000,
            },
        ],
        "onderbouwing": (
            "De klant kan alle schulden volledig betalen: 250,00 euro per maand aan u gedurende 5 maanden, "
            "naast de termijnen aan de andere schuldeisers, volgens het budgetplan van 1 maart 2024."
        ),
    },
    "heroverweging": {
        **{k: v for k, v in _v2("heroverweging").items() if k != "herzienVoorstel"},
        "onderbouwing": (
            "De gemeentelijke kredietbank verstrekt de klant een saneringslening, zodat uw vordering in "
            "één keer volledig wordt betaald. Wij vragen u het voorstel te heroverwegen."
        ),
        "herzienVoorstel": {
            "typeSchuldregeling": "HF",
            "uitbetaaldatum": "2024-07-01",
            "financier": "Kredietbank Voorbeeld",
        },
    },
    "schuldregeling_geaccordeerd": {
        **_v2("schuldregeling_geaccordeerd"),
        "typeSchuldregeling": "BR",
        "vorderingen": [
            {
                "factuurnummerSE": "F-2023-55101",
                "afkooppercentage": 100,
                "prognoseEindbedrag": 125000,
                "actueelVorderingsbedrag": 125000,
                "betaalreferentie": "BR-2024-0042-01",
                "vorderingstype": "concurrent",
            }
        ],
        "uitbetaalmomenten": [{"datum": f"2024-{maand:02d}-01", "bedrag": 25000} for maand in range(6, 11)],
    },
}
"""One valid payload per message type of module betalingsregeling (version 2.0)."""
