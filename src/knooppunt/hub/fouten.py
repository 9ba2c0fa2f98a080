"""Errors the hub reports to participants, each with a stable machine code (DESIGN §4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class OngeldigVeld:
    name: str
    reason: str


@dataclass(slots=True)
class HubFout(Exception):
    """A refusal: ``code`` is stable, ``detail`` says what was wrong and what to do."""

    code: str
    status: int
    titel: str
    detail: str
    velden: list[OngeldigVeld] = field(default_factory=list)
    artikel: str | None = None
    # The audit entry of a refused submit, written by the transaction owner after its rollback.
    auditregel: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


def niet_gevonden(wat: str) -> HubFout:
    return HubFout("NIET_GEVONDEN", 404, "Niet gevonden", f"{wat} bestaat niet of is niet voor u bestemd.")


def ongeldig_verzoek(detail: str, velden: list[OngeldigVeld] | None = None) -> HubFout:
    return HubFout("ONGELDIG_VERZOEK", 400, "Ongeldig verzoek", detail, velden or [])
