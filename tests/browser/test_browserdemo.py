"""The demo with keys in the browser (issue #14, DESIGN §5 "Portal": the portal is zero-knowledge;
decision 0038), as a newcomer uses it in Debian's Chromium with the portal's real Content Security
Policy: load it on the login page, log in as its creditor, make the keys in the browser, let the
demo municipality send, and open a message in the page; log in as its debt counsellor, make the
keys, compose a saldoverzoek to the simulated creditor, let it answer (art. 6.1), and open the
answer in the page — while the server holds no key of either and no page speaks of the server
opening anything."""

from __future__ import annotations

import re
from typing import Any

import pytest

from knooppunt.portaal import browserdemo
from tests.browser.conftest import Portaalserver, log_in
from tests.browser.test_werkplek_opstellen import KLANT, _kies, _versturen, _vul

ENERGIE = browserdemo.PORTAALDEELNEMERS[0]
SHV = browserdemo.PORTAALDEELNEMERS[1]
NUTS = browserdemo.TEGENPARTIJEN[1]

GEHOSTE_SLEUTELS = r"""
import sys
from sqlalchemy import func, select
from knooppunt import runtime
from knooppunt.config import Settings
from knooppunt.store.db import transactie
from knooppunt.store.models import PortaalSleutel

rt = runtime.bouw(Settings(), upgrade=False)
with transactie(rt.sessions) as session:
    oin = sys.argv[1]
    print(session.scalar(select(func.count()).select_from(PortaalSleutel).where(PortaalSleutel.oin == oin)))
rt.close()
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> Portaalserver:
    """`knooppunt serve` on SQLite, and on PostgreSQL when KNOOPPUNT_TEST_DATABASE_URL is set."""
    gevonden: Portaalserver = request.getfixturevalue(
        "portaalserver" if request.param == "sqlite" else "portaal_pg"
    )
    return gevonden


@pytest.fixture
def csp_pagina(browser: Any, server: Portaalserver) -> Any:
    """A fresh profile with the portal's CSP in force (the key bundle runs under it)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    ctx = browser.new_context(base_url=server.url, ignore_https_errors=True, locale="nl-NL")
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    yield page
    ctx.close()


def _geen_opening_op_de_server(page: Any) -> None:
    """What the user sees (hidden parts left out) says nothing of the portal's kluis or of keys the
    server keeps: that is the hosted demo's story, not this one's."""
    tekst = page.locator("main").inner_text().lower()
    for woord in ("kluis", "op de server geopend", "sleutels op de server"):
        assert woord not in tekst, (woord, tekst)
    assert page.locator("#gehost-uitleg").count() == 0


def test_browserdemo_van_laden_tot_een_geopend_bericht(csp_pagina: Any, server: Portaalserver) -> None:
    from playwright.sync_api import expect

    page = csp_pagina
    # 1. Load the demo on the login page: its creditor has no keys yet, and the page says so.
    page.goto("/portaal/inloggen")
    page.get_by_role("button", name="Demogegevens laden (sleutels in de browser)").click()
    expect(page.get_by_role("status")).to_contain_text(f"{ENERGIE.naam}: nog geen sleutels")

    # 2. Log in as that creditor and make the keys in the browser (the key set-up of decision 0025).
    log_in(page, f"{ENERGIE.naam} (Schuldeiser)", naam="Bo Browser")
    expect(page.get_by_role("button", name="Demoberichten laten sturen")).to_be_visible()
    page.goto("/portaal/sleutels")
    page.get_by_role("button", name="Sleutels aanmaken").click()
    wachtwoord = page.locator("#wachtwoord-nieuw")
    expect(wachtwoord).to_have_text(re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$"))
    geheim = wachtwoord.text_content() or ""
    page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=60_000)
    _geen_opening_op_de_server(page)

    # 3. The werkplek's development button: the demo municipality seals for the new certificate.
    page.goto("/portaal/")
    page.get_by_role("button", name="Demoberichten laten sturen").click()
    expect(page.get_by_role("status").first).to_contain_text(
        f"{len(browserdemo.BERICHTEN)} demoberichten verstuurd"
    )
    _geen_opening_op_de_server(page)

    # 4. Unlock in the page and open one: the client's name is in what the browser decrypted.
    page.goto("/portaal/sleutels")
    page.get_by_label("Wachtwoord", exact=True).fill(geheim)
    page.get_by_role("button", name="Ontgrendelen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn ontgrendeld", timeout=60_000)
    page.get_by_role("button", name="Berichten ophalen").click()
    saldoverzoek = browserdemo.nummer(ENERGIE.oin, 201, "saldoverzoek_nuts")
    page.locator(f'button[data-referentienummer="{saldoverzoek}"]').click()
    expect(page.locator("#sleutels-status")).to_contain_text("handtekening van de afzender klopt")
    inhoud = page.locator("#bericht-inhoud")
    expect(inhoud).to_contain_text("SHV-2026-0201")
    expect(inhoud).to_contain_text("Johanna")
    expect(inhoud).to_contain_text("Vries")
    _geen_opening_op_de_server(page)

    # 5. Pressing again sends nothing twice.
    page.goto("/portaal/")
    page.get_by_role("button", name="Demoberichten laten sturen").click()
    expect(page.get_by_role("status").first).to_contain_text("al eerder verstuurd")

    # The server holds no private key of this participant: it could open none of it.
    assert server.python(GEHOSTE_SLEUTELS, ENERGIE.oin).strip() == "0"


def _sleutels_maken(page: Any) -> str:
    """The key set-up of decision 0025 on the key page; returns the passphrase."""
    from playwright.sync_api import expect

    page.goto("/portaal/sleutels")
    page.get_by_role("button", name="Sleutels aanmaken").click()
    wachtwoord = page.locator("#wachtwoord-nieuw")
    expect(wachtwoord).to_have_text(re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$"))
    geheim = wachtwoord.text_content() or ""
    page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=60_000)
    return geheim


def test_de_schuldhulpverlener_krijgt_antwoord_van_de_nagebootste_schuldeiser(
    csp_pagina: Any, server: Portaalserver
) -> None:
    from playwright.sync_api import expect

    page = csp_pagina
    page.goto("/portaal/inloggen")
    page.get_by_role("button", name="Demogegevens laden (sleutels in de browser)").click()
    status = page.get_by_role("status")
    expect(status).to_contain_text(f"{SHV.naam}: nog geen sleutels")
    expect(status).to_contain_text(f"een saldoverzoek op aan {NUTS.naam}")

    # 1. Keys in the browser; before anything is sent, the creditor has nothing to answer.
    log_in(page, f"{SHV.naam} (Schuldhulpverlener)", naam="Sam Schuldhulp")
    geheim = _sleutels_maken(page)
    page.goto("/portaal/")
    page.get_by_role("button", name="Demoberichten laten sturen").click()
    eerst = f"Stel eerst een saldoverzoek op aan {NUTS.naam}"
    expect(page.get_by_role("status").first).to_contain_text(eerst)

    # 2. Compose a saldoverzoek to Demo Nuts in the werkplek: signed and sealed in the page.
    page.goto("/portaal/sleutels")
    page.get_by_label("Wachtwoord", exact=True).fill(geheim)
    page.get_by_role("button", name="Ontgrendelen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn ontgrendeld", timeout=60_000)
    expect(page.locator("#opstellen")).to_be_visible()
    _kies(page, r"^Saldoverzoek \(Schuldregeling 1\.0\)$")
    # By name, as the README says it (a newcomer knows "Demo Nuts", not its OIN).
    page.get_by_label("Of zoek een ontvanger op naam, OIN of KvK-nummer").fill("Demo Nuts")
    page.get_by_label("Of zoek een ontvanger op naam, OIN of KvK-nummer").press("Enter")
    page.get_by_role("button", name=f"{NUTS.naam} als ontvanger toevoegen").click()
    expect(page.locator("#opstel-ontvanger")).to_have_value(NUTS.oin)
    klantnummer = "SHV-BROWSERDEMO-1"
    _vul(page, KLANT | {"klantnummerSHV": klantnummer, "typeSchuldregeling": "SB"})
    _versturen(page)
    # Demo Nuts's certificate is new (key transparency): confirmed before sending.
    expect(page.locator("#opstel-jong")).to_be_visible(timeout=60_000)
    page.get_by_label("Ik heb gecontroleerd dat dit certificaat van de ontvanger is").check()
    _versturen(page)
    uitslag = page.locator("#opstel-uitslag")
    expect(uitslag).to_contain_text(f"Verstuurd: Saldoverzoek aan {NUTS.naam}", timeout=60_000)
    nummer = re.search(r"referentienummer ([0-9a-f-]{36})", uitslag.text_content() or "")
    assert nummer

    # 3. The simulated creditor opens it with its file key, checks the signature, and answers.
    page.goto("/portaal/")
    page.get_by_role("button", name="Demoberichten laten sturen").click()
    melding = page.get_by_role("status").first
    expect(melding).to_contain_text(f"{NUTS.naam} opende 1 bericht van u, controleerde de handtekening")
    expect(melding).to_contain_text(f"{NUTS.naam} stuurde 1 antwoord, versleuteld voor uw certificaat")
    _geen_opening_op_de_server(page)

    # 4. Unlock and open the answer in the page: Demo Nuts's vorderingen for this client.
    page.goto("/portaal/sleutels")
    page.get_by_label("Wachtwoord", exact=True).fill(geheim)
    page.get_by_role("button", name="Ontgrendelen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn ontgrendeld", timeout=60_000)
    page.get_by_role("button", name="Berichten ophalen").click()
    antwoord = browserdemo.nummer("antwoord", nummer.group(1))
    page.locator(f'button[data-referentienummer="{antwoord}"]').click()
    expect(page.locator("#sleutels-status")).to_contain_text("handtekening van de afzender klopt")
    inhoud = page.locator("#bericht-inhoud")
    expect(inhoud).to_contain_text(klantnummer)
    # Demo Nuts's own vordering and bank account, not the payload examples' energy company's.
    expect(inhoud).to_contain_text("Jaarafrekening gas en stroom 2023")
    expect(inhoud).to_contain_text("Demo Nuts B.V.")
    expect(inhoud).not_to_contain_text("Energie Voorbeeld")
    _geen_opening_op_de_server(page)

    # 5. Pressed again: nothing new to answer, nothing sent twice.
    page.goto("/portaal/")
    page.get_by_role("button", name="Demoberichten laten sturen").click()
    expect(page.get_by_role("status").first).to_contain_text(f"{NUTS.naam} heeft geen nieuwe berichten")

    # The server holds no private key of the debt counsellor: it could open none of it.
    assert server.python(GEHOSTE_SLEUTELS, SHV.oin).strip() == "0"


def test_browserdemo_is_toegankelijk(page: Any, toegankelijk: Any) -> None:
    """WCAG 2.1 AA (axe-core) on what this demo adds: the login page's button and its message, and
    the overview's development section (axe needs the CSP bypassed, as the `page` fixture does)."""
    from playwright.sync_api import expect

    page.goto("/portaal/inloggen")
    page.get_by_role("button", name="Demogegevens laden (sleutels in de browser)").click()
    expect(page.get_by_role("status")).to_contain_text("Demogegevens met sleutels in de browser geladen")
    toegankelijk(page)
    log_in(page, f"{ENERGIE.naam} (Schuldeiser)", naam="Toegankelijk")
    page.get_by_role("button", name="Demoberichten laten sturen").click()
    # Whichever outcome this server is at (the test above may have made the keys already).
    expect(page.get_by_role("status").first).to_contain_text(
        re.compile("nog geen sleutels|al eerder verstuurd|demoberichten verstuurd")
    )
    toegankelijk(page)
