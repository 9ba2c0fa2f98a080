"""Keys in the browser (DESIGN §5 "Portal", decision 0025) in Debian's Chromium, with the portal's
real Content Security Policy in force (no ``bypass_csp``: Trusted Types required, WebAssembly only
with 'wasm-unsafe-eval', the bundle loaded with its SRI hash):

set up keys (the passphrase shown once) → reload (the keys are gone from memory) → a wrong
passphrase is refused in Dutch and loses nothing → the right one unlocks → a message sealed by the
Python SDK for the browser's new certificate opens and shows as text → a tampered one is refused.

Every request body the server receives during the flow is recorded: none holds the passphrase (raw,
without dashes, base64, base64url or hex), a JWK ``d`` member or a PKCS#8 private key.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.browser.conftest import Portaalserver, log_in

ENERGIE = "00000003501234560000"
XSS = "<img src=x onerror=alert(1)>"
"""Payload text that would be markup if a page put it into HTML: it must show as these characters."""
BELASTINGEN = "00000001503456780000"
GEMEENTE = "00000001002306608000"

# Run in the server's environment (its database, data directory and kluis): the municipality,
# whose keys the portal hosts, seals a saldoverzoek with the Python SDK (client/jose.py `verzegel`)
# for the energy company's newest encryption certificate — the one made in the browser — and
# submits it through the hub's mailbox. With "kapot", one character of the ciphertext is changed
# after sealing (the hub cannot see that; the recipient must). A fifth argument is the contact
# person's name (text the page must show as text, whatever it looks like).
VERSTUUR = r"""
import dataclasses, sys, uuid
from knooppunt import runtime
from knooppunt.config import Settings
from knooppunt.hub import mailbox
from knooppunt.portaal.demo import _met_klant
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.portaal.gastclient import Gastclient, TeVersturen
from knooppunt.portaal.kluis import Kluis

rt = runtime.bouw(Settings(), upgrade=False)
client = Gastclient(rt, Kluis.uit_instellingen(rt.settings), sys.argv[1], wie="test")
soort = sys.argv[4] if len(sys.argv) > 4 else "saldoverzoek_nuts"
payload = _met_klant(voorbeeld("schuldregeling", soort), 42)
if len(sys.argv) > 5:
    payload["contactpersoonSHV"]["naam"] = sys.argv[5]
bericht = TeVersturen(sys.argv[2], soort, payload, str(uuid.uuid4()))
with client.transactie() as (session, nu):
    afzender = client.deelnemer(session)
    sleutel = client.sleutel(session, "test", nu)
    envelop = client.verzegel(session, bericht, sleutel=sleutel, nu=nu)
    if sys.argv[3] == "kapot":
        delen = envelop.inhoud.split(".")
        delen[3] = ("B" if delen[3][0] == "A" else "A") + delen[3][1:]
        envelop = dataclasses.replace(envelop, inhoud=".".join(delen))
    resultaat, _ = mailbox.verstuur(session, afzender, envelop, nu=nu, instellingen=rt.instellingen)
    print(resultaat.referentienummer)
rt.close()
"""


def verstuur(
    server: Portaalserver,
    *,
    kapot: bool = False,
    aan: str = ENERGIE,
    soort: str = "saldoverzoek_nuts",
    contactpersoon: str | None = None,
) -> str:
    naam = [] if contactpersoon is None else [contactpersoon]
    r = subprocess.run(
        [sys.executable, "-c", VERSTUUR, GEMEENTE, aan, "kapot" if kapot else "heel", soort, *naam],
        env=server.omgeving,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0, r.stderr + r.stdout
    return r.stdout.strip().splitlines()[-1]


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> Portaalserver:
    """`knooppunt serve` on SQLite, and on PostgreSQL when KNOOPPUNT_TEST_DATABASE_URL is set."""
    naam = "portaalserver" if request.param == "sqlite" else "portaal_pg"
    gevonden: Portaalserver = request.getfixturevalue(naam)
    return gevonden


@pytest.fixture
def csp_pagina(browser: Any, server: Portaalserver) -> Any:
    """A page in a fresh profile with the portal's CSP in force, and every request body recorded."""
    from playwright.sync_api import expect

    expect.set_options(timeout=30_000)
    ctx = browser.new_context(
        base_url=server.url,
        ignore_https_errors=True,
        locale="nl-NL",
        viewport={"width": 1280, "height": 900},
    )
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    page.lichamen = []  # type: ignore[attr-defined]
    page.console_fouten = []  # type: ignore[attr-defined]

    def noteer(verzoek: Any) -> None:
        data = verzoek.post_data_buffer
        if data:
            page.lichamen.append((verzoek.url, bytes(data)))  # type: ignore[attr-defined]

    page.on("request", noteer)
    page.on("console", lambda m: page.console_fouten.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.console_fouten.append(f"pageerror: {e}"))  # type: ignore[attr-defined]
    yield page
    ctx.close()


def _vormen(geheim: str) -> list[bytes]:
    """The passphrase as it could leak: typed, without dashes, and base64/base64url/hex of both."""
    vormen: list[bytes] = []
    for tekst in {geheim, geheim.replace("-", ""), geheim.lower()}:
        ruw = tekst.encode()
        b64 = base64.b64encode(ruw)
        vormen += [ruw, b64.rstrip(b"="), base64.urlsafe_b64encode(ruw).rstrip(b"="), ruw.hex().encode()]
    return vormen


# The DER prefix of every PKCS#8 P-256 private key WebCrypto exports, and its encodings.
PKCS8_P256 = bytes.fromhex("308187020100301306072a8648ce3d020106082a8648ce3d030107")
PKCS8_VORMEN = [
    PKCS8_P256,
    PKCS8_P256.hex().encode(),
    base64.b64encode(PKCS8_P256)[:32],
    base64.urlsafe_b64encode(PKCS8_P256)[:32],
    b"PRIVATE KEY",
]


def _heeft_d(x: Any) -> bool:
    """Whether a JSON value holds a JWK with a private member ``d`` anywhere."""
    if isinstance(x, dict):
        return ("d" in x and "kty" in x) or any(_heeft_d(v) for v in x.values())
    if isinstance(x, list):
        return any(_heeft_d(v) for v in x)
    return False


def _geen_geheimen(page: Any, geheimen: list[str]) -> None:
    assert page.lichamen, "no request bodies were recorded"
    for url, data in page.lichamen:
        for geheim in geheimen:
            for vorm in _vormen(geheim):
                assert vorm not in data, f"the passphrase reached the server in {url}"
        for vorm in PKCS8_VORMEN:
            assert vorm not in data, f"a PKCS#8 private key reached the server in {url}"
        try:
            gegevens = json.loads(data)
        except ValueError:
            continue
        assert not _heeft_d(gegevens), f"a private JWK ('d') reached the server in {url}"


def test_sleutels_maken_ontgrendelen_en_een_bericht_openen(csp_pagina: Any, server: Portaalserver) -> None:
    from playwright.sync_api import expect

    page = csp_pagina
    log_in(page, "Demo Energie BV (Schuldeiser)", naam="Sanne Sleutel")
    antwoord = page.goto("/portaal/sleutels")
    assert antwoord is not None
    csp = antwoord.headers["content-security-policy"]
    assert "require-trusted-types-for 'script'" in csp and "'wasm-unsafe-eval'" in csp
    assert "'unsafe-eval'" not in csp.replace("'wasm-unsafe-eval'", "")

    # The bundle ran (under the CSP, after its SRI check): the no-JavaScript note is hidden.
    try:
        expect(page.locator("#sleutels-geen-js")).to_be_hidden(timeout=10_000)
    except Exception:  # Playwright's own assertion error
        pytest.fail(f"the key bundle did not start: {page.console_fouten}")

    # 1. Set up: the passphrase is shown once; the keys are made, wrapped and certified.
    page.get_by_role("button", name="Sleutels aanmaken").click()
    wachtwoord = page.locator("#wachtwoord-nieuw")
    expect(wachtwoord).to_have_text(re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$"))
    geheim = wachtwoord.text_content() or ""
    page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
    expect(page.get_by_role("alert")).to_contain_text("Vink eerst aan")
    page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=60_000)
    expect(page.locator("#wachtwoord-nieuw")).to_have_text("")

    # 2. The Python SDK seals for the browser's certificate; the page opens it in its memory. What
    # the payload holds is shown as text, never as markup: a name that looks like HTML stays text.
    goed = verstuur(server, contactpersoon=XSS)
    kapot = verstuur(server, kapot=True)
    page.get_by_role("button", name="Berichten ophalen").click()
    page.locator(f'button[data-referentienummer="{goed}"]').click()
    expect(page.locator("#sleutels-status")).to_contain_text("handtekening van de afzender klopt")
    inhoud = page.locator("#bericht-inhoud")
    expect(inhoud).to_contain_text("SHV-2026-0042")
    expect(inhoud.locator("td", has_text=XSS)).to_have_text(XSS)
    assert page.locator("#bericht img, #bericht [onerror]").count() == 0  # text, never HTML

    # 3. Reload: the keys were only in that page's memory; the page asks for the passphrase.
    page.reload()
    expect(page.get_by_role("heading", name="Sleutels ontgrendelen")).to_be_visible()
    # The step that throws the keys away is hidden until "Wachtwoord kwijt?" is pressed (the buttons'
    # display rule once showed it despite its hidden attribute: one click from new keys).
    expect(page.get_by_role("button", name="Wachtwoord kwijt? Nieuwe sleutels maken")).to_be_visible()
    expect(page.locator("#bevestig-opnieuw")).to_be_hidden()
    expect(page.locator("#opnieuw-uitleg")).to_be_hidden()
    veld = page.get_by_label("Wachtwoord", exact=True)
    veld.fill("ABCD-EFGH")
    page.get_by_role("button", name="Ontgrendelen").click()
    expect(page.get_by_role("alert")).to_contain_text("geen wachtwoord van dit portaal")
    fout = "0000-0000-0000-0000" if geheim != "0000-0000-0000-0000" else "1111-1111-1111-1111"
    veld.fill(fout)
    page.get_by_role("button", name="Ontgrendelen").click()
    expect(page.get_by_role("alert")).to_contain_text("Het wachtwoord klopt niet", timeout=60_000)
    expect(page.get_by_role("heading", name="Sleutels ontgrendelen")).to_be_visible()

    # 4. The right passphrase (typed in lower case, without dashes: it reads the same).
    veld.fill(geheim.lower().replace("-", " "))
    page.get_by_role("button", name="Ontgrendelen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn ontgrendeld", timeout=60_000)

    # 5. Fetch again (still unconfirmed): the good one opens, the tampered one is refused.
    page.get_by_role("button", name="Berichten ophalen").click()
    page.locator(f'button[data-referentienummer="{kapot}"]').click()
    expect(page.get_by_role("alert")).to_contain_text("kan niet worden vertrouwd")
    expect(page.get_by_role("alert")).to_contain_text("ONTSLEUTELING_MISLUKT")
    expect(page.locator("#bericht")).to_be_hidden()
    page.locator(f'button[data-referentienummer="{goed}"]').click()
    expect(page.locator("#bericht-inhoud")).to_contain_text("SHV-2026-0042")
    expect(page.get_by_role("alert")).to_be_hidden()

    # 6. Passphrase lost: new keys and certificates; what was sealed for the old key cannot be opened.
    page.reload()
    expect(page.locator("#bevestig-opnieuw")).to_be_hidden()
    page.get_by_role("button", name="Wachtwoord kwijt? Nieuwe sleutels maken").click()
    expect(page.locator("#opnieuw-uitleg")).to_contain_text("ingetrokken")
    page.get_by_role("button", name="Ja, maak nieuwe sleutels").click()
    expect(wachtwoord).to_have_text(re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$"))
    geheim2 = wachtwoord.text_content() or ""
    assert geheim2 != geheim
    page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=60_000)
    page.get_by_role("button", name="Berichten ophalen").click()
    page.locator(f'button[data-referentienummer="{goed}"]').click()
    # Said as what it is — not the sender's fault, and what to do (an independent werkplek probe
    # found "kan niet worden vertrouwd" with the kid here).
    expect(page.get_by_role("alert")).to_contain_text("versleuteld voor een oude sleutel van uw organisatie")
    expect(page.get_by_role("alert")).to_contain_text("Weiger het bij Downloaden")
    expect(page.get_by_role("alert")).not_to_contain_text("vertrouwd")

    # 7. Logging in again lands on the key page, which asks to unlock.
    log_in_opnieuw = page.context.new_page()
    log_in_opnieuw.goto("/portaal/inloggen")
    log_in_opnieuw.get_by_label("Organisatie").select_option(label="Demo Energie BV (Schuldeiser)")
    log_in_opnieuw.get_by_label("Uw naam").fill("Sanne Sleutel")
    log_in_opnieuw.get_by_role("button", name="Inloggen", exact=True).click()
    log_in_opnieuw.wait_for_url("**/portaal/sleutels")
    expect(log_in_opnieuw.get_by_role("heading", name="Sleutels ontgrendelen")).to_be_visible()

    # Nothing secret ever reached the server; no CSP or Trusted Types violation in the console.
    _geen_geheimen(page, [geheim, geheim2])
    assert not [f for f in page.console_fouten if "Content Security Policy" in f or "TrustedHTML" in f]


def test_vergrendelen_met_de_knop_en_na_inactiviteit(csp_pagina: Any, server: Portaalserver) -> None:
    """The keys live only in the page's memory: "Vergrendelen" forgets them and what was decrypted,
    and so does as long without any use of the page as the portal's idle session lasts (15 minutes
    here) — someone who leaves their desk does not leave the organisation's keys unlocked."""
    from playwright.sync_api import expect

    page = csp_pagina  # this server (SQLite or PostgreSQL), the portal's own CSP in force
    page.clock.install()  # the page's clock runs as usual until the test moves it on
    log_in(page, "Demo Incasso BV (Schuldeiser)", naam="Vince Vergrendel")
    page.goto("/portaal/sleutels")
    page.get_by_role("button", name="Sleutels aanmaken").click()
    expect(page.locator("#wachtwoord-nieuw")).to_have_text(WACHTWOORD)
    geheim = page.locator("#wachtwoord-nieuw").text_content() or ""
    page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=60_000)
    expect(page.locator("#stap-werk")).to_contain_text("15 minuten niets")
    # DESIGN §5 "Key transparency": the organisation's certificates, unlocked and locked alike.
    certificaten = page.get_by_role("heading", name="Uw certificaten")
    expect(certificaten).to_be_visible()

    # 1. The button.
    page.get_by_role("button", name="Vergrendelen").click()
    expect(page.get_by_role("heading", name="Sleutels ontgrendelen")).to_be_visible()
    expect(page.locator("#stap-werk")).to_be_hidden()
    expect(certificaten).to_be_visible()
    page.reload()  # as after a login: locked, the certificates just made listed with the last change
    expect(page.get_by_role("heading", name="Sleutels ontgrendelen")).to_be_visible()
    blok = page.locator("section", has=page.locator("#kop-certificaten"))
    expect(blok.get_by_role("table")).to_contain_text("in gebruik")
    expect(blok).to_contain_text("Laatste wijziging:")
    page.get_by_label("Wachtwoord", exact=True).fill(geheim)
    page.get_by_role("button", name="Ontgrendelen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn ontgrendeld", timeout=60_000)

    # 2. Still in use after 14 minutes with a key pressed now and then; locked 15 minutes after the last.
    page.clock.fast_forward("10:00")
    page.keyboard.press("Shift")
    page.clock.fast_forward("10:00")
    expect(page.locator("#stap-werk")).to_be_visible()
    page.clock.fast_forward("06:00")
    expect(page.get_by_role("heading", name="Sleutels ontgrendelen")).to_be_visible()
    expect(page.locator("#sleutels-status")).to_contain_text("vergrendeld omdat u 15 minuten niets")
    page.get_by_label("Wachtwoord", exact=True).fill(geheim)
    page.get_by_role("button", name="Ontgrendelen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn ontgrendeld", timeout=60_000)


def test_sleutelpagina_is_toegankelijk(page: Any, toegankelijk: Any) -> None:
    """WCAG 2.1 AA (axe-core) on the key page's first two steps (axe needs the CSP bypassed)."""
    from playwright.sync_api import expect

    log_in(page, "Demo Zorgverzekeraar NV (Schuldeiser)", naam="Toegankelijk")
    page.goto("/portaal/sleutels")
    expect(page.get_by_role("button", name="Sleutels aanmaken")).to_be_visible()
    toegankelijk(page)
    page.get_by_role("button", name="Sleutels aanmaken").click()
    expect(page.locator("#wachtwoord-nieuw")).not_to_have_text("")
    toegankelijk(page)


def _nieuwe_pagina(browser: Any, server: Portaalserver) -> Any:
    """A second user's browser (its own profile), every request body recorded."""
    ctx = browser.new_context(base_url=server.url, ignore_https_errors=True, locale="nl-NL")
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    page.lichamen = []  # type: ignore[attr-defined]
    page.on(
        "request",
        lambda v: page.lichamen.append((v.url, bytes(v.post_data_buffer))) if v.post_data_buffer else None,  # type: ignore[attr-defined]
    )
    return page


WACHTWOORD = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def _ontgrendel(page: Any, geheim: str) -> None:
    from playwright.sync_api import expect

    page.goto("/portaal/sleutels")
    page.get_by_label("Wachtwoord", exact=True).fill(geheim)
    page.get_by_role("button", name="Ontgrendelen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn ontgrendeld", timeout=60_000)


def _open(page: Any, referentienummer: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Berichten ophalen").click()
    page.locator(f'button[data-referentienummer="{referentienummer}"]').click()
    expect(page.locator("#sleutels-status")).to_contain_text("handtekening van de afzender klopt")
    expect(page.locator("#bericht-inhoud")).to_contain_text("SHV-2026-0042")


def test_twee_collegas_delen_de_sleutels_van_hun_organisatie(
    browser: Any, csp_pagina: Any, server: Portaalserver
) -> None:
    """Anna makes the organisation's keys; Bram asks for access, Anna gives it, Bram opens a message
    sealed for the organisation's key; Anna ends Bram's access and makes new keys for who remains:
    a message in flight still opens, a new one is sealed for the new certificate."""
    from playwright.sync_api import expect

    anna = csp_pagina
    log_in(anna, "Demo Belastingen (Schuldeiser)", naam="Anna")
    anna.goto("/portaal/sleutels")
    anna.get_by_role("button", name="Sleutels aanmaken").click()
    expect(anna.locator("#wachtwoord-nieuw")).to_have_text(WACHTWOORD)
    geheim_anna = anna.locator("#wachtwoord-nieuw").text_content() or ""
    anna.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    anna.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
    expect(anna.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=60_000)

    # Bram: the organisation has keys; he makes his personal key and passphrase and asks.
    bram = _nieuwe_pagina(browser, server)
    log_in(bram, "Demo Belastingen (Schuldeiser)", naam="Bram")
    bram.goto("/portaal/sleutels")
    expect(bram.get_by_role("heading", name="Uw organisatie heeft al sleutels")).to_be_visible()
    bram.get_by_role("button", name="Toegang vragen").click()
    expect(bram.locator("#wachtwoord-nieuw")).to_have_text(WACHTWOORD)
    geheim_bram = bram.locator("#wachtwoord-nieuw").text_content() or ""
    assert geheim_bram != geheim_anna
    bram.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    bram.get_by_role("button", name="Toegang vragen").click()
    expect(bram.get_by_role("heading", name="Toegang gevraagd")).to_be_visible(timeout=60_000)
    code = bram.locator("#eigen-controlecode").text_content() or ""
    assert re.fullmatch(r"[A-Za-z0-9_-]{4}-[A-Za-z0-9_-]{4}", code)
    # Before access is given, his passphrase opens only his personal key.
    bram.goto("/portaal/sleutels")
    bram.get_by_label("Wachtwoord", exact=True).fill(geheim_bram)
    bram.get_by_role("button", name="Ontgrendelen").click()
    expect(bram.locator("#sleutels-status")).to_contain_text("nog geen toegang gegeven", timeout=60_000)

    # Anna sees the request with the same code and gives access.
    anna.get_by_role("button", name="Verzoeken opnieuw ophalen").click()
    expect(anna.locator("#collegas-lijst")).to_contain_text("Vraagt toegang")
    expect(anna.locator("#collegas-lijst")).to_contain_text(code)
    anna.get_by_role("button", name="Toegang geven aan Bram").click()
    expect(anna.locator("#sleutels-status")).to_contain_text("Bram heeft nu toegang")

    # A message sealed for the organisation's certificate: Bram opens it with his own passphrase;
    # a wrong passphrase is still refused.
    onderweg = verstuur(server, aan=BELASTINGEN, soort="saldoverzoek_publiek")
    bram.goto("/portaal/sleutels")
    bram.get_by_label("Wachtwoord", exact=True).fill(
        "0000-0000-0000-0000" if geheim_bram != "0000-0000-0000-0000" else "1111-1111-1111-1111"
    )
    bram.get_by_role("button", name="Ontgrendelen").click()
    expect(bram.get_by_role("alert")).to_contain_text("Het wachtwoord klopt niet", timeout=60_000)
    _ontgrendel(bram, geheim_bram)
    _open(bram, onderweg)

    # Bram leaves: Anna ends his access; the page asks for new keys; she makes them.
    anna.get_by_role("button", name="Verzoeken opnieuw ophalen").click()
    # It asks first (an independent werkplek probe: one click forced new keys); cancelling changes nothing.
    anna.once("dialog", lambda d: d.dismiss())
    anna.get_by_role("button", name="Toegang beëindigen voor Bram").click()
    expect(anna.locator("#sleutels-status")).to_contain_text("Er is niets veranderd.")
    anna.once("dialog", lambda d: d.accept())
    anna.get_by_role("button", name="Toegang beëindigen voor Bram").click()
    expect(
        anna.get_by_role("heading", name="Maak nieuwe sleutels: een collega heeft geen toegang meer")
    ).to_be_visible()
    anna.get_by_role("button", name="Nieuwe sleutels maken").click()
    expect(anna.locator("#sleutels-status")).to_contain_text("Er zijn nieuwe sleutels", timeout=60_000)
    expect(anna.locator("#vernieuwen")).to_be_hidden()
    # The message in flight (sealed for the old key) still opens; a new one is for the new key.
    nieuw = verstuur(server, aan=BELASTINGEN, soort="saldoverzoek_publiek")
    _open(anna, onderweg)
    _open(anna, nieuw)
    # After a reload and unlock with her own passphrase, both still open.
    _ontgrendel(anna, geheim_anna)
    _open(anna, nieuw)

    # Bram has no access any more: his page offers to ask again.
    bram.goto("/portaal/sleutels")
    expect(bram.get_by_role("heading", name="Uw organisatie heeft al sleutels")).to_be_visible()

    # No passphrase, private key or personal key reached the server from either browser.
    _geen_geheimen(anna, [geheim_anna, geheim_bram])
    _geen_geheimen(bram, [geheim_anna, geheim_bram])
    bram.context.close()


def test_sleutels_van_versie_1_worden_bij_ontgrendelen_organisatiesleutels(
    csp_pagina: Any, server: Portaalserver
) -> None:
    """A version 1 blob (one user's own keys, as the portal made them before decision 0027) is
    upgraded by the page at its next unlock: the same keys, now wrapped to a personal key under the
    same passphrase; a message sealed for them opens before and after."""
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
    from playwright.sync_api import expect

    from tests.portaal.test_sleutels import Browser, b64url

    wonen = "00000003504567890000"
    page = csp_pagina
    log_in(page, "Demo Wonen (Schuldeiser)", naam="Vera")
    page.goto("/portaal/sleutels")
    expect(page.get_by_role("button", name="Sleutels aanmaken")).to_be_visible()
    csrf = page.locator("#sleutels").get_attribute("data-csrf")
    api = "/portaal/sleutels/api"

    # The v1 blob, made as the page of decision 0025 made it (Argon2id as hash-wasm computes it).
    geheim = "7K3M-Q9XD-B2CA-HJ4P"
    zout = os.urandom(16)
    browser = Browser(wonen)
    browser.wikkel = AESGCM(
        Argon2id(salt=zout, length=32, iterations=3, lanes=1, memory_cost=65536).derive(geheim.encode())
    )
    verzoek = browser.verzoek(blob=browser.blob(zout=b64url(zout)))
    gemaakt = page.request.post(
        f"{api}/aanvraag",
        data=json.dumps(verzoek),
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert gemaakt.status == 201, gemaakt.text()
    assert page.request.get(f"{api}/blob", headers={"X-CSRF-Token": csrf}).json()["blob"]["versie"] == 1
    bericht = verstuur(server, aan=wonen, soort="saldoverzoek")

    _ontgrendel(page, geheim)
    _open(page, bericht)
    na = page.request.get(f"{api}/blob", headers={"X-CSRF-Token": csrf}).json()["blob"]
    assert na["versie"] == 2 and len(na["sleutels"]) == 4
    # The v2 path, with the same passphrase.
    _ontgrendel(page, geheim)
    _open(page, bericht)
    _geen_geheimen(page, [geheim])


# --- importing a PKIoverheid certificate (decision 0032) ---------------------------------------------

ZORG = "00000003502345670000"
P12_WACHTWOORD = "Sterk-P12-wachtwoord!"

# In the server's environment: certificates from its development CA (a trust anchor there, as a
# PKIoverheid CA is in production) with a known OIN, as the files an organisation gets: a PKCS#12
# file for the organisation, one for another organisation, and a PEM certificate with a key that is
# not its own.
MAAK_BESTANDEN = r"""
import sys
from pathlib import Path
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import load_pem_private_key, pkcs12
from knooppunt.config import Settings
from knooppunt.pki import ontwikkel_ca

pki = Settings().dev_pki_dir
uit = Path(sys.argv[1])
uit.mkdir(parents=True, exist_ok=True)
ca = x509.load_pem_x509_certificate(ontwikkel_ca.ca_paden(pki)[0].read_bytes())
for basis, oin in (("eigen", sys.argv[2]), ("ander", sys.argv[3]), ("tweede", sys.argv[2])):
    r = ontwikkel_ca.issue(pki, oin=oin, naam="Import " + basis, key_type="ec", uit_map=uit, basisnaam=basis)
    cert = x509.load_pem_x509_certificate(r.certificaat.read_bytes())
    sleutel = load_pem_private_key(r.sleutel.read_bytes(), None)
    p12 = pkcs12.serialize_key_and_certificates(
        basis.encode(), sleutel, cert, [ca], serialization.BestAvailableEncryption(sys.argv[4].encode())
    )
    (uit / f"{basis}.p12").write_bytes(p12)
    (uit / f"{basis}-cert.pem").write_bytes(r.certificaat.read_bytes())
    pkcs8 = sleutel.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (uit / f"{basis}-pkcs8.pem").write_bytes(pkcs8)
    print(basis, cert.fingerprint(__import__("cryptography").hazmat.primitives.hashes.SHA256()).hex())
"""

GEREGISTREERD = r"""
import json, sys
from knooppunt import runtime
from knooppunt.config import Settings
from knooppunt.store.db import transactie
from knooppunt.store.models import Auditregel, Certificaat, PortaalSleutelblob
from sqlalchemy import select

rt = runtime.bouw(Settings(), upgrade=False)
with transactie(rt.sessions) as session:
    cert = session.get(Certificaat, sys.argv[2])
    blobs = session.scalars(select(PortaalSleutelblob).where(PortaalSleutelblob.oin == sys.argv[1])).all()
    audit = session.scalars(
        select(Auditregel.actie).where(
            Auditregel.deelnemer == sys.argv[1], Auditregel.actie == "certificaat_toegevoegd"
        )
    ).all()
    print(json.dumps({
        "oin": cert.oin if cert else None,
        "ondertekening": bool(cert and cert.gebruik_ondertekening),
        "sleutels": [[s["gebruik"] for s in json.loads(b.blob)["sleutels"]] for b in blobs],
        "toegevoegd": len(audit),
    }))
rt.close()
"""


# RSA certificates from the same CA (decision 0036), built here as PKIoverheid issues them — one use
# per certificate: an RSA-3072 encryption certificate (keyEncipherment) in a .p12, an RSA-2048
# signing certificate (digitalSignature) as PEM with a PKCS#1 key ("RSA PRIVATE KEY"), and an
# RSA-1024 signing certificate in a .p12, which the werkplek refuses.
MAAK_RSA = r"""
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from knooppunt.config import Settings
from knooppunt.pki import ontwikkel_ca

pki = Settings().dev_pki_dir
uit, oin, wachtwoord = Path(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
ca_pad, ca_sleutel_pad = ontwikkel_ca.ca_paden(pki)
ca = x509.load_pem_x509_certificate(ca_pad.read_bytes())
ca_sleutel = load_pem_private_key(ca_sleutel_pad.read_bytes(), None)
nu = datetime.now(UTC)
for basis, bits, ondertekenen in (("rsa-versleuteling", 3072, False), ("rsa-ondertekening", 2048, True),
                                  ("rsa-klein", 1024, True)):
    sleutel = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    naam = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
                      x509.NameAttribute(NameOID.SERIAL_NUMBER, oin),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Import " + basis)])
    gebruik = x509.KeyUsage(digital_signature=ondertekenen, content_commitment=ondertekenen,
                            key_encipherment=not ondertekenen, data_encipherment=not ondertekenen,
                            key_agreement=False, key_cert_sign=False, crl_sign=False,
                            encipher_only=False, decipher_only=False)
    cert = (x509.CertificateBuilder().subject_name(naam).issuer_name(ca.subject)
            .public_key(sleutel.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(nu - timedelta(minutes=1)).not_valid_after(nu + timedelta(days=365))
            .add_extension(gebruik, critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_sleutel.public_key()),
                           critical=False)
            .sign(ca_sleutel, hashes.SHA256()))
    (uit / f"{basis}.p12").write_bytes(pkcs12.serialize_key_and_certificates(
        basis.encode(), sleutel, cert, [ca], serialization.BestAvailableEncryption(wachtwoord)))
    (uit / f"{basis}-cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pkcs1 = serialization.PrivateFormat.TraditionalOpenSSL  # "RSA PRIVATE KEY"
    (uit / f"{basis}-pkcs1.pem").write_bytes(
        sleutel.private_bytes(serialization.Encoding.PEM, pkcs1, serialization.NoEncryption()))
    print(basis, cert.fingerprint(hashes.SHA256()).hex())
"""

# In the server's environment, the municipality's SDK (hosted keys, client/jose.py): "stuur" seals a
# saldoverzoek for the creditor's newest encryption certificate and prints its referentienummer and
# the JWE's alg; "open" opens the creditor's klant_onbekend answers in the municipality's inbox as
# the SDK does (decrypt, verify against the adresboek, match the envelope, validate) and prints, per
# answer, the outcome and the JWS header's alg and x5t#S256.
RSA_SDK = r"""
import base64, json, sys, uuid
from knooppunt import runtime
from knooppunt.client import jose
from knooppunt.config import Settings
from knooppunt.hub import mailbox
from knooppunt.portaal.demo import _met_klant
from knooppunt.portaal.gastclient import Gastclient, TeVersturen, envelop_van
from knooppunt.portaal.kluis import Kluis
from knooppunt.protocol.payloads.voorbeelden import voorbeeld

rt = runtime.bouw(Settings(), upgrade=False)
actie, afzender, ander = sys.argv[1], sys.argv[2], sys.argv[3]
client = Gastclient(rt, Kluis.uit_instellingen(rt.settings), afzender, wie="test")
with client.transactie() as (session, nu):
    deelnemer = client.deelnemer(session)
    if actie == "stuur":
        payload = _met_klant(voorbeeld("schuldregeling", "saldoverzoek_zorg"), 42)
        bericht = TeVersturen(ander, "saldoverzoek_zorg", payload, str(uuid.uuid4()))
        envelop = client.verzegel(session, bericht, sleutel=client.sleutel(session, "test", nu), nu=nu)
        resultaat, _ = mailbox.verstuur(session, deelnemer, envelop, nu=nu, instellingen=rt.instellingen)
        kop = json.loads(base64.urlsafe_b64decode(envelop.inhoud.split(".")[0] + "=="))
        print(json.dumps({"ref": resultaat.referentienummer, "alg": kop["alg"], "kid": kop["kid"]}))
    else:
        rijen = mailbox.ophalen(session, deelnemer, nu=nu, limiet=100,
                                max_bytes=rt.instellingen.max_pagina_bytes, berichttype="klant_onbekend")
        for b, jwe in rijen:
            if b.afzender != ander:
                continue
            sleutels = client.sleutels_voor(session, [jwe], "test", nu)
            uit = client.open(session, b, jwe, sleutels=sleutels)
            certificaten = client.afzendercertificaten(session, b.afzender, b.ontvangen_op)
            geopend = jose.open_(jwe, ontvanger_sleutel=sleutels, envelop=envelop_van(b, jwe),
                                 afzender_certificaten=certificaten)
            print(json.dumps({"ref": b.referentienummer, "cross": b.cross_referentienummer, "fout": uit.fout,
                              "detail": uit.foutdetail, "payload": uit.payload, "alg": geopend.kop["alg"],
                              "x5t": geopend.kop["x5t#S256"]}))
rt.close()
"""


def _rsa_sdk(server: Portaalserver, *args: str) -> list[dict[str, Any]]:
    uit = server.python(RSA_SDK, *args)
    return [json.loads(regel) for regel in uit.splitlines() if regel.startswith("{")]


def _x5t(pem: bytes) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    vingerafdruk = x509.load_pem_x509_certificate(pem).fingerprint(hashes.SHA256())
    return base64.urlsafe_b64encode(vingerafdruk).rstrip(b"=").decode()


def _rsa_importeren_openen_en_antwoorden(page: Any, server: Portaalserver, tmp_path: Any) -> None:
    """Decision 0036: RSA certificates in the werkplek. A too small key is refused in Dutch; the
    RSA encryption certificate (.p12) and the RSA signing certificate (PEM, PKCS#1 key) are imported;
    a saldoverzoek the SDK seals to the RSA certificate (RSA-OAEP-256) opens in the page, and the
    answer the page signs with the RSA key (PS256) the SDK opens and verifies."""
    from playwright.sync_api import expect

    vingerafdrukken = dict(
        regel.split()
        for regel in server.python(MAAK_RSA, str(tmp_path), ZORG, P12_WACHTWOORD).strip().splitlines()
    )
    alert = page.locator("#sleutels-fout")
    _importeer(page, tmp_path / "rsa-klein.p12", wachtwoord=P12_WACHTWOORD)
    expect(alert).to_contain_text(
        "de RSA-sleutel is 1024 bits; de werkplek gebruikt RSA-sleutels van 2048 tot en met 4096 bits"
    )
    klein = json.loads(
        server.python(GEREGISTREERD, ZORG, vingerafdrukken["rsa-klein"]).strip().splitlines()[-1]
    )
    assert klein["oin"] is None

    _importeer(page, tmp_path / "rsa-versleuteling.p12", wachtwoord=P12_WACHTWOORD)
    expect(page.locator("#sleutels-status")).to_contain_text("voor ontsleutelen", timeout=60_000)
    _importeer(
        page, tmp_path / "rsa-ondertekening-cert.pem", sleutel=tmp_path / "rsa-ondertekening-pkcs1.pem"
    )
    expect(page.locator("#sleutels-status")).to_contain_text("voor ondertekenen", timeout=60_000)
    na = json.loads(
        server.python(GEREGISTREERD, ZORG, vingerafdrukken["rsa-ondertekening"]).strip().splitlines()[-1]
    )
    assert na["oin"] == ZORG and na["ondertekening"]
    assert na["sleutels"][0][-2:] == ["versleuteling", "ondertekening"]

    # The keys come back from the blob as RSA keys after a reload and unlock (kluis.js importeer).
    page.reload()
    expect(page.get_by_role("heading", name="Sleutels ontgrendelen")).to_be_visible()
    _ontgrendel(page, page.geheim)  # type: ignore[attr-defined]

    # The SDK seals to the newest encryption certificate — the RSA one — with RSA-OAEP-256.
    [verstuurd] = _rsa_sdk(server, "stuur", GEMEENTE, ZORG)
    assert verstuurd["alg"] == "RSA-OAEP-256"
    assert verstuurd["kid"] == _x5t((tmp_path / "rsa-versleuteling-cert.pem").read_bytes())
    _open(page, verstuurd["ref"])

    # Answered in the page: signed with the RSA key (PS256), sealed to the municipality.
    page.get_by_role("button", name="Beantwoorden").click()
    keuze = page.locator("#opstel-type option", has_text="Klant onbekend")
    expect(keuze.first).to_be_attached()
    page.locator("#opstel-type").select_option(value=keuze.first.get_attribute("value"))
    expect(page.locator("#opstel-klantnummerSHV")).to_have_value("SHV-2026-0042")
    page.get_by_role("button", name="Bericht controleren en versturen").click()
    # The municipality's certificate may be young (key transparency): then confirmed once.
    page.wait_for_function(
        "() => !document.getElementById('opstel-jong').hidden"
        " || /Verstuurd/.test(document.getElementById('opstel-uitslag').textContent)",
        timeout=60_000,
    )
    if page.locator("#opstel-jong").is_visible():
        page.locator("#opstel-jong-akkoord").check()
        page.get_by_role("button", name="Bericht controleren en versturen").click()
    expect(page.locator("#opstel-uitslag")).to_contain_text("Verstuurd: Klant onbekend", timeout=60_000)
    [antwoord] = _rsa_sdk(server, "open", GEMEENTE, ZORG)
    assert antwoord["fout"] is None, antwoord
    assert antwoord["cross"] == verstuurd["ref"] and antwoord["payload"]["klantnummerSHV"] == "SHV-2026-0042"
    assert antwoord["alg"] == "PS256"
    assert antwoord["x5t"] == _x5t((tmp_path / "rsa-ondertekening-cert.pem").read_bytes())


def _importeer(page: Any, bestand: Any, *, wachtwoord: str = "", sleutel: Any = None) -> None:
    page.locator("#importeer-bestand").set_input_files(str(bestand))
    page.locator("#importeer-sleutel").set_input_files(str(sleutel) if sleutel is not None else [])
    page.get_by_label("Wachtwoord van het PKCS#12-bestand").fill(wachtwoord)
    page.get_by_role("button", name="Certificaat importeren").click()


def test_een_pkioverheid_certificaat_importeren(
    csp_pagina: Any, server: Portaalserver, tmp_path: Any
) -> None:
    """A .p12 from the (development) CA with the organisation's OIN is read in the browser, checked
    and registered; another organisation's certificate, a wrong password and a key that does not
    belong to the certificate are refused in Dutch; the key works after a reload and unlock. Then
    RSA certificates (decision 0036): see `_rsa_importeren_openen_en_antwoorden`."""
    from playwright.sync_api import expect

    uit = server.python(MAAK_BESTANDEN, str(tmp_path), ZORG, GEMEENTE, P12_WACHTWOORD)
    vingerafdruk = dict(regel.split() for regel in uit.strip().splitlines())["eigen"]

    page = csp_pagina
    log_in(page, "Demo Zorgverzekeraar NV (Schuldeiser)", naam="Ivo Import")
    page.goto("/portaal/sleutels")
    page.get_by_role("button", name="Sleutels aanmaken").click()
    expect(page.locator("#wachtwoord-nieuw")).to_have_text(WACHTWOORD)
    geheim = page.locator("#wachtwoord-nieuw").text_content() or ""
    page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=60_000)
    alert = page.locator("#sleutels-fout")

    # Refused, each with what was wrong and what to do; nothing stored.
    page.get_by_role("button", name="Certificaat importeren").click()
    expect(alert).to_contain_text("Kies eerst het bestand")
    _importeer(page, tmp_path / "ander.p12", wachtwoord=P12_WACHTWOORD)
    expect(alert).to_contain_text(f"het certificaat is voor OIN {GEMEENTE}, maar u werkt voor OIN {ZORG}")
    _importeer(page, tmp_path / "eigen.p12", wachtwoord="niet-het-wachtwoord")
    expect(alert).to_contain_text("het wachtwoord van het PKCS#12-bestand klopt niet")
    _importeer(page, tmp_path / "eigen-cert.pem", sleutel=tmp_path / "ander-pkcs8.pem")
    expect(alert).to_contain_text("de privésleutel hoort niet bij het certificaat")
    _importeer(page, tmp_path / "eigen-cert.pem")
    expect(alert).to_contain_text("kies bij een PEM-certificaat ook het bestand met precies één privésleutel")
    voor = json.loads(server.python(GEREGISTREERD, ZORG, vingerafdruk).strip().splitlines()[-1])
    assert voor["oin"] is None and voor["sleutels"] == [
        ["ondertekening", "versleuteling", "nummergeheim", "labelsleutel"]
    ]

    # The organisation's own .p12 with its password: checked, registered, the key in the blob.
    _importeer(page, tmp_path / "eigen.p12", wachtwoord=P12_WACHTWOORD)
    expect(page.locator("#sleutels-status")).to_contain_text("staat in het adresboek", timeout=30_000)
    expect(alert).to_be_hidden()
    na = json.loads(server.python(GEREGISTREERD, ZORG, vingerafdruk).strip().splitlines()[-1])
    assert na["oin"] == ZORG and na["ondertekening"]
    assert na["sleutels"] == [
        ["ondertekening", "versleuteling", "nummergeheim", "labelsleutel", "ondertekening"]
    ]
    assert na["toegevoegd"] == voor["toegevoegd"] + 1
    # Once only.
    _importeer(page, tmp_path / "eigen.p12", wachtwoord=P12_WACHTWOORD)
    expect(alert).to_contain_text("Het certificaat is niet geïmporteerd")

    # A PEM certificate with its PKCS#8 key in a file of its own: accepted too.
    _importeer(page, tmp_path / "tweede-cert.pem", sleutel=tmp_path / "tweede-pkcs8.pem")
    expect(page.locator("#sleutels-status")).to_contain_text("staat in het adresboek", timeout=30_000)
    tweede = dict(regel.split() for regel in uit.strip().splitlines())["tweede"]
    assert json.loads(server.python(GEREGISTREERD, ZORG, tweede).strip().splitlines()[-1])["oin"] == ZORG

    # After a reload the blob with the imported keys unlocks.
    _ontgrendel(page, geheim)

    # RSA (decision 0036): imported, a message to it opened, an answer signed with it.
    page.geheim = geheim  # type: ignore[attr-defined]
    _rsa_importeren_openen_en_antwoorden(page, server, tmp_path)

    # Neither the private key nor the passwords reached the server.
    _geen_geheimen(page, [geheim, P12_WACHTWOORD])
    pkcs8 = (tmp_path / "eigen-pkcs8.pem").read_text()
    kern = "".join(pkcs8.strip().splitlines()[1:-1])
    for _, data in page.lichamen:
        assert kern[40:80].encode() not in data
