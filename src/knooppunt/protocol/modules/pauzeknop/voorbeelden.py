"""Example payloads of module ``pauzeknop``: one valid example per type.

The story of the other modules' examples, at its start: J. de Vries presses the pause button; the
gemeente's schuldhulpverlening sends the kennisgeving with a pause of 8 months; the energy company
suspends collection; when a regeling starts, the counsellor ends the pause early.
"""

from __future__ import annotations

import copy
from typing import Any

from knooppunt.protocol.modules.schuldregeling.versie_2_0 import VOORBEELDEN as SCHULDREGELING

_PAUZE: dict[str, Any] = {"fase": "aanmelding", "ingangsdatum": "2024-03-01", "einddatum": "2024-10-31"}

VOORBEELDEN: dict[str, dict[str, Any]] = {
    "kennisgeving": {
        **copy.deepcopy(SCHULDREGELING["kennisgeving"]),
        "pauze": _PAUZE,
    },
    "kennisgeving_bsn": {
        **copy.deepcopy(SCHULDREGELING["kennisgeving_bsn"]),
        "pauze": {**_PAUZE, "fase": "toelating"},
    },
    "kennisgeving_antwoord": {
        **copy.deepcopy(SCHULDREGELING["kennisgeving_antwoord"]),
        "pauze": {"akkoord": True, "incassoOpgeschortTot": "2024-10-31"},
    },
    "geen_medewerking": {
        "klantnummerSHV": "SHV-2024-0042",
        "reden": {
            "code": "recente_poging_tot_stabilisatie",
            "tekst": "Voor deze klant liep in 2023 al een pauze bij ons.",
        },
    },
    "pauze_beeindigd": {
        "klantnummerSHV": "SHV-2024-0042",
        "klantnummerSE": "EN-778812",
        "einddatum": "2024-06-30",
        "reden": {
            "code": "REGELING_GESTART",
            "tekst": "De schuldregeling is gestart; de afspraken daarvan gelden vanaf 1 juli.",
        },
    },
}
"""One valid payload per message type of module pauzeknop, 2.0."""
