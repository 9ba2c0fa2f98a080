"""An independent check of the participant's side of the contract, written from DESIGN.md alone:
§5 "Content: sign, then encrypt" as the SDK and `knooppunt client` put it on the wire and check it
on receipt, §3a's choice of version, and §8's participant CLI (`client send`, `client fetch`).

What the SDK sends is taken off the wire by a hub in the middle (`Tussenhub`: a TLS server that
passes every request on to a real `knooppunt serve` over mutual TLS and records it) and decoded with
joserfc and hashlib, never with the SDK. What the hub cannot see — a JWS header naming other
metadata, a replayed message, an adresboek certificate from another CA or for another OIN — is
sealed with joserfc, or served by that hub in the middle, which then plays a hub that lies.
The CLI runs in this process (click's runner: its parsing, output and exit codes, without a
Python start per command); the one test of the invocation exactly as DESIGN §8 writes it runs it as
a real process.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from joserfc import jwe, jws
from joserfc.jwe import JWERegistry
from joserfc.jwk import ECKey, RSAKey
from joserfc.jws import JWSRegistry
from sqlalchemy import create_engine, text, update

from knooppunt import runtime as runtime_mod
from knooppunt.cli.main import main
from knooppunt.client.hub import HubClient
from knooppunt.pki import ontwikkel_ca
from knooppunt.protocol.payloads.voorbeelden import voorbeeld
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Base, Certificaat
from tests.conftest import DATABASES, maak_settings, registreer
from tests.factories import Partij
from tests.functional.server import Hub, mtls_client, ssl_context, start_hub
from tests.functional.test_client import _wissel_certificaat

METADATA = (
    "referentienummer",
    "conversatieReferentienummer",
    "crossReferentienummer",
    "module",
    "berichttype",
    "versie",
    "afzender",
    "ontvanger",
)
VERBODEN = {"zip", "jku", "jwk", "x5u", "x5c", "crit"}
M = "schuldregeling"


# --- JOSE by hand and with joserfc, never with the SDK ----------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _ontb64(deel: str | bytes) -> bytes:
    tekst = deel.decode("ascii") if isinstance(deel, bytes) else deel
    return base64.urlsafe_b64decode(tekst + "=" * (-len(tekst) % 4))


def _cert(pad: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pad.read_bytes())


def _x5t(cert: x509.Certificate) -> str:
    """DESIGN §5: "the base64url (unpadded) SHA-256 thumbprint of the ... certificate's DER"."""
    return _b64(hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).digest())


def _is_rsa(cert: x509.Certificate) -> bool:
    return isinstance(cert.public_key(), rsa.RSAPublicKey)


def _publiek(cert: x509.Certificate) -> RSAKey | ECKey:
    pem = cert.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return RSAKey.import_key(pem) if _is_rsa(cert) else ECKey.import_key(pem)


def _prive(cert: x509.Certificate, key_pad: Path) -> RSAKey | ECKey:
    return (
        RSAKey.import_key(key_pad.read_bytes()) if _is_rsa(cert) else ECKey.import_key(key_pad.read_bytes())
    )


def _kop(deel: str | bytes) -> dict[str, Any]:
    """A protected header, refusing a member named twice (DESIGN §5: "no duplicate members")."""

    def geen_dubbele(paren: list[tuple[str, Any]]) -> dict[str, Any]:
        namen = [n for n, _ in paren]
        assert len(namen) == len(set(namen)), f"a member is named twice: {namen}"
        return dict(paren)

    kop = json.loads(_ontb64(deel), object_pairs_hook=geen_dubbele)
    assert isinstance(kop, dict)
    return kop


def _jws_registry() -> JWSRegistry:
    registry = JWSRegistry(algorithms=["PS256", "ES256"], strict_check_header=False)
    registry.max_header_length = 4096  # the header repeats the envelope: more than joserfc's 512
    return registry


def _jwe_alg(ontvanger: x509.Certificate) -> str:
    return "RSA-OAEP-256" if _is_rsa(ontvanger) else "ECDH-ES+A256KW"


def verzegel_los(
    payload: Any,
    kop: dict[str, Any],
    *,
    ondertekenaar: tuple[Path, Path],
    ontvanger: x509.Certificate,
) -> str:
    """Sign, then encrypt as DESIGN §5 words it, with joserfc: a JWS (PS256/ES256 by the signing
    key's type) whose protected header is ``kop`` plus ``x5t#S256`` of the signing certificate, in a
    JWE for ``ontvanger`` with ``kid`` its thumbprint."""
    cert = _cert(ondertekenaar[0])
    alg = "PS256" if _is_rsa(cert) else "ES256"
    getekend = jws.serialize_compact(
        {"alg": alg, **kop, "x5t#S256": _x5t(cert)},
        json.dumps(payload).encode(),
        _prive(cert, ondertekenaar[1]),
        registry=_jws_registry(),
    )
    alg_jwe = _jwe_alg(ontvanger)
    return jwe.encrypt_compact(
        {"alg": alg_jwe, "enc": "A256GCM", "kid": _x5t(ontvanger)},
        getekend,
        _publiek(ontvanger),
        registry=JWERegistry(algorithms=[alg_jwe, "A256GCM"]),
    )


def envelop_los(
    afzender: Partij,
    ontvanger: Partij,
    berichttype: str,
    payload: Any,
    *,
    versie: str = "1.0",
    conversatie: str | None = None,
    in_kop: dict[str, Any] | None = None,
    ondertekenaar: tuple[Path, Path] | None = None,
) -> dict[str, Any]:
    """An envelope whose inhoud joserfc sealed; ``in_kop`` overrides members of the JWS header only
    (what the hub cannot see)."""
    envelop = {
        "referentienummer": str(uuid.uuid4()),
        "conversatieReferentienummer": conversatie or str(uuid.uuid4()),
        "crossReferentienummer": None,
        "berichttype": berichttype,
        "module": M,
        "versie": versie,
        "ontvanger": ontvanger.oin,
    }
    kop = {veld: envelop.get(veld) for veld in METADATA} | {"afzender": afzender.oin, "iat": int(time.time())}
    envelop["inhoud"] = verzegel_los(
        payload,
        kop | (in_kop or {}),
        ondertekenaar=ondertekenaar or (afzender.cert_pad, afzender.key_pad),
        ontvanger=ontvanger.certificaat,
    )
    return envelop


# --- a hub in the middle ------------------------------------------------------------------------------


@dataclass
class Verzoek:
    methode: str
    pad: str
    body: bytes
    status: int
    antwoord: bytes


Herschrijf = Callable[[str, str, bytes], bytes | None]
"""(method, path with query, the real hub's answer) -> the answer to give instead, or None."""


class Tussenhub:
    """A TLS server with the hub's server certificate that passes every request on to the real hub,
    over mutual TLS as the participant whose client certificate it was shown, and records it.
    ``herschrijf`` lets it lie, as a hub (or its operator) could."""

    def __init__(self, hub: Hub, pki_dir: Path, partijen: dict[str, Partij]) -> None:
        self.hub = hub
        self.partijen = partijen  # by OIN; the test may add to it
        self.verzoeken: list[Verzoek] = []
        self.herschrijf: Herschrijf | None = None
        self._clients: dict[str, httpx.Client] = {}
        self._lock = threading.Lock()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki_dir / "server.pem", pki_dir / "server-key.pem")
        context.load_verify_locations(pki_dir / "ca.pem")
        context.verify_mode = ssl.CERT_REQUIRED
        tussen = self

        class Doorgever(BaseHTTPRequestHandler):
            def _door(self) -> None:
                lengte = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(lengte) if lengte else b""
                der = self.connection.getpeercert(binary_form=True)
                oin = _oin(x509.load_der_x509_certificate(der)) if der else None
                if oin is None or oin not in tussen.partijen:
                    self._antwoord(403, b'{"code": "ONBEKEND"}', "application/problem+json")
                    return
                kop = {"Content-Type": self.headers.get("Content-Type", "application/json")}
                r = tussen.client(oin).request(self.command, self.path, content=body, headers=kop)
                antwoord = r.content
                if tussen.herschrijf is not None:
                    antwoord = tussen.herschrijf(self.command, self.path, antwoord) or antwoord
                tussen.verzoeken.append(Verzoek(self.command, self.path, body, r.status_code, antwoord))
                self._antwoord(r.status_code, antwoord, r.headers.get("content-type", "application/json"))

            def _antwoord(self, status: int, body: bytes, soort: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", soort)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._door()

            def do_POST(self) -> None:
                self._door()

            def log_message(self, *_: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, *_: Any) -> None:
                pass  # a client that gives up on our certificate is not the test's concern

        self._server = Server(("127.0.0.1", 0), Doorgever)
        self._server.socket = context.wrap_socket(
            self._server.socket, server_side=True, do_handshake_on_connect=False
        )
        self.url = f"https://localhost:{self._server.server_address[1]}"
        self._draad = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._draad.start()

    def client(self, oin: str) -> httpx.Client:
        with self._lock:
            if oin not in self._clients:
                partij = self.partijen[oin]
                self._clients[oin] = httpx.Client(
                    base_url=self.hub.url, verify=ssl_context(self.hub.ca, partij), timeout=30
                )
            return self._clients[oin]

    def inzendingen(self) -> list[Verzoek]:
        """Every submit that reached the hub through here."""
        return [v for v in self.verzoeken if v.methode == "POST" and v.pad.startswith("/api/v1/berichten")]

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        for client in self._clients.values():
            client.close()


def _oin(cert: x509.Certificate) -> str | None:
    namen = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(namen[0].value) if namen else None


def _certificaat_json(cert: x509.Certificate, gebruik: list[str]) -> dict[str, Any]:
    """An adresboek certificate entry (DESIGN §2: PEM, fingerprint, validity, gebruik)."""
    return {
        "vingerafdruk": cert.fingerprint(hashes.SHA256()).hex(),
        "x5t#S256": _x5t(cert),
        "pem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "geldigVanaf": cert.not_valid_before_utc.isoformat(),
        "geldigTot": cert.not_valid_after_utc.isoformat(),
        "gebruik": gebruik,
        "ingetrokkenOp": None,
        "actueel": True,
    }


def adresboek_met(oin: str, certificaten: list[x509.Certificate], *, vervang: bool) -> Herschrijf:
    """A lying hub: the adresboek entry of ``oin`` with these certificates (for every gebruik) added
    to, or instead of, the ones registered."""

    def herschrijf(methode: str, pad: str, antwoord: bytes) -> bytes | None:
        if methode != "GET" or pad.partition("?")[0] != f"/api/v1/adresboek/{oin}":
            return None
        entry = json.loads(antwoord)
        nieuw = [_certificaat_json(c, ["tls", "ondertekening", "versleuteling"]) for c in certificaten]
        entry["certificaten"] = nieuw if vervang else [*entry["certificaten"], *nieuw]
        return json.dumps(entry).encode()

    return herschrijf


# --- fixtures: one hub per database for the module, fresh participants for every test ----------------


@dataclass
class Omgeving:
    hub: Hub
    rt: Runtime


@pytest.fixture(scope="module", params=DATABASES)
def omgeving(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_sjabloon: Path,
    pg_database: str | None,
    pki_dir: Path,
) -> Iterator[Omgeving]:
    """A real `knooppunt serve` for the whole module (its start is the slow part), on SQLite and on
    PostgreSQL. Every test makes participants of its own, so no test sees another's messages."""
    map_ = tmp_path_factory.mktemp(f"sdk-{request.param}")
    if request.param == "sqlite":
        shutil.copy(sqlite_sjabloon, map_ / "knooppunt.sqlite3")
        url = f"sqlite:///{map_ / 'knooppunt.sqlite3'}"
    else:
        assert pg_database is not None
        url = pg_database
    runtime = runtime_mod.bouw(maak_settings(url, map_ / "data", pki_dir), upgrade=False)
    try:
        with start_hub(database_url=url, data_dir=map_ / "hub", pki_dir=pki_dir) as hub:
            yield Omgeving(hub, runtime)
    finally:
        runtime.close()
        if request.param == "postgresql":
            engine = create_engine(url)
            with engine.begin() as conn:
                tabellen = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
                conn.execute(text(f"TRUNCATE {tabellen} RESTART IDENTITY CASCADE"))
            engine.dispose()


@pytest.fixture
def hub(omgeving: Omgeving) -> Hub:
    return omgeving.hub


@pytest.fixture
def rt(omgeving: Omgeving) -> Runtime:
    return omgeving.rt


_KVK = itertools.count(71_000_001)
Nieuw = Callable[..., Partij]


@pytest.fixture
def bekend() -> dict[str, Partij]:
    """The participants this test made, by OIN (for the hub in the middle)."""
    return {}


@pytest.fixture
def nieuw(rt: Runtime, pki_dir: Path, tmp_path: Path, bekend: dict[str, Partij]) -> Nieuw:
    """nieuw("SE", "rsa", modules=[...], gebruikt_bsn=True) -> a participant with a certificate of the
    development CA, registered in the adresboek (as `knooppunt deelnemer add` does)."""

    def maak(rol: str, key_type: str = "ec", **opties: Any) -> Partij:
        kvk = str(next(_KVK))
        oin, naam = f"00000003{kvk}0000", f"{rol} {kvk}"
        uit = ontwikkel_ca.issue(pki_dir, oin=oin, naam=naam, key_type=key_type, uit_map=tmp_path / "certs")
        partij = Partij(oin, naam, rol, kvk, uit.certificaat, uit.sleutel, opties)
        registreer(rt, partij)
        bekend[oin] = partij
        return partij

    return maak


@pytest.fixture
def tussen(hub: Hub, pki_dir: Path, bekend: dict[str, Partij]) -> Iterator[Tussenhub]:
    t = Tussenhub(hub, pki_dir, bekend)
    yield t
    t.stop()


@pytest.fixture(scope="module")
def andere_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second CA, which no participant here trusts (a CA the operator could run)."""
    map_ = tmp_path_factory.mktemp("andere-ca")
    ontwikkel_ca.init(map_, naam="Een andere CA")
    return map_


Client = Callable[..., Result]


@pytest.fixture
def knooppunt_client(tmp_path: Path) -> Client:
    """knooppunt_client("send", ..., env={...}) -> `knooppunt client …` run in this process, with its
    replay register under this test's own XDG_STATE_HOME (its default place, DESIGN names none)."""

    def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        omgeving = {"XDG_STATE_HOME": str(tmp_path / "state")} | (env or {})
        return CliRunner().invoke(main, ["client", *map(str, args)], env=omgeving)

    return run


def verbinding(url: str, partij: Partij, ca: Path | None) -> list[str | Path]:
    """DESIGN §8: `--hub URL --cert C --key K` and `--ca FILE`."""
    uit: list[str | Path] = ["--hub", url, "--cert", partij.cert_pad, "--key", partij.key_pad]
    return [*uit, "--ca", ca] if ca is not None else uit


def payloadbestand(map_: Path, code: str, versie: str, payload: dict[str, Any] | None = None) -> Path:
    pad = map_ / f"{code}-{versie}-{uuid.uuid4().hex[:6]}.json"
    pad.write_text(
        json.dumps(payload if payload is not None else voorbeeld(M, code, versie)), encoding="utf-8"
    )
    return pad


def regels(uitvoer: str) -> dict[str, dict[str, Any]]:
    """`client fetch`'s stdout: every line one JSON object, by referentienummer."""
    uit = {}
    for regel in uitvoer.splitlines():
        bericht = json.loads(regel)
        assert isinstance(bericht, dict), regel
        uit[bericht["referentienummer"]] = bericht
    return uit


def geen_traceback(r: Result) -> None:
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert "Traceback" not in r.output


def raw_inbox(hub: Hub, partij: Partij) -> list[dict[str, Any]]:
    with mtls_client(hub.url, hub.ca, partij) as c:
        r = c.get("/berichten", params={"limit": 1000})
        assert r.status_code == 200, r.text
        return list(r.json()["berichten"])


def indienen(hub: Hub, afzender: Partij, *envelops: dict[str, Any]) -> None:
    with mtls_client(hub.url, hub.ca, afzender) as c:
        for envelop in envelops:
            r = c.post("/berichten", json=envelop)
            assert r.status_code == 201, r.text


# --- §5 on the wire, from `client send` ---------------------------------------------------------------


def _controleer_draad(
    envelop: dict[str, Any], afzender: Partij, ontvanger: Partij, payload: Any, van: int, tot: int
) -> None:
    inhoud = envelop["inhoud"]
    delen = inhoud.split(".")
    assert len(delen) == 5, "a JWE in compact serialization has five parts"
    jwe_kop = _kop(delen[0])
    alg = _jwe_alg(ontvanger.certificaat)
    assert jwe_kop["alg"] == alg
    assert jwe_kop["enc"] == "A256GCM"
    assert jwe_kop["kid"] == _x5t(ontvanger.certificaat)
    assert not VERBODEN & jwe_kop.keys(), jwe_kop
    geopend = jwe.decrypt_compact(
        inhoud,
        _prive(ontvanger.certificaat, ontvanger.key_pad),
        registry=JWERegistry(algorithms=[alg, "A256GCM"]),
    )
    getekend = geopend.plaintext
    assert getekend is not None
    jws_delen = getekend.split(b".")
    assert len(jws_delen) == 3, "inside: a JWS in compact serialization"
    jws_kop = _kop(jws_delen[0])
    assert jws_kop["alg"] == ("PS256" if _is_rsa(afzender.certificaat) else "ES256")
    assert not VERBODEN & jws_kop.keys(), jws_kop
    verwacht = {veld: envelop.get(veld) for veld in METADATA} | {"afzender": afzender.oin}
    assert {veld: jws_kop[veld] for veld in METADATA} == verwacht  # every one present, each the envelope's
    assert isinstance(jws_kop["iat"], int) and van - 1 <= jws_kop["iat"] <= tot + 1, jws_kop.get("iat")
    assert jws_kop["x5t#S256"] == _x5t(afzender.certificaat)
    ondertekend = jws.deserialize_compact(getekend, _publiek(afzender.certificaat), registry=_jws_registry())
    assert json.loads(ondertekend.payload) == payload


def test_client_send_tekent_en_versleutelt_zoals_par_5_op_de_draad(
    hub: Hub, tussen: Tussenhub, nieuw: Nieuw, knooppunt_client: Client, tmp_path: Path
) -> None:
    """§5: "`inhoud` is a JWE (compact) for the recipient's `versleuteling` certificate key:
    `RSA-OAEP-256` for RSA keys, `ECDH-ES+A256KW` for P-256 keys, `enc` `A256GCM`, and `kid` =
    `x5t#S256` = the base64url (unpadded) SHA-256 thumbprint of the recipient certificate's DER ...
    Inside: a JWS by the sender (PS256 or ES256) over the payload, whose protected header repeats
    `referentienummer`, `conversatieReferentienummer`, `crossReferentienummer`, `module`,
    `berichttype`, `versie`, `afzender`, `ontvanger` and `iat`, and names the signing certificate in
    `x5t#S256`" (no `zip`, `jku`, `jwk`, `x5u`, `x5c` or `crit`; no duplicate members).
    §8: `client send --hub --cert --key --ontvanger --berichttype --module --conversatie
    [--antwoord-op REF] --payload` "(validates, signs, encrypts, submits, prints the hub's answer as
    JSON)". §3a: "The SDK and portal pick the highest version both parties accept." Every pairing of
    key types: EC → RSA, RSA → EC (an answer, with crossReferentienummer), RSA → EC."""
    gemeente, energie = nieuw("SHV", "ec"), nieuw("SE", "rsa")
    kredietbank, belasting = nieuw("SHV", "rsa"), nieuw("SE", "ec", gebruikt_bsn=True)
    conversatie = str(uuid.uuid4())

    def send(
        afzender: Partij, ontvanger: Partij, code: str, conversatie: str, *extra: str
    ) -> tuple[dict[str, Any], Any]:
        payload = voorbeeld(M, code, "2.0")
        van = int(time.time())
        r = knooppunt_client(
            "send", *verbinding(tussen.url, afzender, hub.ca), "--ontvanger", ontvanger.oin,
            "--berichttype", code, "--module", M, "--conversatie", conversatie,
            "--payload", payloadbestand(tmp_path, code, "2.0", payload), *extra,
        )  # fmt: skip
        tot = int(time.time())
        assert r.exit_code == 0, r.output
        inzending = tussen.inzendingen()[-1]
        assert inzending.status == 201
        # "prints the hub's answer as JSON": exactly what the hub answered.
        assert json.loads(r.stdout) == json.loads(inzending.antwoord)
        envelop = json.loads(inzending.body)
        assert {k for k in envelop if k != "crossReferentienummer"} == {
            "referentienummer", "conversatieReferentienummer", "berichttype", "module", "versie",
            "ontvanger", "inhoud",
        }  # fmt: skip
        assert (envelop["conversatieReferentienummer"], envelop["ontvanger"]) == (conversatie, ontvanger.oin)
        assert (envelop["module"], envelop["berichttype"]) == (M, code)
        assert envelop["versie"] == "2.0"  # the highest version both accept (both accept 1.0 and 2.0)
        _controleer_draad(envelop, afzender, ontvanger, payload, van, tot)
        return envelop, json.loads(r.stdout)

    vraag, _ = send(gemeente, energie, "kennisgeving", conversatie)  # ES256 in RSA-OAEP-256
    assert vraag.get("crossReferentienummer") is None
    # Recipients receive exactly the JWE that was submitted.
    [ontvangen] = [b for b in raw_inbox(hub, energie) if b["referentienummer"] == vraag["referentienummer"]]
    assert ontvangen["inhoud"] == vraag["inhoud"]

    antwoord, gedrukt = send(  # PS256 in ECDH-ES+A256KW, naming the question
        energie, gemeente, "kennisgeving_antwoord", conversatie, "--antwoord-op", vraag["referentienummer"]
    )
    assert antwoord["crossReferentienummer"] == vraag["referentienummer"]
    assert gedrukt["afzender"] == energie.oin

    send(kredietbank, belasting, "kennisgeving_bsn", str(uuid.uuid4()))  # PS256 in ECDH-ES+A256KW


# --- §8 client fetch, exactly as DESIGN writes it -----------------------------------------------------


def _knooppunt_proces(*args: str | Path, state: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "knooppunt", "client", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "XDG_STATE_HOME": str(state)},
    )


def test_client_fetch_drukt_elk_bericht_als_een_json_regel_en_bevestigt_met_bevestig(
    hub: Hub, nieuw: Nieuw, tmp_path: Path
) -> None:
    """§8: "`knooppunt client fetch --hub URL --cert C --key K [--bevestig]` (prints each received
    message as one JSON line: the envelope metadata plus the decrypted, signature-checked,
    schema-validated `payload`, or the hub's `melding`). `--ca FILE` names the CA that signed the
    hub's server certificate." Run as a real process, with no other flag. Without `--bevestig`
    nothing is confirmed (§4: it "can be downloaded again until confirmed"); with it, every message
    is confirmed (§4: the sender gets its `ontvangstbevestiging`)."""
    gemeente, energie = nieuw("SHV", "ec"), nieuw("SE", "rsa")
    conversatie = str(uuid.uuid4())
    with (
        HubClient(hub.url, cert=gemeente.cert_pad, key=gemeente.key_pad, ca=hub.ca) as shv,
        HubClient(hub.url, cert=energie.cert_pad, key=energie.key_pad, ca=hub.ca) as se,
    ):
        vraag = shv.verstuur(
            ontvanger=energie.oin, berichttype="kennisgeving", payload=voorbeeld(M, "kennisgeving", "2.0"),
            conversatie=conversatie, versie="2.0",
        )  # fmt: skip
        se.bevestig(vraag.referentienummer)  # the debt counsellor gets an ontvangstbevestiging
        antwoord = se.verstuur(
            ontvanger=gemeente.oin, berichttype="kennisgeving_antwoord",
            payload=voorbeeld(M, "kennisgeving_antwoord", "2.0"), conversatie=conversatie,
            antwoord_op=vraag.referentienummer,
        )  # fmt: skip
    ruw = {b["referentienummer"]: b for b in raw_inbox(hub, gemeente)}
    bon = next(r for r, b in ruw.items() if b["berichttype"] == "ontvangstbevestiging")
    assert set(ruw) == {bon, antwoord.referentienummer}

    def fetch(*extra: str) -> dict[str, dict[str, Any]]:
        uit = _knooppunt_proces(
            "fetch", "--hub", hub.url, "--cert", gemeente.cert_pad, "--key", gemeente.key_pad,
            "--ca", hub.ca, *extra, state=tmp_path / "state",
        )  # fmt: skip
        assert uit.returncode == 0, uit.stderr
        assert "Traceback" not in uit.stderr
        return regels(uit.stdout)

    for extra in ((), ("--bevestig",)):
        gedrukt = fetch(*extra)
        assert set(gedrukt) == set(ruw), extra
        for ref, regel in gedrukt.items():
            assert "inhoud" not in regel
            veranderlijk = {"inhoud", "opgehaaldOp", "status", "bevestigdOp"}
            metadata = {k: v for k, v in ruw[ref].items() if k not in veranderlijk}
            assert {k: regel.get(k) for k in metadata} == metadata, "the envelope metadata"
        assert gedrukt[antwoord.referentienummer]["payload"] == voorbeeld(M, "kennisgeving_antwoord", "2.0")
        assert gedrukt[antwoord.referentienummer].get("melding") is None
        melding = gedrukt[bon]["melding"]
        assert "payload" not in gedrukt[bon]
        assert {"code", "omschrijving"} <= melding.keys()
        assert melding["referentienummer"] == vraag.referentienummer
        if not extra:  # nothing confirmed yet: all still in the inbox
            assert {b["referentienummer"] for b in raw_inbox(hub, gemeente)} == set(ruw)
    assert raw_inbox(hub, gemeente) == []
    with mtls_client(hub.url, hub.ca, energie) as c:
        verzonden = c.get("/verzonden", params={"conversatieReferentienummer": conversatie}).json()
    status = {b["referentienummer"]: b["status"] for b in verzonden["berichten"]}
    assert status[antwoord.referentienummer] == "bevestigd"
    assert any(b["berichttype"] == "ontvangstbevestiging" for b in raw_inbox(hub, energie))


# --- §5: the recipient rejects what does not match -----------------------------------------------------


def test_client_fetch_weigert_elke_afwijking_tussen_handtekening_en_envelop(
    hub: Hub, nieuw: Nieuw, knooppunt_client: Client
) -> None:
    """§5: the JWS header repeats the metadata "so that a ciphertext cannot be replayed or
    re-pointed under other metadata ... Recipients ... reject any mismatch with the envelope".
    One message per metadata field whose JWS header (which the hub cannot see) differs from its
    envelope in that field only, next to one that matches: `client fetch --bevestig` prints each as
    a JSON line, the mismatched ones without a `payload`, and refuses them (§4 weigering: "a
    `foutbericht` (`GEWEIGERD` ...) to the sender") instead of confirming them."""
    gemeente, woning = nieuw("SHV", "ec"), nieuw("SE", "rsa")
    anders = {
        "referentienummer": str(uuid.uuid4()),
        "conversatieReferentienummer": str(uuid.uuid4()),
        "crossReferentienummer": str(uuid.uuid4()),
        "module": "pauzeknop",
        "berichttype": "kennisgeving_bsn",
        "versie": "2.0",
        "afzender": nieuw("SHV", "ec").oin,
        "ontvanger": nieuw("SE", "ec").oin,
    }
    payload = voorbeeld(M, "kennisgeving", "1.0")
    goed = envelop_los(gemeente, woning, "kennisgeving", payload)
    fout = {
        veld: envelop_los(gemeente, woning, "kennisgeving", payload, in_kop={veld: w})
        for veld, w in anders.items()
    }
    indienen(hub, gemeente, goed, *fout.values())  # the hub cannot tell them apart

    r = knooppunt_client("fetch", *verbinding(hub.url, woning, hub.ca), "--bevestig")
    geen_traceback(r)
    gedrukt = regels(r.stdout)
    assert set(gedrukt) == {goed["referentienummer"], *(e["referentienummer"] for e in fout.values())}
    assert gedrukt[goed["referentienummer"]]["payload"] == payload
    metadata = set(gedrukt[goed["referentienummer"]]) - {"payload"}
    for veld, envelop in fout.items():
        regel = gedrukt[envelop["referentienummer"]]
        assert "payload" not in regel and regel.get("melding") is None, veld
        assert regel["berichttype"] == "kennisgeving" and regel["afzender"] == gemeente.oin, veld
        # Beside the envelope metadata the line says what is wrong, naming the field.
        uitleg = json.dumps({k: v for k, v in regel.items() if k not in metadata})
        assert veld in uitleg, f"the line should say which field differs: {regel}"

    assert raw_inbox(hub, woning) == []  # one confirmed, eight refused
    meldingen = {
        b["melding"]["referentienummer"]: (b["berichttype"], b["melding"]["code"])
        for b in raw_inbox(hub, gemeente)
    }
    assert meldingen[goed["referentienummer"]][0] == "ontvangstbevestiging"
    for veld, envelop in fout.items():
        assert meldingen[envelop["referentienummer"]] == ("foutbericht", "GEWEIGERD"), veld


def test_client_fetch_weigert_een_al_verwerkt_referentienummer(
    hub: Hub, tussen: Tussenhub, nieuw: Nieuw, tmp_path: Path, knooppunt_client: Client
) -> None:
    """§5: "Recipients ... reject ... any `referentienummer` already processed". The hub never offers
    a confirmed message again, so a hub that lies does: it serves the inbox page it served before,
    ciphertext and all. `client fetch` with its defaults (DESIGN names no register option) does not
    hand out that payload a second time; on a machine that never processed it, it would."""
    gemeente, woning = nieuw("SHV", "ec"), nieuw("SE", "ec")
    payload = voorbeeld(M, "kennisgeving", "1.0")
    envelop = envelop_los(gemeente, woning, "kennisgeving", payload)
    indienen(hub, gemeente, envelop)
    ref = envelop["referentienummer"]

    eerst = knooppunt_client("fetch", *verbinding(tussen.url, woning, hub.ca), "--bevestig")
    geen_traceback(eerst)
    assert regels(eerst.stdout)[ref]["payload"] == payload
    assert raw_inbox(hub, woning) == []  # confirmed: processed
    [pagina] = [
        v.antwoord
        for v in tussen.verzoeken
        if v.methode == "GET" and v.pad.partition("?")[0] == "/api/v1/berichten"
    ]

    def opnieuw(methode: str, pad: str, _: bytes) -> bytes | None:
        return pagina if methode == "GET" and pad.partition("?")[0] == "/api/v1/berichten" else None

    tussen.herschrijf = opnieuw
    herhaald = knooppunt_client("fetch", *verbinding(tussen.url, woning, hub.ca))
    geen_traceback(herhaald)
    regel = regels(herhaald.stdout)[ref]
    assert "payload" not in regel, "a replayed message is handed out again"
    # The replayed ciphertext itself is sound: a recipient that never processed it opens it.
    elders = knooppunt_client(
        "fetch", *verbinding(tussen.url, woning, hub.ca), env={"XDG_STATE_HOME": str(tmp_path / "elders")}
    )
    assert regels(elders.stdout)[ref]["payload"] == payload


def test_handtekening_tegen_het_certificaat_dat_gold_op_ontvangenOp(
    hub: Hub, rt: Runtime, nieuw: Nieuw, pki_dir: Path, tmp_path: Path, knooppunt_client: Client
) -> None:
    """§5: "Recipients verify the signature against the sender's certificate valid at `ontvangenOp`
    (retired certificates stay in the adresboek for the bevestigingstermijn plus 30 days)". The
    debt counsellor changes certificates: a message signed with the old one before the change still
    opens after it; one signed with the retired certificate after the change does not; one signed
    with the new certificate does."""
    gemeente, woning = nieuw("SHV", "ec"), nieuw("SE", "rsa")
    vervanger = ontwikkel_ca.issue(
        pki_dir, oin=gemeente.oin, naam=gemeente.naam, basisnaam="gemeente-nieuw", uit_map=tmp_path
    )
    payload = voorbeeld(M, "kennisgeving", "1.0")

    def stuur(cert: Path, key: Path, ondertekening: tuple[Path, Path]) -> str:
        with HubClient(hub.url, cert=cert, key=key, ca=hub.ca, ondertekening=ondertekening) as shv:
            return shv.verstuur(
                ontvanger=woning.oin, berichttype="kennisgeving", payload=payload,
                conversatie=str(uuid.uuid4()), versie="1.0",
            ).referentienummer  # fmt: skip

    oud = (gemeente.cert_pad, gemeente.key_pad)
    voor = stuur(*oud, oud)
    _wissel_certificaat(rt, gemeente, vervanger.certificaat)  # the old one retired now
    met_oud_na = stuur(vervanger.certificaat, vervanger.sleutel, oud)
    met_nieuw = stuur(vervanger.certificaat, vervanger.sleutel, (vervanger.certificaat, vervanger.sleutel))

    r = knooppunt_client("fetch", *verbinding(hub.url, woning, hub.ca))
    geen_traceback(r)
    gedrukt = regels(r.stdout)
    assert gedrukt[voor].get("payload") == payload, gedrukt[voor]
    assert gedrukt[met_nieuw].get("payload") == payload, gedrukt[met_nieuw]
    assert "payload" not in gedrukt[met_oud_na], "signed with a certificate retired before ontvangenOp"


# --- §5: adresboek certificates against the participant's own trust anchors and the OIN ------------------


def test_adresboekcertificaten_tegen_eigen_vertrouwensankers_en_de_oin(
    hub: Hub,
    tussen: Tussenhub,
    nieuw: Nieuw,
    pki_dir: Path,
    andere_ca: Path,
    tmp_path: Path,
    knooppunt_client: Client,
) -> None:
    """§5: recipients "check adresboek certificates against their own trust anchors and the OIN";
    §5 key transparency: "the operator could issue a portal certificate itself". A hub that lies
    adds to the debt counsellor's adresboek entry a certificate with its OIN from a CA the creditor
    does not trust, and the certificate of another participant (another OIN), and a message
    signed with each: `client fetch --ca` hands out neither. Sending, the SDK does not seal for such a
    certificate put in place of the recipient's: nothing is submitted."""
    gemeente, woning = nieuw("SHV", "ec"), nieuw("SE", "rsa")
    ander = ontwikkel_ca.issue(  # a certificate of the same CA, for another OIN
        pki_dir, oin="00000003700000010000", naam="Een ander", key_type="rsa", uit_map=tmp_path / "a"
    )
    nog_een = ontwikkel_ca.issue(pki_dir, oin="00000003700000020000", naam="Nog een", uit_map=tmp_path / "n")
    vreemd = ontwikkel_ca.issue(andere_ca, oin=gemeente.oin, naam=gemeente.naam, uit_map=tmp_path / "g")
    payload = voorbeeld(M, "kennisgeving", "1.0")
    goed = envelop_los(gemeente, woning, "kennisgeving", payload)
    andere_ca_env = envelop_los(
        gemeente, woning, "kennisgeving", payload, ondertekenaar=(vreemd.certificaat, vreemd.sleutel)
    )
    andere_oin = envelop_los(
        gemeente, woning, "kennisgeving", payload, ondertekenaar=(ander.certificaat, ander.sleutel)
    )
    indienen(hub, gemeente, goed, andere_ca_env, andere_oin)
    tussen.herschrijf = adresboek_met(
        gemeente.oin, [_cert(vreemd.certificaat), _cert(ander.certificaat)], vervang=False
    )
    r = knooppunt_client("fetch", *verbinding(tussen.url, woning, hub.ca))
    geen_traceback(r)
    gedrukt = regels(r.stdout)
    # The lie was told: the recipient was served both certificates in the sender's entry.
    getoond = [v.antwoord.decode() for v in tussen.verzoeken if v.pad == f"/api/v1/adresboek/{gemeente.oin}"]
    assert any(_x5t(_cert(vreemd.certificaat)) in a and _x5t(_cert(ander.certificaat)) in a for a in getoond)
    assert gedrukt[goed["referentienummer"]].get("payload") == payload
    assert "payload" not in gedrukt[andere_ca_env["referentienummer"]], "a certificate of an untrusted CA"
    assert "payload" not in gedrukt[andere_oin["referentienummer"]], "a certificate of another OIN"

    vreemd_woning = ontwikkel_ca.issue(andere_ca, oin=woning.oin, naam=woning.naam, uit_map=tmp_path / "w")
    bestand = payloadbestand(tmp_path, "kennisgeving", "2.0")

    def send() -> Result:
        return knooppunt_client(
            "send", *verbinding(tussen.url, gemeente, hub.ca), "--ontvanger", woning.oin,
            "--berichttype", "kennisgeving", "--module", M, "--conversatie", str(uuid.uuid4()),
            "--payload", bestand,
        )  # fmt: skip

    for wat, cert in (("another CA", vreemd_woning.certificaat), ("another OIN", nog_een.certificaat)):
        tussen.herschrijf = adresboek_met(woning.oin, [_cert(cert)], vervang=True)
        r = send()
        geen_traceback(r)
        assert r.exit_code != 0, (wat, r.output)
        # It says the certificate is at fault (not, say, the payload).
        assert "certificaat" in r.output or "certificate" in r.output.lower(), (wat, r.output)
        assert tussen.inzendingen() == [], f"sealed for a certificate of {wat} and submitted"
    tussen.herschrijf = None  # the adresboek as registered: the same message goes
    r = send()
    assert r.exit_code == 0, r.output
    [inzending] = tussen.inzendingen()
    assert _kop(json.loads(inzending.body)["inhoud"].split(".")[0])["kid"] == _x5t(woning.certificaat)


def test_zonder_ca_controleert_de_ontvanger_adresboekcertificaten_toch_tegen_vertrouwensankers(
    hub: Hub,
    tussen: Tussenhub,
    nieuw: Nieuw,
    andere_ca: Path,
    pki_dir: Path,
    tmp_path: Path,
    knooppunt_client: Client,
) -> None:
    """§5: recipients "check adresboek certificates against their own trust anchors and the OIN";
    §8: "`--ca FILE` names the CA that signed the hub's server certificate" — an option for the TLS
    connection. A vendor whose hub has a server certificate the system store already trusts gives
    no `--ca` (here: the system store is pointed at the development CA with SSL_CERT_FILE). A
    certificate from a CA nobody configured must still not be trusted for a signature: with no
    trust anchor at all the client opens nothing (a configuration error, exit 2, nothing refused);
    with `--vertrouwensanker` it opens what chains to it and no payload from another CA."""
    gemeente, woning = nieuw("SHV", "ec"), nieuw("SE", "rsa")
    vreemd = ontwikkel_ca.issue(andere_ca, oin=gemeente.oin, naam=gemeente.naam, uit_map=tmp_path / "g")
    payload = voorbeeld(M, "kennisgeving", "1.0")
    envelop = envelop_los(
        gemeente, woning, "kennisgeving", payload, ondertekenaar=(vreemd.certificaat, vreemd.sleutel)
    )
    indienen(hub, gemeente, envelop)
    tussen.herschrijf = adresboek_met(gemeente.oin, [_cert(vreemd.certificaat)], vervang=False)
    systeem = {"SSL_CERT_FILE": str(pki_dir / "ca.pem")}
    r = knooppunt_client("fetch", "--bevestig", *verbinding(tussen.url, woning, None), env=systeem)
    geen_traceback(r)
    assert r.exit_code == 2, r.output
    assert "--vertrouwensanker" in r.stderr
    assert "payload" not in r.stdout
    assert [b["referentienummer"] for b in raw_inbox(hub, woning)] == [envelop["referentienummer"]]

    anker = ["--vertrouwensanker", pki_dir / "ca.pem"]
    r = knooppunt_client("fetch", *verbinding(tussen.url, woning, None), *anker, env=systeem)
    geen_traceback(r)
    assert r.exit_code == 0, r.output
    assert "payload" not in regels(r.stdout)[envelop["referentienummer"]]


# --- §5 key transparency: the young encryption certificate ------------------------------------------------


def _certificaat_sinds(pki_dir: Path, uit: Path, *, oin: str, naam: str, dagen: int) -> tuple[Path, Path]:
    """A participant certificate of the development CA, valid since ``dagen`` days ago."""
    ca_cert = _cert(pki_dir / "ca.pem")
    ca_sleutel = serialization.load_pem_private_key((pki_dir / "ca-key.pem").read_bytes(), password=None)
    assert isinstance(ca_sleutel, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey)
    sleutel = ec.generate_private_key(ec.SECP256R1())
    nu = datetime.now(UTC)
    onderwerp = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, naam),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, oin),
            x509.NameAttribute(NameOID.COMMON_NAME, naam),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(onderwerp)
        .issuer_name(ca_cert.subject)
        .public_key(sleutel.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(nu - timedelta(days=dagen))
        .not_valid_after(nu + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_sleutel.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(sleutel.public_key()), critical=False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=True,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_sleutel, hashes.SHA256())
    )
    uit.mkdir(parents=True, exist_ok=True)
    cert_pad, key_pad = uit / f"{oin}.pem", uit / f"{oin}-key.pem"
    cert_pad.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pad.write_bytes(
        sleutel.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_pad, key_pad


def test_waarschuwing_bij_een_jong_versleutelingscertificaat(
    hub: Hub, rt: Runtime, nieuw: Nieuw, pki_dir: Path, tmp_path: Path, knooppunt_client: Client
) -> None:
    """§5 key transparency: "the SDK and portal warn when a recipient's encryption certificate is
    younger than a configured number of days". One creditor's certificate is minutes old, another's
    30 days: `client send` warns for the first and not the second (and sends both); the SDK
    configured for 60 days warns for the second too, configured for 7 it does not."""
    gemeente, woning = nieuw("SHV", "ec"), nieuw("SE", "rsa")
    kvk = str(next(_KVK))
    oin = f"00000003{kvk}0000"
    cert, key = _certificaat_sinds(pki_dir, tmp_path / "oud", oin=oin, naam="Oude Schuldeiser", dagen=30)
    oud = Partij(oin, "Oude Schuldeiser", "SE", kvk, cert, key)
    registreer(rt, oud)
    with transactie(rt.sessions) as session:  # and registered then: young counts from the later one
        session.execute(
            update(Certificaat)
            .where(Certificaat.oin == oin)
            .values(toegevoegd_op=db_nu(session) - timedelta(days=30))
        )
    bestand = payloadbestand(tmp_path, "kennisgeving", "2.0")

    def send(ontvanger: Partij) -> Result:
        r = knooppunt_client(
            "send", *verbinding(hub.url, gemeente, hub.ca), "--ontvanger", ontvanger.oin,
            "--berichttype", "kennisgeving", "--module", M, "--conversatie", str(uuid.uuid4()),
            "--payload", bestand,
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["status"] == "aangeboden"
        return r

    jong = send(woning)
    assert woning.naam in jong.stderr and "certificaat" in jong.stderr, jong.stderr
    assert "certificaat" not in send(oud).stderr

    payload = voorbeeld(M, "kennisgeving", "2.0")
    for dagen, waarschuwt in ((7, False), (60, True)):
        with HubClient(
            hub.url, cert=gemeente.cert_pad, key=gemeente.key_pad, ca=hub.ca, jong_certificaat_dagen=dagen
        ) as shv:
            verzonden = shv.verstuur(
                ontvanger=oud.oin, berichttype="kennisgeving", payload=payload, conversatie=str(uuid.uuid4())
            )
        assert any(oud.naam in w for w in verzonden.waarschuwingen) is waarschuwt, (
            dagen,
            verzonden.waarschuwingen,
        )


# --- §3a and §8: refused before anything is submitted ------------------------------------------------------


def test_client_send_weigert_voor_verzending_en_kiest_de_hoogste_gemeenschappelijke_versie(
    hub: Hub, tussen: Tussenhub, nieuw: Nieuw, tmp_path: Path, knooppunt_client: Client
) -> None:
    """§8: `client send` "validates, signs, encrypts, submits": an invalid payload is refused before
    sending with a clear error, exit non-zero, nothing submitted. §3a: "The SDK and portal pick the
    highest version both parties accept"; "A message that names no other, in a version that the
    sender or the recipient does not accept: 422 `VERSIE_NIET_ONDERSTEUND`, naming the versions both
    accept" — the SDK refuses it with the hub's code, before submitting, as the hub itself refuses
    the same envelope."""
    gemeente, woning = nieuw("SHV", "ec"), nieuw("SE", "rsa", modules=["schuldregeling:1.0"])
    kredietbank, energie = nieuw("SHV", "rsa", modules=["schuldregeling:1.0"]), nieuw("SE", "ec")

    def send(van: Partij, naar: Partij, payload: Path, *extra: str) -> Result:
        return knooppunt_client(
            "send", *verbinding(tussen.url, van, hub.ca), "--ontvanger", naar.oin,
            "--berichttype", "kennisgeving", "--module", M, "--conversatie", str(uuid.uuid4()),
            "--payload", payload, *extra,
        )  # fmt: skip

    ongeldig = voorbeeld(M, "kennisgeving", "1.0")
    ongeldig["adres"]["postcode"] = "3511AB-X"
    r = send(gemeente, woning, payloadbestand(tmp_path, "kennisgeving", "1.0", ongeldig))
    geen_traceback(r)
    assert r.exit_code != 0
    assert "postcode" in r.output, r.output
    assert tussen.inzendingen() == [], "an invalid payload was submitted"

    # The recipient accepts 1.0 only; then the sender does.
    for van, naar in ((gemeente, woning), (kredietbank, energie)):
        r = send(van, naar, payloadbestand(tmp_path, "kennisgeving", "2.0"), "--versie", "2.0")
        geen_traceback(r)
        assert r.exit_code != 0
        fout = json.loads(r.stdout)["fout"]
        assert fout["code"] == "VERSIE_NIET_ONDERSTEUND"
        assert "1.0" in fout["detail"], fout  # the version both accept
        assert tussen.inzendingen() == [], "a version one of them does not accept was submitted"
        envelop = envelop_los(van, naar, "kennisgeving", voorbeeld(M, "kennisgeving", "2.0"), versie="2.0")
        with mtls_client(hub.url, hub.ca, van) as c:
            probleem = c.post("/berichten", json=envelop)
        assert (probleem.status_code, probleem.json()["code"]) == (422, "VERSIE_NIET_ONDERSTEUND")

    # Without --versie: the highest version both accept, 1.0 here (2.0 when both accept it: above).
    for van, naar in ((gemeente, woning), (kredietbank, energie)):
        r = send(van, naar, payloadbestand(tmp_path, "kennisgeving", "1.0"))
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["versie"] == "1.0"
        assert json.loads(tussen.inzendingen()[-1].body)["versie"] == "1.0"
    assert len(tussen.inzendingen()) == 2


def test_ca_noemt_de_ca_van_het_servercertificaat_van_de_hub(
    hub: Hub, nieuw: Nieuw, andere_ca: Path, knooppunt_client: Client
) -> None:
    """§8: "`--ca FILE` names the CA that signed the hub's server certificate": with another CA the
    hub is not trusted — exit non-zero, one clear error, no traceback."""
    r = knooppunt_client("fetch", *verbinding(hub.url, nieuw("SE", "ec"), andere_ca / "ca.pem"))
    geen_traceback(r)
    assert r.exit_code != 0
    assert "certificate" in r.output.lower() or "certificaat" in r.output.lower(), r.output
