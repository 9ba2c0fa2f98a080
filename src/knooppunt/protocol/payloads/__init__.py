"""Payload models of the message types: validated by the sender's SDK/portal and by the recipient.

The hub never sees a payload (it is end-to-end encrypted, DESIGN §1.3); it only publishes the JSON
Schemas at /api/v1/berichttypen so vendors in any language can validate. Pure: imports only
pydantic, python-stdnum, the standard library and ``knooppunt.protocol``.

    >>> from knooppunt.protocol.payloads import valideer
    >>> valideer("schuldregeling", "klant_onbekend", "1.0", {"klantnummerSHV": "K-1"}).klantnummerSHV
    'K-1'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from knooppunt.protocol.payloads.fouten import OnbekendPayloadtype, OngeldigePayload, Veldfout

if TYPE_CHECKING:
    from knooppunt.protocol.payloads.register import (
        JSON_SCHEMA_DIALECT,
        PAYLOADS,
        payloadmodel,
        schema_id,
        schema_voor,
        schemas_per_versie,
        valideer,
    )

_UIT_REGISTER = frozenset(
    {
        "JSON_SCHEMA_DIALECT",
        "PAYLOADS",
        "payloadmodel",
        "schema_id",
        "schema_voor",
        "schemas_per_versie",
        "valideer",
    }
)


def __getattr__(naam: str) -> Any:
    # Loaded on first use: the module folders import ``payloads.velden`` while the registry that
    # ``register`` reads is still being built (PEP 562).
    if naam in _UIT_REGISTER:
        from knooppunt.protocol.payloads import register

        return getattr(register, naam)
    raise AttributeError(naam)


__all__ = [
    "JSON_SCHEMA_DIALECT",
    "PAYLOADS",
    "OnbekendPayloadtype",
    "OngeldigePayload",
    "Veldfout",
    "payloadmodel",
    "schema_id",
    "schema_voor",
    "schemas_per_versie",
    "valideer",
]
