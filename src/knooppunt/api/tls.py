"""Hand the TLS peer certificate to the app the way the ASGI TLS extension will (DESIGN §5).

No released ASGI server fills ``scope["extensions"]["tls"]`` yet. These thin subclasses of
uvicorn's HTTP protocols read the peer certificate once per connection, after the handshake, and
wrap the app so every request of that connection carries
``scope["extensions"]["tls"]["client_cert_chain"]`` (PEM strings, leaf first). When uvicorn ships
the extension, these classes can go and the app stays the same.

They also bound what uvicorn does not (DESIGN §4): a request's line and headers at most 64 KiB and
within 30 seconds, and a request the parser refuses answered as a problem+json with
``API-Version``. Behind a proxy the same bounds hold without the TLS extension
(``begrensd_protocol``).
"""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from knooppunt.app import API_VERSIE
from knooppunt.config import MAX_REQUEST_BYTES_GRENS

ASGIApp = Any

ONLEESBAAR = json.dumps(
    {
        "type": "urn:knooppunt:probleem:ongeldig_http",
        "title": "Ongeldig HTTP-verzoek",
        "status": 400,
        "detail": (
            "Het knooppunt kon dit HTTP-verzoek niet lezen (een onbekende methode, een stuurteken in "
            "een header of een kapotte aanvraagregel); de verbinding wordt gesloten."
        ),
        "code": "ONGELDIG_HTTP",
    },
    ensure_ascii=False,
).encode()
"""The answer to a request the HTTP parser refuses before the app sees it (DESIGN §4: every
malformed request a problem+json with ``API-Version``; uvicorn's own is text/plain). Never the
parser's message: it may quote the request."""

MAX_KOP_BYTES = 64 * 1024
"""The request line and headers of one request, at most (nginx's default is 4 × 8 KiB). httptools
keeps no limit of its own: it gathers a URL or a header value of any length, and uvicorn keeps
every header, so one connection could make the hub hold hundreds of MiB (DESIGN §4: no request,
however hostile, makes the hub hold more than a bounded amount of memory). h11 has its limit
(uvicorn's ``h11_max_incomplete_event_size``, 16 KiB) and answers beyond it as unreadable."""

KOP_TE_GROOT = json.dumps(
    {
        "type": "urn:knooppunt:probleem:kop_te_groot",
        "title": "Aanvraagregel of headers te groot",
        "status": 431,
        "detail": (
            f"De aanvraagregel en headers van een verzoek mogen samen hoogstens {MAX_KOP_BYTES} bytes "
            "zijn; de verbinding wordt gesloten."
        ),
        "code": "KOP_TE_GROOT",
    },
    ensure_ascii=False,
).encode()


KOP_TIMEOUT = 30.0
"""Seconds a connection may take to send a request's line and headers, from the handshake or from
the request's first byte. uvicorn has no such limit (only keep-alive between requests): a
connection that sends nothing, or a byte now and then, stayed open for ever, so enough of them
(slowloris) made the hub hold memory and file descriptors without bound."""

TE_TRAAG = json.dumps(
    {
        "type": "urn:knooppunt:probleem:te_traag",
        "title": "Verzoek te traag",
        "status": 408,
        "detail": (
            f"De aanvraagregel en headers kwamen niet binnen {KOP_TIMEOUT:.0f} seconden binnen; "
            "de verbinding wordt gesloten."
        ),
        "code": "TE_TRAAG",
    },
    ensure_ascii=False,
).encode()


LICHAAM_TIMEOUT = 120.0
"""Seconds a request's body may take to arrive, from the end of its headers (5 MiB at 44 KiB/s).
uvicorn has no such limit: a body that stopped half-way, or came a byte every few seconds, held
its connection — and the part received, in the app — for ever (an independent limits probe)."""

LICHAMEN_BUDGET = 256 * 1024 * 1024
"""Bytes of request bodies one process takes on at once, from the end of a request's headers
(its Content-Length; ``LICHAAM_ONBEKEND`` for a chunked body) until its answer is complete or the
connection is gone. A request beyond it is answered 503 before its body is read, so however many
connections send large bodies, slowly or not, the bodies held stay bounded (DESIGN §4: no request,
however hostile, makes the hub hold more than a bounded amount of memory). Fifty 5 MiB requests
at once fit; normal traffic never comes near."""

GROOTSTE_LICHAAM = MAX_REQUEST_BYTES_GRENS
"""What one request reserves at most (``LICHAMEN_BUDGET``): no path of the hub reads a larger body
(KNOOPPUNT_MAX_REQUEST_BYTES may not exceed it; the portal's upload takes 40.25 MiB). A request that
announces more is answered 413 by the app from its Content-Length, without its body being read;
reserving its whole announced length answered a 1 GB announcement 503 "too busy" instead (CI)."""

LICHAAM_ONBEKEND = 8 * 1024 * 1024
"""What a body without Content-Length (chunked) reserves: more than the largest request allowed
(KNOOPPUNT_MAX_REQUEST_BYTES, 5 MiB by default, enforced by the app)."""

TE_TRAAG_LICHAAM = json.dumps(
    {
        "type": "urn:knooppunt:probleem:te_traag",
        "title": "Verzoek te traag",
        "status": 408,
        "detail": (
            f"De body van het verzoek kwam niet binnen {LICHAAM_TIMEOUT:.0f} seconden binnen; er is niets "
            "verwerkt en de verbinding wordt gesloten. Stuur hetzelfde verzoek opnieuw."
        ),
        "code": "TE_TRAAG",
    },
    ensure_ascii=False,
).encode()

TE_DRUK = json.dumps(
    {
        "type": "urn:knooppunt:probleem:tijdelijk_niet_beschikbaar",
        "title": "Tijdelijk niet beschikbaar",
        "status": 503,
        "detail": (
            "Het knooppunt neemt op dit moment te veel grote verzoeken tegelijk aan; er is niets verwerkt. "
            "Stuur hetzelfde verzoek over enkele seconden opnieuw (hetzelfde referentienummer)."
        ),
        "code": "TIJDELIJK_NIET_BESCHIKBAAR",
    },
    ensure_ascii=False,
).encode()


def _antwoord(statusregel: bytes, body: bytes, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 " + statusregel + b"\r\n"
        b"content-type: application/problem+json\r\n"
        b"api-version: " + API_VERSIE.encode() + b"\r\n"
        b"content-length: " + str(len(body)).encode() + b"\r\n" + extra + b"connection: close\r\n\r\n" + body
    )


_ONLEESBAAR_ANTWOORD = _antwoord(b"400 Bad Request", ONLEESBAAR)
_KOP_TE_GROOT_ANTWOORD = _antwoord(b"431 Request Header Fields Too Large", KOP_TE_GROOT)
_TE_TRAAG_ANTWOORD = _antwoord(b"408 Request Timeout", TE_TRAAG)
_TE_TRAAG_LICHAAM_ANTWOORD = _antwoord(b"408 Request Timeout", TE_TRAAG_LICHAAM)
_TE_DRUK_ANTWOORD = _antwoord(b"503 Service Unavailable", TE_DRUK, b"retry-after: 2\r\n")


class _Lichamen:
    """The bytes of request bodies this process has taken on (``LICHAMEN_BUDGET``)."""

    gereserveerd = 0


def _verwachte_lengte(headers: list[tuple[bytes, bytes]] | None) -> int:
    """The body a request announces: its Content-Length, ``LICHAAM_ONBEKEND`` when chunked, else 0.
    (A malformed or doubled Content-Length never gets here: the parser refuses it.)"""
    lengte = 0
    for naam, waarde in headers or ():
        kop = naam.lower()
        if kop == b"content-length" and waarde.strip().isdigit():
            lengte = int(waarde)
        elif kop == b"transfer-encoding" and b"chunked" in waarde.lower():
            return LICHAAM_ONBEKEND
    return lengte


def _weiger_onleesbaar(transport: asyncio.Transport, antwoord: bytes = _ONLEESBAAR_ANTWOORD) -> None:
    transport.write(antwoord)
    transport.close()


class _MetTlsExtensie:
    def __init__(self, app: ASGIApp, keten: list[str], tls_versie: str | None) -> None:
        self.app = app
        self.keten = keten
        self.tls_versie = tls_versie

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            extensies = dict(scope.get("extensions") or {})
            extensies["tls"] = {
                "server_cert": None,
                "client_cert_chain": self.keten,
                "client_cert_name": None,
                "client_cert_error": None,
                "tls_version": self.tls_versie,
                "cipher_suite": None,
            }
            scope = {**scope, "extensions": extensies}
        await self.app(scope, receive, send)


def peer_certificaten(transport: asyncio.BaseTransport) -> tuple[list[str], str | None]:
    """The client's certificate chain as PEM (leaf first) and the TLS version; ([], None) when
    the connection is not TLS. The app verifies the chain again itself (DESIGN §5)."""
    ssl_object = transport.get_extra_info("ssl_object")
    if not isinstance(ssl_object, ssl.SSLObject):
        return [], None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return [], ssl_object.version()
    # Python 3.13+ also hands over the intermediates the client sent; before that, only the leaf
    # (enough when the trust anchors are the issuing CAs, as with PKIoverheid Private Services).
    onverifieerd = getattr(ssl_object, "get_unverified_chain", None)
    keten = list(onverifieerd() or []) if onverifieerd is not None else []
    tussen = [ssl.DER_cert_to_PEM_cert(c) for c in keten[1:] if isinstance(c, bytes)]
    return [ssl.DER_cert_to_PEM_cert(der), *tussen], ssl_object.version()


class BegrensdH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering what it cannot parse as a problem+json (h11 bounds the
    head itself)."""

    def send_400_response(self, msg: str) -> None:
        _weiger_onleesbaar(self.transport)


def _sluit_zonder_te_wachten(protocol: Any) -> bool:
    """At shutdown, an idle TLS connection (no answer under way) is cut at once. Closing it politely
    sends TLS's close_notify and waits up to 30 s (asyncio's ssl_shutdown_timeout) for the peer's,
    which an idle pooled client never sends: every shutdown of a node with a built-in TLS listener
    took 30 s while any client kept a connection open. True when it was cut."""
    if protocol.cycle is None or protocol.cycle.response_complete:
        protocol.transport.abort()
        return True
    return False


class TlsH11Protocol(BegrensdH11Protocol):
    """The bounded h11 protocol, plus the peer certificate in the ASGI TLS extension."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        keten, versie = peer_certificaten(transport)
        self.app = _MetTlsExtensie(self.app, keten, versie)

    def shutdown(self) -> None:
        if not _sluit_zonder_te_wachten(self):
            super().shutdown()  # an answer under way is finished first, then the connection closes


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is a dependency, but optional for uvicorn
    HttpToolsProtocol = None  # type: ignore[assignment,misc]


if HttpToolsProtocol is not None:

    class BegrensdHttpToolsProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol with a bounded head: at most MAX_KOP_BYTES, within
        kop_timeout seconds, and what it cannot parse answered as a problem+json."""

        kop_timeout = KOP_TIMEOUT

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._start_kopklok()

        _kopklok: asyncio.TimerHandle | None = None

        def _start_kopklok(self) -> None:
            if self._kopklok is None:
                self._kopklok = self.loop.call_later(self.kop_timeout, self._kop_te_traag)

        def _stop_kopklok(self) -> None:
            if self._kopklok is not None:
                self._kopklok.cancel()
                self._kopklok = None

        def _kop_te_traag(self) -> None:
            self._kopklok = None
            if not self._in_kop or self._geweigerd or self.transport.is_closing():
                return
            if self.cycle is not None and not self.cycle.response_complete:
                # A pipelined head while an answer still streams: never cut the answer off.
                self._start_kopklok()
                return
            self._geweigerd = True
            _weiger_onleesbaar(self.transport, _TE_TRAAG_ANTWOORD)

        def connection_lost(self, exc: Exception | None) -> None:
            self._stop_kopklok()
            self._stop_lichaamklok()
            self._geef_vrij()
            super().connection_lost(exc)

        _kop_bytes = 0
        _in_kop = True  # from the end of one request to the end of the next one's headers
        _geweigerd = False

        def data_received(self, data: bytes) -> None:
            # Only the head is counted: a chunk that holds the end of the headers and a large
            # body (or pipelined requests) is fed up to the limit first, then the rest.
            while data and not self._geweigerd and not self.transport.is_closing():
                if not self._in_kop:
                    super().data_received(data)
                    return
                if self._kop_bytes == 0:
                    self._start_kopklok()  # a new request begins (or the first one continues)
                ruimte = MAX_KOP_BYTES - self._kop_bytes
                if ruimte <= 0:
                    self._geweigerd = True
                    _weiger_onleesbaar(self.transport, _KOP_TE_GROOT_ANTWOORD)
                    return
                deel, data = data[:ruimte], data[ruimte:]
                self._kop_bytes += len(deel)
                super().data_received(deel)

        def on_headers_complete(self) -> None:
            self._stop_kopklok()
            self._in_kop, self._kop_bytes = False, 0
            super().on_headers_complete()
            lengte = min(_verwachte_lengte(self.headers), self.grootste_lichaam)
            if lengte <= 0:
                return
            if _Lichamen.gereserveerd + lengte > self.lichamen_budget:
                # Answered before the body is read; the app, waiting for it, sees the connection go.
                self._geweigerd = True
                _weiger_onleesbaar(self.transport, _TE_DRUK_ANTWOORD)
                return
            self._geef_vrij()  # a pipelined request's reservation replaces the previous one
            _Lichamen.gereserveerd += lengte
            self._gereserveerd = lengte
            self._lichaamklok = self.loop.call_later(self.lichaam_timeout, self._lichaam_te_traag)

        def on_message_complete(self) -> None:
            self._in_kop, self._kop_bytes = True, 0
            self._stop_lichaamklok()
            super().on_message_complete()

        def on_response_complete(self) -> None:
            self._geef_vrij()
            super().on_response_complete()

        lichaam_timeout = LICHAAM_TIMEOUT
        lichamen_budget = LICHAMEN_BUDGET
        grootste_lichaam = GROOTSTE_LICHAAM
        _gereserveerd = 0
        _lichaamklok: asyncio.TimerHandle | None = None

        def _geef_vrij(self) -> None:
            if self._gereserveerd:
                _Lichamen.gereserveerd -= self._gereserveerd
                self._gereserveerd = 0

        def _stop_lichaamklok(self) -> None:
            if self._lichaamklok is not None:
                self._lichaamklok.cancel()
                self._lichaamklok = None

        def _lichaam_te_traag(self) -> None:
            self._lichaamklok = None
            if self._in_kop or self._geweigerd or self.transport.is_closing():
                return
            self._geweigerd = True
            if self.cycle is not None and self.cycle.response_started:
                self.transport.close()  # the app answered already (e.g. 413): just end it
                return
            _weiger_onleesbaar(self.transport, _TE_TRAAG_LICHAAM_ANTWOORD)

        def send_400_response(self, msg: str) -> None:
            _weiger_onleesbaar(self.transport)

    class TlsHttpToolsProtocol(BegrensdHttpToolsProtocol):
        """The bounded httptools protocol, plus the peer certificate in the ASGI TLS extension."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            keten, versie = peer_certificaten(transport)
            self.app = _MetTlsExtensie(self.app, keten, versie)

        def shutdown(self) -> None:
            if not _sluit_zonder_te_wachten(self):
                super().shutdown()


def begrensd_protocol() -> type[asyncio.Protocol]:
    """The protocol behind a proxy (no TLS here): the same bounds on a request's head, without
    the TLS extension (the certificate comes in the proxy's header, api.auth)."""
    if HttpToolsProtocol is not None:
        return BegrensdHttpToolsProtocol
    return BegrensdH11Protocol


def tls_protocol() -> type[asyncio.Protocol]:
    """The fastest HTTP/1.1 protocol available, with the peer certificate handed to the app:
    httptools (C, llhttp) when installed — uvicorn's own default — else pure-Python h11. The parser
    is a good share of a request's CPU (docs/performance.md). Module-level classes, so that
    ``serve --workers N`` can hand them to its worker processes."""
    if HttpToolsProtocol is not None:
        return TlsHttpToolsProtocol
    return TlsH11Protocol
