"""Sign, then encrypt (DESIGN §5).

``verzegel``: a JWS by the sender (PS256 for RSA keys, ES256 for P-256) over the payload, its
protected header repeating the envelope metadata and naming the signing certificate in
``x5t#S256``; then a JWE (RSA-OAEP-256 or ECDH-ES+A256KW, A256GCM) for the recipient's
``versleuteling`` certificate, ``kid`` = that certificate's ``x5t#S256``.
``open_``: the reverse, refusing anything that does not match.

Checked on opening, beyond what the cryptography itself proves: the JWE protected header as the hub
checks it (only the algorithms above, matching the recipient's key; no ``zip``, ``jku``, ``jwk``,
``x5u``, ``x5c`` or ``crit``; no duplicate members); the JWS protected header likewise (``alg``
PS256 for an RSA certificate, ES256 for a P-256 one; none of those members; an integer ``iat``;
``x5t#S256`` naming one of the sender's certificates, whose key must have made the signature); and
every metadata field equal to the envelope's. The JWS and JWE themselves are made and opened by
``client/compact.py`` on `cryptography` (decision 0020; keys are still joserfc key objects, which
callers hold). Interoperability with panva/jose (Node) is tested in
tests/functional/test_interop_node.py; vectors for vendors are in docs/testvectoren/.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc.jwk import ECKey, RSAKey

from knooppunt.client import compact
from knooppunt.client.compact import ALG_ES256, ALG_PS256, OngeldigeJose
from knooppunt.protocol.jwe import (
    ALG_EC,
    ALG_RSA,
    VERBODEN_LEDEN,
    OngeldigeJwe,
    b64url_encode,
    lees_kop,
)

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
_MAX_INHOUD = 24 * 1024 * 1024  # base64url of the largest ciphertext plus headers

Sleutel = RSAKey | ECKey


class OngeldigeEnvelop(ValueError):
    """The content cannot be trusted; ``reden`` is the weigering code to send to the hub."""

    def __init__(self, reden: str, detail: str) -> None:
        super().__init__(detail)
        self.reden = reden


class SleutelOntbreekt(OngeldigeEnvelop):
    """The message is sealed for a certificate whose private key was not given. The hub accepts
    only messages sealed for one of the recipient's own encryption certificates, so this is the
    recipient's gap (typically the key of its previous certificate after a change), not the
    sender's error: such a message is not to be refused."""

    def __init__(self, kid: str, bekend: Sequence[str]) -> None:
        super().__init__(
            "ONTSLEUTELING_MISLUKT",
            f"het bericht is versleuteld voor uw certificaat met kid {kid}, en de sleutel daarvan is "
            f"niet beschikbaar (wel die van: {', '.join(bekend) or 'geen enkel certificaat'}); "
            "zet de sleutel van dat (vorige) certificaat erbij en haal het bericht opnieuw op",
        )
        self.kid = kid


@dataclass(frozen=True, slots=True)
class _Certificaat:
    """What sealing and opening need of a certificate, computed once per certificate."""

    x5t: str
    sleutel: Sleutel
    publiek: compact.PubliekeSleutel
    ondertekenalg: str
    versleutelalg: str


_PER_OBJECT: dict[int, tuple[x509.Certificate, _Certificaat]] = {}
_MAX_PER_OBJECT = 1024


def _certificaat(cert: x509.Certificate) -> _Certificaat:
    """Found by the object first: hashing a certificate (as the cache by DER below does) hashes its
    DER, ~2 µs on every look-up, and a caller passes the same objects message after message. The
    entry holds the object, so its id cannot be reused while the entry exists."""
    gevonden = _PER_OBJECT.get(id(cert))
    if gevonden is not None and gevonden[0] is cert:
        return gevonden[1]
    info = _certificaat_van_der(cert)
    if len(_PER_OBJECT) >= _MAX_PER_OBJECT:
        _PER_OBJECT.clear()
    _PER_OBJECT[id(cert)] = (cert, info)
    return info


@lru_cache(maxsize=1024)
def _certificaat_van_der(cert: x509.Certificate) -> _Certificaat:
    # Keyed by the certificate (its DER): a PEM round trip and a SHA-256 per call cost more than
    # the ECDSA itself (docs/performance.md, "SDK: seal and open").
    publiek = cert.public_key()
    pem = publiek.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    x5t = b64url_encode(cert.fingerprint(hashes.SHA256()))
    if isinstance(publiek, rsa.RSAPublicKey) and publiek.key_size >= 2048:
        return _Certificaat(x5t, RSAKey.import_key(pem), publiek, ALG_PS256, ALG_RSA)
    if isinstance(publiek, ec.EllipticCurvePublicKey) and isinstance(publiek.curve, ec.SECP256R1):
        return _Certificaat(x5t, ECKey.import_key(pem), publiek, ALG_ES256, ALG_EC)
    raise ValueError("alleen RSA-sleutels van ten minste 2048 bits en P-256-sleutels worden ondersteund")


def kid_van(cert: x509.Certificate) -> str:
    """The ``x5t#S256`` (and JWE ``kid``) of a certificate: base64url SHA-256 of its DER."""
    return _certificaat(cert).x5t


def past_bij(sleutel: Sleutel, cert: x509.Certificate) -> bool:
    """Whether this key (private or public) is the key pair of this certificate."""
    return bool(sleutel.as_dict(private=False) == publieke_sleutel(cert).as_dict())


def publieke_sleutel(cert: x509.Certificate) -> Sleutel:
    return _certificaat(cert).sleutel


def prive_sleutel(pem: bytes) -> Sleutel:
    sleutel = serialization.load_pem_private_key(pem, password=None)
    if isinstance(sleutel, rsa.RSAPrivateKey) and sleutel.key_size >= 2048:
        return RSAKey.import_key(pem)
    if isinstance(sleutel, ec.EllipticCurvePrivateKey) and isinstance(sleutel.curve, ec.SECP256R1):
        return ECKey.import_key(pem)
    raise ValueError("alleen RSA-sleutels van ten minste 2048 bits en P-256-sleutels worden ondersteund")


def _ondertekenalg(sleutel: Sleutel) -> str:
    return ALG_PS256 if isinstance(sleutel, RSAKey) else ALG_ES256


def _versleutelalg(sleutel: Sleutel) -> str:
    return ALG_RSA if isinstance(sleutel, RSAKey) else ALG_EC


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
    prive = afzender_sleutel.private_key
    if prive is None:
        raise ValueError("verzegelen vraagt de privésleutel van de afzender, niet de publieke sleutel")
    kop: dict[str, Any] = {"alg": _ondertekenalg(afzender_sleutel), "typ": "JOSE", "cty": "json"}
    for veld in METADATA_VELDEN:
        kop[veld] = metadata.get(veld)
    kop["iat"] = iat
    kop["x5t#S256"] = kid_van(afzender_certificaat)
    getekend = compact.onderteken(kop, inhoud, prive)
    ontvanger = _certificaat(ontvanger_certificaat)
    return compact.versleutel(
        {"alg": ontvanger.versleutelalg, "enc": "A256GCM", "kid": ontvanger.x5t, "cty": "JWT"},
        getekend,
        ontvanger.publiek,
    )


@dataclass(frozen=True, slots=True)
class Geopend:
    payload: bytes
    kop: dict[str, Any]

    def json(self) -> Any:
        return json.loads(self.payload)


def _geen_dubbele(paren: list[tuple[str, Any]]) -> dict[str, Any]:
    resultaat = dict(paren)  # in C; only when a name was lost is the duplicate looked for
    if len(resultaat) != len(paren):
        gezien: set[str] = set()
        for sleutel, _ in paren:
            if sleutel in gezien:
                raise ValueError(f"'{sleutel}' staat er twee keer in")
            gezien.add(sleutel)
    return resultaat


def _handtekening_ongeldig(detail: str) -> OngeldigeEnvelop:
    return OngeldigeEnvelop("HANDTEKENING_ONGELDIG", detail)


def _jws_kop(kop_b64: bytes) -> dict[str, Any]:
    """Parse and check the JWS protected header before any key is chosen by it."""
    try:
        ruw = compact.ontb64url(kop_b64)
        kop = json.loads(ruw.decode("utf-8"), object_pairs_hook=_geen_dubbele)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _handtekening_ongeldig(f"de protected header van de JWS is ongeldig: {exc}") from exc
    if not isinstance(kop, dict):
        raise _handtekening_ongeldig("de protected header van de JWS is geen JSON-object")
    verboden = sorted(VERBODEN_LEDEN & kop.keys())
    if verboden:
        raise _handtekening_ongeldig(
            f"de protected header van de JWS bevat niet-toegestane leden: {', '.join(verboden)}"
        )
    if kop.get("alg") not in (ALG_PS256, ALG_ES256):
        raise _handtekening_ongeldig(
            f"JWS-alg {kop.get('alg')!r} is niet toegestaan (gebruik PS256 of ES256)"
        )
    iat = kop.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise _handtekening_ongeldig("de protected header van de JWS mist 'iat' (seconden sinds 1970)")
    if not isinstance(kop.get("x5t#S256"), str):
        raise _handtekening_ongeldig("de protected header van de JWS mist 'x5t#S256' van het certificaat")
    try:
        compact.controleer_jws_leden(kop)
    except OngeldigeJose as exc:
        raise _handtekening_ongeldig(str(exc)) from exc
    return kop


def open_(
    inhoud: str,
    *,
    ontvanger_sleutel: Sleutel | Mapping[str, Sleutel],
    afzender_certificaten: Sequence[x509.Certificate],
    envelop: Mapping[str, Any],
) -> Geopend:
    """Decrypt, verify the signature against the sender's certificate named in ``x5t#S256``, compare
    metadata. Raises ``OngeldigeEnvelop`` whose ``reden`` is the weigering code for the hub.

    ``ontvanger_sleutel``: the recipient's private key, or its keys by ``kid`` (the ``x5t#S256`` of
    each encryption certificate): after a certificate change, messages sealed for the previous
    certificate are still waiting, and the JWE's ``kid`` says which key opens each."""
    try:
        jwe_kop = lees_kop(inhoud, max_bytes=_MAX_INHOUD)
    except OngeldigeJwe as exc:
        raise OngeldigeEnvelop("ONTSLEUTELING_MISLUKT", f"de JWE is niet toegestaan: {exc}") from exc
    if isinstance(ontvanger_sleutel, Mapping):
        gekozen = ontvanger_sleutel.get(jwe_kop.kid)
        if gekozen is None:
            raise SleutelOntbreekt(jwe_kop.kid, sorted(ontvanger_sleutel))
        ontvanger_sleutel = gekozen
    if jwe_kop.alg != _versleutelalg(ontvanger_sleutel):
        raise OngeldigeEnvelop(
            "ONTSLEUTELING_MISLUKT",
            f"de JWE gebruikt {jwe_kop.alg}, maar de sleutel van de ontvanger vraagt "
            f"{_versleutelalg(ontvanger_sleutel)}",
        )
    prive = ontvanger_sleutel.private_key
    if prive is None:
        raise OngeldigeEnvelop("ONTSLEUTELING_MISLUKT", "ontsleutelen vraagt een privésleutel")
    try:
        getekend = compact.ontsleutel(inhoud.split("."), jwe_kop.header, prive, epk=jwe_kop.epk)
    except OngeldigeJose as exc:
        raise OngeldigeEnvelop("ONTSLEUTELING_MISLUKT", f"ontsleutelen mislukt: {exc}") from exc
    try:
        delen = compact.splits_jws(getekend)
    except OngeldigeJose as exc:
        raise _handtekening_ongeldig(str(exc)) from exc
    if delen is None:
        raise _handtekening_ongeldig("de inhoud is niet ondertekend (geen JWS in compact serialization)")
    kop = _jws_kop(delen[0])
    info = next((i for c in afzender_certificaten if (i := _certificaat(c)).x5t == kop["x5t#S256"]), None)
    if info is None:
        raise _handtekening_ongeldig(
            "x5t#S256 in de handtekening noemt geen certificaat van de afzender in het adresboek"
        )
    if kop["alg"] != info.ondertekenalg:
        raise _handtekening_ongeldig(
            f"JWS-alg {kop['alg']} past niet bij de sleutel van het certificaat ({info.ondertekenalg})"
        )
    try:
        payload = compact.verifieer(*delen, kop["alg"], info.publiek)
    except OngeldigeJose as exc:
        raise _handtekening_ongeldig(f"handtekening ongeldig: {exc}") from exc
    for veld in METADATA_VELDEN:
        if kop.get(veld) != envelop.get(veld):
            raise OngeldigeEnvelop(
                "METADATA_ONJUIST",
                f"{veld} in de handtekening ({json.dumps(kop.get(veld))}) wijkt af van de envelop "
                f"({json.dumps(envelop.get(veld))})",
            )
    return Geopend(payload=payload, kop=kop)
