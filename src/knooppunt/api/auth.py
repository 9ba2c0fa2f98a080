"""mTLS authentication (DESIGN §5): the OIN in the client certificate's subject serialNumber,
a chain to a configured trust anchor, not revoked, and a registered TLS certificate for that OIN.

The certificate comes from the built-in TLS server (ASGI TLS extension) or, only from a Unix
socket or a configured proxy address, from the proxy's forwarding header. Nothing else gets in:
the header is never read on a TLS connection to the hub itself, and the proxy is recognised by
the address of the connection, never by ``X-Forwarded-For`` or ``Forwarded``.
"""

from __future__ import annotations

import hashlib
import ipaddress
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from sqlalchemy.orm import Session

from knooppunt.hub import adresboek
from knooppunt.hub.adresboek import Partij
from knooppunt.hub.fouten import HubFout
from knooppunt.hub.intrekking import GedeeldeCrls
from knooppunt.pki import intrekking as intrekking_mod
from knooppunt.pki.certificaat import OngeldigCertificaat, lees, lees_doorgestuurd, lees_pem
from knooppunt.pki.intrekking import Intrekkingscontrole
from knooppunt.pki.verificatie import Vertrouwensankers
from knooppunt.runtime import Runtime

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


@dataclass(frozen=True, slots=True)
class Aangeboden:
    """What the client presented, not yet parsed: the PEM chain of the TLS handshake (leaf first),
    or the value of the trusted proxy's header."""

    keten: tuple[str, ...] = ()
    header: str | None = None

    @property
    def sleutel(self) -> bytes:
        """What a verification is kept under: SHA-256 over exactly what was presented."""
        if self.header is not None:
            return hashlib.sha256(b"header\0" + self.header.encode("latin-1")).digest()
        return hashlib.sha256("\0".join(("tls", *self.keten)).encode("ascii", errors="replace")).digest()

    def certificaten(self) -> tuple[x509.Certificate, list[x509.Certificate]]:
        if self.header is not None:
            return lees_doorgestuurd(self.header).certificaat, []
        certs = [lees_pem(pem).certificaat for pem in self.keten]
        return certs[0], certs[1:]


def aangeboden(scope: dict[str, Any], *, header: str, proxies: Sequence[Netwerk]) -> Aangeboden | None:
    """What the client presented, from TLS or a trusted proxy, or None."""
    tls = (scope.get("extensions") or {}).get("tls")
    if tls is not None:
        # A TLS connection to the hub itself: only the handshake counts. A forwarding header on
        # it comes from the client, not from a proxy, whatever the client's address.
        keten = tuple(tls.get("client_cert_chain") or ())
        return Aangeboden(keten=keten) if keten else None
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
    return Aangeboden(header=waarden[0].decode("latin-1"))


def client_certificaat(
    scope: dict[str, Any], *, header: str, proxies: Sequence[Netwerk]
) -> tuple[x509.Certificate, list[x509.Certificate]] | None:
    """The presented certificate and any intermediates, from TLS or a trusted proxy."""
    gevonden = aangeboden(scope, header=header, proxies=proxies)
    return None if gevonden is None else gevonden.certificaten()


# What a verification depends on besides time: the shared CRL state's version, the adresboek's
# version (both read in the request's first statement) and the generation of this node's CRLs.
Stand = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class _Geverifieerd:
    partij: Partij
    stand: Stand
    tot: datetime  # min(notAfter of the chain, each issuer's CRL nextUpdate + grace)


def _ouder(stand: Stand, dan: Stand) -> bool:
    """Whether `stand` was read before `dan`: every part of a stand only grows (DESIGN §5)."""
    return stand != dan and all(a <= b for a, b in zip(stand, dan, strict=True))


class Authenticatiecache:
    """Certificates this process verified (DESIGN §5: authenticate once per certificate): what was
    presented (its SHA-256) -> the participant as a plain record, for as long as neither version
    nor this node's CRLs changed and at most until min(notAfter, CRL nextUpdate + grace). A
    certificate found here is not parsed, nor its chain or revocation checked, nor looked up in
    the adresboek. Refusals are not kept. Least recently used entries go first; thread-safe."""

    def __init__(self, maximum: int = 10_000) -> None:
        self.maximum = maximum
        self._items: OrderedDict[bytes, _Geverifieerd] = OrderedDict()
        self._stand: Stand | None = None
        self._slot = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def zoek(self, sleutel: bytes, *, stand: Stand, nu: datetime) -> Partij | None:
        with self._slot:
            if stand != self._stand:
                if self._stand is not None and _ouder(stand, self._stand):
                    # This request read older versions than another did (or looked under the last
                    # versions it knew, api/lus.py): it finds nothing, and leaves the newer ones be.
                    return None
                # Something that bears on authentication changed: nothing verified before counts.
                self._items.clear()
                self._stand = stand
                return None
            gevonden = self._items.get(sleutel)
            if gevonden is None or gevonden.stand != stand or not nu < gevonden.tot:
                return None
            self._items.move_to_end(sleutel)
            return gevonden.partij

    def bewaar(self, sleutel: bytes, partij: Partij, *, stand: Stand, tot: datetime) -> None:
        with self._slot:
            if stand != self._stand:
                return  # verified under another version than the one now kept
            self._items[sleutel] = _Geverifieerd(partij, stand, tot)
            self._items.move_to_end(sleutel)
            while len(self._items) > self.maximum:
                self._items.popitem(last=False)


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


def uit_geheugen(
    scope: dict[str, Any],
    *,
    header: str,
    proxies: Sequence[Netwerk],
    nu: datetime,
    crl_versie: int,
    adresboek_versie: int,
    cache: Authenticatiecache,
) -> Partij | None:
    """The participant of a certificate this process verified before under these versions, as
    `authenticeer` would find it in `cache` — or None, when anything more would be needed (nothing
    or something unreadable presented, not in the cache, CRLs to refresh or load). Never blocks:
    the hot submit on the event loop (api/lus.py) leaves everything else to `authenticeer`."""
    try:
        gevonden = aangeboden(scope, header=header, proxies=proxies)
    except OngeldigCertificaat:
        return None
    if gevonden is None:
        return None
    controle = _intrekking_uit_scope(scope)
    generatie = 0
    if controle is not None:
        gevolgd = controle.gevolgd(crl_versie)
        if gevolgd is None:
            return None
        generatie = gevolgd
    return cache.zoek(gevonden.sleutel, stand=(crl_versie, adresboek_versie, generatie), nu=nu)


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
    adresboek_versie: int | None = None,
    cache: Authenticatiecache | None = None,
) -> Partij:
    """The participant this request comes from, or HubFout 401. `intrekking` defaults to the
    revocation check of the settings of the app in the scope (KNOOPPUNT_CRLS); `crl_versie` and
    `adresboek_versie` are the versions the request's first statement read
    (store.crl_staat.nu_en_versie): with both and a `cache`, a certificate verified before under
    the same versions is accepted from the cache."""
    try:
        gevonden = aangeboden(scope, header=header, proxies=proxies)
    except OngeldigCertificaat as exc:
        raise niet_geauthenticeerd(f"Het clientcertificaat is onleesbaar ({exc}).") from exc
    if gevonden is None:
        raise niet_geauthenticeerd("Er is geen clientcertificaat aangeboden.")
    controle = intrekking or _intrekking_uit_scope(scope)
    stand: Stand | None = None
    if cache is not None and crl_versie is not None and adresboek_versie is not None:
        # The CRLs are followed first (refreshed when due, the shared state's changes loaded), so
        # that the generation read here is that of the CRLs a check now would use.
        stand = (crl_versie, adresboek_versie, controle.volg(crl_versie) if controle is not None else 0)
        partij = cache.zoek(gevonden.sleutel, stand=stand, nu=nu)
        if partij is not None:
            return partij
    try:
        certificaat, tussen = gevonden.certificaten()
    except OngeldigCertificaat as exc:
        raise niet_geauthenticeerd(f"Het clientcertificaat is onleesbaar ({exc}).") from exc
    try:
        keten = ankers.controleer(certificaat, tussen, moment=nu)
    except OngeldigCertificaat as exc:
        raise niet_geauthenticeerd(f"Het clientcertificaat is niet geldig: {exc}.") from exc
    tot = min(c.not_valid_after_utc for c in keten)
    if controle is not None:
        try:
            tot = min(tot, controle.controleer(keten, moment=nu, versie=crl_versie))
        except intrekking_mod.Ingetrokken as exc:
            raise niet_geauthenticeerd(f"Het clientcertificaat is ingetrokken: {exc}.", advies=None) from exc
        except OngeldigCertificaat as exc:
            raise niet_geauthenticeerd(f"Intrekking niet te controleren: {exc}.", advies=None) from exc
    info = lees(certificaat)
    if not info.oin:
        raise niet_geauthenticeerd(
            "Het clientcertificaat heeft geen OIN in het serialNumber van het subject."
        )
    partij = adresboek.authenticeer(session, oin=info.oin, vingerafdruk=info.vingerafdruk, nu=nu)
    if partij is None:
        raise niet_geauthenticeerd(
            f"Dit certificaat is niet (meer) als TLS-certificaat geregistreerd voor OIN {info.oin}."
        )
    if cache is not None and stand is not None:
        cache.bewaar(gevonden.sleutel, partij, stand=stand, tot=tot)
    return partij
