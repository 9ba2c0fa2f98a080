"""``/portaal/uitgelogd`` (where the eHerkenning broker sends a user back after logging out) is an
HTML page like the portal's other pages: declared with ``response_class=HTMLResponse``, so its
OpenAPI description says text/html; its behaviour is unchanged — the logged-out page without a
session, the start page for a user still logged in."""

from __future__ import annotations

from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.testclient import TestClient

from knooppunt.portaal.routes import inloggen, oidc
from tests.portaal.conftest import inloggen as log_in


def _html_in_openapi(routes: list[APIRoute], pad: str) -> bool:
    beschrijving = get_openapi(title="portaal", version="0", routes=routes)
    inhoud = beschrijving["paths"][pad]["get"]["responses"]["200"]["content"]
    return set(inhoud) == {"text/html"}


def test_uitgelogd_is_een_html_pagina_in_openapi() -> None:
    routes = [r for r in oidc.router.routes if isinstance(r, APIRoute)]
    route = next(r for r in routes if r.path == "/uitgelogd")
    assert route.response_class is HTMLResponse
    assert _html_in_openapi(routes, "/uitgelogd")
    # as the login page, the portal's other page of this kind
    assert _html_in_openapi([r for r in inloggen.router.routes if isinstance(r, APIRoute)], "/inloggen")


def test_uitgelogd_zonder_sessie_toont_de_pagina(portaal: TestClient, demo: object) -> None:
    antwoord = portaal.get("/portaal/uitgelogd")
    assert antwoord.status_code == 200
    assert antwoord.headers["content-type"].startswith("text/html")
    assert "U bent uitgelogd" in antwoord.text
    assert "U bent ook bij eHerkenning uitgelogd." not in antwoord.text  # no broker configured


def test_uitgelogd_met_sessie_gaat_naar_de_start(portaal: TestClient, demo: object) -> None:
    log_in(portaal, "gemeente")
    antwoord = portaal.get("/portaal/uitgelogd", follow_redirects=False)
    assert antwoord.status_code == 303 and antwoord.headers["location"] == "/portaal/"
