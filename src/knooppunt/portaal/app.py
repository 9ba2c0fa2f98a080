"""The web portal (DESIGN §7) as an ASGI app of its own, mounted by ``knooppunt serve`` under
/portaal: server-rendered pages in Dutch, for participants without a system connection and for the
beheerders of the hub. It is a hosted client (``gastclient``): it goes through the hub's services
and rules like any API client, with keys from its own kluis.
"""

from __future__ import annotations

import secrets
import traceback
from pathlib import Path
from urllib.parse import quote

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from knooppunt.config import Settings
from knooppunt.hub.fouten import HubFout
from knooppunt.pki.portaal_ca import PortaalCa
from knooppunt.portaal import oidc, routes
from knooppunt.portaal.fouten import GeenToegang, InloggenNodig, PortaalFout
from knooppunt.portaal.kluis import Kluis
from knooppunt.portaal.routes import sleutels, werkplek_clienten, werkplek_download, werkplek_verzenden
from knooppunt.portaal.sessies import COOKIE, LOGIN_CSRF_COOKIE
from knooppunt.portaal.weergave import pagina, pagina_zonder_database
from knooppunt.runtime import Runtime
from knooppunt.store.dagsleutels import SleutelFout
from knooppunt.zonder_traceback import ZonderTraceback

log = structlog.get_logger("knooppunt.portaal")

PREFIX = "/portaal"
UPLOAD_PAD = PREFIX + "/upload"
MAX_BESTANDEN = 10
MAX_BESTAND_BYTES = 4 * 1024 * 1024  # art. 18.2 / DESIGN §7: at most 4 MiB per file
# The whole upload request: the files plus the multipart framing and the other form fields.
MAX_UPLOAD_VERZOEK = MAX_BESTANDEN * MAX_BESTAND_BYTES + 256 * 1024

# Content Security Policy: no inline scripts, no third parties; the pages work without JavaScript.
# Trusted Types required (no script may write HTML from strings), no workers (so no service worker).
# The key page (routes.sleutels.CSP_SLEUTELS) adds 'wasm-unsafe-eval' for Argon2id, there only.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "worker-src 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "require-trusted-types-for 'script'; trusted-types 'none'"
)


class Beveiligingskoppen:
    """Security headers on every portal response; no caching of pages (they show personal data)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def met_koppen(bericht: Message) -> None:
            if bericht["type"] == "http.response.start":
                koppen = list(bericht.get("headers", []))
                namen = {k.lower() for k, _ in koppen}
                extra = {
                    b"content-security-policy": CSP.encode(),
                    b"x-content-type-options": b"nosniff",
                    b"referrer-policy": b"same-origin",
                    b"x-frame-options": b"DENY",
                    b"strict-transport-security": b"max-age=31536000",
                    b"cache-control": b"no-store",
                }
                for naam, waarde in extra.items():
                    if naam not in namen:
                        koppen.append((naam, waarde))
                bericht["headers"] = koppen
            await send(bericht)

        await self.app(scope, receive, met_koppen)


def _onverwacht_log(request_pad: str, fout: BaseException) -> None:
    """One JSON line for an unexpected error: where (``path``), what kind (``fout``) and where in
    the code (``waar``, the innermost frames). Not the exception's message, unlike the hub's other
    failure lines (docs/operations.md "Logs"): the portal is a hosted client that holds plaintext,
    and a message might quote it."""
    plekken = traceback.extract_tb(fout.__traceback__)[-3:]
    log.error(
        "onverwachte fout",
        path=request_pad,
        fout=f"{type(fout).__module__}.{type(fout).__qualname__}",
        waar=[f"{Path(p.filename).name}:{p.lineno} in {p.name}" for p in reversed(plekken)],
    )


_ONVERWACHT_TITEL = "Er ging iets mis"
_ONVERWACHT_UITLEG = (
    "Het portaal kon uw verzoek niet afhandelen door een fout in het knooppunt; beheer kan die in het "
    "logboek terugvinden. Probeer het opnieuw. Hetzelfde formulier of dezelfde upload nog eens "
    "versturen is veilig: wat al verstuurd was, wordt niet dubbel verstuurd. Blijft het gebeuren, "
    "neem dan contact op met de beheerder van het knooppunt."
)
# Without templates: for when rendering the error page is what failed.
_ONVERWACHT_KAAL = (
    '<!doctype html><html lang="nl" class="knooppunt-thema"><head><meta charset="utf-8">'
    f"<title>{_ONVERWACHT_TITEL} — Knooppunt</title>"
    '<link rel="stylesheet" href="/portaal/static/portaal.css"></head><body><main>'
    f'<h1>{_ONVERWACHT_TITEL}</h1><div class="melding fout" role="alert"><p>{_ONVERWACHT_UITLEG}</p></div>'
    '<p><a href="/portaal/">Terug naar het overzicht</a></p></main></body></html>'
)


def controleer_instellingen(settings: Settings) -> None:
    """What the portal needs before it can start (SettingsError with what to set): the kluis's
    master key, in production its eHerkenning login, and a portal CA given as certificate and
    matching key. `knooppunt serve` calls this first."""
    Kluis.uit_instellingen(settings)
    oidc.controleer_instellingen(settings)
    PortaalCa.laad(settings)


def create_portaal_app(rt: Runtime, *, kluis: Kluis | None = None) -> ASGIApp:
    app = FastAPI(
        title="Knooppunt webportaal",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # No 307 from /inloggen/ to /inloggen: Starlette's redirect names the Host header's host
        # in its Location (a poisoned cache would send users elsewhere); such a path is a 404.
        redirect_slashes=False,
    )
    app.state.runtime = rt
    app.state.kluis = kluis or Kluis.uit_instellingen(rt.settings)
    # eHerkenning through OIDC; in production incomplete settings stop the start (SettingsError).
    app.state.oidc = oidc.Makelaar.uit_instellingen(rt.settings)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    for router in routes.ROUTERS:
        app.include_router(router)
    app.include_router(sleutels.router)  # keys in the browser (DESIGN §5 "Portal")
    app.include_router(werkplek_clienten.router)  # client labels encrypted in the browser
    app.include_router(werkplek_download.router)  # the werkplek's download (art. 16-17 in the browser)
    app.include_router(werkplek_verzenden.router)  # uploading and sending from the werkplek

    @app.middleware("http")
    async def _login_csrf(request: Request, call_next):  # type: ignore[no-untyped-def]
        # Before login there is no session to hold a CSRF token: the login forms use this cookie.
        nieuw = None
        if LOGIN_CSRF_COOKIE not in request.cookies:
            nieuw = secrets.token_urlsafe(32)
            request.state.login_csrf = nieuw  # for the page rendered now
        antwoord: Response = await call_next(request)
        if nieuw is not None:
            antwoord.set_cookie(
                LOGIN_CSRF_COOKIE, nieuw, path="/", secure=True, httponly=True, samesite="lax"
            )
        return antwoord

    # The OIDC flow cookie (state, nonce, PKCE verifier between leaving for the broker and coming back).
    app.add_middleware(SessionMiddleware, **oidc.flow_cookie(rt.settings))

    @app.exception_handler(InloggenNodig)
    async def _inloggen(request: Request, fout: InloggenNodig) -> Response:
        if request.method != "GET":
            return await run_in_threadpool(
                pagina,
                request,
                "fout.html",
                status_code=401,
                titel="U bent niet (meer) ingelogd",
                uitleg="Uw sessie is verlopen of u bent uitgelogd. Log opnieuw in; er is niets verstuurd.",
            )
        # A session cookie that no longer opens a session: say so on the login page (by code).
        verlopen = "&fout=sessie-verlopen" if COOKIE in request.cookies else ""
        return RedirectResponse(
            f"{PREFIX}/inloggen?volgende={quote(fout.volgende)}{verlopen}", status_code=303
        )

    @app.exception_handler(GeenToegang)
    async def _geen_toegang(request: Request, fout: GeenToegang) -> HTMLResponse:
        return await run_in_threadpool(
            pagina, request, "fout.html", status_code=fout.status, titel="Geen toegang", uitleg=fout.uitleg
        )

    @app.exception_handler(PortaalFout)
    async def _portaal_fout(request: Request, fout: PortaalFout) -> HTMLResponse:
        return await run_in_threadpool(
            pagina, request, "fout.html", status_code=fout.status, titel=fout.titel, uitleg=fout.uitleg
        )

    @app.exception_handler(HubFout)
    async def _hub_fout(request: Request, fout: HubFout) -> HTMLResponse:
        return await run_in_threadpool(
            pagina,
            request,
            "fout.html",
            status_code=fout.status,
            titel=fout.titel,
            uitleg=fout.detail,
            code=fout.code,
        )

    @app.exception_handler(SleutelFout)
    async def _sleutel_onbruikbaar(request: Request, fout: SleutelFout) -> HTMLResponse:
        # As the API's 503 (app.py): a day key this node cannot use — wrapped under a master key
        # missing from its configuration, or today's destroyed while the clock was ahead. The
        # request's transaction is rolled back; the reason (day, master key id) is for the operator.
        log.error("dagsleutel onbruikbaar in het portaal", path=request.url.path, reden=str(fout))
        antwoord = await run_in_threadpool(
            pagina,
            request,
            "fout.html",
            status_code=503,
            titel="Tijdelijk niet beschikbaar",
            uitleg="Het portaal kan opgeslagen berichten nu niet openen of veilig opslaan (een sleutel is op "
            "dit knooppunt niet bruikbaar); er is niets gewijzigd en beheer is gewaarschuwd. Probeer het "
            "later opnieuw. Hetzelfde formulier of dezelfde upload nog eens versturen is veilig: wat al "
            "verstuurd was, wordt niet dubbel verstuurd.",
        )
        antwoord.headers["Retry-After"] = "300"
        return antwoord

    @app.exception_handler(OperationalError)
    async def _database_tijdelijk(request: Request, fout: OperationalError) -> HTMLResponse:
        # As the API's 503: the database may have committed before the connection broke, so never
        # "nothing was sent"; sending the same form or upload again sends nothing twice (DESIGN §7).
        log.warning(
            "database tijdelijk niet beschikbaar", path=request.url.path, fout=type(fout.orig).__name__
        )
        antwoord = pagina_zonder_database(
            request,
            "fout.html",
            status_code=503,
            titel="Tijdelijk niet beschikbaar",
            uitleg="Het portaal kon uw verzoek nu niet afronden; het kan toch zijn vastgelegd. Probeer het "
            "over enkele seconden opnieuw. Hetzelfde formulier of dezelfde upload nog eens versturen is "
            "veilig: wat al verstuurd was, wordt niet dubbel verstuurd.",
        )
        antwoord.headers["Retry-After"] = "2"
        return antwoord

    @app.exception_handler(Exception)
    async def _onverwacht(request: Request, fout: Exception) -> HTMLResponse:
        # Any other exception: the Dutch error page, not Starlette's plain-text 500 (without the
        # database: it may be what failed). ZonderTraceback keeps the traceback off stderr.
        _onverwacht_log(request.url.path, fout)
        return pagina_zonder_database(
            request, "fout.html", status_code=500, titel=_ONVERWACHT_TITEL, uitleg=_ONVERWACHT_UITLEG
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, fout: StarletteHTTPException) -> HTMLResponse:
        titels = {404: "Pagina niet gevonden", 405: "Dat kan hier niet"}
        return await run_in_threadpool(
            pagina,
            request,
            "fout.html",
            status_code=fout.status_code,
            titel=titels.get(fout.status_code, "Fout"),
            uitleg=str(fout.detail)
            if fout.status_code not in titels
            else "Controleer het adres of ga terug naar de startpagina.",
        )

    return Beveiligingskoppen(
        ZonderTraceback(
            app,
            log_regel=_onverwacht_log,
            kaal=lambda _scope: HTMLResponse(_ONVERWACHT_KAAL, status_code=500),
        )
    )
