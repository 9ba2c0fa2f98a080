"""The portal's CSV layout of module ``betalingsregeling`` (DESIGN §7, §3b): pure data, read by
``knooppunt.portaal.csvindeling``; the columns follow from the payload models (the types of
schuldregeling 2.0, with BR/HF betaalvoorstellen)."""

from __future__ import annotations

from knooppunt.protocol.modules.schuldregeling.csv import BESTANDEN as SCHULDREGELING
from knooppunt.protocol.modules.schuldregeling.csv import LIJSTEN

__all__ = ["BESTANDEN", "LIJSTEN"]

BESTANDEN = SCHULDREGELING | {
    "schuldregeling_geaccordeerd": "regelingen_geaccordeerd",
    "schuldregeling_beeindigd": "regelingen_beeindigd",
}
"""Schuldregeling's file names; a betalingsregeling's regelingen are not schuldregelingen."""
