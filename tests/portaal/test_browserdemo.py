"""The portal demo with keys in the browser (issue #14, DESIGN §5 "Portal": the portal is
zero-knowledge; decision 0038): its portal participants never have a key in the kluis; its
counterparts keep theirs in files; the demo messages go to a participant only once its browser made
keys and the portal CA certified them, and only once; the hosted demo is untouched beside it; and
neither the routes nor the CLI exist outside development."""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import func, select
from starlette.testclient import TestClient

from knooppunt.client import jose as sdk
from knooppunt.config import Settings, SettingsError
from knooppunt.portaal import browserdemo
from knooppunt.portaal.kluis import Kluis
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Bericht, Deelnemer, PortaalSleutel
from tests.conftest import met_portaal_ca
from tests.portaal.conftest import csrf_van, inloggen, productie_runtime
from tests.portaal.test_sleutels import Browser, csrf_van_pagina, vraag

ENERGIE = browserdemo.PORTAALDEELNEMERS[0]
GEMEENTE = browserdemo.TEGENPARTIJEN[0]


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


def _maak_sleutels(portaal: TestClient) -> Browser:
    """What the key page does after the development login: keys, CSR, certificates (portal CA)."""
    inloggen(portaal, ENERGIE.oin, naam="Sanne")
    browser = Browser(ENERGIE.oin)
    antwoord = vraag(portaal, csrf_van_pagina(portaal), browser.verzoek())
    assert antwoord.status_code == 201, antwoord.text
    return browser


def test_registreren_is_idempotent_zonder_sleutel_in_de_kluis(rt: Runtime) -> None:
    eerst = browserdemo.laad_browserdemo(rt)
    assert eerst.nieuw == len(browserdemo.PORTAALDEELNEMERS) + len(browserdemo.TEGENPARTIJEN)
    # No keys yet in any browser: nothing can be sealed, and it says for whom it waits.
    assert eerst.berichten == 0 and eerst.wacht_op_sleutels == [ENERGIE.naam]
    opnieuw = browserdemo.laad_browserdemo(rt)
    assert opnieuw.nieuw == 0 and opnieuw.berichten == 0

    with transactie(rt.sessions) as session:
        energie = session.get(Deelnemer, ENERGIE.oin)
        gemeente = session.get(Deelnemer, GEMEENTE.oin)
        assert energie is not None and gemeente is not None
        assert energie.sleutelbeheer == "portaal" and not energie.certificaten
        assert gemeente.sleutelbeheer == "eigen" and len(gemeente.certificaten) == 1
        cert = x509.load_pem_x509_certificate(gemeente.certificaten[0].pem.encode())
    # DESIGN §5: the server holds no private key of the portal participant, nor of the counterpart.
    assert _gehoste_sleutels(rt, ENERGIE.oin) == 0
    assert _gehoste_sleutels(rt, GEMEENTE.oin) == 0
    # The counterpart's key is a private file under the development data directory, as an SDK
    # user's; it belongs to the certificate in the adresboek.
    sleutel = rt.settings.dev_pki_dir / "browserdemo" / f"{GEMEENTE.oin}-key.pem"
    assert sleutel.stat().st_mode & 0o777 == 0o600
    assert sdk.past_bij(sdk.prive_sleutel(sleutel.read_bytes()), cert)


def test_berichten_pas_na_een_certificaat_en_maar_een_keer(rt: Runtime, portaal: TestClient) -> None:
    browserdemo.laad_browserdemo(rt)
    assert _tel(rt, Bericht.ontvanger == ENERGIE.oin) == 0

    browser = _maak_sleutels(portaal)
    uitslag = browserdemo.stuur_demoberichten(rt)
    assert uitslag.verstuurd == {ENERGIE.naam: len(browserdemo.BERICHTEN)}
    assert uitslag.wacht_op_sleutels == []
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
        ontvanger_sleutel={kid: sdk.prive_sleutel(_pem(browser))},
        afzender_certificaten=certs,
        envelop=env,
    ).json()
    assert geopend["klant"]["achternaam"] in {"Vries", "El Amrani"}
    assert _gehoste_sleutels(rt, ENERGIE.oin) == 0


def _pem(browser: Browser) -> bytes:
    return browser.ecdh.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def test_beide_demos_naast_elkaar(rt: Runtime, demo: dict[str, int]) -> None:
    """The hosted demo's participants keep their hosted keys; this demo adds its own beside them."""
    from knooppunt.portaal.demo import DEELNEMERS

    gehost_voor = sum(_gehoste_sleutels(rt, d.oin) for d in DEELNEMERS)
    uitslag = browserdemo.laad_browserdemo(rt)
    assert uitslag.nieuw == 2
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
    assert "nog geen sleutels" in pagina.text and ENERGIE.naam in pagina.text

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
    assert "2 nieuwe deelnemers" in uitkomst.output
    assert (
        "Demo Energie (browsersleutels): nog geen sleutels — log in en maak ze in de browser, en draai dit "
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
