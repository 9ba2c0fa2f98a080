"""SDK: seal and open, per core, beside the bare `cryptography` primitives (DESIGN §5).

    python bench/sdk.py [--quick] [--seconden 1] [--rondes 9]
    python bench/run.py --scenario sdk

seal  = knooppunt.client.jose.verzegel: JWS (PS256 / ES256) over the payload with the envelope
        metadata in its protected header, then a compact JWE (RSA-OAEP-256 / ECDH-ES+A256KW, A256GCM).
open  = jose.open_ (both headers checked, decrypt, verify, metadata compared) + payloads.valideer;
        "open w/o valideer" is jose.open_ alone (the bare side never validates a payload);
        "open via HubClient" is HubClient.open of an inbox envelope, what a vendor's code calls:
        the replay register, the sender's certificates from the (cached) adresboek checked against
        the trust anchors and the OIN, jose.open_, valideer and the payload as a dict. Its adresboek
        answers come from an httpx.MockTransport, asked only during the warm-up (then cached).
bare  = the same primitives straight through `cryptography`, plus only the base64url framing a compact
        serialization needs: RSA-PSS sign + RSA-OAEP encrypt of a 32-byte CEK + AES-256-GCM; ECDSA
        P-256 sign + ephemeral ECDH + concat KDF + AES key wrap + AES-256-GCM; and the reverse (no
        header checks, no payload validation). In the same process, interleaved with the SDK. Like
        the SDK (which caches them per certificate) it holds its key objects, public keys and fixed
        headers from the start, and uses the quickest plain base64url (binascii) and EC point import
        (from_encoded_point); the SDK's seal also serializes the payload dict to JSON, the bare side
        starts from the bytes.

The payload is a realistic ~2 KB saldoverzoek_antwoord (the catalogue example with more vorderingen).
Figures are CPU seconds per operation (time.process_time, this process only), so another process on
a shared machine slows the wall clock but hardly the figure; wall time is printed beside it. Each
measurement runs in several short rounds, SDK and bare interleaved, and the best round counts (as
with timeit: interference only adds time); the median is kept in the JSON results.
"""

from __future__ import annotations

import argparse
import binascii
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHash

from knooppunt.client import jose
from knooppunt.client.hub import HubClient, Ontvangen
from knooppunt.pki import ontwikkel_ca
from knooppunt.protocol.payloads import valideer
from knooppunt.protocol.payloads.voorbeelden import voorbeeld

MODULE, CODE, VERSIE = "schuldregeling", "saldoverzoek_antwoord", "1.0"
AFZENDER, ONTVANGER = "00000003710000010000", "00000003720000010000"
DOEL_BYTES = 2048
OPS = {"seal": "seal", "open": "open", "open_": "open w/o valideer", "hub": "open via HubClient"}


def payload() -> dict[str, Any]:
    """The catalogue example of a saldoverzoek_antwoord, with vorderingen added until ~2 KB."""
    p = voorbeeld(MODULE, CODE, VERSIE)
    eerste = p["vorderingen"][0]
    i = 0
    while len(json.dumps(p, ensure_ascii=False)) < DOEL_BYTES - 150:
        i += 1
        p["vorderingen"].append({**eerste, "factuurnummerSE": f"F-2023-{56000 + i}"})
        p["vorderingen"][-1].pop("factuurnummerSEVolgensSHV", None)
    valideer(MODULE, CODE, VERSIE, p)
    return p


_NAAR_URL = bytes.maketrans(b"+/", b"-_")
_NAAR_STANDAARD = bytes.maketrans(b"-_", b"+/")


def _b64(data: bytes) -> bytes:
    return binascii.b2a_base64(data, newline=False).translate(_NAAR_URL).rstrip(b"=")


def _unb64(data: bytes) -> bytes:
    return binascii.a2b_base64(data.translate(_NAAR_STANDAARD) + b"=" * (-len(data) % 4))


# --- the bare primitives -------------------------------------------------------------------------

_SHA256 = hashes.SHA256()
_PSS = padding.PSS(mgf=padding.MGF1(_SHA256), salt_length=32)
_OAEP = padding.OAEP(mgf=padding.MGF1(_SHA256), algorithm=_SHA256, label=None)
_ECDSA = ec.ECDSA(_SHA256)


@dataclass
class Kaal:
    """Sign-then-encrypt with nothing but `cryptography` and base64url, for one key type. Like the
    SDK (which caches them per certificate), it holds the key objects and the fixed header parts
    ready; per message it does only what every message needs."""

    afzender: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    ontvanger: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    jws_kop: bytes
    jwe_kop: dict[str, Any]

    def __post_init__(self) -> None:
        self.afzender_publiek = self.afzender.public_key()
        self.ontvanger_publiek = self.ontvanger.public_key()
        self.jwe_kop_b64 = _b64(json.dumps(self.jwe_kop).encode())

    def seal(self, data: bytes) -> bytes:
        invoer = self.jws_kop + b"." + _b64(data)
        if isinstance(self.afzender, rsa.RSAPrivateKey):
            handtekening = self.afzender.sign(invoer, _PSS, _SHA256)
        else:
            r, s = decode_dss_signature(self.afzender.sign(invoer, _ECDSA))
            handtekening = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        jws = invoer + b"." + _b64(handtekening)
        cek, iv = os.urandom(32), os.urandom(12)
        ontvanger_publiek = self.ontvanger_publiek
        if isinstance(ontvanger_publiek, rsa.RSAPublicKey):
            kop = self.jwe_kop_b64
            versleuteld = ontvanger_publiek.encrypt(cek, _OAEP)
        else:
            efemeer = ec.generate_private_key(ec.SECP256R1())
            kek = _concat_kdf(efemeer.exchange(ec.ECDH(), ontvanger_publiek))
            versleuteld = keywrap.aes_key_wrap(kek, cek)
            getallen = efemeer.public_key().public_numbers()
            epk = {
                "kty": "EC",
                "crv": "P-256",
                "x": _b64(getallen.x.to_bytes(32, "big")).decode(),
                "y": _b64(getallen.y.to_bytes(32, "big")).decode(),
            }
            kop = _b64(json.dumps({**self.jwe_kop, "epk": epk}).encode())
        tekst = AESGCM(cek).encrypt(iv, jws, kop)
        return b".".join((kop, _b64(versleuteld), _b64(iv), _b64(tekst[:-16]), _b64(tekst[-16:])))

    def open(self, inhoud: bytes) -> bytes:
        kop, versleuteld, iv, tekst, tag = (_unb64(d) if i else d for i, d in enumerate(inhoud.split(b".")))
        if isinstance(self.ontvanger, rsa.RSAPrivateKey):
            cek = self.ontvanger.decrypt(versleuteld, _OAEP)
        else:
            epk = json.loads(_unb64(kop))["epk"]
            punt = b"\x04" + _unb64(epk["x"].encode()) + _unb64(epk["y"].encode())
            publiek = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), punt)
            cek = keywrap.aes_key_unwrap(
                _concat_kdf(self.ontvanger.exchange(ec.ECDH(), publiek)), versleuteld
            )
        jws = AESGCM(cek).decrypt(iv, tekst + tag, kop)
        jws_kop, data, handtekening = jws.split(b".")
        invoer, sig = jws_kop + b"." + data, _unb64(handtekening)
        publiek_afzender = self.afzender_publiek
        if isinstance(publiek_afzender, rsa.RSAPublicKey):
            publiek_afzender.verify(sig, invoer, _PSS, _SHA256)
        else:
            der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
            publiek_afzender.verify(der, invoer, _ECDSA)
        return _unb64(data)


def _concat_kdf(gedeeld: bytes) -> bytes:
    """RFC 7518 §4.6.2: AlgorithmID "ECDH-ES+A256KW", empty apu/apv, 256 bits."""
    alg = b"ECDH-ES+A256KW"
    andere = len(alg).to_bytes(4, "big") + alg + b"\0" * 8 + (256).to_bytes(4, "big")
    return ConcatKDFHash(algorithm=_SHA256, length=32, otherinfo=andere).derive(gedeeld)


# --- measuring --------------------------------------------------------------------------------------


def _ronde(werk: Callable[[], object], seconden: float) -> tuple[float, float, int]:
    """(CPU s per op, wall s per op, ops) of one round of at least `seconden` wall time."""
    n = 0
    c0, w0 = time.process_time(), time.perf_counter()
    while True:
        werk()
        n += 1
        if n % 10 == 0 and time.perf_counter() - w0 >= seconden:
            break
    return (time.process_time() - c0) / n, (time.perf_counter() - w0) / n, n


@dataclass
class Paar:
    naam: str
    afzender_sleutel: jose.Sleutel
    afzender_cert: x509.Certificate
    ontvanger_sleutel: jose.Sleutel
    ontvanger_cert: x509.Certificate
    kaal: Kaal
    hub: HubClient


def _adresboekregel(oin: str, cert: x509.Certificate) -> dict[str, Any]:
    """What GET /adresboek/{oin} answers for a participant with one certificate for every use."""
    return {
        "oin": oin,
        "naam": f"Bench {oin}",
        "rol": "SE",
        "modules": [MODULE],
        "certificaten": [
            {
                "pem": cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
                "gebruik": ["tls", "ondertekening", "versleuteling"],
                "geldigVanaf": cert.not_valid_before_utc.isoformat(),
                "geldigTot": cert.not_valid_after_utc.isoformat(),
                "ingetrokkenOp": None,
                "actueel": True,
            }
        ],
    }


def _paar(map_: Path, naam: str, key_type: str) -> Paar:
    delen = []
    paden = []
    for rol, oin in (("afzender", AFZENDER), ("ontvanger", ONTVANGER)):
        uit = ontwikkel_ca.issue(
            map_, oin=oin, naam=f"Bench {rol}", key_type=key_type, basisnaam=f"{naam}-{rol}"
        )
        paden.append(uit)
        pem = uit.sleutel.read_bytes()
        ruw = serialization.load_pem_private_key(pem, password=None)
        assert isinstance(ruw, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
        delen.append(
            (jose.prive_sleutel(pem), x509.load_pem_x509_certificate(uit.certificaat.read_bytes()), ruw)
        )
    (a_sleutel, a_cert, a_ruw), (o_sleutel, o_cert, o_ruw) = delen
    jws_alg, jwe_alg = ("PS256", "RSA-OAEP-256") if key_type == "rsa" else ("ES256", "ECDH-ES+A256KW")
    jws_kop = _b64(
        json.dumps({"alg": jws_alg, "typ": "JOSE", "cty": "json", **_metadata(), "iat": 1}).encode()
    )
    jwe_kop = {"alg": jwe_alg, "enc": "A256GCM", "kid": jose.kid_van(o_cert)}
    adresboek = {AFZENDER: _adresboekregel(AFZENDER, a_cert), ONTVANGER: _adresboekregel(ONTVANGER, o_cert)}
    hub = HubClient(
        "https://hub.invalid",
        cert=paden[1].certificaat,
        key=paden[1].sleutel,
        ca=ontwikkel_ca.ca_paden(map_)[0],
        adresboek_ttl=24 * 3600.0,
        transport=httpx.MockTransport(
            lambda verzoek: httpx.Response(200, json=adresboek[verzoek.url.path.rsplit("/", 1)[-1]])
        ),
    )
    return Paar(naam, a_sleutel, a_cert, o_sleutel, o_cert, Kaal(a_ruw, o_ruw, jws_kop, jwe_kop), hub)


def _metadata() -> dict[str, Any]:
    return {
        "referentienummer": str(uuid.uuid4()),
        "conversatieReferentienummer": str(uuid.uuid4()),
        "crossReferentienummer": str(uuid.uuid4()),
        "module": MODULE,
        "berichttype": CODE,
        "versie": VERSIE,
        "afzender": AFZENDER,
        "ontvanger": ONTVANGER,
    }


def meet(*, seconden: float = 1.0, rondes: int = 9) -> dict[str, Any]:
    p = payload()
    data = json.dumps(p, ensure_ascii=False).encode()
    metadata = _metadata()
    uit: dict[str, Any] = {"payload_bytes": len(data), "seconden_per_ronde": seconden, "rondes": rondes}
    with tempfile.TemporaryDirectory(prefix="knooppunt-bench-sdk-") as tmp:
        ontwikkel_ca.init(Path(tmp))
        paren = [_paar(Path(tmp), "RSA-2048", "rsa"), _paar(Path(tmp), "P-256", "ec")]
    for paar in paren:

        def sdk_seal(paar: Paar = paar) -> str:
            return jose.verzegel(
                p,
                metadata=metadata,
                iat=int(time.time()),
                afzender_sleutel=paar.afzender_sleutel,
                afzender_certificaat=paar.afzender_cert,
                ontvanger_certificaat=paar.ontvanger_cert,
            )

        inhoud = sdk_seal()
        kaal_inhoud = paar.kaal.seal(data)

        def sdk_open_kaal(paar: Paar = paar, inhoud: str = inhoud) -> jose.Geopend:
            return jose.open_(
                inhoud,
                ontvanger_sleutel=paar.ontvanger_sleutel,
                afzender_certificaten=[paar.afzender_cert],
                envelop=metadata,
            )

        def sdk_open() -> object:
            return valideer(MODULE, CODE, VERSIE, sdk_open_kaal().payload)

        def kaal_open(paar: Paar = paar, kaal_inhoud: bytes = kaal_inhoud) -> bytes:
            return paar.kaal.open(kaal_inhoud)

        envelop = {**metadata, "inhoud": inhoud, "ontvangenOp": datetime.now(UTC).isoformat()}

        def hub_open(paar: Paar = paar, envelop: dict[str, Any] = envelop) -> Ontvangen:
            return paar.hub.open(envelop)

        assert kaal_open() == data
        ontvangen = hub_open()
        assert ontvangen.fout is None and ontvangen.payload is not None, ontvangen.foutdetail
        werk: dict[tuple[str, str], Callable[[], object]] = {
            ("seal", "sdk"): sdk_seal,
            ("seal", "bare"): lambda paar=paar: paar.kaal.seal(data),
            ("open", "sdk"): sdk_open,
            ("open", "bare"): kaal_open,
            ("open_", "sdk"): sdk_open_kaal,
            ("hub", "sdk"): hub_open,
        }
        for f in werk.values():  # warm-up: caches, lazy imports
            for _ in range(20):
                f()
        metingen: dict[tuple[str, str], list[tuple[float, float, int]]] = {k: [] for k in werk}
        for _ in range(rondes):  # interleaved, so a noisy neighbour hits both sides alike
            for sleutel, f in werk.items():
                metingen[sleutel].append(_ronde(f, seconden))
        paar.hub.close()
        for op, opnaam in OPS.items():
            rij: dict[str, Any] = {}
            for kant in ("sdk", "bare"):
                m = metingen[(op, kant)] if (op, kant) in metingen else metingen[("open", kant)]
                # The best round, as timeit does: a neighbour's load only ever adds time.
                cpu = min(x[0] for x in m)
                wand = min(x[1] for x in m)
                rij[kant] = {
                    "cpu_ms": round(cpu * 1000, 4),
                    "wand_ms": round(wand * 1000, 4),
                    "cpu_ms_mediaan": round(statistics.median(x[0] for x in m) * 1000, 4),
                    "per_s_per_core": round(1 / cpu, 1),
                    "n": sum(x[2] for x in m),
                }
            rij["sdk_van_bare_pct"] = round(100 * rij["bare"]["cpu_ms"] / rij["sdk"]["cpu_ms"], 1)
            rij["sdk_van_bare_pct_mediaan"] = round(
                100 * rij["bare"]["cpu_ms_mediaan"] / rij["sdk"]["cpu_ms_mediaan"], 1
            )
            uit[f"{paar.naam} {opnaam}"] = rij
    return uit


def toon(res: dict[str, Any]) -> None:
    print(
        f"  SDK seal/open per core, payload {res['payload_bytes']} bytes; CPU time per operation "
        f"(time.process_time), best of {res['rondes']} interleaved rounds of {res['seconden_per_ronde']} s",
        flush=True,
    )
    print(
        f"    {'key, operation':<28} {'SDK /s':>9} {'bare /s':>9} {'SDK/bare':>9} {'(median)':>9}   "
        f"{'SDK ms CPU (wall)':>20} {'bare ms CPU (wall)':>20}"
    )
    for naam, rij in res.items():
        if not isinstance(rij, dict):
            continue
        s, b = rij["sdk"], rij["bare"]
        print(
            f"    {naam:<28} {s['per_s_per_core']:>9.1f} {b['per_s_per_core']:>9.1f} "
            f"{rij['sdk_van_bare_pct']:>8.1f}% {rij['sdk_van_bare_pct_mediaan']:>8.1f}%   "
            f"{s['cpu_ms']:>9.3f} ({s['wand_ms']:>7.3f}) {b['cpu_ms']:>10.3f} ({b['wand_ms']:>7.3f})",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--quick", action="store_true", help="short rounds (a smoke run of ~15 s)")
    a.add_argument("--seconden", type=float, default=None, help="wall seconds per round (default 1)")
    a.add_argument("--rondes", type=int, default=None, help="rounds per measurement (default 9)")
    args = a.parse_args(argv)
    res = meet(
        seconden=args.seconden or (0.3 if args.quick else 1.0),
        rondes=args.rondes or (3 if args.quick else 9),
    )
    toon(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
