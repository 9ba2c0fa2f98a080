"""A real OpenID Connect provider posing as the eHerkenning broker (tests/oidc/provider.mjs, Node's
panva/oidc-provider), and a person's browser at it: an httpx client that follows the broker's
redirects and submits its login form for a chosen account.

The accounts carry the eHerkenning claims under the default claim names of the settings, for the
demo participants of knooppunt.portaal.demo (KvK numbers and vestigingsnummers) and for every way
a login can be refused.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
from starlette.testclient import TestClient

from knooppunt.config import Settings

MAP = Path(__file__).resolve().parent.parent / "oidc"
PORTAAL = "https://testserver"
TERUG = PORTAAL + "/portaal/inloggen/oidc/terug"
UITGELOGD = PORTAAL + "/portaal/uitgelogd"

_STANDAARD = Settings()
KVK = _STANDAARD.oidc_claim_kvk
VESTIGING = _STANDAARD.oidc_claim_vestiging
NIVEAU = _STANDAARD.oidc_claim_niveau
DIENST_CLAIM = _STANDAARD.oidc_claim_dienst
# The eHerkenning service (ServiceUUID) of the knooppunt, and another service.
DIENST = "0c7a5b6e-4b1d-4c4e-9a51-6f0c1d2e3f40"
ANDERE_DIENST = "9d2f4a1b-7c3e-4e5f-8a6b-1c2d3e4f5a6b"
LOA = "urn:etoegang:core:assurance-class:loa{}"


def _account(
    *,
    niveau: str | None = LOA.format(3),
    kvk: Any = None,
    vestiging: str | None = None,
    diensten: list[str] | None = None,
    naam: str | None = None,
    acr: str | None = None,
) -> dict[str, Any]:
    claims: dict[str, Any] = {DIENST_CLAIM: diensten if diensten is not None else [DIENST]}
    if niveau is not None:
        claims[NIVEAU] = niveau
    if kvk is not None:
        claims[KVK] = kvk
    if vestiging is not None:
        claims[VESTIGING] = vestiging
    if naam is not None:
        claims["name"] = naam
    return {"acr": acr, "claims": claims}


# sub -> account. The demo: energie 50123456 / 000023456789 (SE), gemeente 50200097 / 000012345678
# (SHV), zorg 50234567 without vestiging (SE).
ACCOUNTS = {
    "eh-energie-eva": _account(kvk="50123456", vestiging="000023456789", naam="Eva de Boer"),
    # A colleague: eIDAS level name, the KvK number as a JSON number, no vestiging, no name.
    "eh-energie-piet": _account(niveau="http://eidas.europa.eu/LoA/substantial", kvk=50123456),
    "eh-gemeente": _account(niveau=LOA.format(4), kvk="50200097", vestiging="000012345678", naam="Sam Smit"),
    "eh-zorg": _account(kvk="50234567", naam="Zoë Zorg"),
    # A vestiging of an organisation that joined as a whole (zorg has no vestigingsnummer).
    "eh-zorg-vestiging": _account(kvk="50234567", vestiging="000011112222", naam="Vera Vestiging"),
    "eh-beheer": _account(naam="Bea Beheer"),
    # Only the standard acr claim carries the level.
    "eh-acr": _account(niveau=None, acr=LOA.format(3), kvk="50123456", vestiging="000023456789"),
    "eh-laag": _account(niveau=LOA.format(2), kvk="50123456", vestiging="000023456789"),
    "eh-loa2plus": _account(niveau=LOA.format("2plus"), kvk="50123456", vestiging="000023456789"),
    "eh-andere-dienst": _account(kvk="50123456", vestiging="000023456789", diensten=[ANDERE_DIENST]),
    "eh-onbekend": _account(kvk="69599084"),
    "eh-vestiging-onbekend": _account(kvk="50123456", vestiging="000099999999"),
}


@dataclass
class Makelaar:
    issuer: str
    client_id: str
    client_secret: str
    portaal: str = PORTAAL

    def instellingen(self, **extra: Any) -> dict[str, Any]:
        """The portal's settings for this broker."""
        return {
            "oidc_issuer": self.issuer,
            "oidc_client_id": self.client_id,
            "oidc_client_secret": self.client_secret,
            "oidc_redirect_url": self.portaal + TERUG.removeprefix(PORTAAL),
            "oidc_scopes": "openid profile",
            "oidc_dienst": DIENST,
            "portaal_beheerders": ["eh-beheer"],
            # One key for every app of the test (nieuwe_browser builds an app per browser), as for
            # every worker of a real portal.
            "oidc_cookie_sleutel": "test-" + "k" * 40,
            **extra,
        }

    @contextmanager
    def met_fout(self, fout: str) -> Iterator[None]:
        """The token endpoint hands out a doctored ID token (see provider.mjs) while inside."""
        httpx.post(self.issuer + "/_test/fout", json={"fout": fout}).raise_for_status()
        try:
            yield
        finally:
            httpx.post(self.issuer + "/_test/fout", json={"fout": None}).raise_for_status()


@contextmanager
def start_makelaar(node: str, map_: Path, *, portaal: str = PORTAAL) -> Iterator[Makelaar]:
    """The provider, with one client: the portal at `portaal` (the TestClient's by default)."""
    client_secret = secrets.token_urlsafe(24)
    config = {
        "client": {
            "client_id": "knooppunt-portaal",
            "client_secret": client_secret,
            "redirect_uris": [portaal + TERUG.removeprefix(PORTAAL)],
            "post_logout_redirect_uris": [portaal + UITGELOGD.removeprefix(PORTAAL)],
        },
        "accounts": ACCOUNTS,
        "claimNames": [KVK, VESTIGING, NIVEAU, DIENST_CLAIM],
    }
    pad = map_ / "makelaar.json"
    pad.write_text(json.dumps(config))
    proces = subprocess.Popen(
        [node, str(MAP / "provider.mjs"), str(pad)],
        cwd=MAP,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proces.stdout is not None
        regel = proces.stdout.readline()
        if not regel:
            proces.wait(10)
            assert proces.stderr is not None
            raise AssertionError(f"the OIDC provider did not start:\n{proces.stderr.read()}")
        yield Makelaar(json.loads(regel)["issuer"], "knooppunt-portaal", client_secret, portaal)
    finally:
        proces.terminate()
        proces.wait(10)
        for stroom in (proces.stdout, proces.stderr):
            if stroom is not None:
                stroom.close()


def browser() -> httpx.Client:
    """A person's browser at the broker (its own cookies); redirects followed by hand."""
    return httpx.Client(follow_redirects=False, timeout=10)


def bij_makelaar(browser: httpx.Client, url: str, account: str | None) -> str:
    """Follow the broker from `url` until it sends the browser back to the portal, logging in as
    `account` on its login form when asked; returns the portal URL it sends the browser to."""
    for _ in range(10):
        antwoord = browser.get(url)
        if antwoord.is_redirect:
            url = urljoin(str(antwoord.url), antwoord.headers["location"])
            if url.startswith(PORTAAL + "/"):
                return url
            continue
        assert antwoord.status_code == 200, antwoord.text
        assert account is not None, f"the broker asked to log in:\n{antwoord.text}"
        actie = re.search(r'<form method="post" action="([^"]+)"', antwoord.text)
        assert actie, antwoord.text
        gepost = browser.post(urljoin(str(antwoord.url), actie.group(1)), data={"account": account})
        assert gepost.status_code == 303, gepost.text
        url = urljoin(str(gepost.url), gepost.headers["location"])
    raise AssertionError("the broker kept redirecting")


def naar_makelaar(portaal: TestClient, volgende: str | None = None) -> str:
    """Click "Inloggen met eHerkenning": the authorization URL the portal sends the browser to."""
    antwoord = portaal.get("/portaal/inloggen/oidc", params={"volgende": volgende} if volgende else None)
    assert antwoord.status_code == 303, antwoord.text
    return antwoord.headers["location"]


def terug_van_makelaar(portaal: TestClient, account: str, volgende: str | None = None) -> str:
    """The whole trip to the broker and the login there; returns the callback URL (not yet opened)."""
    url = naar_makelaar(portaal, volgende)
    with browser() as b:
        return bij_makelaar(b, url, account)


def log_in(portaal: TestClient, account: str, volgende: str | None = None) -> httpx.Response:
    """Log in at the portal through the broker; returns the portal's answer to the callback."""
    return portaal.get(terug_van_makelaar(portaal, account, volgende))
