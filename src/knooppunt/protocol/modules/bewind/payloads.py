"""Payloads of module ``bewind`` (DESIGN §3b).
PLACEHOLDER: replaced by the real payload models."""

from __future__ import annotations

from pydantic import ConfigDict

from knooppunt.protocol.modules.bewind.typen import CODES
from knooppunt.protocol.payloads.velden import Payload


class _Voorlopig(Payload):
    model_config = ConfigDict(extra="allow")


MODELLEN: dict[str, type[Payload]] = dict.fromkeys(CODES, _Voorlopig)
