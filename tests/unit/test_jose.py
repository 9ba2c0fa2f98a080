"""The sign-then-encrypt envelope of DESIGN §5 (knooppunt.client.jose): what it opens, and what it
refuses with which ``reden`` (the weigering code the recipient sends to the hub)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from joserfc import jwe
from joserfc.jwe import JWERegistry
from joserfc.jws import JWSRegistry

from knooppunt.client import jose
from knooppunt.client.jose import OngeldigeEnvelop
from knooppunt.pki import ontwikkel_ca
from knooppunt.protocol.payloads import valideer
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from tests.factories import Partij

PAREN = {
    "rsa": ("kredietbank", "energie"),
    "ec": ("gemeente", "belasting"),
    "rsa-naar-ec": ("kredietbank", "belasting"),
    "ec-naar-rsa": ("gemeente", "energie"),
}


def _metadata(afzender: Partij, ontvanger: Partij, **anders: Any) -> dict[str, Any]:
    return {
        "referentienummer": str(uuid.uuid4()),
        "conversatieReferentienummer": str(uuid.uuid4()),
        "crossReferentienummer": None,
        "module": "schuldregeling",
        "berichttype": "saldoverzoek",
        "versie": "1.0",
        "afzender": afzender.oin,
        "ontvanger": ontvanger.oin,
        **anders,
    }


def _zegel(afzender: Partij, ontvanger: Partij, metadata: dict[str, Any], payload: Any = None) -> str:
    return jose.verzegel(
        payload if payload is not None else voorbeeld("schuldregeling", "saldoverzoek"),
        metadata=metadata,
        iat=int(time.time()),
        afzender_sleutel=afzender.sleutel,
        afzender_certificaat=afzender.certificaat,
        ontvanger_certificaat=ontvanger.certificaat,
    )


def _open(inhoud: str, afzender: Partij, ontvanger: Partij, metadata: dict[str, Any]) -> jose.Geopend:
    return jose.open_(
        inhoud,
        ontvanger_sleutel=ontvanger.sleutel,
        afzender_certificaten=[afzender.certificaat],
        envelop=metadata,
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jws(kop: dict[str, Any], payload: bytes, sleutel: jose.Sleutel, alg: str | None = None) -> bytes:
    """A compact JWS with exactly this header (no library checks in the way), signed for real."""
    invoer = f"{_b64(json.dumps(kop).encode())}.{_b64(payload)}".encode("ascii")
    model = JWSRegistry.algorithms[alg or kop["alg"]]
    return invoer + b"." + _b64(model.sign(invoer, sleutel)).encode("ascii")


_WEG = object()
_RUIM = JWERegistry(algorithms=["RSA-OAEP-256", "ECDH-ES+A256KW", "A256GCM", "DEF"])


def _jwe(inhoud: bytes, ontvanger: x509.Certificate, **extra: Any) -> str:
    """A JWE for this certificate around any plaintext, with extra protected header members."""
    sleutel = jose.publieke_sleutel(ontvanger)
    alg = "RSA-OAEP-256" if isinstance(sleutel, jose.RSAKey) else "ECDH-ES+A256KW"
    kop = {"alg": alg, "enc": "A256GCM", "kid": jose.kid_van(ontvanger), "cty": "JWT", **extra}
    return jwe.encrypt_compact(kop, inhoud, sleutel, registry=_RUIM)


def _kop(afzender: Partij, metadata: dict[str, Any], **anders: Any) -> dict[str, Any]:
    alg = "PS256" if isinstance(afzender.sleutel, jose.RSAKey) else "ES256"
    kop = {"alg": alg, "typ": "JOSE", "cty": "json", **metadata, "iat": int(time.time())}
    kop["x5t#S256"] = jose.kid_van(afzender.certificaat)
    return {k: v for k, v in {**kop, **anders}.items() if v is not _WEG}


def _verwacht(exc: pytest.ExceptionInfo[OngeldigeEnvelop], reden: str) -> None:
    assert exc.value.reden == reden, f"{exc.value.reden}: {exc.value}"


# --- what opens --------------------------------------------------------------------------------------


@pytest.mark.parametrize("paar", PAREN)
def test_verzegeld_bericht_opent_en_de_payload_is_geldig(pki: dict[str, Partij], paar: str) -> None:
    afzender, ontvanger = (pki[n] for n in PAREN[paar])
    metadata = _metadata(afzender, ontvanger)
    payload = voorbeeld("schuldregeling", "saldoverzoek")
    inhoud = _zegel(afzender, ontvanger, metadata, payload)

    kop = json.loads(base64.urlsafe_b64decode(inhoud.split(".")[0] + "=="))
    ontvanger_rsa = isinstance(ontvanger.sleutel, jose.RSAKey)
    assert kop["alg"] == ("RSA-OAEP-256" if ontvanger_rsa else "ECDH-ES+A256KW")
    assert kop["enc"] == "A256GCM"
    assert kop["kid"] == jose.kid_van(ontvanger.certificaat)

    geopend = _open(inhoud, afzender, ontvanger, metadata)
    assert geopend.json() == payload
    assert geopend.kop["alg"] == ("PS256" if isinstance(afzender.sleutel, jose.RSAKey) else "ES256")
    assert {k: geopend.kop[k] for k in jose.METADATA_VELDEN} == metadata
    assert geopend.kop["x5t#S256"] == jose.kid_van(afzender.certificaat)
    assert isinstance(geopend.kop["iat"], int)
    valideer("schuldregeling", "saldoverzoek", "1.0", geopend.payload)


def test_kid_is_de_sha256_van_het_certificaat(pki: dict[str, Partij]) -> None:
    import hashlib

    from cryptography.hazmat.primitives import serialization

    cert = pki["energie"].certificaat
    der = cert.public_bytes(serialization.Encoding.DER)
    assert jose.kid_van(cert) == _b64(hashlib.sha256(der).digest())


def test_na_certificaatwissel_opent_een_bericht_van_het_nieuwe_certificaat(
    pki: dict[str, Partij], tmp_path: Path, pki_dir: Path
) -> None:
    afzender, ontvanger = pki["kredietbank"], pki["energie"]
    nieuw = _tweede_certificaat(afzender, pki_dir, tmp_path)
    metadata = _metadata(afzender, ontvanger)
    inhoud = jose.verzegel(
        {"a": 1},
        metadata=metadata,
        iat=1,
        afzender_sleutel=jose.prive_sleutel(nieuw.sleutel.read_bytes()),
        afzender_certificaat=_cert(nieuw.certificaat),
        ontvanger_certificaat=ontvanger.certificaat,
    )
    geopend = jose.open_(
        inhoud,
        ontvanger_sleutel=ontvanger.sleutel,
        afzender_certificaten=[afzender.certificaat, _cert(nieuw.certificaat)],
        envelop=metadata,
    )
    assert geopend.json() == {"a": 1}


def test_na_certificaatwissel_van_de_ontvanger_opent_elk_bericht_met_de_sleutel_die_de_kid_noemt(
    pki: dict[str, Partij], tmp_path: Path, pki_dir: Path
) -> None:
    """Messages sealed for the recipient's previous certificate still wait in the mailbox after a
    certificate change (DESIGN §5: retired certificates stay listed); the JWE kid picks the key."""
    afzender, ontvanger = pki["kredietbank"], pki["energie"]
    nieuw = _tweede_certificaat(ontvanger, pki_dir, tmp_path)
    nieuw_cert, nieuwe_sleutel = _cert(nieuw.certificaat), jose.prive_sleutel(nieuw.sleutel.read_bytes())
    sleutels = {
        jose.kid_van(ontvanger.certificaat): ontvanger.sleutel,
        jose.kid_van(nieuw_cert): nieuwe_sleutel,
    }
    for cert in (ontvanger.certificaat, nieuw_cert):
        metadata = _metadata(afzender, ontvanger)
        inhoud = jose.verzegel(
            {"voor": jose.kid_van(cert)},
            metadata=metadata,
            iat=1,
            afzender_sleutel=afzender.sleutel,
            afzender_certificaat=afzender.certificaat,
            ontvanger_certificaat=cert,
        )
        geopend = jose.open_(
            inhoud, ontvanger_sleutel=sleutels, afzender_certificaten=[afzender.certificaat], envelop=metadata
        )
        assert geopend.json() == {"voor": jose.kid_van(cert)}

    # Without the old key, the message sealed for the old certificate says which key is missing.
    metadata = _metadata(afzender, ontvanger)
    oud = _zegel(afzender, ontvanger, metadata)
    with pytest.raises(OngeldigeEnvelop) as exc:
        jose.open_(
            oud,
            ontvanger_sleutel={jose.kid_van(nieuw_cert): nieuwe_sleutel},
            afzender_certificaten=[afzender.certificaat],
            envelop=metadata,
        )
    _verwacht(exc, "ONTSLEUTELING_MISLUKT")
    assert jose.kid_van(ontvanger.certificaat) in str(exc.value)


# --- what is refused -----------------------------------------------------------------------------------


@pytest.mark.parametrize("deel", [1, 2, 3, 4], ids=["encrypted-key", "iv", "ciphertext", "tag"])
@pytest.mark.parametrize("paar", ["rsa", "ec"])
def test_gemanipuleerde_jwe_ontsleutelt_niet(pki: dict[str, Partij], paar: str, deel: int) -> None:
    afzender, ontvanger = (pki[n] for n in PAREN[paar])
    metadata = _metadata(afzender, ontvanger)
    delen = _zegel(afzender, ontvanger, metadata).split(".")
    if deel == 1 and not delen[1]:
        pytest.skip("geen encrypted key")
    ruw = bytearray(base64.urlsafe_b64decode(delen[deel] + "=="))
    ruw[len(ruw) // 2] ^= 0x01
    delen[deel] = _b64(bytes(ruw))
    with pytest.raises(OngeldigeEnvelop) as exc:
        _open(".".join(delen), afzender, ontvanger, metadata)
    _verwacht(exc, "ONTSLEUTELING_MISLUKT")


def test_gewijzigde_jwe_header_ontsleutelt_niet(pki: dict[str, Partij]) -> None:
    afzender, ontvanger = pki["kredietbank"], pki["energie"]
    metadata = _metadata(afzender, ontvanger)
    delen = _zegel(afzender, ontvanger, metadata).split(".")
    kop = json.loads(base64.urlsafe_b64decode(delen[0] + "=="))
    delen[0] = _b64(json.dumps({**kop, "cty": "json"}).encode())  # the header is the GCM AAD
    with pytest.raises(OngeldigeEnvelop) as exc:
        _open(".".join(delen), afzender, ontvanger, metadata)
    _verwacht(exc, "ONTSLEUTELING_MISLUKT")


@pytest.mark.parametrize(
    ("bedoeld", "opener"),
    [("energie", "woning"), ("belasting", "zorg"), ("belasting", "energie"), ("energie", "zorg")],
)
def test_versleuteld_voor_een_andere_ontvanger(pki: dict[str, Partij], bedoeld: str, opener: str) -> None:
    afzender = pki["kredietbank"]
    metadata = _metadata(afzender, pki[bedoeld])
    inhoud = _zegel(afzender, pki[bedoeld], metadata)
    with pytest.raises(OngeldigeEnvelop) as exc:
        jose.open_(
            inhoud,
            ontvanger_sleutel=pki[opener].sleutel,
            afzender_certificaten=[afzender.certificaat],
            envelop=metadata,
        )
    _verwacht(exc, "ONTSLEUTELING_MISLUKT")


@pytest.mark.parametrize("veld", jose.METADATA_VELDEN)
@pytest.mark.parametrize("paar", ["rsa", "ec"])
def test_omgelabeld_bericht_wordt_geweigerd(pki: dict[str, Partij], paar: str, veld: str) -> None:
    """A ciphertext replayed or re-pointed under other envelope metadata (DESIGN §5)."""
    afzender, ontvanger = (pki[n] for n in PAREN[paar])
    metadata = _metadata(afzender, ontvanger, crossReferentienummer=str(uuid.uuid4()))
    inhoud = _zegel(afzender, ontvanger, metadata)
    anders = {
        "referentienummer": str(uuid.uuid4()),
        "conversatieReferentienummer": str(uuid.uuid4()),
        "crossReferentienummer": None,  # also "no longer an answer" is a different label
        "module": "waarborgfonds",
        "berichttype": "betaalvoorstel",
        "versie": "2.0",
        "afzender": pki["woning"].oin,
        "ontvanger": pki["zorg"].oin,
    }[veld]
    with pytest.raises(OngeldigeEnvelop, match=veld) as exc:
        _open(inhoud, afzender, ontvanger, {**metadata, veld: anders})
    _verwacht(exc, "METADATA_ONJUIST")


def test_onondertekende_inhoud_wordt_geweigerd(pki: dict[str, Partij]) -> None:
    afzender, ontvanger = pki["kredietbank"], pki["energie"]
    metadata = _metadata(afzender, ontvanger)
    payload = json.dumps(voorbeeld("schuldregeling", "saldoverzoek")).encode()
    with pytest.raises(OngeldigeEnvelop, match="niet ondertekend") as exc:
        _open(_jwe(payload, ontvanger.certificaat), afzender, ontvanger, metadata)
    _verwacht(exc, "HANDTEKENING_ONGELDIG")


def test_handtekening_met_een_andere_sleutel_dan_die_van_de_afzender(pki: dict[str, Partij]) -> None:
    """Signed by another participant's key, x5t#S256 naming the real sender's certificate."""
    afzender, ontvanger, vervalser = pki["kredietbank"], pki["energie"], pki["woning"]
    metadata = _metadata(afzender, ontvanger)
    getekend = _jws(_kop(afzender, metadata), b'{"a":1}', vervalser.sleutel)
    with pytest.raises(OngeldigeEnvelop, match="handtekening ongeldig") as exc:
        _open(_jwe(getekend, ontvanger.certificaat), afzender, ontvanger, metadata)
    _verwacht(exc, "HANDTEKENING_ONGELDIG")


def test_correct_verzegeld_door_een_ander_dan_de_afzender(pki: dict[str, Partij]) -> None:
    """A complete, valid message by another participant, presented as the sender's."""
    afzender, ontvanger, vervalser = pki["kredietbank"], pki["energie"], pki["woning"]
    metadata = _metadata(afzender, ontvanger)
    inhoud = _zegel(vervalser, ontvanger, metadata)
    with pytest.raises(OngeldigeEnvelop, match="geen certificaat van de afzender") as exc:
        _open(inhoud, afzender, ontvanger, metadata)
    _verwacht(exc, "HANDTEKENING_ONGELDIG")


def test_x5t_noemt_een_ander_certificaat_van_de_afzender(
    pki: dict[str, Partij], tmp_path: Path, pki_dir: Path
) -> None:
    """Signed with the new key, but x5t#S256 names the old certificate: refused, not re-tried."""
    afzender, ontvanger = pki["kredietbank"], pki["energie"]
    nieuw = _tweede_certificaat(afzender, pki_dir, tmp_path)
    metadata = _metadata(afzender, ontvanger)
    getekend = _jws(_kop(afzender, metadata), b'{"a":1}', jose.prive_sleutel(nieuw.sleutel.read_bytes()))
    with pytest.raises(OngeldigeEnvelop, match="handtekening ongeldig") as exc:
        jose.open_(
            _jwe(getekend, ontvanger.certificaat),
            ontvanger_sleutel=ontvanger.sleutel,
            afzender_certificaten=[afzender.certificaat, _cert(nieuw.certificaat)],
            envelop=metadata,
        )
    _verwacht(exc, "HANDTEKENING_ONGELDIG")


def test_x5t_noemt_een_certificaat_van_een_ander(pki: dict[str, Partij]) -> None:
    afzender, ontvanger = pki["kredietbank"], pki["energie"]
    metadata = _metadata(afzender, ontvanger)
    kop = _kop(afzender, metadata, **{"x5t#S256": jose.kid_van(pki["woning"].certificaat)})
    getekend = _jws(kop, b'{"a":1}', afzender.sleutel)
    with pytest.raises(OngeldigeEnvelop, match="geen certificaat van de afzender") as exc:
        _open(_jwe(getekend, ontvanger.certificaat), afzender, ontvanger, metadata)
    _verwacht(exc, "HANDTEKENING_ONGELDIG")


@pytest.mark.parametrize(
    ("afzender_naam", "kop_alg", "teken_alg", "match"),
    [
        ("kredietbank", "RS256", "RS256", "niet toegestaan"),  # RSA PKCS#1 v1.5: not in DESIGN §5
        ("kredietbank", "ES256", "PS256", "past niet bij"),  # an EC alg claimed for an RSA certificate
        ("gemeente", "PS256", "ES256", "past niet bij"),
        ("kredietbank", "none", "PS256", "niet toegestaan"),
        ("gemeente", "HS256", "ES256", "niet toegestaan"),
    ],
)
def test_jws_alg_moet_ps256_of_es256_zijn_en_bij_de_sleutel_passen(
    pki: dict[str, Partij], afzender_naam: str, kop_alg: str, teken_alg: str, match: str
) -> None:
    afzender, ontvanger = pki[afzender_naam], pki["energie"]
    metadata = _metadata(afzender, ontvanger)
    getekend = _jws(_kop(afzender, metadata, alg=kop_alg), b'{"a":1}', afzender.sleutel, alg=teken_alg)
    with pytest.raises(OngeldigeEnvelop, match=match) as exc:
        _open(_jwe(getekend, ontvanger.certificaat), afzender, ontvanger, metadata)
    _verwacht(exc, "HANDTEKENING_ONGELDIG")


@pytest.mark.parametrize(
    ("lid", "waarde"),
    [
        ("crit", ["referentienummer"]),
        ("jku", "https://aanvaller.example/jwks.json"),
        ("jwk", {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}),
        ("x5u", "https://aanvaller.example/cert.pem"),
        ("x5c", ["MIIB"]),
    ],
)
@pytest.mark.parametrize("paar", ["rsa", "ec"])
def test_verboden_leden_in_de_jws_header(pki: dict[str, Partij], paar: str, lid: str, waarde: Any) -> None:
    afzender, ontvanger = (pki[n] for n in PAREN[paar])
    metadata = _metadata(afzender, ontvanger)
    getekend = _jws(_kop(afzender, metadata, **{lid: waarde}), b'{"a":1}', afzender.sleutel)
    with pytest.raises(OngeldigeEnvelop, match=f"niet-toegestane leden: {lid}") as exc:
        _open(_jwe(getekend, ontvanger.certificaat), afzender, ontvanger, metadata)
    _verwacht(exc, "HANDTEKENING_ONGELDIG")


@pytest.mark.parametrize(
    ("lid", "waarde"),
    [
        ("zip", "DEF"),
        ("crit", ["kid"]),
        ("jku", "https://aanvaller.example/jwks.json"),
        ("x5u", "https://aanvaller.example/cert.pem"),
        ("x5c", ["MIIB"]),
    ],
)
def test_verboden_leden_in_de_jwe_header(pki: dict[str, Partij], lid: str, waarde: Any) -> None:
    afzender, ontvanger = pki["gemeente"], pki["energie"]
    metadata = _metadata(afzender, ontvanger)
    getekend = _jws(_kop(afzender, metadata), b'{"a":1}', afzender.sleutel)
    inhoud = _jwe(getekend, ontvanger.certificaat, **{lid: waarde})
    with pytest.raises(OngeldigeEnvelop, match=f"niet-toegestane leden: {lid}") as exc:
        _open(inhoud, afzender, ontvanger, metadata)
    _verwacht(exc, "ONTSLEUTELING_MISLUKT")


@pytest.mark.parametrize("iat", [_WEG, "1700000000", None, 1.5, True])
def test_jws_zonder_geheel_getal_iat_wordt_geweigerd(pki: dict[str, Partij], iat: Any) -> None:
    afzender, ontvanger = pki["gemeente"], pki["belasting"]
    metadata = _metadata(afzender, ontvanger)
    getekend = _jws(_kop(afzender, metadata, iat=iat), b'{"a":1}', afzender.sleutel)
    with pytest.raises(OngeldigeEnvelop, match="iat") as exc:
        _open(_jwe(getekend, ontvanger.certificaat), afzender, ontvanger, metadata)
    _verwacht(exc, "HANDTEKENING_ONGELDIG")


def test_dubbel_lid_in_de_jws_header_wordt_geweigerd(pki: dict[str, Partij]) -> None:
    """Parsers differ in which of two equal names they keep; the envelope must not depend on it."""
    afzender, ontvanger = pki["gemeente"], pki["belasting"]
    metadata = _metadata(afzender, ontvanger)
    kop = json.dumps(_kop(afzender, metadata))
    dubbel = kop[:-1] + f', "ontvanger": "{pki["zorg"].oin}"}}'
    invoer = f"{_b64(dubbel.encode())}.{_b64(b'{}')}".encode("ascii")
    getekend = invoer + b"." + _b64(JWSRegistry.algorithms["ES256"].sign(invoer, afzender.sleutel)).encode()
    with pytest.raises(OngeldigeEnvelop, match="twee keer") as exc:
        _open(_jwe(getekend, ontvanger.certificaat), afzender, ontvanger, metadata)
    _verwacht(exc, "HANDTEKENING_ONGELDIG")


def test_geen_jwe_maar_iets_anders(pki: dict[str, Partij]) -> None:
    afzender, ontvanger = pki["gemeente"], pki["belasting"]
    metadata = _metadata(afzender, ontvanger)
    getekend = _jws(_kop(afzender, metadata), b'{"a":1}', afzender.sleutel).decode()
    with pytest.raises(OngeldigeEnvelop, match="5 delen") as exc:
        _open(getekend, afzender, ontvanger, metadata)  # a bare JWS: signed but not encrypted
    _verwacht(exc, "ONTSLEUTELING_MISLUKT")


# --- what a JOSE library checks of the serialization (joserfc did until decision 0020) ----------------

_VRIJ = JWERegistry(algorithms=["RSA-OAEP-256", "ECDH-ES+A256KW", "A256GCM"], strict_check_header=False)


def test_jwe_van_joserfc_met_apu_en_apv_opent(pki: dict[str, Partij]) -> None:
    """apu and apv enter the Concat KDF (RFC 7518 §4.6.2); joserfc is the independent implementation."""
    afzender, ontvanger = pki["gemeente"], pki["belasting"]
    metadata = _metadata(afzender, ontvanger)
    getekend = _jws(_kop(afzender, metadata), b'{"a":1}', afzender.sleutel)
    inhoud = _jwe(getekend, ontvanger.certificaat, apu=_b64(b"Alice"), apv=_b64(b"Bob"))
    assert _open(inhoud, afzender, ontvanger, metadata).json() == {"a": 1}


@pytest.mark.parametrize("ontvanger_naam", ["energie", "belasting"])
def test_onbekend_lid_in_de_jwe_header_wordt_geweigerd(pki: dict[str, Partij], ontvanger_naam: str) -> None:
    afzender, ontvanger = pki["gemeente"], pki[ontvanger_naam]
    metadata = _metadata(afzender, ontvanger)
    getekend = _jws(_kop(afzender, metadata), b'{"a":1}', afzender.sleutel)
    kop = {"alg": "ECDH-ES+A256KW" if ontvanger_naam == "belasting" else "RSA-OAEP-256", "enc": "A256GCM"}
    kop |= {"kid": jose.kid_van(ontvanger.certificaat), "extra": "x"}
    inhoud = jwe.encrypt_compact(kop, getekend, jose.publieke_sleutel(ontvanger.certificaat), registry=_VRIJ)
    with pytest.raises(OngeldigeEnvelop, match="onbekende leden: extra") as exc:
        _open(inhoud, afzender, ontvanger, metadata)
    _verwacht(exc, "ONTSLEUTELING_MISLUKT")


def test_epk_die_geen_punt_op_p256_is_wordt_geweigerd(pki: dict[str, Partij]) -> None:
    afzender, ontvanger = pki["gemeente"], pki["belasting"]
    metadata = _metadata(afzender, ontvanger)
    delen = _zegel(afzender, ontvanger, metadata).split(".")
    kop = json.loads(base64.urlsafe_b64decode(delen[0] + "=="))
    kop["epk"]["y"] = kop["epk"]["x"]  # (x, x) is not on the curve
    delen[0] = _b64(json.dumps(kop).encode())
    with pytest.raises(OngeldigeEnvelop, match="epk") as exc:
        _open(".".join(delen), afzender, ontvanger, metadata)
    _verwacht(exc, "ONTSLEUTELING_MISLUKT")


def test_een_epk_die_de_headercontrole_al_las_wordt_gebruikt(pki: dict[str, Partij]) -> None:
    """compact.ontsleutel decrypts with the ephemeral key the header check built (JweKop.epk), not
    with a second import of the header's point: another key there and the content does not open."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from knooppunt.client import compact
    from knooppunt.protocol.jwe import lees_kop

    afzender, ontvanger = pki["gemeente"], pki["belasting"]
    inhoud = _zegel(afzender, ontvanger, _metadata(afzender, ontvanger))
    kop = lees_kop(inhoud, max_bytes=len(inhoud))
    prive = ontvanger.sleutel.private_key
    assert isinstance(prive, ec.EllipticCurvePrivateKey)
    punt = kop.header["epk"]
    x, y = (base64.urlsafe_b64decode(punt[c] + "==") for c in ("x", "y"))
    goed = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    assert compact.ontsleutel(inhoud.split("."), kop.header, prive, epk=goed).count(b".") == 2
    ander = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(compact.OngeldigeJose, match="klopt niet"):
        compact.ontsleutel(inhoud.split("."), kop.header, prive, epk=ander)


def test_te_lange_jwe_header_wordt_geweigerd(pki: dict[str, Partij]) -> None:
    afzender, ontvanger = pki["gemeente"], pki["energie"]
    metadata = _metadata(afzender, ontvanger)
    getekend = _jws(_kop(afzender, metadata), b'{"a":1}', afzender.sleutel)
    with pytest.raises(OngeldigeEnvelop, match="hoogstens 1024") as exc:
        _open(_jwe(getekend, ontvanger.certificaat, typ="x" * 800), afzender, ontvanger, metadata)
    _verwacht(exc, "ONTSLEUTELING_MISLUKT")


def test_niet_canonieke_base64url_in_de_handtekening_wordt_geweigerd(pki: dict[str, Partij]) -> None:
    """The same signature bytes under another last character: the JWS would be malleable."""
    afzender, ontvanger = pki["gemeente"], pki["energie"]
    metadata = _metadata(afzender, ontvanger)
    kop, payload, handtekening = _jws(_kop(afzender, metadata), b'{"a":1}', afzender.sleutel).split(b".")
    assert len(handtekening) % 4 == 2  # 64 bytes: the last character carries 4 unused bits
    anders = handtekening[:-1] + bytes([handtekening[-1] + 1])
    assert base64.urlsafe_b64decode(anders + b"==") == base64.urlsafe_b64decode(handtekening + b"==")
    with pytest.raises(OngeldigeEnvelop, match="canonieke") as exc:
        _open(_jwe(b".".join((kop, payload, anders)), ontvanger.certificaat), afzender, ontvanger, metadata)
    _verwacht(exc, "HANDTEKENING_ONGELDIG")


def test_es256_handtekening_in_der_wordt_geweigerd(pki: dict[str, Partij]) -> None:
    """ES256 is raw R || S (RFC 7518 §3.4); a DER signature is a known interop mistake."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    afzender, ontvanger = pki["gemeente"], pki["energie"]
    metadata = _metadata(afzender, ontvanger)
    invoer = f"{_b64(json.dumps(_kop(afzender, metadata)).encode())}.{_b64(b'{}')}".encode("ascii")
    prive = afzender.sleutel.private_key
    assert isinstance(prive, ec.EllipticCurvePrivateKey)
    getekend = invoer + b"." + _b64(prive.sign(invoer, ec.ECDSA(hashes.SHA256()))).encode("ascii")
    with pytest.raises(OngeldigeEnvelop, match="handtekening ongeldig") as exc:
        _open(_jwe(getekend, ontvanger.certificaat), afzender, ontvanger, metadata)
    _verwacht(exc, "HANDTEKENING_ONGELDIG")


@pytest.mark.parametrize(
    ("anders", "match"),
    [
        ({"b64": False}, "b64"),  # RFC 7797 unencoded payload: needs crit, which is refused
        ({"kid": 7}, "'kid'"),
        ({"typ": ["JOSE"]}, "'typ'"),
        ({"opvulling": "x" * 1600}, "maximum is 2048"),
    ],
)
def test_jws_header_wordt_als_jose_gecontroleerd(
    pki: dict[str, Partij], anders: dict[str, Any], match: str
) -> None:
    afzender, ontvanger = pki["kredietbank"], pki["energie"]
    metadata = _metadata(afzender, ontvanger)
    getekend = _jws(_kop(afzender, metadata, **anders), b'{"a":1}', afzender.sleutel)
    with pytest.raises(OngeldigeEnvelop, match=match) as exc:
        _open(_jwe(getekend, ontvanger.certificaat), afzender, ontvanger, metadata)
    _verwacht(exc, "HANDTEKENING_ONGELDIG")


# --- helpers that need the PKI on disk ---------------------------------------------------------------


def _cert(pad: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pad.read_bytes())


def _tweede_certificaat(partij: Partij, pki_dir: Path, tmp_path: Path) -> ontwikkel_ca.UitgegevenCertificaat:
    """A second certificate for the same OIN (a key rollover), written outside the shared PKI dir."""
    return ontwikkel_ca.issue(
        pki_dir, oin=partij.oin, naam=partij.naam, key_type="rsa", basisnaam="nieuw", uit_map=tmp_path
    )
