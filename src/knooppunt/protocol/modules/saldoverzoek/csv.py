"""The portal's CSV layout of module ``saldoverzoek`` — Schuldinventarisatie (DESIGN §7, §3b): pure
data, read by ``knooppunt.portaal.csvindeling``; the columns follow from the payload models. The
signed grondslag (a PDF in the payload) is not a CSV cell: the download puts it in the zip beside
the CSV and names it in its column."""

from __future__ import annotations

BESTANDEN = {
    "saldoverzoek": "saldoverzoeken",
    "saldoverzoek_nuts": "saldoverzoeken_nuts",
    "saldoverzoek_publiek": "saldoverzoeken_publiek",
    "saldoverzoek_zorg": "saldoverzoeken_zorg",
    "reminder": "reminders",
}
LIJSTEN = {"vorderingen": 5, "openstaandeSchulden": 5}
