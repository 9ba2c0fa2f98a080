"""mTLS authentication (DESIGN §5): the OIN in the client certificate's subject serialNumber,
a chain to a configured trust anchor, and a registered TLS certificate for that OIN.

The certificate comes from the built-in TLS server (ASGI TLS extension) or, only from a Unix
socket or a configured proxy address, from the proxy's forwarding header. Nothing else gets in.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any

from cryptography import x509
from sqlalchemy.orm import Session

from knooppunt.hub import adresboek
from knooppunt.hub.fouten import HubFout
from knooppunt.pki.certificaat import OngeldigCertificaat, lees, lees_doorgestuurd, lees_pem
from knooppunt.pki.verificatie import Vertrouwensankers
from knooppunt.store.models import Deelnemer


def niet_geauthenticeerd(detail: str) -> HubFout:
    return HubFout(
        "NIET_GEAUTHENTICEERD", 401, "Niet geauthenticeerd",
        f"{detail} Verbind met mutual TLS met het PKIoverheid-certificaat dat voor uw OIN in het "
        "adresboek staat.",
    )


def _van_proxy(scope: dict[str, Any], proxies: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    client = scope.get("client")
    server = scope.get("server")
    if client is None or not client[0]:
        # A Unix socket: only the proxy on this host can connect to it.
        return isinstance(server, tuple | list) and len(server) == 2 and server[1] is None
    try:
        adres = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    return any(adres in netwerk for netwerk in proxies)


def client_certificaat(
    scope: dict[str, Any], *, header: str, proxies: list[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> tuple[x509.Certificate, list[x509.Certificate]] | None:
    """The presented certificate and any intermediates, from TLS or a trusted proxy."""
    tls = (scope.get("extensions") or {}).get("tls") or {}
    keten = list(tls.get("client_cert_chain") or [])
    if keten:
        certs = [lees_pem(pem).certificaat for pem in keten]
        return certs[0], certs[1:]
    if _van_proxy(scope, proxies):
        naam = header.lower().encode("latin-1")
        for sleutel, waarde in scope.get("headers", []):
            if sleutel == naam and waarde:
                return lees_doorgestuurd(waarde.decode("latin-1")).certificaat, []
    return None


def authenticeer(
    session: Session,
    scope: dict[str, Any],
    *,
    ankers: Vertrouwensankers,
    header: str,
    proxies: list[ipaddress.IPv4Network | ipaddress.IPv6Network],
    nu: datetime,
) -> Deelnemer:
    try:
        gevonden = client_certificaat(scope, header=header, proxies=proxies)
    except OngeldigCertificaat as exc:
        raise niet_geauthenticeerd(f"Het clientcertificaat is onleesbaar ({exc}).") from exc
    if gevonden is None:
        raise niet_geauthenticeerd("Er is geen clientcertificaat aangeboden.")
    certificaat, tussen = gevonden
    try:
        ankers.controleer(certificaat, tussen, moment=nu)
    except OngeldigCertificaat as exc:
        raise niet_geauthenticeerd(f"Het clientcertificaat is niet geldig: {exc}.") from exc
    info = lees(certificaat)
    if not info.oin:
        raise niet_geauthenticeerd("Het clientcertificaat heeft geen OIN in het serialNumber van het subject.")
    deelnemer = adresboek.authenticeer(session, oin=info.oin, vingerafdruk=info.vingerafdruk, nu=nu)
    if deelnemer is None:
        raise niet_geauthenticeerd(
            f"Dit certificaat is niet (meer) als TLS-certificaat geregistreerd voor OIN {info.oin}."
        )
    return deelnemer
