"""Unexpected errors as one JSON log line, never a plain-text traceback on stderr.

Starlette answers an unexpected exception with the app's handler (the API's problem+json 500, the
portal's Dutch error page — each logs one JSON line `onverwachte fout`) and then raises it again,
for the server to log: uvicorn would write "Exception in ASGI application" and a plain-text
traceback to stderr, where every line is one JSON object (docs/operations.md "Logs"). `ZonderTraceback`
ends that second raise once the answer has been sent whole. When the handler itself failed (nothing
sent yet), it logs the line and sends the bare answer it was given. A response broken off midway (a
download, a streamed fetch) is raised on, so that the server closes the connection rather than the
client taking a part for the whole."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Logregel = Callable[[str, BaseException], None]
"""Logs one line for an unexpected error: (the request's path, the exception)."""


class ZonderTraceback:
    def __init__(self, app: ASGIApp, *, log_regel: Logregel, kaal: Callable[[Scope], Response]) -> None:
        self.app = app
        self.log_regel = log_regel
        self.kaal = kaal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        begonnen = klaar = False

        async def volg(bericht: Message) -> None:
            nonlocal begonnen, klaar
            if bericht["type"] == "http.response.start":
                begonnen = True
            elif bericht["type"] == "http.response.body" and not bericht.get("more_body", False):
                klaar = True
            await send(bericht)

        try:
            await self.app(scope, receive, volg)
        except Exception as fout:
            if klaar:
                return  # logged by the handler; the client has its answer
            if begonnen:
                raise
            self.log_regel(str(scope.get("path", "")), fout)
            await self.kaal(scope)(scope, receive, send)
