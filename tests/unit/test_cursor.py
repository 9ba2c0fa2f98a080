"""Opaque cursors (api/cursor.py; DESIGN §4 "`volgende` (an opaque cursor)", §8: the participant
API never serves volumes across participants). An independent wire probe found `volgende` was
base64 of a row id: paging twice showed how many messages the whole hub had handled in between."""

from __future__ import annotations

import base64

from knooppunt.api import cursor
from knooppunt.store.dagsleutels import Hoofdsleutels


def _hoofd(*sleutels: tuple[str, bytes]) -> Hoofdsleutels:
    """The day keys' master keys, the first the current one (what a runtime holds)."""
    return Hoofdsleutels(dict(sleutels), sleutels[0][0])


A = ("a", b"\x01" * 32)
B = ("b", b"\x02" * 32)


def test_een_cursor_zegt_niets_over_de_positie() -> None:
    hoofd = _hoofd(A)
    een, twee = cursor.maak(hoofd, "berichten", 63), cursor.maak(hoofd, "berichten", 64)
    assert een == cursor.maak(hoofd, "berichten", 63)  # the same place: the same
    assert een[:16] != twee[:16]  # another place: another nonce (a synthetic IV), nothing in common
    assert een != cursor.maak(hoofd, "verzonden", 63)
    for waarde in (een, twee):
        ruw = base64.urlsafe_b64decode(waarde + "=" * (-len(waarde) % 4))
        assert b"63" not in ruw and (63).to_bytes(8, "big") not in ruw and b"id:" not in ruw
        assert (64).to_bytes(8, "big") not in ruw
        assert cursor.lees(hoofd, "berichten", waarde, 1) in {(63,), (64,)}


def test_alleen_wat_het_knooppunt_maakte_voor_die_lijst() -> None:
    hoofd = _hoofd(A)
    waarde = cursor.maak(hoofd, "logboek", 1_000_000, 7)
    assert cursor.lees(hoofd, "logboek", waarde, 2) == (1_000_000, 7)
    assert cursor.lees(hoofd, "berichten", waarde, 2) is None  # another list
    assert cursor.lees(hoofd, "logboek", waarde, 1) is None  # another shape
    assert cursor.lees(hoofd, "logboek", waarde + "==", 2) is None
    veranderd = waarde[:10] + ("A" if waarde[10] != "A" else "B") + waarde[11:]
    assert cursor.lees(hoofd, "logboek", veranderd, 2) is None
    assert cursor.lees(_hoofd(B), "logboek", waarde, 2) is None  # another hub
    assert cursor.lees(hoofd, "logboek", "x" * 201, 2) is None
    assert cursor.lees(hoofd, "logboek", "!!", 2) is None


def test_na_een_rotatie_van_de_hoofdsleutel_gelden_oude_cursors_nog() -> None:
    """docs/operations.md: a master-key rotation puts the new key first and keeps the old one
    behind it; a client paging across the restart keeps its place."""
    oud = cursor.maak(_hoofd(A), "verzonden", 5)
    na = _hoofd(B, A)
    assert cursor.lees(na, "verzonden", oud, 1) == (5,)
    nieuw = cursor.maak(na, "verzonden", 5)
    assert cursor.lees(_hoofd(A), "verzonden", nieuw, 1) is None  # made under B
