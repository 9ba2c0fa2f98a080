"""Aanmelden with keys made in the browser (DESIGN §5 "Portal", #14 item 5) in Debian's Chromium, with
the portal's real Content Security Policy in force (Trusted Types, WebAssembly only with
'wasm-unsafe-eval', the bundle loaded with its SRI hash):

an organisation that is not a participant fills in the aanmeldformulier; its browser shows the
passphrase once and makes the organisation's keys as it sends the form → beheer approves → the
applicant logs in as the new participant, lands on the key page and unlocks with that passphrase;
both certificates are in the adresboek, for the keys made in the browser.

Every request body the server receives is recorded: none holds the passphrase, a JWK ``d`` member or
a PKCS#8 private key. The aanmelder's restricted session is started as the eHerkenning login starts
it (``sessies.begin`` with ``soort`` aanmelder, in the server's environment); the subject is a
development one, so that the development login afterwards is the same user.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.browser.conftest import Portaalserver, log_in
from tests.browser.test_sleutels import WACHTWOORD, _geen_geheimen

KVK = "69599084"
OIN = f"00000003{KVK}0000"
NAAM = "Voorbeeld Energie BV"

BEGIN = r"""
import sys
from knooppunt import runtime
from knooppunt.config import Settings
from knooppunt.portaal.sessies import begin
from knooppunt.store.db import db_nu, transactie

rt = runtime.bouw(Settings(), upgrade=False)
with transactie(rt.sessions) as session:
    print(begin(session, rt, soort="aanmelder", oin=None, gebruiker="Anna Aanvrager",
                onderwerp="dev:Anna Aanvrager", hoe="oidc", nu=db_nu(session), kvk=sys.argv[1],
                vestiging=None))
rt.close()
"""

CERTIFICATEN = r"""
import json, sys
from cryptography import x509
from knooppunt import runtime
from knooppunt.config import Settings
from knooppunt.hub import adresboek
from knooppunt.store.db import transactie

rt = runtime.bouw(Settings(), upgrade=False)
with transactie(rt.sessions) as session:
    d = adresboek.haal(session, sys.argv[1])
    print(json.dumps(sorted(
        [c.gebruik[0], x509.load_pem_x509_certificate(c.pem.encode()).subject.rfc4514_string()]
        for c in d.certificaten if c.ingetrokken_op is None
    )))
rt.close()
"""


@pytest.fixture
def opname(browser: Any, portaalserver: Portaalserver) -> Any:
    """A fresh profile with the portal's CSP in force, every request body recorded."""
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    ctx = browser.new_context(base_url=portaalserver.url, ignore_https_errors=True, locale="nl-NL")
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    page.lichamen = []  # type: ignore[attr-defined]
    page.console_fouten = []  # type: ignore[attr-defined]
    page.on(
        "request",
        lambda v: page.lichamen.append((v.url, bytes(v.post_data_buffer))) if v.post_data_buffer else None,  # type: ignore[attr-defined]
    )
    page.on("console", lambda m: page.console_fouten.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    yield page
    ctx.close()


def test_aanmelden_met_sleutels_uit_de_browser_goedkeuren_en_ontgrendelen(
    opname: Any, browser: Any, portaalserver: Portaalserver
) -> None:
    from playwright.sync_api import expect

    page = opname
    token = portaalserver.python(BEGIN, KVK).strip().splitlines()[-1]
    page.context.add_cookies(
        [{"name": "__Host-knooppunt-sessie", "value": token, "url": portaalserver.url, "secure": True}]
    )
    antwoord = page.goto("/portaal/aanmelden")
    assert antwoord is not None and antwoord.status == 200
    assert "'wasm-unsafe-eval'" in antwoord.headers["content-security-policy"]
    # The bundle ran: the fields for pasted requests are replaced by keys made here.
    expect(page.locator("#browsersleutels")).to_be_visible(timeout=10_000)
    expect(page.locator("#sleutels-plakken")).to_be_hidden()

    page.get_by_label("Naam van de organisatie").fill(NAAM)
    page.get_by_label("OIN", exact=True).fill(OIN)
    page.locator('input[name="rol"][value="SE"]').check()
    page.locator('input[name="modules"][value="schuldregeling"]').check()
    page.get_by_label("Naam", exact=True).fill("Anna Aanvrager")
    page.get_by_label("E-mailadres").fill("anna@voorbeeld-energie.nl")
    page.get_by_label("Telefoonnummer").fill("030 123 45 67")

    # Sending without a passphrase, or without having written it down, is stopped in the page.
    page.get_by_role("button", name="Aanmelding versturen").click()
    expect(page.locator("#browsersleutels-fout")).to_contain_text("Maak eerst het wachtwoord")
    page.get_by_role("button", name="Wachtwoord voor de sleutels maken").click()
    expect(page.locator("#browsersleutels-nieuw")).to_have_text(WACHTWOORD)
    geheim = page.locator("#browsersleutels-nieuw").text_content() or ""
    page.get_by_role("button", name="Aanmelding versturen").click()
    expect(page.locator("#browsersleutels-fout")).to_contain_text("Vink eerst aan")
    page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    page.get_by_role("button", name="Aanmelding versturen").click()
    page.wait_for_url("**/portaal/aanmelden/aanvragen?ingediend=*", timeout=60_000)
    expect(page.get_by_role("status")).to_contain_text("Uw aanvraag is verstuurd")
    nummer = re.search(r"ingediend=(\d+)", page.url)
    assert nummer is not None

    # What was sent: the request and the wrapped blob, for this OIN; never the passphrase.
    [(_, formulier)] = [(u, d) for u, d in page.lichamen if u.endswith("/portaal/aanmelden")]
    deel = formulier.split(b'name="browsersleutels"', 1)[1].split(b"\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0]
    gestuurd = json.loads(deel)
    assert set(gestuurd) == {"csr", "versleuteling", "bewijs", "blob"}
    assert gestuurd["blob"]["versie"] == 2 and len(gestuurd["blob"]["sleutels"]) == 4
    assert "-----BEGIN CERTIFICATE REQUEST-----" in gestuurd["csr"]

    # Beheer approves: the certificates are issued from the portal CA.
    beheer = browser.new_context(base_url=portaalserver.url, ignore_https_errors=True, locale="nl-NL")
    bp = beheer.new_page()
    log_in(bp, "Beheer van het knooppunt", naam="Bea Beheer")
    bp.goto(f"/portaal/beheer/aanvragen/{nummer.group(1)}")
    bp.get_by_role("button", name="Aanvraag goedkeuren").click()
    bp.wait_for_url("**gedaan=goedgekeurd-met-certificaten*")
    beheer.close()
    certificaten = json.loads(portaalserver.python(CERTIFICATEN, OIN).strip().splitlines()[-1])
    assert [g for g, _ in certificaten] == ["ondertekening", "versleuteling"]

    # The applicant logs in as the new participant (the same subject) and unlocks with the passphrase
    # shown when applying: the key page holds the keys made in the form.
    log_in(page, f"{NAAM} (Schuldeiser)", naam="Anna Aanvrager")
    page.wait_for_url("**/portaal/sleutels")
    page.get_by_label("Wachtwoord", exact=True).fill(geheim)
    page.get_by_role("button", name="Ontgrendelen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn ontgrendeld", timeout=60_000)

    _geen_geheimen(page, [geheim])
    assert not [f for f in page.console_fouten if "Content Security Policy" in f or "TrustedHTML" in f]


def test_aanmeldformulier_met_sleutels_is_toegankelijk(
    page: Any, portaalserver: Portaalserver, toegankelijk: Any
) -> None:
    """WCAG 2.1 AA (axe-core) on the aanmeldformulier with its key part, before and after the
    passphrase is shown (axe needs the CSP bypassed)."""
    from playwright.sync_api import expect

    token = portaalserver.python(BEGIN, "69599085").strip().splitlines()[-1]
    page.context.add_cookies(
        [{"name": "__Host-knooppunt-sessie", "value": token, "url": portaalserver.url, "secure": True}]
    )
    page.goto("/portaal/aanmelden")
    expect(page.locator("#browsersleutels")).to_be_visible()
    toegankelijk(page)
    page.get_by_role("button", name="Wachtwoord voor de sleutels maken").click()
    expect(page.locator("#browsersleutels-nieuw")).to_have_text(WACHTWOORD)
    toegankelijk(page)
