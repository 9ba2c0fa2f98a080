"""Keys made in the portal user's browser (DESIGN §5 "Portal", decision 0025): the server's half.

The browser makes an ECDSA P-256 signing key and an ECDH P-256 encryption key, wraps both under a
key it derives with Argon2id from a passphrase it generated and showed once, and sends:

- ``csr``: a PKCS#10 request for the signing key, signed by it (proof of possession);
- ``versleuteling``: the ECDH public key as a JWK;
- ``bewijs``: a compact JWS (ES256) by the signing key over {doel, oin, csr: SHA-256 of the CSR's
  DER, versleuteling: that JWK, iat} — the indirect proof of possession of the encryption key
  (RFC 4211 §4): it binds the encryption key to the same holder as the signing request;
- ``blob``: the wrapped private keys (``Blob``), opaque ciphertext to this server.

``vraag_aan`` checks all of it, has the portal CA issue both certificates, registers them in the
adresboek (raising its version, one ``certificaat_uitgegeven`` and one ``certificaat_toegevoegd``
audit entry per certificate, e-mailed to the participant: key transparency) and stores the blob with
each key's ``kid``. Nothing here can unwrap a key: the passphrase and the derived key never reach
the server.

Blob version 2 (decision 0027): the keys are the ORGANISATION's, shared by its users. Each user has a
personal ECDH P-256 key, wrapped under Argon2id of their own passphrase (``persoonlijk``); every
organisation key is a compact JWE (ECDH-ES+A256KW, A256GCM) to that personal public key, whose
protected header (the AEAD's associated data) names the key's use, its thumbprint, the recipient's
personal thumbprint (``kid``) and the OIN. So a colleague with access gives a new user access by
wrapping the keys to their public key, without knowing their passphrase; ending a user's access
deletes their blob, after which the organisation makes new keys (``vernieuw``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy.orm import Session

from knooppunt.client import compact
from knooppunt.hub import adresboek, audit, notificaties
from knooppunt.hub.fouten import HubFout
from knooppunt.pki import portaal_ca
from knooppunt.pki.certificaat import OngeldigCertificaat, lees, lees_pem
from knooppunt.pki.portaal_ca import Gebruik, OngeldigeAanvraag, PortaalCa
from knooppunt.portaal import kluismigratie
from knooppunt.protocol.jwe import ALG_EC, VERBODEN_LEDEN, OngeldigeJwe, lees_kop, x5t_s256
from knooppunt.runtime import Runtime
from knooppunt.store import portaal as store
from knooppunt.store.models import Deelnemer, PortaalSleutelblob

DOEL = "knooppunt-portaal-sleutels"
BEWIJS_TYP = "knooppunt-sleutelbewijs"
MAX_KLOKVERSCHIL = 600  # seconds between the browser's iat and the server's clock
MAX_BLOB = 16 * 1024  # characters of the stored JSON
MIN_GEHEUGEN_KIB = 65536  # Argon2id m ≥ 64 MiB (DESIGN §5)
MAX_GEHEUGEN_KIB = 1024 * 1024  # an unlocking browser must still manage it
MIN_ITERATIES = 3
MAX_ITERATIES = 64


class SleutelsBestaan(OngeldigeAanvraag):
    """The user already has a key blob; only the "nieuwe sleutels" path replaces it."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _ontb64url(waarde: object, naam: str, *, lengte: int | None = None, maximum: int = 4096) -> bytes:
    if not isinstance(waarde, str) or not waarde:
        raise OngeldigeAanvraag(f"{naam} ontbreekt of is geen tekst")
    try:
        data = compact.ontb64url(waarde.encode("ascii"))
    except (UnicodeEncodeError, compact.OngeldigeJose) as exc:
        raise OngeldigeAanvraag(f"{naam} is geen geldige base64url") from exc
    if lengte is not None and len(data) != lengte:
        raise OngeldigeAanvraag(f"{naam} moet {lengte} bytes zijn, niet {len(data)}")
    if len(data) > maximum:
        raise OngeldigeAanvraag(f"{naam} is te lang ({len(data)} bytes)")
    return data


def jwk_van(sleutel: ec.EllipticCurvePublicKey) -> dict[str, str]:
    getallen = sleutel.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(getallen.x.to_bytes(32, "big")),
        "y": _b64url(getallen.y.to_bytes(32, "big")),
    }


def _rsa_jwk(sleutel: rsa.RSAPublicKey) -> dict[str, str]:
    getallen = sleutel.public_numbers()
    return {
        "e": _b64url(getallen.e.to_bytes((getallen.e.bit_length() + 7) // 8, "big")),
        "kty": "RSA",
        "n": _b64url(getallen.n.to_bytes((getallen.n.bit_length() + 7) // 8, "big")),
    }


def jkt(sleutel: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of a P-256 public key, or of an RSA one (an imported
    PKIoverheid certificate, decision 0036), as jose's calculateJwkThumbprint."""
    if isinstance(sleutel, rsa.RSAPublicKey):
        jwk = _rsa_jwk(sleutel)
        leden: tuple[str, ...] = ("e", "kty", "n")
    else:
        jwk = jwk_van(sleutel)
        leden = ("crv", "kty", "x", "y")
    kanoniek = json.dumps({k: jwk[k] for k in leden}, separators=(",", ":"))
    return _b64url(hashlib.sha256(kanoniek.encode("ascii")).digest())


def lees_jwk(jwk: object) -> ec.EllipticCurvePublicKey:
    """A public P-256 JWK (no private member), or OngeldigeAanvraag."""
    if not isinstance(jwk, dict):
        raise OngeldigeAanvraag("de versleutelingssleutel ontbreekt (een JWK-object)")
    if "d" in jwk:
        raise OngeldigeAanvraag(
            "de versleutelingssleutel bevat een privé-deel ('d'); stuur alleen de publieke sleutel"
        )
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise OngeldigeAanvraag("de versleutelingssleutel moet een P-256-sleutel zijn (kty EC, crv P-256)")
    x = _ontb64url(jwk.get("x"), "x van de versleutelingssleutel", lengte=32)
    y = _ontb64url(jwk.get("y"), "y van de versleutelingssleutel", lengte=32)
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    except ValueError as exc:
        raise OngeldigeAanvraag("de versleutelingssleutel is geen punt op P-256") from exc


def controleer_bewijs(
    bewijs: object,
    *,
    aanvraag: x509.CertificateSigningRequest,
    tekensleutel: ec.EllipticCurvePublicKey,
    versleuteling: dict[str, Any],
    oin: str,
    nu: datetime,
) -> None:
    """The indirect proof of possession of the encryption key: a JWS by the signing key of this
    very CSR over the encryption key, the CSR's hash, the OIN and a fresh iat."""
    if not isinstance(bewijs, str) or len(bewijs) > 4096:
        raise OngeldigeAanvraag("het bewijs voor de versleutelingssleutel ontbreekt (een compacte JWS)")
    try:
        delen = compact.splits_jws(bewijs.encode("ascii"))
    except (UnicodeEncodeError, compact.OngeldigeJose) as exc:
        raise OngeldigeAanvraag(f"het bewijs is geen geldige JWS: {exc}") from exc
    if delen is None:
        raise OngeldigeAanvraag("het bewijs is geen compacte JWS (drie delen)")
    try:
        kop = json.loads(compact.ontb64url(delen[0]))
    except (ValueError, compact.OngeldigeJose) as exc:
        raise OngeldigeAanvraag("de kop van het bewijs is geen geldige JSON") from exc
    if not isinstance(kop, dict) or kop.get("alg") != compact.ALG_ES256:
        raise OngeldigeAanvraag("het bewijs moet met ES256 zijn ondertekend")
    if VERBODEN_LEDEN & kop.keys():
        raise OngeldigeAanvraag("de kop van het bewijs bevat niet-toegestane leden")
    if kop.get("typ") != BEWIJS_TYP:
        raise OngeldigeAanvraag(f"het bewijs heeft typ {kop.get('typ')!r}, verwacht {BEWIJS_TYP!r}")
    try:
        inhoud = compact.verifieer(*delen, compact.ALG_ES256, tekensleutel)
    except compact.OngeldigeJose as exc:
        raise OngeldigeAanvraag(
            "de handtekening onder het bewijs klopt niet met de sleutel van het certificaatverzoek"
        ) from exc
    try:
        gegevens = json.loads(inhoud)
    except ValueError as exc:
        raise OngeldigeAanvraag("de inhoud van het bewijs is geen JSON") from exc
    if not isinstance(gegevens, dict) or gegevens.get("doel") != DOEL:
        raise OngeldigeAanvraag(f"het bewijs is niet voor dit doel ({DOEL})")
    if gegevens.get("oin") != oin:
        raise OngeldigeAanvraag(f"het bewijs is voor OIN {gegevens.get('oin')!r}, niet voor {oin}")
    csr_hash = _b64url(hashlib.sha256(aanvraag.public_bytes(serialization.Encoding.DER)).digest())
    if gegevens.get("csr") != csr_hash:
        raise OngeldigeAanvraag("het bewijs hoort niet bij dit certificaatverzoek (andere hash)")
    publiek = {k: versleuteling.get(k) for k in ("kty", "crv", "x", "y")}
    if gegevens.get("versleuteling") != publiek:
        raise OngeldigeAanvraag("het bewijs noemt een andere versleutelingssleutel dan de aanvraag")
    iat = gegevens.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise OngeldigeAanvraag("het bewijs mist 'iat' (seconden sinds 1970)")
    if abs(nu.timestamp() - iat) > MAX_KLOKVERSCHIL:
        raise OngeldigeAanvraag(
            "het bewijs is te oud of uit de toekomst; controleer de klok van uw computer en "
            "probeer het opnieuw"
        )


GEHEIMEN = ("nummergeheim", "labelsleutel")
"""The organisation's secrets in the blob (DESIGN §7): the HMAC key that numbers answers and the
AES-GCM key for client names and labels; raw 256-bit keys, wrapped like the private keys, their
``jkt`` a random id (a secret has no public key to hash), which is also their ``kid``."""
BLOBGEBRUIK = (Gebruik.ONDERTEKENING.value, Gebruik.VERSLEUTELING.value, *GEHEIMEN)


@dataclass(frozen=True, slots=True)
class Blobsleutel:
    gebruik: str
    jkt: str
    iv: str
    versleuteld: str


def _controleer_kdf(kdf: object) -> dict[str, Any]:
    if not isinstance(kdf, dict) or set(kdf) != {"algoritme", "geheugenKiB", "iteraties", "parallel", "zout"}:
        raise OngeldigeAanvraag("de sleutelafleiding (kdf) heeft een onbekende vorm")
    if kdf["algoritme"] != "argon2id":
        raise OngeldigeAanvraag("de sleutelafleiding moet Argon2id zijn")
    m, t, p = kdf["geheugenKiB"], kdf["iteraties"], kdf["parallel"]
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (m, t, p)):
        raise OngeldigeAanvraag("de parameters van Argon2id moeten gehele getallen zijn")
    if not MIN_GEHEUGEN_KIB <= m <= MAX_GEHEUGEN_KIB:
        raise OngeldigeAanvraag(
            f"Argon2id-geheugen {m} KiB: minstens {MIN_GEHEUGEN_KIB} KiB (64 MiB) vereist"
        )
    if not MIN_ITERATIES <= t <= MAX_ITERATIES:
        raise OngeldigeAanvraag(f"Argon2id-iteraties {t}: minstens {MIN_ITERATIES} vereist")
    if p != 1:
        raise OngeldigeAanvraag("Argon2id-parallelliteit moet 1 zijn")
    _ontb64url(kdf["zout"], "het zout", lengte=16)
    return kdf


def _eigen_zout(session: Session, kdf: dict[str, Any], *, oin: str, onderwerp: str) -> None:
    """DESIGN §5: "a salt per blob" — a salt another user's blob already holds is refused (the
    browser draws 16 random bytes per blob; a repeat means a broken or hostile client)."""
    if store.zout_elders_gebruikt(session, kdf["zout"], oin=oin, onderwerp=onderwerp):
        raise OngeldigeAanvraag(
            "het zout van de sleutelafleiding is al in gebruik bij een andere gebruiker; elke set "
            "versleutelde sleutels hoort een eigen willekeurig zout te hebben — maak de sleutels opnieuw"
        )


def _controleer_versleuteld(gebruik: str, versleuteld: bytes, *, tag: int) -> None:
    """A wrapped secret is 32 bytes of ciphertext (plus the GCM tag when it is appended, ``tag``); a
    wrapped private key (PKCS#8) is longer."""
    if gebruik in GEHEIMEN:
        if len(versleuteld) != 32 + tag:
            raise OngeldigeAanvraag(
                f"het versleutelde {gebruik} moet een versleutelde sleutel van 256 bits zijn"
            )
    elif len(versleuteld) < 64:
        raise OngeldigeAanvraag("de versleutelde sleutel is te kort om een versleutelde privésleutel te zijn")


def controleer_blob(blob: object) -> tuple[dict[str, Any], list[Blobsleutel]]:
    """The wrapped keys as the browser sent them (version 1): Argon2id parameters no weaker than
    DESIGN §5 (m ≥ 64 MiB, t ≥ 3, p = 1, a 16-byte salt) and per key its use, thumbprint, IV and
    ciphertext. Nothing else is kept: an unknown member is refused, so no plaintext can ride along."""
    if not isinstance(blob, dict):
        raise OngeldigeAanvraag("de versleutelde sleutels ontbreken")
    if set(blob) != {"versie", "kdf", "sleutels"} or blob["versie"] != 1:
        raise OngeldigeAanvraag("de versleutelde sleutels hebben een onbekende vorm (verwacht versie 1)")
    kdf = _controleer_kdf(blob["kdf"])
    sleutels = blob["sleutels"]
    if not isinstance(sleutels, list) or not 1 <= len(sleutels) <= 16:
        raise OngeldigeAanvraag("de versleutelde sleutels ontbreken")
    gelezen: list[Blobsleutel] = []
    for item in sleutels:
        if not isinstance(item, dict) or set(item) != {"gebruik", "jkt", "iv", "versleuteld"}:
            raise OngeldigeAanvraag("een versleutelde sleutel heeft een onbekende vorm")
        if item["gebruik"] not in BLOBGEBRUIK:
            raise OngeldigeAanvraag(f"onbekend gebruik {item['gebruik']!r}: {', '.join(BLOBGEBRUIK)}")
        _ontb64url(item["jkt"], "de vingerafdruk van de sleutel", lengte=32)
        _ontb64url(item["iv"], "de iv", lengte=12)
        versleuteld = _ontb64url(item["versleuteld"], "de versleutelde sleutel", maximum=2048)
        _controleer_versleuteld(item["gebruik"], versleuteld, tag=16)
        gelezen.append(Blobsleutel(item["gebruik"], item["jkt"], item["iv"], item["versleuteld"]))
    return kdf, gelezen


# --- blob version 2: the organisation's keys, wrapped to each user's personal key (decision 0027) ---

ORGANISATIESLEUTEL_TYP = "knooppunt-organisatiesleutel"
MAX_ORGANISATIESLEUTELS = 24
MAX_ORGANISATIESLEUTEL = 4096
"""Bytes of one wrapped organisation key: a P-256 PKCS#8 is about 140, an RSA-4096 one (an imported
PKIoverheid certificate, decision 0036) about 2,400."""
MAX_ORGANISATIESLEUTEL_JWE = 8192
"""Entries in one user's blob: the current four and the decryption keys and secrets kept from
earlier sets (rollover) — older sets are dropped by the browser when it makes new keys."""


@dataclass(frozen=True, slots=True)
class Persoonlijk:
    """A user's personal ECDH key: public JWK, its thumbprint, and the private key wrapped under
    Argon2id of the user's passphrase (AES-256-GCM, associated data "persoonlijk" and the jkt)."""

    jwk: dict[str, str]
    jkt: str
    iv: str
    versleuteld: str

    def als_json(self) -> dict[str, Any]:
        return {"jwk": self.jwk, "jkt": self.jkt, "iv": self.iv, "versleuteld": self.versleuteld}


@dataclass(frozen=True, slots=True)
class Organisatiesleutel:
    """One organisation key for one user: its use, thumbprint (a secret: its random id) and the
    compact JWE to the user's personal key."""

    gebruik: str
    jkt: str
    jwe: str


def controleer_persoonlijk(persoonlijk: object) -> Persoonlijk:
    if not isinstance(persoonlijk, dict) or set(persoonlijk) != {"jwk", "iv", "versleuteld"}:
        raise OngeldigeAanvraag("uw persoonlijke sleutel ontbreekt of heeft een onbekende vorm")
    jwk = persoonlijk["jwk"]
    if isinstance(jwk, dict) and set(jwk) - {"kty", "crv", "x", "y"} - {"d"}:
        raise OngeldigeAanvraag("de publieke persoonlijke sleutel bevat onbekende leden")
    publiek = lees_jwk(jwk)
    _ontb64url(persoonlijk["iv"], "de iv van de persoonlijke sleutel", lengte=12)
    versleuteld = _ontb64url(persoonlijk["versleuteld"], "de versleutelde persoonlijke sleutel", maximum=2048)
    if len(versleuteld) < 64:
        raise OngeldigeAanvraag("de versleutelde persoonlijke sleutel is te kort")
    return Persoonlijk(jwk_van(publiek), jkt(publiek), persoonlijk["iv"], persoonlijk["versleuteld"])


def controleer_organisatiesleutel(item: object, *, ontvanger: str, oin: str) -> Organisatiesleutel:
    """An organisation key wrapped for the user whose personal thumbprint is ``ontvanger``: a JWE
    (ECDH-ES+A256KW, A256GCM) whose protected header — authenticated by the AEAD — names the
    recipient (kid), the key's use and thumbprint, and the OIN, exactly as the entry does."""
    if not isinstance(item, dict) or set(item) - {"kid"} != {"gebruik", "jkt", "jwe"}:
        raise OngeldigeAanvraag("een versleutelde organisatiesleutel heeft een onbekende vorm")
    gebruik, sleutel_jkt, jwe = item["gebruik"], item["jkt"], item["jwe"]
    if gebruik not in BLOBGEBRUIK:
        raise OngeldigeAanvraag(f"onbekend gebruik {gebruik!r}: {', '.join(BLOBGEBRUIK)}")
    _ontb64url(sleutel_jkt, "de vingerafdruk van de sleutel", lengte=32)
    if not isinstance(jwe, str):
        raise OngeldigeAanvraag("een versleutelde organisatiesleutel is geen JWE-tekst")
    try:
        kop = lees_kop(jwe, max_bytes=MAX_ORGANISATIESLEUTEL_JWE)
    except OngeldigeJwe as exc:
        raise OngeldigeAanvraag(f"een versleutelde organisatiesleutel {exc}") from exc
    h = kop.header
    if kop.alg != ALG_EC or h.get("typ") != ORGANISATIESLEUTEL_TYP:
        raise OngeldigeAanvraag(
            f"een organisatiesleutel moet een JWE met {ALG_EC} en typ {ORGANISATIESLEUTEL_TYP} zijn"
        )
    if kop.kid != ontvanger:
        raise OngeldigeAanvraag("een organisatiesleutel is voor een andere persoonlijke sleutel versleuteld")
    if h.get("gebruik") != gebruik or h.get("jkt") != sleutel_jkt or h.get("oin") != oin:
        raise OngeldigeAanvraag(
            "de kop van een versleutelde organisatiesleutel noemt een ander gebruik, een andere sleutel of "
            "een andere organisatie dan de sleutel zelf"
        )
    tekst = _ontb64url(
        jwe.split(".")[3], "de versleutelde organisatiesleutel", maximum=MAX_ORGANISATIESLEUTEL
    )
    _controleer_versleuteld(gebruik, tekst, tag=0)
    return Organisatiesleutel(gebruik, sleutel_jkt, jwe)


def controleer_blob_v2(
    blob: object, *, oin: str, leeg: bool | None = None
) -> tuple[dict[str, Any], Persoonlijk, list[Organisatiesleutel]]:
    """A version 2 blob: the kdf, the personal key and the organisation keys wrapped to it.
    ``leeg``: True for a request for access (no organisation keys yet), False when keys are
    required."""
    if not isinstance(blob, dict):
        raise OngeldigeAanvraag("de versleutelde sleutels ontbreken")
    if set(blob) != {"versie", "kdf", "persoonlijk", "sleutels"} or blob["versie"] != 2:
        raise OngeldigeAanvraag("de versleutelde sleutels hebben een onbekende vorm (verwacht versie 2)")
    kdf = _controleer_kdf(blob["kdf"])
    persoonlijk = controleer_persoonlijk(blob["persoonlijk"])
    sleutels = blob["sleutels"]
    if not isinstance(sleutels, list) or len(sleutels) > MAX_ORGANISATIESLEUTELS:
        raise OngeldigeAanvraag("de versleutelde organisatiesleutels ontbreken of zijn te veel")
    if leeg is True and sleutels:
        raise OngeldigeAanvraag("wie toegang vraagt, stuurt nog geen organisatiesleutels mee")
    if leeg is False and not sleutels:
        raise OngeldigeAanvraag("de versleutelde organisatiesleutels ontbreken")
    gelezen = [controleer_organisatiesleutel(s, ontvanger=persoonlijk.jkt, oin=oin) for s in sleutels]
    if len({(s.gebruik, s.jkt) for s in gelezen}) != len(gelezen):
        raise OngeldigeAanvraag("een organisatiesleutel staat dubbel in de versleutelde sleutels")
    return kdf, persoonlijk, gelezen


def _tekst_v2(
    kdf: dict[str, Any], persoonlijk: Persoonlijk, sleutels: list[Organisatiesleutel], kids: dict[str, str]
) -> str:
    opgeslagen = {
        "versie": 2,
        "kdf": kdf,
        "persoonlijk": persoonlijk.als_json(),
        "sleutels": [
            {"kid": kids.get(s.jkt, s.jkt), "gebruik": s.gebruik, "jkt": s.jkt, "jwe": s.jwe}
            for s in sleutels
        ],
    }
    tekst = json.dumps(opgeslagen, separators=(",", ":"), sort_keys=True)
    if len(tekst) > MAX_BLOB * 4:
        raise OngeldigeAanvraag("de versleutelde sleutels zijn te groot")
    return tekst


# --- who has access -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Gebruikersblob:
    onderwerp: str
    naam: str
    versie: int
    toegang: bool  # holds organisation keys (v1: its own keys)
    gevraagd_op: datetime | None
    persoonlijk: dict[str, Any] | None  # v2: {jwk, jkt}
    sleutels: list[dict[str, Any]]  # the entries as stored (kid, gebruik, jkt, ...)


def _lees(rij: PortaalSleutelblob) -> Gebruikersblob:
    data = json.loads(rij.blob)
    sleutels = list(data.get("sleutels", []))
    persoonlijk = data.get("persoonlijk")
    return Gebruikersblob(
        onderwerp=rij.onderwerp,
        naam=rij.naam,
        versie=int(data.get("versie", 1)),
        toegang=bool(sleutels),
        gevraagd_op=rij.toegang_gevraagd_op,
        persoonlijk={"jwk": persoonlijk["jwk"], "jkt": persoonlijk["jkt"]} if persoonlijk else None,
        sleutels=sleutels,
    )


def gebruikers(session: Session, oin: str) -> list[Gebruikersblob]:
    return [_lees(r) for r in store.sleutelblobs_van(session, oin)]


def _met_toegang(session: Session, oin: str) -> list[Gebruikersblob]:
    return [g for g in gebruikers(session, oin) if g.toegang]


def _meld(
    session: Session,
    actie: audit.Actie,
    *,
    oin: str,
    door: str,
    wie: str,
    naam: str,
    nu: datetime,
) -> None:
    """Audited and e-mailed to the organisation's addresses, as certificate changes are."""
    gebruiker = f"portaal:{wie}"
    audit.sleuteltoegang(session, actie, door=door, oin=oin, wie=gebruiker, nu=nu)
    notificaties.meld_beheer(
        session,
        oin,
        details={
            "actie": actie.value,
            "gebruiker": gebruiker,
            "naam": naam,
            "door": door,
            "moment": nu.isoformat(),
        },
        nu=nu,
    )


def vernieuwen_nodig(session: Session, oin: str) -> bool:
    """Whether a user's access was ended after the organisation's newest keys were made: that user
    knew them, so the organisation should make new ones."""
    from sqlalchemy import func, select

    from knooppunt.store.models import Auditregel

    def laatste(actie: audit.Actie) -> datetime | None:
        return session.scalar(
            select(func.max(Auditregel.tijd)).where(
                Auditregel.deelnemer == oin, Auditregel.actie == actie.value
            )
        )

    beeindigd = laatste(audit.Actie.SLEUTELTOEGANG_BEEINDIGD)
    if beeindigd is None:
        return False
    uitgegeven = laatste(audit.Actie.CERTIFICAAT_UITGEGEVEN)
    return uitgegeven is None or uitgegeven < beeindigd


# --- issuing ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Uitgegeven:
    gebruik: str
    kid: str
    vingerafdruk: str
    pem: str


def _ca(rt: Runtime) -> PortaalCa:
    ca = PortaalCa.laad(rt.settings)
    if ca is None:
        raise OngeldigeAanvraag(
            "dit knooppunt heeft geen portaal-CA ingesteld (KNOOPPUNT_PORTAAL_CA_CERTIFICAAT en "
            "KNOOPPUNT_PORTAAL_CA_SLEUTEL); neem contact op met de beheerder"
        )
    return ca


def _controleer_sleutelparen(
    verzoek: dict[str, Any], *, oin: str, nu: datetime
) -> tuple[ec.EllipticCurvePublicKey, ec.EllipticCurvePublicKey]:
    """The CSR for the signing key and the encryption key with its proof of possession."""
    csr_tekst = verzoek.get("csr")
    if not isinstance(csr_tekst, str) or len(csr_tekst) > 8192:
        raise OngeldigeAanvraag("het certificaatverzoek (csr, PEM) ontbreekt")
    aanvraag = portaal_ca.lees_aanvraag(csr_tekst)
    tekensleutel = portaal_ca.controleer_ondertekening(aanvraag)
    if not isinstance(tekensleutel, ec.EllipticCurvePublicKey):
        raise OngeldigeAanvraag("de ondertekeningssleutel moet een P-256-sleutel zijn (ES256)")
    versleuteling_jwk = verzoek.get("versleuteling")
    ecdh = lees_jwk(versleuteling_jwk)
    assert isinstance(versleuteling_jwk, dict)
    if ecdh.public_numbers() == tekensleutel.public_numbers():
        raise OngeldigeAanvraag("gebruik verschillende sleutels voor ondertekenen en versleutelen")
    controleer_bewijs(
        verzoek.get("bewijs"),
        aanvraag=aanvraag,
        tekensleutel=tekensleutel,
        versleuteling=versleuteling_jwk,
        oin=oin,
        nu=nu,
    )
    return tekensleutel, ecdh


def _geef_uit(
    session: Session,
    rt: Runtime,
    ca: PortaalCa,
    deelnemer: Deelnemer,
    paren: tuple[ec.EllipticCurvePublicKey, ec.EllipticCurvePublicKey],
    *,
    door: str,
    nu: datetime,
) -> list[Uitgegeven]:
    uitgegeven: list[Uitgegeven] = []
    for gebruik, publiek in ((Gebruik.ONDERTEKENING, paren[0]), (Gebruik.VERSLEUTELING, paren[1])):
        cert = ca.geef_uit(publiek, oin=deelnemer.oin, naam=deelnemer.naam, gebruik=gebruik, nu=nu)
        info = lees(cert)
        audit.certificaat_uitgegeven(
            session,
            oin=deelnemer.oin,
            vingerafdruk=info.vingerafdruk,
            gebruik=gebruik.value,
            door=door,
            nu=nu,
        )
        adresboek.voeg_certificaat_toe(
            session, deelnemer.oin, info, gebruik=[gebruik.value], nu=nu, ankers=rt.ankers, door=door
        )
        uitgegeven.append(Uitgegeven(gebruik.value, x5t_s256(info.der), info.vingerafdruk, info.pem))
    return uitgegeven


def _trek_in(session: Session, deelnemer: Deelnemer, kids: set[str], *, door: str, nu: datetime) -> None:
    """Retire the certificates of these kids that are still current (still listed for verifying
    what was signed before; no longer an encryption target)."""
    for kid in sorted(kids):
        vingerafdruk = _vingerafdruk_van_kid(kid)
        if vingerafdruk is None:
            continue
        cert_rij = next((c for c in deelnemer.certificaten if c.vingerafdruk == vingerafdruk), None)
        if cert_rij is not None and cert_rij.ingetrokken_op is None:
            adresboek.trek_certificaat_in(session, deelnemer.oin, vingerafdruk, nu=nu, door=door)


def _paren_kloppen(
    sleutels: list[Blobsleutel] | list[Organisatiesleutel],
    paren: tuple[ec.EllipticCurvePublicKey, ec.EllipticCurvePublicKey],
) -> None:
    verwacht = {Gebruik.ONDERTEKENING.value: jkt(paren[0]), Gebruik.VERSLEUTELING.value: jkt(paren[1])}
    if sorted((s.gebruik, s.jkt) for s in sleutels if s.gebruik not in GEHEIMEN) != sorted(verwacht.items()):
        raise OngeldigeAanvraag(
            "de versleutelde sleutels horen niet bij de aangevraagde sleutels (vingerafdrukken wijken af)"
        )
    if sorted(s.gebruik for s in sleutels if s.gebruik in GEHEIMEN) != sorted(GEHEIMEN):
        raise OngeldigeAanvraag(
            "de versleutelde sleutels missen de geheimen van de organisatie (nummergeheim en "
            "labelsleutel, elk één keer); laad de pagina opnieuw"
        )


def vraag_aan(
    session: Session,
    rt: Runtime,
    *,
    deelnemer: Deelnemer,
    onderwerp: str,
    door: str,
    verzoek: dict[str, Any],
    nu: datetime,
    naam: str = "",
) -> list[Uitgegeven]:
    """The organisation's first keys (or new ones when no user can unlock them any more): check the
    browser's request, issue and register both certificates, store the blob. Raises
    OngeldigeAanvraag (Dutch) for anything wrong; nothing is stored then (one transaction).

    A version 1 blob (one user's own keys) is still accepted; the page sends version 2."""
    ca = _ca(rt)
    oin = deelnemer.oin
    vervang = verzoek.get("vervang", False)
    if not isinstance(vervang, bool):
        raise OngeldigeAanvraag("'vervang' moet true of false zijn")
    oud = store.sleutelblob(session, oin, onderwerp)
    if oud is not None and not vervang:
        raise SleutelsBestaan(
            "u hebt al sleutels in dit portaal; ontgrendel ze met uw wachtwoord, of kies 'Wachtwoord kwijt? "
            "Nieuwe sleutels maken'"
        )
    anderen = [g for g in _met_toegang(session, oin) if g.onderwerp != onderwerp]
    if anderen:
        raise OrganisatieHeeftSleutels(
            "uw organisatie heeft al sleutels en een collega heeft er toegang toe; vraag toegang aan, dan "
            "kan die collega u toegang geven"
        )
    paren = _controleer_sleutelparen(verzoek, oin=oin, nu=nu)
    blob = verzoek.get("blob")
    v2 = isinstance(blob, dict) and blob.get("versie") == 2
    if v2:
        kdf, persoonlijk, sleutels2 = controleer_blob_v2(blob, oin=oin, leeg=False)
        _paren_kloppen(sleutels2, paren)
    else:
        kdf, sleutels1 = controleer_blob(blob)
        _paren_kloppen(sleutels1, paren)
    _eigen_zout(session, kdf, oin=oin, onderwerp=onderwerp)

    uitgegeven = _geef_uit(session, rt, ca, deelnemer, paren, door=door, nu=nu)
    kids = {jkt(paren[0]): uitgegeven[0].kid, jkt(paren[1]): uitgegeven[1].kid}

    # New keys: the old ones are gone (a lost passphrase, and no colleague who can unlock), so the
    # certificates of every key in any of the organisation's blobs are retired.
    oude_kids = {
        s.get("kid") for g in gebruikers(session, oin) for s in g.sleutels if s.get("gebruik") in _PAREN
    }
    # A participant whose keys the portal hosted moves to keys in the browser (DESIGN §5
    # "Migration"): its hosted keys now only open messages already in flight, and their
    # certificates are retired so that senders seal new messages for the new certificate.
    oude_kids |= set(kluismigratie.markeer_gemigreerd(session, oin, nu=nu))
    _trek_in(session, deelnemer, {k for k in oude_kids if isinstance(k, str)}, door=door, nu=nu)

    if v2:
        tekst = _tekst_v2(kdf, persoonlijk, sleutels2, kids)
    else:
        opgeslagen = {
            "versie": 1,
            "kdf": kdf,
            "sleutels": [
                {
                    "kid": kids.get(s.jkt, s.jkt),
                    "gebruik": s.gebruik,
                    "jkt": s.jkt,
                    "iv": s.iv,
                    "versleuteld": s.versleuteld,
                }
                for s in sleutels1
            ],
        }
        tekst = json.dumps(opgeslagen, separators=(",", ":"), sort_keys=True)
        if len(tekst) > MAX_BLOB:
            raise OngeldigeAanvraag("de versleutelde sleutels zijn te groot")
    store.bewaar_sleutelblob(
        session,
        PortaalSleutelblob(
            oin=oin,
            onderwerp=onderwerp,
            blob=tekst,
            aangemaakt_op=oud.aangemaakt_op if oud is not None else nu,
            gewijzigd_op=nu,
            naam=naam[:200],
            toegang_gevraagd_op=None,
        ),
    )
    return uitgegeven


_PAREN = (Gebruik.ONDERTEKENING.value, Gebruik.VERSLEUTELING.value)


# --- keys made with the aanmelding (#14 item 5, DESIGN §5 "Portal") ---------------------------------
#
# The aanmeldformulier's script makes the organisation's keys and the applicant's personal key as the
# key page does and sends the same request (csr, versleuteling, bewijs, blob) with the application.
# It is checked at submission exactly as ``vraag_aan`` checks it, kept with the aanvraag (public keys
# and ciphertext only), and turned into certificates and the applicant's blob when beheer approves.

AANMELDSLEUTELS = frozenset({"csr", "versleuteling", "bewijs", "blob"})


def controleer_aanmeldsleutels(verzoek: object, *, oin: str, nu: datetime) -> dict[str, Any]:
    """The keys an applicant made in the browser, checked as ``vraag_aan`` checks them: the CSR of
    the signing key (its own signature valid), the encryption key with its indirect proof of
    possession for this OIN, and a version 2 blob whose organisation keys are exactly those two and
    the organisation's secrets, wrapped to the personal key for this OIN. Returns what is kept with
    the aanvraag; OngeldigeAanvraag (Dutch) otherwise."""
    if not isinstance(verzoek, dict) or set(verzoek) != AANMELDSLEUTELS:
        raise OngeldigeAanvraag("ze hebben een onbekende vorm (verwacht: csr, versleuteling, bewijs en blob)")
    paren = _controleer_sleutelparen(verzoek, oin=oin, nu=nu)
    blob = verzoek["blob"]
    _, _, sleutels = controleer_blob_v2(blob, oin=oin, leeg=False)
    _paren_kloppen(sleutels, paren)
    if len(sleutels) != len(_PAREN) + len(GEHEIMEN):
        raise OngeldigeAanvraag("nieuwe sleutels horen geen oude sleutels mee te brengen")
    if len(json.dumps(blob, separators=(",", ":"))) > MAX_BLOB * 4:
        raise OngeldigeAanvraag("de versleutelde sleutels zijn te groot")
    return {
        "csr": verzoek["csr"],
        "versleuteling": jwk_van(paren[1]),
        "bewijs": verzoek["bewijs"],
        "blob": blob,
    }


def registreer_aanmeldsleutels(
    session: Session,
    rt: Runtime,
    ca: PortaalCa,
    *,
    deelnemer: Deelnemer,
    onderwerp: str,
    naam: str,
    door: str,
    bewaard: dict[str, Any],
    ingediend_op: datetime,
    nu: datetime,
) -> list[Uitgegeven]:
    """On approval of an aanmelding with keys from the browser: checked once more (the proof's
    freshness against the moment of submission), both certificates issued by the portal CA and
    registered (adresboek, audit, e-mail: as the key page does), and the blob stored as the
    applicant's, who unlocks it with the passphrase shown when applying."""
    oin = deelnemer.oin
    paren = _controleer_sleutelparen(bewaard, oin=oin, nu=ingediend_op)
    kdf, persoonlijk, sleutels = controleer_blob_v2(bewaard.get("blob"), oin=oin, leeg=False)
    _paren_kloppen(sleutels, paren)
    _eigen_zout(session, kdf, oin=oin, onderwerp=onderwerp)
    if store.sleutelblob(session, oin, onderwerp) is not None or _met_toegang(session, oin):
        raise OrganisatieHeeftSleutels("deze organisatie heeft al sleutels in het portaal")
    uitgegeven = _geef_uit(session, rt, ca, deelnemer, paren, door=door, nu=nu)
    kids = {jkt(paren[0]): uitgegeven[0].kid, jkt(paren[1]): uitgegeven[1].kid}
    store.bewaar_sleutelblob(
        session,
        PortaalSleutelblob(
            oin=oin,
            onderwerp=onderwerp,
            blob=_tekst_v2(kdf, persoonlijk, sleutels, kids),
            aangemaakt_op=nu,
            gewijzigd_op=nu,
            naam=naam[:200],
            toegang_gevraagd_op=None,
        ),
    )
    return uitgegeven


class OrganisatieHeeftSleutels(OngeldigeAanvraag):
    """A colleague already has access to the organisation's keys: ask for access instead."""


class GeenToegang(OngeldigeAanvraag):
    """The user does not (yet) hold the organisation's keys."""


class NietGevonden(OngeldigeAanvraag):
    """No such colleague (or request) for this organisation."""


def vraag_toegang(
    session: Session, *, oin: str, onderwerp: str, naam: str, door: str, verzoek: dict[str, Any], nu: datetime
) -> None:
    """A user of an organisation that has keys asks for access: their personal key (wrapped under
    their own passphrase) is stored with no organisation keys, and the request is audited and
    e-mailed. Also the way back after a lost passphrase, when a colleague still has access."""
    met_toegang = [g for g in _met_toegang(session, oin) if g.onderwerp != onderwerp]
    if not met_toegang:
        raise GeenToegang(
            "niemand van uw organisatie heeft toegang tot haar sleutels, dus niemand kan u toegang geven; "
            "maak nieuwe sleutels"
        )
    kdf, persoonlijk, _ = controleer_blob_v2(verzoek.get("blob"), oin=oin, leeg=True)
    _eigen_zout(session, kdf, oin=oin, onderwerp=onderwerp)
    oud = store.sleutelblob(session, oin, onderwerp)
    if oud is not None and _lees(oud).toegang and verzoek.get("opnieuw") is not True:
        raise SleutelsBestaan(
            "u hebt al toegang tot de sleutels van uw organisatie; ontgrendel ze met uw wachtwoord"
        )
    store.bewaar_sleutelblob(
        session,
        PortaalSleutelblob(
            oin=oin,
            onderwerp=onderwerp,
            blob=_tekst_v2(kdf, persoonlijk, [], {}),
            aangemaakt_op=oud.aangemaakt_op if oud is not None else nu,
            gewijzigd_op=nu,
            naam=naam[:200],
            toegang_gevraagd_op=nu,
        ),
    )
    _meld(session, audit.Actie.SLEUTELTOEGANG_GEVRAAGD, oin=oin, door=door, wie=onderwerp, naam=naam, nu=nu)


def _eigen_toegang(session: Session, oin: str, onderwerp: str) -> Gebruikersblob:
    rij = store.sleutelblob(session, oin, onderwerp)
    eigen = _lees(rij) if rij is not None else None
    if eigen is None or not eigen.toegang:
        raise GeenToegang("u hebt zelf geen toegang tot de sleutels van uw organisatie")
    if eigen.versie != 2:
        raise GeenToegang(
            "ontgrendel eerst uw sleutels: dan worden ze omgezet naar sleutels van uw organisatie"
        )
    return eigen


def geef_toegang(
    session: Session, *, oin: str, onderwerp: str, door: str, verzoek: dict[str, Any], nu: datetime
) -> None:
    """A colleague with access gives a requester access: every organisation key the colleague holds,
    wrapped (in the colleague's browser) to the requester's personal public key."""
    eigen = _eigen_toegang(session, oin, onderwerp)
    wie = verzoek.get("onderwerp")
    if not isinstance(wie, str) or wie == onderwerp:
        raise NietGevonden("kies een collega die toegang heeft gevraagd")
    rij = store.sleutelblob(session, oin, wie)
    if rij is None or rij.toegang_gevraagd_op is None:
        raise NietGevonden("deze collega heeft (nu) geen toegang gevraagd; laad de pagina opnieuw")
    data = json.loads(rij.blob)
    persoonlijk = data["persoonlijk"]
    if verzoek.get("jkt") != persoonlijk["jkt"]:
        raise OngeldigeAanvraag(
            "de collega heeft intussen opnieuw toegang gevraagd met een andere sleutel; laad de pagina "
            "opnieuw"
        )
    sleutels = verzoek.get("sleutels")
    if not isinstance(sleutels, list) or len(sleutels) > MAX_ORGANISATIESLEUTELS:
        raise OngeldigeAanvraag("de versleutelde organisatiesleutels ontbreken")
    gelezen = [controleer_organisatiesleutel(s, ontvanger=persoonlijk["jkt"], oin=oin) for s in sleutels]
    verwacht = {(s["gebruik"], s["jkt"]): s["kid"] for s in eigen.sleutels}
    if sorted((s.gebruik, s.jkt) for s in gelezen) != sorted(verwacht):
        raise OngeldigeAanvraag(
            "geef alle sleutels van uw organisatie door, niet meer en niet minder; laad de pagina opnieuw"
        )
    kids = {s.jkt: verwacht[(s.gebruik, s.jkt)] for s in gelezen}
    persoon = controleer_persoonlijk(
        {"jwk": persoonlijk["jwk"], "iv": persoonlijk["iv"], "versleuteld": persoonlijk["versleuteld"]}
    )
    rij.blob = _tekst_v2(data["kdf"], persoon, gelezen, kids)
    rij.toegang_gevraagd_op = None
    rij.gewijzigd_op = nu
    session.flush()
    _meld(session, audit.Actie.SLEUTELTOEGANG_GEGEVEN, oin=oin, door=door, wie=wie, naam=rij.naam, nu=nu)


def weiger_toegang(
    session: Session, *, oin: str, onderwerp: str, door: str, wie: object, nu: datetime
) -> None:
    _eigen_toegang(session, oin, onderwerp)
    rij = store.sleutelblob(session, oin, wie) if isinstance(wie, str) else None
    if rij is None or rij.toegang_gevraagd_op is None:
        raise NietGevonden("deze collega heeft (nu) geen toegang gevraagd; laad de pagina opnieuw")
    naam = rij.naam
    store.verwijder_sleutelblob(session, oin, rij.onderwerp)
    _meld(session, audit.Actie.SLEUTELTOEGANG_GEWEIGERD, oin=oin, door=door, wie=str(wie), naam=naam, nu=nu)


def beeindig_toegang(
    session: Session, *, oin: str, door: str, wie: object, nu: datetime, onderwerp: str | None = None
) -> None:
    """End a colleague's access (a leaver): their blob is deleted. ``onderwerp``: the user doing it,
    who must have access themselves (None: a beheerder). The leaver knew the keys, so from now on
    ``vernieuwen_nodig`` is true until the organisation has made new ones."""
    if onderwerp is not None:
        _eigen_toegang(session, oin, onderwerp)
        if wie == onderwerp:
            raise OngeldigeAanvraag("u kunt uw eigen toegang hier niet beëindigen; vraag dat een collega")
    rij = store.sleutelblob(session, oin, wie) if isinstance(wie, str) else None
    if rij is None or rij.toegang_gevraagd_op is not None:
        raise NietGevonden("deze collega heeft geen toegang tot de sleutels van uw organisatie")
    naam = rij.naam
    store.verwijder_sleutelblob(session, oin, rij.onderwerp)
    _meld(session, audit.Actie.SLEUTELTOEGANG_BEEINDIGD, oin=oin, door=door, wie=str(wie), naam=naam, nu=nu)


def zet_om(session: Session, *, oin: str, onderwerp: str, verzoek: dict[str, Any], nu: datetime) -> None:
    """A version 1 blob upgraded at unlock (the page does it): the user's own keys become the
    organisation's, now wrapped to the user's new personal key under the same passphrase."""
    rij = store.sleutelblob(session, oin, onderwerp)
    if rij is None:
        raise GeenToegang("u hebt nog geen sleutels in dit portaal")
    oud = json.loads(rij.blob)
    if oud.get("versie", 1) != 1:
        raise SleutelsBestaan("uw sleutels zijn al sleutels van uw organisatie")
    kdf, persoonlijk, sleutels = controleer_blob_v2(verzoek.get("blob"), oin=oin, leeg=False)
    _eigen_zout(session, kdf, oin=oin, onderwerp=onderwerp)
    verwacht = {(s["gebruik"], s["jkt"]): s["kid"] for s in oud["sleutels"]}
    if sorted((s.gebruik, s.jkt) for s in sleutels) != sorted(verwacht):
        raise OngeldigeAanvraag("de omgezette sleutels zijn niet dezelfde als uw opgeslagen sleutels")
    rij.blob = _tekst_v2(kdf, persoonlijk, sleutels, {s.jkt: verwacht[(s.gebruik, s.jkt)] for s in sleutels})
    rij.gewijzigd_op = nu
    session.flush()


def vernieuw(
    session: Session,
    rt: Runtime,
    *,
    deelnemer: Deelnemer,
    onderwerp: str,
    door: str,
    verzoek: dict[str, Any],
    nu: datetime,
) -> list[Uitgegeven]:
    """New organisation keys made by a user with access (after a leaver): both certificates issued,
    the new keys — with the decryption keys and secrets kept from before, for messages in flight and
    labels made before (rollover) — wrapped for every user with access, in one step; the old
    certificates retired after the new ones are registered."""
    ca = _ca(rt)
    oin = deelnemer.oin
    eigen = _eigen_toegang(session, oin, onderwerp)
    paren = _controleer_sleutelparen(verzoek, oin=oin, nu=nu)
    per_gebruiker = verzoek.get("sleutels")
    met_toegang = {g.onderwerp: g for g in _met_toegang(session, oin)}
    if not isinstance(per_gebruiker, dict) or set(per_gebruiker) != set(met_toegang):
        raise OngeldigeAanvraag(
            "versleutel de nieuwe sleutels voor iedereen die nu toegang heeft, niet meer en niet minder; "
            "laad de pagina opnieuw"
        )
    oud = {(s["gebruik"], s["jkt"]): s["kid"] for s in eigen.sleutels}
    nieuw_paar = {(Gebruik.ONDERTEKENING.value, jkt(paren[0])), (Gebruik.VERSLEUTELING.value, jkt(paren[1]))}
    gelezen: dict[str, list[Organisatiesleutel]] = {}
    verzameling: set[tuple[str, str]] | None = None
    for wie, lijst in per_gebruiker.items():
        persoonlijk = met_toegang[wie].persoonlijk
        if persoonlijk is None:
            raise OngeldigeAanvraag("een collega heeft nog oude sleutels; die moet eerst zelf ontgrendelen")
        if not isinstance(lijst, list) or len(lijst) > MAX_ORGANISATIESLEUTELS:
            raise OngeldigeAanvraag("de versleutelde organisatiesleutels ontbreken")
        items = [controleer_organisatiesleutel(s, ontvanger=persoonlijk["jkt"], oin=oin) for s in lijst]
        paren_set = {(s.gebruik, s.jkt) for s in items}
        if len(paren_set) != len(items) or (verzameling is not None and paren_set != verzameling):
            raise OngeldigeAanvraag("iedereen met toegang moet dezelfde sleutels krijgen")
        verzameling = paren_set
        gelezen[wie] = items
    assert verzameling is not None
    nieuw = verzameling - set(oud)
    _paren_kloppen([s for s in gelezen[onderwerp] if (s.gebruik, s.jkt) in nieuw], paren)
    for gebruik, sleutel_jkt in verzameling - nieuw:
        if gebruik == Gebruik.ONDERTEKENING.value:
            raise OngeldigeAanvraag("een oude ondertekeningssleutel wordt niet bewaard; laat die weg")
        assert (gebruik, sleutel_jkt) in oud
    if not nieuw_paar <= nieuw:
        raise OngeldigeAanvraag("de nieuwe sleutels ontbreken")

    uitgegeven = _geef_uit(session, rt, ca, deelnemer, paren, door=door, nu=nu)
    kids = {jkt(paren[0]): uitgegeven[0].kid, jkt(paren[1]): uitgegeven[1].kid}
    kids.update({sleutel_jkt: kid for (_, sleutel_jkt), kid in oud.items()})
    for wie, items in gelezen.items():
        rij = store.sleutelblob(session, oin, wie)
        assert rij is not None
        data = json.loads(rij.blob)
        p = data["persoonlijk"]
        persoon = controleer_persoonlijk({"jwk": p["jwk"], "iv": p["iv"], "versleuteld": p["versleuteld"]})
        rij.blob = _tekst_v2(data["kdf"], persoon, items, kids)
        rij.gewijzigd_op = nu
    session.flush()
    # After the new ones are registered: every older certificate of the organisation's keys retired.
    _trek_in(
        session,
        deelnemer,
        {kid for (gebruik, _), kid in oud.items() if gebruik in _PAREN},
        door=door,
        nu=nu,
    )
    return uitgegeven


# --- a PKIoverheid certificate imported in the browser (DESIGN §5 "Portal") ---------------------------
#
# The page reads a PKCS#12 file (or a PEM certificate and PKCS#8 key), checks the OIN and that the key
# belongs to the certificate, and wraps the private key — which never leaves the browser unwrapped — to
# the personal key of every user with access, as the organisation's other keys. Here the certificate
# is checked against the configured trust anchors (with the intermediates from the file) as the API
# participants' certificates are, registered in the adresboek (audit log, e-mail) and the wrapped key
# added to each user's blob under the certificate's kid.

MAX_KETEN = 8
"""Intermediate certificates sent with an imported certificate."""


def _lees_certificaat(pem: object, wat: str) -> x509.Certificate:
    if not isinstance(pem, str) or not pem.strip() or len(pem) > 16 * 1024:
        raise OngeldigeAanvraag(f"{wat} ontbreekt (PEM, '-----BEGIN CERTIFICATE-----')")
    try:
        return lees_pem(pem).certificaat
    except ValueError as exc:
        raise OngeldigeAanvraag(f"{wat} is niet te lezen: {exc}") from exc


RSA_MIN_BITS = 2048
RSA_MAX_BITS = 4096
"""RSA keys the werkplek imports (decision 0036): PS256 and RSA-OAEP-256 need at least 2048 bits
(DESIGN §5); above 4096 WebCrypto is slow and PKIoverheid issues none."""


def gebruik_van(cert: x509.Certificate) -> str:
    """What an imported certificate's key is for in the werkplek, from its keyUsage: signing
    (digitalSignature) or else decrypting — keyAgreement for P-256 (ECDH-ES), keyEncipherment for
    RSA (RSA-OAEP, decision 0036); one use per imported key."""
    try:
        gebruik = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise OngeldigeAanvraag(
            "het certificaat zegt niet waarvoor de sleutel dient (keyUsage ontbreekt)"
        ) from exc
    if gebruik.digital_signature:
        return Gebruik.ONDERTEKENING.value
    if isinstance(cert.public_key(), rsa.RSAPublicKey):
        if gebruik.key_encipherment:
            return Gebruik.VERSLEUTELING.value
        raise OngeldigeAanvraag(
            "het certificaat is niet voor ondertekenen (digitalSignature) of versleutelen (keyEncipherment)"
        )
    if gebruik.key_agreement:
        return Gebruik.VERSLEUTELING.value
    raise OngeldigeAanvraag(
        "het certificaat is niet voor ondertekenen (digitalSignature) of versleutelen (keyAgreement)"
    )


def importeer(
    session: Session,
    rt: Runtime,
    *,
    deelnemer: Deelnemer,
    onderwerp: str,
    door: str,
    verzoek: dict[str, Any],
    nu: datetime,
) -> Uitgegeven:
    """Register a certificate imported in the browser and add its wrapped key to the blob of every
    user with access. Raises OngeldigeAanvraag (Dutch) or HubFout; nothing is stored then."""
    oin = deelnemer.oin
    _eigen_toegang(session, oin, onderwerp)
    cert = _lees_certificaat(verzoek.get("certificaat"), "het certificaat")
    keten = verzoek.get("keten", [])
    if not isinstance(keten, list) or len(keten) > MAX_KETEN:
        raise OngeldigeAanvraag(f"de keten is een lijst van ten hoogste {MAX_KETEN} PEM-certificaten")
    tussen = [_lees_certificaat(p, "een certificaat uit de keten") for p in keten]
    info = lees(cert)
    if info.oin != oin:
        raise OngeldigeAanvraag(
            f"het certificaat is voor OIN {info.oin or '(geen serialNumber)'}, niet voor uw organisatie "
            f"({oin}); kies het certificaat van uw organisatie"
        )
    publiek = cert.public_key()
    if isinstance(publiek, rsa.RSAPublicKey):
        if not RSA_MIN_BITS <= publiek.key_size <= RSA_MAX_BITS:
            raise OngeldigeAanvraag(
                f"de RSA-sleutel van het certificaat is {publiek.key_size} bits; de werkplek gebruikt "
                f"RSA-sleutels van {RSA_MIN_BITS} tot en met {RSA_MAX_BITS} bits"
            )
    elif not isinstance(publiek, ec.EllipticCurvePublicKey) or not isinstance(publiek.curve, ec.SECP256R1):
        raise OngeldigeAanvraag(
            "de werkplek gebruikt sleutels op EC P-256 en RSA-sleutels van 2048 tot en met 4096 bits; "
            "dit certificaat heeft een andere sleutel"
        )
    gebruik = gebruik_van(cert)
    if rt.ankers is None:
        raise OngeldigeAanvraag(
            "dit knooppunt heeft geen vertrouwensankers ingesteld (KNOOPPUNT_VERTROUWENSANKERS); neem "
            "contact op met de beheerder"
        )
    try:
        rt.ankers.controleer(cert, tussen, moment=nu)
    except OngeldigCertificaat as exc:
        raise OngeldigeAanvraag(
            f"het {exc}; kies een certificaat van een vertrouwde CA (PKIoverheid), met de tussenliggende "
            "certificaten in hetzelfde bestand"
        ) from exc
    sleutel_jkt = jkt(publiek)
    met_toegang = {g.onderwerp: g for g in _met_toegang(session, oin)}
    per_gebruiker = verzoek.get("sleutels")
    if not isinstance(per_gebruiker, dict) or set(per_gebruiker) != set(met_toegang):
        raise OngeldigeAanvraag(
            "versleutel de sleutel voor iedereen die nu toegang heeft, niet meer en niet minder; laad de "
            "pagina opnieuw"
        )
    gelezen: dict[str, Organisatiesleutel] = {}
    for wie, lijst in per_gebruiker.items():
        persoonlijk = met_toegang[wie].persoonlijk
        if persoonlijk is None:
            raise OngeldigeAanvraag("een collega heeft nog oude sleutels; die moet eerst zelf ontgrendelen")
        if not isinstance(lijst, list) or len(lijst) != 1:
            raise OngeldigeAanvraag("stuur per collega precies één versleutelde sleutel")
        item = controleer_organisatiesleutel(lijst[0], ontvanger=persoonlijk["jkt"], oin=oin)
        if (item.gebruik, item.jkt) != (gebruik, sleutel_jkt):
            raise OngeldigeAanvraag(
                "de versleutelde sleutel hoort niet bij het certificaat (andere vingerafdruk of ander "
                "gebruik)"
            )
        if any((s.get("gebruik"), s.get("jkt")) == (gebruik, sleutel_jkt) for s in met_toegang[wie].sleutels):
            raise OngeldigeAanvraag("deze sleutel staat al bij de sleutels van uw organisatie")
        gelezen[wie] = item
    try:
        adresboek.voeg_certificaat_toe(session, oin, info, gebruik=[gebruik], nu=nu, ankers=None, door=door)
    except HubFout as fout:
        raise OngeldigeAanvraag(fout.detail.rstrip(".")) from fout
    kid = x5t_s256(info.der)
    for wie, item in gelezen.items():
        rij = store.sleutelblob(session, oin, wie)
        assert rij is not None
        data = json.loads(rij.blob)
        data["sleutels"].append({"kid": kid, "gebruik": item.gebruik, "jkt": item.jkt, "jwe": item.jwe})
        if len(data["sleutels"]) > MAX_ORGANISATIESLEUTELS:
            raise OngeldigeAanvraag("uw organisatie heeft te veel sleutels; maak eerst nieuwe sleutels")
        rij.blob = json.dumps(data, separators=(",", ":"), sort_keys=True)
        rij.gewijzigd_op = nu
    session.flush()
    return Uitgegeven(gebruik, kid, info.vingerafdruk, info.pem)


def _vingerafdruk_van_kid(kid: object) -> str | None:
    if not isinstance(kid, str):
        return None
    try:
        data = compact.ontb64url(kid.encode("ascii"))
    except (UnicodeEncodeError, compact.OngeldigeJose):
        return None
    return data.hex() if len(data) == 32 else None


def blob_van(session: Session, oin: str, onderwerp: str) -> dict[str, Any] | None:
    rij = store.sleutelblob(session, oin, onderwerp)
    if rij is None:
        return None
    gelezen: dict[str, Any] = json.loads(rij.blob)
    return gelezen
