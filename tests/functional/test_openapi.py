"""The OpenAPI document vendors build against (DESIGN §4): served at /api/v1/openapi.json, every
endpoint of the wire contract in it, and NL API Design Rules conventions that also hold at
runtime. CI lints the same document with the Logius linter (bin/openapi-lint)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import structlog
from starlette.testclient import TestClient

from knooppunt import app as app_module
from knooppunt.api import deps
from knooppunt.api.openapi_export import openapi_document
from knooppunt.logging import configureer

# The table of DESIGN §4, relative to the server URL, with the operationIds clients are generated from.
CONTRACT = {
    ("post", "/berichten"): "verstuurBericht",
    ("post", "/verzendingen"): "verstuurBerichten",
    ("get", "/berichten"): "haalBerichtenOp",
    ("get", "/berichten/{referentienummer}"): "haalBerichtOp",
    ("post", "/berichten/{referentienummer}/bevestiging"): "bevestigBericht",
    ("post", "/bevestigingen"): "bevestigBerichten",
    ("post", "/berichten/{referentienummer}/weigering"): "weigerBericht",
    ("get", "/verzonden"): "haalVerzondenOp",
    ("get", "/logboek"): "haalLogboekOp",
    ("get", "/conversaties/{conversatieReferentienummer}"): "haalConversatieOp",
    ("get", "/adresboek"): "zoekInAdresboek",
    ("get", "/adresboek/{oin}"): "haalDeelnemerOp",
    ("get", "/berichttypen"): "haalBerichttypenOp",
    ("get", "/berichttypen/{code}"): "haalBerichttypeOp",
    ("get", "/audit/checkpoint"): "haalAuditCheckpointOp",
}
QUERY = {
    ("get", "/berichten"): {"limit", "berichttype", "afzender", "module"},
    ("get", "/verzonden"): {"status", "conversatieReferentienummer", "module"},
    ("get", "/logboek"): {"vanaf", "tot", "richting", "module", "berichttype", "limit", "volgende"},
    ("get", "/adresboek"): {"rol", "module", "zoek"},
}
METHODEN = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
LOWER_CAMEL = re.compile(r"^[a-z][a-z\d]*([A-Z][a-z\d]*)*$")


@pytest.fixture
def document(client_voor: Any) -> dict[str, Any]:
    r = client_voor(None).get("/openapi.json")  # public: vendors read it before they have a certificate
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    assert r.headers["API-Version"] == "1.0.0"
    body: dict[str, Any] = r.json()
    return body


def _operaties(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (methode, pad, operatie)
        for pad, item in document["paths"].items()
        for methode, operatie in item.items()
        if methode in METHODEN
    ]


def _los_op(document: dict[str, Any], waarde: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in waarde:
        onderdelen = waarde["$ref"].removeprefix("#/").split("/")
        waarde = document
        for onderdeel in onderdelen:
            waarde = waarde[onderdeel]
    return waarde


def test_document_volgt_de_nl_api_design_rules_kop(document: dict[str, Any]) -> None:
    assert re.fullmatch(r"3\.\d+\.\d+", document["openapi"])
    assert [s["url"] for s in document["servers"]] == ["/api/v1"]
    assert SEMVER.match(document["info"]["version"])
    assert document["info"]["version"] == "1.0.0"
    contact = document["info"]["contact"]
    assert contact["name"] and contact["url"] and "@" in contact["email"]


def test_elk_pad_van_het_contract_met_de_juiste_methoden(document: dict[str, Any]) -> None:
    gevonden = {(methode, pad): operatie["operationId"] for methode, pad, operatie in _operaties(document)}
    assert gevonden == CONTRACT
    assert all(not pad.startswith("/api/") and not pad.endswith("/") for pad in document["paths"])


def test_query_parameters_in_lower_camel_case(document: dict[str, Any]) -> None:
    for methode, pad, operatie in _operaties(document):
        namen = {p["name"] for p in operatie.get("parameters", []) if p["in"] == "query"}
        assert QUERY.get((methode, pad), set()) <= namen, (methode, pad)
        for naam in namen:
            assert LOWER_CAMEL.match(naam), (methode, pad, naam)


def test_api_version_op_elk_antwoord(document: dict[str, Any]) -> None:
    for methode, pad, operatie in _operaties(document):
        for status, antwoord in operatie["responses"].items():
            header = _los_op(document, antwoord["headers"]["API-Version"])
            assert header["schema"]["type"] == "string", (methode, pad, status)
            assert header["schema"]["example"] == document["info"]["version"]


def test_fouten_zijn_problem_json(document: dict[str, Any]) -> None:
    for methode, pad, operatie in _operaties(document):
        fouten = {s: a for s, a in operatie["responses"].items() if s.startswith(("4", "5"))}
        assert "401" in fouten, (methode, pad)  # every endpoint needs a registered certificate
        for status, antwoord in fouten.items():
            assert list(antwoord["content"]) == ["application/problem+json"], (methode, pad, status)
            schema = _los_op(document, antwoord["content"]["application/problem+json"]["schema"])
            assert {"status", "title", "detail", "code"} <= set(schema["required"])
            assert "invalidParams" in schema["properties"]
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_400_op_elke_post_en_elke_get_met_parameters(document: dict[str, Any]) -> None:
    for methode, pad, operatie in _operaties(document):
        if methode == "post" or operatie.get("parameters"):
            assert "400" in operatie["responses"], (methode, pad)
        assert "422" not in operatie["responses"] or methode == "post", (methode, pad)


def test_export_is_wat_het_knooppunt_serveert(document: dict[str, Any]) -> None:
    assert openapi_document() == document


# --- the documented conventions hold at runtime ----------------------------------------------------


def _is_probleem(r: Any, status: int, code: str) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["API-Version"] == "1.0.0"
    assert r.json()["code"] == code
    assert {"status", "title", "detail"} <= set(r.json())


def test_foutantwoorden_hebben_versie_en_problem_json(client_voor: Any) -> None:
    anoniem = client_voor(None)
    _is_probleem(anoniem.get("/berichten"), 401, "NIET_GEAUTHENTICEERD")
    _is_probleem(anoniem.get("/bestaat-niet"), 404, "NIET_GEVONDEN")
    _is_probleem(anoniem.delete("/berichten"), 405, "METHODE_NIET_TOEGESTAAN")


def test_ongeldige_parameter_is_400_met_invalid_params(cast: dict[str, Any], client_voor: Any) -> None:
    r = client_voor(cast["energie"]).get("/berichten", params={"limit": 0})
    _is_probleem(r, 400, "ONGELDIG_VERZOEK")
    assert [p["name"] for p in r.json()["invalidParams"]] == ["limit"]


@pytest.mark.parametrize("met_lengte", [True, False], ids=["content-length", "chunked"])
def test_te_groot_verzoek_is_413(rt: Any, client_voor: Any, met_lengte: bool) -> None:
    """Also without Content-Length: a streamed body is cut off at the limit and answered 413, not
    as an unreadable body (400)."""
    blok = b"x" * 65536
    aantal = rt.settings.max_request_bytes // len(blok) + 2
    inhoud: Any = blok * aantal if met_lengte else (blok for _ in range(aantal))
    r = client_voor(None).post("/bevestigingen", content=inhoud, headers={"content-type": "application/json"})
    _is_probleem(r, 413, "TE_GROOT")
    assert "minder referentienummers" in r.json()["detail"]
    # the advice fits the path (a wire probe: a single submit was told to send fewer envelopes)
    r = client_voor(None).post(
        "/berichten", content=blok * aantal, headers={"content-type": "application/json"}
    )
    _is_probleem(r, 413, "TE_GROOT")
    assert "inhoud kleiner" in r.json()["detail"] and "/verzendingen" not in r.json()["detail"]
    r = client_voor(None).post(
        "/verzendingen", content=blok * aantal, headers={"content-type": "application/json"}
    )
    _is_probleem(r, 413, "TE_GROOT")
    assert "minder enveloppen per POST /verzendingen" in r.json()["detail"]


def test_onverwachte_fout_is_500_problem_json(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def kapot(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database weg")

    monkeypatch.setattr(deps.crl_staat, "nu_en_versie", kapot)
    with TestClient(app, base_url="https://testserver/api/v1", raise_server_exceptions=False) as client:
        r = client.get("/berichttypen")
    _is_probleem(r, 500, "INTERNE_FOUT")
    assert "database weg" not in r.text


@pytest.mark.parametrize(
    ("methode", "pad"),
    [("GET", "/berichttypen"), ("POST", "/bevestigingen")],
    ids=["fastapi", "snelle-weg"],
)
def test_onverwachte_fout_is_een_json_logregel_zonder_traceback(
    app: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], methode: str, pad: str
) -> None:
    """docs/operations.md "Logs": every line `knooppunt serve` writes on stderr is one JSON object.
    An unexpected error in the API (here on the FastAPI route and on the fast path of api/snel.py)
    is one line `onverwachte fout` with path, type, message and place; it no longer reaches the
    server, which printed "Exception in ASGI application" and a plain-text traceback (the portal
    had this already; an operator probe found the API still did)."""
    configureer()  # JSON lines on this test's captured stderr, as `knooppunt serve` logs
    structlog.configure(cache_logger_on_first_use=False)
    # The module's logger may have been cached by an earlier test, bound to that test's stderr.
    monkeypatch.setattr(app_module, "log", structlog.get_logger("knooppunt.api"))
    capsys.readouterr()

    def kapot(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("database weg")

    monkeypatch.setattr(deps.crl_staat, "nu_en_versie", kapot)
    # raise_server_exceptions (the default): an exception that reached the server would raise here
    with TestClient(app, base_url="https://testserver/api/v1") as client:
        r = client.request(methode, pad, json={"referentienummers": []} if methode == "POST" else None)
    _is_probleem(r, 500, "INTERNE_FOUT")
    fouten = capsys.readouterr().err
    regels = [json.loads(regel) for regel in fouten.splitlines() if regel.strip()]
    onverwacht = [r for r in regels if r["event"] == "onverwachte fout"]
    assert len(onverwacht) == 1, fouten
    assert onverwacht[0]["path"] == "/api/v1" + pad and onverwacht[0]["level"] == "error"
    assert onverwacht[0]["fout"] == "builtins.RuntimeError" and onverwacht[0]["reden"] == "database weg"
    assert onverwacht[0]["waar"][0].startswith("test_openapi.py:")
    assert "Traceback" not in fouten
