"""Signed webhooks (DESIGN §5, §6): a JSON POST with counts, never content, signed with HMAC-SHA256
over ``"<t>.<body>"`` under the participant's shared secret. Only https to public addresses, checked
at connect time against the resolved address; redirects are never followed (a 3xx is a failure).
Times in Europe/Amsterdam with their offset, as everywhere in the API (docs/api.md, "Times")."""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import time
import typing
from datetime import datetime

import httpcore
import httpx

from knooppunt import __version__
from knooppunt.notify import register
from knooppunt.notify.adressen import AdresGeweigerd, controleer_host, controleer_url
from knooppunt.notify.base import Bestemming, Kanaal, Melding, Uitslag
from knooppunt.pki import ontwikkel_ca
from knooppunt.protocol.werkdagen import AMSTERDAM

HANDTEKENING = "Knooppunt-Handtekening"
TIJDSTIP = "Knooppunt-Tijdstip"


def onderteken(geheim: str, tijdstip: int, body: bytes) -> str:
    """The signature header value: ``t=<unix>,v1=<hex HMAC-SHA256(geheim, "<t>.<body>")>``."""
    mac = hmac.new(geheim.encode(), str(tijdstip).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={tijdstip},v1={mac}"


def inhoud(melding: Melding) -> bytes:
    """The JSON body: who, how many of which type, the oldest deadline, links. Nothing else."""
    links = {"portaal": melding.portaal_url} if melding.portaal_url else {}
    return json.dumps(
        {
            "id": melding.id,
            "deelnemer": melding.deelnemer,
            "aantallen": melding.aantallen,
            "totaal": melding.totaal,
            "oudsteVerlooptOp": melding.oudste_verloopt_op.astimezone(AMSTERDAM).isoformat()
            if melding.oudste_verloopt_op
            else None,
            "links": links,
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


class _AlleenToegestaneAdressen(httpcore.NetworkBackend):
    """Resolves the host itself, refuses non-public addresses, and connects to the address it
    checked — so the check and the connection can never see different DNS answers."""

    def __init__(self, *, lokaal_toegestaan: bool) -> None:
        self._onder = httpcore.SyncBackend()
        self._lokaal_toegestaan = lokaal_toegestaan

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[typing.Any] | None = None,
    ) -> httpcore.NetworkStream:
        fout: Exception | None = None
        for ip in controleer_host(host, port, lokaal_toegestaan=self._lokaal_toegestaan):
            try:
                return self._onder.connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                fout = exc
        assert fout is not None
        raise fout

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: typing.Any = None
    ) -> httpcore.NetworkStream:
        raise AdresGeweigerd("webhooks gaan niet naar Unix-sockets")

    def sleep(self, seconds: float) -> None:
        self._onder.sleep(seconds)


@register("webhook")
class WebhookKanaal(Kanaal):
    def _ssl_context(self) -> ssl.SSLContext:
        context = httpx.create_ssl_context()
        if self.settings.lokale_webhooks:
            # Development allowance: a local receiver with a development CA certificate is trusted.
            dev_ca, _ = ontwikkel_ca.ca_paden(self.settings.dev_pki_dir)
            if dev_ca.exists():
                context.load_verify_locations(cafile=str(dev_ca))
        return context

    def verstuur(self, melding: Melding, bestemming: Bestemming) -> Uitslag:
        if not bestemming.webhook_url or not bestemming.webhook_geheim:
            return Uitslag.mislukt("er is geen webhook (meer) ingesteld", definitief=True)
        lokaal = self.settings.lokale_webhooks
        try:
            doel = controleer_url(bestemming.webhook_url, lokaal_toegestaan=lokaal)
        except AdresGeweigerd as exc:
            return Uitslag.mislukt(str(exc), definitief=True)
        body = inhoud(melding)
        tijdstip = int(time.time())
        headers = [
            (b"Content-Type", b"application/json"),
            (b"User-Agent", f"knooppunt/{__version__}".encode()),
            (HANDTEKENING.encode(), onderteken(bestemming.webhook_geheim, tijdstip, body).encode()),
            (TIJDSTIP.encode(), datetime.fromtimestamp(tijdstip, AMSTERDAM).isoformat().encode()),
        ]
        timeout = self.settings.notificatie_timeout_seconden
        try:
            # httpcore follows no redirects: a 3xx comes back as is.
            with (
                httpcore.ConnectionPool(
                    ssl_context=self._ssl_context(),
                    network_backend=_AlleenToegestaneAdressen(lokaal_toegestaan=lokaal),
                    retries=0,
                ) as pool,
                pool.stream(
                    "POST",
                    doel.url,
                    headers=headers,
                    content=body,
                    extensions={
                        "timeout": {"connect": timeout, "read": timeout, "write": timeout, "pool": timeout}
                    },
                ) as antwoord,
            ):
                status = antwoord.status
        except AdresGeweigerd as exc:
            return Uitslag.mislukt(str(exc))
        except httpcore.TimeoutException:
            return Uitslag.mislukt(f"geen antwoord binnen {timeout:g} s")
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol, OSError) as exc:
            return Uitslag.mislukt(f"verbinding mislukt: {type(exc).__name__}: {exc}")
        if 200 <= status < 300:
            return Uitslag(True, antwoordcode=status)
        if 300 <= status < 400:
            return Uitslag.mislukt(
                f"HTTP {status}: doorverwijzingen worden niet gevolgd; stel de eindbestemming in als "
                "webhook-URL",
                antwoordcode=status,
            )
        return Uitslag.mislukt(f"HTTP {status}", antwoordcode=status)
