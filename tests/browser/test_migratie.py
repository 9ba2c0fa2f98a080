"""Hosted keys moved into the browser (DESIGN §5 "Migration", docs/portaal.md "Migrating hosted
keys"), as a newcomer does it in Debian's Chromium under the portal's real CSP: a creditor whose keys
the portal hosted (the hosted demo's Demo Incasso BV, with messages already waiting) makes its keys
in the browser. The messages that were in flight are sealed for the old hosted key, which the page
does not have: the werkplek says so and links to the portal's own page, which still opens them
server-side, as before — an independent newcomer probe found them opened nowhere."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Portaalserver, log_in
from tests.browser.test_browserdemo import csp_pagina, server  # noqa: F401 (fixtures)

INCASSO = "Demo Incasso BV (Schuldeiser)"


def test_berichten_onderweg_voor_de_oude_sleutel_opent_het_portaal_nog(
    csp_pagina: Any,  # noqa: F811
    server: Portaalserver,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    page = csp_pagina
    log_in(page, INCASSO, naam="Mia Migratie")
    page.goto("/portaal/sleutels")
    expect(page.locator("#gehost-uitleg")).to_be_visible()
    page.get_by_role("button", name="Sleutels aanmaken").click()
    page.get_by_label("Ik heb het wachtwoord opgeschreven").check()
    page.get_by_role("button", name="Sleutels maken en certificaten aanvragen").click()
    expect(page.locator("#sleutels-status")).to_contain_text("Uw sleutels zijn gemaakt", timeout=60_000)

    # The werkplek: a message in flight is for the old key; it says so, not "refuse it", and links.
    page.get_by_role("button", name="Berichten ophalen").click()
    eerste = page.locator("button[data-referentienummer]").first
    ref = eerste.get_attribute("data-referentienummer")
    assert ref
    eerste.click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("nog versleuteld voor de sleutel die het portaal voor uw organisatie")
    expect(alert).not_to_contain_text("Weiger het")
    link = alert.get_by_role("link", name="Openen bij Ontvangen berichten")
    expect(link).to_have_attribute("href", f"/portaal/ontvangen/{ref}")

    # The zip in the browser has nothing to open; it points to the portal's page instead.
    page.get_by_role("button", name="Download maken").click()
    expect(page.locator("#download-voortgang")).to_contain_text("het portaal opent en downloadt ze")
    lijstlink = page.locator("#niet-geopend-lijst").get_by_role("link", name="Openen bij Ontvangen berichten")
    expect(lijstlink.first).to_be_visible()

    # The portal's own page opens it server-side with the old key, as before the migration.
    page.locator(f'#niet-geopend-lijst li[data-referentienummer="{ref}"] a').click()
    page.wait_for_url(f"**/portaal/ontvangen/{ref}")
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("werkplek")
    page.goto("/portaal/ontvangen")
    expect(page.locator("#kop-oude-sleutel")).to_be_visible()
    expect(page.locator("#oude-sleutel-berichten")).to_contain_text("Bekijken")
