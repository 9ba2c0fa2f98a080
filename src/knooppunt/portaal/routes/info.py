"""The pages every Dutch government service links from its footer (DESIGN §7): the privacy
statement, the accessibility statement (toegankelijkheidsverklaring) and contact. Reachable
without logging in; they name the organisation responsible (KNOOPPUNT_PORTAAL_ORGANISATIE)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from knooppunt.portaal.weergave import pagina

router = APIRouter()


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request) -> HTMLResponse:
    return pagina(request, "info/privacy.html", titel="Privacyverklaring")


@router.get("/toegankelijkheid", response_class=HTMLResponse)
def toegankelijkheid(request: Request) -> HTMLResponse:
    return pagina(request, "info/toegankelijkheid.html", titel="Toegankelijkheidsverklaring")


@router.get("/contact", response_class=HTMLResponse)
def contact(request: Request) -> HTMLResponse:
    return pagina(request, "info/contact.html", titel="Contact")
