"""The portal's CSV layout of module ``bewind`` — Meldingen bewindvoering (DESIGN §7, §3b): pure data,
read by ``knooppunt.portaal.csvindeling``; the columns follow from the payload models. The
beschikking's PDF goes in the zip beside the CSV."""

from __future__ import annotations

BESTANDEN = {"melding_bewind": "meldingen_bewind", "einde_bewind": "einde_bewind"}
LIJSTEN = {"vorderingen": 5, "factuurnummers": 5}
