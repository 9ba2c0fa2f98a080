"""The hot path without FastAPI's per-request machinery (#13, docs/decisions/0028-snelle-paden.md).

`POST /api/v1/berichten` and `POST /api/v1/bevestigingen` are what vendors call most. Through
FastAPI each one passes two applications' middleware stacks (the outer app and the mounted API:
error, telemetry, body-limit, exception and exit-stack middleware), the router's path matching, a
mount, dependency solving and a second validation of the body — more server CPU than the submit's
own work. `SnellePaden` sits in front of all that, inside the request-id, metrics and body-size
middleware, and serves the common case itself:

- the path and method are one of the above, there is no query string and the body is declared as
  ``application/json``;
- the body is read (still bounded by `MaxBodyGrootte`), parsed by the API's strict JSON reader
  (`invoer.lees_json`) and validated by the route's own pydantic model, exactly as FastAPI would;
- the route's own handler then runs in one thread-pool hop inside the request's transaction
  (`deps.in_transactie`: clock, versions, authentication, work, commit), and a refusal is answered
  by the API app's own exception handlers — unless the event loop serves it first, on PostgreSQL:
  the common submit (api/lus.py, decision 0034) and the common confirm (api/lus_inbox.py, decision
  0035).

`GET /api/v1/berichten` whose query holds only ``limit`` and ``volgende``, plainly written
(`ophaalvraag`), is offered to the event loop's fetch (api/lus_inbox.py, decision 0035); whatever
it leaves, and every other query, goes to FastAPI untouched.

Anything else — another path, a query string, another content type, a body that does not parse or
validate — goes to FastAPI unchanged, with the body it already read handed on, so every refusal
(and its audit entry, after authentication) is produced by the one code path that produces it
today. Nothing here decides anything about a message.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import anyio.to_thread
import structlog
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from knooppunt.api import deps, invoer, v1
from knooppunt.api.lus import Lus
from knooppunt.api.lus_inbox import Inbox
from knooppunt.api.schemas import MAX_LIMIET, BevestigingenCreate, EnvelopCreate
from knooppunt.hub.fouten import HubFout
from knooppunt.metrics import LUS_VERZOEKEN, SNELLE_AANNAME

API_PREFIX = "/api/v1"
log = structlog.get_logger("knooppunt.api")


@dataclass(frozen=True, slots=True)
class _Pad:
    route: APIRoute
    model: type[BaseModel]
    handler: Callable[[deps.Verzoek, Any], Response]


class SnellePaden:
    """ASGI middleware: the hot routes served directly, everything else passed to ``app``."""

    def __init__(self, app: ASGIApp, api: FastAPI, *, api_versie: str, lus: Lus | None = None) -> None:
        self.app = app
        self.api = api
        self.api_versie = api_versie
        self.lus = lus
        self.inbox = None if lus is None else Inbox(lus)
        routes = {r.operation_id: r for r in v1.router.routes if isinstance(r, APIRoute)}
        self.ophaalroute = routes["haalBerichtenOp"]
        self.paden: dict[tuple[str, str], _Pad] = {
            ("POST", API_PREFIX + "/berichten"): _Pad(
                routes["verstuurBericht"], EnvelopCreate, v1.verstuur_bericht
            ),
            ("POST", API_PREFIX + "/bevestigingen"): _Pad(
                routes["bevestigBerichten"], BevestigingenCreate, v1.bevestig_berichten
            ),
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "GET" and scope["path"] == API_PREFIX + "/berichten":
            if self.inbox is None or not await self._haal_op(scope, receive, send):
                await self.app(scope, receive, send)
            return
        if scope.get("query_string"):
            await self.app(scope, receive, send)
            return
        pad = self.paden.get((scope["method"], scope["path"]))
        if pad is None or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        body = await _lees(receive)
        if body is None:
            return  # the client went before its body was complete: nothing to do, no one to answer
        try:
            invoer_ = pad.model.model_validate(invoer.lees_json(body))
        except (HubFout, ValidationError):
            # FastAPI authenticates first and then describes the fault, in Dutch, audited.
            await self.app(scope, _opnieuw(body, receive), send)
            return
        # What Starlette's Mount and router would have put in the scope: the metrics' route
        # template, Request.app for the caches, the route's operation_id for a refusal's audit entry.
        scope["app"] = self.api
        scope["root_path"] = scope.get("root_path", "") + API_PREFIX
        scope["route"] = pad.route
        request = Request(scope, receive)
        if pad.model is BevestigingenCreate and self.inbox is not None:
            try:
                bevestigd = await self.inbox.bevestig(request, cast(BevestigingenCreate, invoer_))
            except Exception:
                log.exception("snelle bevestiging mislukt; de gewone weg neemt het over")
                LUS_VERZOEKEN.labels("bevestigen", "fout").inc()
                bevestigd = None
            if bevestigd is not None:
                bevestigd.headers["API-Version"] = self.api_versie
                await bevestigd(scope, receive, send)
                return
        if pad.model is EnvelopCreate and self.lus is not None:
            try:
                aangenomen = await self.lus.verstuur(request, cast(EnvelopCreate, invoer_))
            except Exception:
                # A fault of the fast way is logged (never content) and costs only speed: the
                # request is served the usual way.
                log.exception("snelle aanname mislukt; de gewone weg neemt het over")
                SNELLE_AANNAME.labels("fout").inc()
                aangenomen = None
            if aangenomen is not None:
                aangenomen.headers["API-Version"] = self.api_versie
                await aangenomen(scope, receive, send)
                return
        v = deps.Verzoek(deps.runtime(request), request)
        try:
            antwoord = await anyio.to_thread.run_sync(deps.in_transactie, v, lambda: pad.handler(v, invoer_))
        except Exception as fout:
            klasse, handler = _handler_voor(self.api, fout)
            antwoord = await handler(request, fout)
            antwoord.headers["API-Version"] = self.api_versie
            await antwoord(scope, receive, send)
            if klasse is Exception:
                # As Starlette's ServerErrorMiddleware does: answered, then raised for the server's
                # log (the traceback; never content).
                raise
            return
        antwoord.headers["API-Version"] = self.api_versie
        await antwoord(scope, receive, send)

    async def _haal_op(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """A fetch with no filter served on the event loop (api/lus_inbox.py); False: FastAPI serves
        it (a filter, anything it would refuse or that the event loop leaves to it)."""
        assert self.inbox is not None
        vraag = ophaalvraag(scope.get("query_string", b""))
        if vraag is None:
            return False
        limiet, volgende = vraag
        try:
            na_id = v1._lees_cursor(self.api.state.runtime, "berichten", volgende)
        except HubFout:
            return False  # FastAPI refuses it (400, audited)
        # As for the POSTs, what the Mount and router would have put in the scope — on a copy, for
        # FastAPI gets the scope untouched when the event loop leaves the request to it.
        binnen = {
            **scope,
            "app": self.api,
            "root_path": scope.get("root_path", "") + API_PREFIX,
            "route": self.ophaalroute,
        }
        try:
            antwoord = await self.inbox.haal_op(Request(binnen, receive), limiet=limiet, na_id=na_id)
        except Exception:
            log.exception("snel ophalen mislukt; de gewone weg neemt het over")
            LUS_VERZOEKEN.labels("ophalen", "fout").inc()
            return False
        if antwoord is None:
            return False
        scope.update(binnen)
        antwoord.headers["API-Version"] = self.api_versie
        await antwoord(scope, receive, send)
        return True


_STANDAARD_LIMIET = int(inspect.signature(v1.haal_berichten_op).parameters["limit"].default)
_LIMIET = re.compile(rb"[1-9][0-9]{0,3}")
_CURSOR = re.compile(rb"[A-Za-z0-9_-]{1,200}")


def ophaalvraag(query: bytes) -> tuple[int, str | None] | None:
    """``limit`` and ``volgende`` of a fetch's query string when it holds nothing else, each at most
    once, plainly written (no escapes) and valid as FastAPI would find them (``limit`` 1..1000);
    else None (FastAPI serves it, and refuses what it refuses)."""
    limiet, volgende = _STANDAARD_LIMIET, None
    if not query:
        return limiet, volgende
    gezien: set[bytes] = set()
    for deel in query.split(b"&"):
        naam, is_, waarde = deel.partition(b"=")
        if not is_ or naam in gezien:
            return None
        gezien.add(naam)
        if naam == b"limit" and _LIMIET.fullmatch(waarde) and int(waarde) <= MAX_LIMIET:
            limiet = int(waarde)
        elif naam == b"volgende" and _CURSOR.fullmatch(waarde):
            volgende = waarde.decode("ascii")
        else:
            return None
    return limiet, volgende


def _handler_voor(api: FastAPI, fout: Exception) -> tuple[type[BaseException], Any]:
    """The API app's exception handler for an exception, looked up by its MRO as Starlette does
    (the app registers one for Exception, so there always is one)."""
    for klasse in type(fout).__mro__:
        if klasse in api.exception_handlers:
            return klasse, api.exception_handlers[klasse]
    raise fout


def _is_json(scope: Scope) -> bool:
    gevonden: bytes | None = None
    for naam, waarde in scope["headers"]:
        if naam == b"content-type":
            if gevonden is not None:
                return False
            gevonden = waarde
    return gevonden == b"application/json"


async def _lees(receive: Receive) -> bytes | None:
    """The whole body; None when the connection went before it was complete — an incomplete
    request is never handled (an independent limits probe saw truncated bodies stored)."""
    delen: list[bytes] = []
    while True:
        bericht = await receive()
        if bericht["type"] == "http.disconnect":
            return None
        delen.append(bericht.get("body", b""))
        if not bericht.get("more_body", False):
            return b"".join(delen)


def _opnieuw(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the body read already to FastAPI, then the connection's own."""
    gegeven = False

    async def ontvang() -> Message:
        nonlocal gegeven
        if not gegeven:
            gegeven = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return ontvang
