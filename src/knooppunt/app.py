"""create_app(runtime): the participant-facing ASGI app — API v1 under /api/v1."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from knooppunt import __version__
from knooppunt.api import v1
from knooppunt.hub.fouten import HubFout, OngeldigVeld
from knooppunt.runtime import Runtime

API_VERSIE = "1.0.0"
log = structlog.get_logger("knooppunt.api")


class MaxBodyGrootte:
    """Refuse request bodies above the configured size (413) without reading them whole."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for naam, waarde in scope.get("headers", []):
            if naam == b"content-length" and waarde.isdigit() and int(waarde) > self.max_bytes:
                await _te_groot(scope, send, self.max_bytes)
                return
        ontvangen = 0

        async def begrensd() -> Message:
            nonlocal ontvangen
            bericht = await receive()
            if bericht["type"] == "http.request":
                ontvangen += len(bericht.get("body", b""))
                if ontvangen > self.max_bytes:
                    raise _TeGroot
            return bericht

        try:
            await self.app(scope, begrensd, send)
        except _TeGroot:
            await _te_groot(scope, send, self.max_bytes)


class _TeGroot(Exception):
    pass


async def _te_groot(scope: Scope, send: Send, max_bytes: int) -> None:
    antwoord = v1.json_probleem(
        HubFout("TE_GROOT", 413, "Verzoek te groot", f"Het verzoek is groter dan {max_bytes} bytes."),
        scope.get("path"),
    )
    await antwoord(scope, _leeg_receive, send)


async def _leeg_receive() -> Message:
    return {"type": "http.disconnect"}


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
        docs_url="/docs",
        redoc_url=None,
        contact={"name": "Knooppunt beheer", "email": "beheer@knooppunt.example", "url": "https://knooppunt.example"},
        license_info={"name": "EUPL-1.2", "identifier": "EUPL-1.2"},
    )
    api.state.runtime = runtime
    api.include_router(v1.router)

    @api.exception_handler(HubFout)
    async def _hub_fout(request: Request, fout: HubFout) -> JSONResponse:
        log.info("geweigerd", code=fout.code, status=fout.status, path=request.url.path)
        return v1.json_probleem(fout, request.url.path)

    @api.exception_handler(RequestValidationError)
    async def _validatie(request: Request, fout: RequestValidationError) -> JSONResponse:
        velden = []
        for fout_item in fout.errors():
            locatie = [str(d) for d in fout_item.get("loc", ()) if d not in ("body", "query", "path")]
            naam = ".".join(locatie) or "body"
            velden.append(OngeldigVeld(naam, str(fout_item.get("msg", "ongeldig"))))
        detail = "; ".join(f"{v.name}: {v.reason}" for v in velden)
        return v1.json_probleem(
            HubFout("ONGELDIG_VERZOEK", 400, "Ongeldig verzoek", f"Het verzoek klopt niet: {detail}", velden),
            request.url.path,
        )

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, fout: StarletteHTTPException) -> JSONResponse:
        codes = {404: "NIET_GEVONDEN", 405: "METHODE_NIET_TOEGESTAAN"}
        return v1.json_probleem(
            HubFout(codes.get(fout.status_code, "HTTP_FOUT"), fout.status_code, str(fout.detail),
                    f"{fout.detail}: {request.method} {request.url.path}"),
            request.url.path,
        )

    @api.middleware("http")
    async def _api_versie(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        response = await call_next(request)
        response.headers["API-Version"] = API_VERSIE
        return response

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            api.openapi_schema = nl_api_design_rules(
                get_openapi(
                    title=api.title, version=api.version, description=api.description, routes=api.routes,
                    servers=api.servers, contact=api.contact, license_info=api.license_info,
                )
            )
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]
    return api


def nl_api_design_rules(schema: dict[str, Any]) -> dict[str, Any]:
    """Post-process FastAPI's document for the NL API Design Rules: an API-Version header on every
    2xx/3xx, problem+json for every error, and no FastAPI 422 validation model (we answer 400)."""
    schema.setdefault("components", {}).setdefault("headers", {})["API-Version"] = {
        "description": "De volledige versie van de API (semver)",
        "schema": {"type": "string", "example": API_VERSIE},
    }
    probleem = {"$ref": "#/components/schemas/Problem"}
    for pad in schema.get("paths", {}).values():
        for operatie in pad.values():
            if not isinstance(operatie, dict) or "responses" not in operatie:
                continue
            antwoorden = operatie["responses"]
            if "422" in antwoorden and "ONGELDIG" not in str(antwoorden["422"].get("description", "")).upper():
                if antwoorden["422"].get("description") == "Validation Error":
                    del antwoorden["422"]
            for status, antwoord in antwoorden.items():
                if status.startswith(("2", "3")):
                    antwoord.setdefault("headers", {})["API-Version"] = {"$ref": "#/components/headers/API-Version"}
                elif status.startswith(("4", "5")):
                    antwoord["content"] = {"application/problem+json": {"schema": probleem}}
    schemas = schema["components"].get("schemas", {})
    for naam in ("HTTPValidationError", "ValidationError"):
        schemas.pop(naam, None)
    return schema


def create_app(runtime: Runtime) -> ASGIApp:
    app = FastAPI(title="Knooppunt", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.runtime = runtime
    app.mount("/api/v1", _api_app(runtime))

    @app.get("/", include_in_schema=False)
    def _start() -> dict[str, str]:
        return {
            "naam": "Knooppunt",
            "api": "/api/v1",
            "openapi": "/api/v1/openapi.json",
        }

    @app.middleware("http")
    async def _verzoek_id(request: Request, call_next: Callable[[Request], Awaitable[Any]]) -> Any:
        verzoek_id = request.headers.get("x-request-id") or str(uuid.uuid4())
        if len(verzoek_id) > 100 or not verzoek_id.isprintable():
            verzoek_id = str(uuid.uuid4())
        structlog.contextvars.bind_contextvars(request_id=verzoek_id)
        try:
            response = await call_next(request)
            response.headers["X-Request-ID"] = verzoek_id
            log.info(
                "verzoek", method=request.method, path=request.url.path, status=response.status_code,
                oin=getattr(request.state, "oin", None),
            )
            return response
        finally:
            structlog.contextvars.unbind_contextvars("request_id")

    return MaxBodyGrootte(app, runtime.settings.max_request_bytes)
