"""Module ``betalingsregeling`` — Betalingsregeling en herfinanciering (DESIGN §3b)."""

from __future__ import annotations

from knooppunt.protocol.modules.betalingsregeling import payloads, typen, voorbeelden
from knooppunt.protocol.soorten import module_van_een_versie

MODULE = module_van_een_versie("Betalingsregeling en herfinanciering", typen, payloads, voorbeelden)
