"""Payload validation errors in Dutch, each naming the field at fault.

Pydantic reports errors in English with a location tuple; ``OngeldigePayload`` turns every one into
a ``Veldfout``: a field path such as ``vorderingen[2].actueelBedrag`` and a Dutch reason.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from knooppunt.protocol.payloads.velden import FOUTTYPE

HEEL_BERICHT = "inhoud"
"""The path of an error about the payload as a whole (e.g. it is not a JSON object)."""


@dataclass(frozen=True, slots=True)
class Veldfout:
    veld: str
    """Path of the field, e.g. ``klant.bsn`` or ``vorderingen[0].hoofdsom``."""
    reden: str
    """What is wrong, in Dutch."""

    def __str__(self) -> str:
        return f"{self.veld}: {self.reden}"


class OnbekendPayloadtype(LookupError):
    """No payload model for this (module, berichttype, versie)."""

    def __init__(self, melding: str) -> None:
        super().__init__(melding)
        self.melding = melding

    def __str__(self) -> str:
        return self.melding


class OngeldigePayload(ValueError):
    """A payload does not meet its schema; ``fouten`` lists every field problem."""

    def __init__(self, module: str, code: str, versie: str, fouten: Sequence[Veldfout]) -> None:
        self.module = module
        self.code = code
        self.versie = versie
        self.fouten = tuple(fouten)
        regels = "\n".join(f"- {fout}" for fout in self.fouten)
        aantal = "1 fout" if len(self.fouten) == 1 else f"{len(self.fouten)} fouten"
        super().__init__(f"Ongeldige inhoud voor {module}/{code} versie {versie} ({aantal}):\n{regels}")

    @property
    def velden(self) -> list[str]:
        return [fout.veld for fout in self.fouten]

    def als_invalid_params(self) -> list[dict[str, str]]:
        """The errors as the ``invalidParams`` of a problem+json answer (DESIGN §4)."""
        return [{"name": fout.veld, "reason": fout.reden} for fout in self.fouten]

    @classmethod
    def uit(
        cls, module: str, code: str, versie: str, fout: ValidationError, veldnamen: Collection[str] = ()
    ) -> OngeldigePayload:
        """From a pydantic error; ``veldnamen`` (all field names of the type) feed the "did you mean"
        hint on an unknown field."""
        return cls(module, code, versie, [veldfout(e, veldnamen) for e in fout.errors(include_url=False)])


def pad(loc: Sequence[int | str]) -> str:
    """``("vorderingen", 2, "hoofdsom")`` -> ``vorderingen[2].hoofdsom``."""
    tekst = ""
    for deel in loc:
        if isinstance(deel, int):
            tekst += f"[{deel}]"
        else:
            tekst += f".{deel}" if tekst else deel
    return tekst or HEEL_BERICHT


def veldfout(fout: ErrorDetails, veldnamen: Collection[str] = ()) -> Veldfout:
    tekst = reden(fout)
    naam = fout["loc"][-1] if fout["loc"] else None
    if fout["type"] == "extra_forbidden" and isinstance(naam, str):
        gelijkend = difflib.get_close_matches(naam, list(veldnamen), n=1, cutoff=0.75)
        if gelijkend:
            tekst += f" (bedoelt u {gelijkend[0]}?)"
    return Veldfout(pad(fout["loc"]), tekst)


def _of(verwacht: str) -> str:
    return verwacht.replace(" or ", " of ")


def reden(fout: ErrorDetails) -> str:
    """The Dutch reason for one pydantic error."""
    soort = fout["type"]
    ctx: dict[str, Any] = dict(fout.get("ctx") or {})
    if soort == FOUTTYPE:
        return str(ctx.get("melding", fout["msg"]))
    if soort == "value_error":
        return str(ctx.get("error", fout["msg"]))
    vast = _VASTE_REDENEN.get(soort)
    if vast is not None:
        return vast
    if soort == "string_too_short":
        n = ctx.get("min_length", 1)
        return "mag niet leeg zijn" if n == 1 else f"moet minstens {n} tekens lang zijn"
    if soort == "string_too_long":
        return f"mag hoogstens {ctx.get('max_length')} tekens lang zijn"
    if soort == "greater_than_equal":
        grens = ctx.get("ge")
        return "mag niet negatief zijn" if grens == 0 else f"moet minstens {grens} zijn"
    if soort == "greater_than":
        grens = ctx.get("gt")
        return "moet groter dan 0 zijn" if grens == 0 else f"moet groter dan {grens} zijn"
    if soort == "less_than_equal":
        return f"mag hoogstens {ctx.get('le')} zijn"
    if soort == "less_than":
        return f"moet kleiner dan {ctx.get('lt')} zijn"
    if soort == "literal_error":
        return f"moet een van deze waarden zijn: {_of(str(ctx.get('expected')))}"
    if soort == "too_short":
        n = ctx.get("min_length")
        return "moet minstens 1 element bevatten" if n == 1 else f"moet minstens {n} elementen bevatten"
    if soort == "too_long":
        return f"mag hoogstens {ctx.get('max_length')} elementen bevatten"
    if soort == "string_pattern_mismatch":
        return f"heeft niet de vereiste vorm (patroon {ctx.get('pattern')})"
    return f"is ongeldig ({fout['msg']})"


_VASTE_REDENEN = {
    "missing": "is verplicht maar ontbreekt",
    "extra_forbidden": "is geen bekend veld; onbekende velden (zoals tikfouten) zijn niet toegestaan",
    "int_type": "moet een geheel getal zijn (bedragen in hele eurocenten)",
    "int_parsing": "moet een geheel getal zijn (bedragen in hele eurocenten)",
    "int_from_float": "moet een geheel getal zijn (bedragen in hele eurocenten)",
    "float_type": "moet een getal zijn",
    "float_parsing": "moet een getal zijn",
    "finite_number": "moet een eindig getal zijn",
    "bool_type": "moet true of false zijn",
    "bool_parsing": "moet true of false zijn",
    "string_type": "moet tekst zijn",
    "list_type": "moet een lijst zijn",
    "model_type": "moet een object zijn",
    "model_attributes_type": "moet een object zijn",
    "dict_type": "moet een object zijn",
    "date_type": "moet een datum zijn in de vorm JJJJ-MM-DD (ISO 8601)",
    "date_parsing": "moet een datum zijn in de vorm JJJJ-MM-DD (ISO 8601)",
    "date_from_datetime_parsing": "moet een datum zijn in de vorm JJJJ-MM-DD (ISO 8601)",
    "date_from_datetime_inexact": "moet een datum zijn in de vorm JJJJ-MM-DD (ISO 8601)",
    "json_invalid": "is geen geldige JSON",
    "json_type": "moet JSON zijn",
}
