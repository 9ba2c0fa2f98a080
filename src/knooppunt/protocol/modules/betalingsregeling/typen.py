"""The message types of module ``betalingsregeling`` — Betalingsregeling en herfinanciering (DESIGN
§3b; sourced: "gelijk aan de module schuldregeling; alleen de betaalvoorstellen betreffen 100%
betalingsregelingen of herfinanciering"): the types, answers, deadlines and conditions of
schuldregeling 2.0. Version 2.0 only."""

from __future__ import annotations

from knooppunt.protocol.modules.schuldregeling.typen import typen

MODULE = "betalingsregeling"
VERSIE = "2.0"
TYPEN = typen(MODULE, VERSIE)
CODES = tuple(t.code for t in TYPEN)
