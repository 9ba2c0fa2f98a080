"""#13: POST /berichten and POST /bevestigingen are served past FastAPI's per-request machinery
(api/snel.py). What a participant gets must be exactly what FastAPI's route gives: the same status,
headers, body and audit entries, for an accepted message, a repeat, a refusal of a rule, a caller
without a certificate, and — through FastAPI itself — a body that does not parse or validate."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from knooppunt.api import snel
from knooppunt.metrics import HTTP_VERZOEKEN
from knooppunt.runtime import Runtime
from knooppunt.store.models import Auditregel
from tests.conftest import MetCertificaat
from tests.factories import Partij, envelop

VERANDERLIJK = {"ontvangenOp", "verlooptOp", "referentienummer", "conversatieReferentienummer"}


@pytest.fixture
def snel_gebruikt(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the fast path served itself (it read their bodies)."""
    gelezen: list[str] = []
    lees = snel._lees

    async def tel(receive: Any) -> bytes:
        body = await lees(receive)
        gelezen.append("gelezen")
        return body

    monkeypatch.setattr(snel, "_lees", tel)
    return gelezen


def _client(app: Any, partij: Partij | None) -> TestClient:
    return TestClient(
        MetCertificaat(app, partij.pem if partij else None),
        base_url="https://testserver/api/v1",
        raise_server_exceptions=False,
    )


def _koppen(antwoord: Any) -> dict[str, str]:
    return {k: v for k, v in antwoord.headers.items() if k not in ("content-length", "x-request-id")}


def _zonder_veranderlijk(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in VERANDERLIJK}


def _audit(rt: Runtime) -> list[tuple[str, str | None]]:
    with rt.sessions() as session:
        return [
            (r.actie, r.uitkomst)
            for r in session.scalars(
                select(Auditregel).where(Auditregel.actie == "geweigerd_verzoek").order_by(Auditregel.id)
            )
        ]


def test_snel_en_via_fastapi_geven_hetzelfde_antwoord(
    cast: dict[str, Partij], app: Any, snel_gebruikt: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    client = _client(app, shv)
    snel_env, traag_env = envelop(shv, se, "saldoverzoek"), envelop(shv, se, "saldoverzoek")
    snel_antwoord = client.post("/berichten", json=snel_env)
    assert snel_gebruikt == ["gelezen"]
    # A query string sends the same request through FastAPI's route (the fast path never guesses).
    traag_antwoord = client.post("/berichten?via=fastapi", json=traag_env)
    assert snel_gebruikt == ["gelezen"]
    for a in (snel_antwoord, traag_antwoord):
        assert a.status_code == 201, a.text
    assert {
        k: v for k, v in snel_antwoord.headers.items() if k not in ("content-length", "x-request-id")
    } == {k: v for k, v in traag_antwoord.headers.items() if k not in ("content-length", "x-request-id")}
    assert _zonder_veranderlijk(snel_antwoord.json()) == _zonder_veranderlijk(traag_antwoord.json())
    assert snel_antwoord.headers["API-Version"] == "1.0.0"

    # A repeat with the same referentienummer: the original result, 200, on both paths.
    herhaald = client.post("/berichten", json=snel_env)
    assert herhaald.status_code == 200 and herhaald.json() == snel_antwoord.json()


def test_een_weigering_langs_het_snelle_pad_is_de_weigering_van_fastapi(
    cast: dict[str, Partij], app: Any, rt: Runtime, snel_gebruikt: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    client = _client(app, shv)
    # art. 11.1: a schuldregeling_geaccordeerd needs an accepted betaalvoorstel first (a hub rule)
    snel_fout = client.post("/berichten", json=envelop(shv, se, "schuldregeling_geaccordeerd"))
    traag_fout = client.post("/berichten?via=fastapi", json=envelop(shv, se, "schuldregeling_geaccordeerd"))
    assert snel_gebruikt == ["gelezen"]
    assert snel_fout.status_code == traag_fout.status_code == 422, snel_fout.text
    assert (
        snel_fout.headers["content-type"] == traag_fout.headers["content-type"] == "application/problem+json"
    )
    assert snel_fout.headers["API-Version"] == traag_fout.headers["API-Version"] == "1.0.0"
    a, b = snel_fout.json(), traag_fout.json()
    assert {k: v for k, v in a.items() if k != "instance"} == {k: v for k, v in b.items() if k != "instance"}


def test_zonder_certificaat_401_zonder_iets_over_de_body(cast: dict[str, Partij], app: Any) -> None:
    r = _client(app, None).post("/berichten", json=envelop(cast["gemeente"], cast["energie"], "saldoverzoek"))
    assert r.status_code == 401 and r.json()["code"] == "NIET_GEAUTHENTICEERD"
    assert r.headers["API-Version"] == "1.0.0"


def test_wat_niet_parset_of_valideert_gaat_naar_fastapi_en_wordt_geauditeerd(
    cast: dict[str, Partij], app: Any, rt: Runtime, snel_gebruikt: list[str]
) -> None:
    shv = cast["gemeente"]
    client = _client(app, shv)
    for body in (b'{"x": NaN}', b"{}", b'{"referentienummers": []}'):
        pad = "/bevestigingen" if b"referentienummers" in body else "/berichten"
        r = client.post(pad, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "ONGELDIG_VERZOEK"
    assert len(snel_gebruikt) == 3  # read by the fast path, then handed on with its body
    assert _audit(rt) == [
        ("geweigerd_verzoek", "ONGELDIG_VERZOEK verstuurBericht"),
        ("geweigerd_verzoek", "ONGELDIG_VERZOEK verstuurBericht"),
        ("geweigerd_verzoek", "ONGELDIG_VERZOEK bevestigBerichten"),
    ]


def test_bevestigen_langs_het_snelle_pad_en_de_metriek_kent_de_route(
    cast: dict[str, Partij], app: Any, snel_gebruikt: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    voor = HTTP_VERZOEKEN.labels("/api/v1/bevestigingen", "POST", "200")._value.get()
    env = envelop(shv, se, "saldoverzoek")
    assert _client(app, shv).post("/berichten", json=env).status_code == 201
    ontvanger = _client(app, se)
    assert ontvanger.get("/berichten").status_code == 200
    r = ontvanger.post("/bevestigingen", json={"referentienummers": [env["referentienummer"]]})
    assert r.status_code == 200, r.text
    [uitkomst] = r.json()["bevestigingen"]
    assert {k: uitkomst[k] for k in ("referentienummer", "status", "code")} == {
        "referentienummer": env["referentienummer"],
        "status": "bevestigd",
        "code": None,
    }
    assert uitkomst["bevestigdOp"] and uitkomst["antwoordUiterlijk"]  # a saldoverzoek is answered
    assert snel_gebruikt == ["gelezen", "gelezen"]
    assert HTTP_VERZOEKEN.labels("/api/v1/bevestigingen", "POST", "200")._value.get() == voor + 1
