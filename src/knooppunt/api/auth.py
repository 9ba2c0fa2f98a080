"""mTLS authentication (DESIGN §5): the OIN in the client certificate's subject serialNumber,
a chain to a configured trust anchor, not revoked, and a registered TLS certificate for that OIN.

The certificate comes from the built-in TLS server (ASGI TLS extension) or, only from a Unix
socket or a configured proxy address, from the proxy's forwarding header. Nothing else gets in:
the header is never read on a TLS connection to the hub itself, and the proxy is recognised by
the address of the connection, never by ``X-Forwarded-For`` or ``Forwarded``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from cryptography import x509
from sqlalchemy.orm import Session

from knooppunt.hub import adresboek
from knooppunt.hub.fouten import HubFout
from knooppunt.hub.intrekking import GedeeldeCrls
from knooppunt.pki import intrekking as intrekking_mod
from knooppunt.pki.certificaat import OngeldigCertificaat, lees, lees_doorgestuurd, lees_pem
from knooppunt.pki.intrekking import Intrekkingscontrole
from knooppunt.pki.verificatie import Vertrouwensankers
from knooppunt.runtime import Runtime
from knooppunt.store.models import Deelnemer

Netwerk = ipaddress.IPv4Network | ipaddress.IPv6Network

_ADVIES = "Verbind met mutual TLS met het PKIoverheid-certificaat dat voor uw OIN in het adresboek staat."


def niet_geauthenticeerd(detail: str, *, advies: str | None = _ADVIES) -> HubFout:
    return HubFout(
        "NIET_GEAUTHENTICEERD",
        401,
        "Niet geauthenticeerd",
        f"{detail} {advies}" if advies else detail,
    )


def _van_proxy(scope: dict[str, Any], proxies: Sequence[Netwerk]) -> bool:
    """Whether this connection comes from the TLS proxy, judged by the connection alone."""
    client = scope.get("client")
    server = scope.get("server")
    if not client or not client[0]:
        # uvicorn on a Unix socket: client None, server (socket path, None). Only processes that
        # may open the socket file (`knooppunt serve --uds` makes it 0660) can connect: the proxy.
        return (
            isinstance(server, tuple | list)
            and len(server) == 2
            and isinstance(server[0], str)
            and server[1] is None
        )
    try:
        adres = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    return any(adres in netwerk for netwerk in proxies)


def client_certificaat(
    scope: dict[str, Any], *, header: str, proxies: Sequence[Netwerk]
) -> tuple[x509.Certificate, list[x509.Certificate]] | None:
    """The presented certificate and any intermediates, from TLS or a trusted proxy."""
    tls = (scope.get("extensions") or {}).get("tls")
    if tls is not None:
        # A TLS connection to the hub itself: only the handshake counts. A forwarding header on
        # it comes from the client, not from a proxy, whatever the client's address.
        keten = list(tls.get("client_cert_chain") or [])
        if not keten:
            return None
        certs = [lees_pem(pem).certificaat for pem in keten]
        return certs[0], certs[1:]
    if not _van_proxy(scope, proxies):
        return None
    naam = header.lower().encode("latin-1")
    waarden = [waarde for sleutel, waarde in scope.get("headers", []) if sleutel == naam]
    if len(waarden) > 1:
        # The proxy must set the header, not append to one the client sent.
        raise OngeldigCertificaat(
            f"de header {header} komt meer dan eens voor; de proxy moet hem vervangen (proxy_set_header)"
        )
    if not waarden or not waarden[0].strip():
        return None
    return lees_doorgestuurd(waarden[0].decode("latin-1")).certificaat, []


def intrekkingscontrole(runtime: Runtime) -> Intrekkingscontrole | None:
    """The revocation check of this runtime (shared per process), or None without CRLs or trust
    anchors. Its CRL state is shared with the hub's other nodes through the database."""
    if runtime.ankers is None:
        return None
    settings = runtime.settings
    return intrekking_mod.voor(
        settings.crls,
        runtime.ankers,
        verversen=settings.crl_refresh_seconds,
        marge=settings.crl_grace_seconds,
        gedeeld=GedeeldeCrls(runtime.engine, runtime.sessions),
    )


def _intrekking_uit_scope(scope: dict[str, Any]) -> Intrekkingscontrole | None:
    # The app that handles the request holds the runtime (app.state.runtime, as api.deps reads
    # it), and so the settings naming the CRLs and the database sharing them.
    state = getattr(scope.get("app"), "state", None)
    runtime = getattr(state, "runtime", None)
    if not isinstance(runtime, Runtime):
        return None
    return intrekkingscontrole(runtime)


def authenticeer(
    session: Session,
    scope: dict[str, Any],
    *,
    ankers: Vertrouwensankers,
    header: str,
    proxies: Sequence[Netwerk],
    nu: datetime,
    intrekking: Intrekkingscontrole | None = None,
    crl_versie: int | None = None,
) -> Deelnemer:
    """The participant this request comes from, or HubFout 401. `intrekking` defaults to the
    revocation check of the settings of the app in the scope (KNOOPPUNT_CRLS); `crl_versie` is
    the shared CRL state's version the request read (store.crl_staat.nu_en_versie)."""
    try:
        gevonden = client_certificaat(scope, header=header, proxies=proxies)
    except OngeldigCertificaat as exc:
        raise niet_geauthenticeerd(f"Het clientcertificaat is onleesbaar ({exc}).") from exc
    if gevonden is None:
        raise niet_geauthenticeerd("Er is geen clientcertificaat aangeboden.")
    certificaat, tussen = gevonden
    try:
        keten = ankers.controleer(certificaat, tussen, moment=nu)
    except OngeldigCertificaat as exc:
        raise niet_geauthenticeerd(f"Het clientcertificaat is niet geldig: {exc}.") from exc
    controle = intrekking or _intrekking_uit_scope(scope)
    if controle is not None:
        try:
            controle.controleer(keten, moment=nu, versie=crl_versie)
        except intrekking_mod.Ingetrokken as exc:
            raise niet_geauthenticeerd(f"Het clientcertificaat is ingetrokken: {exc}.", advies=None) from exc
        except OngeldigCertificaat as exc:
            raise niet_geauthenticeerd(f"Intrekking niet te controleren: {exc}.", advies=None) from exc
    info = lees(certificaat)
    if not info.oin:
        raise niet_geauthenticeerd(
            "Het clientcertificaat heeft geen OIN in het serialNumber van het subject."
        )
    deelnemer = adresboek.authenticeer(session, oin=info.oin, vingerafdruk=info.vingerafdruk, nu=nu)
    if deelnemer is None:
        raise niet_geauthenticeerd(
            f"Dit certificaat is niet (meer) als TLS-certificaat geregistreerd voor OIN {info.oin}."
        )
    return deelnemer
