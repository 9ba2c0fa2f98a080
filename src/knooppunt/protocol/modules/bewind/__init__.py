"""Module ``bewind`` — Meldingen bewindvoering (DESIGN §3b)."""

from __future__ import annotations

from knooppunt.protocol.modules.bewind import payloads, typen, voorbeelden
from knooppunt.protocol.soorten import module_van_een_versie

MODULE = module_van_een_versie("Meldingen bewindvoering", typen, payloads, voorbeelden)
