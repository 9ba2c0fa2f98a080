"""The payload JSON Schemas that vendors validate against (GET /berichttypen): every pattern matches
a value whole. Python's jsonschema applies `pattern` with `re.search`, where `$` also matches
before a trailing newline; a BSN "999993653\\n" passed such a schema (DESIGN §4: matched whole)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads import schemas_per_versie
from knooppunt.protocol.payloads.voorbeelden import voorbeeld


def _patronen(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for sleutel, waarde in schema.items():
            if sleutel == "pattern" and isinstance(waarde, str):
                yield waarde
            else:
                yield from _patronen(waarde)
    elif isinstance(schema, list):
        for waarde in schema:
            yield from _patronen(waarde)


def _alle_schemas() -> Iterator[tuple[str, dict[str, Any]]]:
    for t in CATALOGUS.alle():
        for versie, schema in schemas_per_versie(t.module, t.code, (t.versie,)).items():
            yield f"{t.module}/{t.code}/{versie}", schema


def test_geen_dollar_in_de_patronen_van_de_payloadschemas() -> None:
    gevonden = [(naam, p) for naam, schema in _alle_schemas() for p in _patronen(schema) if "$" in p]
    assert not gevonden, gevonden
    assert any(True for naam, schema in _alle_schemas() for _ in _patronen(schema)), "geen patronen gevonden"


def test_bsn_met_regelovergang_voldoet_niet_aan_het_schema() -> None:
    schema = schemas_per_versie("schuldregeling", "kennisgeving_bsn", ("1.0",))["1.0"]
    goed = voorbeeld("schuldregeling", "kennisgeving_bsn")
    jsonschema.validate(goed, schema)
    fout = copy.deepcopy(goed)
    fout["klant"]["bsn"] = goed["klant"]["bsn"] + "\n"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(fout, schema)
