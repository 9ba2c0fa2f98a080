"""Keys made in the browser (DESIGN §5 "Portal", decision 0025), the server's half through the
whole app: a request as the page makes it (CSR, ECDH JWK, proof of possession, wrapped blob) is
checked, both certificates are issued by the portal CA and registered in the adresboek with an audit
entry each; forged or malformed requests are refused with a Dutch reason and store nothing; the
blob comes back only to its own user; the JSON endpoints want the CSRF header."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import time
import uuid
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select
from starlette.testclient import TestClient

from knooppunt.client import compact
from knooppunt.config import Settings
from knooppunt.portaal import sleutelblobs
from knooppunt.portaal.routes import sleutels as sleutelroutes
from knooppunt.portaal.weergave import tijdstip
from knooppunt.protocol.jwe import alg_past_bij_sleutel
from knooppunt.runtime import Runtime
from knooppunt.store import crl_staat
from knooppunt.store.db import transactie
from knooppunt.store.models import Auditregel, Certificaat, PortaalSleutelblob
from tests.conftest import met_portaal_ca
from tests.portaal.conftest import csrf_van, inloggen, oin_van

API = "/portaal/sleutels/api"


@pytest.fixture
def settings(database_url: str, tmp_path: Path, pki_dir: Path) -> Settings:
    """With the development CA as the portal CA (as `knooppunt serve` has in development)."""
    return met_portaal_ca(database_url, tmp_path, pki_dir)


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
    # The first set's two certificates (the demo's hosted certificate was retired when the first set
    # was made: DESIGN §5 "Migration").
    assert (
        tel(
            rt,
            Auditregel,
            Auditregel.actie == "certificaat_ingetrokken",
            Auditregel.deelnemer == oin,
            Auditregel.certificaat.in_([c["vingerafdruk"] for c in eerst]),
        )
        == 2
    )


def test_een_zout_dat_een_andere_gebruiker_al_heeft_wordt_geweigerd(
    rt: Runtime, demo: dict[str, int], portaal: TestClient
) -> None:
    """DESIGN §5 "Portal": keys wrapped under Argon2id with "a salt per blob". The browser draws 16
    random bytes per blob; a blob that repeats another user's salt (a broken or hostile client) is
    refused, and nothing is issued or stored."""
    inloggen(portaal, "energie", naam="Sanne")
    csrf = csrf_van_pagina(portaal)
    eerste = Browser(oin_van("energie")).verzoek()
    assert vraag(portaal, csrf, eerste).status_code == 201
    zout = eerste["blob"]["kdf"]["zout"]

    oin = oin_van("zorg")
    inloggen(portaal, "zorg", naam="Joost")
    csrf = csrf_van_pagina(portaal)
    certificaten = tel(rt, Certificaat, Certificaat.oin == oin)
    browser = Browser(oin)
    herhaald = browser.verzoek(blob=browser.blob(zout=zout))
    antwoord = vraag(portaal, csrf, herhaald)
    assert antwoord.status_code == 400, antwoord.text
    assert "zout" in antwoord.json()["detail"]
    assert tel(rt, Certificaat, Certificaat.oin == oin) == certificaten
    assert tel(rt, PortaalSleutelblob, PortaalSleutelblob.oin == oin) == 0
    # With a salt of its own the same request goes through.
    assert vraag(portaal, csrf, browser.verzoek()).status_code == 201


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


class _Voorouders(HTMLParser):
    """The open elements (tag, attributes) around the element with id `doel`."""

    LEEG = frozenset({"input", "br", "img", "meta", "link", "hr", "col", "source", "wbr"})

    def __init__(self, doel: str) -> None:
        super().__init__()
        self.doel = doel
        self.stapel: list[tuple[str, dict[str, str | None]]] = []
        self.gevonden: list[tuple[str, dict[str, str | None]]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.gevonden is None and dict(attrs).get("id") == self.doel:
            self.gevonden = list(self.stapel)
        if tag not in self.LEEG:
            self.stapel.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        while self.stapel and self.stapel.pop()[0] != tag:
            pass


def test_de_sleutelpagina_toont_elk_certificaat_met_de_laatste_wijziging(
    rt: Runtime, demo: dict[str, int], portaal: TestClient, nieuwe_browser: Any
) -> None:
    """DESIGN §5 "Key transparency": every certificate is shown at every portal login, with the
    last change. A login of an organisation with keys in the browser lands on the key page, so that
    page lists them too — outside the steps the script shows one at a time, so locked and unlocked
    alike (tests/browser/test_sleutels.py sees it in both)."""
    oin = oin_van("energie")
    inloggen(portaal, "energie", naam="Sanne")
    csrf = csrf_van_pagina(portaal)
    eerst = vraag(portaal, csrf, Browser(oin).verzoek()).json()["certificaten"]
    daarna = vraag(portaal, csrf, Browser(oin).verzoek(vervang=True)).json()["certificaten"]
    with transactie(rt.sessions) as session:
        rijen = list(session.scalars(select(Certificaat).where(Certificaat.oin == oin)).unique())
        laatste = max(m for c in rijen for m in (c.toegevoegd_op, c.ingetrokken_op) if m)
    opnieuw = nieuwe_browser()
    inloggen(opnieuw, "energie", naam="Sanne")  # lands on the key page (the test above)
    pagina = opnieuw.get("/portaal/sleutels")
    assert pagina.status_code == 200
    tekst = pagina.text
    assert '<h2 id="kop-certificaten">Uw certificaten</h2>' in tekst
    assert f"Laatste wijziging: {tijdstip(laatste)}." in tekst
    assert f"{len(rijen)} certificaten, nieuwste eerst" in tekst
    for c in rijen:
        assert f"<code>{c.vingerafdruk[:16]}</code>" in tekst
    rij = re.compile(r"<tr><td>[^<]*</td><td><code>([0-9a-f]{16})</code>.*?</tr>")
    status = {m.group(1): m.group(0) for m in rij.finditer(tekst)}
    for c in eerst:
        assert "ingetrokken" in status[c["vingerafdruk"][:16]]
    for c in daarna:
        assert "in gebruik" in status[c["vingerafdruk"][:16]]
    # Not inside #sleutels (its steps are hidden and shown by the script), nothing around it hidden.
    voorouders = _Voorouders("kop-certificaten")
    voorouders.feed(tekst)
    assert voorouders.gevonden is not None
    assert all(a.get("id") != "sleutels" and "hidden" not in a for _, a in voorouders.gevonden)


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


# --- the organisation's keys shared by its users (blob version 2, decision 0027) ----------------------


def _jwe_register() -> Any:
    """joserfc, told about the members of the organisation key's protected header."""
    from joserfc.jwe import JWERegistry
    from joserfc.registry import HeaderParameter

    return JWERegistry(
        header_registry={n: HeaderParameter(n, "str", True) for n in ("gebruik", "jkt", "oin")},
        algorithms=["ECDH-ES+A256KW", "A256GCM"],
    )


class Gebruiker2:
    """What the page makes for one user in version 2: a personal ECDH key (its private part wrapped
    under a stand-in for the Argon2id key), and it unwraps the organisation keys wrapped to it."""

    def __init__(self, oin: str) -> None:
        self.oin = oin
        self.persoonlijk = ec.generate_private_key(ec.SECP256R1())
        self.wikkel = AESGCM(os.urandom(32))
        self.jkt = sleutelblobs.jkt(self.persoonlijk.public_key())

    def jwk(self) -> dict[str, str]:
        return sleutelblobs.jwk_van(self.persoonlijk.public_key())

    def blob(self, sleutels: list[dict[str, str]]) -> dict[str, Any]:
        pkcs8 = self.persoonlijk.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        iv = os.urandom(12)
        aad = f"knooppunt-portaalsleutel:persoonlijk:{self.jkt}".encode()
        return {
            "versie": 2,
            "kdf": {
                "algoritme": "argon2id",
                "geheugenKiB": 65536,
                "iteraties": 3,
                "parallel": 1,
                "zout": b64url(os.urandom(16)),
            },
            "persoonlijk": {
                "jwk": self.jwk(),
                "iv": b64url(iv),
                "versleuteld": b64url(self.wikkel.encrypt(iv, pkcs8, aad)),
            },
            "sleutels": sleutels,
        }

    def open(self, item: dict[str, str]) -> bytes:
        from joserfc import jwe
        from joserfc.jwk import ECKey

        sleutel = ECKey.import_key(
            self.persoonlijk.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        geopend = jwe.decrypt_compact(item["jwe"], sleutel, registry=_jwe_register())
        kop = geopend.headers()
        assert (kop["kid"], kop["gebruik"], kop["jkt"], kop["oin"]) == (
            self.jkt,
            item["gebruik"],
            item["jkt"],
            self.oin,
        )
        assert geopend.plaintext is not None
        return geopend.plaintext


def wikkel_voor(
    ontvanger: dict[str, str], org_oin: str, gebruik: str, sleutel_jkt: str, data: bytes, **anders: Any
) -> dict[str, str]:
    """One organisation key wrapped to a personal public key, as kluis.js wikkelVoor does."""
    from joserfc import jwe
    from joserfc.jwk import ECKey

    publiek = sleutelblobs.lees_jwk(ontvanger)
    kop = {
        "alg": "ECDH-ES+A256KW",
        "enc": "A256GCM",
        "typ": "knooppunt-organisatiesleutel",
        "kid": sleutelblobs.jkt(publiek),
        "gebruik": gebruik,
        "jkt": sleutel_jkt,
        "oin": org_oin,
        **anders,
    }
    return {
        "gebruik": gebruik,
        "jkt": sleutel_jkt,
        "jwe": jwe.encrypt_compact(kop, data, ECKey.import_key(ontvanger), registry=_jwe_register()),
    }


class Organisatie:
    """The organisation's keys as the first user's page makes them: both key pairs with their CSR and
    proof (Browser), and the two secrets, kept here as bytes to wrap for each user."""

    def __init__(self, oin: str) -> None:
        self.oin = oin
        self.browser = Browser(oin)
        self.items: list[tuple[str, str, bytes]] = []
        for gebruik, sleutel in (("ondertekening", self.browser.teken), ("versleuteling", self.browser.ecdh)):
            pkcs8 = sleutel.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            self.items.append((gebruik, sleutelblobs.jkt(sleutel.public_key()), pkcs8))
        for gebruik in ("nummergeheim", "labelsleutel"):
            self.items.append((gebruik, b64url(os.urandom(32)), os.urandom(32)))

    def voor(
        self, gebruiker: Gebruiker2, items: list[tuple[str, str, bytes]] | None = None
    ) -> list[dict[str, str]]:
        return [wikkel_voor(gebruiker.jwk(), self.oin, g, j, d) for g, j, d in (items or self.items)]

    def verzoek(self, gebruiker: Gebruiker2, **anders: Any) -> dict[str, Any]:
        b = self.browser
        return {
            "csr": b.csr.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            "versleuteling": b.jwk(),
            "bewijs": b.bewijs(),
            "blob": gebruiker.blob(self.voor(gebruiker)),
            "vervang": False,
            **anders,
        }


def post(client: TestClient, csrf: str, pad: str, body: dict[str, Any]) -> Any:
    return client.post(f"{API}{pad}", json=body, headers={"X-CSRF-Token": csrf})


def acties(rt: Runtime, oin: str, actie: str) -> list[Auditregel]:
    with transactie(rt.sessions) as session:
        return list(
            session.scalars(
                select(Auditregel)
                .where(Auditregel.deelnemer == oin, Auditregel.actie == actie)
                .order_by(Auditregel.id)
            )
        )


def test_een_collega_vraagt_toegang_en_krijgt_die_van_een_collega_met_toegang(
    rt: Runtime, demo: dict[str, int], portaal: TestClient, nieuwe_browser: Any
) -> None:
    from knooppunt.hub import notificaties as hub_notificaties
    from knooppunt.store.db import db_nu
    from knooppunt.store.models import Notificatie

    oin = oin_van("energie")
    with transactie(rt.sessions) as session:
        hub_notificaties.stel_in(
            session,
            oin,
            hub_notificaties.Wijziging(emailadressen=["sleutels@energie.example.nl"], modus="uit"),
            door="beheer:test",
            nu=db_nu(session),
            lokale_webhooks=False,
        )
    # 1. Sanne makes the organisation's keys.
    inloggen(portaal, "energie", naam="Sanne")
    csrf = csrf_van_pagina(portaal)
    sanne = Gebruiker2(oin)
    org = Organisatie(oin)
    gemaakt = vraag(portaal, csrf, org.verzoek(sanne))
    assert gemaakt.status_code == 201, gemaakt.text
    kids = {c["gebruik"]: c["kid"] for c in gemaakt.json()["certificaten"]}
    blob = portaal.get(f"{API}/blob", headers={"X-CSRF-Token": csrf}).json()["blob"]
    assert blob["versie"] == 2 and blob["persoonlijk"]["jkt"] == sanne.jkt
    assert "d" not in blob["persoonlijk"]["jwk"]
    assert {s["kid"] for s in blob["sleutels"] if s["gebruik"] in kids} == set(kids.values())
    assert {s["gebruik"]: sanne.open(s) for s in blob["sleutels"]} == {g: d for g, _, d in org.items}

    # 2. Piet, a colleague: the page says the organisation has keys; making a second set is refused.
    piet_client = inloggen(nieuwe_browser(), "energie", naam="Piet")
    piet_csrf = csrf_van_pagina(piet_client)
    assert 'data-toestand="organisatie"' in piet_client.get("/portaal/sleutels").text
    piet = Gebruiker2(oin)
    tweede = vraag(piet_client, piet_csrf, Organisatie(oin).verzoek(piet))
    assert tweede.status_code == 409 and "vraag toegang aan" in tweede.json()["detail"]
    # With organisation keys in a request for access: refused.
    fout = post(piet_client, piet_csrf, "/toegang", {"blob": piet.blob(org.voor(piet))})
    assert fout.status_code == 400 and "nog geen organisatiesleutels" in fout.json()["detail"]
    gevraagd = post(piet_client, piet_csrf, "/toegang", {"blob": piet.blob([])})
    assert gevraagd.status_code == 200, gevraagd.text
    assert 'data-toestand="gevraagd"' in piet_client.get("/portaal/sleutels").text
    # Piet cannot grant himself anything; he has no access.
    zelf = post(
        piet_client, piet_csrf, "/toegang/geven", {"onderwerp": "dev:Piet", "jkt": piet.jkt, "sleutels": []}
    )
    assert zelf.status_code == 403

    # 3. Sanne sees the request (metadata and Piet's public key only) and grants it.
    lijst = portaal.get(f"{API}/collegas", headers={"X-CSRF-Token": csrf}).json()
    verzoek = next(g for g in lijst["gebruikers"] if not g["zelf"])
    assert (verzoek["naam"], verzoek["toegang"], verzoek["persoonlijk"]["jkt"]) == ("Piet", False, piet.jkt)
    assert set(verzoek["persoonlijk"]) == {"jwk", "jkt"} and lijst["vernieuwenNodig"] is False
    # Not all keys, or wrapped for someone else: refused, nothing changes.
    half = post(
        portaal,
        csrf,
        "/toegang/geven",
        {"onderwerp": "dev:Piet", "jkt": piet.jkt, "sleutels": org.voor(piet)[:2]},
    )
    assert half.status_code == 400 and "niet meer en niet minder" in half.json()["detail"]
    verkeerd = post(
        portaal,
        csrf,
        "/toegang/geven",
        {"onderwerp": "dev:Piet", "jkt": piet.jkt, "sleutels": org.voor(Gebruiker2(oin))},
    )
    assert verkeerd.status_code == 400 and "andere persoonlijke sleutel" in verkeerd.json()["detail"]
    andere_oin = [wikkel_voor(piet.jwk(), oin, g, j, d, oin="00000001002306608000") for g, j, d in org.items]
    assert (
        post(
            portaal,
            csrf,
            "/toegang/geven",
            {"onderwerp": "dev:Piet", "jkt": piet.jkt, "sleutels": andere_oin},
        ).status_code
        == 400
    )
    gegeven = post(
        portaal,
        csrf,
        "/toegang/geven",
        {"onderwerp": "dev:Piet", "jkt": piet.jkt, "sleutels": org.voor(piet)},
    )
    assert gegeven.status_code == 200, gegeven.text

    # 4. Piet's blob now holds the same organisation keys, by the same kids, wrapped to his key.
    piet_blob = piet_client.get(f"{API}/blob", headers={"X-CSRF-Token": piet_csrf}).json()["blob"]
    assert {s["kid"] for s in piet_blob["sleutels"]} == {s["kid"] for s in blob["sleutels"]}
    assert {s["gebruik"]: piet.open(s) for s in piet_blob["sleutels"]} == {g: d for g, _, d in org.items}
    assert 'data-toestand="toegang"' in piet_client.get("/portaal/sleutels").text

    # Audited (who granted whom) and e-mailed to the organisation.
    assert [(r.actor, r.uitkomst) for r in acties(rt, oin, "sleuteltoegang_gevraagd")] == [
        ("portaal:dev:Piet", "portaal:dev:Piet")
    ]
    assert [(r.actor, r.uitkomst) for r in acties(rt, oin, "sleuteltoegang_gegeven")] == [
        ("portaal:dev:Sanne", "portaal:dev:Piet")
    ]
    with transactie(rt.sessions) as session:
        mails = [
            n.details["actie"]
            for n in session.scalars(
                select(Notificatie)
                .where(Notificatie.deelnemer == oin, Notificatie.soort == "beheer")
                .order_by(Notificatie.id)
            )
        ]
    assert mails[-2:] == ["sleuteltoegang_gevraagd", "sleuteltoegang_gegeven"]
    from knooppunt.notify import email
    from knooppunt.notify.base import Melding

    melding = Melding(
        id=1,
        deelnemer=oin,
        deelnemer_naam="Demo Energie BV",
        soort="beheer",
        aantallen={},
        oudste_verloopt_op=None,
        portaal_url=None,
        details={
            "actie": "sleuteltoegang_gegeven",
            "gebruiker": "portaal:dev:Piet",
            "naam": "Piet",
            "door": "portaal:dev:Sanne",
            "moment": "nu",
        },
    )
    assert "heeft toegang gekregen tot" in email.tekst(melding) and "Piet" in email.tekst(melding)
    assert "toegang tot de sleutels" in email.onderwerp(melding)

    # 5. Piet loses his passphrase: he asks again (Sanne still has access); the keys stay the same.
    assert 'data-anderen="ja"' in piet_client.get("/portaal/sleutels").text
    piet2 = Gebruiker2(oin)
    assert post(piet_client, piet_csrf, "/toegang", {"blob": piet2.blob([])}).status_code == 409
    opnieuw = post(piet_client, piet_csrf, "/toegang", {"blob": piet2.blob([]), "opnieuw": True})
    assert opnieuw.status_code == 200, opnieuw.text
    # Sanne refuses this time: Piet's blob is gone.
    geweigerd = post(portaal, csrf, "/toegang/weigeren", {"onderwerp": "dev:Piet"})
    assert geweigerd.status_code == 200, geweigerd.text
    assert piet_client.get(f"{API}/blob", headers={"X-CSRF-Token": piet_csrf}).status_code == 404
    assert [r.actor for r in acties(rt, oin, "sleuteltoegang_geweigerd")] == ["portaal:dev:Sanne"]
    with transactie(rt.sessions) as session:
        for kid in kids.values():
            rij = session.get(Certificaat, compact.ontb64url(kid.encode()).hex())
            assert rij is not None and rij.ingetrokken_op is None  # no new keys were needed


def test_een_vertrekker_en_daarna_nieuwe_sleutels_voor_wie_toegang_houdt(
    rt: Runtime, demo: dict[str, int], portaal: TestClient, nieuwe_browser: Any
) -> None:
    oin = oin_van("energie")
    inloggen(portaal, "energie", naam="Sanne")
    csrf = csrf_van_pagina(portaal)
    sanne, org = Gebruiker2(oin), Organisatie(oin)
    oud = vraag(portaal, csrf, org.verzoek(sanne)).json()["certificaten"]
    collegas = {}
    for naam in ("Piet", "Kees"):
        client = inloggen(nieuwe_browser(), "energie", naam=naam)
        c = csrf_van_pagina(client)
        g = Gebruiker2(oin)
        assert post(client, c, "/toegang", {"blob": g.blob([])}).status_code == 200
        assert (
            post(
                portaal,
                csrf,
                "/toegang/geven",
                {"onderwerp": f"dev:{naam}", "jkt": g.jkt, "sleutels": org.voor(g)},
            ).status_code
            == 200
        )
        collegas[naam] = (client, c, g)

    # Kees leaves: Piet ends his access (not his own; and only someone with access may).
    piet_client, piet_csrf, piet = collegas["Piet"]
    assert post(piet_client, piet_csrf, "/toegang/beeindigen", {"onderwerp": "dev:Piet"}).status_code == 400
    assert (
        post(piet_client, piet_csrf, "/toegang/beeindigen", {"onderwerp": "dev:Niemand"}).status_code == 404
    )
    weg = post(piet_client, piet_csrf, "/toegang/beeindigen", {"onderwerp": "dev:Kees"})
    assert weg.status_code == 200, weg.text
    kees_client, kees_csrf, _ = collegas["Kees"]
    assert kees_client.get(f"{API}/blob", headers={"X-CSRF-Token": kees_csrf}).status_code == 404
    assert [(r.actor, r.uitkomst) for r in acties(rt, oin, "sleuteltoegang_beeindigd")] == [
        ("portaal:dev:Piet", "portaal:dev:Kees")
    ]
    assert portaal.get(f"{API}/collegas", headers={"X-CSRF-Token": csrf}).json()["vernieuwenNodig"] is True

    # New keys, wrapped for Sanne and Piet in one step; the old decryption key and secrets kept.
    nieuw = Organisatie(oin)
    bewaard = [i for i in org.items if i[0] != "ondertekening"]
    items = bewaard + nieuw.items
    b = nieuw.browser
    basis = {
        "csr": b.csr.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        "versleuteling": b.jwk(),
        "bewijs": b.bewijs(),
    }
    # Not for everyone with access (Piet missing), or still for Kees: refused.
    assert (
        post(
            portaal, csrf, "/vernieuwen", {**basis, "sleutels": {"dev:Sanne": nieuw.voor(sanne, items)}}
        ).status_code
        == 400
    )
    met_oude_handtekening = org.items + nieuw.items
    fout = post(
        portaal,
        csrf,
        "/vernieuwen",
        {
            **basis,
            "sleutels": {
                "dev:Sanne": nieuw.voor(sanne, met_oude_handtekening),
                "dev:Piet": nieuw.voor(piet, met_oude_handtekening),
            },
        },
    )
    assert fout.status_code == 400 and "oude ondertekeningssleutel" in fout.json()["detail"]
    goed = post(
        portaal,
        csrf,
        "/vernieuwen",
        {**basis, "sleutels": {"dev:Sanne": nieuw.voor(sanne, items), "dev:Piet": nieuw.voor(piet, items)}},
    )
    assert goed.status_code == 200, goed.text
    nieuwe_certs = {c["gebruik"]: c for c in goed.json()["certificaten"]}
    assert portaal.get(f"{API}/collegas", headers={"X-CSRF-Token": csrf}).json()["vernieuwenNodig"] is False

    oude_kids = {c["kid"] for c in oud}
    for client, c, g in ((portaal, csrf, sanne), (piet_client, piet_csrf, piet)):
        blob = client.get(f"{API}/blob", headers={"X-CSRF-Token": c}).json()["blob"]
        per_kid = {s["kid"]: s["gebruik"] for s in blob["sleutels"]}
        # The new pair by its new kids; the old decryption key by its old kid (messages in flight).
        assert per_kid[nieuwe_certs["versleuteling"]["kid"]] == "versleuteling"
        assert per_kid[nieuwe_certs["ondertekening"]["kid"]] == "ondertekening"
        oude_versleuteling = next(o["kid"] for o in oud if o["gebruik"] == "versleuteling")
        assert per_kid[oude_versleuteling] == "versleuteling"
        assert not (oude_kids - {oude_versleuteling}) & set(per_kid)
        assert sorted(g.open(s) for s in blob["sleutels"]) == sorted(d for _, _, d in items)
    with transactie(rt.sessions) as session:
        for o in oud:
            rij = session.get(Certificaat, o["vingerafdruk"])
            assert rij is not None and rij.ingetrokken_op is not None
        for c in nieuwe_certs.values():
            rij = session.get(Certificaat, c["vingerafdruk"])
            assert rij is not None and rij.ingetrokken_op is None


def test_een_versie_1_blob_wordt_omgezet_naar_organisatiesleutels(
    rt: Runtime, demo: dict[str, int], portaal: TestClient
) -> None:
    oin = oin_van("energie")
    inloggen(portaal, "energie", naam="Sanne")
    csrf = csrf_van_pagina(portaal)
    browser = Browser(oin)
    verzoek = browser.verzoek()
    assert vraag(portaal, csrf, verzoek).status_code == 201
    v1 = portaal.get(f"{API}/blob", headers={"X-CSRF-Token": csrf}).json()["blob"]
    assert v1["versie"] == 1
    # The page unwraps the v1 entries and wraps the same keys to a new personal key.
    sanne = Gebruiker2(oin)
    items = []
    for s in v1["sleutels"]:
        aad = f"knooppunt-portaalsleutel:{s['gebruik']}:{s['jkt']}".encode()
        data = browser.wikkel.decrypt(
            compact.ontb64url(s["iv"].encode()), compact.ontb64url(s["versleuteld"].encode()), aad
        )
        items.append((s["gebruik"], s["jkt"], data))
    ander = [(g, j, d) for g, j, d in items if g != "labelsleutel"]
    fout = post(portaal, csrf, "/blob/omzetten", {"blob": sanne.blob(Organisatie(oin).voor(sanne, ander))})
    assert fout.status_code == 400 and "niet dezelfde" in fout.json()["detail"]
    goed = post(portaal, csrf, "/blob/omzetten", {"blob": sanne.blob(Organisatie(oin).voor(sanne, items))})
    assert goed.status_code == 200, goed.text
    v2 = portaal.get(f"{API}/blob", headers={"X-CSRF-Token": csrf}).json()["blob"]
    assert v2["versie"] == 2
    assert {(s["gebruik"], s["kid"]) for s in v2["sleutels"]} == {
        (s["gebruik"], s["kid"]) for s in v1["sleutels"]
    }
    assert (
        post(
            portaal, csrf, "/blob/omzetten", {"blob": sanne.blob(Organisatie(oin).voor(sanne, items))}
        ).status_code
        == 409
    )


def test_niemand_kan_ontgrendelen_dan_nieuwe_organisatiesleutels(
    rt: Runtime, demo: dict[str, int], portaal: TestClient, nieuwe_browser: Any
) -> None:
    """A request for access while nobody has access is refused with the way out: new keys."""
    oin = oin_van("energie")
    inloggen(portaal, "energie", naam="Sanne")
    csrf = csrf_van_pagina(portaal)
    sanne = Gebruiker2(oin)
    geen = post(portaal, csrf, "/toegang", {"blob": sanne.blob([])})
    assert geen.status_code == 403 and "maak nieuwe sleutels" in geen.json()["detail"]
    assert 'data-toestand="geen"' in portaal.get("/portaal/sleutels").text
    eerst = vraag(portaal, csrf, Organisatie(oin).verzoek(sanne)).json()["certificaten"]
    # Sanne loses her passphrase, nobody else has access: new organisation keys, old ones retired.
    opnieuw = vraag(portaal, csrf, Organisatie(oin).verzoek(Gebruiker2(oin), vervang=True))
    assert opnieuw.status_code == 201, opnieuw.text
    with transactie(rt.sessions) as session:
        for c in eerst:
            rij = session.get(Certificaat, c["vingerafdruk"])
            assert rij is not None and rij.ingetrokken_op is not None


# --- hosted keys migrated, the kluis destroyed (DESIGN §5 "Migration") --------------------------------


def test_gehoste_sleutels_migreren_en_daarna_wordt_de_kluis_vernietigd(
    rt: Runtime, settings: Settings, portaal: TestClient, cli: Any
) -> None:
    from knooppunt.jobs import kluis as kluisjob
    from knooppunt.portaal import kluismigratie
    from knooppunt.portaal.demo import DEELNEMERS, _met_klant, registreer_deelnemers
    from knooppunt.portaal.gastclient import Gastclient, GeenSleutel, TeVersturen, _jwe_kid
    from knooppunt.portaal.kluis import ONTWIKKEL_BESTAND, Kluis, KluisFout, Versleuteld
    from knooppunt.protocol.payloads.voorbeelden import voorbeeld
    from knooppunt.store import berichten as berichten_store
    from knooppunt.store.db import db_nu
    from knooppunt.store.models import Bericht, PortaalSleutel

    kluis = Kluis.uit_instellingen(rt.settings)
    registreer_deelnemers(rt, kluis)  # every demo participant hosted, no messages yet
    energie, gemeente = oin_van("energie"), oin_van("gemeente")
    verzender = Gastclient(rt, kluis, gemeente, wie="test")

    def stuur() -> str:
        payload = _met_klant(voorbeeld("schuldregeling", "saldoverzoek_nuts"), 7)
        bericht = TeVersturen(energie, "saldoverzoek_nuts", payload, str(uuid.uuid4()))
        return verzender.verstuur(bericht, waarvoor="test").bericht.referentienummer

    def kid_van(referentienummer: str) -> str | None:
        with transactie(rt.sessions) as session:
            b = session.scalar(select(Bericht).where(Bericht.referentienummer == referentienummer))
            assert b is not None
            jwe = berichten_store.inhoud(session, b.id)
            return _jwe_kid(jwe) if jwe else None

    with transactie(rt.sessions) as session:
        gehost = {
            r.kid: r for r in session.scalars(select(PortaalSleutel).where(PortaalSleutel.oin == energie))
        }
        bewaard = {k: Versleuteld(r.hoofdsleutel_id, r.nonce, r.versleuteld) for k, r in gehost.items()}
    onderweg = stuur()
    assert kid_van(onderweg) in gehost

    # The portal tells the hosted participant to make keys in the browser; it does.
    inloggen(portaal, "energie", naam="Sanne")
    assert 'id="gehost-uitleg"' in portaal.get("/portaal/sleutels").text
    csrf = csrf_van_pagina(portaal)
    gemaakt = vraag(portaal, csrf, Organisatie(energie).verzoek(Gebruiker2(energie)))
    assert gemaakt.status_code == 201, gemaakt.text
    browserkid = next(c["kid"] for c in gemaakt.json()["certificaten"] if c["gebruik"] == "versleuteling")
    assert 'id="gehost-uitleg"' not in portaal.get("/portaal/sleutels").text
    with transactie(rt.sessions) as session:
        for rij in session.scalars(select(PortaalSleutel).where(PortaalSleutel.oin == energie)):
            assert rij.gemigreerd_op is not None
            cert = session.get(Certificaat, compact.ontb64url(rij.kid.encode()).hex())
            assert cert is not None and cert.ingetrokken_op is not None  # retired for new encryption

    # New messages are sealed for the certificate made in the browser.
    nieuw = stuur()
    assert kid_van(nieuw) == browserkid

    # What the user sees (a newcomer probe found the message in flight opened nowhere): the
    # werkplek is told which messages are for the old key; the portal's own pages open, show and
    # download those — and only those — server-side, as before (docs/portaal.md).
    csrf = csrf_van_pagina(portaal)
    werkplek = portaal.post(f"{API}/berichten", json={}, headers={"X-CSRF-Token": csrf}).json()["berichten"]
    oud = {e["referentienummer"]: e.get("oudeSleutel", False) for e in werkplek}
    assert oud[onderweg] is True and oud[nieuw] is False
    overzicht = portaal.get("/portaal/ontvangen").text
    assert 'id="kop-oude-sleutel"' in overzicht and f'href="/portaal/ontvangen/{onderweg}"' in overzicht
    assert f'href="/portaal/ontvangen/{nieuw}"' not in overzicht
    assert portaal.get(f"/portaal/ontvangen/{onderweg}").status_code == 200
    geweigerd = portaal.get(f"/portaal/ontvangen/{nieuw}")
    assert geweigerd.status_code == 409 and "werkplek" in geweigerd.text
    csrf_o = csrf_van(portaal.get("/portaal/ontvangen").text)
    alle = portaal.post("/portaal/ontvangen/download", data={"csrf": csrf_o, "actie": "alle"})
    assert alle.status_code == 200 and alle.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(alle.content)) as zip_:
        inhoud = b"".join(zip_.read(n) for n in zip_.namelist())
    assert onderweg.encode() in inhoud and nieuw.encode() not in inhoud
    gekozen = portaal.post(
        "/portaal/ontvangen/download",
        data={"csrf": csrf_o, "actie": "geselecteerd", "ref": [onderweg, nieuw]},
    )
    assert gekozen.status_code == 409

    # The old path: the hosted key opens the message in flight, not the new one, and signs nothing.
    ontvanger = Gastclient(rt, kluis, energie, wie="test")
    geopend = {
        o.envelop["referentienummer"]: o
        for o in ontvanger.haal_op(waarvoor="test", referentienummers=[onderweg, nieuw])
    }
    assert geopend[onderweg].payload is not None and geopend[onderweg].fout is None
    assert geopend[nieuw].payload is None
    with ontvanger.transactie() as (session, nu), pytest.raises(GeenSleutel, match="in de browser"):
        ontvanger.sleutel(session, "test", nu)

    # Destroying is refused while hosted keys are needed, saying who needs them and why.
    proef = cli("portaal", "kluis-vernietigen", "--proef")
    assert proef.exit_code != 0
    assert gemeente in proef.output and "nog geen sleutels in de browser" in proef.output
    assert energie in proef.output and "1 bericht(en)" in proef.output
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        for d in DEELNEMERS:  # the others have made keys in the browser too
            if d.oin != energie:
                kluismigratie.markeer_gemigreerd(session, d.oin, nu=nu)
    with transactie(rt.sessions) as session:
        assert [(n.oin, "bericht" in n.reden) for n in kluismigratie.nog_nodig(session)] == [(energie, True)]
    assert kluisjob.vernietig(rt.sessions, rt.settings, nu=nu) == 0  # the job waits too

    # The message in flight is confirmed: nothing needs the kluis any more.
    ontvanger.bevestig([onderweg])
    with transactie(rt.sessions) as session:
        assert kluismigratie.nog_nodig(session) == []
    proef = cli("portaal", "kluis-vernietigen", "--proef")
    assert proef.exit_code == 0 and "zouden worden vernietigd" in proef.output, proef.output
    bestand = settings.data_dir / ONTWIKKEL_BESTAND
    assert bestand.exists()
    aantal = tel(rt, PortaalSleutel)
    assert kluisjob.vernietig(rt.sessions, rt.settings, nu=nu) == aantal
    assert tel(rt, PortaalSleutel) == 0 and not bestand.exists()
    assert tel(rt, Auditregel, Auditregel.actie == "kluis_vernietigd") == 1

    # The hosted private keys are unusable: no ciphertext left, and a saved copy does not open
    # under the master key the node has now (a new one; the old one is gone).
    with pytest.raises(GeenSleutel):
        ontvanger.haal_op(waarvoor="test", referentienummers=[nieuw])
    nieuwe_kluis = Kluis.uit_instellingen(rt.settings)
    kid, waarde = next(iter(bewaard.items()))
    with pytest.raises(KluisFout):
        nieuwe_kluis.ontsleutel(energie, kid, waarde)

    # Idempotent: nothing left to destroy.
    assert kluisjob.vernietig(rt.sessions, rt.settings, nu=nu) == 0
    weer = cli("portaal", "kluis-vernietigen")
    assert weer.exit_code == 0 and "niets te vernietigen" in weer.output
    assert tel(rt, Auditregel, Auditregel.actie == "kluis_vernietigd") == 1


def test_beheer_beeindigt_de_toegang_van_een_vertrekker(
    rt: Runtime, demo: dict[str, int], portaal: TestClient, nieuwe_browser: Any
) -> None:
    from tests.portaal.conftest import csrf_van

    oin = oin_van("energie")
    inloggen(portaal, "energie", naam="Sanne")
    csrf = csrf_van_pagina(portaal)
    sanne, org = Gebruiker2(oin), Organisatie(oin)
    assert vraag(portaal, csrf, org.verzoek(sanne)).status_code == 201

    beheer = inloggen(nieuwe_browser(), "beheer", naam="Bea")
    pagina = beheer.get(f"/portaal/sleutels/beheer/{oin}")
    assert pagina.status_code == 200 and "Heeft toegang" in pagina.text and "Sanne" in pagina.text
    # A participant's user may not use the beheer page.
    assert portaal.get(f"/portaal/sleutels/beheer/{oin}").status_code in (303, 403)
    # Without the CSRF token: refused.
    zonder = beheer.post(f"/portaal/sleutels/beheer/{oin}/beeindigen", data={"onderwerp": "dev:Sanne"})
    assert zonder.status_code == 403
    onbekend = beheer.post(
        f"/portaal/sleutels/beheer/{oin}/beeindigen",
        data={"csrf": csrf_van(pagina.text), "onderwerp": "dev:Niemand"},
    )
    assert onbekend.status_code == 400 and "geen toegang" in onbekend.text
    weg = beheer.post(
        f"/portaal/sleutels/beheer/{oin}/beeindigen",
        data={"csrf": csrf_van(pagina.text), "onderwerp": "dev:Sanne"},
    )
    assert weg.status_code == 303, weg.text
    assert portaal.get(f"{API}/blob", headers={"X-CSRF-Token": csrf}).status_code == 404
    regels = acties(rt, oin, "sleuteltoegang_beeindigd")
    assert [r.uitkomst for r in regels] == ["portaal:dev:Sanne"] and regels[0].actor != "portaal:dev:Sanne"
    assert "nog geen nieuwe sleutels" in beheer.get(f"/portaal/sleutels/beheer/{oin}?gedaan=beeindigd").text


# --- a PKIoverheid certificate imported in the browser (decision 0032) ------------------------------


def _pkio_certificaat(
    pki_dir: Path,
    oin: str,
    sleutel: Any,
    *,
    ondertekenen: bool = True,
    vertrouwd: bool = True,
) -> x509.Certificate:
    """A certificate as a PKIoverheid CA issues one (OIN in the subject serialNumber), here from the
    test CA (a trust anchor), or self-signed when not ``vertrouwd``."""
    import datetime

    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    onderwerp = x509.Name(
        [
            x509.NameAttribute(NameOID.SERIAL_NUMBER, oin),
            x509.NameAttribute(NameOID.COMMON_NAME, "PKIoverheid-import"),
        ]
    )
    if vertrouwd:
        ca = x509.load_pem_x509_certificate((pki_dir / "ca.pem").read_bytes())
        uitgever, ca_sleutel = ca.subject, load_pem_private_key((pki_dir / "ca-key.pem").read_bytes(), None)
    else:
        uitgever, ca_sleutel = onderwerp, sleutel
    nu = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(onderwerp)
        .issuer_name(uitgever)
        .public_key(sleutel.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nu - datetime.timedelta(days=1))
        .not_valid_after(nu + datetime.timedelta(days=365))
        .add_extension(
            x509.KeyUsage(
                digital_signature=ondertekenen,
                content_commitment=False,
                key_encipherment=not ondertekenen and isinstance(sleutel, rsa.RSAPrivateKey),
                data_encipherment=False,
                key_agreement=not ondertekenen and not isinstance(sleutel, rsa.RSAPrivateKey),
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_sleutel.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_sleutel, hashes.SHA256())  # type: ignore[arg-type]
    )


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _pkcs8(sleutel: Any) -> bytes:
    return bytes(
        sleutel.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


def test_een_geimporteerd_certificaat_wordt_gecontroleerd_geregistreerd_en_bij_de_sleutels_gezet(
    rt: Runtime, demo: dict[str, int], portaal: TestClient, nieuwe_browser: Any, pki_dir: Path
) -> None:
    oin = oin_van("energie")
    inloggen(portaal, "energie", naam="Sanne")
    csrf = csrf_van_pagina(portaal)
    sanne = Gebruiker2(oin)
    assert vraag(portaal, csrf, Organisatie(oin).verzoek(sanne)).status_code == 201
    sleutel = ec.generate_private_key(ec.SECP256R1())
    sleutel_jkt = sleutelblobs.jkt(sleutel.public_key())
    cert = _pkio_certificaat(pki_dir, oin, sleutel)

    def verzoek(c: x509.Certificate = cert, **anders: Any) -> dict[str, Any]:
        item = wikkel_voor(sanne.jwk(), oin, "ondertekening", sleutel_jkt, _pkcs8(sleutel))
        return {"certificaat": _pem(c), "keten": [], "sleutels": {"dev:Sanne": [item]}, **anders}

    andere = ec.generate_private_key(ec.SECP256R1())
    rsa_1024 = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    p384 = ec.generate_private_key(ec.SECP384R1())
    vals: list[tuple[dict[str, Any], str]] = [
        (
            verzoek(_pkio_certificaat(pki_dir, oin_van("gemeente"), sleutel)),
            "is voor OIN 00000001002306608000",
        ),
        (
            verzoek(_pkio_certificaat(pki_dir, oin, sleutel, vertrouwd=False)),
            "niet uitgegeven door een vertrouwde CA",
        ),
        (
            verzoek(_pkio_certificaat(pki_dir, oin, rsa_1024)),
            "de RSA-sleutel van het certificaat is 1024 bits; de werkplek gebruikt RSA-sleutels van 2048 tot "
            "en met 4096",
        ),
        (verzoek(_pkio_certificaat(pki_dir, oin, p384)), "dit certificaat heeft een andere sleutel"),
        (verzoek(_pkio_certificaat(pki_dir, oin, andere)), "hoort niet bij het certificaat"),
        (
            verzoek(_pkio_certificaat(pki_dir, oin, sleutel, ondertekenen=False)),
            "hoort niet bij het certificaat (andere vingerafdruk of ander gebruik)",
        ),
        (verzoek(sleutels={}), "voor iedereen die nu toegang heeft"),
        (
            verzoek(certificaat="-----BEGIN CERTIFICATE-----\nkapot\n-----END CERTIFICATE-----"),
            "niet te lezen",
        ),
        (verzoek(keten="geen lijst"), "de keten is een lijst"),
    ]
    voor = tel(rt, Certificaat, Certificaat.oin == oin)
    for fout, verwacht in vals:
        antwoord = post(portaal, csrf, "/importeren", fout)
        assert antwoord.status_code == 400, (verwacht, antwoord.text)
        assert verwacht in antwoord.json()["detail"], antwoord.json()["detail"]
        assert antwoord.json()["detail"].startswith("Er is niets veranderd: ")
    assert tel(rt, Certificaat, Certificaat.oin == oin) == voor

    # The right one: registered for signing, audited, and the key wrapped in Sanne's blob by its kid.
    goed = post(portaal, csrf, "/importeren", verzoek())
    assert goed.status_code == 200, goed.text
    [uit] = goed.json()["certificaten"]
    der = cert.public_bytes(serialization.Encoding.DER)
    assert uit["kid"] == b64url(hashlib.sha256(der).digest()) and uit["gebruik"] == "ondertekening"
    with transactie(rt.sessions) as session:
        rij = session.get(Certificaat, uit["vingerafdruk"])
        assert rij is not None and rij.oin == oin and rij.gebruik == ["ondertekening"]
    assert (
        tel(
            rt,
            Auditregel,
            Auditregel.actie == "certificaat_toegevoegd",
            Auditregel.certificaat == uit["vingerafdruk"],
            Auditregel.actor == "portaal:dev:Sanne",
        )
        == 1
    )
    blob = portaal.get(f"{API}/blob", headers={"X-CSRF-Token": csrf}).json()["blob"]
    [item] = [s for s in blob["sleutels"] if s["kid"] == uit["kid"]]
    assert sanne.open(item) == _pkcs8(sleutel)
    sleutelblobs.controleer_blob_v2(
        {
            **blob,
            "sleutels": [{k: v for k, v in s.items() if k != "kid"} for s in blob["sleutels"]],
            "persoonlijk": {k: blob["persoonlijk"][k] for k in ("jwk", "iv", "versleuteld")},
        },
        oin=oin,
        leeg=False,
    )
    # Once only; and a user without access to the organisation's keys cannot import.
    twee = post(portaal, csrf, "/importeren", verzoek())
    assert twee.status_code == 400 and "staat al bij de sleutels" in twee.json()["detail"]
    piet = inloggen(nieuwe_browser(), "energie", naam="Piet")
    assert post(piet, csrf_van_pagina(piet), "/importeren", verzoek()).status_code == 403


def test_een_geimporteerd_rsa_certificaat_voor_ondertekenen_en_ontsleutelen(
    rt: Runtime, demo: dict[str, int], portaal: TestClient, pki_dir: Path
) -> None:
    """Decision 0036: an RSA PKIoverheid certificate is imported like a P-256 one. digitalSignature
    makes it a signing key (PS256), keyEncipherment a decryption key (RSA-OAEP-256); its thumbprint
    is the RSA JWK's (as jose's calculateJwkThumbprint); an RSA-4096 key fits the blob; the
    adresboek registers the RSA key, so senders encrypt to it with RSA-OAEP-256 (DESIGN §5)."""
    from joserfc.jwk import RSAKey

    oin = oin_van("zorg")
    inloggen(portaal, "zorg", naam="Rik")
    csrf = csrf_van_pagina(portaal)
    rik = Gebruiker2(oin)
    assert vraag(portaal, csrf, Organisatie(oin).verzoek(rik)).status_code == 201
    for grootte, ondertekenen, gebruik in ((2048, True, "ondertekening"), (4096, False, "versleuteling")):
        sleutel = rsa.generate_private_key(public_exponent=65537, key_size=grootte)
        sleutel_jkt = sleutelblobs.jkt(sleutel.public_key())
        assert sleutel_jkt == RSAKey.import_key(sleutel.public_key()).thumbprint()
        cert = _pkio_certificaat(pki_dir, oin, sleutel, ondertekenen=ondertekenen)
        item = wikkel_voor(rik.jwk(), oin, gebruik, sleutel_jkt, _pkcs8(sleutel))
        # A key for another use than the certificate's keyUsage says: refused.
        anders = "versleuteling" if ondertekenen else "ondertekening"
        fout = wikkel_voor(rik.jwk(), oin, anders, sleutel_jkt, _pkcs8(sleutel))
        weg = post(
            portaal,
            csrf,
            "/importeren",
            {"certificaat": _pem(cert), "keten": [], "sleutels": {"dev:Rik": [fout]}},
        )
        assert weg.status_code == 400 and "ander gebruik" in weg.json()["detail"]

        goed = post(
            portaal,
            csrf,
            "/importeren",
            {"certificaat": _pem(cert), "keten": [], "sleutels": {"dev:Rik": [item]}},
        )
        assert goed.status_code == 200, goed.text
        [uit] = goed.json()["certificaten"]
        assert uit["gebruik"] == gebruik
        with transactie(rt.sessions) as session:
            rij = session.get(Certificaat, uit["vingerafdruk"])
            assert rij is not None and rij.oin == oin and rij.gebruik == [gebruik]
            assert (rij.sleuteltype, rij.sleutelgrootte) == ("RSA", grootte)
            assert alg_past_bij_sleutel("RSA-OAEP-256", rij.sleuteltype, rij.sleutelgrootte)
        blob = portaal.get(f"{API}/blob", headers={"X-CSRF-Token": csrf}).json()["blob"]
        [bewaard] = [s for s in blob["sleutels"] if s["kid"] == uit["kid"]]
        assert rik.open(bewaard) == _pkcs8(sleutel)
    assert [s["gebruik"] for s in blob["sleutels"]] == [
        "ondertekening",
        "versleuteling",
        "nummergeheim",
        "labelsleutel",
        "ondertekening",
        "versleuteling",
    ]
    sleutelblobs.controleer_blob_v2(
        {
            **blob,
            "sleutels": [{k: v for k, v in s.items() if k != "kid"} for s in blob["sleutels"]],
            "persoonlijk": {k: blob["persoonlijk"][k] for k in ("jwk", "iv", "versleuteld")},
        },
        oin=oin,
        leeg=False,
    )
