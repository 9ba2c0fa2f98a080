"""The portal's browser code as the operator serves it (DESIGN §5 "Portal", "The code"): the one
committed bundle, its SRI value for the script tag, and its SHA-256 — published in docs/portaal.md
and carried in every signed audit checkpoint (`checkpointregel`), so that a changed bundle is visible
to anyone who compares, not only to whoever reads the docs."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path

from knooppunt.hub.notitie import PORTAALBUNDEL

BUNDEL = Path(__file__).resolve().parent / "static" / "js" / "portaal-sleutels.js"


@lru_cache(maxsize=1)
def integriteit() -> str:
    """The SRI value of the bundle (sha384), computed once from the file the portal serves."""
    return "sha384-" + base64.b64encode(hashlib.sha384(BUNDEL.read_bytes()).digest()).decode("ascii")


@lru_cache(maxsize=1)
def sha256() -> str:
    """The bundle's SHA-256 (hex), as docs/portaal.md publishes it."""
    return hashlib.sha256(BUNDEL.read_bytes()).hexdigest()


def checkpointregel() -> str:
    """The extension line a signed audit checkpoint carries (C2SP tlog-checkpoint allows extension
    lines after the root hash): ``knooppunt-portaal-bundel sha256:<hex>``."""
    return f"{PORTAALBUNDEL} sha256:{sha256()}"
