"""Compact JWS and JWE for the fixed algorithms of DESIGN §5, straight on `cryptography`.

JWS (RFC 7515): PS256 (RSASSA-PSS, SHA-256, MGF1 SHA-256, 32-byte salt, RFC 7518 §3.5) and ES256
(ECDSA P-256 SHA-256, the signature as raw ``R || S``, RFC 7518 §3.4). JWE (RFC 7516): RSA-OAEP-256
(RFC 7518 §4.3) or ECDH-ES+A256KW (an ephemeral P-256 key in ``epk``, Concat KDF with SHA-256 over
the alg, ``apu`` and ``apv``, RFC 7518 §4.6; then AES Key Wrap, RFC 3394), content encrypted with
A256GCM (the base64url protected header as associated data, RFC 7518 §5.3).

Nothing else is implemented, and this module decides no policy: which algorithm fits which
certificate, which header members the contract forbids, and what the metadata must say are checked
in ``jose.py``. What is checked here is what a JOSE library checks of the serialization itself (the
checks joserfc made before decision 0020): strict unpadded base64url in its canonical form, the size
limits, the registered header members' types, no unregistered member in the JWE header, the
ephemeral key a P-256 point on the curve, and the lengths of IV, tag, content key and signature.
Why we do this ourselves: docs/decisions/0020-sdk-jose-snel.md.
"""

from __future__ import annotations

import binascii
import json
import os
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, keywrap
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash

ALG_PS256 = "PS256"
ALG_ES256 = "ES256"
ALG_RSA = "RSA-OAEP-256"
ALG_EC = "ECDH-ES+A256KW"
ENC = "A256GCM"

PriveSleutel = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PubliekeSleutel = rsa.RSAPublicKey | ec.EllipticCurvePublicKey

# The limits joserfc applied with the registries the SDK configured (decision 0005), in characters
# of the base64url segments.
MAX_JWS_KOP = 2048  # the signed header carries the envelope metadata
MAX_JWS_PAYLOAD = 8 * 1024 * 1024
MAX_JWS_HANDTEKENING = 1024
MAX_JWE_KOP = 1024
MAX_JWE_SLEUTEL = 1024
MAX_JWE_IV = 64
MAX_JWE_TEKST = 16 * 1024 * 1024
MAX_JWE_TAG = 64

_SHA256 = hashes.SHA256()
_PSS = padding.PSS(mgf=padding.MGF1(_SHA256), salt_length=32)
_OAEP = padding.OAEP(mgf=padding.MGF1(_SHA256), algorithm=_SHA256, label=None)
_ECDSA = ec.ECDSA(_SHA256)
_P256 = ec.SECP256R1()

_ALFABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_NAAR_STANDAARD = bytes.maketrans(b"-_", b"+/")
_NAAR_URL = bytes.maketrans(b"+/", b"-_")
# The last character of a segment whose length is 2 or 3 (mod 4) leaves 4 or 2 bits unused; in the
# canonical encoding they are zero, so only these characters can end it (RFC 4648 §3.5).
_CANONIEK_EINDE = {2: frozenset(b"AQgw"), 3: frozenset(b"AEIMQUYcgkosw048")}

# RFC 7515 §4.1 / RFC 7516 §4.1 members and the JSON type each must have (as joserfc's registries).
# `zip`, `jku`, `jwk`, `x5u`, `x5c` and `crit` are refused before this by the contract's own check.
_STRING_LEDEN = ("kid", "typ", "cty", "x5t", "x5t#S256")
_JWE_LEDEN = frozenset({"alg", "enc", "zip", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256"})
_JWE_LEDEN_RSA = _JWE_LEDEN | {"typ", "cty", "crit", "b64"}
_JWE_LEDEN_EC = _JWE_LEDEN_RSA | {"epk", "apu", "apv"}


class OngeldigeJose(ValueError):
    """The serialization is malformed or does not decrypt / verify."""


# --- base64url ------------------------------------------------------------------------------------


def b64url(data: bytes) -> bytes:
    """Unpadded base64url (RFC 7515 §2)."""
    return binascii.b2a_base64(data, newline=False).translate(_NAAR_URL).rstrip(b"=")


def ontb64url(deel: bytes, *, alfabet_gecontroleerd: bool = False) -> bytes:
    """Decode unpadded base64url, refusing anything else: other characters (also ``+``, ``/`` and
    ``=``), an impossible length, and a non-canonical last character (which would let a segment be
    altered without changing what it decodes to). ``alfabet_gecontroleerd``: the caller has already
    checked the characters (``protocol.jwe.lees_kop`` does so for every JWE segment)."""
    if not alfabet_gecontroleerd and deel.translate(None, _ALFABET):
        raise OngeldigeJose("bevat tekens die niet base64url zijn")
    rest = len(deel) % 4
    if rest:
        if rest == 1 or deel[-1] not in _CANONIEK_EINDE[rest]:
            raise OngeldigeJose("is geen geldige (canonieke) base64url")
        deel += b"=="[: 4 - rest]
    return binascii.a2b_base64(deel.translate(_NAAR_STANDAARD))


def _json_b64(kop: dict[str, Any]) -> bytes:
    # As joserfc wrote headers: compact, ASCII-only.
    return b64url(json.dumps(kop, separators=(",", ":")).encode("ascii"))


# --- JWS --------------------------------------------------------------------------------------------


def onderteken(kop: dict[str, Any], payload: bytes, sleutel: PriveSleutel) -> bytes:
    """A compact JWS over ``payload``; ``kop["alg"]`` must be the one that fits ``sleutel``."""
    invoer = _json_b64(kop) + b"." + b64url(payload)
    if isinstance(sleutel, rsa.RSAPrivateKey):
        if kop["alg"] != ALG_PS256 or sleutel.key_size < 2048:
            raise ValueError("een RSA-sleutel (≥ 2048 bits) ondertekent alleen met PS256")
        handtekening = sleutel.sign(invoer, _PSS, _SHA256)
    else:
        if kop["alg"] != ALG_ES256 or not isinstance(sleutel.curve, ec.SECP256R1):
            raise ValueError("een EC-sleutel (P-256) ondertekent alleen met ES256")
        r, s = decode_dss_signature(sleutel.sign(invoer, _ECDSA))
        handtekening = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return invoer + b"." + b64url(handtekening)


def splits_jws(getekend: bytes) -> tuple[bytes, bytes, bytes] | None:
    """(header, payload, signature) segments of a compact JWS within the size limits, or None when
    it is not a compact JWS at all."""
    delen = getekend.split(b".")
    if len(delen) != 3:
        return None
    kop, payload, handtekening = delen
    for naam, deel, maximum in (
        ("protected header", kop, MAX_JWS_KOP),
        ("payload", payload, MAX_JWS_PAYLOAD),
        ("handtekening", handtekening, MAX_JWS_HANDTEKENING),
    ):
        if len(deel) > maximum:
            raise OngeldigeJose(f"de {naam} van de JWS is {len(deel)} tekens; het maximum is {maximum}")
    return kop, payload, handtekening


def controleer_jws_leden(kop: dict[str, Any]) -> None:
    """The registered members' types; ``b64`` may only be true (RFC 7797's false needs ``crit``)."""
    for naam in _STRING_LEDEN:
        if naam in kop and not isinstance(kop[naam], str):
            raise OngeldigeJose(f"'{naam}' in de protected header van de JWS moet een string zijn")
    if "b64" in kop and kop["b64"] is not True:
        raise OngeldigeJose("'b64' in de protected header van de JWS moet true zijn (of ontbreken)")


def verifieer(kop: bytes, payload: bytes, handtekening: bytes, alg: str, sleutel: PubliekeSleutel) -> bytes:
    """Verify a compact JWS's signature with ``sleutel`` (whose algorithm the caller has matched to
    ``alg``); returns the decoded payload."""
    try:
        sig = ontb64url(handtekening)
        inhoud = ontb64url(payload)
    except OngeldigeJose as exc:
        raise OngeldigeJose(f"handtekening of payload {exc}") from exc
    invoer = kop + b"." + payload
    try:
        if alg == ALG_PS256 and isinstance(sleutel, rsa.RSAPublicKey):
            sleutel.verify(sig, invoer, _PSS, _SHA256)
        elif alg == ALG_ES256 and isinstance(sleutel, ec.EllipticCurvePublicKey) and len(sig) == 64:
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
            sleutel.verify(der, invoer, _ECDSA)
        else:
            raise InvalidSignature
    except InvalidSignature:
        raise OngeldigeJose("de handtekening klopt niet") from None
    return inhoud


# --- JWE --------------------------------------------------------------------------------------------


def _otherinfo(alg: str, apu: bytes, apv: bytes) -> bytes:
    """RFC 7518 §4.6.2: AlgorithmID, PartyUInfo, PartyVInfo (each length-prefixed), SuppPubInfo."""
    delen = (alg.encode("ascii"), apu, apv)
    return b"".join(len(x).to_bytes(4, "big") + x for x in delen) + (256).to_bytes(4, "big")


_OTHERINFO_EC = _otherinfo(ALG_EC, b"", b"")  # without apu and apv, as the SDK and most senders seal


def _concat_kdf(gedeeld: bytes, otherinfo: bytes = _OTHERINFO_EC) -> bytes:
    """The 256-bit key-encryption key for ECDH-ES+A256KW from the shared secret."""
    return ConcatKDFHash(algorithm=_SHA256, length=32, otherinfo=otherinfo).derive(gedeeld)


def versleutel(kop: dict[str, Any], plaintext: bytes, sleutel: PubliekeSleutel) -> str:
    """A compact JWE of ``plaintext`` for ``sleutel``; ``kop`` holds ``alg`` (fitting the key),
    ``enc`` A256GCM and any other members; ``epk`` is added for ECDH-ES."""
    cek, iv = os.urandom(32), os.urandom(12)
    if isinstance(sleutel, rsa.RSAPublicKey):
        if kop["alg"] != ALG_RSA or sleutel.key_size < 2048:
            raise ValueError("een RSA-sleutel (≥ 2048 bits) vraagt RSA-OAEP-256")
        versleuteld = sleutel.encrypt(cek, _OAEP)
    else:
        if kop["alg"] != ALG_EC or not isinstance(sleutel.curve, ec.SECP256R1):
            raise ValueError("een EC-sleutel (P-256) vraagt ECDH-ES+A256KW")
        efemeer = ec.generate_private_key(_P256)
        punt = efemeer.public_key().public_numbers()
        kop = {
            **kop,
            "epk": {
                "kty": "EC",
                "crv": "P-256",
                "x": b64url(punt.x.to_bytes(32, "big")).decode("ascii"),
                "y": b64url(punt.y.to_bytes(32, "big")).decode("ascii"),
            },
        }
        kek = _concat_kdf(efemeer.exchange(ec.ECDH(), sleutel))
        versleuteld = keywrap.aes_key_wrap(kek, cek)
    kop_b64 = _json_b64(kop)
    tekst = AESGCM(cek).encrypt(iv, plaintext, kop_b64)
    return b".".join(
        (kop_b64, b64url(versleuteld), b64url(iv), b64url(tekst[:-16]), b64url(tekst[-16:]))
    ).decode("ascii")


def _epk(kop: dict[str, Any]) -> ec.EllipticCurvePublicKey:
    """The sender's ephemeral key: an EC JWK on P-256 whose point lies on the curve."""
    epk = kop.get("epk")
    if not isinstance(epk, dict) or epk.get("kty") != "EC" or epk.get("crv") != "P-256":
        raise OngeldigeJose("'epk' is geen P-256-sleutel (kty EC, crv P-256)")
    x, y = epk.get("x"), epk.get("y")
    if not isinstance(x, str) or not isinstance(y, str):
        raise OngeldigeJose("'epk' mist x of y")
    try:
        punt = b"\x04" + ontb64url(x.encode("ascii")) + ontb64url(y.encode("ascii"))
        if len(punt) != 65:
            raise OngeldigeJose("x en y moeten elk 32 bytes zijn")
        return ec.EllipticCurvePublicKey.from_encoded_point(_P256, punt)
    except (OngeldigeJose, UnicodeEncodeError, ValueError) as exc:
        raise OngeldigeJose(f"'epk' is geen punt op P-256: {exc}") from exc


def controleer_jwe_leden(kop: dict[str, Any]) -> None:
    """No member outside RFC 7516/7518's registry for this alg (joserfc's strict check), and the
    registered ones of the right type."""
    toegestaan = _JWE_LEDEN_EC if kop.get("alg") == ALG_EC else _JWE_LEDEN_RSA
    onbekend = sorted(kop.keys() - toegestaan)
    if onbekend:
        raise OngeldigeJose(f"de protected header van de JWE bevat onbekende leden: {', '.join(onbekend)}")
    for naam in (*_STRING_LEDEN, "apu", "apv"):
        if naam in kop and not isinstance(kop[naam], str):
            raise OngeldigeJose(f"'{naam}' in de protected header van de JWE moet een string zijn")
    if "b64" in kop and not isinstance(kop["b64"], bool):
        raise OngeldigeJose("'b64' in de protected header van de JWE moet true of false zijn")


def ontsleutel(
    delen: list[str],
    kop: dict[str, Any],
    sleutel: PriveSleutel,
    *,
    epk: ec.EllipticCurvePublicKey | None = None,
) -> bytes:
    """Decrypt a compact JWE (its five segments, already checked for alphabet and shape by
    ``protocol.jwe.lees_kop``; ``kop`` its parsed protected header) with the recipient's key.
    ``epk``: the ephemeral key of ``kop["epk"]`` when the header check has already imported it
    (and so checked it is a point on P-256)."""
    kop_b64, sleutel_b64, iv_b64, tekst_b64, tag_b64 = (d.encode("ascii") for d in delen)
    for naam, deel, maximum in (
        ("protected header", kop_b64, MAX_JWE_KOP),
        ("encrypted key", sleutel_b64, MAX_JWE_SLEUTEL),
        ("iv", iv_b64, MAX_JWE_IV),
        ("ciphertext", tekst_b64, MAX_JWE_TEKST),
        ("tag", tag_b64, MAX_JWE_TAG),
    ):
        if len(deel) > maximum:
            raise OngeldigeJose(f"de {naam} van de JWE is {len(deel)} tekens; het maximum is {maximum}")
    controleer_jwe_leden(kop)
    if kop.get("enc") != ENC:
        raise OngeldigeJose(f"enc {kop.get('enc')!r} wordt niet ondersteund (alleen {ENC})")
    versleuteld = ontb64url(sleutel_b64, alfabet_gecontroleerd=True)
    try:
        if kop.get("alg") == ALG_RSA and isinstance(sleutel, rsa.RSAPrivateKey):
            cek = sleutel.decrypt(versleuteld, _OAEP)
        elif kop.get("alg") == ALG_EC and isinstance(sleutel, ec.EllipticCurvePrivateKey):
            if not isinstance(sleutel.curve, ec.SECP256R1):
                raise OngeldigeJose("de sleutel van de ontvanger is geen P-256-sleutel")
            gedeeld = sleutel.exchange(ec.ECDH(), epk if epk is not None else _epk(kop))
            otherinfo = _OTHERINFO_EC
            if kop.get("apu") or kop.get("apv"):
                apu = ontb64url(kop["apu"].encode("ascii")) if kop.get("apu") else b""
                apv = ontb64url(kop["apv"].encode("ascii")) if kop.get("apv") else b""
                otherinfo = _otherinfo(ALG_EC, apu, apv)
            cek = keywrap.aes_key_unwrap(_concat_kdf(gedeeld, otherinfo), versleuteld)
        else:
            raise OngeldigeJose(f"alg {kop.get('alg')!r} past niet bij de sleutel van de ontvanger")
        if len(cek) != 32:
            raise OngeldigeJose("de content encryption key is geen 256 bits")
        iv = ontb64url(iv_b64, alfabet_gecontroleerd=True)
        tekst = ontb64url(tekst_b64, alfabet_gecontroleerd=True)
        tag = ontb64url(tag_b64, alfabet_gecontroleerd=True)
        if len(iv) != 12 or len(tag) != 16:
            raise OngeldigeJose("iv en tag moeten 96 en 128 bits zijn voor A256GCM")
        return AESGCM(cek).decrypt(iv, tekst + tag, kop_b64)
    except (InvalidTag, keywrap.InvalidUnwrap):
        raise OngeldigeJose("de sleutel of de versleutelde inhoud klopt niet") from None
    except OngeldigeJose:
        raise
    except ValueError as exc:  # RSA-OAEP padding, a key `cryptography` refuses
        raise OngeldigeJose(str(exc) or type(exc).__name__) from exc
