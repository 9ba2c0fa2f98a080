"""The payload registry: one model and one JSON Schema per (module, berichttype, versie)."""

from __future__ import annotations

import copy
import typing
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.json_schema import GenerateJsonSchema

from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.modules import MODULES
from knooppunt.protocol.payloads.fouten import OnbekendPayloadtype, OngeldigePayload
from knooppunt.protocol.soorten import HUB_BERICHTTYPEN

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
CONVENTIES = (
    "Bedragen zijn gehele getallen in eurocenten en nooit negatief; percentages 0 tot en met 100 met "
    "hoogstens twee decimalen; datums ISO 8601 (JJJJ-MM-DD). Onbekende velden zijn niet toegestaan. "
    "Niet elke regel is in JSON Schema uit te drukken (elfproef van het BSN, mod-97 van het IBAN, "
    "totalen gelijk aan de som van hun delen): de SDK en het portaal controleren die ook."
)

Sleutel = tuple[str, str, str]
"""(module, berichttype code, versie)."""

PAYLOADS: dict[Sleutel, type[BaseModel]] = {
    (module.code, code, versie): model
    for module in MODULES.values()
    for (code, versie), model in module.payloads.items()
}
"""Every payload model, by (module, code, versie). The hub-authored foutbericht and
ontvangstbevestiging have none: they carry a plain ``melding``, not an encrypted payload."""


def schema_id(module: str, code: str, versie: str) -> str:
    return f"urn:knooppunt:payload:{module}:{code}:{versie}"


def payloadmodel(module: str, code: str, versie: str) -> type[BaseModel]:
    """The model of a payload; ``OnbekendPayloadtype`` (Dutch message) when there is none."""
    model = PAYLOADS.get((str(module), code, versie))
    if model is not None:
        return model
    if code in HUB_BERICHTTYPEN:
        raise OnbekendPayloadtype(
            f"{code} wordt door het knooppunt zelf opgesteld en heeft geen versleutelde inhoud, "
            "alleen een melding"
        )
    berichttype = CATALOGUS.zoek(str(module), code)
    if berichttype is None:
        raise OnbekendPayloadtype(f"berichttype {module}/{code} bestaat niet")
    bekend = sorted(v for (m, c, v) in PAYLOADS if m == str(module) and c == code)
    raise OnbekendPayloadtype(
        f"berichttype {module}/{code} heeft geen versie {versie!r}; bekend: {', '.join(bekend) or 'geen'}"
    )


class _Schemagenerator(GenerateJsonSchema):
    """Field names are the titles; pydantic's generated ones ("Klantnummershv") only confuse."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


@cache
def _schema(module: str, code: str, versie: str) -> dict[str, Any]:
    model = payloadmodel(module, code, versie)
    berichttype = CATALOGUS.zoek(module, code, versie)
    naam = berichttype.naam if berichttype is not None else code
    gegenereerd = model.model_json_schema(mode="validation", schema_generator=_Schemagenerator)
    gegenereerd.pop("title", None)
    omschrijving = gegenereerd.pop("description", "")
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": schema_id(module, code, versie),
        "title": f"{naam} ({module}/{code}, versie {versie})",
        "description": f"{omschrijving}\n\n{CONVENTIES}".strip(),
        **gegenereerd,
    }


def schema_voor(module: str, code: str, versie: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12, with ``$id`` and ``title``) of a payload, as the hub
    publishes it at /api/v1/berichttypen. A fresh copy on every call."""
    return copy.deepcopy(_schema(str(module), code, versie))


def schemas_per_versie(
    module: str, code: str, versies: tuple[str, ...] | list[str]
) -> dict[str, dict[str, Any]]:
    """versie -> JSON Schema for the versions that have a payload model (none for hub notices)."""
    return {v: schema_voor(module, code, v) for v in versies if (str(module), code, v) in PAYLOADS}


@cache
def veldnamen(model: type[BaseModel]) -> frozenset[str]:
    """Every field name in the model and the blocks nested in it."""
    namen: set[str] = set()
    te_doen: list[Any] = [model]
    gezien: set[Any] = set()
    while te_doen:
        soort = te_doen.pop()
        if soort in gezien:
            continue
        gezien.add(soort)
        if isinstance(soort, type) and issubclass(soort, BaseModel):
            for naam, veld in soort.model_fields.items():
                namen.add(naam)
                te_doen.append(veld.annotation)
        else:
            te_doen.extend(typing.get_args(soort))
    return frozenset(namen)


def valideer(module: str, code: str, versie: str, data: Any) -> BaseModel:
    """Validate a decrypted payload (a parsed JSON object, or JSON text/bytes).

    Raises ``OngeldigePayload`` listing every field problem (path + Dutch reason), or
    ``OnbekendPayloadtype`` when the type or version has no payload.
    """
    model = payloadmodel(module, code, versie)
    try:
        if isinstance(data, str | bytes | bytearray):
            return model.model_validate_json(data)
        return model.model_validate(data)
    except ValidationError as fout:
        raise OngeldigePayload.uit(str(module), code, versie, fout, veldnamen(model)) from fout
