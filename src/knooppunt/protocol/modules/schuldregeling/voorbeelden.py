"""One valid example payload per message type, for the SDK, the docs, the demo and the tests.

The examples tell one story: client J. de Vries (test BSN from the RvIG test range) at the
schuldhulpverlening of a gemeente, with debts at an energy company. ``voorbeeld`` returns a fresh
copy, so callers may change it (e.g. to build an invalid one).
"""

from __future__ import annotations

import copy
from typing import Any

_CONTACT_SHV: dict[str, Any] = {
    "naam": "A. Jansen",
    "telefoon": "030 123 4567",
    "email": "schuldhulp@gemeente.example.nl",
}
_CONTACT_SE: dict[str, Any] = {"naam": "Team Bijzonder Beheer", "email": "bijzonderbeheer@energie.example.nl"}
_KLANT: dict[str, Any] = {
    "geslacht": "V",
    "voorletters": "J.",
    "voornamen": "Johanna",
    "voorvoegsel": "de",
    "achternaam": "Vries",
    "geboortedatum": "1985-04-12",
}
_PARTNER: dict[str, Any] = {
    "geslacht": "M",
    "voorletters": "P.",
    "voornamen": "Pieter",
    "achternaam": "Bakker",
    "geboortedatum": "1983-11-02",
}
_BSN_KLANT = "999993653"
_BSN_PARTNER = "999990019"
_ADRES: dict[str, Any] = {
    "straatnaam": "Kerkstraat",
    "huisnummer": 12,
    "huisletter": "A",
    "postcode": "3511 AB",
    "woonplaats": "Utrecht",
}
_KLANTBLOK: dict[str, Any] = {
    "klantnummerSHV": "SHV-2024-0042",
    "klantnummerSEVolgensSHV": "EN-778812",
    "klant": _KLANT,
    "partner": _PARTNER,
    "adres": _ADRES,
    "contactpersoonSHV": _CONTACT_SHV,
}
_KLANTBLOK_BSN: dict[str, Any] = {
    **_KLANTBLOK,
    "klant": {**_KLANT, "bsn": _BSN_KLANT},
    "partner": {**_PARTNER, "bsn": _BSN_PARTNER},
}
_VERVOLG_SHV: dict[str, Any] = {
    "klantnummerSHV": "SHV-2024-0042",
    "klantnummerSE": "EN-778812",
    "klant": _KLANT,
    "contactpersoonSHV": _CONTACT_SHV,
}
_SALDOVERZOEK: dict[str, Any] = {
    **_KLANTBLOK,
    "typeSchuldregeling": "SB",
    "vorderingen": [{"factuurnummerSEVolgensSHV": "F-2023-55101"}],
}
_SALDOVERZOEK_ANTWOORD: dict[str, Any] = {
    "klantnummerSHV": "SHV-2024-0042",
    "klantnummerSE": "EN-778812",
    "contactpersoonSE": _CONTACT_SE,
    "peildatum": "2024-03-01",
    "vorderingen": [
        {
            "factuurnummerSE": "F-2023-55101",
            "factuurnummerSEVolgensSHV": "F-2023-55101",
            "schuldtype": "openstaand",
            "ontstaansdatum": "2023-06-01",
            "oorspronkelijkBedrag": 100000,
            "hoofdsom": 100000,
            "rente": 5000,
            "kosten": 2500,
            "incassokosten": 17500,
            "actueelBedrag": 125000,
            "omschrijving": "Jaarafrekening energie 2023",
        },
        {
            "factuurnummerSE": "F-2022-31877",
            "schuldtype": "overgedragen",
            "overgedragenAan": "Incassobureau Voorbeeld B.V.",
            "ontstaansdatum": "2022-09-15",
            "hoofdsom": 24000,
            "actueelBedrag": 30000,
        },
    ],
    "betaalgegevens": {
        "iban": "NL91ABNA0417164300",
        "tenNaamVan": "Energie Voorbeeld B.V.",
        "betalingskenmerk": "EN-778812",
    },
}

VOORBEELDEN: dict[tuple[str, str, str], dict[str, Any]] = {
    ("schuldregeling", "kennisgeving", "1.0"): _KLANTBLOK,
    ("schuldregeling", "kennisgeving_bsn", "1.0"): _KLANTBLOK_BSN,
    ("schuldregeling", "kennisgeving_antwoord", "1.0"): {
        "klantnummerSHV": "SHV-2024-0042",
        "klantnummerSE": "EN-778812",
        "factuurnummers": ["F-2023-55101", "F-2022-31877"],
        "contactpersoonSE": _CONTACT_SE,
    },
    ("schuldregeling", "saldoverzoek", "1.0"): _SALDOVERZOEK,
    ("schuldregeling", "saldoverzoek_nuts", "1.0"): {**_SALDOVERZOEK, "slimmeMeterAkkoord": True},
    ("schuldregeling", "saldoverzoek_publiek", "1.0"): {
        **_KLANTBLOK_BSN,
        "typeSchuldregeling": "SB",
        "vorderingen": [],
    },
    ("schuldregeling", "saldoverzoek_zorg", "1.0"): {**_SALDOVERZOEK, "typeSchuldregeling": "SK"},
    ("schuldregeling", "saldoverzoek_antwoord", "1.0"): _SALDOVERZOEK_ANTWOORD,
    ("schuldregeling", "saldoverzoek_antwoord_standaard_akkoord", "1.0"): {
        "klantnummerSHV": "SHV-2024-0042",
        "klantnummerSE": "EN-778812",
        "contactpersoonSE": _CONTACT_SE,
        "peildatum": "2024-03-01",
        "totaalvordering": {
            "aantalVorderingen": 2,
            "hoofdsom": 124000,
            "rente": 5000,
            "kosten": 2500,
            "incassokosten": 23500,
            "actueelBedrag": 155000,
            "standaardAkkoord": True,
        },
        "betaalgegevens": {"iban": "NL91ABNA0417164300", "betalingskenmerk": "EN-778812"},
    },
    ("schuldregeling", "klant_onbekend", "1.0"): {
        "klantnummerSHV": "SHV-2024-0042",
        "reden": {"code": "GEEN_MATCH", "tekst": "Geen klant gevonden op naam, geboortedatum en adres."},
    },
    ("schuldregeling", "betaalvoorstel", "1.0"): {
        **_VERVOLG_SHV,
        "typeSchuldregeling": "SB",
        "aantalPreferent": 1,
        "bedragPreferent": 80000,
        "aantalConcurrent": 2,
        "bedragConcurrent": 425000,
        "afloscapaciteitPerMaand": 15000,
        "looptijdMaanden": 18,
        "aanbodPercentage": 30,
        "vorderingen": [
            {
                "eigenVordering": True,
                "schuldeiser": "Energie Voorbeeld B.V.",
                "factuurnummerSE": "F-2023-55101",
                "preferent": False,
                "bedrag": 125000,
                "aangebodenBedrag": 37500,
            },
            {
                "eigenVordering": False,
                "schuldeiser": "Zorgverzekeraar Voorbeeld",
                "preferent": False,
                "bedrag": 300000,
                "aangebodenBedrag": 90000,
            },
            {
                "eigenVordering": False,
                "schuldeiser": "Belastingdienst",
                "preferent": True,
                "bedrag": 80000,
                "aangebodenBedrag": 48000,
            },
        ],
        "onderbouwing": (
            "Afloscapaciteit volgens VTLB-berekening van 1 maart 2024: 150,00 euro per maand gedurende "
            "18 maanden. Preferente schuldeisers ontvangen het dubbele percentage."
        ),
    },
    ("schuldregeling", "betaalvoorstel_akkoord", "1.0"): {
        "klantnummerSHV": "SHV-2024-0042",
        "klantnummerSE": "EN-778812",
        "betaalgegevens": {"iban": "NL91ABNA0417164300", "betalingskenmerk": "EN-778812"},
    },
    ("schuldregeling", "betaalvoorstel_niet_akkoord", "1.0"): {
        "klantnummerSHV": "SHV-2024-0042",
        "klantnummerSE": "EN-778812",
        "contactpersoonSE": _CONTACT_SE,
        "reden": {
            "code": "AANBOD_TE_LAAG",
            "tekst": "Wij verwachten een hogere afloscapaciteit gezien het inkomen van de partner.",
        },
    },
    ("schuldregeling", "schuldregeling_geaccordeerd", "1.0"): {
        **_VERVOLG_SHV,
        "datumAkkoord": "2024-04-15",
        "typeSchuldregeling": "SB",
        "vorderingen": [
            {
                "factuurnummerSE": "F-2023-55101",
                "afkooppercentage": 30,
                "prognoseEindbedrag": 37500,
                "actueelVorderingsbedrag": 125000,
                "betaalreferentie": "SR-2024-0042-01",
            }
        ],
        "betaalschema": [
            {"datum": "2024-10-01", "bedrag": 12500},
            {"datum": "2025-04-01", "bedrag": 12500},
            {"datum": "2025-10-01", "bedrag": 12500},
        ],
    },
    ("schuldregeling", "schuldregeling_beeindigd", "1.0"): {
        **_VERVOLG_SHV,
        "reden": {"code": "GEEN_MEDEWERKING", "tekst": "De klant houdt zich niet aan de afspraken."},
        "datumBeeindiging": "2024-06-30",
    },
    ("schuldregeling", "statusbericht", "1.0"): {
        **_VERVOLG_SHV,
        "status": "dwangakkoord_aangevraagd",
        "toelichting": "Verzoek tot dwangakkoord ingediend bij de rechtbank Midden-Nederland.",
        "datumGebeurtenis": "2024-05-20",
    },
    ("schuldregeling", "statusverzoek", "1.0"): {
        "klantnummerSHV": "SHV-2024-0042",
        "klantnummerSE": "EN-778812",
        "contactpersoonSE": _CONTACT_SE,
        "toelichting": "Wat is de stand van zaken van het betaalvoorstel?",
    },
    ("schuldregeling", "reminder", "1.0"): {
        "klantnummerSHV": "SHV-2024-0042",
        "klantnummerSE": "EN-778812",
        "toelichting": "Wij ontvingen nog geen antwoord op ons saldoverzoek van 1 maart.",
    },
}
"""One valid payload per (module, berichttype, versie). Use ``voorbeeld`` for a copy you may change."""


def voorbeeld(module: str, code: str, versie: str = "1.0") -> dict[str, Any]:
    """A fresh (deep) copy of the example payload of this message type."""
    return copy.deepcopy(VOORBEELDEN[(str(module), code, versie)])
