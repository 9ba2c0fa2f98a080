# ruff: noqa: N815  -- field names are lowerCamelCase wire names (DESIGN §3)
"""Payloads of module ``pauzeknop`` — Landelijke pauzeknop (DESIGN §3b), version 2.0.

Sourced: there is no separate pause message; the pause runs on the kennisgeving, and creditors under
an NVVK convenant suspend collection for 4 to 8 months — phase 1 when the client presses the button
(which counts as a Wgs application), phase 2 after admission to schuldhulp. The kennisgevingen carry
the fields of schuldregeling 2.0's kennisgeving (articles 3.1–3.2 with 2.0's adreskeuze; imported so they stay
identical) and its answer those of kennisgeving_antwoord (4.1).

Our own design: the ``pauze`` blocks (the request's phase and period, the answer's akkoord and
``incassoOpgeschortTot``) and the message ``pauze_beeindigd``.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Strict, model_validator
from pydantic_core import InitErrorDetails

from knooppunt.protocol.modules.schuldregeling.versie_2_0 import (
    Kennisgeving,
    KennisgevingAntwoord,
    KennisgevingBsn,
)
from knooppunt.protocol.payloads.velden import (
    Datum,
    Klantnummer,
    Payload,
    Reden,
    RedenGeenMedewerking,
    meld,
    niet_leeg,
    veldfout,
)

MAX_PAUZE_MAANDEN = 8
"""A pause lasts at most 8 months (the NVVK convenant: 4 to 8 months)."""


def plus_maanden(dag: date, maanden: int) -> date:
    """``dag`` plus whole calendar months; on a shorter month, its last day (31 May + 1 = 30 June)."""
    jaar, maand = divmod(dag.month - 1 + maanden, 12)
    jaar += dag.year
    maand += 1
    return date(jaar, maand, min(dag.day, calendar.monthrange(jaar, maand)[1]))


# --- kennisgeving with pause (3.1, 3.2) ------------------------------------------------------------------


class Pauze(Payload):
    """The pause asked for (our design choice): in which phase, and from when to when creditors suspend
    collection. The end lies after the start and at most 8 months after it (the convenant's 4 to 8
    months; the SDK and portal propose 4)."""

    fase: Literal["aanmelding", "toelating"]
    """aanmelding: phase 1, the client pressed the pause button (counts as a Wgs application);
    toelating: phase 2, the pause after admission to schuldhulp."""
    ingangsdatum: Datum
    """The first day of the pause."""
    einddatum: Datum
    """The last day of the pause: after ``ingangsdatum`` and at most 8 months after it."""

    @model_validator(mode="after")
    def _periode(self) -> Self:
        fouten: list[InitErrorDetails] = []
        uiterlijk = plus_maanden(self.ingangsdatum, MAX_PAUZE_MAANDEN)
        if self.einddatum <= self.ingangsdatum:
            fouten.append(
                veldfout(
                    ("einddatum",),
                    f"einddatum ({self.einddatum.isoformat()}) moet na ingangsdatum "
                    f"({self.ingangsdatum.isoformat()}) liggen",
                    self.einddatum.isoformat(),
                )
            )
        elif self.einddatum > uiterlijk:
            fouten.append(
                veldfout(
                    ("einddatum",),
                    f"een pauze duurt hoogstens {MAX_PAUZE_MAANDEN} maanden: einddatum "
                    f"({self.einddatum.isoformat()}) mag niet na {uiterlijk.isoformat()} liggen",
                    self.einddatum.isoformat(),
                )
            )
        meld(self, fouten)
        return self


class KennisgevingPauze(Kennisgeving):
    """Kennisgeving (3.1) with a pause: the client has applied for schuldhulp, and the creditor is
    asked to suspend collection. No BSN: this goes to creditors that do not identify clients by BSN.
    Answered within 10 working days (DESIGN §3b)."""

    pauze: Pauze


class KennisgevingBsnPauze(KennisgevingBsn):
    """Kennisgeving publiek (3.2) with a pause: as ``kennisgeving``, with the client's BSN, for
    creditors that identify clients by BSN."""

    pauze: Pauze


# --- the answer (4.1) -----------------------------------------------------------------------------------


class PauzeAntwoord(Payload):
    """The creditor's answer to the pause (our design choice). With ``akkoord`` the creditor suspends
    collection as asked and says until when (``incassoOpgeschortTot``, required); without it, it
    gives a ``reden`` (required) and, if it suspends for a shorter time, until when."""

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {"required": ["akkoord"], "properties": {"akkoord": {"const": True}}},
                    "then": niet_leeg("incassoOpgeschortTot", "string"),
                },
                {
                    "if": {"required": ["akkoord"], "properties": {"akkoord": {"const": False}}},
                    "then": niet_leeg("reden", "object"),
                },
            ]
        }
    )

    akkoord: Annotated[bool, Strict()]
    """The creditor suspends collection for the pause asked."""
    incassoOpgeschortTot: Datum | None = None
    """The last day on which collection is suspended; required with akkoord."""
    reden: Reden | None = None
    """Why the creditor does not agree; required without akkoord."""

    @model_validator(mode="after")
    def _samenhang(self) -> Self:
        fouten: list[InitErrorDetails] = []
        if self.akkoord and self.incassoOpgeschortTot is None:
            fouten.append(
                veldfout(
                    ("incassoOpgeschortTot",),
                    "incassoOpgeschortTot is verplicht bij akkoord: tot wanneer is de incasso opgeschort?",
                    None,
                )
            )
        if not self.akkoord and self.reden is None:
            fouten.append(
                veldfout(
                    ("reden",), "reden is verplicht als de schuldeiser niet akkoord gaat met de pauze", None
                )
            )
        meld(self, fouten)
        return self


class KennisgevingAntwoordPauze(KennisgevingAntwoord):
    """Kennisgeving antwoord (4.1) with the answer to the pause: the creditor's client number and/or
    invoice numbers, and whether and until when it suspends collection."""

    pauze: PauzeAntwoord


# --- geen medewerking, pauze beëindigd ---------------------------------------------------------------------


class GeenMedewerking(Payload):
    """Geen medewerking (afsprakenstelsel 2.0): the creditor does not act on the kennisgeving, for
    one of the four reasons of the live standard."""

    klantnummerSHV: Klantnummer
    """Repeated from the kennisgeving."""
    reden: RedenGeenMedewerking
    """Mandatory."""


class PauzeBeeindigd(Payload):
    """Pauze beëindigd: the debt counsellor ends a pause before its einddatum, e.g. because the client
    was not admitted, withdrew, or a regeling took its place. Our design choice: the live standard
    has no such message. Sent only to a creditor it already exchanged messages with in this
    conversation (hub condition); not answered. ``reden`` is required; its codes are free, e.g.
    ``NIET_TOEGELATEN``, ``KLANT_TREKT_ZICH_TERUG``, ``REGELING_GESTART``."""

    klantnummerSHV: Klantnummer
    klantnummerSE: Klantnummer | None = None
    """The creditor's number for this client, from its answer."""
    einddatum: Datum
    """The last day of the pause; from the next day the creditor may collect again."""
    reden: Reden
    """Why the pause ends early; mandatory."""


MODELLEN: dict[str, type[Payload]] = {
    "kennisgeving": KennisgevingPauze,
    "kennisgeving_bsn": KennisgevingBsnPauze,
    "kennisgeving_antwoord": KennisgevingAntwoordPauze,
    "geen_medewerking": GeenMedewerking,
    "pauze_beeindigd": PauzeBeeindigd,
}
"""The payload model of every participant-authored message type of module pauzeknop, 2.0."""
