"""create_app(runtime): the participant-facing ASGI app — API v1 under /api/v1."""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio.to_thread
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import OperationalError
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from knooppunt import __version__
from knooppunt.api import auth, invoer, v1
from knooppunt.api.lus import Lus
from knooppunt.api.snel import SnellePaden
from knooppunt.hub import adresboek
from knooppunt.hub.fouten import HubFout
from knooppunt.metrics import HttpMeting
from knooppunt.runtime import Runtime
from knooppunt.store.dagsleutels import SleutelFout
from knooppunt.zonder_traceback import ZonderTraceback

API_VERSIE = "1.0.0"
log = structlog.get_logger("knooppunt.api")

PROBLEEM_MEDIA = "application/problem+json"
_REF = "#/components/"
_METHODEN = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_HTTP_METHODEN = tuple(m.upper() for m in _METHODEN)
_TAGS = [
    {"name": "berichten", "description": "Berichten aanbieden, ophalen, bevestigen en weigeren"},
    {"name": "conversaties", "description": "De tijdlijn van een conversatie"},
    {"name": "adresboek", "description": "Wie deelneemt, in welke rol en modules, met welke certificaten"},
    {"name": "berichttypen", "description": "De berichtencatalogus"},
    {"name": "audit", "description": "Ondertekende checkpoints van het auditlog"},
]


class ApiVersie:
    """Set the ``API-Version`` header on every response of the API (DESIGN §4).

    Plain ASGI rather than ``@app.middleware("http")``: that wraps ``receive`` in a task group, so
    an exception raised while the body is read (``_TeGroot``) would reach FastAPI as an
    ExceptionGroup and be answered as a 400 instead of a 413."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def met_versie(bericht: Message) -> None:
            if bericht["type"] == "http.response.start":
                MutableHeaders(scope=bericht)["API-Version"] = API_VERSIE
            await send(bericht)

        await self.app(scope, receive, met_versie)


class VerzoekId:
    """Bind a request id (``X-Request-ID``, echoed in the response) to the logs of the request,
    and log one metadata-only line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        verzoek_id = Headers(scope=scope).get("x-request-id") or str(uuid.uuid4())
        if len(verzoek_id) > 100 or not verzoek_id.isprintable():
            verzoek_id = str(uuid.uuid4())
        status: int | None = None

        async def met_id(bericht: Message) -> None:
            nonlocal status
            if bericht["type"] == "http.response.start":
                status = bericht["status"]
                MutableHeaders(scope=bericht)["X-Request-ID"] = verzoek_id
            await send(bericht)

        structlog.contextvars.bind_contextvars(request_id=verzoek_id)
        try:
            await self.app(scope, receive, met_id)
        finally:
            log.info(
                "verzoek",
                method=scope.get("method"),
                path=scope.get("path"),
                status=status or 500,
                oin=(scope.get("state") or {}).get("oin"),
            )
            structlog.contextvars.unbind_contextvars("request_id")


class MaxBodyGrootte:
    """Refuse request bodies above the configured size (413) without reading them whole."""

    def __init__(self, app: ASGIApp, max_bytes: int, *, per_pad: dict[str, int] | None = None) -> None:
        self.app = app
        self.standaard = max_bytes
        # Larger limits for some paths (the portal's CSV upload: several files of 4 MiB).
        self.per_pad = per_pad or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pad = scope.get("path", "")
        max_bytes = next((m for p, m in self.per_pad.items() if pad == p), self.standaard)
        for naam, waarde in scope.get("headers", []):
            if naam == b"content-length" and waarde.isdigit() and int(waarde) > max_bytes:
                await _te_groot(scope, send, max_bytes)
                return
        ontvangen = 0

        async def begrensd() -> Message:
            nonlocal ontvangen
            bericht = await receive()
            if bericht["type"] == "http.request":
                ontvangen += len(bericht.get("body", b""))
                if ontvangen > max_bytes:
                    raise _TeGroot(max_bytes)
            return bericht

        try:
            await self.app(scope, begrensd, send)
        except _TeGroot:
            await _te_groot(scope, send, max_bytes)


class _TeGroot(StarletteHTTPException):
    """Raised from ``receive`` when a body without (or with a false) Content-Length grows too big.
    An HTTPException, so FastAPI passes it on while reading the body instead of turning it into
    a 400 "error parsing the body"; the API's handler answers it as TE_GROOT."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, "Verzoek te groot")
        self.max_bytes = max_bytes


def _te_groot_fout(max_bytes: int, pad: str = "") -> HubFout:
    grens = f"{max_bytes:,}".replace(",", ".")
    if pad.endswith("/verzendingen"):
        wat = (
            "Stuur minder enveloppen per POST /verzendingen (de SDK deelt een reeks zelf op), of een "
            "kleinere inhoud."
        )
    elif pad.endswith("/bevestigingen"):
        wat = "Bevestig minder referentienummers per verzoek."
    else:
        wat = "Maak de inhoud kleiner (een bijlage kleiner, of de gegevens over meer berichten verdeeld)."
    return HubFout(
        "TE_GROOT",
        413,
        "Verzoek te groot",
        f"Het verzoek is groter dan {grens} bytes (de grens van dit knooppunt); niets is opgeslagen. {wat}",
    )


async def _te_groot(scope: Scope, send: Send, max_bytes: int) -> None:
    if str(scope.get("path", "")).startswith("/portaal/"):
        # A person in a browser: a page in Dutch, not problem+json.
        mib = max_bytes / (1024 * 1024)
        pagina = HTMLResponse(
            '<!doctype html><html lang="nl" class="knooppunt-thema"><head><meta charset="utf-8">'
            "<title>Te groot — Knooppunt</title>"
            '<link rel="stylesheet" href="/portaal/static/portaal.css"></head><body><main>'
            "<h1>Wat u verstuurde is te groot</h1>"
            f"<p>Het portaal neemt per keer hoogstens {mib:.0f} MiB aan (bij uploads: hoogstens 4 MiB per "
            "bestand). Er is niets verwerkt. Verdeel de bestanden over meerdere keren en probeer het opnieuw."
            '</p><p><a href="/portaal/upload">Terug naar uploaden</a></p></main></body></html>',
            status_code=413,
        )
        await pagina(scope, _leeg_receive, send)
        return
    antwoord = v1.json_probleem(_te_groot_fout(max_bytes, str(scope.get("path", ""))), scope.get("path"))
    antwoord.headers["API-Version"] = API_VERSIE
    await antwoord(scope, _leeg_receive, send)


async def _leeg_receive() -> Message:
    return {"type": "http.disconnect"}


def http_fout(methode: str, fout: StarletteHTTPException) -> HubFout:
    """A routing error (404, 405, ...) as the hub's refusal, in Dutch. The path is not echoed in
    ``detail``: it may hold anything, control characters included."""
    if fout.status_code == 404:
        return HubFout(
            "NIET_GEVONDEN",
            404,
            "Niet gevonden",
            "Dit pad bestaat niet; de paden van API v1 staan in /api/v1/openapi.json.",
        )
    if fout.status_code == 405:
        toegestaan = (fout.headers or {}).get("Allow", "")
        return HubFout(
            "METHODE_NIET_TOEGESTAAN",
            405,
            "Methode niet toegestaan",
            f"{methode} kan hier niet; dit pad kent {toegestaan or 'geen methoden'} (zie de Allow-header).",
        )
    return HubFout("HTTP_FOUT", fout.status_code, str(fout.detail), str(fout.detail))


def _toegestane_methoden(request: Request) -> str | None:
    """Every method the path allows. Starlette's Allow names only the first route that matched
    the path (POST of /berichten, not GET too); RFC 9110 wants all of the resource's."""
    routes: list[BaseRoute] = list(getattr(request.app, "routes", []))
    methoden = [
        methode
        for methode in _HTTP_METHODEN
        if any(route.matches({**request.scope, "method": methode})[0] == Match.FULL for route in routes)
    ]
    return ", ".join(methoden) or None


def _pad(request: Request) -> str:
    """The path as the client sent it, percent-encoded (a problem's ``instance``, the logs):
    ``request.url`` drops a tab or newline (urlsplit's WHATWG cleaning) and so would name a path
    the client did not ask for — ``/api/v1/ber%0Aichten`` as ``/api/v1/berichten``."""
    return _scope_pad(request.scope)


def _scope_pad(scope: Scope) -> str:
    ruw = scope.get("raw_path")
    if isinstance(ruw, bytes) and ruw:
        return quote(ruw.partition(b"?")[0], safe="/%:@!$&'()*+,;=-._~")
    return quote(str(scope.get("path", "")), safe="/:@!$&'()*+,;=-._~")


def http_probleem(request: Request, fout: StarletteHTTPException) -> JSONResponse:
    if fout.status_code == 405 and (toegestaan := _toegestane_methoden(request)):
        fout.headers = {**(fout.headers or {}), "Allow": toegestaan}
    antwoord = v1.json_probleem(http_fout(request.method[:16], fout), _pad(request))
    for naam, waarde in (fout.headers or {}).items():
        antwoord.headers[naam] = waarde  # Allow with a 405 (RFC 9110)
    antwoord.headers["API-Version"] = API_VERSIE
    return antwoord


def _api_app(runtime: Runtime) -> FastAPI:
    api = FastAPI(
        title="Knooppunt API",
        version=API_VERSIE,
        description=(
            "API v1 van het Schuldenknooppunt voor softwareleveranciers: berichten aanbieden, ophalen, "
            "bevestigen en weigeren, adresboek en berichtencatalogus. Authenticatie met mutual TLS "
            "(PKIoverheid, OIN in serialNumber). De inhoud is end-to-end versleuteld (JWE); het "
            "knooppunt leest alleen metadata."
        ),
        servers=[{"url": "/api/v1", "description": "Dit knooppunt"}],
        openapi_url="/openapi.json",
        docs_url=None,  # served by _interactieve_docs, from the package: no CDN
        redoc_url=None,
        contact={
            "name": "Knooppunt beheer",
            "email": "beheer@knooppunt.example",
            "url": "https://knooppunt.example",
        },
        license_info={"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
        openapi_tags=_TAGS,
        # No 307 from /berichten/ to /berichten: a path the API does not have is a 404
        # problem+json (DESIGN §4), and Starlette's redirect names the Host header's host in its
        # Location, whatever the client put there.
        redirect_slashes=False,
    )
    api.state.runtime = runtime
    # Certificates verified by this process (DESIGN §5: authenticate once per certificate).
    api.state.authenticaties = auth.Authenticatiecache()
    # Adresboek entries read by this process, per adresboek version (#13: a submit's rules).
    api.state.deelnemers = adresboek.Deelnemercache()
    api.include_router(v1.router)
    _interactieve_docs(api)

    @api.exception_handler(HubFout)
    async def _hub_fout(request: Request, fout: HubFout) -> JSONResponse:
        log.info("geweigerd", code=fout.code, status=fout.status, path=_pad(request))
        return v1.json_probleem(fout, _pad(request))

    @api.exception_handler(RequestValidationError)
    async def _validatie(request: Request, fout: RequestValidationError) -> JSONResponse:
        # Normally turned into a HubFout by the request's dependency (api.deps), which also audits
        # it; this answers the same for a route without one.
        return v1.json_probleem(invoer.als_hubfout(request, fout), _pad(request))

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, fout: StarletteHTTPException) -> JSONResponse:
        if isinstance(fout, _TeGroot):
            return v1.json_probleem(_te_groot_fout(fout.max_bytes, _pad(request)), _pad(request))
        return http_probleem(request, fout)

    @api.exception_handler(OperationalError)
    async def _database_tijdelijk(request: Request, fout: OperationalError) -> JSONResponse:
        # Deadlock, serialization failure, a busy SQLite file or an unreachable database. The
        # connection may also have broken during COMMIT, so the request may have been stored:
        # never say it was not. Repeating it is safe (same referentienummer: the original result).
        log.warning("database tijdelijk niet beschikbaar", path=_pad(request), fout=type(fout.orig).__name__)
        antwoord = v1.json_probleem(
            HubFout(
                "TIJDELIJK_NIET_BESCHIKBAAR",
                503,
                "Tijdelijk niet beschikbaar",
                "Het knooppunt kon uw verzoek nu niet afronden; het kan toch zijn vastgelegd. Herhalen is "
                "veilig: stuur over enkele seconden hetzelfde verzoek opnieuw (een bericht met hetzelfde "
                "referentienummer en dezelfde inhoud), dan krijgt u het oorspronkelijke resultaat en wordt "
                "niets dubbel opgeslagen of verstuurd.",
            ),
            _pad(request),
        )
        antwoord.headers["Retry-After"] = "2"
        return antwoord

    @api.exception_handler(SleutelFout)
    async def _sleutel_onbruikbaar(request: Request, fout: SleutelFout) -> JSONResponse:
        # A day key that cannot be used: destroyed while the clock was ahead, then the clock went
        # back (a submit cannot seal), or wrapped under a master key missing from this node's
        # configuration (a submit cannot seal, a fetch cannot open). The request's transaction is
        # rolled back: nothing was stored, sent or marked fetched. An operator's matter, said in
        # the log with what to do (the reason names the day and the master key); the participant
        # may repeat the same request later.
        if request.method in ("GET", "HEAD"):
            log.error(
                "dagsleutel onbruikbaar: ophalen mislukt, niets gewijzigd",
                path=_pad(request),
                reden=str(fout),
            )
            detail = (
                "Het knooppunt kan opgeslagen inhoud nu niet openen (een sleutel van een dag is op dit "
                "knooppunt niet bruikbaar); er is niets gewijzigd en beheer is gewaarschuwd. Haal later "
                "opnieuw op."
            )
        else:
            log.error(
                "dagsleutel onbruikbaar: inzending niet opgeslagen", path=_pad(request), reden=str(fout)
            )
            detail = (
                "Het knooppunt kan de inhoud nu niet veilig opslaan (zijn sleutel van vandaag is niet "
                "bruikbaar); er is niets opgeslagen of verstuurd en beheer is gewaarschuwd. Stuur "
                "hetzelfde verzoek later opnieuw (hetzelfde referentienummer en dezelfde inhoud)."
            )
        antwoord = v1.json_probleem(
            HubFout("TIJDELIJK_NIET_BESCHIKBAAR", 503, "Tijdelijk niet beschikbaar", detail), _pad(request)
        )
        antwoord.headers["Retry-After"] = "300"
        return antwoord

    @api.exception_handler(ClientDisconnect)
    async def _client_weg(request: Request, fout: ClientDisconnect) -> Response:
        # The connection went before the body was complete (or the hub cut a body that came too
        # slowly, api.tls): an incomplete request is never handled, and there is no one to answer.
        log.info("verbinding weg voordat de body compleet was", path=_pad(request))
        return Response(status_code=400)

    @api.exception_handler(Exception)
    async def _onverwacht(request: Request, fout: Exception) -> JSONResponse:
        # Runs in the outermost middleware, outside ApiVersie: set the header here. One JSON line
        # (metadata only, never content); ZonderTraceback keeps the traceback off stderr.
        _onverwacht_log(_pad(request), fout)
        return _interne_fout(_pad(request))

    api.add_middleware(ApiVersie)

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = nl_api_design_rules(
                get_openapi(
                    title=api.title,
                    version=api.version,
                    description=api.description,
                    routes=api.routes,
                    servers=api.servers,
                    contact=api.contact,
                    license_info=api.license_info,
                    tags=api.openapi_tags,
                )
            )
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
    return api


# The interactive API docs (DESIGN §7): Swagger UI from npm (swagger-ui-dist, pinned in
# portaal/huisstijl/package.json), copied into the package by portaal/huisstijl/kopieer.mjs and
# served by the API itself, so /api/v1/docs works offline and loads nothing from elsewhere.
SWAGGER_UI = Path(__file__).parent / "portaal" / "static" / "swagger-ui"
FAVICON = Path(__file__).parent / "portaal" / "static" / "favicon.ico"
"""The beeldmerk (``static/beeldmerk.svg``) at 16 and 32 px: what a browser asks for on every page
(the API docs and the portal), else a 404 in its console. Same origin, so ``img-src 'self'`` allows it."""
DOCS_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_DOCS_PAGINA = """<!doctype html>
<html lang="nl">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Knooppunt API v1 — documentatie</title>
  <link rel="stylesheet" href="docs/swagger-ui/swagger-ui.css" integrity="{css}">
</head>
<body>
<main id="swagger-ui"><h1>Knooppunt API v1</h1>
<p>De interactieve documentatie heeft JavaScript nodig. Het OpenAPI-document staat op
<a href="openapi.json">/api/v1/openapi.json</a>.</p></main>
<script src="docs/swagger-ui/swagger-ui-bundle.js" integrity="{bundel}"></script>
<script src="docs/start.js" integrity="{start}"></script>
</body>
</html>
"""
# Relative to /api/v1/docs: wherever the API is mounted, the document next to it.
_DOCS_START = """window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
"""


def _sri(inhoud: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(inhoud).digest()).decode("ascii")


@functools.cache
def _docs_pagina() -> str:
    """The docs page with Subresource Integrity on its scripts and stylesheet (DESIGN §5: the
    portal's code is served with SRI), computed once from the files served."""
    return _DOCS_PAGINA.format(
        css=_sri((SWAGGER_UI / "swagger-ui.css").read_bytes()),
        bundel=_sri((SWAGGER_UI / "swagger-ui-bundle.js").read_bytes()),
        start=_sri(_DOCS_START.encode("utf-8")),
    )


class _DocsKoppen:
    """The docs' own Content-Security-Policy on the page and its files: only this origin."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def met_koppen(bericht: Message) -> None:
            if bericht["type"] == "http.response.start":
                koppen = MutableHeaders(scope=bericht)
                koppen["Content-Security-Policy"] = DOCS_CSP
                koppen["X-Content-Type-Options"] = "nosniff"
            await send(bericht)

        await self.app(scope, receive, met_koppen)


def _interactieve_docs(api: FastAPI) -> None:
    @api.get("/docs", include_in_schema=False)
    def _docs() -> HTMLResponse:
        return HTMLResponse(_docs_pagina(), headers={"Content-Security-Policy": DOCS_CSP})

    @api.get("/docs/start.js", include_in_schema=False)
    def _docs_start() -> Response:
        return Response(
            _DOCS_START,
            media_type="text/javascript",
            headers={"Content-Security-Policy": DOCS_CSP, "X-Content-Type-Options": "nosniff"},
        )

    api.mount("/docs/swagger-ui", _DocsKoppen(StaticFiles(directory=str(SWAGGER_UI))), name="swagger-ui")


def _heel_pad(app: FastAPI) -> None:
    """Make the mount just added match the whole path (DESIGN §4: identifiers matched whole, never
    a `$` that accepts a trailing newline). Starlette compiles a mount as ``^/api/v1/(?P<path>.*)$``:
    the `$` matched before a final newline, which the mount then dropped, so `/berichten/<uuid>%0A`
    reached no route (404) instead of the route that refuses the identifier (400)."""
    mount = app.router.routes[-1]
    assert isinstance(mount, Mount)
    mount.path_regex = re.compile(mount.path_regex.pattern.removesuffix("$") + r"\Z", re.DOTALL)


def nl_api_design_rules(schema: dict[str, Any]) -> dict[str, Any]:
    """Post-process FastAPI's document for the NL API Design Rules (DESIGN §4):

    * an ``API-Version`` header on every response (the app sends it on every answer, errors too);
    * ``application/problem+json`` with the Problem schema for every 4xx/5xx, and no FastAPI 422
      validation model (validation errors are answered as 400 ONGELDIG_VERZOEK);
    * mutual TLS as the security scheme of every operation;
    * no generated ``title`` on properties and parameters (client generators name types after them).
    """
    components = schema.setdefault("components", {})
    components.setdefault("headers", {})["API-Version"] = {
        "description": "De volledige versie van de API (semver)",
        "required": True,
        "schema": {"type": "string", "example": API_VERSIE},
    }
    components.setdefault("securitySchemes", {})["mTLS"] = {
        "type": "mutualTLS",
        "description": (
            "PKIoverheid-clientcertificaat met het OIN in serialNumber, als TLS-certificaat geregistreerd "
            "in het adresboek"
        ),
    }
    schema["security"] = [{"mTLS": []}]
    for pad in schema.get("paths", {}).values():
        for methode, operatie in pad.items():
            if methode not in _METHODEN:
                continue
            for parameter in operatie.get("parameters", []):
                parameter.get("schema", {}).pop("title", None)
            antwoorden = operatie.setdefault("responses", {})
            if antwoorden.get("422", {}).get("description") == "Validation Error":
                del antwoorden["422"]
            for status, antwoord in antwoorden.items():
                antwoord.setdefault("headers", {})["API-Version"] = {"$ref": _REF + "headers/API-Version"}
                if status.startswith(("4", "5")):
                    # The route's own problem schema (an extension of Problem) if it names one.
                    inhoud = antwoord.get("content", {})
                    probleemschema = (inhoud.get(PROBLEEM_MEDIA) or {}).get("schema") or (
                        inhoud.get("application/json") or {}
                    ).get("schema", {"$ref": _REF + "schemas/Problem"})
                    antwoord["content"] = {PROBLEEM_MEDIA: {"schema": probleemschema}}
    schemas = components.get("schemas", {})
    for naam in ("HTTPValidationError", "ValidationError"):
        schemas.pop(naam, None)
    for definitie in schemas.values():
        for eigenschap in definitie.get("properties", {}).values():
            eigenschap.pop("title", None)
    return schema


def _threads(aantal: int) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Size the thread pool that runs the (synchronous) request handlers. A few threads keep the
    interpreter busy; dozens only add GIL hand-offs between them (docs/performance.md)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = aantal
        yield

    return lifespan


def _onverwacht_log(pad: str, fout: BaseException) -> None:
    """One JSON line `onverwachte fout`: the path, and the exception's type, message and innermost
    frames (logging.fout_zonder_inhoud) — the hub holds no plaintext to quote."""
    log.error("onverwachte fout", path=pad, exc_info=fout)


def _interne_fout(pad: str) -> JSONResponse:
    antwoord = v1.json_probleem(
        HubFout(
            "INTERNE_FOUT",
            500,
            "Interne fout",
            "Er ging iets mis in het knooppunt; probeer het later opnieuw. Meld het aan beheer als "
            "het blijft gebeuren (met de X-Request-ID).",
        ),
        pad,
    )
    antwoord.headers["API-Version"] = API_VERSIE
    return antwoord


def create_app(runtime: Runtime) -> ASGIApp:
    app = FastAPI(
        title="Knooppunt",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        lifespan=_threads(runtime.settings.api_threads),
        # Likewise: /api/v1 is a 404 problem+json, not a redirect to the Host header's host.
        redirect_slashes=False,
    )
    app.state.runtime = runtime
    api = _api_app(runtime)
    app.mount("/api/v1", api)
    _heel_pad(app)
    per_pad: dict[str, int] = {}
    if runtime.settings.portaal_actief:
        from knooppunt.portaal.app import MAX_UPLOAD_VERZOEK, UPLOAD_PAD, create_portaal_app

        app.mount("/portaal", create_portaal_app(runtime))
        _heel_pad(app)
        per_pad[UPLOAD_PAD] = MAX_UPLOAD_VERZOEK

        @app.get("/portaal", include_in_schema=False)
        def _portaal_zonder_slash() -> RedirectResponse:
            # A relative Location: the portal's own address, never the Host header's.
            return RedirectResponse("/portaal/", status_code=307)

    @app.exception_handler(StarletteHTTPException)
    async def _buiten_api(request: Request, fout: StarletteHTTPException) -> JSONResponse:
        # Outside the mounted apps: a path no app matched (one with a control character does not
        # match the API's mount either) or a method "/" does not know. problem+json, as in the API.
        return http_probleem(request, fout)

    @app.get("/favicon.ico", include_in_schema=False)
    def _favicon() -> Response:
        return Response(
            FAVICON.read_bytes(),
            media_type="image/vnd.microsoft.icon",
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
        )

    @app.get("/", include_in_schema=False, response_model=None)
    def _start(request: Request) -> dict[str, str] | RedirectResponse:
        if runtime.settings.portaal_actief and "text/html" in request.headers.get("accept", ""):
            return RedirectResponse("/portaal/", status_code=303)
        return {
            "naam": "Knooppunt",
            "api": "/api/v1",
            "openapi": "/api/v1/openapi.json",
            **({"portaal": "/portaal/"} if runtime.settings.portaal_actief else {}),
        }

    # The hot routes are served by SnellePaden, past FastAPI's per-request machinery (#13).
    snel = SnellePaden(
        app, api, api_versie=API_VERSIE, lus=Lus.voor(runtime) if runtime.settings.api_lus else None
    )
    return VerzoekId(
        HttpMeting(
            ZonderTraceback(
                MaxBodyGrootte(snel, runtime.settings.max_request_bytes, per_pad=per_pad),
                log_regel=_onverwacht_log,
                kaal=lambda scope: _interne_fout(_scope_pad(scope)),
            )
        )
    )
