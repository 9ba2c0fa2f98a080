"""Example payloads of module ``saldoverzoek``: one valid example per type.

The story of schuldregeling's examples, one step earlier: the gemeente's schuldhulpverlening takes
stock of J. de Vries's debts (fase 1) on the ground of the Wgs; the publiek variant comes from her
bewindvoerder, with the court's beschikking attached.
"""

from __future__ import annotations

import copy
from typing import Any

from knooppunt.protocol.modules.schuldregeling.voorbeelden import VOORBEELDEN as SCHULDREGELING
from knooppunt.protocol.payloads.velden import pdf_document, voorbeeld_pdf

_KLANTBLOK: dict[str, Any] = copy.deepcopy(SCHULDREGELING[("schuldregeling", "kennisgeving", "1.0")])
_KLANTBLOK_BSN: dict[str, Any] = copy.deepcopy(SCHULDREGELING[("schuldregeling", "kennisgeving_bsn", "1.0")])
_CONTACT_SE: dict[str, Any] = {"naam": "Team Bijzonder Beheer", "email": "bijzonderbeheer@energie.example.nl"}
_CONTACT_BW: dict[str, Any] = {
    "naam": "M. Smit",
    "telefoon": "030 765 4321",
    "email": "m.smit@bewind.example.nl",
}

_SALDOVERZOEK: dict[str, Any] = {
    **_KLANTBLOK,
    "vorderingen": [{"factuurnummerSEVolgensSHV": "F-2023-55101"}],
    "grondslag": "wgs",
}

VOORBEELDEN: dict[str, dict[str, Any]] = {
    "saldoverzoek": _SALDOVERZOEK,
    "saldoverzoek_nuts": {**_SALDOVERZOEK, "slimmeMeterAkkoord": True},
    "saldoverzoek_publiek": {
        **_KLANTBLOK_BSN,
        "klantnummerSHV": "BW-2024-0117",
        "contactpersoonSHV": _CONTACT_BW,
        "vorderingen": [],
        "grondslag": "beschikking",
        "grondslagDocument": pdf_document(
            "beschikking-beschermingsbewind.pdf",
            voorbeeld_pdf("Beschikking beschermingsbewind J. de Vries (voorbeeld)"),
        ),
    },
    "saldoverzoek_zorg": {
        **_SALDOVERZOEK,
        "grondslag": "toestemmingsverklaring",
        "grondslagDocument": pdf_document(
            "toestemmingsverklaring.pdf", voorbeeld_pdf("Toestemmingsverklaring J. de Vries (voorbeeld)")
        ),
    },
    "saldoverzoek_antwoord": {
        "klantnummerSHV": "SHV-2024-0042",
        "klantnummerSE": "EN-778812",
        "contactpersoonSE": _CONTACT_SE,
        "peildatum": "2024-03-01",
        "openstaandeSchulden": [
            {
                "kenmerk": "DOS-2022-0931",
                "ontstaansdatum": "2022-09-15",
                "actueelBedrag": 30000,
                "omschrijving": "Eindafrekening vorig adres; niet te koppelen aan een opgegeven factuur",
            },
            {"actueelBedrag": 125000, "omschrijving": "Jaarafrekening energie 2023"},
        ],
        "betaalgegevens": {
            "iban": "NL91ABNA0417164300",
            "tenNaamVan": "Energie Voorbeeld B.V.",
            "betalingskenmerk": "EN-778812",
        },
    },
    "geen_medewerking": {
        "klantnummerSHV": "SHV-2024-0042",
        "reden": {
            "code": "recente_finale_kwijting",
            "tekst": "De klant kreeg in 2023 finale kwijting na een schuldregeling bij ons.",
        },
    },
    "reminder": {
        "klantnummerSHV": "SHV-2024-0042",
        "klantnummerSE": "EN-778812",
        "toelichting": "Wij ontvingen nog geen antwoord op ons saldoverzoek van 1 maart.",
    },
}
"""One valid payload per message type of module saldoverzoek, 2.0."""
