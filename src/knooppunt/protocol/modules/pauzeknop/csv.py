"""The portal's CSV layout of module ``pauzeknop`` — Landelijke pauzeknop (DESIGN §7, §3b): pure data,
read by ``knooppunt.portaal.csvindeling``; the columns follow from the payload models."""

from __future__ import annotations

BESTANDEN = {
    "kennisgeving": "kennisgevingen_pauze",
    "kennisgeving_bsn": "kennisgevingen_publiek_pauze",
    "pauze_beeindigd": "pauzes_beeindigd",
}
LIJSTEN = {"factuurnummers": 3}
