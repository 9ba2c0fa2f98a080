"""One valid example payload per (module, berichttype, versie), gathered from the module folders,
for the SDK, the docs, the demo and the tests. ``voorbeeld`` returns a fresh copy, so callers may
change it (e.g. to build an invalid one)."""

from __future__ import annotations

import copy
from typing import Any

from knooppunt.protocol.modules import MODULES

VOORBEELDEN: dict[tuple[str, str, str], dict[str, Any]] = {
    (module.code, code, versie): dict(voorbeeld)
    for module in MODULES.values()
    for (code, versie), voorbeeld in module.voorbeelden.items()
}
"""One valid payload per (module, berichttype, versie). Use ``voorbeeld`` for a copy you may change."""


def voorbeeld(module: str, code: str, versie: str | None = None) -> dict[str, Any]:
    """A fresh (deep) copy of the example payload of this message type; without ``versie``, that
    of the module's first version (1.0 for schuldregeling, 2.0 for the others)."""
    if versie is None:
        versie = MODULES[str(module)].versies[0]
    return copy.deepcopy(VOORBEELDEN[(str(module), code, versie)])
