"""Portal fixtures: the whole app (API + portal) in a TestClient over https://testserver, the demo
participants and messages, and a development login as any of them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.testclient import TestClient

from knooppunt.app import create_app
from knooppunt.portaal.demo import DEELNEMERS, laad_demo
from knooppunt.portaal.kluis import Kluis
from knooppunt.runtime import Runtime

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def oin_van(sleutel: str) -> str:
    return next(d.oin for d in DEELNEMERS if d.sleutel == sleutel)


def productie_runtime(rt: Runtime) -> Runtime:
    """`rt` with production settings (an eHerkenning login configured, as production demands)."""
    productie = rt.settings.model_copy(
        update={
            "env": "production",
            "oidc_issuer": "https://makelaar.example",
            "oidc_client_id": "knooppunt",
            "oidc_client_secret": SecretStr("geheim"),
            "oidc_redirect_url": "https://knooppunt.example/portaal/inloggen/oidc/terug",
            "oidc_cookie_sleutel": SecretStr("k" * 32),
        }
    )
    return Runtime(
        settings=productie,
        engine=rt.engine,
        sessions=rt.sessions,
        instellingen=rt.instellingen,
        ankers=rt.ankers,
        dagsleutels=rt.dagsleutels,
    )


def csrf_van(html: str) -> str:
    gevonden = CSRF.search(html)
    assert gevonden, "no CSRF token in the page"
    return gevonden.group(1)


@pytest.fixture
def kluis(rt: Runtime) -> Kluis:
    return Kluis.uit_instellingen(rt.settings)


@pytest.fixture
def demo(rt: Runtime, kluis: Kluis) -> dict[str, int]:
    """The demo participants (hosted keys) and their messages."""
    return laad_demo(rt, kluis)


@pytest.fixture
def portaal(rt: Runtime) -> Iterator[TestClient]:
    """A browser-like client of the whole app; cookies kept, redirects not followed."""
    with TestClient(create_app(rt), base_url="https://testserver", follow_redirects=False) as client:
        yield client


@pytest.fixture
def nieuwe_browser(rt: Runtime) -> Iterator[Callable[[], TestClient]]:
    clients: list[TestClient] = []

    def maak() -> TestClient:
        client = TestClient(create_app(rt), base_url="https://testserver", follow_redirects=False)
        clients.append(client)
        return client

    yield maak
    for client in clients:
        client.close()


def inloggen(client: TestClient, wie: str, naam: str = "Test Gebruiker") -> TestClient:
    """Development login as the participant with this demo key ('gemeente', 'energie', ...), an
    OIN, or 'beheer'."""
    pagina = client.get("/portaal/inloggen")
    assert pagina.status_code == 200
    doel = wie if wie == "beheer" or wie.isdigit() else oin_van(wie)
    antwoord = client.post(
        "/portaal/inloggen/ontwikkeling", data={"csrf": csrf_van(pagina.text), "wie": doel, "naam": naam}
    )
    assert antwoord.status_code == 303, antwoord.text
    return client


def formulier(client: TestClient, pad: str) -> tuple[str, Any]:
    """GET a page; returns (csrf token, response)."""
    antwoord = client.get(pad)
    assert antwoord.status_code == 200, antwoord.text
    return csrf_van(antwoord.text), antwoord
