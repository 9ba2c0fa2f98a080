"""Dutch identifiers used in the adresboek: OIN, KvK number and vestigingsnummer.

The OIN (Logius, "OIN-stelsel") is 20 digits: an 8-digit prefix naming the source register,
then the number from that register, right-aligned and padded with zeros. For companies the
prefix is ``00000003``, then the 8-digit KvK number and ``0000`` (DESIGN §2). python-stdnum has
no OIN or KvK module, so the structure is checked here; BSN, IBAN and postcode (payload rules)
use python-stdnum.
"""

from __future__ import annotations

import re

# Prefixes of the OIN-stelsel: 00000001 (RSIN/fiscaal nummer, overheid), 00000002 (overheid,
# historische codes), 00000003 (KvK-nummer), 00000004 (RSIN), 00000005 (gemeenten, CBS), 00000008
# (NHR vestigingsnummer), 00000009 (beheerd door Logius).
OIN_PREFIXEN = frozenset({"00000001", "00000002", "00000003", "00000004", "00000005", "00000008", "00000009"})
KVK_PREFIX = "00000003"


# The identifiers on the wire (DESIGN §4), as the OpenAPI document states them: JSON Schema
# ``pattern`` is an unanchored ECMA-262 search, so a pattern is anchored at the start only and the
# exact length does the rest (never a ``$``: in Python's re it also matches before a trailing
# newline). Python code matches with ``fullmatch`` (``is_uuid``, ``is_oin_vorm``).
UUID_PATROON = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
UUID_LENGTE = 36
OIN_PATROON = "^[0-9]{20}"
OIN_LENGTE = 20
UUID_VOORBEELD = "7d9f0e3a-1c2b-4d5e-8f90-a1b2c3d4e5f6"
# A conversation is "a UUIDv4" (DESIGN §2): version nibble 4, RFC 9562 variant (8, 9, a or b).
UUID_V4_PATROON = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
_UUID = re.compile(UUID_PATROON.removeprefix("^"))
_UUID_V4 = re.compile(UUID_V4_PATROON.removeprefix("^"))
_OIN = re.compile(OIN_PATROON.removeprefix("^"))


STUURTEKENS = frozenset(chr(c) for c in (*range(0x20), 0x7F))
"""C0 control characters and DEL: no name, code or identifier needs one (a NUL is refused by
PostgreSQL, a line break would end an e-mail header)."""


def heeft_stuurtekens(waarde: str) -> bool:
    return not STUURTEKENS.isdisjoint(waarde)


def is_uuid(waarde: str) -> bool:
    """A canonical UUID as the wire carries it: whole, lower-case, with hyphens."""
    return len(waarde) == UUID_LENGTE and _UUID.fullmatch(waarde) is not None


def is_uuid_v4(waarde: str) -> bool:
    """A canonical UUID of version 4 (random), as a conversatieReferentienummer must be."""
    return len(waarde) == UUID_LENGTE and _UUID_V4.fullmatch(waarde) is not None


def is_oin_vorm(waarde: str) -> bool:
    """Twenty ASCII digits, whole (the form of an OIN; ``valideer_oin`` also checks the prefix)."""
    return len(waarde) == OIN_LENGTE and _OIN.fullmatch(waarde) is not None


class OngeldigeIdentificatie(ValueError):
    """An identifier is malformed; the message says what is expected."""


def valideer_kvk(kvk: str) -> str:
    waarde = kvk.strip()
    if len(waarde) != 8 or not waarde.isascii() or not waarde.isdigit():
        raise OngeldigeIdentificatie(f"KvK-nummer {kvk!r} moet uit precies 8 cijfers bestaan")
    return waarde


def valideer_vestigingsnummer(nummer: str) -> str:
    """The KvK vestigingsnummer of a branch: 12 digits."""
    waarde = nummer.strip()
    if len(waarde) != 12 or not waarde.isascii() or not waarde.isdigit():
        raise OngeldigeIdentificatie(f"vestigingsnummer {nummer!r} moet uit precies 12 cijfers bestaan")
    return waarde


def valideer_oin(oin: str) -> str:
    waarde = oin.strip()
    if len(waarde) != 20 or not waarde.isascii() or not waarde.isdigit():
        raise OngeldigeIdentificatie(f"OIN {oin!r} moet uit precies 20 cijfers bestaan")
    if waarde[:8] not in OIN_PREFIXEN:
        raise OngeldigeIdentificatie(
            f"OIN {oin!r} heeft een onbekend voorvoegsel {waarde[:8]!r} "
            f"(bekend: {', '.join(sorted(OIN_PREFIXEN))})"
        )
    if waarde.startswith(KVK_PREFIX) and not waarde.endswith("0000"):
        raise OngeldigeIdentificatie(
            f"OIN {oin!r} op basis van KvK moet de vorm 00000003 + KvK-nummer + 0000 hebben"
        )
    return waarde


def oin_voor_kvk(kvk: str) -> str:
    return KVK_PREFIX + valideer_kvk(kvk) + "0000"


def is_geldige_oin(oin: str) -> bool:
    try:
        valideer_oin(oin)
    except OngeldigeIdentificatie:
        return False
    return True
