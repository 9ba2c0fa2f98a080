"""Module ``pauzeknop`` — Landelijke pauzeknop (DESIGN §3b)."""

from __future__ import annotations

from knooppunt.protocol.modules.pauzeknop import payloads, typen, voorbeelden
from knooppunt.protocol.soorten import module_van_een_versie

MODULE = module_van_een_versie("Landelijke pauzeknop", typen, payloads, voorbeelden)
