"""The portal's CSV layout of module ``betalingsregeling`` (DESIGN §7, §3b): pure data, read by
``knooppunt.portaal.csvindeling``; the columns follow from the payload models (the types of
schuldregeling 2.0, with BR/HF betaalvoorstellen)."""

from __future__ import annotations

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
    "schuldregeling_geaccordeerd": "regelingen_geaccordeerd",
    "schuldregeling_beeindigd": "regelingen_beeindigd",
}
LIJSTEN = {"vorderingen": 5, "factuurnummers": 3}
