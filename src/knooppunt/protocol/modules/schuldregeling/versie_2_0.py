"""Payloads of module ``schuldregeling``, version 2.0 (DESIGN §3a).

Placeholder until the 2.0 changes land: the 1.0 models, without ``klant_onbekend``."""

from __future__ import annotations

from typing import Any

from knooppunt.protocol.modules.schuldregeling import payloads, voorbeelden
from knooppunt.protocol.payloads.velden import Payload

MODELLEN: dict[str, type[Payload]] = {c: m for c, m in payloads.MODELLEN.items() if c != "klant_onbekend"}
MODELLEN["geen_medewerking"] = payloads.KlantOnbekend
MODELLEN["heroverweging"] = payloads.Reminder
VOORBEELDEN: dict[str, dict[str, Any]] = {
    c: v for (_m, c, _v), v in voorbeelden.VOORBEELDEN.items() if c in MODELLEN
}
VOORBEELDEN["geen_medewerking"] = voorbeelden.VOORBEELDEN[("schuldregeling", "klant_onbekend", "1.0")]
VOORBEELDEN["heroverweging"] = voorbeelden.VOORBEELDEN[("schuldregeling", "reminder", "1.0")]
