"""Keys made in the browser (DESIGN §5 "Portal", decision 0025), the server's half through the
whole app: a request as the page makes it (CSR, ECDH JWK, proof of possession, wrapped blob) is
checked, both certificates are issued by the portal CA and registered in the adresboek with an audit
entry each; forged or malformed requests are refused with a Dutch reason and store nothing; the
blob comes back only to its own user; the JSON endpoints want the CSRF header."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select
from starlette.testclient import TestClient

from knooppunt.client import compact
from knooppunt.config import Settings
from knooppunt.portaal import sleutelblobs
from knooppunt.portaal.routes import sleutels as sleutelroutes
from knooppunt.runtime import Runtime
from knooppunt.store import crl_staat
from knooppunt.store.db import transactie
from knooppunt.store.models import Auditregel, Certificaat, PortaalSleutelblob
from tests.conftest import maak_settings
from tests.portaal.conftest import inloggen, oin_van

API = "/portaal/sleutels/api"


@pytest.fixture
def settings(database_url: str, tmp_path: Path, pki_dir: Path) -> Settings:
    """With the development CA as the portal CA (as `knooppunt serve` has in development)."""
    return maak_settings(
        database_url,
        tmp_path / "data",
        pki_dir,
        portaal_ca_certificaat=pki_dir / "ca.pem",
        portaal_ca_sleutel=pki_dir / "ca-key.pem",
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def csrf_van_pagina(client: TestClient) -> str:
    pagina = client.get("/portaal/sleutels")
    assert pagina.status_code == 200, pagina.text
    start = pagina.text.index('data-csrf="') + len('data-csrf="')
    return pagina.text[start : pagina.text.index('"', start)]


class Browser:
    """What the page makes: two P-256 key pairs, a CSR, the proof, the wrapped blob."""

    def __init__(self, oin: str) -> None:
        self.oin = oin
        self.teken = ec.generate_private_key(ec.SECP256R1())
        self.ecdh = ec.generate_private_key(ec.SECP256R1())
        self.csr = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, oin)]))
            .sign(self.teken, hashes.SHA256())
        )
        self.wikkel = AESGCM(os.urandom(32))  # stands in for the Argon2id-derived key

    def jwk(self) -> dict[str, str]:
        return sleutelblobs.jwk_van(self.ecdh.public_key())

    def bewijs(self, **anders: Any) -> str:
        der = self.csr.public_bytes(serialization.Encoding.DER)
        inhoud = {
            "doel": "knooppunt-portaal-sleutels",
            "oin": self.oin,
            "csr": b64url(hashlib.sha256(der).digest()),
            "versleuteling": self.jwk(),
            "iat": int(time.time()),
            **anders,
        }
        kop = {"alg": "ES256", "typ": "knooppunt-sleutelbewijs"}
        return compact.onderteken(kop, json.dumps(inhoud).encode(), self.teken).decode("ascii")

    def item(self, gebruik: str, sleutel: ec.EllipticCurvePrivateKey) -> dict[str, str]:
        jkt = sleutelblobs.jkt(sleutel.public_key())
        pkcs8 = sleutel.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        iv = os.urandom(12)
        aad = f"knooppunt-portaalsleutel:{gebruik}:{jkt}".encode()
        return {
            "gebruik": gebruik,
            "jkt": jkt,
            "iv": b64url(iv),
            "versleuteld": b64url(self.wikkel.encrypt(iv, pkcs8, aad)),
        }

    def geheim(self, gebruik: str) -> dict[str, Any]:
        """An organisation secret (nummergeheim, labelsleutel): a raw 256-bit key, a random id."""
        kid = b64url(os.urandom(32))
        iv = os.urandom(12)
        aad = f"knooppunt-portaalsleutel:{gebruik}:{kid}".encode()
        return {
            "gebruik": gebruik,
            "jkt": kid,
            "iv": b64url(iv),
            "versleuteld": b64url(self.wikkel.encrypt(iv, os.urandom(32), aad)),
        }

    def blob(self, **kdf: Any) -> dict[str, Any]:
        return {
            "versie": 1,
            "kdf": {
                "algoritme": "argon2id",
                "geheugenKiB": 65536,
                "iteraties": 3,
                "parallel": 1,
                "zout": b64url(os.urandom(16)),
                **kdf,
            },
            "sleutels": [
                self.item("ondertekening", self.teken),
                self.item("versleuteling", self.ecdh),
                self.geheim("nummergeheim"),
                self.geheim("labelsleutel"),
            ],
        }

    def verzoek(self, **anders: Any) -> dict[str, Any]:
        return {
            "csr": self.csr.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            "versleuteling": self.jwk(),
            "bewijs": self.bewijs(),
            "blob": self.blob(),
            "vervang": False,
            **anders,
        }


def vraag(client: TestClient, csrf: str, verzoek: dict[str, Any]) -> Any:
    return client.post(f"{API}/aanvraag", json=verzoek, headers={"X-CSRF-Token": csrf})


def tel(rt: Runtime, model: Any, *voorwaarden: Any) -> int:
    with transactie(rt.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*voorwaarden)) or 0)


def test_aanvraag_geeft_certificaten_uit_registreert_en_bewaart_blob(
    rt: Runtime, demo: dict[str, int], portaal: TestClient
) -> None:
    oin = oin_van("energie")
    inloggen(portaal, "energie", naam="Sanne")
    csrf = csrf_van_pagina(portaal)
    with transactie(rt.sessions) as session:
        versie_voor = crl_staat.nu_en_versie(session)[2]
    browser = Browser(oin)
    antwoord = vraag(portaal, csrf, browser.verzoek())
    assert antwoord.status_code == 201, antwoord.text
    certs = {c["gebruik"]: c for c in antwoord.json()["certificaten"]}
    assert set(certs) == {"ondertekening", "versleuteling"}

    teken_cert = x509.load_pem_x509_certificate(certs["ondertekening"]["pem"].encode())
    ecdh_cert = x509.load_pem_x509_certificate(certs["versleuteling"]["pem"].encode())
    assert teken_cert.public_key().public_numbers() == browser.teken.public_key().public_numbers()
    assert ecdh_cert.public_key().public_numbers() == browser.ecdh.public_key().public_numbers()
    assert teken_cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == oin
    assert ecdh_cert.extensions.get_extension_for_class(x509.KeyUsage).value.key_agreement
    for c, cert in ((certs["ondertekening"], teken_cert), (certs["versleuteling"], ecdh_cert)):
        der = cert.public_bytes(serialization.Encoding.DER)
        assert c["kid"] == b64url(hashlib.sha256(der).digest())

    # In the adresboek, for its own use only; audited as issued and as registered (key transparency).
    with transactie(rt.sessions) as session:
        rijen = {
            c.vingerafdruk: c
            for c in session.scalars(select(Certificaat).where(Certificaat.oin == oin)).unique().all()
        }
        assert crl_staat.nu_en_versie(session)[2] > versie_voor
    teken_rij = rijen[certs["ondertekening"]["vingerafdruk"]]
    ecdh_rij = rijen[certs["versleuteling"]["vingerafdruk"]]
    assert teken_rij.gebruik == ["ondertekening"]
    assert ecdh_rij.gebruik == ["versleuteling"]
    for c in certs.values():
        for actie in ("certificaat_uitgegeven", "certificaat_toegevoegd"):
            assert (
                tel(
                    rt,
                    Auditregel,
                    Auditregel.actie == actie,
                    Auditregel.certificaat == c["vingerafdruk"],
                    Auditregel.deelnemer == oin,
                    Auditregel.actor == "portaal:dev:Sanne",
                )
                == 1
            ), (actie, c["gebruik"])

    # The blob: kdf, salt and ciphertext by kid, nothing else.
    blob = portaal.get(f"{API}/blob", headers={"X-CSRF-Token": csrf}).json()["blob"]
    assert blob["kdf"]["algoritme"] == "argon2id" and blob["kdf"]["geheugenKiB"] >= 65536
    paren = [s for s in blob["sleutels"] if s["gebruik"] in ("ondertekening", "versleuteling")]
    assert {s["kid"] for s in paren} == {c["kid"] for c in certs.values()}
    geheimen = [s for s in blob["sleutels"] if s not in paren]
    assert sorted(s["gebruik"] for s in geheimen) == ["labelsleutel", "nummergeheim"]
    assert all(s["kid"] == s["jkt"] for s in geheimen)
    assert all(set(s) == {"kid", "gebruik", "jkt", "iv", "versleuteld"} for s in blob["sleutels"])

    # A second set without "nieuwe sleutels" is refused; the page now asks to unlock.
    opnieuw = vraag(portaal, csrf, Browser(oin).verzoek())
    assert opnieuw.status_code == 409
    assert "al sleutels" in opnieuw.json()["detail"]
    assert 'data-heeft-sleutels="ja"' in portaal.get("/portaal/sleutels").text


def test_nieuwe_sleutels_trekken_de_oude_certificaten_in(
    rt: Runtime, demo: dict[str, int], portaal: TestClient
) -> None:
    oin = oin_van("energie")
    inloggen(portaal, "energie", naam="Sanne")
    csrf = csrf_van_pagina(portaal)
    eerst = vraag(portaal, csrf, Browser(oin).verzoek()).json()["certificaten"]
    daarna = vraag(portaal, csrf, Browser(oin).verzoek(vervang=True))
    assert daarna.status_code == 201, daarna.text
    with transactie(rt.sessions) as session:
        for c in eerst:
            rij = session.get(Certificaat, c["vingerafdruk"])
            assert rij is not None and rij.ingetrokken_op is not None
        for c in daarna.json()["certificaten"]:
            rij = session.get(Certificaat, c["vingerafdruk"])
            assert rij is not None and rij.ingetrokken_op is None
    blob = portaal.get(f"{API}/blob", headers={"X-CSRF-Token": csrf}).json()["blob"]
    assert {s["kid"] for s in blob["sleutels"] if s["gebruik"] not in sleutelblobs.GEHEIMEN} == {
        c["kid"] for c in daarna.json()["certificaten"]
    }
    assert (
        tel(rt, Auditregel, Auditregel.actie == "certificaat_ingetrokken", Auditregel.deelnemer == oin) == 2
    )


def _vals(oin: str) -> list[tuple[str, dict[str, Any], str]]:
    """(what, request, a word of the Dutch refusal)."""
    b = Browser(oin)
    ander = Browser(oin)
    zwak = b.verzoek(blob=b.blob(geheugenKiB=1024))
    te_weinig = b.verzoek(blob=b.blob(iteraties=1))
    met_d = b.verzoek(versleuteling={**b.jwk(), "d": b64url(os.urandom(32))})
    vreemd_lid = b.verzoek()
    vreemd_lid["blob"]["wachtwoord"] = "geheim"
    verwisseld = b.verzoek()
    verwisseld["blob"]["sleutels"] = [
        ander.item("ondertekening", ander.teken),
        b.item("versleuteling", b.ecdh),
    ]
    zonder_geheimen = b.verzoek()
    zonder_geheimen["blob"]["sleutels"] = zonder_geheimen["blob"]["sleutels"][:2]
    kort_geheim = b.verzoek()
    kort_geheim["blob"]["sleutels"][2]["versleuteld"] = b64url(os.urandom(64))
    p384 = ec.generate_private_key(ec.SECP384R1())
    csr_p384 = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, oin)]))
        .sign(p384, hashes.SHA256())
    )
    return [
        ("geen csr", b.verzoek(csr="geen certificaatverzoek"), "certificaatverzoek"),
        (
            "csr van een andere curve",
            b.verzoek(csr=csr_p384.public_bytes(serialization.Encoding.PEM).decode()),
            "P-256",
        ),
        ("bewijs door een andere sleutel", b.verzoek(bewijs=ander.bewijs()), "klopt niet"),
        ("bewijs voor een ander oin", b.verzoek(bewijs=b.bewijs(oin="00000003999999990000")), "OIN"),
        ("bewijs voor een andere csr", b.verzoek(bewijs=b.bewijs(csr=b64url(os.urandom(32)))), "hash"),
        ("bewijs voor een andere sleutel", b.verzoek(bewijs=b.bewijs(versleuteling=ander.jwk())), "andere"),
        ("oud bewijs", b.verzoek(bewijs=b.bewijs(iat=int(time.time()) - 3600)), "te oud"),
        ("geen bewijs", b.verzoek(bewijs=None), "bewijs"),
        ("privé-deel meegestuurd", met_d, "privé"),
        ("zwakke argon2id", zwak, "64 MiB"),
        ("te weinig iteraties", te_weinig, "iteraties"),
        ("onbekend lid in de blob", vreemd_lid, "onbekende vorm"),
        ("blob van andere sleutels", verwisseld, "vingerafdrukken"),
        ("blob zonder de geheimen van de organisatie", zonder_geheimen, "nummergeheim en labelsleutel"),
        ("geheim van de verkeerde lengte", kort_geheim, "256 bits"),
        (
            "dezelfde sleutel tweemaal",
            b.verzoek(versleuteling=sleutelblobs.jwk_van(b.teken.public_key())),
            "verschillende",
        ),
    ]


def test_valse_en_kapotte_aanvragen_worden_geweigerd_in_het_nederlands(
    rt: Runtime, demo: dict[str, int], portaal: TestClient
) -> None:
    oin = oin_van("energie")
    inloggen(portaal, "energie")
    csrf = csrf_van_pagina(portaal)
    voor = tel(rt, Certificaat, Certificaat.oin == oin)
    for wat, verzoek, woord in _vals(oin):
        antwoord = vraag(portaal, csrf, verzoek)
        assert antwoord.status_code == 400, (wat, antwoord.text)
        detail = antwoord.json()["detail"]
        assert detail.startswith("De aanvraag is geweigerd:"), (wat, detail)
        assert woord in detail, (wat, detail)
    assert tel(rt, Certificaat, Certificaat.oin == oin) == voor
    assert tel(rt, PortaalSleutelblob) == 0
    assert tel(rt, Auditregel, Auditregel.actie == "certificaat_uitgegeven") == 0


def test_json_eindpunten_vragen_csrf_en_een_ingelogde_deelnemer(
    rt: Runtime, demo: dict[str, int], portaal: TestClient, nieuwe_browser: Any
) -> None:
    oin = oin_van("energie")
    anoniem = nieuwe_browser()
    assert anoniem.get(f"{API}/blob", headers={"X-CSRF-Token": "x"}).status_code == 401
    inloggen(portaal, "energie", naam="Sanne")
    csrf = csrf_van_pagina(portaal)
    for methode, pad in (("GET", "/blob"), ("POST", "/berichten"), ("POST", "/aanvraag")):
        zonder = portaal.request(methode, API + pad, json={})
        assert zonder.status_code == 403 and "CSRF" in zonder.json()["detail"], pad
    assert portaal.get(f"{API}/blob", headers={"X-CSRF-Token": csrf}).status_code == 404
    assert vraag(portaal, csrf, Browser(oin).verzoek()).status_code == 201
    # Another user of the same participant has no blob (one per user).
    collega = nieuwe_browser()
    inloggen(collega, "energie", naam="Piet")
    assert collega.get(f"{API}/blob", headers={"X-CSRF-Token": csrf_van_pagina(collega)}).status_code == 404
    beheer = nieuwe_browser()
    inloggen(beheer, "beheer")
    assert beheer.get("/portaal/sleutels").status_code == 403
    kapot = portaal.post(
        f"{API}/aanvraag",
        content=b"{geen json",
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert kapot.status_code == 400 and "JSON" in kapot.json()["detail"]
    groot = portaal.post(
        f"{API}/aanvraag",
        content=b" " * (70 * 1024),
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert groot.status_code == 413


def test_pagina_laadt_de_bundel_met_sri_en_strenge_csp(demo: dict[str, int], portaal: TestClient) -> None:
    inloggen(portaal, "energie")
    pagina = portaal.get("/portaal/sleutels")
    assert f'integrity="{sleutelroutes.bundel_integriteit()}"' in pagina.text
    csp = pagina.headers["content-security-policy"]
    for deel in (
        "script-src 'self' 'wasm-unsafe-eval'",
        "require-trusted-types-for 'script'",
        "frame-ancestors 'none'",
        "worker-src 'none'",
    ):
        assert deel in csp
    bundel = portaal.get("/portaal/static/js/portaal-sleutels.js")
    assert bundel.status_code == 200
    digest = base64.b64encode(hashlib.sha384(bundel.content).digest()).decode()
    assert sleutelroutes.bundel_integriteit() == f"sha384-{digest}"
    # Other pages keep the stricter policy: no WebAssembly there.
    start = portaal.get("/portaal/")
    assert "wasm-unsafe-eval" not in start.headers["content-security-policy"]
    assert "require-trusted-types-for 'script'" in start.headers["content-security-policy"]


def test_na_inloggen_naar_de_sleutelpagina_als_er_sleutels_zijn(
    demo: dict[str, int], portaal: TestClient, nieuwe_browser: Any
) -> None:
    oin = oin_van("energie")
    inloggen(portaal, "energie", naam="Sanne")
    assert vraag(portaal, csrf_van_pagina(portaal), Browser(oin).verzoek()).status_code == 201
    opnieuw = nieuwe_browser()
    pagina = opnieuw.get("/portaal/inloggen")
    start = pagina.text.index('name="csrf" value="') + len('name="csrf" value="')
    csrf = pagina.text[start : pagina.text.index('"', start)]
    antwoord = opnieuw.post(
        "/portaal/inloggen/ontwikkeling", data={"csrf": csrf, "wie": oin, "naam": "Sanne"}
    )
    assert antwoord.status_code == 303
    assert antwoord.headers["location"] == "/portaal/sleutels"
    # Without keys the login goes where it always went.
    ander = nieuwe_browser()
    inloggen(ander, "energie", naam="Piet")


def test_berichten_en_afzendercertificaten_voor_de_pagina(
    rt: Runtime, demo: dict[str, int], portaal: TestClient, kluis: Any
) -> None:
    """The inbox comes with its ciphertext, sealed (by the SDK, through the hosted municipality) for
    the browser's new certificate; the sender's certificates come as PEM with x5t#S256; the key the
    browser holds opens the message with the SDK's own checks."""
    from knooppunt.client import jose as sdk
    from knooppunt.portaal.demo import _met_klant
    from knooppunt.portaal.gastclient import Gastclient, TeVersturen
    from knooppunt.protocol.payloads.voorbeelden import voorbeeld

    oin = oin_van("energie")
    inloggen(portaal, "energie", naam="Sanne")
    csrf = csrf_van_pagina(portaal)
    browser = Browser(oin)
    certs = {c["gebruik"]: c for c in vraag(portaal, csrf, browser.verzoek()).json()["certificaten"]}
    gemeente = Gastclient(rt, kluis, oin_van("gemeente"), wie="test")
    verstuurd = gemeente.verstuur(
        TeVersturen(
            oin,
            "saldoverzoek_nuts",
            _met_klant(voorbeeld("schuldregeling", "saldoverzoek_nuts"), 9),
            str(uuid.uuid4()),
        )
    )
    ref = verstuurd.bericht.referentienummer

    lijst = portaal.post(f"{API}/berichten", json={}, headers={"X-CSRF-Token": csrf})
    assert lijst.status_code == 200, lijst.text
    env = next(b for b in lijst.json()["berichten"] if b["referentienummer"] == ref)
    assert env["afzenderNaam"] == "Gemeente Demodorp" and env["berichttypeNaam"]
    kop = json.loads(base64.urlsafe_b64decode(env["inhoud"].split(".")[0] + "=="))
    assert kop["kid"] == certs["versleuteling"]["kid"] and kop["alg"] == "ECDH-ES+A256KW"

    antwoord = portaal.get(
        f"{API}/certificaten",
        params={"oin": env["afzender"], "moment": env["ontvangenOp"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert antwoord.status_code == 200, antwoord.text
    pems = antwoord.json()["certificaten"]
    afzendercerts = [x509.load_pem_x509_certificate(c["pem"].encode()) for c in pems]
    assert all(sdk.kid_van(c) == p["x5t#S256"] for c, p in zip(afzendercerts, pems, strict=True))

    prive = sdk.prive_sleutel(
        browser.ecdh.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    geopend = sdk.open_(
        env["inhoud"], ontvanger_sleutel={kop["kid"]: prive}, afzender_certificaten=afzendercerts, envelop=env
    )
    assert geopend.json()["klantnummerSHV"] == "SHV-2026-0009"

    for params, woord in (
        ({"oin": "123", "moment": env["ontvangenOp"]}, "OIN"),
        ({"oin": env["afzender"], "moment": "gisteren"}, "moment"),
        ({"oin": env["afzender"], "moment": "2026-12-05T10:00:00"}, "tijdzone"),
    ):
        fout = portaal.get(f"{API}/certificaten", params=params, headers={"X-CSRF-Token": csrf})
        assert fout.status_code == 400 and woord in fout.json()["detail"], (params, fout.text)
