"""Module ``saldoverzoek`` — Schuldinventarisatie (DESIGN §3b)."""

from __future__ import annotations

from knooppunt.protocol.modules.saldoverzoek import payloads, typen, voorbeelden
from knooppunt.protocol.soorten import module_van_een_versie

MODULE = module_van_een_versie("Schuldinventarisatie", typen, payloads, voorbeelden)
