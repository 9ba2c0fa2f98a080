"""Opaque cursors (api/cursor.py; DESIGN §4 "`volgende` (an opaque cursor)", §8: the participant
API never serves volumes across participants). An independent wire probe found `volgende` was
base64 of a row id: paging twice showed how many messages the whole hub had handled in between."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from knooppunt.api import cursor
from knooppunt.store.dagsleutels import Hoofdsleutels


@dataclass
class _Dagsleutels:
    hoofdsleutels: Hoofdsleutels


@dataclass
class _Rt:
    dagsleutels: _Dagsleutels


def _rt(*sleutels: tuple[str, bytes]) -> _Rt:
    return _Rt(_Dagsleutels(Hoofdsleutels(dict(sleutels), sleutels[0][0])))


A = ("a", b"\x01" * 32)
B = ("b", b"\x02" * 32)


def test_een_cursor_zegt_niets_over_de_positie() -> None:
    rt = _rt(A)
    een, twee = cursor.maak(rt, "berichten", 63), cursor.maak(rt, "berichten", 64)  # type: ignore[arg-type]
    assert een == cursor.maak(rt, "berichten", 63)  # type: ignore[arg-type]  # the same place: the same
    assert een[:16] != twee[:16]  # another place: another nonce (a synthetic IV), nothing in common
    assert een != cursor.maak(rt, "verzonden", 63)  # type: ignore[arg-type]
    for waarde in (een, twee):
        ruw = base64.urlsafe_b64decode(waarde + "=" * (-len(waarde) % 4))
        assert b"63" not in ruw and (63).to_bytes(8, "big") not in ruw and b"id:" not in ruw
        assert (64).to_bytes(8, "big") not in ruw
        assert cursor.lees(rt, "berichten", waarde, 1) in {(63,), (64,)}  # type: ignore[arg-type]


def test_alleen_wat_het_knooppunt_maakte_voor_die_lijst() -> None:
    rt = _rt(A)
    waarde = cursor.maak(rt, "logboek", 1_000_000, 7)  # type: ignore[arg-type]
    assert cursor.lees(rt, "logboek", waarde, 2) == (1_000_000, 7)  # type: ignore[arg-type]
    assert cursor.lees(rt, "berichten", waarde, 2) is None  # type: ignore[arg-type]  # another list
    assert cursor.lees(rt, "logboek", waarde, 1) is None  # type: ignore[arg-type]  # another shape
    assert cursor.lees(rt, "logboek", waarde + "==", 2) is None  # type: ignore[arg-type]
    veranderd = waarde[:10] + ("A" if waarde[10] != "A" else "B") + waarde[11:]
    assert cursor.lees(rt, "logboek", veranderd, 2) is None  # type: ignore[arg-type]
    assert cursor.lees(_rt(B), "logboek", waarde, 2) is None  # type: ignore[arg-type]  # another hub
    assert cursor.lees(rt, "logboek", "x" * 201, 2) is None  # type: ignore[arg-type]
    assert cursor.lees(rt, "logboek", "!!", 2) is None  # type: ignore[arg-type]


def test_na_een_rotatie_van_de_hoofdsleutel_gelden_oude_cursors_nog() -> None:
    """docs/operations.md: a master-key rotation puts the new key first and keeps the old one
    behind it; a client paging across the restart keeps its place."""
    oud = cursor.maak(_rt(A), "verzonden", 5)  # type: ignore[arg-type]
    na = _rt(B, A)
    assert cursor.lees(na, "verzonden", oud, 1) == (5,)  # type: ignore[arg-type]
    nieuw = cursor.maak(na, "verzonden", 5)  # type: ignore[arg-type]
    assert cursor.lees(_rt(A), "verzonden", nieuw, 1) is None  # type: ignore[arg-type]  # made under B
