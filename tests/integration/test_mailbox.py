"""The mailbox lifecycle over API v1 (DESIGN §4, §6): idempotency, inbox, confirm, refuse, expire."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from knooppunt.jobs import verlopen
from knooppunt.runtime import Runtime
from knooppunt.store.models import Bericht, BerichtInhoud
from tests.factories import Partij, envelop


def _stuur(
    client_voor: Any, van: Partij, aan: Partij, berichttype: str = "saldoverzoek", **kwargs: Any
) -> dict[str, Any]:
    env = envelop(van, aan, berichttype, **kwargs)
    r = client_voor(van).post("/berichten", json=env)
    assert r.status_code == 201, r.text
    return env


def test_herhaalde_poging_geeft_oorspronkelijk_resultaat(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    shv = client_voor(gemeente)
    env = envelop(gemeente, energie, "saldoverzoek")
    eerste = shv.post("/berichten", json=env)
    tweede = shv.post("/berichten", json=env)
    assert (eerste.status_code, tweede.status_code) == (201, 200)
    assert eerste.json() == tweede.json()
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Bericht)) == 1


def test_herhaling_werkt_ook_na_bevestiging(cast: dict[str, Partij], client_voor: Any) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = _stuur(client_voor, gemeente, energie)
    client_voor(energie).post(f"/berichten/{env['referentienummer']}/bevestiging")
    herhaald = client_voor(gemeente).post("/berichten", json=env)
    assert herhaald.status_code == 200
    assert herhaald.json()["status"] == "bevestigd"


def test_zelfde_referentienummer_ander_bericht_is_conflict(cast: dict[str, Partij], client_voor: Any) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    env = _stuur(client_voor, gemeente, energie)
    anders = envelop(gemeente, woning, "saldoverzoek", referentienummer=env["referentienummer"])
    r = client_voor(gemeente).post("/berichten", json=anders)
    assert (r.status_code, r.json()["code"]) == (409, "REFERENTIENUMMER_CONFLICT")
    # Another sender reusing the number is a conflict too, never the first sender's result.
    r = client_voor(cast["kredietbank"]).post(
        "/berichten",
        json=envelop(cast["kredietbank"], energie, "saldoverzoek", referentienummer=env["referentienummer"]),
    )
    assert (r.status_code, r.json()["code"]) == (409, "REFERENTIENUMMER_CONFLICT")


def test_afzender_komt_uit_authenticatie_niet_uit_body(cast: dict[str, Partij], client_voor: Any) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = envelop(gemeente, energie, "saldoverzoek") | {"afzender": cast["kredietbank"].oin}
    r = client_voor(gemeente).post("/berichten", json=env)
    assert r.status_code == 201
    assert r.json()["afzender"] == gemeente.oin


@pytest.mark.parametrize(
    ("wijziging", "veld"),
    [
        ({"referentienummer": "geen-uuid"}, "referentienummer"),
        ({"conversatieReferentienummer": None}, "conversatieReferentienummer"),
        ({"ontvanger": "123"}, "ontvanger"),
        ({"inhoud": ""}, "inhoud"),
        ({"berichttype": None}, "berichttype"),
    ],
)
def test_ongeldige_envelop_noemt_het_veld(
    cast: dict[str, Partij], client_voor: Any, wijziging: dict[str, Any], veld: str
) -> None:
    env = envelop(cast["gemeente"], cast["energie"], "saldoverzoek") | wijziging
    r = client_voor(cast["gemeente"]).post("/berichten", json=env)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "ONGELDIG_VERZOEK"
    assert veld in [p["name"] for p in r.json()["invalidParams"]]


def _jwe_met_kop(env: dict[str, Any], kop: dict[str, Any] | str) -> str:
    ruw = kop if isinstance(kop, str) else json.dumps(kop)
    b64 = base64.urlsafe_b64encode(ruw.encode()).rstrip(b"=").decode()
    return ".".join([b64, *env["inhoud"].split(".")[1:]])


def test_jwe_header_wordt_gecontroleerd(cast: dict[str, Partij], client_voor: Any) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    shv = client_voor(gemeente)
    goed = envelop(gemeente, energie, "saldoverzoek")
    kop = json.loads(base64.urlsafe_b64decode(goed["inhoud"].split(".")[0] + "=="))
    voor_ander = envelop(gemeente, woning, "saldoverzoek")["inhoud"]
    gevallen = {
        "alg none": _jwe_met_kop(goed, kop | {"alg": "none"}),
        "RSA1_5": _jwe_met_kop(goed, kop | {"alg": "RSA1_5"}),
        "enc": _jwe_met_kop(goed, kop | {"enc": "A128CBC-HS256"}),
        "zip": _jwe_met_kop(goed, kop | {"zip": "DEF"}),
        "x5u": _jwe_met_kop(goed, kop | {"x5u": "https://example.org/k"}),
        "jwk": _jwe_met_kop(goed, kop | {"jwk": {"kty": "RSA"}}),
        "crit": _jwe_met_kop(goed, kop | {"crit": ["exp"]}),
        "dubbel": _jwe_met_kop(goed, json.dumps(kop)[:-1] + ', "alg": "RSA-OAEP-256"}'),
        "kid van een ander": voor_ander,
        "geen jwe": "dit-is.geen-jwe",
        "alg past niet bij sleutel": _jwe_met_kop(
            goed, kop | {"alg": "ECDH-ES+A256KW", "epk": {"kty": "EC"}}
        ),
    }
    for naam, inhoud in gevallen.items():
        r = shv.post("/berichten", json=goed | {"inhoud": inhoud, "referentienummer": str(uuid.uuid4())})
        assert r.status_code == 400, naam
        assert r.json()["code"] == "ONGELDIGE_INHOUD", naam
        assert r.json()["invalidParams"][0]["name"] == "inhoud", naam
    assert shv.post("/berichten", json=goed).status_code == 201


def test_te_grote_inhoud(cast: dict[str, Partij], client_voor: Any, rt: Runtime) -> None:
    from dataclasses import replace

    rt.instellingen = replace(rt.instellingen, max_inhoud_bytes=2048)
    env = envelop(cast["gemeente"], cast["energie"], "saldoverzoek", payload={"x": "y" * 4000})
    r = client_voor(cast["gemeente"]).post("/berichten", json=env)
    assert (r.status_code, r.json()["code"]) == (413, "ONGELDIGE_INHOUD")


def test_inbox_oudste_eerst_met_paginering_en_filters(cast: dict[str, Partij], client_voor: Any) -> None:
    gemeente, kredietbank, energie = cast["gemeente"], cast["kredietbank"], cast["energie"]
    verstuurd = [_stuur(client_voor, gemeente, energie)["referentienummer"] for _ in range(3)]
    verstuurd.append(_stuur(client_voor, kredietbank, energie, "kennisgeving")["referentienummer"])
    se = client_voor(energie)
    eerste = se.get("/berichten", params={"limit": 2}).json()
    assert [b["referentienummer"] for b in eerste["berichten"]] == verstuurd[:2]
    tweede = se.get("/berichten", params={"limit": 2, "volgende": eerste["volgende"]}).json()
    assert [b["referentienummer"] for b in tweede["berichten"]] == verstuurd[2:]
    assert tweede.get("volgende") is None
    assert len(se.get("/berichten", params={"afzender": kredietbank.oin}).json()["berichten"]) == 1
    assert len(se.get("/berichten", params={"berichttype": "saldoverzoek"}).json()["berichten"]) == 3
    assert se.get("/berichten", params={"limit": 1001}).status_code == 400
    assert se.get("/berichten", params={"volgende": "rommel"}).status_code == 400
    # Fetching does not consume: the messages stay downloadable until confirmed (17.4).
    assert len(se.get("/berichten").json()["berichten"]) == 4


def test_een_bericht_ophalen(cast: dict[str, Partij], client_voor: Any) -> None:
    env = _stuur(client_voor, cast["gemeente"], cast["energie"])
    se = client_voor(cast["energie"])
    r = se.get(f"/berichten/{env['referentienummer']}")
    assert r.status_code == 200
    assert r.json()["inhoud"] == env["inhoud"]
    assert r.json()["opgehaaldOp"] is not None
    se.post(f"/berichten/{env['referentienummer']}/bevestiging")
    na = se.get(f"/berichten/{env['referentienummer']}").json()
    assert na["inhoud"] is None
    assert na["status"] == "bevestigd"
    assert se.get(f"/berichten/{uuid.uuid4()}").status_code == 404


def test_bevestigen_verwijdert_inhoud_en_herhalen_is_onschadelijk(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = _stuur(client_voor, gemeente, energie)
    se = client_voor(energie)
    assert se.post(f"/berichten/{env['referentienummer']}/bevestiging").status_code == 200
    assert se.post(f"/berichten/{env['referentienummer']}/bevestiging").status_code == 200
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BerichtInhoud)) == 0
    ontvangst = client_voor(gemeente).get("/berichten").json()["berichten"]
    assert [b["berichttype"] for b in ontvangst] == ["ontvangstbevestiging"]  # exactly one receipt
    # Confirming a hub notice sends no receipt back.
    client_voor(gemeente).post(f"/berichten/{ontvangst[0]['referentienummer']}/bevestiging")
    assert client_voor(energie).get("/berichten").json()["berichten"] == []


def test_meerdere_bevestigen(cast: dict[str, Partij], client_voor: Any) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    refs = [_stuur(client_voor, gemeente, energie)["referentienummer"] for _ in range(3)]
    onbekend = str(uuid.uuid4())
    r = client_voor(energie).post("/bevestigingen", json={"referentienummers": [*refs, onbekend]})
    assert r.status_code == 200
    uitkomst = {b["referentienummer"]: b for b in r.json()["bevestigingen"]}
    assert all(uitkomst[ref]["status"] == "bevestigd" for ref in refs)
    assert uitkomst[onbekend]["code"] == "NIET_GEVONDEN"
    assert client_voor(energie).get("/berichten").json()["berichten"] == []
    assert len(client_voor(gemeente).get("/berichten").json()["berichten"]) == 3
    assert client_voor(energie).post("/bevestigingen", json={"referentienummers": []}).status_code == 400


def test_meerdere_bevestigen_gemengd_in_een_batch(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """One batch holding every outcome: new (with and without an answer deadline), a duplicate,
    already confirmed, refused, expired and unknown. Exactly one receipt per newly confirmed."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    se = client_voor(energie)
    eerste = _stuur(client_voor, gemeente, energie)  # saldoverzoek: answer due
    vraag = eerste["referentienummer"]
    melding = _stuur(
        client_voor,
        gemeente,
        energie,
        "schuldregeling_beeindigd",
        conversatie=eerste["conversatieReferentienummer"],
    )["referentienummer"]
    al = _stuur(client_voor, gemeente, energie)["referentienummer"]
    geweigerd = _stuur(client_voor, gemeente, energie)["referentienummer"]
    verlopen_ref = _stuur(client_voor, gemeente, energie)["referentienummer"]
    assert se.post(f"/berichten/{al}/bevestiging").status_code == 200
    assert se.post(f"/berichten/{geweigerd}/weigering", json={"reden": "INHOUD_ONGELDIG"}).status_code == 200
    with rt.sessions() as session, session.begin():
        bericht = session.scalar(select(Bericht).where(Bericht.referentienummer == verlopen_ref))
        assert bericht is not None
        bericht.verloopt_op = datetime.now(UTC) - timedelta(minutes=1)
    onbekend = str(uuid.uuid4())
    refs = [vraag, melding, vraag, al, geweigerd, verlopen_ref, onbekend]
    r = se.post("/bevestigingen", json={"referentienummers": refs})
    assert r.status_code == 200, r.text
    uitkomsten = r.json()["bevestigingen"]
    assert [u["referentienummer"] for u in uitkomsten] == refs
    per_ref = {u["referentienummer"]: u for u in uitkomsten}
    assert per_ref[vraag]["status"] == "bevestigd"
    assert per_ref[melding]["status"] == "bevestigd"
    verzonden = {
        b["referentienummer"]: b for b in client_voor(gemeente).get("/verzonden").json()["berichten"]
    }
    assert verzonden[vraag]["antwoordUiterlijk"] is not None
    assert verzonden[melding].get("antwoordUiterlijk") is None
    assert per_ref[al]["status"] == "bevestigd"
    assert per_ref[geweigerd]["code"] == "GEWEIGERD"
    assert per_ref[verlopen_ref]["code"] == "VERLOPEN"
    assert per_ref[onbekend]["code"] == "NIET_GEVONDEN"
    meldingen = client_voor(gemeente).get("/berichten", params={"limit": 100}).json()["berichten"]
    bonnen = sorted(
        b["melding"]["referentienummer"] for b in meldingen if b["berichttype"] == "ontvangstbevestiging"
    )
    assert bonnen == sorted([vraag, melding, al])
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BerichtInhoud)) == 0


def test_weigeren_verwijdert_inhoud_en_meldt_afzender(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = _stuur(client_voor, gemeente, energie)
    se = client_voor(energie)
    assert (
        se.post(f"/berichten/{env['referentienummer']}/weigering", json={"reden": "onzin"}).status_code == 400
    )
    r = se.post(f"/berichten/{env['referentienummer']}/weigering", json={"reden": "HANDTEKENING_ONGELDIG"})
    assert r.status_code == 200
    assert r.json()["status"] == "geweigerd"
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BerichtInhoud)) == 0
    fout = client_voor(gemeente).get("/berichten").json()["berichten"]
    assert [(b["berichttype"], b["melding"]["code"], b["melding"]["reden"]) for b in fout] == [
        ("foutbericht", "GEWEIGERD", "HANDTEKENING_ONGELDIG")
    ]
    assert fout[0]["melding"]["referentienummer"] == env["referentienummer"]
    assert se.post(f"/berichten/{env['referentienummer']}/bevestiging").status_code == 409


def _later(rt: Runtime, dagen: int) -> datetime:
    return datetime.now(UTC) + timedelta(days=dagen)


def test_art_17_5_verlopen_bericht_verdwijnt_en_afzender_krijgt_melding(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = _stuur(client_voor, gemeente, energie)
    assert verlopen.verloop_alles(rt.sessions, nu=_later(rt, 3), instellingen=rt.instellingen) == 0
    assert verlopen.verloop_alles(rt.sessions, nu=_later(rt, 20), instellingen=rt.instellingen) == 1
    assert (
        verlopen.verloop_alles(rt.sessions, nu=_later(rt, 20), instellingen=rt.instellingen) == 0
    )  # idempotent
    assert client_voor(energie).get("/berichten").json()["berichten"] == []
    r = client_voor(energie).post(f"/berichten/{env['referentienummer']}/bevestiging")
    assert (r.status_code, r.json()["code"]) == (410, "VERLOPEN")
    meldingen = client_voor(gemeente).get("/berichten").json()["berichten"]
    assert [
        (b["berichttype"], b["melding"]["code"], b["melding"]["referentienummer"]) for b in meldingen
    ] == [("foutbericht", "VERLOPEN", env["referentienummer"])]
    verzonden = client_voor(gemeente).get("/verzonden", params={"status": "verlopen"}).json()["berichten"]
    assert [b["referentienummer"] for b in verzonden] == [env["referentienummer"]]
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BerichtInhoud)) == 0
    # The sender may offer it again under a new number (17.5).
    _stuur(client_voor, gemeente, energie, conversatie=env["conversatieReferentienummer"])


def test_bevestigen_na_termijn_zonder_sweep_geeft_verlopen(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = _stuur(client_voor, gemeente, energie)
    with rt.sessions() as session, session.begin():
        bericht = session.scalar(select(Bericht).where(Bericht.referentienummer == env["referentienummer"]))
        assert bericht is not None
        bericht.verloopt_op = datetime.now(UTC) - timedelta(minutes=1)
    r = client_voor(energie).post(f"/berichten/{env['referentienummer']}/bevestiging")
    assert (r.status_code, r.json()["code"]) == (410, "VERLOPEN")
    # The expiry was kept: the sender is told, exactly once.
    assert [b["melding"]["code"] for b in client_voor(gemeente).get("/berichten").json()["berichten"]] == [
        "VERLOPEN"
    ]
    assert client_voor(energie).post(f"/berichten/{env['referentienummer']}/bevestiging").status_code == 410
    assert len(client_voor(gemeente).get("/berichten").json()["berichten"]) == 1


def test_verzonden_toont_status_en_termijnen(cast: dict[str, Partij], client_voor: Any) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = _stuur(client_voor, gemeente, energie)
    shv = client_voor(gemeente)
    rij = shv.get("/verzonden").json()["berichten"][0]
    assert rij["status"] == "aangeboden"
    assert rij["verlooptOp"].startswith(("20",)) and rij["antwoordUiterlijk"] is None
    client_voor(energie).get("/berichten")
    assert shv.get("/verzonden").json()["berichten"][0]["status"] == "opgehaald"
    client_voor(energie).post(f"/berichten/{env['referentienummer']}/bevestiging")
    rij = shv.get(
        "/verzonden", params={"conversatieReferentienummer": env["conversatieReferentienummer"]}
    ).json()
    assert rij["berichten"][0]["status"] == "bevestigd"
    assert rij["berichten"][0]["antwoordUiterlijk"] is not None
    assert shv.get("/verzonden", params={"status": "verlopen"}).json()["berichten"] == []
    assert shv.get("/verzonden", params={"status": "kwijt"}).status_code == 400


def test_te_laat_zichtbaar_voor_beide_kanten(cast: dict[str, Partij], client_voor: Any, rt: Runtime) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = _stuur(client_voor, gemeente, energie)
    client_voor(energie).post(f"/berichten/{env['referentienummer']}/bevestiging")
    with rt.sessions() as session, session.begin():
        bericht = session.scalar(select(Bericht).where(Bericht.referentienummer == env["referentienummer"]))
        assert bericht is not None
        bericht.antwoord_uiterlijk = datetime.now(UTC) - timedelta(minutes=1)
    assert client_voor(gemeente).get("/verzonden").json()["berichten"][0]["teLaat"] is True
    assert client_voor(energie).get(f"/berichten/{env['referentienummer']}").json()["teLaat"] is True


def test_conversatie_tijdlijn_toont_alleen_eigen_berichten(cast: dict[str, Partij], client_voor: Any) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    conversatie = str(uuid.uuid4())
    naar_energie = _stuur(client_voor, gemeente, energie, conversatie=conversatie)
    _stuur(client_voor, gemeente, woning, conversatie=conversatie)
    tijdlijn = client_voor(energie).get(f"/conversaties/{conversatie}").json()["berichten"]
    assert [b["referentienummer"] for b in tijdlijn] == [naar_energie["referentienummer"]]
    assert all(b.get("inhoud") is None for b in tijdlijn)
    assert len(client_voor(gemeente).get(f"/conversaties/{conversatie}").json()["berichten"]) == 2
    assert client_voor(cast["kredietbank"]).get(f"/conversaties/{conversatie}").status_code == 404


def test_termijnen_in_werkdagen(cast: dict[str, Partij], client_voor: Any) -> None:
    env = _stuur(client_voor, cast["gemeente"], cast["energie"])
    rij = client_voor(cast["gemeente"]).get("/verzonden").json()["berichten"][0]
    ontvangen = datetime.fromisoformat(rij["ontvangenOp"])
    verloopt = datetime.fromisoformat(rij["verlooptOp"])
    assert verloopt.strftime("%H:%M:%S") == "23:59:59"
    # Five working days from the day after: from a Sunday's last second to the Friday's (just under
    # 5 days) up to Christmas or Easter (11 days and a bit).
    assert timedelta(days=4, hours=23) < verloopt - ontvangen < timedelta(days=12)
    assert env["referentienummer"] == rij["referentienummer"]


def test_ontvanger_met_nieuwe_sleutels_weigert_met_sleutel_onbruikbaar(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    """DESIGN §5 "Portal": after a lost passphrase, a message sealed for the old key is refused
    with reason SLEUTEL_ONBRUIKBAAR (no decryption needed); the sender hears why."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = _stuur(client_voor, gemeente, energie)
    r = client_voor(energie).post(
        f"/berichten/{env['referentienummer']}/weigering", json={"reden": "SLEUTEL_ONBRUIKBAAR"}
    )
    assert r.status_code == 200, r.text
    fout = client_voor(gemeente).get("/berichten").json()["berichten"]
    assert [(b["melding"]["code"], b["melding"]["reden"]) for b in fout] == [
        ("GEWEIGERD", "SLEUTEL_ONBRUIKBAAR")
    ]
    assert "niet meer heeft" in fout[0]["melding"]["omschrijving"]
