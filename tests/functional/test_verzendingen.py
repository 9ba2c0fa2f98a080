"""`POST /api/v1/verzendingen` (DESIGN §4): many envelopes in one request, judged in index order
exactly as single submits would be, each seeing those accepted before it; per-envelope outcomes,
or all or nothing."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from knooppunt.config import Settings
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Auditregel, Bericht, Conversatie
from tests.conftest import maak_settings
from tests.factories import Partij, envelop

MAX_OPEN = 4
MAX_INHOUD = 256 * 1024


@pytest.fixture
def settings(database_url: str, tmp_path: Path, pki_dir: Path) -> Settings:
    # Small caps on unconfirmed messages and on inhoud, so TE_VEEL_OPEN and a too large inhoud are
    # reached in a test.
    return maak_settings(
        database_url, tmp_path / "data", pki_dir, max_open_per_relatie=MAX_OPEN, max_inhoud_bytes=MAX_INHOUD
    )


def _aantal(rt: Runtime, model: Any, *voorwaarden: Any) -> int:
    with transactie(rt.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*voorwaarden)) or 0)


def _statussen(r: Any) -> list[tuple[int, str | None]]:
    return [(b["status"], (b.get("probleem") or {}).get("code")) for b in r.json()["berichten"]]


def test_op_volgorde_en_elk_ziet_de_eerder_aangenomen(cast: dict[str, Partij], client_voor: Any) -> None:
    """A kennisgeving then schuldregeling_beeindigd (12.1: exchanged before) and a saldoverzoek then a
    reminder naming it (15.1), in a conversation the request starts; a refused envelope in between
    is not seen by those after it."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    conversatie = str(uuid.uuid4())
    vraag = envelop(gemeente, energie, "saldoverzoek_nuts", conversatie=conversatie)
    leeg = str(uuid.uuid4())
    envelops = [
        envelop(gemeente, energie, "kennisgeving", conversatie=conversatie),
        envelop(gemeente, energie, "schuldregeling_beeindigd", conversatie=leeg),  # nothing exchanged
        envelop(gemeente, energie, "schuldregeling_beeindigd", conversatie=conversatie),
        vraag,
        envelop(
            gemeente, energie, "reminder", conversatie=conversatie, antwoord_op=vraag["referentienummer"]
        ),
    ]
    r = client_voor(gemeente).post("/verzendingen", json={"berichten": envelops})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert _statussen(r) == [(201, None), (422, "GEEN_EERDER_CONTACT"), (201, None), (201, None), (201, None)]
    berichten = r.json()["berichten"]
    assert [b["index"] for b in berichten] == [0, 1, 2, 3, 4]
    for b, e in zip(berichten, envelops, strict=True):
        if b["status"] == 201:
            assert b["bericht"]["referentienummer"] == e["referentienummer"]
            assert b["bericht"]["afzender"] == gemeente.oin and b["bericht"]["status"] == "aangeboden"
            assert "inhoud" not in b["bericht"] and "probleem" not in b
    geweigerd = berichten[1]["probleem"]
    assert geweigerd["status"] == 422 and "bericht" not in berichten[1]
    assert {"type", "title", "detail"} <= set(geweigerd)
    assert e["inhoud"] not in r.text  # no ciphertext echoed
    # the recipient gets them in index order
    inbox = client_voor(energie).get("/berichten").json()["berichten"]
    verwacht = [envelops[i]["referentienummer"] for i in (0, 2, 3, 4)]
    assert [b["referentienummer"] for b in inbox] == verwacht


def test_antwoorden_in_een_verzending_bevestigen_en_beantwoorden_hun_vragen(
    cast: dict[str, Partij], client_voor: Any
) -> None:
    """Answers in a verzending confirm and answer their questions, as single answers do."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    vragen = [envelop(gemeente, energie, "saldoverzoek_nuts") for _ in range(2)]
    assert client_voor(gemeente).post("/verzendingen", json={"berichten": vragen}).status_code == 200
    antwoorden = [
        envelop(
            energie,
            gemeente,
            "klant_onbekend",
            conversatie=v["conversatieReferentienummer"],
            antwoord_op=v["referentienummer"],
        )
        for v in vragen
    ]
    r = client_voor(energie).post("/verzendingen", json={"berichten": antwoorden})
    assert _statussen(r) == [(201, None), (201, None)]
    verzonden = client_voor(gemeente).get("/verzonden").json()["berichten"]
    assert {b["status"] for b in verzonden} == {"beantwoord"}


def test_herhaling_in_het_verzoek_en_van_het_hele_verzoek(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    eerste = envelop(gemeente, energie, "saldoverzoek_nuts")
    anders = envelop(gemeente, woning, "saldoverzoek", referentienummer=eerste["referentienummer"])
    verzoek = {"berichten": [eerste, eerste, anders]}
    shv = client_voor(gemeente)
    r = shv.post("/verzendingen", json=verzoek)
    assert _statussen(r) == [(201, None), (200, None), (409, "REFERENTIENUMMER_CONFLICT")]
    origineel = r.json()["berichten"][0]["bericht"]
    assert r.json()["berichten"][1]["bericht"] == origineel

    opnieuw = shv.post("/verzendingen", json=verzoek)
    assert _statussen(opnieuw) == [(200, None), (200, None), (409, "REFERENTIENUMMER_CONFLICT")]
    assert opnieuw.json()["berichten"][0]["bericht"] == origineel
    # and a single submit of the same envelope gets the same original result
    los = shv.post("/berichten", json=eerste)
    assert los.status_code == 200 and los.json()["ontvangenOp"] == origineel["ontvangenOp"]
    assert _aantal(rt, Bericht, Bericht.afzender == gemeente.oin) == 1


def test_elke_weigering_met_haar_eigen_status_en_code(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    onbekend = envelop(gemeente, energie, "saldoverzoek_nuts") | {"ontvanger": "00000009999999990000"}
    geen_jwe = envelop(gemeente, woning, "saldoverzoek") | {"inhoud": "geen-jwe"}
    te_groot = envelop(gemeente, woning, "saldoverzoek", payload={"opvulling": "x" * MAX_INHOUD})
    # MAX_OPEN unconfirmed to energie at most: the fifth of these is one too many
    naar_energie = [envelop(gemeente, energie, "saldoverzoek_nuts") for _ in range(MAX_OPEN + 1)]
    r = client_voor(gemeente).post(
        "/verzendingen", json={"berichten": [onbekend, geen_jwe, te_groot, *naar_energie]}
    )
    assert r.status_code == 200, r.text
    assert _statussen(r) == [
        (422, "ONBEKENDE_ONTVANGER"),
        (400, "ONGELDIGE_INHOUD"),
        (413, "ONGELDIGE_INHOUD"),
        *[(201, None)] * MAX_OPEN,
        (429, "TE_VEEL_OPEN"),
    ]
    assert r.json()["berichten"][0]["probleem"]["invalidParams"][0]["name"] == "ontvanger"
    assert _aantal(rt, Bericht, Bericht.afzender == gemeente.oin) == MAX_OPEN
    # every refusal has its audit entry, as a single submit's refusal has
    with transactie(rt.sessions) as session:
        regels = session.execute(
            select(Auditregel.referentienummer, Auditregel.uitkomst)
            .where(Auditregel.actie == "geweigerd_bij_verzenden")
            .order_by(Auditregel.id)
        ).all()
    assert [tuple(regel) for regel in regels] == [
        (onbekend["referentienummer"], "ONBEKENDE_ONTVANGER"),
        (geen_jwe["referentienummer"], "ONGELDIGE_INHOUD"),
        (te_groot["referentienummer"], "ONGELDIGE_INHOUD"),
        (naar_energie[-1]["referentienummer"], "TE_VEEL_OPEN"),
    ]


def test_alles_of_niets_aangenomen(cast: dict[str, Partij], client_voor: Any, rt: Runtime) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    conversatie = str(uuid.uuid4())
    envelops = [
        envelop(gemeente, energie, "kennisgeving", conversatie=conversatie),
        envelop(gemeente, energie, "saldoverzoek_nuts", conversatie=conversatie),
    ]
    r = client_voor(gemeente).post("/verzendingen", json={"berichten": envelops, "allesOfNiets": True})
    assert r.status_code == 200, r.text
    assert _statussen(r) == [(201, None), (201, None)]
    assert _aantal(rt, Bericht, Bericht.afzender == gemeente.oin) == 2


def test_alles_of_niets_geweigerd_slaat_niets_op(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie, zorg = cast["gemeente"], cast["energie"], cast["zorg"]
    conversatie = str(uuid.uuid4())
    vraag = envelop(gemeente, energie, "saldoverzoek_nuts", conversatie=conversatie)
    envelops = [
        envelop(gemeente, energie, "kennisgeving", conversatie=conversatie),
        vraag,
        envelop(gemeente, zorg, "saldoverzoek_nuts", conversatie=conversatie),  # zorg is no nuts (5.2)
        envelop(
            gemeente, energie, "reminder", conversatie=conversatie, antwoord_op=vraag["referentienummer"]
        ),
        envelop(gemeente, energie, "saldoverzoek_nuts") | {"inhoud": "geen-jwe"},
    ]
    r = client_voor(gemeente).post("/verzendingen", json={"berichten": envelops, "allesOfNiets": True})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert (body["status"], body["code"]) == (422, "NIETS_VERSTUURD")
    assert "2, 4" in body["detail"]
    assert _statussen(r) == [
        (424, "NIET_VERSTUURD"),
        (424, "NIET_VERSTUURD"),
        (422, "ONJUISTE_SCHULDENSOORT"),
        (424, "NIET_VERSTUURD"),  # in order: it sees the saldoverzoek before it, accepted
        (400, "ONGELDIGE_INHOUD"),
    ]
    assert all("bericht" not in b for b in body["berichten"])
    # nothing stored: no message, no receipt, no conversation claimed; the refusals audited
    assert _aantal(rt, Bericht) == 0
    assert _aantal(rt, Conversatie) == 0
    assert _aantal(rt, Auditregel, Auditregel.actie == "verstuurd") == 0
    with transactie(rt.sessions) as session:
        uitkomsten = list(
            session.scalars(
                select(Auditregel.uitkomst)
                .where(Auditregel.actie == "geweigerd_bij_verzenden")
                .order_by(Auditregel.id)
            )
        )
    assert uitkomsten == ["ONJUISTE_SCHULDENSOORT", "ONGELDIGE_INHOUD"]
    # the same request without the refused envelopes goes through whole
    goed = [envelops[i] for i in (0, 1, 3)]
    r = client_voor(gemeente).post("/verzendingen", json={"berichten": goed, "allesOfNiets": True})
    assert _statussen(r) == [(201, None)] * 3


def test_envelop_die_niet_aan_het_schema_voldoet_maakt_het_verzoek_een_400(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    goed = envelop(gemeente, energie, "saldoverzoek_nuts")
    fout = envelop(gemeente, energie, "saldoverzoek_nuts") | {"referentienummer": "GEEN-UUID"}
    fout["berichttype"] = "bestaat_niet"
    r = client_voor(gemeente).post("/verzendingen", json={"berichten": [goed, fout]})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "ONGELDIG_VERZOEK"
    namen = [p["name"] for p in r.json()["invalidParams"]]
    assert namen == ["berichten.1.referentienummer", "berichten.1.berichttype"]
    assert "Het verzoek klopt niet" in r.json()["detail"]
    assert _aantal(rt, Bericht) == 0
    for body, veld in (
        ({"berichten": []}, "berichten"),
        ({"berichten": [goed], "allesOfNiets": 1}, "allesOfNiets"),
        ({"berichten": [goed], "allesOfNiets": "true"}, "allesOfNiets"),
        ({"allesOfNiets": True}, "berichten"),
        ({"berichten": goed}, "berichten"),
        ({"berichten": [goed], "alesOfNiets": True}, "alesOfNiets"),  # misspelt: not quietly false
        ({"berichten": [goed | {"crossreferentienummer": None}]}, "berichten.0.crossreferentienummer"),
    ):
        r = client_voor(gemeente).post("/verzendingen", json=body)
        assert r.status_code == 400, (body, r.text)
        assert [p["name"] for p in r.json()["invalidParams"]] == [veld], r.text
    assert _aantal(rt, Bericht) == 0


def test_meer_dan_1000_enveloppen_is_413(cast: dict[str, Partij], client_voor: Any, rt: Runtime) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    sjabloon = envelop(gemeente, energie, "saldoverzoek_nuts") | {"inhoud": "x"}
    berichten = [sjabloon | {"referentienummer": str(uuid.uuid4())} for _ in range(1001)]
    r = client_voor(gemeente).post("/verzendingen", json={"berichten": berichten})
    assert r.status_code == 413, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "TE_GROOT" and "1000" in r.json()["detail"]
    assert _aantal(rt, Bericht) == 0


def test_alleen_met_een_geregistreerd_certificaat(cast: dict[str, Partij], client_voor: Any) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    r = client_voor(None).post(
        "/verzendingen", json={"berichten": [envelop(gemeente, energie, "saldoverzoek_nuts")]}
    )
    assert r.status_code == 401 and r.json()["code"] == "NIET_GEAUTHENTICEERD"
