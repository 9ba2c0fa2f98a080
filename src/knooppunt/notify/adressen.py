"""Where webhooks may go (DESIGN §5): https to public addresses only. The rule is checked when the
URL is set and again at connect time, against the address actually connected to, so a DNS answer
that changes in between (DNS rebinding) cannot point a webhook into the hub's own network."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAdres = ipaddress.IPv4Address | ipaddress.IPv6Address


class AdresGeweigerd(ValueError):
    """A webhook URL or the address it resolves to is not allowed; the message says why."""


_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))
_IPV4_COMPATIBEL = ipaddress.IPv6Network("::/96")
_TEREDO = ipaddress.IPv6Network("2001::/32")


def _ingebed_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and is routed to: IPv4-mapped (::ffff:a.b.c.d),
    NAT64 (64:ff9b::a.b.c.d, RFC 6052; 64:ff9b:1::/48, RFC 8215), 6to4 (2002:ab.cd::/16) and the
    deprecated IPv4-compatible form (::a.b.c.d) — each names a private or metadata address as well
    as the plain IPv4 would (169.254.169.254 as 64:ff9b::a9fe:a9fe)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in net for net in (*_NAT64, _IPV4_COMPATIBEL)):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def is_publiek(ip: IPAdres) -> bool:
    """A globally routable unicast address: not loopback, private, link-local, shared (CGNAT),
    documentation, reserved or multicast; an IPv6 address that carries an IPv4 one (mapped, NAT64,
    6to4, IPv4-compatible) is judged by that IPv4 address, and Teredo tunnels are refused."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _TEREDO:
            return False
        if (ingebed := _ingebed_ipv4(ip)) is not None:
            ip = ingebed
    return ip.is_global and not ip.is_multicast


def toegestaan(ip: IPAdres, *, lokaal_toegestaan: bool) -> bool:
    return is_publiek(ip) or (lokaal_toegestaan and ip.is_loopback)


@dataclass(frozen=True, slots=True)
class WebhookDoel:
    url: str
    scheme: str
    host: str
    port: int


def controleer_url(url: str, *, lokaal_toegestaan: bool) -> WebhookDoel:
    """The URL's form: https (http only with the development allowance), a host, no credentials."""
    try:
        delen = urlsplit(url.strip())
        port = delen.port
    except ValueError as exc:
        raise AdresGeweigerd(f"{url!r} is geen geldige URL ({exc})") from exc
    toegestane_schemes = ("https", "http") if lokaal_toegestaan else ("https",)
    if delen.scheme not in toegestane_schemes:
        raise AdresGeweigerd(
            f"de webhook-URL moet met https:// beginnen (gegeven: {delen.scheme or 'geen'}://)"
        )
    if not delen.hostname:
        raise AdresGeweigerd(f"{url!r} noemt geen host")
    if delen.username is not None or delen.password is not None:
        raise AdresGeweigerd(
            "de webhook-URL mag geen gebruikersnaam of wachtwoord bevatten; de hub ondertekent elk "
            "verzoek met het gedeelde geheim"
        )
    if delen.fragment:
        raise AdresGeweigerd("de webhook-URL mag geen #fragment bevatten")
    return WebhookDoel(
        url=url.strip(),
        scheme=delen.scheme,
        host=delen.hostname,
        port=port or (443 if delen.scheme == "https" else 80),
    )


def controleer_host(host: str, port: int, *, lokaal_toegestaan: bool) -> list[IPAdres]:
    """Resolve `host` and return its addresses, refusing if any of them is not public."""
    try:
        letterlijk: IPAdres | None = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        letterlijk = None
    if letterlijk is not None:
        adressen = [letterlijk]
    else:
        try:
            antwoorden = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            # The resolver's own words (English, "[Errno -2] Name or service not known") are for
            # the log, not for the person typing the address.
            raise AdresGeweigerd(
                f"de host {host!r} is niet te vinden in DNS; controleer de schrijfwijze van het adres"
            ) from exc
        adressen = []
        for *_, sockaddr in antwoorden:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            if ip not in adressen:
                adressen.append(ip)
    for ip in adressen:
        if not toegestaan(ip, lokaal_toegestaan=lokaal_toegestaan):
            raise AdresGeweigerd(
                f"de host {host!r} wijst naar {ip}, geen openbaar internetadres (loopback, privé, "
                "link-local of gereserveerd); webhooks gaan alleen naar openbare adressen"
            )
    if not adressen:
        raise AdresGeweigerd(f"de host {host!r} heeft geen adres")
    return adressen


def controleer(url: str, *, lokaal_toegestaan: bool) -> WebhookDoel:
    """Both checks, as done when a webhook URL is set."""
    doel = controleer_url(url, lokaal_toegestaan=lokaal_toegestaan)
    controleer_host(doel.host, doel.port, lokaal_toegestaan=lokaal_toegestaan)
    return doel


ONTWIKKELHINT = (
    "In ontwikkeling (KNOOPPUNT_ENV=development) staat KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN=true een "
    "webhook over http:// of op deze machine (loopback) toe; zie docs/operations.md"
)


def ontwikkelhint(url: str, *, development: bool, lokaal_toegestaan: bool) -> str | None:
    """In development, when ``url`` was refused only for http:// or a loopback address (a receiver on
    this machine, as a developer trying webhooks has), the sentence that names the setting allowing
    it; None when the setting is on already, outside development, or when it would not help."""
    if not development or lokaal_toegestaan:
        return None
    try:
        controleer(url, lokaal_toegestaan=True)
    except AdresGeweigerd:
        return None  # refused for another reason too: the setting would not help
    return ONTWIKKELHINT
