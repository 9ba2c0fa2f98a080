"""GET /api/v1/berichttypen serves the catalogue of DESIGN §3 with the JSON Schema of every payload
(DESIGN §4), so vendors in any language can validate what they send and receive."""

from __future__ import annotations

from typing import Any

import pytest

from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads import JSON_SCHEMA_DIALECT, schema_voor
from knooppunt.protocol.payloads.voorbeelden import voorbeeld


def test_een_berichttype_met_zijn_schema(cast: dict[str, Any], client_voor: Any) -> None:
    r = client_voor(cast["energie"]).get("/berichttypen/saldoverzoek_antwoord")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["code"] == "saldoverzoek_antwoord"
    assert list(body["schemas"]) == body["versies"] == ["1.0"]
    schema = body["schemas"]["1.0"]
    assert schema == schema_voor("schuldregeling", "saldoverzoek_antwoord", "1.0")
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["$id"] == "urn:knooppunt:payload:schuldregeling:saldoverzoek_antwoord:1.0"
    assert {"klantnummerSE", "contactpersoonSE", "vorderingen", "totaalvordering"} <= set(
        schema["properties"]
    )


def test_berichten_van_het_knooppunt_zonder_schema(cast: dict[str, Any], client_voor: Any) -> None:
    for code in ("foutbericht", "ontvangstbevestiging"):
        r = client_voor(cast["gemeente"]).get(f"/berichttypen/{code}")
        assert r.status_code == 200, r.text
        assert r.json()["schemas"] == {}
        assert r.json()["doorKnooppunt"] is True


def test_de_catalogus_met_alle_schemas(cast: dict[str, Any], client_voor: Any) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    r = client_voor(cast["gemeente"]).get("/berichttypen")
    assert r.status_code == 200, r.text
    typen = {t["code"]: t for t in r.json()["berichttypen"]}
    assert set(typen) == {t.code for t in CATALOGUS.alle()}
    for code, t in typen.items():
        if t["doorKnooppunt"]:
            assert t["schemas"] == {}, code
            continue
        assert list(t["schemas"]) == t["versies"], code
        for versie, schema in t["schemas"].items():
            # What a vendor does with the served schema: check it, then validate a payload with it.
            jsonschema.Draft202012Validator.check_schema(schema)
            validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
            validator.validate(voorbeeld(t["module"], code, versie))
            fout = {**voorbeeld(t["module"], code, versie), "onbekendVeld": 1}
            assert list(validator.iter_errors(fout)), code


def test_bsn_alleen_in_het_schema_van_de_bsn_variant(cast: dict[str, Any], client_voor: Any) -> None:
    client = client_voor(cast["energie"])
    r = client.get("/berichttypen/kennisgeving_bsn", params={"module": "schuldregeling"})
    assert r.status_code == 200, r.text
    klant = r.json()["schemas"]["1.0"]["$defs"]["PersoonMetBsn"]
    assert "bsn" in klant["required"]
    r = client.get("/berichttypen/kennisgeving")
    assert "bsn" not in r.json()["schemas"]["1.0"]["$defs"]["Persoon"]["properties"]
