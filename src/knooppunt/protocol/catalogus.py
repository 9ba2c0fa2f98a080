"""The message catalogue (DESIGN §3–§3b): every type of every module and version, looked up.

A module is data (``knooppunt.protocol.modules``, one folder each): its message types per version,
who may send them to whom, what they answer or refer to, whether and when an answer is due, and the
names of the hub-enforced conditions. The hub's rule engine (``knooppunt.hub.regels``) implements
each named condition once; nothing here is a code path.
"""

from __future__ import annotations

from functools import cached_property

from knooppunt.protocol.soorten import (
    ALLE,
    HUB_BERICHTTYPEN,
    KENNISGEVINGEN,
    SALDOVERZOEKEN,
    VERVANGINGEN,
    Berichttype,
    Module,
    Moduledefinitie,
    Rol,
    Schuldensoort,
    Voorwaarde,
)

__all__ = [
    "ALLE",
    "CATALOGUS",
    "HUB_BERICHTTYPEN",
    "HUB_VERSIE",
    "KENNISGEVINGEN",
    "SALDOVERZOEKEN",
    "Berichttype",
    "Catalogus",
    "Module",
    "Moduledefinitie",
    "Rol",
    "Schuldensoort",
    "Voorwaarde",
    "versiesleutel",
]

HUB_VERSIE = "1.0"
"""The version of the hub's own notices when the message they concern has none (never in practice)."""


def versiesleutel(versie: str) -> tuple[int, ...]:
    """Sort key of a version string ("1.0" < "2.0" < "10.0")."""
    return tuple(int(deel) if deel.isdigit() else 0 for deel in versie.split("."))


class Catalogus:
    """All message types of all modules, by (module, code, versie). Built from the registry on
    first use, so the module folders may import the vocabulary without a cycle."""

    @cached_property
    def _modules(self) -> dict[str, Moduledefinitie]:
        from knooppunt.protocol.modules import MODULES

        return MODULES

    @cached_property
    def _typen(self) -> dict[tuple[str, str, str], Berichttype]:
        return {(t.module, t.code, t.versie): t for m in self._modules.values() for t in m.typen}

    @cached_property
    def _versies(self) -> dict[tuple[str, str], tuple[str, ...]]:
        per: dict[tuple[str, str], list[str]] = {}
        for module, code, versie in self._typen:
            per.setdefault((module, code), []).append(versie)
        return {k: tuple(sorted(v, key=versiesleutel)) for k, v in per.items()}

    def zoek(self, module: str, code: str, versie: str | None = None) -> Berichttype | None:
        """The type in that version; without ``versie`` its highest version. None when unknown."""
        module = str(module)
        if versie is None:
            versies = self._versies.get((module, code))
            if not versies:
                return None
            versie = versies[-1]
        return self._typen.get((module, code, versie))

    def versies(self, module: str, code: str) -> tuple[str, ...]:
        """The versions a type exists in, lowest first (empty when it does not exist)."""
        return self._versies.get((str(module), code), ())

    def per_code(self, code: str) -> list[Berichttype]:
        """The type of this code in every module that has it (its highest version)."""
        gevonden = [self.zoek(m, code) for m in self._modules]
        return [t for t in gevonden if t is not None]

    def alle(self) -> list[Berichttype]:
        """Every (module, code, versie), by module, then version, then the module's order."""
        return list(self._typen.values())

    def nieuwste(self) -> list[Berichttype]:
        """Every (module, code) once, in its highest version."""
        return [t for (m, c), v in self._versies.items() if (t := self._typen.get((m, c, v[-1]))) is not None]

    def module(self, code: str) -> Moduledefinitie | None:
        return self._modules.get(str(code))

    def heeft_afzenderregel(self, module: str, code: str) -> bool:
        """Whether ``code`` in ``module`` has a payload rule that depends on the sender's role
        (`Moduledefinitie.afzenderregels`, DESIGN §3b): only then is the sender's role looked up
        and the payload checked against it."""
        gevonden = self._modules.get(str(module))
        return gevonden is not None and str(code) in gevonden.afzenderregels

    def modules_voor_rol(self, rol: str) -> list[Moduledefinitie]:
        """The modules with a type a participant in ``rol`` may send or receive (the hub notices
        aside): the modules it can use at all (DESIGN §3b; a debt counsellor has no use for bewind)."""
        return [
            m
            for m in self._modules.values()
            if any(not t.door_knooppunt and (rol in t.van or rol in t.naar) for t in m.typen)
        ]

    def vervanging(self, module: str, code: str, versie: str | None = None) -> str | None:
        """Where ``code`` does not exist in ``module`` (in ``versie``) but its replacement does
        (`VERVANGINGEN`, DESIGN §3a), a Dutch clause naming the replacement; else None."""
        gevonden = VERVANGINGEN.get(code)
        if gevonden is None or self.zoek(module, code, versie) is not None:
            return None
        vervanger, hoe = gevonden
        if self.zoek(module, vervanger, versie) is None:
            return None
        waar = f"versie {versie} van module {module}" if versie else f"module {module}"
        return f"in {waar} vervangt '{vervanger}' ({hoe}) het bericht '{code}'"

    def modulenaam(self, code: str) -> str:
        """The name people see (DESIGN §2: "the names in brackets are what people see"); an unknown
        code as it is."""
        gevonden = self._modules.get(str(code))
        return gevonden.naam if gevonden is not None else str(code)

    def modules(self) -> list[Moduledefinitie]:
        return list(self._modules.values())

    def modulecodes(self) -> list[str]:
        return list(self._modules)

    def moduleversies(self, module: str) -> tuple[str, ...]:
        gevonden = self._modules.get(str(module))
        return gevonden.versies if gevonden is not None else ()


CATALOGUS = Catalogus()
