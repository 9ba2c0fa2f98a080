"""Sign, then encrypt (DESIGN §5), with joserfc.

``verzegel``: a JWS by the sender (PS256 for RSA keys, ES256 for P-256) over the payload, its
protected header repeating the envelope metadata and naming the signing certificate in
``x5t#S256``; then a JWE (RSA-OAEP-256 or ECDH-ES+A256KW, A256GCM) for the recipient's
``versleuteling`` certificate, ``kid`` = that certificate's ``x5t#S256``.
``open_``: the reverse, refusing anything that does not match.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwe, jws
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import ECKey, RSAKey
from joserfc.jws import JWSRegistry

from knooppunt.protocol.jwe import x5t_s256

METADATA_VELDEN = (
    "referentienummer",
    "conversatieReferentienummer",
    "crossReferentienummer",
    "module",
    "berichttype",
    "versie",
    "afzender",
    "ontvanger",
)
_JWS = JWSRegistry(algorithms=["PS256", "ES256"], strict_check_header=False)
_JWS.max_header_length = 2048  # the signed header carries the envelope metadata
_JWS.max_payload_length = 8 * 1024 * 1024
_JWE = JWERegistry(algorithms=["RSA-OAEP-256", "ECDH-ES+A256KW", "A256GCM"])
_JWE.max_ciphertext_length = 16 * 1024 * 1024

Sleutel = RSAKey | ECKey


class OngeldigeEnvelop(ValueError):
    """The content cannot be trusted; ``reden`` is the weigering code to send to the hub."""

    def __init__(self, reden: str, detail: str) -> None:
        super().__init__(detail)
        self.reden = reden


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def publieke_sleutel(cert: x509.Certificate) -> Sleutel:
    pem = cert.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if isinstance(cert.public_key(), rsa.RSAPublicKey):
        return RSAKey.import_key(pem)
    if isinstance(cert.public_key(), ec.EllipticCurvePublicKey):
        return ECKey.import_key(pem)
    raise ValueError("alleen RSA- en P-256-sleutels worden ondersteund")


def prive_sleutel(pem: bytes) -> Sleutel:
    sleutel = serialization.load_pem_private_key(pem, password=None)
    if isinstance(sleutel, rsa.RSAPrivateKey):
        return RSAKey.import_key(pem)
    if isinstance(sleutel, ec.EllipticCurvePrivateKey):
        return ECKey.import_key(pem)
    raise ValueError("alleen RSA- en P-256-sleutels worden ondersteund")


def _ondertekenalg(sleutel: Sleutel) -> str:
    return "PS256" if isinstance(sleutel, RSAKey) else "ES256"


def _versleutelalg(sleutel: Sleutel) -> str:
    return "RSA-OAEP-256" if isinstance(sleutel, RSAKey) else "ECDH-ES+A256KW"


def verzegel(
    payload: Mapping[str, Any] | bytes,
    *,
    metadata: Mapping[str, Any],
    iat: int,
    afzender_sleutel: Sleutel,
    afzender_certificaat: x509.Certificate,
    ontvanger_certificaat: x509.Certificate,
) -> str:
    inhoud = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    kop: dict[str, Any] = {"alg": _ondertekenalg(afzender_sleutel), "typ": "JOSE", "cty": "json"}
    for veld in METADATA_VELDEN:
        kop[veld] = metadata.get(veld)
    kop["iat"] = iat
    kop["x5t#S256"] = x5t_s256(_der(afzender_certificaat))
    getekend = jws.serialize_compact(kop, inhoud, afzender_sleutel, registry=_JWS)
    ontvanger = publieke_sleutel(ontvanger_certificaat)
    return jwe.encrypt_compact(
        {
            "alg": _versleutelalg(ontvanger),
            "enc": "A256GCM",
            "kid": x5t_s256(_der(ontvanger_certificaat)),
            "cty": "JWT",
        },
        getekend.encode("ascii"),
        ontvanger,
        registry=_JWE,
    )


@dataclass(frozen=True, slots=True)
class Geopend:
    payload: bytes
    kop: dict[str, Any]

    def json(self) -> Any:
        return json.loads(self.payload)


def open_(
    inhoud: str,
    *,
    ontvanger_sleutel: Sleutel,
    afzender_certificaten: Sequence[x509.Certificate],
    envelop: Mapping[str, Any],
) -> Geopend:
    """Decrypt, verify the signature against one of the sender's certificates, compare metadata."""
    try:
        ontsleuteld = jwe.decrypt_compact(inhoud, ontvanger_sleutel, registry=_JWE)
    except (JoseError, ValueError) as exc:
        raise OngeldigeEnvelop("ONTSLEUTELING_MISLUKT", f"ontsleutelen mislukt: {exc}") from exc
    getekend = ontsleuteld.plaintext or b""
    if getekend.count(b".") != 2:
        raise OngeldigeEnvelop("HANDTEKENING_ONGELDIG", "de inhoud is niet ondertekend (geen JWS)")
    fout: Exception | None = None
    for cert in afzender_certificaten:
        try:
            geverifieerd = jws.deserialize_compact(getekend, publieke_sleutel(cert), registry=_JWS)
        except (JoseError, ValueError) as exc:
            fout = exc
            continue
        kop = dict(geverifieerd.protected)
        if kop.get("x5t#S256") != x5t_s256(_der(cert)):
            fout = ValueError("x5t#S256 noemt een ander certificaat")
            continue
        for veld in METADATA_VELDEN:
            if kop.get(veld) != envelop.get(veld):
                raise OngeldigeEnvelop(
                    "METADATA_ONJUIST",
                    f"{veld} in de handtekening ({kop.get(veld)!r}) wijkt af van de envelop "
                    f"({envelop.get(veld)!r})",
                )
        return Geopend(payload=geverifieerd.payload or b"", kop=kop)
    raise OngeldigeEnvelop("HANDTEKENING_ONGELDIG", f"handtekening ongeldig: {fout}")
