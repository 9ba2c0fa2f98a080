"""An independent contract audit of API v1 against a real `knooppunt serve` over mutual TLS
(DESIGN §4 both tables, the envelope, list shapes, errors, limits, canonical identifiers,
`verzendingen`, `logboek`; and §5's hub-side checks: mTLS identification and the JWE protected
header). Written from DESIGN.md only: each test's docstring quotes the sentence it checks."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from knooppunt.hub import adresboek
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from tests.factories import Partij, envelop
from tests.functional.server import Hub, start_hub

Client = Callable[[Partij | None], httpx.Client]


@pytest.fixture
def hub_env() -> dict[str, str]:
    return {}


@pytest.fixture
def hub(
    database_url: str, tmp_path: Path, pki_dir: Path, cast: dict[str, Partij], hub_env: dict[str, str]
) -> Iterator[Hub]:
    with start_hub(database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir, env=hub_env) as h:
        yield h


@pytest.fixture
def client(hub: Hub) -> Iterator[Client]:
    clients: list[httpx.Client] = []

    def maak(partij: Partij | None) -> httpx.Client:
        c = hub.client(partij, timeout=60)
        clients.append(c)
        return c

    yield maak
    for c in clients:
        c.close()


def _probleem(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json", r.headers
    assert r.headers.get("API-Version"), r.headers
    body: dict[str, Any] = r.json()
    assert {"type", "title", "status", "code"} <= set(body), body
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


def _namen(body: dict[str, Any]) -> list[str]:
    return [str(p["name"]) for p in body.get("invalidParams", [])]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _kop(inhoud: str) -> dict[str, Any]:
    deel = inhoud.split(".", maxsplit=1)[0]
    kop: dict[str, Any] = json.loads(base64.urlsafe_b64decode(deel + "=" * (-len(deel) % 4)))
    return kop


def _met_ruwe_kop(inhoud: str, ruw: str) -> str:
    return ".".join([_b64(ruw.encode()), *inhoud.split(".")[1:]])


def _met_kop(inhoud: str, kop: dict[str, Any]) -> str:
    return _met_ruwe_kop(inhoud, json.dumps(kop))


def _worker_once(database_url: str, data_dir: Path, pki_dir: Path, nu: datetime) -> None:
    omgeving = {
        **os.environ,
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": database_url,
        "KNOOPPUNT_DATA_DIR": str(data_dir),
        "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
    }
    uit = subprocess.run(
        [sys.executable, "-m", "knooppunt.cli.main", "worker", "--once", "--now", nu.isoformat()],
        env=omgeving,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert uit.returncode == 0, uit.stderr


# --- OpenAPI, API-Version, list shapes ------------------------------------------------------------


def test_openapi_document_servers_en_paden(client: Client, cast: dict[str, Partij]) -> None:
    """§4: "OpenAPI 3.1 served at `/api/v1/openapi.json` … an `API-Version` response header … its
    `servers` URL ends in `/api/v1` and its paths are relative to that." Every path of both tables
    is in it."""
    r = client(cast["gemeente"]).get("/openapi.json")
    assert r.status_code == 200, r.text
    assert r.headers["API-Version"]
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    assert doc["servers"] and all(s["url"].rstrip("/").endswith("/api/v1") for s in doc["servers"])
    assert not [p for p in doc["paths"] if p.startswith("/api/")]
    verwacht = {
        ("post", "/berichten"),
        ("get", "/berichten"),
        ("get", "/berichten/{referentienummer}"),
        ("post", "/berichten/{referentienummer}/bevestiging"),
        ("post", "/bevestigingen"),
        ("post", "/berichten/{referentienummer}/weigering"),
        ("get", "/verzonden"),
        ("get", "/conversaties/{conversatieReferentienummer}"),
        ("get", "/adresboek"),
        ("get", "/adresboek/{oin}"),
        ("get", "/berichttypen"),
        ("get", "/berichttypen/{code}"),
        ("post", "/verzendingen"),
        ("get", "/logboek"),
    }
    aanwezig = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert verwacht <= aanwezig, verwacht - aanwezig
    params = {p["name"] for p in doc["paths"]["/logboek"]["get"]["parameters"]}
    assert {"vanaf", "tot", "richting", "module", "berichttype", "limit", "volgende"} <= params
    for pad in ("/berichten", "/verzonden", "/logboek"):
        assert "module" in {p["name"] for p in doc["paths"][pad]["get"]["parameters"]}, pad


# --- submit: 201, idempotent 200, 409 -------------------------------------------------------------


def test_indienen_herhalen_en_conflict(client: Client, cast: dict[str, Partij]) -> None:
    """§4: "submit an envelope → 201; same `referentienummer` + same body again → 200 with the
    original result (idempotent retry); same number, different body → 409" (`REFERENTIENUMMER_CONFLICT`);
    "The hub adds `afzender` (from authentication — never from the body)"; "Idempotency is keyed on
    (afzender, `referentienummer`) with a stored hash of the envelope, so it works after the content
    is deleted."""
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    shv, se = client(gemeente), client(energie)
    e = envelop(gemeente, energie, "saldoverzoek")
    r = shv.post("/berichten", json=e | {"afzender": cast["kredietbank"].oin})
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.headers["API-Version"]
    eerste = r.json()
    assert eerste["afzender"] == gemeente.oin
    assert eerste["status"] == "aangeboden"
    assert "inhoud" not in eerste or eerste["inhoud"] is None
    for veld in ("ontvangenOp", "verlooptOp", "opgehaaldOp", "bevestigdOp", "antwoordUiterlijk", "status"):
        assert veld in eerste, veld
    assert eerste["verlooptOp"] > eerste["ontvangenOp"]

    opnieuw = shv.post("/berichten", json=e)
    assert opnieuw.status_code == 200, opnieuw.text
    assert opnieuw.json() == eerste

    anders = envelop(gemeente, woning, "saldoverzoek", referentienummer=e["referentienummer"])
    _probleem(shv.post("/berichten", json=anders), 409, "REFERENTIENUMMER_CONFLICT")

    # The same number from another sender (docs/decisions/0002: unique hub-wide) is refused as well,
    # and never answered with the other sender's message.
    eigen = envelop(cast["kredietbank"], energie, "saldoverzoek", referentienummer=e["referentienummer"])
    body = _probleem(
        client(cast["kredietbank"]).post("/berichten", json=eigen), 409, "REFERENTIENUMMER_CONFLICT"
    )
    assert gemeente.oin not in json.dumps(body)

    # After the content is deleted (confirmed), a retry still gets 200, a changed body still 409.
    assert se.post(f"/berichten/{e['referentienummer']}/bevestiging").status_code == 200
    na = shv.post("/berichten", json=e)
    assert na.status_code == 200, na.text
    assert na.json()["referentienummer"] == e["referentienummer"]
    _probleem(shv.post("/berichten", json=anders), 409, "REFERENTIENUMMER_CONFLICT")


# --- inbox: limit, order, volgende, filters, opgehaaldOp ------------------------------------------


def test_inbox_oudste_eerst_volgende_limit_en_filters(client: Client, cast: dict[str, Partij]) -> None:
    """§4: "`GET /api/v1/berichten?limit=&berichttype=&afzender=` … inbox (`limit` ≤ 1000): messages
    not yet confirmed and not expired, oldest first, with `inhoud`; fetching marks `opgehaaldOp` but
    keeps the message"; "List responses are objects holding the list under the resource's name …
    plus `volgende` (an opaque cursor) when more remain"; "The list endpoints `/berichten` … take
    `module=`"."""
    gemeente, kredietbank, energie = cast["gemeente"], cast["kredietbank"], cast["energie"]
    se = client(energie)
    verstuurd = [
        envelop(gemeente, energie, "saldoverzoek"),
        envelop(kredietbank, energie, "kennisgeving"),
        envelop(gemeente, energie, "kennisgeving"),
    ]
    for e, afz in zip(verstuurd, (gemeente, kredietbank, gemeente), strict=True):
        assert client(afz).post("/berichten", json=e).status_code == 201
    refs = [e["referentienummer"] for e in verstuurd]

    # page by page through the cursor, oldest first (the plain fetch: limit and volgende only)
    gezien: list[str] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        r = se.get("/berichten", params=params)
        assert r.status_code == 200, r.text
        assert r.headers["API-Version"] and r.headers["content-type"] == "application/json"
        body = r.json()
        assert set(body) <= {"berichten", "volgende"}
        gezien += [b["referentienummer"] for b in body["berichten"]]
        for b in body["berichten"]:
            assert b["inhoud"] == verstuurd[refs.index(b["referentienummer"])]["inhoud"]
            assert b["opgehaaldOp"] is not None and b["status"] == "opgehaald"
        if not body.get("volgende"):
            break
        params = {"limit": 2, "volgende": body["volgende"]}
    assert gezien == refs

    # kept until confirmed: a second fetch gets them all again
    assert [b["referentienummer"] for b in se.get("/berichten").json()["berichten"]] == refs

    # filters (FastAPI's route): berichttype, afzender, module
    def refs_van(**q: Any) -> list[str]:
        r = se.get("/berichten", params=q)
        assert r.status_code == 200, r.text
        return [b["referentienummer"] for b in r.json()["berichten"]]

    assert refs_van(berichttype="kennisgeving") == [refs[1], refs[2]]
    assert refs_van(afzender=gemeente.oin) == [refs[0], refs[2]]
    assert refs_van(afzender=kredietbank.oin, berichttype="kennisgeving") == [refs[1]]
    assert refs_van(module="schuldregeling") == refs
    assert refs_van(module="bewind") == []
    assert refs_van(limit=1000) == refs

    for slecht in ({"limit": 1001}, {"limit": 0}, {"limit": "x"}, {"module": "onbekend"}):
        body = _probleem(se.get("/berichten", params=slecht), 400)
        assert _namen(body), body
    # a cursor that is no cursor of the hub's is a 400, never a 500
    _probleem(se.get("/berichten", params={"volgende": "bm9n"}), 400)


def test_een_bericht_en_niet_voor_u(client: Client, cast: dict[str, Partij]) -> None:
    """§4: "`GET /api/v1/berichten/{referentienummer}` | recipient | one message"; "Each party sees
    only the messages it sent or received" (§2)."""
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    e = envelop(gemeente, energie, "saldoverzoek")
    assert client(gemeente).post("/berichten", json=e).status_code == 201
    r = client(energie).get(f"/berichten/{e['referentienummer']}")
    assert r.status_code == 200, r.text
    assert r.json()["inhoud"] == e["inhoud"] and r.json()["afzender"] == gemeente.oin
    _probleem(client(woning).get(f"/berichten/{e['referentienummer']}"), 404)
    _probleem(client(energie).get(f"/berichten/{uuid.uuid4()}"), 404)


# --- confirm, confirm many, refuse, hub-authored notices -----------------------------------------


def test_bevestigen_weigeren_en_meldingen(client: Client, cast: dict[str, Partij]) -> None:
    """§4: "confirm → content deleted, answer deadline starts, sender gets `ontvangstbevestiging`;
    repeating it is harmless"; "`POST /api/v1/bevestigingen` … `{"referentienummers": [...]}`";
    "refuse …: content deleted, a `foutbericht` (`GEWEIGERD`, with the recipient's reason code) to the
    sender"; "Hub-authored messages (`foutbericht`, `ontvangstbevestiging`) carry a plain `melding`
    object (`code`, `omschrijving`, referenced numbers) instead of `inhoud`."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    shv, se = client(gemeente), client(energie)
    vraag, los1, los2, fout = (
        envelop(gemeente, energie, t)
        for t in ("saldoverzoek", "kennisgeving", "kennisgeving", "saldoverzoek")
    )
    for e in (vraag, los1, los2, fout):
        assert shv.post("/berichten", json=e).status_code == 201

    r = se.post(f"/berichten/{vraag['referentienummer']}/bevestiging")
    assert r.status_code == 200, r.text
    bevestigd = r.json()
    assert bevestigd["status"] == "bevestigd" and bevestigd["bevestigdOp"] is not None
    assert bevestigd["antwoordUiterlijk"] is not None
    assert not bevestigd.get("inhoud")
    nogmaals = se.post(f"/berichten/{vraag['referentienummer']}/bevestiging")
    assert nogmaals.status_code == 200 and nogmaals.json()["status"] == "bevestigd"
    assert nogmaals.json()["bevestigdOp"] == bevestigd["bevestigdOp"]
    # content deleted: the message is no longer in the inbox and carries no inhoud
    na = se.get(f"/berichten/{vraag['referentienummer']}")
    assert na.status_code == 200 and not na.json().get("inhoud")
    assert vraag["referentienummer"] not in [
        b["referentienummer"] for b in se.get("/berichten").json()["berichten"]
    ]

    r = se.post(
        "/bevestigingen", json={"referentienummers": [los1["referentienummer"], los2["referentienummer"]]}
    )
    assert r.status_code == 200, r.text
    assert r.headers["API-Version"]
    assert [(b["referentienummer"], b["status"]) for b in r.json()["bevestigingen"]] == [
        (los1["referentienummer"], "bevestigd"),
        (los2["referentienummer"], "bevestigd"),
    ]
    # Each outcome says when it was confirmed and, for a type that is answered, when the answer is
    # due (a CLI `fetch --bevestig` line said "bevestigd" with both null: an independent probe).
    onbekend = str(uuid.uuid4())
    r = se.post(
        "/bevestigingen",
        json={"referentienummers": [vraag["referentienummer"], los1["referentienummer"], onbekend]},
    )
    assert r.status_code == 200, r.text
    [eerder, los, niets] = r.json()["bevestigingen"]
    assert eerder["bevestigdOp"] == bevestigd["bevestigdOp"]
    assert eerder["antwoordUiterlijk"] == bevestigd["antwoordUiterlijk"] and eerder["code"] is None
    assert (
        los["bevestigdOp"] is not None and los["antwoordUiterlijk"] is None
    )  # a kennisgeving is not answered
    assert niets == {
        "referentienummer": onbekend,
        "status": "onbekend",
        "code": "NIET_GEVONDEN",
        "bevestigdOp": None,
        "antwoordUiterlijk": None,
    }

    r = se.post(f"/berichten/{fout['referentienummer']}/weigering", json={"reden": "ONTSLEUTELING_MISLUKT"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "geweigerd" and not r.json().get("inhoud")
    _probleem(se.post(f"/berichten/{fout['referentienummer']}/weigering", json={"reden": "ONZIN"}), 400)

    meldingen = shv.get("/berichten").json()["berichten"]
    assert {b["afzender"] for b in meldingen} == {"KNOOPPUNT"}
    for b in meldingen:
        assert b.get("inhoud") is None, b
        assert {"code", "omschrijving"} <= set(b["melding"]), b
    ontvangst = [b for b in meldingen if b["berichttype"] == "ontvangstbevestiging"]
    assert sorted(b["melding"]["referentienummer"] for b in ontvangst) == sorted(
        e["referentienummer"] for e in (vraag, los1, los2)
    )
    [foutbericht] = [b for b in meldingen if b["berichttype"] == "foutbericht"]
    assert foutbericht["melding"]["code"] == "GEWEIGERD"
    assert foutbericht["melding"]["referentienummer"] == fout["referentienummer"]
    assert "ONTSLEUTELING_MISLUKT" in json.dumps(foutbericht["melding"])
    # confirming a hub-authored message sends none back
    before = len(se.get("/berichten").json()["berichten"])
    assert shv.post(f"/berichten/{foutbericht['referentienummer']}/bevestiging").status_code == 200
    assert len(se.get("/berichten").json()["berichten"]) == before
    assert foutbericht["referentienummer"] not in [
        b["referentienummer"] for b in shv.get("/berichten").json()["berichten"]
    ]


# --- verzonden, conversaties ----------------------------------------------------------------------


def test_verzonden_statussen_filters_en_conversatie(client: Client, cast: dict[str, Partij]) -> None:
    """§4: "`GET /api/v1/verzonden?status=&conversatieReferentienummer=` | sender | status of sent
    messages: `aangeboden`, `opgehaald`, `bevestigd`, `beantwoord`, `verlopen`; with `verlooptOp`,
    `antwoordUiterlijk`, `teLaat`"; "`GET /api/v1/conversaties/{conversatieReferentienummer}` |
    parties | metadata timeline of the messages the caller sent or received in it"."""
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    shv, se = client(gemeente), client(energie)
    conv = str(uuid.uuid4())
    aangeboden = envelop(gemeente, woning, "saldoverzoek", conversatie=conv)
    opgehaald = envelop(gemeente, energie, "kennisgeving", conversatie=conv)
    beantwoord = envelop(gemeente, energie, "saldoverzoek", conversatie=conv)
    for e in (aangeboden, opgehaald, beantwoord):
        assert shv.post("/berichten", json=e).status_code == 201
    assert se.get("/berichten").status_code == 200
    antwoord = envelop(
        energie,
        gemeente,
        "saldoverzoek_antwoord",
        conversatie=conv,
        antwoord_op=beantwoord["referentienummer"],
    )
    assert se.post("/berichten", json=antwoord).status_code == 201
    anders = envelop(gemeente, energie, "kennisgeving")
    assert shv.post("/berichten", json=anders).status_code == 201
    assert se.post(f"/berichten/{anders['referentienummer']}/bevestiging").status_code == 200

    r = shv.get("/verzonden")
    assert r.status_code == 200, r.text
    per_ref = {b["referentienummer"]: b for b in r.json()["berichten"]}
    assert per_ref[aangeboden["referentienummer"]]["status"] == "aangeboden"
    assert per_ref[opgehaald["referentienummer"]]["status"] == "opgehaald"
    assert per_ref[beantwoord["referentienummer"]]["status"] == "beantwoord"
    assert per_ref[anders["referentienummer"]]["status"] == "bevestigd"
    for b in per_ref.values():
        assert b["verlooptOp"] and "antwoordUiterlijk" in b and b["teLaat"] is False
        assert not b.get("inhoud")
    assert per_ref[beantwoord["referentienummer"]]["antwoordUiterlijk"] is not None

    def refs(**q: Any) -> set[str]:
        r = shv.get("/verzonden", params=q)
        assert r.status_code == 200, r.text
        return {b["referentienummer"] for b in r.json()["berichten"]}

    assert refs(status="beantwoord") == {beantwoord["referentienummer"]}
    assert refs(status="bevestigd") == {anders["referentienummer"]}
    assert refs(conversatieReferentienummer=conv) == {
        e["referentienummer"] for e in (aangeboden, opgehaald, beantwoord)
    }
    assert refs(module="schuldregeling") == set(per_ref)
    assert refs(module="bewind") == set()
    assert len(shv.get("/verzonden", params={"limit": 1}).json()["berichten"]) == 1
    assert shv.get("/verzonden", params={"limit": 1}).json()["volgende"]
    _probleem(shv.get("/verzonden", params={"status": "onzin"}), 400)
    _probleem(shv.get("/verzonden", params={"conversatieReferentienummer": conv.upper()}), 400)

    # the conversation: each party sees only what it sent or received
    r = se.get(f"/conversaties/{conv}")
    assert r.status_code == 200, r.text
    assert {b["referentienummer"] for b in r.json()["berichten"]} == {
        opgehaald["referentienummer"],
        beantwoord["referentienummer"],
        antwoord["referentienummer"],
    }
    assert all(not b.get("inhoud") for b in r.json()["berichten"])
    tijdlijn = shv.get(f"/conversaties/{conv}").json()["berichten"]
    assert {b["referentienummer"] for b in tijdlijn if b["afzender"] != "KNOOPPUNT"} == {
        e["referentienummer"] for e in (aangeboden, opgehaald, beantwoord, antwoord)
    }
    # the hub's receipt for the answered question (answering confirms it) is in it too, as received
    assert [b["melding"]["referentienummer"] for b in tijdlijn if b["afzender"] == "KNOOPPUNT"] == [
        beantwoord["referentienummer"]
    ]
    assert {
        b["referentienummer"] for b in client(woning).get(f"/conversaties/{conv}").json()["berichten"]
    } == {aangeboden["referentienummer"]}
    vreemd = client(cast["belasting"]).get(f"/conversaties/{conv}")
    assert vreemd.status_code == 404 or vreemd.json()["berichten"] == [], vreemd.text
    _probleem(se.get(f"/conversaties/{conv.upper()}"), 400)


# --- adresboek, berichttypen ----------------------------------------------------------------------


def test_adresboek(client: Client, cast: dict[str, Partij]) -> None:
    """§4: "`GET /api/v1/adresboek?rol=&module=&zoek=` and `/api/v1/adresboek/{oin}` | any
    participant | public adresboek entries, with certificates"; list shape `{"deelnemers": [...]}`;
    §2: certificates "PEM, each with its SHA-256 fingerprint, validity and `gebruik`"; contact and
    notification settings are "private to the participant and beheerders"."""
    se = client(cast["energie"])
    r = se.get("/adresboek")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) <= {"deelnemers", "volgende"}
    oins = {d["oin"] for d in body["deelnemers"]}
    assert {p.oin for p in cast.values()} <= oins
    for d in body["deelnemers"]:
        for veld in (
            "oin",
            "kvkNummer",
            "naam",
            "rol",
            "modules",
            "gebruiktBsn",
            "standaardAkkoord",
            "schuldensoorten",
        ):
            assert veld in d, (veld, d)
        assert not {"email", "webhook", "notificaties", "contact"} & set(d), d
        assert d["certificaten"]
        for c in d["certificaten"]:
            assert c["pem"].startswith("-----BEGIN CERTIFICATE-----")
            assert c["vingerafdruk"] and c["gebruik"] and c["geldigVanaf"] and c["geldigTot"]

    def oins_van(**q: Any) -> set[str]:
        r = se.get("/adresboek", params=q)
        assert r.status_code == 200, r.text
        return {d["oin"] for d in r.json()["deelnemers"]}

    assert oins_van(rol="SHV") == {cast["gemeente"].oin, cast["kredietbank"].oin}
    assert oins_van(module="waarborgfonds") == {cast["buitenstaander"].oin}
    assert oins_van(zoek="Energie") == {cast["energie"].oin}
    assert len(se.get("/adresboek", params={"limit": 2}).json()["deelnemers"]) == 2
    assert se.get("/adresboek", params={"limit": 2}).json()["volgende"]
    _probleem(se.get("/adresboek", params={"rol": "XX"}), 400)

    r = se.get(f"/adresboek/{cast['gemeente'].oin}")
    assert r.status_code == 200, r.text
    assert r.json()["oin"] == cast["gemeente"].oin and r.json()["certificaten"]
    _probleem(se.get("/adresboek/00000003999999990000"), 404)
    _probleem(se.get("/adresboek/123"), 400)
    _probleem(se.get(f"/adresboek/{cast['gemeente'].oin}%0D"), 400)


def test_berichttypen(client: Client, cast: dict[str, Partij]) -> None:
    """§4: "`GET /api/v1/berichttypen?module=&versie=` and `/api/v1/berichttypen/{code}?module=&versie=`
    | anyone authenticated | the catalogue of §3–§3b with a JSON Schema and the answer term per
    version (400 when a code is ambiguous without `module`)"; list shape `{"berichttypen": [...]}`."""
    se = client(cast["energie"])
    r = se.get("/berichttypen")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) <= {"berichttypen", "volgende"}
    paren = {(t["module"], t["code"], t["versie"]) for t in body["berichttypen"]}
    assert ("schuldregeling", "saldoverzoek", "1.0") in paren and (
        "schuldregeling",
        "saldoverzoek",
        "2.0",
    ) in paren
    assert ("schuldregeling", "geen_medewerking", "2.0") in paren
    assert ("schuldregeling", "geen_medewerking", "1.0") not in paren
    modules = {t["module"] for t in body["berichttypen"]}
    assert {
        "schuldregeling",
        "waarborgfonds",
        "saldoverzoek",
        "betalingsregeling",
        "bewind",
        "pauzeknop",
    } <= modules

    r = se.get("/berichttypen", params={"module": "schuldregeling", "versie": "2.0"})
    assert {(t["module"], t["versie"]) for t in r.json()["berichttypen"]} == {("schuldregeling", "2.0")}
    per_versie = {
        t["versie"]: t
        for t in body["berichttypen"]
        if t["module"] == "schuldregeling" and t["code"] == "saldoverzoek"
    }
    # §3a: the answer term is 5 working days in 1.0, 10 in 2.0
    assert json.dumps(per_versie["1.0"]).count("5") and per_versie["1.0"] != per_versie["2.0"]
    termijnen = {v: [w for k, w in t.items() if "termijn" in k.lower()] for v, t in per_versie.items()}
    assert termijnen == {"1.0": [5], "2.0": [10]}, termijnen
    assert all("schema" in json.dumps(t).lower() for t in per_versie.values())

    # kennisgeving is in schuldregeling and in pauzeknop: ambiguous without module
    body_ = _probleem(se.get("/berichttypen/kennisgeving"), 400)
    assert "module" in _namen(body_)
    r = se.get("/berichttypen/kennisgeving", params={"module": "pauzeknop"})
    assert r.status_code == 200 and r.json()["module"] == "pauzeknop"
    r = se.get("/berichttypen/saldoverzoek", params={"module": "schuldregeling", "versie": "1.0"})
    assert r.status_code == 200 and r.json()["versie"] == "1.0"
    _probleem(se.get("/berichttypen/bestaat_niet", params={"module": "schuldregeling"}), 404)


# --- expiry: VERLOPEN 410, the logboek ------------------------------------------------------------


def test_verlopen_410_en_logboek(
    client: Client, cast: dict[str, Partij], database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§4: "`VERLOPEN` (410 when confirming an expired message)"; "`GET /api/v1/logboek?vanaf=&tot=
    &richting=verzonden|ontvangen&module=&berichttype=&limit=&volgende=` | any participant | the
    metadata of every message the caller sent or received in the period, confirmed and expired ones
    included"; §6: "not confirmed within 5 working days … status `verlopen`, a `foutbericht` with code
    `VERLOPEN` to the sender"."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    shv, se = client(gemeente), client(energie)
    verloopt = envelop(gemeente, energie, "saldoverzoek")
    bevestigd = envelop(gemeente, energie, "kennisgeving")
    terug = envelop(energie, gemeente, "statusverzoek", conversatie=bevestigd["conversatieReferentienummer"])
    assert shv.post("/berichten", json=verloopt).status_code == 201
    assert shv.post("/berichten", json=bevestigd).status_code == 201
    assert se.post(f"/berichten/{bevestigd['referentienummer']}/bevestiging").status_code == 200
    assert se.post("/berichten", json=terug).status_code == 201, "14.1: exchanged before"

    _worker_once(database_url, tmp_path / "hub", pki_dir, datetime.now(UTC) + timedelta(days=30))

    body = _probleem(se.post(f"/berichten/{verloopt['referentienummer']}/bevestiging"), 410, "VERLOPEN")
    assert body["detail"]
    assert verloopt["referentienummer"] not in [
        b["referentienummer"] for b in se.get("/berichten").json()["berichten"]
    ]
    verzonden = {b["referentienummer"]: b for b in shv.get("/verzonden").json()["berichten"]}
    assert verzonden[verloopt["referentienummer"]]["status"] == "verlopen"
    assert {
        b["referentienummer"]
        for b in shv.get("/verzonden", params={"status": "verlopen"}).json()["berichten"]
    } == {verloopt["referentienummer"]}
    meldingen = [b for b in shv.get("/berichten").json()["berichten"] if b["berichttype"] == "foutbericht"]
    assert [(b["melding"]["code"], b["melding"]["referentienummer"]) for b in meldingen] == [
        ("VERLOPEN", verloopt["referentienummer"])
    ]

    def logboek(partij: Partij, **q: Any) -> list[dict[str, Any]]:
        r = client(partij).get("/logboek", params=q)
        assert r.status_code == 200, r.text
        assert set(r.json()) <= {"berichten", "volgende"}
        return list(r.json()["berichten"])

    eigen = {verloopt["referentienummer"], bevestigd["referentienummer"], terug["referentienummer"]}
    alles = logboek(gemeente)
    assert eigen <= {b["referentienummer"] for b in alles}
    assert all(not b.get("inhoud") for b in alles)
    statussen = {b["referentienummer"]: b["status"] for b in alles}
    assert statussen[verloopt["referentienummer"]] == "verlopen"
    assert statussen[bevestigd["referentienummer"]] == "bevestigd"
    assert {b["referentienummer"] for b in logboek(gemeente, richting="ontvangen")} >= {
        terug["referentienummer"]
    }
    assert {b["referentienummer"] for b in logboek(gemeente, richting="verzonden")} == {
        verloopt["referentienummer"],
        bevestigd["referentienummer"],
    }
    assert {
        b["referentienummer"] for b in logboek(gemeente, richting="verzonden", berichttype="kennisgeving")
    } == {bevestigd["referentienummer"]}
    assert logboek(gemeente, module="bewind") == []
    assert logboek(gemeente, tot="2000-01-01") == []
    # oldest first, page by page with volgende
    gezien: list[str] = []
    q: dict[str, Any] = {"limit": 1}
    while True:
        r = shv.get("/logboek", params=q)
        assert r.status_code == 200, r.text
        gezien += [b["referentienummer"] for b in r.json()["berichten"]]
        if not r.json().get("volgende"):
            break
        q = {"limit": 1, "volgende": r.json()["volgende"]}
    assert gezien == [b["referentienummer"] for b in alles]
    tijden = [b["ontvangenOp"] for b in alles]
    assert [datetime.fromisoformat(t) for t in tijden] == sorted(datetime.fromisoformat(t) for t in tijden)
    for slecht in ({"richting": "beide"}, {"limit": 1001}, {"vanaf": "gisteren"}, {"module": "x"}):
        _probleem(shv.get("/logboek", params=slecht), 400)


# --- caps: TE_VEEL_OPEN, INBOX_VOL ----------------------------------------------------------------


@pytest.mark.parametrize("hub_env", [{"KNOOPPUNT_MAX_OPEN_PER_RELATIE": "2"}])
def test_te_veel_open_429(client: Client, cast: dict[str, Partij]) -> None:
    """§4: "`TE_VEEL_OPEN` (429: more than the configured number — default 10,000 — of unconfirmed
    messages from one sender to one recipient)"."""
    gemeente, kredietbank, energie, woning = (
        cast["gemeente"],
        cast["kredietbank"],
        cast["energie"],
        cast["woning"],
    )
    shv = client(gemeente)
    eerste = [envelop(gemeente, energie, "kennisgeving") for _ in range(2)]
    for e in eerste:
        assert shv.post("/berichten", json=e).status_code == 201
    derde = envelop(gemeente, energie, "kennisgeving")
    _probleem(shv.post("/berichten", json=derde), 429, "TE_VEEL_OPEN")
    # per (sender, recipient): another recipient and another sender are not affected
    assert shv.post("/berichten", json=envelop(gemeente, woning, "kennisgeving")).status_code == 201
    assert (
        client(kredietbank).post("/berichten", json=envelop(kredietbank, energie, "kennisgeving")).status_code
        == 201
    )
    # confirming frees a place; the refused envelope may then be offered again under its number
    assert client(energie).post(f"/berichten/{eerste[0]['referentienummer']}/bevestiging").status_code == 200
    assert shv.post("/berichten", json=derde).status_code == 201


@pytest.mark.parametrize(
    "hub_env", [{"KNOOPPUNT_INBOX_QUOTUM_BYTES": "16384", "KNOOPPUNT_INBOX_AANDEEL": "0.25"}]
)
def test_inbox_vol_alleen_voor_wie_meer_dan_zijn_aandeel_heeft(
    client: Client, cast: dict[str, Partij]
) -> None:
    """§4: "Each recipient has a quota of unconfirmed ciphertext …; once it is full, only a sender
    holding more than its share (default 1/8 of the quota) gets 429 `INBOX_VOL`, so one sender cannot
    block a creditor for everyone"."""
    gemeente, kredietbank, energie = cast["gemeente"], cast["kredietbank"], cast["energie"]
    shv = client(gemeente)
    aangenomen = 0
    for _ in range(100):
        r = shv.post("/berichten", json=envelop(gemeente, energie, "kennisgeving"))
        if r.status_code == 429:
            _probleem(r, 429, "INBOX_VOL")
            break
        assert r.status_code == 201, r.text
        aangenomen += 1
    else:
        pytest.fail("the inbox never filled")
    assert aangenomen >= 2
    # another sender, holding nothing, still gets through
    r = client(kredietbank).post("/berichten", json=envelop(kredietbank, energie, "kennisgeving"))
    assert r.status_code == 201, r.text


# --- verzendingen ---------------------------------------------------------------------------------


def test_verzendingen_per_envelop_alles_of_niets_en_413(client: Client, cast: dict[str, Partij]) -> None:
    """§4: "`POST /api/v1/verzendingen` … `{"berichten": [envelope, ...], "allesOfNiets": false}` (at
    most 1,000 envelopes …, else 413)"; "Response 200 `{"berichten": [{"index": 0, "status": 201,
    "bericht": {...}}, {"index": 1, "status": 422, "probleem": {...}}]}`, with no `inhoud` echoed.
    With `"allesOfNiets": true` either every envelope is accepted (200) or nothing is stored and the
    answer is 422 with the same per-envelope list, each refusal with its own status and code"; "a
    repeat of an earlier envelope in the same request gets 200 or 409 as a retry would"."""
    gemeente, energie, buitenstaander = cast["gemeente"], cast["energie"], cast["buitenstaander"]
    shv, se = client(gemeente), client(energie)
    goed = envelop(gemeente, energie, "kennisgeving")
    fout = envelop(gemeente, buitenstaander, "kennisgeving")  # not in schuldregeling
    ander = envelop(gemeente, energie, "kennisgeving")

    r = shv.post("/verzendingen", json={"berichten": [goed, fout, ander], "allesOfNiets": True})
    body = _probleem(r, 422)
    # docs/decisions/0022: the envelopes that were in order are 424 NIET_VERSTUURD (not stored
    # because another failed), the refusal keeps its own status and code
    assert [(b["index"], b["status"]) for b in body["berichten"]] == [(0, 424), (1, 422), (2, 424)]
    assert [b["probleem"]["code"] for b in body["berichten"]] == [
        "NIET_VERSTUURD",
        "MODULE_NIET_ACTIEF",
        "NIET_VERSTUURD",
    ]
    assert goed["inhoud"] not in r.text
    assert se.get("/berichten").json()["berichten"] == []  # nothing stored
    assert shv.get("/verzonden").json()["berichten"] == []

    r = shv.post("/verzendingen", json={"berichten": [goed, fout, goed, ander]})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    uit = r.json()["berichten"]
    assert [(b["index"], b["status"]) for b in uit] == [(0, 201), (1, 422), (2, 200), (3, 201)]
    assert uit[1]["probleem"]["code"] == "MODULE_NIET_ACTIEF" and "bericht" not in uit[1]
    assert uit[0]["bericht"]["afzender"] == gemeente.oin and "inhoud" not in uit[0]["bericht"]
    assert uit[2]["bericht"] == uit[0]["bericht"]
    assert goed["inhoud"] not in r.text and ander["inhoud"] not in r.text

    # allesOfNiets with every envelope acceptable: 200 (a retry of an accepted one is 200)
    derde = envelop(gemeente, energie, "kennisgeving")
    r = shv.post("/verzendingen", json={"berichten": [goed, derde], "allesOfNiets": True})
    assert r.status_code == 200, r.text
    assert [b["status"] for b in r.json()["berichten"]] == [200, 201]

    # 1,001 envelopes: 413, nothing stored
    veel = [goed | {"referentienummer": str(uuid.uuid4())} for _ in range(1001)]
    body = _probleem(shv.post("/verzendingen", json={"berichten": veel}), 413)
    assert "berichten" in _namen(body), body
    assert len(se.get("/berichten", params={"limit": 1000}).json()["berichten"]) == 3


# --- identifiers whole and canonical; malformed is 4xx, never 500 --------------------------------


def test_identificatoren_canoniek_en_geheel(client: Client, cast: dict[str, Partij]) -> None:
    """§4: "Every identifier in the wire contract is matched whole (`\\A…\\Z` or `fullmatch`, never
    a `$` that accepts a trailing newline) and must already be canonical (lower-case UUIDs; anything
    else is 400, never silently rewritten …); anything malformed in a path, query, header or body is
    a 4xx problem+json, never a 500."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    shv, se = client(gemeente), client(energie)
    for veld in ("referentienummer", "conversatieReferentienummer", "crossReferentienummer"):
        basis = envelop(gemeente, energie, "saldoverzoek")
        goed = basis[veld] or str(uuid.uuid4())
        for waarde in (goed.upper(), goed + "\n", "{" + goed + "}", goed.replace("-", "")):
            body = _probleem(shv.post("/berichten", json=basis | {veld: waarde}), 400)
            assert veld in " ".join(_namen(body)), (veld, body)
    for waarde in (energie.oin + "\n", " " + energie.oin, energie.oin[:-1]):
        body = _probleem(
            shv.post("/berichten", json=envelop(gemeente, energie, "kennisgeving") | {"ontvanger": waarde}),
            400,
        )
        assert "ontvanger" in " ".join(_namen(body)), body
    # the same through /verzendingen: the whole request is a 400 naming the envelope's field
    body = _probleem(
        shv.post(
            "/verzendingen",
            json={
                "berichten": [
                    envelop(gemeente, energie, "kennisgeving")
                    | {"referentienummer": str(uuid.uuid4()).upper()}
                ]
            },
        ),
        400,
    )
    assert any("referentienummer" in n for n in _namen(body)), body
    assert se.get("/berichten").json()["berichten"] == []

    e = envelop(gemeente, energie, "saldoverzoek")
    assert shv.post("/berichten", json=e).status_code == 201
    ref = e["referentienummer"]
    for pad in (
        f"/berichten/{ref.upper()}",
        f"/berichten/{ref}%20",
        f"/berichten/{ref}%0D",
        f"/conversaties/{ref}x",
    ):
        _probleem(se.get(pad), 400)
    # a trailing newline in a path: refused (never the message), see test_nieuwe_regel_achter_…_is_400
    _probleem(se.get(f"/berichten/{ref}%0A"), 400)
    _probleem(se.post(f"/berichten/{ref.upper()}/bevestiging"), 400)
    _probleem(se.post("/bevestigingen", json={"referentienummers": [ref.upper()]}), 400)
    _probleem(se.post("/bevestigingen", json={"referentienummers": [ref + "\n"]}), 400)
    _probleem(se.get("/berichten", params={"afzender": gemeente.oin + "\n"}), 400)
    # nothing was confirmed by a non-canonical number
    assert [b["referentienummer"] for b in se.get("/berichten").json()["berichten"]] == [ref]
    # malformed bodies: 4xx problem+json, never 500
    for inhoud, soort in (
        (b"{", "application/json"),
        (b"[]", "application/json"),
        (b"null", "application/json"),
    ):
        r = shv.post("/berichten", content=inhoud, headers={"content-type": soort})
        assert 400 <= r.status_code < 500, r.text
        assert r.headers["content-type"] == "application/problem+json"
    r = shv.post("/berichten", content=json.dumps(e).encode(), headers={"content-type": "text/plain"})
    assert 400 <= r.status_code < 500 and r.headers["content-type"] == "application/problem+json"


# --- §5: mutual TLS identity ----------------------------------------------------------------------


def test_mtls_identiteit_en_gebruik_tls(
    hub: Hub, client: Client, cast: dict[str, Partij], rt: Runtime, pki_dir: Path, tmp_path: Path
) -> None:
    """§5: "A participant is identified by the OIN in the `serialNumber` of its client certificate
    subject; the certificate must chain to a configured trust anchor … and be registered for that OIN
    in the adresboek"; "A certificate is accepted only if its SHA-256 fingerprint is registered for
    that OIN with `gebruik` `tls`."""
    # registered only for signing and encryption, not tls
    oin = "00000003111122220000"
    uit = ontwikkel_ca.issue(
        pki_dir, oin=oin, naam="Zonder TLS", key_type="ec", basisnaam="zondertls", uit_map=tmp_path
    )
    zonder_tls = Partij(oin, "Zonder TLS", "SE", "11112222", uit.certificaat, uit.sleutel)
    with transactie(rt.sessions) as session:
        adresboek.registreer(
            session,
            adresboek.NieuweDeelnemer(
                oin=oin,
                naam="Zonder TLS",
                rol="SE",
                kvk_nummer="11112222",
                modules=["schuldregeling"],
                certificaten=[lees_pem(uit.certificaat.read_bytes())],
                gebruik=["ondertekening", "versleuteling"],
            ),
            nu=db_nu(session),
            ankers=rt.ankers,
            door="beheer:test",
        )
    # a second certificate for a registered OIN that was never registered
    tweede = ontwikkel_ca.issue(
        pki_dir,
        oin=cast["gemeente"].oin,
        naam="Gemeente tweede",
        key_type="ec",
        basisnaam="tweede",
        uit_map=tmp_path,
    )
    onbekend = Partij(cast["gemeente"].oin, "x", "SHV", "1", tweede.certificaat, tweede.sleutel)
    # an OIN that is not in the adresboek at all
    vreemd_uit = ontwikkel_ca.issue(
        pki_dir, oin="00000003999988880000", naam="Vreemd", basisnaam="vreemd", uit_map=tmp_path
    )
    vreemd = Partij("00000003999988880000", "Vreemd", "SE", "1", vreemd_uit.certificaat, vreemd_uit.sleutel)

    for partij in (zonder_tls, onbekend, vreemd, None):
        try:
            r = client(partij).get("/berichten")
        except httpx.TransportError:
            assert partij is None  # no certificate: the handshake itself may refuse
            continue
        _probleem(r, 401)

    # the identity is the certificate's OIN, whatever the body says
    e = envelop(cast["gemeente"], cast["energie"], "kennisgeving")
    r = client(cast["gemeente"]).post("/berichten", json=e | {"afzender": cast["kredietbank"].oin})
    assert r.status_code == 201 and r.json()["afzender"] == cast["gemeente"].oin
    # and the participant whose certificate lacks tls still appears in the adresboek (for encryption)
    assert client(cast["energie"]).get(f"/adresboek/{oin}").status_code == 200


# --- §5: the JWE protected header ------------------------------------------------------------------


def test_jwe_kop_controles(client: Client, cast: dict[str, Partij]) -> None:
    """§5: "The hub checks the JWE's protected header — only the algorithms above, matching the key
    type (RSA ≥ 2048 bits or P-256); `kid` is a current `versleuteling` certificate of the recipient;
    no `zip`, `jku`, `jwk`, `x5u`, `x5c` or `crit`; no duplicate members; size ≤ configured maximum
    (default 4 MiB)"; `RSA-OAEP-256` for RSA keys, `ECDH-ES+A256KW` for P-256 keys, `enc` `A256GCM`."""
    gemeente, energie, belasting = cast["gemeente"], cast["energie"], cast["belasting"]
    shv, se, bd = client(gemeente), client(energie), client(belasting)
    rsa = envelop(gemeente, energie, "kennisgeving")  # energie: RSA
    ec = envelop(gemeente, belasting, "kennisgeving_bsn")  # belasting: P-256
    assert _kop(rsa["inhoud"])["alg"] == "RSA-OAEP-256"
    assert _kop(ec["inhoud"])["alg"] == "ECDH-ES+A256KW"

    def weigert(basis: dict[str, Any], inhoud: str, status: int = 400) -> None:
        e = basis | {"referentienummer": str(uuid.uuid4()), "inhoud": inhoud}
        body = _probleem(shv.post("/berichten", json=e), status, "ONGELDIGE_INHOUD")
        assert "inhoud" in _namen(body), body
        # the batch judges it the same way
        r = shv.post("/verzendingen", json={"berichten": [e | {"referentienummer": str(uuid.uuid4())}]})
        assert r.status_code == 200, r.text
        [uitkomst] = r.json()["berichten"]
        assert (uitkomst["status"], uitkomst["probleem"]["code"]) == (status, "ONGELDIGE_INHOUD")

    kop_rsa, kop_ec = _kop(rsa["inhoud"]), _kop(ec["inhoud"])
    # algorithms that do not match the key type, or are not allowed at all
    weigert(rsa, _met_kop(rsa["inhoud"], kop_rsa | {"alg": "ECDH-ES+A256KW", "epk": kop_ec["epk"]}))
    weigert(
        ec, _met_kop(ec["inhoud"], {k: v for k, v in kop_ec.items() if k != "epk"} | {"alg": "RSA-OAEP-256"})
    )
    weigert(rsa, _met_kop(rsa["inhoud"], kop_rsa | {"alg": "RSA-OAEP"}))
    weigert(rsa, _met_kop(rsa["inhoud"], kop_rsa | {"alg": "RSA1_5"}))
    weigert(ec, _met_kop(ec["inhoud"], kop_ec | {"alg": "ECDH-ES"}))
    weigert(rsa, _met_kop(rsa["inhoud"], kop_rsa | {"enc": "A128GCM"}))
    weigert(rsa, _met_kop(rsa["inhoud"], kop_rsa | {"enc": "A256CBC-HS512"}))
    # kid: not a current versleuteling certificate of the recipient (the sender's own, another's, none)
    from knooppunt.client.jose import kid_van

    weigert(rsa, _met_kop(rsa["inhoud"], kop_rsa | {"kid": kid_van(gemeente.certificaat)}))
    weigert(rsa, _met_kop(rsa["inhoud"], kop_rsa | {"kid": kid_van(cast["woning"].certificaat)}))
    weigert(rsa, _met_kop(rsa["inhoud"], {k: v for k, v in kop_rsa.items() if k != "kid"}))
    weigert(rsa, _met_kop(rsa["inhoud"], kop_rsa | {"kid": kid_van(energie.certificaat).upper()}))
    # forbidden members
    for lid, waarde in (
        ("zip", "DEF"),
        ("jku", "https://aanvaller.example/jwks.json"),
        ("jwk", {"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
        ("x5u", "https://aanvaller.example/cert.pem"),
        ("x5c", ["MIIB"]),
        ("crit", ["exp"]),
    ):
        weigert(rsa, _met_kop(rsa["inhoud"], kop_rsa | {lid: waarde}))
    # duplicate members
    ruw = json.dumps(kop_rsa)
    weigert(rsa, _met_ruwe_kop(rsa["inhoud"], ruw[:-1] + ', "alg": "RSA-OAEP-256"}'))
    weigert(rsa, _met_ruwe_kop(rsa["inhoud"], ruw[:-1] + f', "kid": "{kop_rsa["kid"]}"}}'))
    # not five parts, not base64url
    weigert(rsa, rsa["inhoud"].rsplit(".", 1)[0])
    weigert(rsa, rsa["inhoud"] + "!")
    # size: larger than the configured maximum (default 4 MiB) is 413
    delen = rsa["inhoud"].split(".")
    delen[3] = "A" * (4 * 1024 * 1024)
    weigert(rsa, ".".join(delen), 413)

    # the untouched envelopes are accepted, and nothing refused reached an inbox
    assert shv.post("/berichten", json=rsa).status_code == 201
    assert shv.post("/berichten", json=ec).status_code == 201
    assert [b["referentienummer"] for b in se.get("/berichten").json()["berichten"]] == [
        rsa["referentienummer"]
    ]
    assert [b["referentienummer"] for b in bd.get("/berichten").json()["berichten"]] == [
        ec["referentienummer"]
    ]


def test_nieuwe_regel_achter_een_identificatie_in_het_pad_is_400(
    client: Client, cast: dict[str, Partij]
) -> None:
    """§4: "Every identifier in the wire contract is matched whole (`\\A…\\Z` or `fullmatch`, never a
    `$` that accepts a trailing newline) and must already be canonical (…; anything else is 400"."""
    se = client(cast["energie"])
    ref = str(uuid.uuid4())
    _probleem(se.get(f"/berichten/{ref}%0A"), 400)
    _probleem(se.get(f"/conversaties/{ref}%0A"), 400)
    _probleem(se.get(f"/adresboek/{cast['gemeente'].oin}%0A"), 400)


@pytest.mark.parametrize("hub_env", [{"KNOOPPUNT_MAX_PAGINA_BYTES": "4096"}])
def test_pagina_begrensd_door_bytes_maar_altijd_een_bericht(client: Client, cast: dict[str, Partij]) -> None:
    """§4: "A fetch page holds at most `limit` messages **and** at most 16 MiB of `inhoud` by default,
    but always at least one message; `volgende` continues." (here the configured maximum is 4 KiB)"""
    gemeente, energie = cast["gemeente"], cast["energie"]
    shv, se = client(gemeente), client(energie)
    groot = envelop(gemeente, energie, "kennisgeving", payload={"opvulling": "x" * 6000})
    klein = [envelop(gemeente, energie, "kennisgeving") for _ in range(5)]
    verstuurd = [groot, *klein]
    for e in verstuurd:
        assert shv.post("/berichten", json=e).status_code == 201
    assert len(groot["inhoud"]) > 4096 and all(len(e["inhoud"]) < 4096 for e in klein)

    paginas: list[list[str]] = []
    params: dict[str, Any] = {"limit": 1000}
    while True:
        r = se.get("/berichten", params=params)
        assert r.status_code == 200, r.text
        berichten = r.json()["berichten"]
        assert berichten, "always at least one message"
        assert len(berichten) == 1 or sum(len(b["inhoud"]) for b in berichten) <= 4096
        paginas.append([b["referentienummer"] for b in berichten])
        if not r.json().get("volgende"):
            break
        params = {"limit": 1000, "volgende": r.json()["volgende"]}
    assert paginas[0] == [groot["referentienummer"]]  # larger than a page: alone, but served
    assert [ref for p in paginas for ref in p] == [e["referentienummer"] for e in verstuurd]
    assert len(paginas) >= 3


@pytest.mark.parametrize(
    "hub_env", [{"KNOOPPUNT_MAX_INHOUD_BYTES": "1048576", "KNOOPPUNT_MAX_REQUEST_BYTES": "1114112"}]
)
def test_verzoek_groter_dan_de_ingestelde_grootte_413(client: Client, cast: dict[str, Partij]) -> None:
    """§4: `verzendingen` "(at most 1,000 envelopes and the configured request size, else 413)";
    "Errors are `application/problem+json`"."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    shv = client(gemeente)
    e = envelop(gemeente, energie, "kennisgeving")
    veel = [e | {"referentienummer": str(uuid.uuid4())} for _ in range(1100 * 1024 // len(e["inhoud"]) + 1)]
    assert len(veel) <= 1000
    _probleem(shv.post("/verzendingen", json={"berichten": veel}), 413)
    _probleem(shv.post("/berichten", json=e | {"inhoud": e["inhoud"] + "A" * 1_200_000}), 413)
    assert client(energie).get("/berichten").json()["berichten"] == []
