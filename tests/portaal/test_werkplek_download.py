"""The server's half of the werkplek's download (art. 16–17, DESIGN §5 "Portal"): the zip's layout
as metadata (generated from export.py, csvindeling.py, leesbaar.py and the payload models; login and
the CSRF header required; no message content in it), the paged fetch with the senders'
certificates, the LEESMIJ from metadata, refusing with a werkplek reason, confirming only what was
fetched (17.2), and the server-side download closed for a participant whose keys are in the browser."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from knooppunt.hub.mailbox import WEIGERREDENEN
from knooppunt.portaal import csvformaat, csvindeling, export, leesbaar
from knooppunt.portaal.demo import KLANTEN
from knooppunt.portaal.routes import werkplek_download
from knooppunt.protocol.payloads import PAYLOADS
from knooppunt.runtime import Runtime
from knooppunt.store import clientlabels
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht, PortaalClientlabel
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.test_sleutels import API, Browser, csrf_van_pagina, settings, vraag  # noqa: F401

SR = "schuldregeling"


def statussen(rt: Runtime, wie: str = "energie") -> dict[str, str]:
    with transactie(rt.sessions) as session:
        rijen = session.execute(
            select(Bericht.referentienummer, Bericht.status)
            .where(Bericht.ontvanger == oin_van(wie))
            .order_by(Bericht.id)
        )
        return {str(r): str(s) for r, s in rijen}


def post(client: TestClient, csrf: str, pad: str, body: Any) -> Any:
    return client.post(f"{API}{pad}", json=body, headers={"X-CSRF-Token": csrf})


@pytest.fixture
def energie(portaal: TestClient, demo: object) -> tuple[TestClient, str]:
    inloggen(portaal, "energie", naam="Dirk")
    return portaal, csrf_van_pagina(portaal)


# --- the layout --------------------------------------------------------------------------------------


def test_indeling_wil_inloggen_en_het_csrf_token(portaal: TestClient, demo: object) -> None:
    antwoord = portaal.get(f"{API}/indeling")
    assert antwoord.status_code == 401
    assert "niet (meer) ingelogd" in antwoord.json()["detail"]
    inloggen(portaal, "energie")
    csrf = csrf_van_pagina(portaal)
    antwoord = portaal.get(f"{API}/indeling")
    assert antwoord.status_code == 403
    assert "CSRF" in antwoord.json()["detail"]
    assert portaal.get(f"{API}/indeling", headers={"X-CSRF-Token": csrf + "x"}).status_code == 403
    goed = portaal.get(f"{API}/indeling", headers={"X-CSRF-Token": csrf})
    assert goed.status_code == 200
    assert goed.headers["content-security-policy"].startswith("default-src 'none'")


def test_indeling_beheer_heeft_geen_berichten(portaal: TestClient, demo: object) -> None:
    inloggen(portaal, "beheer")
    assert portaal.get(f"{API}/indeling", headers={"X-CSRF-Token": "x"}).status_code == 403


def test_17_1_indeling_is_de_layout_van_de_export(energie: tuple[TestClient, str]) -> None:
    """The browser builds the zip from this: it must be export.py's layout, not a copy of it."""
    portaal, csrf = energie
    indeling = portaal.get(f"{API}/indeling", headers={"X-CSRF-Token": csrf}).json()
    saldo = indeling["soorten"]["saldoverzoeken.csv"]
    assert [e["kolom"] for e in saldo["envelop"]] == list(export.ENVELOP_KOLOMMEN)
    assert {e["kolom"]: e["bron"] for e in saldo["envelop"]}["verlooptOp"] == "moment"
    assert saldo["antwoord"] == list(csvformaat.SALDOVERZOEK.kolommen)
    kennisgevingen = indeling["soorten"]["kennisgevingen.csv"]
    assert [e["kolom"] for e in kennisgevingen["envelop"]] == list(csvindeling.GENERIEKE_ENVELOP)
    assert kennisgevingen["antwoord"] == csvindeling.antwoordkolommen("schuldregeling", "1.0", "kennisgeving")
    assert indeling["soorten"]["statusberichten.csv"]["antwoord"] == []
    assert indeling["soorten"]["foutberichten.csv"]["melding"] == list(export.MELDING_KOLOMMEN)
    generiek = indeling["soorten"]["schuldregeling-2.0/saldoverzoeken_nuts.csv"]
    assert generiek["envelop"][3]["kolom"] == "module"
    assert generiek["antwoord"][0] == "antwoord.berichttype"
    assert indeling["volgorde"][:4] == [
        "kennisgevingen.csv",
        "kennisgevingen_bsn.csv",
        "saldoverzoeken.csv",
        "betaalvoorstellen.csv",
    ]
    # Every type with a payload model: its CSV, its JSON Schema, its column tree — which expands
    # (lists of 2) to exactly the columns the server's export writes.
    for (module, code, versie), model in PAYLOADS.items():
        t = indeling["typen"][f"{module}/{versie}/{code}"]
        assert t["bestand"] == export.soort_van(code, module, versie).bestand
        assert t["schema"]["$id"] == f"urn:knooppunt:payload:{module}:{code}:{versie}"
        aantallen = {k: 2 for k in ("vorderingen", "vorderingen.1.regels", "vorderingen.2.regels")}
        assert list(export._vouw_uit(t["kolommen"], "", aantallen)) == list(
            export._kolommen(model, "", aantallen)
        )
    assert "ontvangstbevestiging" not in {k.rsplit("/", 1)[1] for k in indeling["typen"]}
    assert indeling["cel"]["formuletekens"] == "".join(csvformaat.FORMULETEKENS)
    assert "\u00a0" in indeling["cel"]["spaties"] and "\u200b" in indeling["cel"]["onzichtbaar"]
    assert indeling["leesbaar"]["labels"]["klantnummerSHV"] == leesbaar.label("klantnummerSHV")
    assert "actueelBedrag" in indeling["leesbaar"]["bedragen"]
    assert indeling["weigerredenen"]["SLEUTEL_ONBRUIKBAAR"] == WEIGERREDENEN["SLEUTEL_ONBRUIKBAAR"]
    assert "AL_VERWERKT" not in indeling["weigerredenen"]
    assert indeling["maxZip"] == 1000 and indeling["perKeer"] == 100


def test_indeling_is_inhoudsvrij_en_haalt_niets_op(energie: tuple[TestClient, str], rt: Runtime) -> None:
    portaal, csrf = energie
    voor = statussen(rt)
    tekst = portaal.get(f"{API}/indeling", headers={"X-CSRF-Token": csrf}).text
    assert statussen(rt) == voor  # nothing fetched or marked
    for referentienummer in voor:
        assert referentienummer not in tekst
    for klant in KLANTEN:
        for waarde in json.dumps(klant, ensure_ascii=False).split('"'):
            if len(waarde) > 5 and waarde[0].isupper() and waarde not in ("Vries",):
                assert waarde not in tekst, waarde


# --- fetching ------------------------------------------------------------------------------------------


def test_17_4_berichten_per_pagina_met_certificaten(
    energie: tuple[TestClient, str], rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    portaal, csrf = energie
    monkeypatch.setattr(werkplek_download, "MAX_BERICHTEN", 4)
    open_ = statussen(rt)
    gezien: list[str] = []
    na = None
    for _ in range(10):
        pagina = post(portaal, csrf, "/download/berichten", {"na": na}).json()
        assert len(pagina["berichten"]) <= 4
        for env in pagina["berichten"]:
            gezien.append(env["referentienummer"])
            assert env["inhoud"].count(".") == 4  # the JWE, for the browser to open
            assert env["afzenderNaam"] == "Gemeente Demodorp"
            assert env["certificaten"] and all(x in pagina["certificaten"] for x in env["certificaten"])
        if pagina["klaar"]:
            break
        na = pagina["volgende"]
    assert sorted(gezien) == sorted(open_)
    assert set(statussen(rt).values()) == {"opgehaald"}  # fetched: 17.4, again until confirmed
    # Again from the start: still there (not confirmed).
    assert len(post(portaal, csrf, "/download/berichten", {}).json()["berichten"]) == 4
    fout = post(portaal, csrf, "/download/berichten", {"na": "x"})
    assert fout.status_code == 400 and "'na'" in fout.json()["detail"]


# --- the LEESMIJ, refusing, confirming -------------------------------------------------------------------


def test_17_1_leesmij_uit_metadata(energie: tuple[TestClient, str], rt: Runtime) -> None:
    portaal, csrf = energie
    refs = list(statussen(rt))
    antwoord = post(
        portaal,
        csrf,
        "/download/leesmij",
        {"inZip": refs[:4], "nietGeopend": [{"referentienummer": refs[4], "reden": "HANDTEKENING_ONGELDIG"}]},
    )
    assert antwoord.status_code == 200, antwoord.text
    gegevens = antwoord.json()
    assert gegevens["bestandsnaam"].endswith("-4-berichten.zip")
    tekst = gegevens["tekst"]
    assert "- kennisgevingen.csv: 2 x Klant gemeld voor SHV (17.1a)" in tekst
    assert "- saldoverzoeken.csv: 2 x Saldoverzoek (nuts, publiek, zorg) (17.1c)" in tekst
    assert "leesbare kopie (tekst" in tekst and "Download" in tekst
    assert f"- {refs[4]} (" in tekst and WEIGERREDENEN["HANDTEKENING_ONGELDIG"] in tekst
    assert refs[5] not in tekst
    onbekend = post(portaal, csrf, "/download/leesmij", {"inZip": ["00000000-0000-4000-8000-000000000000"]})
    assert onbekend.status_code == 409 and "Download opnieuw" in onbekend.json()["detail"]
    assert post(portaal, csrf, "/download/leesmij", {"inZip": ["geen nummer"]}).status_code == 400
    slecht = post(
        portaal, csrf, "/download/leesmij", {"nietGeopend": [{"referentienummer": refs[0], "reden": "X"}]}
    )
    assert slecht.status_code == 400 and "Onbekende reden" in slecht.json()["detail"]


def test_weigeren_met_een_reden_van_de_werkplek(energie: tuple[TestClient, str], rt: Runtime) -> None:
    portaal, csrf = energie
    ref = next(iter(statussen(rt)))
    fout = post(portaal, csrf, "/download/weigeren", {"referentienummer": ref, "reden": "AL_VERWERKT"})
    assert fout.status_code == 400 and "SLEUTEL_ONBRUIKBAAR" in fout.json()["detail"]
    assert statussen(rt)[ref] == "aangeboden"
    weer = {"referentienummer": ref, "reden": "SLEUTEL_ONBRUIKBAAR"}
    goed = post(portaal, csrf, "/download/weigeren", weer)
    assert goed.status_code == 200, goed.text
    assert statussen(rt)[ref] == "geweigerd"
    assert post(portaal, csrf, "/download/weigeren", weer).status_code == 200  # idempotent at the hub
    assert statussen(rt)[ref] == "geweigerd"
    weg = {"referentienummer": "00000000-0000-4000-8000-000000000000", "reden": "SLEUTEL_ONBRUIKBAAR"}
    onbekend = post(portaal, csrf, "/download/weigeren", weg)
    assert onbekend.status_code == 404 and onbekend.json()["detail"].startswith(
        "Het bericht is niet geweigerd"
    )


def test_17_2_bevestigen_alleen_wat_is_opgehaald(energie: tuple[TestClient, str], rt: Runtime) -> None:
    portaal, csrf = energie
    refs = list(statussen(rt))
    nog_niet = post(portaal, csrf, "/download/bevestigen", {"referentienummers": refs[:1]}).json()
    assert nog_niet["uitkomsten"] == [
        {"referentienummer": refs[0], "bevestigd": False, "reden": "nog niet gedownload: download het eerst"}
    ]
    post(portaal, csrf, "/download/berichten", {})
    antwoord = post(portaal, csrf, "/download/bevestigen", {"referentienummers": refs[:2]}).json()
    assert [u["bevestigd"] for u in antwoord["uitkomsten"]] == [True, True]
    assert all("antwoordUiterlijk" in u for u in antwoord["uitkomsten"])  # art. 2.1, for a question
    na = statussen(rt)
    assert [na[r] for r in refs[:2]] == ["bevestigd", "bevestigd"]
    assert {na[r] for r in refs[2:]} == {"opgehaald"}  # exactly those
    assert post(portaal, csrf, "/download/bevestigen", {"referentienummers": []}).status_code == 400
    te_veel = [f"00000000-0000-4000-8000-{i:012d}" for i in range(1001)]
    assert post(portaal, csrf, "/download/bevestigen", {"referentienummers": te_veel}).status_code == 400


# --- the server-side download is closed for keys in the browser -------------------------------------------


def test_ontvangen_verwijst_naar_de_werkplek_bij_sleutels_in_de_browser(
    energie: tuple[TestClient, str], rt: Runtime
) -> None:
    portaal, csrf = energie
    ref = next(iter(statussen(rt)))
    assert "Download alle" in portaal.get("/portaal/ontvangen").text  # hosted keys: the server's zip
    assert vraag(portaal, csrf, Browser(oin_van("energie")).verzoek()).status_code == 201
    pagina = portaal.get("/portaal/ontvangen")
    assert pagina.status_code == 200
    assert 'id="werkplek-verwijzing"' in pagina.text and 'href="/portaal/sleutels"' in pagina.text
    assert "Bevestigen vóór" in pagina.text  # 17.3 still shown
    # The messages already in flight are sealed for the hosted key the portal kept: the browser
    # cannot open them, so the portal still does, server-side as before, and says why (DESIGN §5
    # "Migration"; docs/portaal.md). What is sealed for the browser's keys it never opens
    # (tests/portaal/test_sleutels.py, the migration test).
    assert 'id="kop-oude-sleutel"' in pagina.text and f"/portaal/ontvangen/{ref}" in pagina.text
    csrf_formulier = pagina.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    zip_ = portaal.post("/portaal/ontvangen/download", data={"csrf": csrf_formulier, "actie": "alle"})
    assert zip_.status_code == 200 and zip_.headers["content-type"] == "application/zip"
    assert portaal.get(f"/portaal/ontvangen/{ref}").status_code == 200
    # Confirmed, they are gone from that list; nothing remains for the server to open.
    bevestigd = portaal.post(
        "/portaal/ontvangen/bevestigen", data={"csrf": csrf_formulier, "ref": list(statussen(rt))}
    )
    assert bevestigd.status_code in (200, 303)
    pagina = portaal.get("/portaal/ontvangen")
    assert 'id="kop-oude-sleutel"' not in pagina.text and "Download alle" not in pagina.text
    zip_ = portaal.post("/portaal/ontvangen/download", data={"csrf": csrf_formulier, "actie": "alle"})
    assert zip_.status_code == 400 or "Er staan geen berichten klaar" in zip_.text


# --- client names: as ciphertext, for the page's trajecten only --------------------------------------------


def _label(rt: Runtime, wie: str, conversatie: str, versleuteld: bytes) -> None:
    with transactie(rt.sessions) as session:
        clientlabels.bewaar_label(
            session,
            PortaalClientlabel(
                oin=oin_van(wie),
                conversatie=conversatie,
                sleutel_id="S" * 43,
                iv=b"\x01" * 12,
                versleuteld=versleuteld,
                gewijzigd_op=db_nu(session),
            ),
        )


def test_namen_van_clienten_gaan_versleuteld_mee_met_hun_berichten(
    energie: tuple[TestClient, str], rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each page of messages carries the labels of its trajecten exactly as the werkplek stored them
    (key id, IV, ciphertext: the browser decrypts them for the table, the readable copies and
    clienten.csv) — of this page's trajecten only, and never another organisation's."""
    portaal, csrf = energie
    monkeypatch.setattr(werkplek_download, "MAX_BERICHTEN", 2)
    with transactie(rt.sessions) as session:
        open_ = list(
            session.scalars(
                select(Bericht).where(Bericht.ontvanger == oin_van("energie")).order_by(Bericht.id)
            )
        )
        conversaties = [b.conversatie_referentienummer for b in open_]
    eerste, laatste = conversaties[0], conversaties[-1]
    assert eerste != laatste
    _label(rt, "energie", eerste, b"versleuteld-eerste")
    _label(rt, "energie", laatste, b"versleuteld-laatste")
    _label(rt, "gemeente", eerste, b"van-de-gemeente")  # the sender's own label of the same traject
    _label(rt, "energie", "00000000-0000-4000-8000-00000000abcd", b"ander-traject")

    pagina = post(portaal, csrf, "/download/berichten", {}).json()
    assert {env["conversatieReferentienummer"] for env in pagina["berichten"]} >= {eerste}
    assert set(pagina["labels"]) == {eerste} | ({laatste} if laatste in conversaties[:2] else set())
    assert pagina["labels"][eerste] == {
        "sleutel": "S" * 43,
        "iv": base64.urlsafe_b64encode(b"\x01" * 12).rstrip(b"=").decode(),
        "versleuteld": base64.urlsafe_b64encode(b"versleuteld-eerste").rstrip(b"=").decode(),
    }
    gezien: dict[str, Any] = dict(pagina["labels"])
    while not pagina["klaar"]:
        pagina = post(portaal, csrf, "/download/berichten", {"na": pagina["volgende"]}).json()
        opgehaald = {env["conversatieReferentienummer"] for env in pagina["berichten"]}
        assert set(pagina["labels"]) <= opgehaald
        gezien |= pagina["labels"]
    assert set(gezien) == {eerste, laatste}
    assert "van-de-gemeente" not in json.dumps(gezien) and "00000000abcd" not in json.dumps(gezien)
    # The last page (no messages) has an empty map, not a missing one.
    assert pagina["berichten"] == [] and pagina["labels"] == {}
