"""Module ``saldoverzoek`` — Schuldinventarisatie (DESIGN §3b)."""

from __future__ import annotations

from knooppunt.protocol.modules.saldoverzoek import payloads, typen, voorbeelden
from knooppunt.protocol.soorten import Moduledefinitie

MODULE = Moduledefinitie(
    code=typen.MODULE,
    naam="Schuldinventarisatie",
    omschrijving=(typen.__doc__ or "").strip(),
    bron=(typen.__doc__ or "").strip(),
    versies=(typen.VERSIE,),
    typen=typen.TYPEN,
    payloads={(code, typen.VERSIE): model for code, model in payloads.MODELLEN.items()},
    voorbeelden={(code, typen.VERSIE): v for code, v in voorbeelden.VOORBEELDEN.items()},
)
