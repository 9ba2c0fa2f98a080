"""Real receivers for notifications: an SMTP server (aiosmtpd) and an HTTP(S) webhook receiver
(http.server in a thread). Both record what they got."""

from __future__ import annotations

import email
import email.policy
import hashlib
import hmac
import ssl
import threading
import time
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.functional.server import vrije_poort


class SmtpOntvanger:
    """An SMTP server on 127.0.0.1; recipients containing 'onbekend' are refused with 550."""

    def __init__(self) -> None:
        self.ontvangen: list[tuple[list[str], bytes]] = []
        ontvanger = self

        class Handler:
            async def handle_RCPT(
                self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
            ) -> str:
                if "onbekend" in address:
                    return "550 5.1.1 mailbox onbekend"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                ontvanger.ontvangen.append((list(envelope.rcpt_tos), bytes(envelope.original_content)))
                return "250 OK bericht aangenomen"

        self.port = vrije_poort()
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    @property
    def emails(self) -> list[EmailMessage]:
        return [
            email.message_from_bytes(inhoud, policy=email.policy.default)  # type: ignore[misc]
            for _, inhoud in self.ontvangen
        ]

    def stop(self) -> None:
        self._controller.stop()


class WebhookOntvanger:
    """Answers POSTs with the next status of `antwoorden` (then 200); a 3xx carries a Location."""

    def __init__(
        self,
        antwoorden: list[int] | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        vertraging: float = 0.0,
    ) -> None:
        self.verzoeken: list[dict[str, Any]] = []
        self.antwoorden = list(antwoorden or [])
        self._slot = threading.Lock()
        ontvanger = self

        class Handler(BaseHTTPRequestHandler):
            def _verwerk(self) -> None:
                lengte = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(lengte)
                if vertraging:
                    time.sleep(vertraging)
                with ontvanger._slot:
                    ontvanger.verzoeken.append(
                        {
                            "methode": self.command,
                            "pad": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                        }
                    )
                    status = ontvanger.antwoorden.pop(0) if ontvanger.antwoorden else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "/elders")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_POST = _verwerk  # noqa: N815
            do_GET = _verwerk  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def url(self, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}/hook"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def handtekening_klopt(geheim: str, headers: dict[str, str], body: bytes, *, max_leeftijd: int = 300) -> bool:
    """What a receiver does (docs/operations.md, "Notificaties"): recompute the HMAC and compare."""
    delen = dict(deel.split("=", 1) for deel in headers["Knooppunt-Handtekening"].split(","))
    tijdstip = int(delen["t"])
    if abs(time.time() - tijdstip) > max_leeftijd:
        return False
    verwacht = hmac.new(geheim.encode(), f"{tijdstip}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(verwacht, delen["v1"])
