"""What a channel gets and gives back. A notification carries counts per message type, the oldest
deadline and links — never message content, never client data."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from knooppunt.config import Settings
from knooppunt.protocol.catalogus import CATALOGUS, versiesleutel
from knooppunt.protocol.werkdagen import AMSTERDAM

_DAGEN = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
_MAANDEN = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)


@dataclass(frozen=True, slots=True)
class Melding:
    """One notification: new messages in a participant's inbox."""

    id: int
    deelnemer: str
    deelnemer_naam: str
    aantallen: dict[str, int]
    oudste_verloopt_op: datetime | None
    portaal_url: str | None
    soort: str = "berichten"
    details: dict[str, Any] | None = None

    @property
    def totaal(self) -> int:
        return sum(self.aantallen.values())


@dataclass(frozen=True, slots=True)
class Bestemming:
    """Where the participant wants its notifications, as set at delivery time."""

    emailadressen: tuple[str, ...]
    webhook_url: str | None
    webhook_geheim: str | None


@dataclass(frozen=True, slots=True)
class Uitslag:
    """The outcome of one attempt. `definitief` failures are not retried (nothing to retry to)."""

    gelukt: bool
    antwoordcode: int | None = None
    fout: str | None = None
    definitief: bool = False

    @classmethod
    def mislukt(cls, fout: str, *, antwoordcode: int | None = None, definitief: bool = False) -> Uitslag:
        return cls(False, antwoordcode, fout[:500], definitief)


class Kanaal(ABC):
    """A delivery channel. Subclasses register themselves with ``@register("naam")``."""

    naam: ClassVar[str]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @abstractmethod
    def verstuur(self, melding: Melding, bestemming: Bestemming) -> Uitslag:
        """Deliver once; never raises for delivery problems, reports them in the Uitslag."""


def typenaam(code: str) -> str:
    """The handbook name of a message type code, for people: a notification counts per code over
    every module, so the name is that of the code's lowest version (the handbook's, 1.0), the
    first module by code breaking a tie."""
    typen = [t for t in CATALOGUS.alle() if t.code == code]
    if not typen:
        return code
    return min(typen, key=lambda t: (versiesleutel(t.versie), t.module)).naam


def moment_nl(moment: datetime) -> str:
    """'maandag 30 november 2026, 23:59 uur' in Europe/Amsterdam."""
    lokaal = moment.astimezone(AMSTERDAM)
    return (
        f"{_DAGEN[lokaal.weekday()]} {lokaal.day} {_MAANDEN[lokaal.month - 1]} {lokaal.year}, "
        f"{lokaal:%H:%M} uur"
    )
