"""Example payloads of module ``bewind``: one valid example per type.

The story of the other modules' examples: the kantonrechter Midden-Nederland places J. de Vries
under beschermingsbewind; her bewindvoerder tells the energy company, which answers with its
client and invoice numbers; two years later the bewind is lifted.
"""

from __future__ import annotations

import copy
from typing import Any

from knooppunt.protocol.modules.schuldregeling.voorbeelden import VOORBEELDEN as SCHULDREGELING
from knooppunt.protocol.payloads.velden import pdf_document, voorbeeld_pdf

_KENNISGEVING: dict[str, Any] = SCHULDREGELING[("schuldregeling", "kennisgeving", "1.0")]
_CONTACT_SE: dict[str, Any] = {"naam": "Team Bijzonder Beheer", "email": "bijzonderbeheer@energie.example.nl"}

VOORBEELDEN: dict[str, dict[str, Any]] = {
    "melding_bewind": {
        "klantnummerBW": "BW-2024-0117",
        "klantnummerSEVolgensBW": "EN-778812",
        "soort": "beschermingsbewind",
        "ingangsdatum": "2024-02-14",
        "beschikking": {
            "datum": "2024-02-14",
            "rechtbank": "Midden-Nederland",
            "zaaknummer": "C/16/571234 / BR RK 24-1234",
            "document": pdf_document(
                "beschikking-beschermingsbewind.pdf",
                voorbeeld_pdf("Beschikking beschermingsbewind J. de Vries (voorbeeld)"),
            ),
        },
        "klant": copy.deepcopy(_KENNISGEVING["klant"]),
        "adres": copy.deepcopy(_KENNISGEVING["adres"]),
        "bewindvoerder": {
            "naam": "M. Smit",
            "telefoon": "030 765 4321",
            "email": "m.smit@bewind.example.nl",
        },
        "beheerrekening": "NL20INGB0001234567",
        "toelichting": "Stuur facturen en aanmaningen voortaan naar de bewindvoerder.",
    },
    "melding_bewind_antwoord": {
        "klantnummerBW": "BW-2024-0117",
        "klantnummerSE": "EN-778812",
        "vorderingen": [
            {
                "factuurnummerSE": "F-2023-55101",
                "actueelBedrag": 125000,
                "omschrijving": "Jaarafrekening energie 2023",
            },
            {"factuurnummerSE": "F-2022-31877"},
        ],
        "contactpersoonSE": _CONTACT_SE,
    },
    "geen_medewerking": {
        "klantnummerBW": "BW-2024-0117",
        "reden": {
            "code": "klant_onbekend",
            "tekst": "Wij vinden geen klant op deze naam, geboortedatum en dit adres.",
        },
    },
    "einde_bewind": {
        "klantnummerBW": "BW-2024-0117",
        "klantnummerSE": "EN-778812",
        "einddatum": "2026-03-01",
        "reden": {
            "code": "OPGEHEVEN",
            "tekst": "De kantonrechter heeft het bewind opgeheven; de klant beheert haar geld weer zelf.",
        },
    },
}
"""One valid payload per message type of module bewind, 2.0."""
