"""The portal's CSV layout of module ``schuldregeling`` (DESIGN §7, §3b): pure data, read by
``knooppunt.portaal.csvindeling``; the columns themselves follow from the payload models.

Version 1.0 keeps the handbook's files of art. 17.1 (``saldoverzoeken.csv`` with the answer columns
of the live standard's CSV: *saldo*, *standaard akkoord*, *klant onbekend*); 2.0 has a file per
message type with the generic answer columns.
"""

from __future__ import annotations

HANDBOEK_17_1 = frozenset({"1.0"})
"""Versions whose download and upload are the handbook's art. 17.1 and 18.2 files."""

BESTANDEN = {
    "kennisgeving": "kennisgevingen",
    "kennisgeving_bsn": "kennisgevingen_publiek",
    "saldoverzoek": "saldoverzoeken",
    "saldoverzoek_nuts": "saldoverzoeken_nuts",
    "saldoverzoek_publiek": "saldoverzoeken_publiek",
    "saldoverzoek_zorg": "saldoverzoeken_zorg",
    "betaalvoorstel": "betaalvoorstellen",
    "heroverweging": "heroverwegingen",
    "reminder": "reminders",
    "statusbericht": "statusberichten",
    "statusverzoek": "statusverzoeken",
    "schuldregeling_geaccordeerd": "schuldregelingen_geaccordeerd",
    "schuldregeling_beeindigd": "schuldregelingen_beeindigd",
}
"""The CSV file per message type (without ``.csv``), in the folder ``schuldregeling-<versie>/``."""

LIJSTEN = {"vorderingen": 5, "factuurnummers": 3}
"""How many numbered items an answer's list offers in a download (more may be added as columns)."""
