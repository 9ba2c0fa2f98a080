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
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from knooppunt.client import compact
from knooppunt.hub import adresboek, audit
from knooppunt.pki import portaal_ca
from knooppunt.pki.certificaat import lees
from knooppunt.pki.portaal_ca import Gebruik, OngeldigeAanvraag, PortaalCa
from knooppunt.protocol.jwe import VERBODEN_LEDEN, x5t_s256
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


def jkt(sleutel: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of a P-256 public key, as jose's calculateJwkThumbprint."""
    jwk = jwk_van(sleutel)
    kanoniek = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"))
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


def controleer_blob(blob: object) -> tuple[dict[str, Any], list[Blobsleutel]]:
    """The wrapped keys as the browser sent them: Argon2id parameters no weaker than DESIGN §5
    (m ≥ 64 MiB, t ≥ 3, p = 1, a 16-byte salt) and per key its use, thumbprint, IV and ciphertext.
    Nothing else is kept: an unknown member is refused, so no plaintext can ride along."""
    if not isinstance(blob, dict):
        raise OngeldigeAanvraag("de versleutelde sleutels ontbreken")
    if set(blob) != {"versie", "kdf", "sleutels"} or blob["versie"] != 1:
        raise OngeldigeAanvraag("de versleutelde sleutels hebben een onbekende vorm (verwacht versie 1)")
    kdf = blob["kdf"]
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
        if item["gebruik"] in GEHEIMEN:
            if len(versleuteld) != 32 + 16:
                raise OngeldigeAanvraag(
                    f"het versleutelde {item['gebruik']} moet een versleutelde sleutel van 256 bits zijn"
                )
        elif len(versleuteld) < 64:
            raise OngeldigeAanvraag(
                "de versleutelde sleutel is te kort om een versleutelde privésleutel te zijn"
            )
        gelezen.append(Blobsleutel(item["gebruik"], item["jkt"], item["iv"], item["versleuteld"]))
    return kdf, gelezen


@dataclass(frozen=True, slots=True)
class Uitgegeven:
    gebruik: str
    kid: str
    vingerafdruk: str
    pem: str


def vraag_aan(
    session: Session,
    rt: Runtime,
    *,
    deelnemer: Deelnemer,
    onderwerp: str,
    door: str,
    verzoek: dict[str, Any],
    nu: datetime,
) -> list[Uitgegeven]:
    """Check the browser's request, issue and register both certificates, store the blob. Raises
    OngeldigeAanvraag (Dutch) for anything wrong; nothing is stored then (one transaction)."""
    ca = PortaalCa.laad(rt.settings)
    if ca is None:
        raise OngeldigeAanvraag(
            "dit knooppunt heeft geen portaal-CA ingesteld (KNOOPPUNT_PORTAAL_CA_CERTIFICAAT en "
            "KNOOPPUNT_PORTAAL_CA_SLEUTEL); neem contact op met de beheerder"
        )
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
    kdf, sleutels = controleer_blob(verzoek.get("blob"))
    verwacht = {Gebruik.ONDERTEKENING.value: jkt(tekensleutel), Gebruik.VERSLEUTELING.value: jkt(ecdh)}
    if sorted((s.gebruik, s.jkt) for s in sleutels if s.gebruik not in GEHEIMEN) != sorted(verwacht.items()):
        raise OngeldigeAanvraag(
            "de versleutelde sleutels horen niet bij de aangevraagde sleutels (vingerafdrukken wijken af)"
        )
    if sorted(s.gebruik for s in sleutels if s.gebruik in GEHEIMEN) != sorted(GEHEIMEN):
        raise OngeldigeAanvraag(
            "de versleutelde sleutels missen de geheimen van de organisatie (nummergeheim en "
            "labelsleutel, elk één keer); laad de pagina opnieuw"
        )

    uitgegeven: list[Uitgegeven] = []
    kids: dict[str, str] = {}
    for gebruik, publiek in ((Gebruik.ONDERTEKENING, tekensleutel), (Gebruik.VERSLEUTELING, ecdh)):
        cert = ca.geef_uit(publiek, oin=oin, naam=deelnemer.naam, gebruik=gebruik, nu=nu)
        info = lees(cert)
        audit.certificaat_uitgegeven(
            session, oin=oin, vingerafdruk=info.vingerafdruk, gebruik=gebruik.value, door=door, nu=nu
        )
        adresboek.voeg_certificaat_toe(
            session, oin, info, gebruik=[gebruik.value], nu=nu, ankers=rt.ankers, door=door
        )
        kid = x5t_s256(info.der)
        kids[gebruik.value] = kid
        uitgegeven.append(Uitgegeven(gebruik.value, kid, info.vingerafdruk, info.pem))

    if oud is not None:
        # A lost passphrase: the keys of the old blob are gone, so their certificates are retired
        # (still listed for verifying what was signed before; messages for them are refused).
        for item in json.loads(oud.blob).get("sleutels", []):
            vingerafdruk = _vingerafdruk_van_kid(item.get("kid"))
            if vingerafdruk is not None:
                cert_rij = next((c for c in deelnemer.certificaten if c.vingerafdruk == vingerafdruk), None)
                if cert_rij is not None and cert_rij.ingetrokken_op is None:
                    adresboek.trek_certificaat_in(session, oin, vingerafdruk, nu=nu, door=door)

    opgeslagen = {
        "versie": 1,
        "kdf": kdf,
        "sleutels": [
            {
                "kid": kids.get(s.gebruik, s.jkt),
                "gebruik": s.gebruik,
                "jkt": s.jkt,
                "iv": s.iv,
                "versleuteld": s.versleuteld,
            }
            for s in sleutels
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
        ),
    )
    return uitgegeven


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
