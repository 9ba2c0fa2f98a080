"""The portal's CSV layout of module ``waarborgfonds`` (DESIGN §7, §3b) for the fund's download and
upload: pure data, read by ``knooppunt.portaal.csvindeling``; the columns follow from the payload
models."""

from __future__ import annotations

BESTANDEN = {
    "voorbeoordeling": "voorbeoordelingen",
    "aanvraag_borgstelling": "aanvragen_borgstelling",
    "aanvraag_overname": "aanvragen_overname",
    "beeindiging_borgstelling": "beeindigingen_borgstelling",
    "verzoek_uitbetaling": "verzoeken_uitbetaling",
    "kredietinformatie": "kredietinformatie",
}
LIJSTEN = {"kredieten": 5}
