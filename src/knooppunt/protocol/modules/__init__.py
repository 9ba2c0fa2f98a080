"""The module registry (DESIGN §3b): one folder per module, found here, none named in shared code.

Each subpackage of ``knooppunt.protocol.modules`` is a module: its ``__init__`` defines ``MODULE``,
a `Moduledefinitie` with its message types per version, payload models, examples and labels. The
registry imports every subpackage once, adds the hub notices (``foutbericht``,
``ontvangstbevestiging``) to each module and version, and checks the data is whole. Adding a
module is adding a folder (``docs/dev/adding-a-module.md``).

    >>> sorted(MODULES)[:2]
    ['betalingsregeling', 'bewind']
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import replace

from knooppunt.protocol.soorten import Berichttype, Moduledefinitie, hubberichten


class OngeldigeModule(Exception):
    """A module folder whose data does not hold together (found at import, so in every test run)."""


def _controleer(module: Moduledefinitie) -> None:
    gezien: set[tuple[str, str]] = set()
    for t in module.typen:
        sleutel = (t.code, t.versie)
        if t.module != module.code:
            raise OngeldigeModule(f"{module.code}: type {t.code} zegt module {t.module}")
        if t.versie not in module.versies:
            raise OngeldigeModule(f"{module.code}: type {t.code} heeft onbekende versie {t.versie}")
        if sleutel in gezien:
            raise OngeldigeModule(f"{module.code}: type {t.code} {t.versie} staat er twee keer in")
        gezien.add(sleutel)
        if not t.door_knooppunt and sleutel not in module.payloads:
            raise OngeldigeModule(f"{module.code}: type {t.code} {t.versie} heeft geen payloadmodel")
    codes = {c for c, _ in gezien}
    for t in module.typen:
        for verwezen in t.beantwoordt | t.verwijst_naar:
            if verwezen != "*" and verwezen not in codes:
                raise OngeldigeModule(f"{module.code}: {t.code} verwijst naar onbekend type {verwezen}")


def _laad() -> dict[str, Moduledefinitie]:
    gevonden: dict[str, Moduledefinitie] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        pakket = importlib.import_module(f"{__name__}.{info.name}")
        module: Moduledefinitie = pakket.MODULE
        _controleer(module)
        notities: tuple[Berichttype, ...] = tuple(
            t for versie in module.versies for t in hubberichten(module.code, versie)
        )
        gevonden[module.code] = replace(module, typen=module.typen + notities)
    return gevonden


MODULES: dict[str, Moduledefinitie] = _laad()
"""Every module by code."""
