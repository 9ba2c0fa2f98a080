"""Opaque cursors (DESIGN §4: "plus `volgende` (an opaque cursor) when more remain").

A cursor was base64 of the last row's id (`id:63`): a participant that paged its inbox twice saw
how many messages the whole hub had handled in between — traffic across participants, which the
participant API never serves (DESIGN §8; an independent wire probe). Now a cursor is the position
sealed with AES-256-GCM under a key derived (HKDF-SHA256) from the day keys' master key, which every
node of the hub shares: it says nothing, and one the hub did not make is refused. The nonce is an
HMAC of the listing and the position (a synthetic IV, as in SIV): the same place gives the same
cursor — so the event-loop fetch answers byte for byte as the ordinary one — and different places
never share a nonce. After a master-key rotation the old keys still open the cursors made under
them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from knooppunt.protocol.jwe import b64url_encode
from knooppunt.store.dagsleutels import Hoofdsleutels

_INFO = b"knooppunt-cursor-v1"
_INFO_NONCE = b"knooppunt-cursor-nonce-v1"
_NONCE = 12
_TAG = 16
_GETAL = 8  # each number: 8 bytes, big-endian, unsigned


def _afgeleid(sleutel: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=info).derive(sleutel)


def _master(hoofd: Hoofdsleutels) -> list[bytes]:
    """The master keys, the current one first."""
    volgorde = [hoofd.huidige_id, *(sid for sid in hoofd.sleutels if sid != hoofd.huidige_id)]
    return [hoofd.sleutels[sid] for sid in volgorde]


def maak(hoofd: Hoofdsleutels, soort: str, *getallen: int) -> str:
    """A cursor of ``soort`` (what it pages: `berichten`, `verzonden`, `logboek`) for these
    non-negative numbers. (Keys are derived per call: microseconds, and only when a page has a
    next one.)"""
    sleutel = _master(hoofd)[0]
    data = b"".join(g.to_bytes(_GETAL, "big") for g in getallen)
    nonce = hmac.new(_afgeleid(sleutel, _INFO_NONCE), soort.encode() + b"|" + data, hashlib.sha256).digest()
    nonce = nonce[:_NONCE]
    return b64url_encode(nonce + AESGCM(_afgeleid(sleutel, _INFO)).encrypt(nonce, data, soort.encode()))


def lees(hoofd: Hoofdsleutels, soort: str, cursor: str, aantal: int) -> tuple[int, ...] | None:
    """The ``aantal`` numbers of a cursor of ``soort`` the hub made; None for anything else
    (another kind, altered, cut short, from another hub, padded or spelt otherwise)."""
    if len(cursor) > 200:
        return None
    try:
        ruw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, binascii.Error):
        return None
    if len(ruw) != _NONCE + aantal * _GETAL + _TAG or b64url_encode(ruw) != cursor:
        return None
    for sleutel in _master(hoofd):
        try:
            data = AESGCM(_afgeleid(sleutel, _INFO)).decrypt(ruw[:_NONCE], ruw[_NONCE:], soort.encode())
        except InvalidTag:
            continue
        return tuple(int.from_bytes(data[i : i + _GETAL], "big") for i in range(0, len(data), _GETAL))
    return None
