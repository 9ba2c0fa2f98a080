"""What the hub may check of an encrypted payload: the JWE compact protected header (DESIGN §5).

The hub never decrypts. It checks that ``inhoud`` is a well-formed JWE compact serialization whose
protected header uses only the allowed algorithms, names a key in ``kid`` and carries none of the
members that would let a sender point the recipient at other keys or compression.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

ALG_RSA = "RSA-OAEP-256"
ALG_EC = "ECDH-ES+A256KW"
TOEGESTANE_ALG = frozenset({ALG_RSA, ALG_EC})
TOEGESTANE_ENC = frozenset({"A256GCM"})
VERBODEN_LEDEN = frozenset({"zip", "jku", "jwk", "x5u", "x5c", "crit"})
_B64URL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class OngeldigeJwe(ValueError):
    """The JWE is not acceptable; ``reden`` says what, in the sender's terms."""


@dataclass(frozen=True, slots=True)
class JweKop:
    alg: str
    enc: str
    kid: str
    header: dict[str, Any]
    epk: ec.EllipticCurvePublicKey | None = None
    """The sender's ephemeral key (ECDH-ES), when the check has built it: the SDK decrypts with it
    instead of importing the same point a second time."""


def _controleer_b64url(deel: str) -> None:
    """What decoding would refuse, without decoding: characters outside the alphabet, or a length
    no base64url text has. Checked with bytes.translate (one pass in C): a per-character Python
    check cost more than the decryption itself on a 3 KB JWE (docs/performance.md, "SDK")."""
    if not deel.isascii() or deel.encode("ascii").translate(None, _B64URL):
        raise OngeldigeJwe("bevat tekens die niet base64url zijn")
    if len(deel) % 4 == 1:
        raise OngeldigeJwe("is geen geldige base64url")


def b64url_decode(deel: str) -> bytes:
    _controleer_b64url(deel)
    try:
        return base64.urlsafe_b64decode(deel + "=" * (-len(deel) % 4))
    except (binascii.Error, ValueError) as exc:
        raise OngeldigeJwe("is geen geldige base64url") from exc


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def x5t_s256(der: bytes) -> str:
    """The ``x5t#S256`` / ``kid`` of a certificate: base64url (unpadded) SHA-256 of its DER."""
    return b64url_encode(hashlib.sha256(der).digest())


@lru_cache(maxsize=4096)
def kid_naar_vingerafdruk(kid: str) -> str | None:
    """The hex SHA-256 fingerprint a ``kid`` names, or None when it cannot be one."""
    try:
        digest = b64url_decode(kid)
    except OngeldigeJwe:
        return None
    return digest.hex() if len(digest) == 32 else None


def _geen_dubbele(paren: list[tuple[str, Any]]) -> dict[str, Any]:
    resultaat = dict(paren)  # in C; only when a name was lost is the duplicate looked for
    if len(resultaat) != len(paren):
        gezien: set[str] = set()
        for sleutel, _ in paren:
            if sleutel in gezien:
                raise OngeldigeJwe(f"de protected header bevat '{sleutel}' twee keer")
            gezien.add(sleutel)
    return resultaat


def _geen_constante(naam: str) -> Any:
    raise OngeldigeJwe(f"de protected header bevat {naam}, dat is geen JSON (RFC 8259)")


def _eindig(tekst: str) -> float:
    """A JSON number with a fraction or exponent, if a double holds it: ``1e999`` is no NaN or
    Infinity by name, but json.loads reads it as infinity all the same (the body's parser refuses
    it as well, api.invoer)."""
    waarde = float(tekst)
    if not math.isfinite(waarde):
        raise OngeldigeJwe(f"de protected header bevat het getal {tekst[:20]}, te groot voor JSON")
    return waarde


def _toon(waarde: Any) -> str:
    """A header value in an error message: a short string as is, anything else by its type."""
    if isinstance(waarde, str):
        return repr(waarde[:40])
    return "ontbreekt" if waarde is None else f"(een {type(waarde).__name__}, geen tekst)"


def _controleer_epk(epk: Any) -> ec.EllipticCurvePublicKey:
    """The sender's ephemeral key of ECDH-ES: a public P-256 key whose point lies on the curve
    (RFC 7518 §4.6; a point off the curve is the invalid-curve attack on the recipient's key).
    Returned, so that the SDK decrypts with it instead of importing the point again."""
    if not isinstance(epk, dict):
        raise OngeldigeJwe("ECDH-ES+A256KW vereist een 'epk' (JWK-object) in de protected header")
    if epk.get("kty") != "EC" or epk.get("crv") != "P-256":
        raise OngeldigeJwe("epk moet een EC-sleutel op curve P-256 zijn (kty EC, crv P-256)")
    if "d" in epk:
        raise OngeldigeJwe("epk bevat een private sleutel ('d'); stuur alleen de publieke sleutel")
    punt = b"\x04"  # SEC 1 uncompressed point: 0x04 || x || y
    for naam in ("x", "y"):
        waarde = epk.get(naam)
        if not isinstance(waarde, str) or len(waarde) != 43:
            raise OngeldigeJwe(f"epk.{naam} moet 32 bytes base64url zijn")
        try:
            punt += b64url_decode(waarde)
        except OngeldigeJwe as exc:
            raise OngeldigeJwe(f"epk.{naam} {exc}") from exc
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), punt)
    except ValueError as exc:
        raise OngeldigeJwe("epk is geen punt op curve P-256") from exc


MAX_KOP_TEKENS = 1024
"""The longest protected header (base64url) of a JWE the hub accepts: that of the SDK's reader
(client/compact.MAX_JWE_KOP), so nothing is accepted that a recipient refuses as too large."""


def lees_kop(inhoud: str, *, max_bytes: int) -> JweKop:
    """Parse and check the protected header of a JWE compact serialization."""
    if len(inhoud) > max_bytes:
        raise OngeldigeJwe(
            f"is {len(inhoud)} bytes; het maximum is {max_bytes} bytes: verstuur een kleinere inhoud "
            "(een grote bijlage apart, of de gegevens over meer berichten verdeeld)"
        )
    delen = inhoud.split(".")
    if len(delen) != 5:
        raise OngeldigeJwe("is geen JWE in compact serialization (verwacht 5 delen gescheiden door punten)")
    kop_b64, sleutel_b64, iv_b64, tekst_b64, tag_b64 = delen
    if len(kop_b64) > MAX_KOP_TEKENS:
        # What recipients open (the SDK's and the werkplek's limit): a header the hub let through
        # above it would give a 201 for a message no recipient can open.
        raise OngeldigeJwe(
            f"protected header is {len(kop_b64)} tekens; hoogstens {MAX_KOP_TEKENS} mag: zet alleen "
            "alg, enc, kid en (bij ECDH-ES) epk, apu en apv in de header"
        )
    try:
        ruwe_kop = b64url_decode(kop_b64)
        kop = json.loads(
            ruwe_kop.decode("utf-8"),
            object_pairs_hook=_geen_dubbele,
            parse_constant=_geen_constante,
            parse_float=_eindig,
        )
    except OngeldigeJwe as exc:
        raise OngeldigeJwe(f"protected header {exc}") from exc
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError: malformed JSON, or a number of more than 4,300 digits; RecursionError: deep
        # nesting. A sender's mistake either way, never a 500.
        raise OngeldigeJwe("protected header is geen JSON-object") from exc
    if not isinstance(kop, dict):
        raise OngeldigeJwe("protected header is geen JSON-object")
    verboden = sorted(VERBODEN_LEDEN & kop.keys())
    if verboden:
        raise OngeldigeJwe(f"protected header bevat niet-toegestane leden: {', '.join(verboden)}")
    alg, enc, kid = kop.get("alg"), kop.get("enc"), kop.get("kid")
    # isinstance first: a list or object is unhashable, and `in` a frozenset raised (a 500).
    if alg is None:
        raise OngeldigeJwe(f"protected header mist alg (gebruik {ALG_RSA} of {ALG_EC})")
    if not isinstance(alg, str) or alg not in TOEGESTANE_ALG:
        raise OngeldigeJwe(f"alg {_toon(alg)} is niet toegestaan (gebruik {ALG_RSA} of {ALG_EC})")
    if enc is None:
        raise OngeldigeJwe("protected header mist enc (gebruik A256GCM)")
    if not isinstance(enc, str) or enc not in TOEGESTANE_ENC:
        raise OngeldigeJwe(f"enc {_toon(enc)} is niet toegestaan (gebruik A256GCM)")
    if not isinstance(kid, str) or kid_naar_vingerafdruk(kid) is None:
        raise OngeldigeJwe(
            "kid ontbreekt of is geen x5t#S256 (base64url SHA-256 van het certificaat van de ontvanger)"
        )
    epk = None
    if alg == ALG_EC:
        epk = _controleer_epk(kop.get("epk"))
    elif "epk" in kop:
        raise OngeldigeJwe(f"'epk' hoort niet bij alg {ALG_RSA}")
    for naam, deel, verwacht in (
        ("encrypted key", sleutel_b64, None),
        ("iv", iv_b64, 12),
        ("ciphertext", tekst_b64, None),
        ("tag", tag_b64, 16),
    ):
        try:
            # Nothing needs decoding to be checked: the alphabet and length are checked as decoding
            # would, and the decoded length follows from the text's (unpadded base64url).
            _controleer_b64url(deel)
            lengte = len(deel) if verwacht is None else len(deel) * 3 // 4
        except OngeldigeJwe as exc:
            raise OngeldigeJwe(f"{naam} {exc}") from exc
        if verwacht is not None and lengte != verwacht:
            raise OngeldigeJwe(f"{naam} moet {verwacht} bytes zijn voor A256GCM")
        if not lengte:
            raise OngeldigeJwe(f"{naam} is leeg")
    return JweKop(alg=alg, enc=enc, kid=kid, header=kop, epk=epk)


def alg_past_bij_sleutel(alg: str, sleuteltype: str, sleutelgrootte: int) -> bool:
    """RSA ≥ 2048 bits goes with RSA-OAEP-256, P-256 with ECDH-ES+A256KW."""
    if alg == ALG_RSA:
        return sleuteltype == "RSA" and sleutelgrootte >= 2048
    if alg == ALG_EC:
        return sleuteltype == "EC" and sleutelgrootte == 256
    return False
