"""The portal demo with keys in the browser (issue #14, DESIGN §5 "Portal": the portal is
zero-knowledge; decision 0038): its portal participants never have a key in the kluis; its
counterparts keep theirs in files; the demo messages go to a participant only once its browser made
keys and the portal CA certified them, and only once; the simulated creditor opens what the debt
counsellor's browser sealed for it (signature checked), confirms it and answers as a creditor does
(art. 4, 6.1, 10), sealed for the browser, and only once; the hosted demo is untouched beside it;
and neither the routes nor the CLI exist outside development."""

from __future__ import annotations

import base64
import json
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select
from starlette.testclient import TestClient

from knooppunt.client import jose as sdk
from knooppunt.config import Settings, SettingsError
from knooppunt.hub import adresboek
from knooppunt.portaal import browserdemo
from knooppunt.portaal import demo as gehoste_demo
from knooppunt.portaal.kluis import Kluis
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Bericht, Deelnemer, PortaalSleutel
from tests.conftest import met_portaal_ca
from tests.portaal.conftest import csrf_van, inloggen, productie_runtime
from tests.portaal.test_sleutels import Browser, csrf_van_pagina, vraag

ENERGIE = browserdemo.PORTAALDEELNEMERS[0]
SHV = browserdemo.PORTAALDEELNEMERS[1]
GEMEENTE = browserdemo.TEGENPARTIJEN[0]
NUTS = browserdemo.TEGENPARTIJEN[1]


@pytest.fixture
def settings(database_url: str, tmp_path: Path, pki_dir: Path) -> Settings:
    """With the development CA as the portal CA (as `knooppunt serve` has in development)."""
    return met_portaal_ca(database_url, tmp_path, pki_dir)


def _tel(rt: Runtime, *voorwaarden: object) -> int:
    with transactie(rt.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(Bericht).where(*voorwaarden)) or 0)


def _gehoste_sleutels(rt: Runtime, oin: str) -> int:
    with transactie(rt.sessions) as session:
        return int(
            session.scalar(select(func.count()).select_from(PortaalSleutel).where(PortaalSleutel.oin == oin))
            or 0
        )


def _sleutels(portaal: TestClient, oin: str) -> tuple[Browser, x509.Certificate]:
    """What the key page does after the development login: keys, CSR, certificates (portal CA).
    Returns the browser's keys and its signing certificate."""
    inloggen(portaal, oin, naam="Sanne")
    browser = Browser(oin)
    antwoord = vraag(portaal, csrf_van_pagina(portaal), browser.verzoek())
    assert antwoord.status_code == 201, antwoord.text
    (pem,) = [c["pem"] for c in antwoord.json()["certificaten"] if c["gebruik"] == "ondertekening"]
    return browser, x509.load_pem_x509_certificate(pem.encode())


def _maak_sleutels(portaal: TestClient) -> Browser:
    return _sleutels(portaal, ENERGIE.oin)[0]


def test_registreren_is_idempotent_zonder_sleutel_in_de_kluis(rt: Runtime) -> None:
    eerst = browserdemo.laad_browserdemo(rt)
    assert eerst.nieuw == len(browserdemo.PORTAALDEELNEMERS) + len(browserdemo.TEGENPARTIJEN) == 4
    # No keys yet in any browser: nothing can be sealed, and it says for whom it waits.
    assert eerst.berichten == 0 and eerst.wacht_op_sleutels == [ENERGIE.naam, SHV.naam]
    opnieuw = browserdemo.laad_browserdemo(rt)
    assert opnieuw.nieuw == 0 and opnieuw.berichten == 0

    with transactie(rt.sessions) as session:
        for d in (ENERGIE, SHV):
            portaaldeelnemer = session.get(Deelnemer, d.oin)
            assert portaaldeelnemer is not None
            assert portaaldeelnemer.sleutelbeheer == "portaal" and not portaaldeelnemer.certificaten
        shv = session.get(Deelnemer, SHV.oin)
        assert shv is not None and shv.rol == "SHV"
        # The debt counsellor takes part in the modules of the hosted demo's municipality.
        modules = {"schuldregeling", "saldoverzoek", "betalingsregeling", "pauzeknop"}
        assert adresboek.modules_van(shv) == modules
        nuts = session.get(Deelnemer, NUTS.oin)
        assert nuts is not None and nuts.rol == "SE"
        assert not nuts.gebruikt_bsn and not nuts.standaard_akkoord
        assert [s.soort for s in nuts.schuldensoorten] == ["nuts"]
        assert adresboek.modules_van(nuts) == {"schuldregeling", "saldoverzoek"}
        certs = {}
        for t in (GEMEENTE, NUTS):
            tegenpartij = session.get(Deelnemer, t.oin)
            assert tegenpartij is not None
            assert tegenpartij.sleutelbeheer == "eigen" and len(tegenpartij.certificaten) == 1
            certs[t.oin] = x509.load_pem_x509_certificate(tegenpartij.certificaten[0].pem.encode())
    # DESIGN §5: the server holds no private key of a portal participant, nor of a counterpart.
    for oin in (ENERGIE.oin, SHV.oin, GEMEENTE.oin, NUTS.oin):
        assert _gehoste_sleutels(rt, oin) == 0
    # The counterparts' keys are private files under the development data directory, as an SDK
    # user's; each belongs to its certificate in the adresboek.
    for t in (GEMEENTE, NUTS):
        sleutel = rt.settings.dev_pki_dir / "browserdemo" / f"{t.oin}-key.pem"
        assert sleutel.stat().st_mode & 0o777 == 0o600
        assert sdk.past_bij(sdk.prive_sleutel(sleutel.read_bytes()), certs[t.oin])


def test_berichten_pas_na_een_certificaat_en_maar_een_keer(rt: Runtime, portaal: TestClient) -> None:
    browserdemo.laad_browserdemo(rt)
    assert _tel(rt, Bericht.ontvanger == ENERGIE.oin) == 0

    browser = _maak_sleutels(portaal)
    uitslag = browserdemo.stuur_demoberichten(rt)
    assert uitslag.verstuurd == {ENERGIE.naam: len(browserdemo.BERICHTEN)}
    assert uitslag.wacht_op_sleutels == [SHV.naam]  # the debt counsellor has no keys yet
    assert _tel(rt, Bericht.ontvanger == ENERGIE.oin, Bericht.afzender == GEMEENTE.oin) == len(
        browserdemo.BERICHTEN
    )

    # Once: again (CLI, login page, the werkplek's button) sends nothing.
    opnieuw = browserdemo.laad_browserdemo(rt)
    assert opnieuw.berichten == 0
    assert opnieuw.al_verstuurd == {ENERGIE.naam: len(browserdemo.BERICHTEN)}
    assert _tel(rt, Bericht.ontvanger == ENERGIE.oin) == len(browserdemo.BERICHTEN)

    # Sealed for the browser's encryption key: the key the browser holds opens it (art. 7: a
    # saldoverzoek about a client by name), and the server still holds no key of the participant.
    lijst = portaal.post(
        "/portaal/sleutels/api/berichten", json={}, headers={"X-CSRF-Token": csrf_van_pagina(portaal)}
    )
    env = next(b for b in lijst.json()["berichten"] if b["berichttype"] == "saldoverzoek_nuts")
    kid = json.loads(base64.urlsafe_b64decode(env["inhoud"].split(".")[0] + "=="))["kid"]
    with transactie(rt.sessions) as session:
        gemeente = session.get(Deelnemer, GEMEENTE.oin)
        assert gemeente is not None
        certs = [x509.load_pem_x509_certificate(c.pem.encode()) for c in gemeente.certificaten]
    geopend = sdk.open_(
        env["inhoud"],
        ontvanger_sleutel={kid: sdk.prive_sleutel(_pem(browser.ecdh))},
        afzender_certificaten=certs,
        envelop=env,
    ).json()
    assert geopend["klant"]["achternaam"] in {"Vries", "El Amrani"}
    assert _gehoste_sleutels(rt, ENERGIE.oin) == 0


def _pem(sleutel: ec.EllipticCurvePrivateKey) -> bytes:
    return sleutel.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_beide_demos_naast_elkaar(rt: Runtime, demo: dict[str, int]) -> None:
    """The hosted demo's participants keep their hosted keys; this demo adds its own beside them."""
    from knooppunt.portaal.demo import DEELNEMERS

    gehost_voor = sum(_gehoste_sleutels(rt, d.oin) for d in DEELNEMERS)
    uitslag = browserdemo.laad_browserdemo(rt)
    assert uitslag.nieuw == 4
    assert sum(_gehoste_sleutels(rt, d.oin) for d in DEELNEMERS) == gehost_voor > 0
    assert _gehoste_sleutels(rt, ENERGIE.oin) == 0


def test_knoppen_in_het_portaal(rt: Runtime, portaal: TestClient) -> None:
    """The login page's button registers (and says for whom it waits); the werkplek's button of a
    browser-demo participant sends, once; other participants do not get the button."""
    pagina = portaal.get("/portaal/inloggen")
    assert "Demogegevens laden (sleutels in de browser)" in pagina.text
    antwoord = portaal.post("/portaal/inloggen/browserdemo", data={"csrf": csrf_van(pagina.text)})
    assert antwoord.status_code == 303
    pagina = portaal.get(antwoord.headers["location"])
    assert f"{ENERGIE.naam}: nog geen sleutels" in pagina.text
    # The debt counsellor is named with what it does first: a creditor only answers.
    assert f"{SHV.naam}: nog geen sleutels" in pagina.text
    assert f"een saldoverzoek op aan {NUTS.naam}" in pagina.text

    _maak_sleutels(portaal)
    start = portaal.get("/portaal/")
    assert "Demoberichten laten sturen" in start.text
    gestuurd = portaal.post("/portaal/demo/berichten", data={"csrf": csrf_van(start.text)})
    assert gestuurd.status_code == 303
    pagina = portaal.get(gestuurd.headers["location"])
    assert re.search(rf"{len(browserdemo.BERICHTEN)} demoberichten verstuurd", pagina.text), pagina.text
    assert "geopend" not in pagina.text.lower()  # nothing about the server opening anything
    nog_eens = portaal.post("/portaal/demo/berichten", data={"csrf": csrf_van(pagina.text)})
    pagina = portaal.get(nog_eens.headers["location"])
    assert "al eerder verstuurd" in pagina.text
    assert _tel(rt, Bericht.ontvanger == ENERGIE.oin) == len(browserdemo.BERICHTEN)


def test_knop_ontbreekt_voor_andere_deelnemers(
    rt: Runtime, portaal: TestClient, demo: dict[str, int]
) -> None:
    inloggen(portaal, "energie")
    start = portaal.get("/portaal/")
    assert "Demoberichten laten sturen" not in start.text
    # Pressed anyway (a forged form): it sends nothing to a participant that is not in this demo.
    antwoord = portaal.post("/portaal/demo/berichten", data={"csrf": csrf_van(start.text)})
    assert antwoord.status_code == 404


def test_niet_in_productie(rt: Runtime) -> None:
    productie_rt = productie_runtime(rt)
    with pytest.raises(SettingsError, match="alleen in ontwikkeling"):
        browserdemo.laad_browserdemo(productie_rt)
    with pytest.raises(SettingsError, match="alleen in ontwikkeling"):
        browserdemo.stuur_demoberichten(productie_rt)
    with transactie(rt.sessions) as session:
        assert session.get(Deelnemer, ENERGIE.oin) is None

    kluis = Kluis.uit_tekst("p1:" + base64.b64encode(os.urandom(32)).decode())
    from knooppunt.portaal.app import create_portaal_app

    with TestClient(create_portaal_app(productie_rt, kluis=kluis), base_url="https://testserver") as client:
        pagina = client.get("/inloggen")
        assert "sleutels in de browser" not in pagina.text
        assert client.post("/inloggen/browserdemo", data={}).status_code in (403, 404)
        assert client.post("/demo/berichten", data={}).status_code in (403, 404)


def test_cli(cli: object, monkeypatch: pytest.MonkeyPatch) -> None:
    uitkomst = cli("portaal", "demo", "--browsersleutels")  # type: ignore[operator]
    assert uitkomst.exit_code == 0, uitkomst.output
    assert "4 nieuwe deelnemers" in uitkomst.output
    assert (
        "Demo Energie (browsersleutels): nog geen sleutels — log in en maak ze in de browser, en draai dit "
        "opnieuw" in uitkomst.output
    )
    assert (
        "Demo Gemeente (browsersleutels): nog geen sleutels — log in, maak ze in de browser, stel op de "
        "pagina Sleutels een saldoverzoek op aan Demo Nuts (demo-API) en verstuur het, en draai dit "
        "opnieuw" in uitkomst.output
    )
    opnieuw = cli("portaal", "demo", "--browsersleutels")  # type: ignore[operator]
    assert "0 nieuwe deelnemers" in opnieuw.output and "nog geen sleutels" in opnieuw.output

    # Production: refused before anything is read or written (the settings refuse a development
    # setup; with a complete production setup `laad_browserdemo` refuses, test_niet_in_productie).
    monkeypatch.setenv("KNOOPPUNT_ENV", "production")
    geweigerd = cli("portaal", "demo", "--browsersleutels")  # type: ignore[operator]
    assert geweigerd.exit_code == 2
    assert geweigerd.output.startswith("configuratiefout:")
    assert "nieuwe deelnemers" not in geweigerd.output


# --- the debt counsellor, answered by the simulated creditor ------------------------------------------


def _certificaten(rt: Runtime, oin: str) -> list[x509.Certificate]:
    with transactie(rt.sessions) as session:
        deelnemer = session.get(Deelnemer, oin)
        assert deelnemer is not None
        return [x509.load_pem_x509_certificate(c.pem.encode()) for c in deelnemer.certificaten]


def _verstuur_uit_de_browser(
    rt: Runtime,
    portaal: TestClient,
    browser: Browser,
    certificaat: x509.Certificate,
    vragen: list[tuple[str, str, str, dict[str, Any]]],
    *,
    andere_sleutel: bool = False,
) -> list[str]:
    """What the werkplek's compose does (DESIGN §5 "Portal"): sign with the browser's key, seal for
    Demo Nuts's certificate, submit envelopes with ciphertext. ``vragen``: (module, version, type,
    payload). ``andere_sleutel``: signed with a key that is not the certificate's (a forgery).
    Returns the referentienummers."""
    (nuts_cert,) = _certificaten(rt, NUTS.oin)
    teken = ec.generate_private_key(ec.SECP256R1()) if andere_sleutel else browser.teken
    enveloppen, nummers = [], []
    for module, versie, berichttype, payload in vragen:
        envelop = {
            "referentienummer": str(uuid.uuid4()),
            "conversatieReferentienummer": str(uuid.uuid4()),
            "crossReferentienummer": None,
            "module": module,
            "berichttype": berichttype,
            "versie": versie,
            "ontvanger": NUTS.oin,
        }
        inhoud = sdk.verzegel(
            payload,
            metadata=envelop | {"afzender": SHV.oin},
            iat=int(time.time()),
            afzender_sleutel=sdk.prive_sleutel(_pem(teken)),
            afzender_certificaat=certificaat,
            ontvanger_certificaat=nuts_cert,
        )
        enveloppen.append(envelop | {"inhoud": inhoud})
        nummers.append(envelop["referentienummer"])
    r = portaal.post(
        "/portaal/sleutels/api/verzenden",
        json={"berichten": enveloppen},
        headers={"X-CSRF-Token": csrf_van_pagina(portaal)},
    )
    assert r.status_code == 200 and not r.json()["nietsVerstuurd"], r.text
    return nummers


def _druk(portaal: TestClient) -> str:
    """Press "Demoberichten laten sturen" on the overview; returns the overview it leads to."""
    start = portaal.get("/portaal/")
    assert "Demoberichten laten sturen" in start.text
    gestuurd = portaal.post("/portaal/demo/berichten", data={"csrf": csrf_van(start.text)})
    assert gestuurd.status_code == 303
    return portaal.get(gestuurd.headers["location"]).text


def _vragen() -> list[tuple[str, str, str, dict[str, Any]]]:
    """A kennisgeving (art. 3), saldoverzoeken in both modules (art. 5), a betaalvoorstel (art. 9)."""
    uit = []
    for nummer, (module, versie, code) in enumerate(
        (
            ("schuldregeling", "1.0", "kennisgeving"),
            ("schuldregeling", "1.0", "saldoverzoek_nuts"),
            ("saldoverzoek", "2.0", "saldoverzoek"),
            ("schuldregeling", "1.0", "betaalvoorstel"),
        ),
        start=301,
    ):
        payload = voorbeeld(module, code, versie)
        payload["klantnummerSHV"] = f"SHV-DEMO-{nummer}"
        uit.append((module, versie, code, payload))
    return uit


VERWACHT = {
    "kennisgeving": "kennisgeving_antwoord",
    "saldoverzoek_nuts": "saldoverzoek_antwoord",
    "saldoverzoek": "saldoverzoek_antwoord",
    "betaalvoorstel": "betaalvoorstel_akkoord",
}


def _van_nuts(rt: Runtime) -> list[Bericht]:
    with transactie(rt.sessions) as session:
        return list(
            session.scalars(select(Bericht).where(Bericht.afzender == NUTS.oin, Bericht.ontvanger == SHV.oin))
        )


def test_de_schuldeiser_opent_bevestigt_en_antwoordt_een_keer(rt: Runtime, portaal: TestClient) -> None:
    """Art. 4, 6.1 and 10: a creditor answers a kennisgeving, a saldoverzoek (with its vorderingen)
    and a betaalvoorstel; DESIGN §5: the answer is sealed for the browser's key, which alone opens
    it, and the server holds no key of the debt counsellor."""
    browserdemo.laad_browserdemo(rt)
    browser, certificaat = _sleutels(portaal, SHV.oin)

    # Keys, but nothing sent yet: a creditor starts nothing; the pages say what to do first.
    assert f"een saldoverzoek op aan {NUTS.naam}" in portaal.get("/portaal/").text
    inlogpagina = portaal.get("/portaal/inloggen?browserdemo=0-0").text
    assert f"{SHV.naam}: stel op de pagina Sleutels een saldoverzoek op aan {NUTS.naam}" in inlogpagina
    pagina = _druk(portaal)
    assert f"Stel eerst een saldoverzoek op aan {NUTS.naam}" in pagina
    assert "Demo Nuts (demo-API) heeft geen nieuwe berichten van u om te beantwoorden" in pagina
    assert _van_nuts(rt) == []

    vragen = _vragen()
    # The saldoverzoek as a counsellor composes it who does not know the creditor's numbers.
    del vragen[1][3]["klantnummerSEVolgensSHV"]
    vragen[1][3]["vorderingen"] = []
    nummers = _verstuur_uit_de_browser(rt, portaal, browser, certificaat, vragen)
    pagina = _druk(portaal)
    assert (
        f"{NUTS.naam} opende 4 berichten van u, controleerde de handtekening en bevestigde ze." in pagina
    ), pagina
    assert f"{NUTS.naam} stuurde 4 antwoorden, versleuteld voor uw certificaat. Open ze op de" in pagina
    antwoorden = _van_nuts(rt)
    assert sorted(a.cross_referentienummer or "" for a in antwoorden) == sorted(nummers)
    with transactie(rt.sessions) as session:
        vraagrijen = session.scalars(select(Bericht).where(Bericht.referentienummer.in_(nummers))).all()
        # Confirmed (and, the hub notes, answered): the creditor took them out of its inbox.
        assert all(v.bevestigd_op is not None for v in vraagrijen)
        assert {v.status for v in vraagrijen} == {"beantwoord"}, [v.status for v in vraagrijen]
        per_vraag = {v.referentienummer: v for v in vraagrijen}
    for a in antwoorden:
        vraag_ = per_vraag[a.cross_referentienummer or ""]
        assert a.berichttype == VERWACHT[vraag_.berichttype]
        assert (a.module, a.versie, a.conversatie_referentienummer) == (
            vraag_.module,
            vraag_.versie,
            vraag_.conversatie_referentienummer,
        )

    # Pressed again: nothing is opened or sent twice, and the page says there is nothing new.
    pagina = _druk(portaal)
    assert f"Stel eerst een saldoverzoek op aan {NUTS.naam}" in pagina
    assert len(_van_nuts(rt)) == len(vragen)

    # The browser's key opens the answers; the signature is Demo Nuts's (its adresboek certificate).
    lijst = portaal.post(
        "/portaal/sleutels/api/berichten", json={}, headers={"X-CSRF-Token": csrf_van_pagina(portaal)}
    ).json()["berichten"]
    geopend = {}
    # Besides the answers: the hub's ontvangstbevestigingen of the confirmed questions (DESIGN §4).
    assert {env["afzender"] for env in lijst} == {NUTS.oin, "KNOOPPUNT"}
    for env in (e for e in lijst if e["afzender"] == NUTS.oin):
        kid = json.loads(base64.urlsafe_b64decode(env["inhoud"].split(".")[0] + "=="))["kid"]
        geopend[env["crossReferentienummer"]] = sdk.open_(
            env["inhoud"],
            ontvanger_sleutel={kid: sdk.prive_sleutel(_pem(browser.ecdh))},
            afzender_certificaten=_certificaten(rt, NUTS.oin),
            envelop=env,
        ).json()
    assert set(geopend) == set(nummers)
    for nummer, (_module, _versie, code, payload) in zip(nummers, vragen, strict=True):
        assert geopend[nummer]["klantnummerSHV"] == payload["klantnummerSHV"]
        if code == "saldoverzoek_nuts":  # a plausible vordering, as the payload examples have it
            assert geopend[nummer]["vorderingen"][0]["actueelBedrag"] > 0
    # Demo Nuts answers with its own data, not the payload examples' energy company's (DESIGN §7
    # demo); it echoes the numbers the question gave, and none the question left empty (art. 6.1).
    nuts = browserdemo.TEGENPARTIJEN[1].schuldeiser
    assert nuts is not None
    kennisgeving, saldo, saldo_2_0, _voorstel = (geopend[n] for n in nummers)
    assert saldo["klantnummerSE"] == nuts.klantnummer("SHV-DEMO-302") and saldo["klantnummerSE"].startswith(
        "NU-"
    )
    assert saldo["contactpersoonSE"]["email"] == "klantenservice-schulden@demo-nuts.example.nl"
    assert saldo["betaalgegevens"]["tenNaamVan"] == "Demo Nuts B.V."
    assert not [v for v in saldo["vorderingen"] if "factuurnummerSEVolgensSHV" in v]
    assert all(v["factuurnummerSE"].startswith("NU-") for v in saldo["vorderingen"])
    assert saldo_2_0["klantnummerSE"] == vragen[2][3]["klantnummerSEVolgensSHV"]  # as the question gave it
    assert saldo_2_0["betaalgegevens"]["tenNaamVan"] == "Demo Nuts B.V."
    assert all(f.startswith("NU-") for f in kennisgeving["factuurnummers"])
    assert "energie.example.nl" not in json.dumps([kennisgeving, saldo, saldo_2_0])
    assert _gehoste_sleutels(rt, SHV.oin) == 0


def test_een_onderbroken_beurt_laat_de_vraag_open_en_stuurt_niets_dubbel(
    rt: Runtime, portaal: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that fetched and opened a question but stopped before answering leaves it open (the
    hub confirms a message only when it is confirmed or answered, DESIGN §4): the next run answers
    it, once; and a run that answers a number already sent (a concurrent run's) sends nothing."""
    browserdemo.laad_browserdemo(rt)
    browser, certificaat = _sleutels(portaal, SHV.oin)
    (nummer,) = _verstuur_uit_de_browser(rt, portaal, browser, certificaat, _vragen()[1:2])

    def kapot(self: object, bericht: object, *, waarvoor: str = "") -> None:
        raise RuntimeError("onderbroken")

    with monkeypatch.context() as m:
        m.setattr(browserdemo.Demopartij, "verstuur", kapot)
        with pytest.raises(RuntimeError, match="onderbroken"):
            browserdemo.stuur_demoberichten(rt, alleen=SHV.oin)
    with transactie(rt.sessions) as session:
        vraag_ = session.scalars(select(Bericht).where(Bericht.referentienummer == nummer)).one()
        assert vraag_.opgehaald_op is not None and vraag_.bevestigd_op is None
    assert _van_nuts(rt) == []

    # Two presses at once: another run fetches, opens and answers the same question between this
    # run's fetch and its submit. This run's answer has the same number; the hub refuses it
    # (REFERENTIENUMMER_CONFLICT), which counts as answered already: one answer in all.
    echte_haal_op = browserdemo.Demopartij.haal_op
    andere: list[browserdemo.Uitslag] = []
    bezig: list[bool] = []

    def haal_op_met_race(self: browserdemo.Demopartij, **kwargs: Any) -> Any:
        opgehaald = echte_haal_op(self, **kwargs)
        if not bezig:
            bezig.append(True)
            andere.append(browserdemo.stuur_demoberichten(rt, alleen=SHV.oin))
        return opgehaald

    with monkeypatch.context() as m:
        m.setattr(browserdemo.Demopartij, "haal_op", haal_op_met_race)
        m.setattr(gehoste_demo, "al_verstuurd", lambda afzender, nummer: False)  # looked before the other
        deze = browserdemo.stuur_demoberichten(rt, alleen=SHV.oin)
    assert andere[0].beantwoord == {SHV.naam: 1}
    assert deze.geopend == {SHV.naam: 1} and deze.beantwoord == {}
    assert [a.cross_referentienummer for a in _van_nuts(rt)] == [nummer]
    with transactie(rt.sessions) as session:
        vraag_ = session.scalars(select(Bericht).where(Bericht.referentienummer == nummer)).one()
        assert vraag_.bevestigd_op is not None and vraag_.status == "beantwoord"
    # And pressed once more: nothing left to open.
    assert browserdemo.uitkomst(browserdemo.stuur_demoberichten(rt, alleen=SHV.oin)) == "niets"


def test_een_valse_handtekening_wordt_geweigerd(rt: Runtime, portaal: TestClient) -> None:
    """DESIGN §4: content whose signature does not match the sender's adresboek certificate is
    refused (HANDTEKENING_ONGELDIG), not answered: the creditor checks, it does not trust the hub."""
    browserdemo.laad_browserdemo(rt)
    browser, certificaat = _sleutels(portaal, SHV.oin)
    (nummer,) = _verstuur_uit_de_browser(
        rt, portaal, browser, certificaat, _vragen()[1:2], andere_sleutel=True
    )
    pagina = _druk(portaal)
    assert f"{NUTS.naam} kon 1 bericht van u niet openen of vertrouwen en weigerde het." in pagina
    assert _van_nuts(rt) == []
    with transactie(rt.sessions) as session:
        vraag_ = session.scalars(select(Bericht).where(Bericht.referentienummer == nummer)).one()
        assert vraag_.status == "geweigerd", vraag_.status


def test_meldingen_in_correct_nederlands() -> None:
    """One and many: "1 bericht ... het", "2 berichten ... ze" (the werkplek's texts, no content)."""
    een = browserdemo.demomelding("g1-a1-w0")
    assert een is not None
    assert "opende 1 bericht van u, controleerde de handtekening en bevestigde het." in een
    assert "stuurde 1 antwoord, versleuteld voor uw certificaat. Open het op de pagina Sleutels" in een
    geen_antwoord = browserdemo.demomelding("g2-a0-w0")
    assert geen_antwoord is not None and "Er viel niets op te antwoorden." in geen_antwoord
    assert browserdemo.demomelding("1") == (
        "1 demobericht verstuurd, versleuteld voor uw nieuwe certificaat. Open het op de pagina Sleutels: "
        "daar ontgrendelt u uw sleutels en haalt u de berichten op."
    )
    for onzin in ("g1-a1", "g99999-a1-w0", "<script>", "g1-a1-w0x"):
        assert browserdemo.demomelding(onzin) is None
    # The command's lines (`knooppunt portaal demo --browsersleutels`), per debt counsellor.
    uitslag = browserdemo.Uitslag(geopend={SHV.naam: 1}, beantwoord={SHV.naam: 1}, geweigerd={SHV.naam: 2})
    assert browserdemo.antwoordzin(uitslag, SHV.naam) == [
        f"{NUTS.naam} opende en bevestigde 1 bericht van {SHV.naam} en stuurde 1 antwoord",
        f"{NUTS.naam} weigerde 2 berichten van {SHV.naam} die het niet kon openen of vertrouwen",
    ]
    assert browserdemo.opstelzin(SHV.naam) == (
        f"{SHV.naam}: {NUTS.naam} heeft niets nieuws te beantwoorden — stel op de pagina Sleutels een "
        f"saldoverzoek op aan {NUTS.naam} en verstuur het, en draai dit opnieuw"
    )
