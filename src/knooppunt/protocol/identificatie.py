"""Dutch identifiers used in the adresboek: OIN, KvK number and vestigingsnummer.

The OIN (Logius, "OIN-stelsel") is 20 digits: an 8-digit prefix naming the source register,
then the number from that register, right-aligned and padded with zeros. For companies the
prefix is ``00000003``, then the 8-digit KvK number and ``0000`` (DESIGN §2). python-stdnum has
no OIN or KvK module, so the structure is checked here; BSN, IBAN and postcode (payload rules)
use python-stdnum.
"""

from __future__ import annotations

# Prefixes of the OIN-stelsel: 00000001 (RSIN/fiscaal nummer, overheid), 00000002 (overheid,
# historische codes), 00000003 (KvK-nummer), 00000004 (RSIN), 00000005 (gemeenten, CBS), 00000008
# (NHR vestigingsnummer), 00000009 (beheerd door Logius).
OIN_PREFIXEN = frozenset({"00000001", "00000002", "00000003", "00000004", "00000005", "00000008", "00000009"})
KVK_PREFIX = "00000003"


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
