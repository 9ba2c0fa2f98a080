"""The RFC 6962 Merkle tree hash (§2.1) of the audit log, computed incrementally.

A leaf is SHA-256(0x00 || entry bytes), an inner node SHA-256(0x01 || left || right), the tree of
no leaves SHA-256(""). ``Rand`` is the compact range of a prefix of the leaves: the roots of the
perfect subtrees that cover it, largest (leftmost) first, one per set bit of its size. Appending a
leaf merges equal-sized subtrees; folding the range from the right gives the tree hash. So the
sequencer keeps O(log n) hashes, never the whole tree, and a retention purge keeps the range of
what it deleted (the anchor) so the rest still hashes to the signed roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

LEEG = hashlib.sha256(b"").digest()


def bladhash(inhoud: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + inhoud).digest()


def knoophash(links: bytes, rechts: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + links + rechts).digest()


@dataclass(slots=True)
class Rand:
    """The compact range [0, grootte) of the tree."""

    grootte: int = 0
    hashes: list[bytes] = field(default_factory=list)

    def voeg_toe(self, blad: bytes) -> None:
        """Append one leaf hash."""
        self.hashes.append(blad)
        n = self.grootte
        while n & 1:  # each trailing 1 bit of the old size: two equal subtrees become one
            rechts = self.hashes.pop()
            self.hashes[-1] = knoophash(self.hashes[-1], rechts)
            n >>= 1
        self.grootte += 1

    def voeg_alle_toe(self, bladen: Iterable[bytes]) -> None:
        for blad in bladen:
            self.voeg_toe(blad)

    def wortel(self) -> bytes:
        """The RFC 6962 Merkle tree hash of the first ``grootte`` leaves."""
        if not self.hashes:
            return LEEG
        wortel = self.hashes[-1]
        for links in reversed(self.hashes[:-1]):
            wortel = knoophash(links, wortel)
        return wortel

    def kopie(self) -> Rand:
        return Rand(self.grootte, list(self.hashes))

    def als_tekst(self) -> str:
        """Stored form: the hashes in hex, comma-separated (empty for an empty tree)."""
        return ",".join(h.hex() for h in self.hashes)

    @classmethod
    def uit_tekst(cls, grootte: int, tekst: str) -> Rand:
        """The stored form back; ValueError when it cannot be the range of a tree of this size."""
        hashes = [bytes.fromhex(deel) for deel in tekst.split(",")] if tekst else []
        if len(hashes) != grootte.bit_count() or any(len(h) != 32 for h in hashes):
            raise ValueError(f"geen compacte rand van een boom met {grootte} bladen")
        return cls(grootte, hashes)
