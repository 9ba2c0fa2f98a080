"""The werkplek's upload endpoints (DESIGN §5 "Portal", §7; art. 18.3): layouts as metadata, the
recipient's certificate with its age, a dry run on envelopes only, and parts of at most 1,000 sealed
envelopes through the hub's batch path (all or nothing per part). Login and CSRF are required; no
answer carries or logs content."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from knooppunt.portaal import csvformaat
from knooppunt.portaal.demo import _met_klant
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import Kluis
from knooppunt.protocol.jwe import x5t_s256
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Bericht
from tests.portaal.conftest import inloggen, oin_van
from tests.portaal.test_sleutels import csrf_van_pagina

API = "/portaal/sleutels/api/verzenden"
ALLE = (
    ("GET", "/indelingen"),
    ("GET", "/opstellen"),
    ("GET", "/ontvanger"),
    ("GET", "/zoek"),
    ("POST", "/proef"),
    ("POST", ""),
)


def _vragen(rt: Runtime, kluis: Kluis, aantal: int) -> list[tuple[str, str]]:
    """The municipality (hosted keys) sends saldoverzoeken to the energy company: (number, conversation)."""
    gemeente = Gastclient(rt, kluis, oin_van("gemeente"), wie="test")
    uit = []
    for nummer in range(aantal):
        conversatie = str(uuid.uuid4())
        payload = _met_klant(voorbeeld("schuldregeling", "saldoverzoek_nuts"), 70 + nummer)
        verstuurd = gemeente.verstuur(
            TeVersturen(oin_van("energie"), "saldoverzoek_nuts", payload, conversatie)
        )
        uit.append((verstuurd.bericht.referentienummer, conversatie))
    return uit


def _envelop(vraag: tuple[str, str], ref: str | None = None) -> dict[str, Any]:
    return {
        "referentienummer": ref or str(uuid.uuid4()),
        "conversatieReferentienummer": vraag[1],
        "crossReferentienummer": vraag[0],
        "module": "schuldregeling",
        "berichttype": "klant_onbekend",
        "versie": "1.0",
        "ontvanger": "",
    }


def _gezegeld(rt: Runtime, kluis: Kluis, enveloppen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sealed as the page seals them (the energy company's key; the server cannot tell who sealed)."""
    energie = Gastclient(rt, kluis, oin_van("energie"), wie="test")
    berichten = [
        TeVersturen(
            oin_van("gemeente"),
            e["berichttype"],
            {"klantnummerSHV": "SHV-1"},
            e["conversatieReferentienummer"],
            antwoord_op=e["crossReferentienummer"],
            referentienummer=e["referentienummer"],
        )
        for e in enveloppen
    ]
    gezegeld = energie._zegel_reeks(berichten, "test")
    return [
        e | {"ontvanger": oin_van("gemeente"), "inhoud": g.inhoud}
        for e, g in zip(enveloppen, gezegeld, strict=True)
    ]


def _aantal(rt: Runtime, afzender: str) -> int:
    with transactie(rt.sessions) as session:
        return int(
            session.scalar(select(func.count()).select_from(Bericht).where(Bericht.afzender == afzender)) or 0
        )


@pytest.fixture
def csrf(demo: dict[str, int], portaal: TestClient) -> str:
    inloggen(portaal, "energie", naam="Uma")
    return csrf_van_pagina(portaal)


def test_eindpunten_vragen_inloggen_en_csrf(demo: dict[str, int], nieuwe_browser: Any) -> None:
    anoniem = nieuwe_browser()
    for methode, pad in ALLE:
        assert anoniem.request(methode, API + pad, headers={"X-CSRF-Token": "x"}, json={}).status_code == 401
    ingelogd = inloggen(nieuwe_browser(), "energie")
    for methode, pad in ALLE:
        zonder = ingelogd.request(methode, API + pad, json={"berichten": []})
        assert zonder.status_code == 403 and "CSRF" in zonder.json()["detail"], pad


def test_indelingen_komen_uit_de_python_indeling(portaal: TestClient, csrf: str) -> None:
    """Art. 18.2: the three upload files, their columns as csvformaat defines them, with schemas."""
    r = portaal.get(f"{API}/indelingen", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200
    soorten = {s["code"]: s for s in r.json()["soorten"]}
    assert set(soorten) == {"saldoverzoek", "betaalvoorstel", "statusverzoek"}
    saldo = soorten["saldoverzoek"]
    assert saldo["kolommen"] == list(
        dict.fromkeys((*csvformaat.SALDOVERZOEK.sleutels, *csvformaat.SALDOVERZOEK.kolommen))
    )
    assert saldo["antwoorden"] == csvformaat.SALDO_ANTWOORDEN and saldo["groeperen"] is True
    assert saldo["velden"]["antwoord.vordering.hoofdsom"] == "vorderingen[].hoofdsom"
    assert saldo["velden"]["antwoord.totaal.actueelBedrag"] == "totaalvordering.actueelBedrag"
    assert saldo["typen"]["klant_onbekend"]["schema"]["required"] == ["klantnummerSHV"]
    assert r.json()["maxBestand"] == 4 * 1024 * 1024 and r.json()["maxDeel"] == 1000


def test_ontvanger_met_certificaat_en_leeftijd(rt: Runtime, portaal: TestClient, csrf: str) -> None:
    """DESIGN §5 key transparency: the certificate a message is sealed for, and how young it is."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    r = portaal.get(f"{API}/ontvanger", params={"oin": oin_van("gemeente")}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    v = r.json()["versleuteling"]
    cert = x509.load_pem_x509_certificate(v["pem"].encode())
    assert v["kid"] == x5t_s256(cert.public_bytes(serialization.Encoding.DER))
    assert v["alg"] in ("ECDH-ES+A256KW", "RSA-OAEP-256")
    assert r.json()["jongDagen"] == rt.settings.portaal_jong_certificaat_dagen == 7
    assert v["jong"] is (v["leeftijdDagen"] < 7)
    assert r.json()["ondertekening"]
    fout = portaal.get(f"{API}/ontvanger", params={"oin": "123"}, headers={"X-CSRF-Token": csrf})
    assert fout.status_code == 400 and "OIN" in fout.json()["detail"]
    # DESIGN §3 "BSN only to creditors with gebruiktBsn": the page decides per recipient from this.
    assert r.json()["gebruiktBsn"] is False
    belastingen = portaal.get(
        f"{API}/ontvanger", params={"oin": oin_van("belasting")}, headers={"X-CSRF-Token": csrf}
    )
    assert belastingen.status_code == 200 and belastingen.json()["gebruiktBsn"] is True, belastingen.text


def test_proef_en_versturen_alles_of_niets(
    rt: Runtime, kluis: Kluis, portaal: TestClient, csrf: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Art. 18.3c: a part with one refused envelope stores nothing; DESIGN §7: the dry run lists
    the numbers already sent, and a resubmitted part sends nothing twice."""
    kop = {"X-CSRF-Token": csrf}
    vragen = _vragen(rt, kluis, 2)
    energie = oin_van("energie")
    goed = [_envelop(v) for v in vragen]

    # The dry run takes envelopes only: with inhoud it is refused, per envelope.
    proef = portaal.post(f"{API}/proef", json={"berichten": [*goed, goed[0] | {"inhoud": "x"}]}, headers=kop)
    assert proef.status_code == 200, proef.text
    uit = proef.json()["berichten"]
    assert [u["ok"] for u in uit] == [True, True, False] and "geen inhoud" in uit[2]["melding"]
    assert uit[0]["ontvanger"] == oin_van("gemeente") and uit[0]["bevestigt"] is True
    onbekend = portaal.post(
        f"{API}/proef", json={"berichten": [_envelop((str(uuid.uuid4()), vragen[0][1]))]}, headers=kop
    ).json()["berichten"][0]
    assert (
        onbekend["ok"] is False
        and onbekend["code"] == "ONBEKENDE_VRAAG"
        and "referentienummer" in onbekend["melding"]
    )

    # All or nothing: the second envelope answers a question that does not exist; nothing is stored.
    voor = _aantal(rt, energie)
    fout = _gezegeld(rt, kluis, [goed[0], _envelop((str(uuid.uuid4()), vragen[1][1]))])
    r = portaal.post(API, json={"berichten": fout}, headers=kop)
    assert r.status_code == 422 and r.json()["nietsVerstuurd"] is True, r.text
    assert _aantal(rt, energie) == voor

    # Both in order: accepted (201 each); the answer is content-free.
    gezegeld = _gezegeld(rt, kluis, goed)
    with caplog.at_level(logging.DEBUG):
        r = portaal.post(API, json={"berichten": gezegeld}, headers=kop)
    assert r.status_code == 200, r.text
    assert [u["status"] for u in r.json()["berichten"]] == [201, 201]
    assert "inhoud" not in r.text and gezegeld[0]["inhoud"] not in r.text
    assert gezegeld[0]["inhoud"][:40] not in caplog.text
    assert _aantal(rt, energie) == voor + 2

    # The dry run now lists them as already sent; resubmitting the same part stores nothing new.
    uit = portaal.post(f"{API}/proef", json={"berichten": goed}, headers=kop).json()["berichten"]
    assert all(u.get("alVerzondenOp") for u in uit)
    r = portaal.post(API, json={"berichten": gezegeld}, headers=kop)
    assert [u["status"] for u in r.json()["berichten"]] == [200, 200]
    assert _aantal(rt, energie) == voor + 2


def test_hoogstens_1000_per_deel_en_geldige_enveloppen(portaal: TestClient, csrf: str) -> None:
    """DESIGN §4: a verzending holds at most 1,000 envelopes; a malformed one is a Dutch 400."""
    kop = {"X-CSRF-Token": csrf}
    env = {
        "referentienummer": str(uuid.uuid4()),
        "conversatieReferentienummer": str(uuid.uuid4()),
        "crossReferentienummer": None,
        "module": "schuldregeling",
        "berichttype": "statusverzoek",
        "versie": "1.0",
        "ontvanger": oin_van("gemeente"),
        "inhoud": "a.b.c.d.e",
    }
    te_veel = portaal.post(API, json={"berichten": [env] * 1001}, headers=kop)
    assert te_veel.status_code == 413 and "hoogstens 1000" in te_veel.json()["detail"]
    kapot = portaal.post(API, json={"berichten": [env | {"referentienummer": "geen-uuid"}]}, headers=kop)
    assert kapot.status_code == 400 and "referentienummer" in kapot.json()["detail"]
    extra = portaal.post(API, json={"berichten": [env | {"payload": {"geheim": 1}}]}, headers=kop)
    assert extra.status_code == 400
    geen_json = portaal.post(API, content=b"x", headers=kop | {"Content-Type": "text/plain"})
    assert geen_json.status_code == 415


def test_opstellen_geeft_formulieren_uit_het_schema(portaal: TestClient, csrf: str) -> None:
    """DESIGN §7: the werkplek composes from the same form description as the hosted pages
    (formulier.sjabloon), in the versions the participant accepts; a creditor starts statusverzoeken."""
    from knooppunt.portaal import formulier

    r = portaal.get(f"{API}/opstellen", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200, r.text
    typen = {(t["module"], t["versie"], t["berichttype"]): t for t in r.json()["typen"]}
    status = typen[("schuldregeling", "1.0", "statusverzoek")]
    sj = formulier.sjabloon("schuldregeling", "statusverzoek", "1.0")
    assert [k["naam"] for k in status["formulier"]["kinderen"]] == [k.naam for k in sj.kinderen]
    assert status["schema"]["required"] == ["klantnummerSHV"]
    assert not any(t["berichttype"].startswith("saldoverzoek") for t in typen.values())  # SHV types


def test_indelingen_van_elke_module_en_versie(
    demo: dict[str, int], rt: Runtime, kluis: Kluis, portaal: TestClient
) -> None:
    """The generic upload files (csvmodules) of every module and version the participant accepts,
    as metadata derived by csvindeling: per question the answers antwoord.berichttype may name and
    the antwoord.* columns of its file, per type its columns (list numbers as #) and JSON Schema,
    the types its role starts; nothing of any message's content."""
    from knooppunt.portaal import csvindeling
    from knooppunt.protocol.payloads import schema_voor

    vraag = _met_klant(voorbeeld("schuldregeling", "saldoverzoek", "2.0"), 91)
    Gastclient(rt, kluis, oin_van("gemeente"), wie="test").verstuur(
        TeVersturen(oin_van("incasso"), "saldoverzoek", vraag, str(uuid.uuid4()), versie="2.0")
    )
    inloggen(portaal, "incasso", naam="Ida")
    r = portaal.get(f"{API}/indelingen", headers={"X-CSRF-Token": csrf_van_pagina(portaal)})
    assert r.status_code == 200, r.text
    assert vraag["klantnummerSHV"] not in r.text and vraag["klant"]["achternaam"] not in r.text
    g = r.json()["generiek"]
    assert g["antwoord"] == {
        "kenmerk": "antwoord.berichttype",
        "sleutels": list(csvformaat.ANTWOORD.sleutels),
        "prefix": "antwoord.",
    }
    assert g["start"]["kenmerk"] == "module" and "ontvanger" in g["start"]["sleutels"]
    assert {m: v["versies"] for m, v in g["modules"].items()} == {
        "betalingsregeling": ["2.0"],
        "bewind": ["2.0"],
        "pauzeknop": ["2.0"],
        "saldoverzoek": ["2.0"],
        "schuldregeling": ["2.0"],
    }
    assert not [k for k in g["vragen"] if k.startswith("schuldregeling|1.0|")]  # 1.0 is not accepted
    for sleutel, beschrijving in g["vragen"].items():
        module, versie, code = sleutel.split("|")
        assert [a["code"] for a in beschrijving["antwoorden"]] == [
            t.code for t in csvindeling.antwoordtypen(module, versie, code)
        ], sleutel
        for a in beschrijving["antwoorden"]:
            assert f"{module}|{versie}|{a['code']}" in g["typen"]
    sr = g["vragen"]["schuldregeling|2.0|saldoverzoek"]
    assert [a["naam"] for a in sr["antwoorden"]] == [
        "Saldoverzoek antwoord",
        "Saldoverzoek antwoord – standaard akkoord",
        "Geen medewerking",
    ]
    assert "antwoord.vorderingen.#.actueelBedrag" in sr["kolommen"]
    assert "antwoord.vorderingen.1.actueelBedrag" in csvindeling.antwoordkolommen(
        "schuldregeling", "2.0", "saldoverzoek"
    )
    antwoord = g["typen"]["schuldregeling|2.0|saldoverzoek_antwoord"]
    assert antwoord["schema"] == schema_voor("schuldregeling", "saldoverzoek_antwoord", "2.0")
    kolommen = {k["naam"]: k for k in antwoord["kolommen"]}
    assert kolommen["vorderingen.#.hoofdsom"]["soort"] == "bedrag"
    assert kolommen["peildatum"]["soort"] == "datum"
    assert kolommen["vorderingen.#.schuldtype"]["opties"][0][0] == "openstaand"
    assert set(kolommen) == {
        ".".join("#" if d.isdigit() else d for d in k.naam.split("."))
        for k in csvindeling.kolommen("schuldregeling", "saldoverzoek_antwoord", "2.0")
    }
    pauze = g["typen"]["pauzeknop|2.0|kennisgeving_antwoord"]
    assert {"pauze.akkoord", "pauze.incassoOpgeschortTot", "factuurnummers.#"} <= {
        k["naam"] for k in pauze["kolommen"]
    }
    # A creditor starts statusverzoeken, in every version it accepts; never a saldoverzoek.
    assert g["starten"]["schuldregeling|statusverzoek"] == ["2.0"]
    assert not [k for k in g["starten"] if "saldoverzoek" in k.split("|")[1]]
    # The recipient's versions of a module (for a new message without a version).
    o = portaal.get(
        f"{API}/ontvanger",
        params={"oin": oin_van("gemeente"), "module": "pauzeknop"},
        headers={"X-CSRF-Token": csrf_van_pagina(portaal)},
    )
    assert o.status_code == 200 and o.json()["versies"] == ["2.0"], o.text


def test_indelingen_volgen_de_versies_van_de_deelnemer(portaal: TestClient, csrf: str) -> None:
    """The energy company takes part in schuldregeling 1.0 only: its generic layouts are of 1.0."""
    g = portaal.get(f"{API}/indelingen", headers={"X-CSRF-Token": csrf}).json()["generiek"]
    assert set(g["modules"]) == {"schuldregeling"} and g["modules"]["schuldregeling"]["versies"] == ["1.0"]
    assert g["vragen"] and all(k.startswith("schuldregeling|1.0|") for k in g["vragen"])
    assert [a["code"] for a in g["vragen"]["schuldregeling|1.0|kennisgeving"]["antwoorden"]] == [
        "kennisgeving_antwoord",
        "klant_onbekend",
    ]
    assert g["starten"] == {"schuldregeling|statusverzoek": ["1.0"]}


def test_een_ontvanger_zoeken_op_naam(demo: dict[str, int], portaal: TestClient) -> None:
    """The werkplek's compose finds a recipient by name (an independent newcomer probe could not
    send to "Demo Nuts": the field took only an OIN): participants of a role the type goes to,
    never the searcher itself, each saying whether the hub can deliver it (adresboek metadata)."""
    inloggen(portaal, "gemeente", naam="Sam")
    kop = {"X-CSRF-Token": csrf_van_pagina(portaal)}
    soort = {"module": "schuldregeling", "berichttype": "saldoverzoek_nuts", "versie": "1.0"}
    r = portaal.get(f"{API}/zoek", params={"zoek": "energie"} | soort, headers=kop)
    assert r.status_code == 200, r.text
    [energie] = r.json()["resultaten"]
    assert energie == {"oin": oin_van("energie"), "naam": "Demo Energie BV", "rol": "SE", "waaromNiet": None}
    # The type goes to creditors: a debt counsellor or the searcher is no result.
    alle = portaal.get(f"{API}/zoek", params={"zoek": "demo"} | soort, headers=kop).json()["resultaten"]
    assert alle and {d["rol"] for d in alle} <= {"SE"}
    assert oin_van("gemeente") not in {d["oin"] for d in alle}
    kort = portaal.get(f"{API}/zoek", params={"zoek": "e"}, headers=kop)
    assert kort.status_code == 400 and "minstens 2 tekens" in kort.json()["detail"]
    onbekend = portaal.get(
        f"{API}/zoek", params={"zoek": "demo", "berichttype": "x", "versie": "1.0"}, headers=kop
    )
    assert onbekend.status_code == 400
