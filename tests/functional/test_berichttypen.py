"""GET /api/v1/berichttypen serves the catalogue of DESIGN §3 with the JSON Schema of every payload
(DESIGN §4), so vendors in any language can validate what they send and receive."""

from __future__ import annotations

from typing import Any

import pytest

from knooppunt.protocol.catalogus import CATALOGUS
from knooppunt.protocol.payloads import JSON_SCHEMA_DIALECT, schema_voor
from knooppunt.protocol.payloads.voorbeelden import voorbeeld


def test_een_berichttype_met_zijn_schema(cast: dict[str, Any], client_voor: Any) -> None:
    r = client_voor(cast["energie"]).get(
        "/berichttypen/saldoverzoek_antwoord", params={"module": "schuldregeling", "versie": "1.0"}
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["code"], body["module"], body["versie"]) == (
        "saldoverzoek_antwoord",
        "schuldregeling",
        "1.0",
    )
    assert body["versies"] == ["1.0", "2.0"]
    assert list(body["schemas"]) == ["1.0"]
    schema = body["schemas"]["1.0"]
    assert schema == schema_voor("schuldregeling", "saldoverzoek_antwoord", "1.0")
    assert schema["$schema"] == JSON_SCHEMA_DIALECT
    assert schema["$id"] == "urn:knooppunt:payload:schuldregeling:saldoverzoek_antwoord:1.0"
    assert {"klantnummerSE", "contactpersoonSE", "vorderingen", "totaalvordering"} <= set(
        schema["properties"]
    )


def test_berichten_van_het_knooppunt_zonder_schema(cast: dict[str, Any], client_voor: Any) -> None:
    client = client_voor(cast["gemeente"])
    for module in CATALOGUS.modulecodes():
        for code in ("foutbericht", "ontvangstbevestiging"):
            r = client.get(f"/berichttypen/{code}", params={"module": module})
            assert r.status_code == 200, r.text
            assert r.json()["schemas"] == {}
            assert r.json()["doorKnooppunt"] is True


def test_de_catalogus_met_alle_schemas(cast: dict[str, Any], client_voor: Any) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    r = client_voor(cast["gemeente"]).get("/berichttypen")
    assert r.status_code == 200, r.text
    typen = {(t["module"], t["code"], t["versie"]): t for t in r.json()["berichttypen"]}
    assert len(typen) == len(r.json()["berichttypen"])  # one entry per (module, code, versie)
    assert set(typen) == {(t.module, t.code, t.versie) for t in CATALOGUS.alle()}
    for (module, code, versie), t in typen.items():
        assert versie in t["versies"] and t["versies"] == list(CATALOGUS.versies(module, code))
        if t["doorKnooppunt"]:
            assert t["schemas"] == {}, code
            continue
        assert list(t["schemas"]) == [versie], code
        schema = t["schemas"][versie]
        # What a vendor does with the served schema: check it, then validate a payload with it.
        jsonschema.Draft202012Validator.check_schema(schema)
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        validator.validate(voorbeeld(module, code, versie))
        fout = {**voorbeeld(module, code, versie), "onbekendVeld": 1}
        assert list(validator.iter_errors(fout)), code


def test_bsn_alleen_in_het_schema_van_de_bsn_variant(cast: dict[str, Any], client_voor: Any) -> None:
    client = client_voor(cast["energie"])
    versie = {"module": "schuldregeling", "versie": "1.0"}
    r = client.get("/berichttypen/kennisgeving_bsn", params=versie)
    assert r.status_code == 200, r.text
    klant = r.json()["schemas"]["1.0"]["$defs"]["PersoonMetBsn"]
    assert "bsn" in klant["required"]
    r = client.get("/berichttypen/kennisgeving", params=versie)
    assert "bsn" not in r.json()["schemas"]["1.0"]["$defs"]["Persoon"]["properties"]


def test_par_4_berichttypen_per_module_en_versie(cast: dict[str, Any], client_voor: Any) -> None:
    """DESIGN §4: ``/berichttypen?module=&versie=`` narrows the catalogue to one module and version."""
    client = client_voor(cast["gemeente"])

    def codes(**params: str) -> set[tuple[str, str, str]]:
        r = client.get("/berichttypen", params=params)
        assert r.status_code == 200, r.text
        return {(t["module"], t["code"], t["versie"]) for t in r.json()["berichttypen"]}

    een = codes(module="schuldregeling", versie="1.0")
    twee = codes(module="schuldregeling", versie="2.0")
    assert {c for _, c, _ in een} - {c for _, c, _ in twee} == {"klant_onbekend"}
    assert {c for _, c, _ in twee} - {c for _, c, _ in een} == {"geen_medewerking", "heroverweging"}
    assert {(m, v) for m, _, v in een} == {("schuldregeling", "1.0")}
    assert codes(module="schuldregeling") == een | twee
    # Every module but schuldregeling is 2.0 only (DESIGN §3b).
    assert {m for m, _, _ in codes(versie="1.0")} == {"schuldregeling"}
    assert codes(module="pauzeknop", versie="1.0") == set()
    assert {c for _, c, _ in codes(module="pauzeknop")} == {
        "kennisgeving",
        "kennisgeving_bsn",
        "kennisgeving_antwoord",
        "geen_medewerking",
        "pauze_beeindigd",
        "foutbericht",
        "ontvangstbevestiging",
    }
    r = client.get("/berichttypen", params={"module": "bestaat_niet"})
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "module"
    # a version no module has is refused as an unknown module is (a versions probe: 200 and an
    # empty list, as if the hub had no types), naming the versions there are
    for onbekend in ("3.0", "1", "2.0.0"):
        r = client.get("/berichttypen", params={"versie": onbekend})
        assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "versie", r.text
    assert (
        "'1.0'" in r.json()["invalidParams"][0]["reason"]
        and "'2.0'" in r.json()["invalidParams"][0]["reason"]
    )


@pytest.mark.parametrize(
    ("module", "code", "versie", "werkdagen"),
    [
        ("schuldregeling", "saldoverzoek", "1.0", 5),
        ("schuldregeling", "saldoverzoek", "2.0", 10),
        ("schuldregeling", "heroverweging", "2.0", 10),
        ("saldoverzoek", "saldoverzoek_nuts", "2.0", 10),
        ("pauzeknop", "kennisgeving", "2.0", 10),
        ("bewind", "melding_bewind", "2.0", 10),
        ("waarborgfonds", "aanvraag_borgstelling", "2.0", 5),
        ("waarborgfonds", "verzoek_kredietinformatie", "2.0", 10),
        ("schuldregeling", "kennisgeving", "2.0", None),
    ],
)
def test_par_3a_antwoordtermijn_per_versie(
    cast: dict[str, Any], client_voor: Any, module: str, code: str, versie: str, werkdagen: int | None
) -> None:
    r = client_voor(cast["gemeente"]).get(
        f"/berichttypen/{code}", params={"module": module, "versie": versie}
    )
    assert r.status_code == 200, r.text
    assert r.json()["antwoordtermijnWerkdagen"] == werkdagen


def test_par_4_een_berichttype_per_module_en_versie(cast: dict[str, Any], client_voor: Any) -> None:
    """DESIGN §4: a code in several modules needs ``module`` (400); a version the type does not
    exist in is 404; without ``versie`` the highest version."""
    client = client_voor(cast["energie"])
    r = client.get("/berichttypen/kennisgeving")
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "MODULE_ONTBREEKT"
    assert r.json()["invalidParams"][0]["name"] == "module"
    assert "pauzeknop" in r.json()["detail"] and "schuldregeling" in r.json()["detail"]
    assert client.get("/berichttypen/geen_medewerking", params={"versie": "2.0"}).status_code == 400

    r = client.get("/berichttypen/kennisgeving", params={"module": "pauzeknop"})
    assert r.status_code == 200, r.text
    assert (r.json()["module"], r.json()["versie"], r.json()["antwoordVerwacht"]) == (
        "pauzeknop",
        "2.0",
        True,
    )
    r = client.get("/berichttypen/kennisgeving", params={"module": "schuldregeling"})
    assert (r.json()["versie"], r.json()["versies"]) == ("2.0", ["1.0", "2.0"])
    r = client.get("/berichttypen/klant_onbekend")  # in one module only: no module needed
    assert (r.status_code, r.json()["module"], r.json()["versie"]) == (200, "schuldregeling", "1.0")

    for code, params in [
        ("klant_onbekend", {"versie": "2.0"}),
        ("geen_medewerking", {"module": "schuldregeling", "versie": "1.0"}),
        ("heroverweging", {"module": "schuldregeling", "versie": "1.0"}),
        ("kennisgeving", {"module": "pauzeknop", "versie": "1.0"}),
        ("heroverweging", {"module": "pauzeknop"}),
        ("bestaat_niet", {}),
    ]:
        r = client.get(f"/berichttypen/{code}", params=params)
        assert r.status_code == 404, (code, params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
