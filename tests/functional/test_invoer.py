"""What API v1 accepts, and how it refuses the rest (DESIGN §4, issue #11 items 1, 2 and 8):
identifiers matched whole and canonical, strict JSON, every refusal a 4xx problem+json in Dutch
that names the field — never a 500 — and audited like any other refusal."""

from __future__ import annotations

import ast
import base64
import json
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from knooppunt.api import cursor as api_cursor
from knooppunt.api import invoer, schemas, v1
from knooppunt.api.openapi_export import openapi_document
from knooppunt.hub.mailbox import WEIGERREDENEN
from knooppunt.protocol import identificatie, jwe
from knooppunt.protocol.catalogus import CATALOGUS, Rol
from knooppunt.runtime import Runtime
from knooppunt.store.models import Auditregel, Bericht
from tests.conftest import MetCertificaat
from tests.factories import Partij, envelop
from tests.functional.server import start_hub

UUID_VELDEN = ["referentienummer", "conversatieReferentienummer", "crossReferentienummer"]


def _probleem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["API-Version"] == "1.0.0"
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    return body


def _namen(body: dict[str, Any]) -> list[str]:
    return [p["name"] for p in body.get("invalidParams", [])]


def _client(app: Any, partij: Partij | None) -> TestClient:
    # raise_server_exceptions=False: a 500 must show up as a 500 here, not as a raised error.
    return TestClient(
        MetCertificaat(app, partij.pem if partij else None),
        base_url="https://testserver/api/v1",
        raise_server_exceptions=False,
    )


def _aantal_berichten(rt: Runtime) -> int:
    with rt.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Bericht)) or 0)


# --- item 1: identifiers matched whole, canonical ------------------------------------------------


def _patronen(waarde: Any) -> list[str]:
    if isinstance(waarde, dict):
        eigen = [waarde["pattern"]] if isinstance(waarde.get("pattern"), str) else []
        return eigen + [p for w in waarde.values() for p in _patronen(w)]
    if isinstance(waarde, list):
        return [p for w in waarde for p in _patronen(w)]
    return []


def test_geen_dollar_in_de_wire_patronen() -> None:
    """A `$` also matches before a trailing newline (Python re): an identifier with "\\n" passed.
    Neither the served document nor the patterns in the code may carry one."""
    document = openapi_document()
    patronen = _patronen(document)
    assert identificatie.UUID_PATROON in patronen and identificatie.OIN_PATROON in patronen
    assert [p for p in patronen if "$" in p] == []
    in_code = [identificatie.UUID_PATROON, identificatie.OIN_PATROON, *_patronen(schemas.UUID_SCHEMA)]
    assert [p for p in in_code if "$" in p] == []
    for bron in (v1, schemas, invoer, identificatie, jwe):
        tekst = Path(str(bron.__file__)).read_text(encoding="utf-8")
        assert not re.search(r"pattern\s*=", tekst), f"{bron.__name__}: a pattern= outside one home"
        teksten = [k.value for k in ast.walk(ast.parse(tekst)) if isinstance(k, ast.Constant)]
        met_dollar = [t for t in teksten if isinstance(t, str) and "$" in t.replace("$ref", "")]
        assert met_dollar == [], f"{bron.__name__}: {met_dollar}"


def test_document_en_knooppunt_zijn_het_eens_over_een_uuid() -> None:
    """The document's pattern + exact length accept exactly what the hub accepts."""
    patroon = re.compile(identificatie.UUID_PATROON)  # unanchored search, as JSON Schema does

    def volgens_document(w: str) -> bool:
        return len(w) == identificatie.UUID_LENGTE and patroon.search(w) is not None

    goed = str(uuid.uuid4())
    for waarde in (
        goed,
        goed + "\n",
        goed.upper(),
        goed + "a",
        goed[:-1],
        "\n" + goed,
        goed.replace("-", ""),
    ):
        assert volgens_document(waarde) == identificatie.is_uuid(waarde), repr(waarde)
    assert identificatie.is_uuid(goed)


@pytest.mark.parametrize("veld", UUID_VELDEN)
@pytest.mark.parametrize(
    "vervalsing",
    [lambda u: u + "\n", str.upper, lambda u: u + "0", lambda u: " " + u],
    ids=["nl", "hoofdletters", "37", "spatie"],
)
def test_identificatie_in_de_body_moet_heel_en_canoniek_zijn(
    cast: dict[str, Partij], app: Any, rt: Runtime, veld: str, vervalsing: Any
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = envelop(gemeente, energie, "saldoverzoek")
    waarde = env[veld] or str(uuid.uuid4())
    r = _client(app, gemeente).post("/berichten", json=env | {veld: vervalsing(waarde)})
    body = _probleem(r, 400, "ONGELDIG_VERZOEK")
    assert _namen(body) == [veld]
    assert "kleine letters" in body["invalidParams"][0]["reason"]
    assert _aantal_berichten(rt) == 0


def test_referentienummer_met_regelovergang_omzeilt_de_idempotentie_niet(
    cast: dict[str, Partij], app: Any, rt: Runtime
) -> None:
    """Before: "<uuid>\\n" was stored as a second message beside "<uuid>" (SQLite)."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    shv = _client(app, gemeente)
    env = envelop(gemeente, energie, "saldoverzoek")
    assert shv.post("/berichten", json=env).status_code == 201
    r = shv.post("/berichten", json=env | {"referentienummer": env["referentienummer"] + "\n"})
    _probleem(r, 400, "ONGELDIG_VERZOEK")
    assert shv.post("/berichten", json=env).status_code == 200
    assert _aantal_berichten(rt) == 1


def test_tweede_schuldhulpverlener_schrijft_niet_in_andermans_conversatie(
    cast: dict[str, Partij], app: Any
) -> None:
    gemeente, kredietbank, energie = cast["gemeente"], cast["kredietbank"], cast["energie"]
    eerste = envelop(gemeente, energie, "saldoverzoek")
    assert _client(app, gemeente).post("/berichten", json=eerste).status_code == 201
    conversatie = eerste["conversatieReferentienummer"]
    tweede = envelop(kredietbank, energie, "saldoverzoek", conversatie=conversatie)
    kb = _client(app, kredietbank)
    r = kb.post("/berichten", json=tweede | {"conversatieReferentienummer": conversatie + "\n"})
    assert _namen(_probleem(r, 400, "ONGELDIG_VERZOEK")) == ["conversatieReferentienummer"]
    r = kb.post("/berichten", json=tweede)
    assert (r.status_code, r.json()["code"]) == (422, "ONGELDIGE_CONVERSATIE")


def test_identificatie_in_pad_en_query_moet_heel_en_canoniek_zijn(cast: dict[str, Partij], app: Any) -> None:
    energie, gemeente = cast["energie"], cast["gemeente"]
    se = _client(app, energie)
    u = str(uuid.uuid4())
    for vals in (u.upper(), u + "a", u + "%00", u + "%0D"):
        for pad in (f"/berichten/{vals}", f"/conversaties/{vals}"):
            _probleem(se.get(pad), 400, "ONGELDIG_VERZOEK")
        _probleem(se.post(f"/berichten/{vals}/bevestiging"), 400, "ONGELDIG_VERZOEK")
    # A newline at the end of the path is part of the identifier, which the route refuses
    # (the mount matches the whole path: app._heel_pad).
    for pad in (f"/berichten/{u}%0A", f"/conversaties/{u}%0A", f"/adresboek/{gemeente.oin}%0A"):
        _probleem(se.get(pad), 400, "ONGELDIG_VERZOEK")
    for vals in (u + "\n", u.upper(), u + "a", u + "\x00"):
        r = se.get("/verzonden", params={"conversatieReferentienummer": vals})
        assert _namen(_probleem(r, 400, "ONGELDIG_VERZOEK")) == ["conversatieReferentienummer"]
        r = se.post("/bevestigingen", json={"referentienummers": [u, vals]})
        assert _namen(_probleem(r, 400, "ONGELDIG_VERZOEK")) == ["referentienummers.1"]
    for oin in (gemeente.oin + "%0D", gemeente.oin + "0", gemeente.oin[:-1] + "x"):
        _probleem(se.get(f"/adresboek/{oin}"), 400, "ONGELDIG_VERZOEK")
    r = se.get("/berichten", params={"afzender": gemeente.oin + "\n"})
    assert _namen(_probleem(r, 400, "ONGELDIG_VERZOEK")) == ["afzender"]
    assert se.get("/berichten", params={"afzender": "KNOOPPUNT"}).status_code == 200
    assert se.get(f"/berichten/{u}").status_code == 404


# --- item 2: no participant can cause a 500 -------------------------------------------------------


def _jwe_met_kop(inhoud: str, kop: dict[str, Any] | str) -> str:
    ruw = kop if isinstance(kop, str) else json.dumps(kop)
    b64 = base64.urlsafe_b64encode(ruw.encode()).rstrip(b"=").decode()
    return ".".join([b64, *inhoud.split(".")[1:]])


def _b64(n: int) -> str:
    return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()


def test_jwe_kop_van_elke_vorm_is_een_400(cast: dict[str, Partij], app: Any) -> None:
    gemeente, zorg = cast["gemeente"], cast["zorg"]  # zorg has a P-256 key: ECDH-ES with an epk
    shv = _client(app, gemeente)
    goed = envelop(gemeente, zorg, "saldoverzoek")
    kop = json.loads(base64.urlsafe_b64decode(goed["inhoud"].split(".")[0] + "=="))
    assert kop["alg"] == "ECDH-ES+A256KW"
    epk = kop["epk"]
    gevallen: dict[str, dict[str, Any] | str] = {
        "enc lijst": kop | {"enc": ["A256GCM"]},
        "enc object": kop | {"enc": {"A256GCM": 1}},
        "alg lijst": kop | {"alg": ["ECDH-ES+A256KW"]},
        "alg object": kop | {"alg": {"x": 1}},
        "kid lijst": kop | {"kid": [kop["kid"]]},
        "groot getal": json.dumps(kop)[:-1] + ', "p2c": ' + "9" * 5000 + "}",
        "diep genest": json.dumps(kop)[:-1] + ', "x": ' + "[" * 5000 + "]" * 5000 + "}",
        "NaN": json.dumps(kop)[:-1] + ', "x": NaN}',
        "epk ontbreekt": {k: v for k, v in kop.items() if k != "epk"},
        "epk lijst": kop | {"epk": [epk]},
        "epk andere curve": kop | {"epk": epk | {"crv": "P-384"}},
        "epk niet op de curve": kop
        | {"epk": epk | {"y": _b64(int.from_bytes(base64.urlsafe_b64decode(epk["y"] + "="), "big") ^ 1)}},
        "epk x te groot": kop | {"epk": epk | {"x": _b64(2**256 - 1)}},
        "epk x geen tekst": kop | {"epk": epk | {"x": 5}},
        "epk met private sleutel": kop | {"epk": epk | {"d": epk["x"]}},
    }
    for naam, nieuw in gevallen.items():
        r = shv.post(
            "/berichten",
            json=goed
            | {"inhoud": _jwe_met_kop(goed["inhoud"], nieuw), "referentienummer": str(uuid.uuid4())},
        )
        assert r.status_code == 400, (naam, r.text)
        assert _namen(_probleem(r, 400, "ONGELDIGE_INHOUD")) == ["inhoud"], naam
    assert shv.post("/berichten", json=goed).status_code == 201


@pytest.mark.parametrize(
    ("tekst", "veld", "woorden"),
    [
        (b'{"referentienummer": NaN}', "referentienummer", "NaN"),
        (b'{"a": {"b": Infinity}}', "a.b", "Infinity"),
        (b'{"a": [1, -Infinity]}', "a.1", "-Infinity"),
        (b'{"referentienummer": ' + b"9" * 5000 + b"}", "referentienummer", "5000 cijfers"),
        (b'{"x": 1e999}', "x", "te groot"),
        (b'{"x": ' + b"[" * 40 + b"]" * 40 + b"}", "x." + ".".join(["0"] * 32), "genest"),
    ],
    ids=["nan", "infinity", "min-infinity", "5000-cijfers", "1e999", "40-diep"],
)
def test_json_buiten_rfc_8259_is_een_400_die_het_veld_noemt(
    cast: dict[str, Partij], app: Any, tekst: bytes, veld: str, woorden: str
) -> None:
    r = _client(app, cast["gemeente"]).post(
        "/berichten", content=tekst, headers={"content-type": "application/json"}
    )
    body = _probleem(r, 400, "ONGELDIG_VERZOEK")
    assert _namen(body) == [veld]
    assert woorden in body["invalidParams"][0]["reason"]


def test_diep_geneste_json_is_een_400(cast: dict[str, Partij], app: Any) -> None:
    r = _client(app, cast["gemeente"]).post(
        "/berichten", content=b"[" * 100_000 + b"]" * 100_000, headers={"content-type": "application/json"}
    )
    body = _probleem(r, 400, "ONGELDIG_VERZOEK")
    assert "genest" in body["detail"]


def test_kapotte_json_noemt_regel_en_kolom_in_het_nederlands(cast: dict[str, Partij], app: Any) -> None:
    r = _client(app, cast["gemeente"]).post(
        "/berichten",
        content=b'{\n  "referentienummer": "x",\n  "module" "schuldregeling"\n}',
        headers={"content-type": "application/json"},
    )
    body = _probleem(r, 400, "ONGELDIG_VERZOEK")
    assert body["invalidParams"] == [{"name": "body", "reason": "regel 3, kolom 12: hier hoort een ':'"}]
    assert "JSON decode error" not in r.text


@pytest.mark.parametrize("soort", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_body_die_geen_json_is_krijgt_415(cast: dict[str, Partij], app: Any, soort: str) -> None:
    shv = _client(app, cast["gemeente"])
    for pad in ("/berichten", "/bevestigingen", f"/berichten/{uuid.uuid4()}/weigering"):
        r = shv.post(pad, content=b"referentienummer=x", headers={"content-type": soort})
        body = _probleem(r, 415, "GEEN_JSON")
        assert "application/json" in body["detail"]


@pytest.mark.parametrize(
    "soort",
    [None, "text/json", "application/merge-patch+json", "application/vnd.foo+json", "application/jsonx"],
)
def test_json_zonder_of_met_een_ander_content_type_krijgt_415(
    cast: dict[str, Partij], app: Any, soort: str | None
) -> None:
    """docs/api.md: "sent as `Content-Type: application/json`. Another content type is `415
    GEEN_JSON`" — also a JSON object without a Content-Type (before: 400 "body moet een JSON-object
    zijn", about a body that is one) or with a `+json` type FastAPI would read (before: accepted)."""
    shv = _client(app, cast["gemeente"])
    kop = {} if soort is None else {"content-type": soort}
    for pad in ("/berichten", "/bevestigingen", f"/berichten/{uuid.uuid4()}/weigering"):
        r = shv.post(pad, content=json.dumps({"referentienummers": []}).encode(), headers=kop)
        body = _probleem(r, 415, "GEEN_JSON")
        assert "application/json" in body["detail"]
    # Parameters of application/json are fine; an empty body without a type says what is missing.
    r = shv.post(
        "/bevestigingen",
        content=json.dumps({"referentienummers": [str(uuid.uuid4())]}).encode(),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200, r.text
    leeg = _probleem(shv.post("/berichten"), 400, "ONGELDIG_VERZOEK")
    assert leeg["invalidParams"] == [{"name": "body", "reason": "ontbreekt: stuur een JSON-object"}]


def test_lege_envelop_noemt_elk_ontbrekend_veld_in_het_nederlands(cast: dict[str, Partij], app: Any) -> None:
    r = _client(app, cast["gemeente"]).post("/berichten", json={})
    body = _probleem(r, 400, "ONGELDIG_VERZOEK")
    verplicht = [
        "referentienummer",
        "conversatieReferentienummer",
        "berichttype",
        "module",
        "versie",
        "ontvanger",
        "inhoud",
    ]
    assert _namen(body) == verplicht
    assert {p["reason"] for p in body["invalidParams"]} == {"ontbreekt"}
    assert body["detail"] == "Het verzoek klopt niet: deze velden ontbreken: " + ", ".join(verplicht) + "."
    assert "Field required" not in r.text


def test_elke_fout_tegelijk_ook_een_onbekend_berichttype(cast: dict[str, Partij], app: Any) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = envelop(gemeente, energie, "saldoverzoek")
    shv = _client(app, gemeente)
    r = shv.post(
        "/berichten", json=env | {"referentienummer": "x", "berichttype": "bestaat_niet", "ontvanger": "1"}
    )
    body = _probleem(r, 400, "ONGELDIG_VERZOEK")
    assert _namen(body) == ["referentienummer", "ontvanger", "berichttype"]
    r = shv.post("/berichten", json=env | {"referentienummer": "x", "versie": "9.9"})
    assert _namen(_probleem(r, 400, "ONGELDIG_VERZOEK")) == ["referentienummer", "versie"]
    r = shv.post("/berichten", json=env | {"referentienummer": "x", "module": "bewind"})
    assert _namen(_probleem(r, 400, "ONGELDIG_VERZOEK")) == ["referentienummer", "module"]


def test_cursor_met_een_groot_getal_is_een_400(cast: dict[str, Partij], app: Any, rt: Runtime) -> None:
    se = _client(app, cast["energie"])

    def cursor(tekst: str) -> str:
        return base64.urlsafe_b64encode(tekst.encode()).rstrip(b"=").decode()

    for pad, waarde in [
        ("/berichten", "id:" + "9" * 100),
        ("/berichten", "id:9223372036854775808"),
        ("/berichten", "id:-1"),
        ("/verzonden", "id:" + "9" * 5000),
        ("/adresboek", "oin:\x00"),
        ("/adresboek", "oin:" + "9" * 100),
    ]:
        r = se.get(pad, params={"volgende": cursor(waarde)[:200]})
        assert _namen(_probleem(r, 400, "ONGELDIG_VERZOEK")) == ["volgende"], (pad, waarde[:20])
    # the largest id, in a cursor the hub made: a page (empty)
    grootste = api_cursor.maak(rt.dagsleutels.hoofdsleutels, "berichten", 9223372036854775807)
    assert se.get("/berichten", params={"volgende": grootste}).status_code == 200
    for waarde in (0, 9223372036854775808):
        r = se.get(
            "/berichten",
            params={"volgende": api_cursor.maak(rt.dagsleutels.hoofdsleutels, "berichten", waarde)},
        )
        assert _namen(_probleem(r, 400, "ONGELDIG_VERZOEK")) == ["volgende"], waarde


def test_limit_is_een_gewoon_geschreven_getal(cast: dict[str, Partij], app: Any) -> None:
    """DESIGN §4: every value "must already be canonical … anything malformed in a … query … is a
    4xx problem+json": `limit` in plain digits, not " 5", "+5", "05", "5.0" or "1e2"."""
    se = _client(app, cast["energie"])
    for pad in ("/berichten", "/verzonden", "/logboek", "/adresboek"):
        for waarde in (" 5", "5 ", "+5", "05", "5.0", "1e2", "0x5", "٥"):
            r = se.get(pad, params={"limit": waarde})
            assert _namen(_probleem(r, 400, "ONGELDIG_VERZOEK")) == ["limit"], (pad, waarde)
        for waarde in ("0", "1001"):
            assert _namen(_probleem(se.get(pad, params={"limit": waarde}), 400, "ONGELDIG_VERZOEK")) == [
                "limit"
            ], (pad, waarde)
        assert se.get(pad, params={"limit": "5"}).status_code == 200, pad


def test_stuurteken_in_een_parameter_is_een_400(cast: dict[str, Partij], app: Any) -> None:
    se = _client(app, cast["energie"])
    for pad, parameter in [("/berichten", "berichttype"), ("/adresboek", "zoek")]:
        for teken in ("\x00", "\n", "\x7f"):
            r = se.get(pad, params={parameter: f"a{teken}b"})
            assert _namen(_probleem(r, 400, "ONGELDIG_VERZOEK")) == [parameter]
    _probleem(se.get("/berichttypen/saldo%00verzoek"), 400, "ONGELDIG_VERZOEK")
    env = envelop(cast["gemeente"], cast["energie"], "saldoverzoek")
    r = _client(app, cast["gemeente"]).post("/berichten", json=env | {"berichttype": "saldo\x00verzoek"})
    assert _namen(_probleem(r, 400, "ONGELDIG_VERZOEK")) == ["berichttype"]


def test_onbekende_weigerreden_is_een_400_en_staat_als_enum_in_het_document(
    cast: dict[str, Partij], app: Any
) -> None:
    assert set(get_args(schemas.Weigerreden)) == set(WEIGERREDENEN)
    document = openapi_document()
    reden = document["components"]["schemas"]["WeigeringCreate"]["properties"]["reden"]
    assert set(reden["enum"]) == set(WEIGERREDENEN)
    assert set(get_args(v1.ModuleCode)) == set(CATALOGUS.modulecodes())  # the registry's modules
    assert set(get_args(v1.RolCode)) == {r.value for r in Rol} - {"KNOOPPUNT"}
    r = _client(app, cast["energie"]).post(f"/berichten/{uuid.uuid4()}/weigering", json={"reden": "ZOMAAR"})
    assert _namen(_probleem(r, 400, "ONGELDIG_VERZOEK")) == ["reden"]


@pytest.mark.parametrize(
    "pad",
    [
        "/api/v1/berichten%0a/x",
        "/api/v1/%00",
        "/%00",
        "/api%0a/v1/berichten",
        "/bestaat-niet",
        "/api/v1/bestaat-niet",
    ],
)
def test_404_is_problem_json_ook_met_stuurtekens(app: Any, pad: str) -> None:
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    r = client.get(pad)
    body = _probleem(r, 404, "NIET_GEVONDEN")
    assert "\n" not in body["detail"] and "\x00" not in body["detail"]


@pytest.mark.parametrize(
    ("methode", "pad", "toegestaan"),
    [
        ("DELETE", "/api/v1/berichten", {"GET", "POST"}),
        ("PUT", "/api/v1/adresboek", {"GET"}),
        ("GET", "/api/v1/bevestigingen", {"POST"}),
        ("POST", "/", {"GET"}),
        ("DELETE", "/", {"GET"}),
    ],
)
def test_elke_405_is_problem_json_met_allow(app: Any, methode: str, pad: str, toegestaan: set[str]) -> None:
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    r = client.request(methode, pad)
    _probleem(r, 405, "METHODE_NIET_TOEGESTAAN")
    assert {m.strip() for m in r.headers["Allow"].split(",")} - {"HEAD"} == toegestaan


# --- refusals are audited ----------------------------------------------------------------------


def _auditregels(rt: Runtime) -> list[tuple[str, str | None, str | None, str | None]]:
    with rt.sessions() as session:
        return [
            (r.actie, r.actor, r.uitkomst, r.referentienummer)
            for r in session.scalars(
                select(Auditregel).where(Auditregel.actie == "geweigerd_verzoek").order_by(Auditregel.id)
            )
        ]


def test_ongeldig_verzoek_van_een_deelnemer_krijgt_een_auditregel(
    cast: dict[str, Partij], app: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    shv = _client(app, gemeente)
    env = envelop(gemeente, energie, "saldoverzoek")
    _probleem(
        shv.post("/berichten", json=env | {"referentienummer": env["referentienummer"] + "\n"}),
        400,
        "ONGELDIG_VERZOEK",
    )
    _probleem(
        shv.post("/berichten", content=b'{"x": NaN}', headers={"content-type": "application/json"}),
        400,
        "ONGELDIG_VERZOEK",
    )
    _probleem(shv.post("/berichten", content=b"x", headers={"content-type": "text/plain"}), 415, "GEEN_JSON")
    _probleem(_client(app, energie).get("/berichten", params={"volgende": "!!"}), 400, "ONGELDIG_VERZOEK")
    r = _client(app, energie).post("/bevestigingen", content=b"x", headers={"content-type": "text/plain"})
    _probleem(r, 415, "GEEN_JSON")
    # Without a certificate: 401, never a description of the body, and nobody to audit.
    _probleem(_client(app, None).post("/berichten", content=b'{"x": NaN}'), 401, "NIET_GEAUTHENTICEERD")
    assert _auditregels(rt) == [
        ("geweigerd_verzoek", gemeente.oin, "ONGELDIG_VERZOEK verstuurBericht", None),
        ("geweigerd_verzoek", gemeente.oin, "ONGELDIG_VERZOEK verstuurBericht", None),
        ("geweigerd_verzoek", gemeente.oin, "GEEN_JSON verstuurBericht", None),
        ("geweigerd_verzoek", energie.oin, "ONGELDIG_VERZOEK haalBerichtenOp", None),
        ("geweigerd_verzoek", energie.oin, "GEEN_JSON bevestigBerichten", None),
    ]


# --- item 8: one time zone ---------------------------------------------------------------------


def test_melding_bevestigd_op_is_europe_amsterdam_zoals_elke_tijd(
    cast: dict[str, Partij], client_voor: Any
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = envelop(gemeente, energie, "saldoverzoek")
    assert client_voor(gemeente).post("/berichten", json=env).status_code == 201
    bevestigd = client_voor(energie).post(f"/berichten/{env['referentienummer']}/bevestiging").json()
    ontvangst = client_voor(gemeente).get("/berichten").json()["berichten"][0]
    melding = ontvangst["melding"]["bevestigdOp"]
    assert datetime.fromisoformat(melding) == datetime.fromisoformat(bevestigd["bevestigdOp"])
    # The same offset as every other time the API gives (+01:00 or +02:00), not UTC's +00:00.
    assert melding[-6:] == bevestigd["bevestigdOp"][-6:] == ontvangst["ontvangenOp"][-6:]
    assert melding[-6:] in ("+01:00", "+02:00")


# --- over a real `knooppunt serve` with real TLS: the connection stays, the answer is a 4xx ------


def test_vijandige_verzoeken_over_echte_tls_krijgen_een_4xx_en_de_hub_blijft(
    database_url: str, tmp_path: Path, pki_dir: Path, cast: dict[str, Partij]
) -> None:
    """Deep nesting dropped the connection before; NUL bytes and huge numbers were 500s on
    PostgreSQL. Over the real server (uvicorn, httptools, TLS) every one is a problem+json 4xx."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = envelop(gemeente, energie, "saldoverzoek")
    kop = json.loads(base64.urlsafe_b64decode(env["inhoud"].split(".")[0] + "=="))
    json_soort = {"content-type": "application/json"}
    with start_hub(database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir) as hub:
        with hub.client(gemeente, timeout=30) as shv, hub.client(energie, timeout=30) as se:
            verzoeken = [
                (
                    shv,
                    "POST",
                    "/berichten",
                    {"content": b"[" * 200_000 + b"]" * 200_000, "headers": json_soort},
                ),
                (
                    shv,
                    "POST",
                    "/berichten",
                    {"content": b'{"a": ' + b"9" * 5000 + b"}", "headers": json_soort},
                ),
                (shv, "POST", "/berichten", {"content": b'{"a": NaN}', "headers": json_soort}),
                (
                    shv,
                    "POST",
                    "/berichten",
                    {"json": env | {"referentienummer": env["referentienummer"] + "\n"}},
                ),
                (
                    shv,
                    "POST",
                    "/berichten",
                    {"json": env | {"inhoud": _jwe_met_kop(env["inhoud"], kop | {"enc": ["A256GCM"]})}},
                ),
                (se, "GET", "/berichten", {"params": {"berichttype": "a\x00b"}}),
                (
                    se,
                    "GET",
                    "/berichten",
                    {"params": {"volgende": base64.urlsafe_b64encode(b"id:" + b"9" * 60).decode()}},
                ),
                (se, "GET", f"/berichten/{uuid.uuid4()}a", {}),
                (se, "GET", f"/berichten/{uuid.uuid4()}%0A", {}),
                (se, "DELETE", "/berichten", {}),
            ]
            for client, methode, pad, opties in verzoeken:
                r = client.request(methode, pad, **opties)
                assert 400 <= r.status_code < 500, (methode, pad, r.status_code, r.text[:300])
                assert r.headers["content-type"] == "application/problem+json", (methode, pad)
                assert r.headers["API-Version"] == "1.0.0", (methode, pad)
            assert shv.post("/berichten", json=env).status_code == 201
        assert hub.proces.poll() is None


def test_een_cursor_is_precies_wat_het_knooppunt_gaf(cast: dict[str, Partij], app: Any, rt: Runtime) -> None:
    """docs/api.md: "`volgende` is opaque: pass back exactly what the hub gave you. Anything else is
    `400` naming `volgende`" — also one the hub once wrote (`id:2`), one for another listing, one
    padded, cut short or with a character changed."""
    shv = _client(app, cast["gemeente"])
    echt = api_cursor.maak(rt.dagsleutels.hoofdsleutels, "berichten", 2)
    anders = echt[:-1] + ("A" if echt[-1] != "A" else "B")
    for waarde in ("aWQ6Mg", "aWQ6MA", "aWQ6LTE", echt + "==", echt[:-2], anders):
        for pad in ("/berichten", "/verzonden"):
            body = _probleem(shv.get(pad, params={"volgende": waarde}), 400, "ONGELDIG_VERZOEK")
            assert body["invalidParams"] == [{"name": "volgende", "reason": "onbekende cursor"}], waarde
    assert shv.get("/berichten", params={"volgende": echt}).status_code == 200  # as written
    # a cursor of the sent list is none of the inbox, and the other way round
    _probleem(shv.get("/verzonden", params={"volgende": echt}), 400, "ONGELDIG_VERZOEK")
    verzonden = api_cursor.maak(rt.dagsleutels.hoofdsleutels, "verzonden", 2)
    assert shv.get("/verzonden", params={"volgende": verzonden}).status_code == 200
    _probleem(shv.get("/berichten", params={"volgende": verzonden}), 400, "ONGELDIG_VERZOEK")


@pytest.mark.parametrize("limiet", ["0", "-1", "abc", "1.5", "01"])
def test_een_ongeldige_limit_noemt_het_bereik(cast: dict[str, Partij], app: Any, limiet: str) -> None:
    """docs/api.md: a `detail` in Dutch that says what was wrong and what to do (before: "limit is
    ongeldig")."""
    body = _probleem(
        _client(app, cast["gemeente"]).get("/berichten", params={"limit": limiet}), 400, "ONGELDIG_VERZOEK"
    )
    [veld] = body["invalidParams"]
    assert veld["name"] == "limit" and "1-1000" in veld["reason"], veld


def test_instance_noemt_het_pad_zoals_het_gevraagd_is(cast: dict[str, Partij], app: Any) -> None:
    """A newline in the path was dropped from `instance`, which then named a path that exists."""
    r = _client(app, cast["gemeente"]).get("/ber%0Aichten")
    body = _probleem(r, 404, "NIET_GEVONDEN")
    assert body["instance"] == "/api/v1/ber%0Aichten"
