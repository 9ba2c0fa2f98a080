"""An independent contract audit of DESIGN §5 "Transport and identity: mutual TLS" and §5 "Abuse"
(with §4 where it touches them), against real `knooppunt serve` processes — built-in TLS, a TCP
listener behind a TLS proxy and a Unix socket — and a real `knooppunt worker`. Written from
DESIGN.md only: each test's docstring quotes the sentences it checks. What other files already
check as strictly (tests/functional/test_mtls.py, test_contract_api.py, test_authenticatie_cache.py,
tests/integration/test_intrekking.py, test_notificaties.py) is not repeated here."""

from __future__ import annotations

import base64
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from sqlalchemy import select

from knooppunt.hub import adresboek
from knooppunt.hub import notificaties as notificatie_instellingen
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.pki.verificatie import Vertrouwensankers
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Auditregel, Certificaat, Notificatie, NotificatieInstellingen
from tests.factories import Partij, envelop
from tests.functional.server import Hub, ssl_context, start_hub, vrije_poort
from tests.ontvangers import WebhookOntvanger

HEADER = "x-ssl-client-cert"  # KNOOPPUNT_CLIENT_CERT_HEADER's documented default
TEST_HOOFDSLEUTEL = "test:" + base64.b64encode(bytes(range(32))).decode("ascii")
METHODEN = ("get", "post", "put", "patch", "delete")


# --- certificates ---------------------------------------------------------------------------------


def _certificaat(
    map_: Path,
    naam: str,
    *,
    oin: str,
    uitgever: Path | None,
    vanaf: datetime | None = None,
    tot: datetime | None = None,
    met_serienummer: bool = True,
) -> Partij:
    """A P-256 client certificate issued by the CA in `uitgever` (None: self-signed), with the OIN
    in the subject serialNumber (or, `met_serienummer=False`, only in the CN)."""
    sleutel = ec.generate_private_key(ec.SECP256R1())
    namen = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, naam),
    ]
    if met_serienummer:
        namen.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, oin))
    namen.append(x509.NameAttribute(NameOID.COMMON_NAME, naam if met_serienummer else oin))
    onderwerp = x509.Name(namen)
    if uitgever is None:
        uitgever_naam, uitgever_sleutel = onderwerp, sleutel
    else:
        ca = x509.load_pem_x509_certificate((uitgever / "ca.pem").read_bytes())
        ca_sleutel = serialization.load_pem_private_key((uitgever / "ca-key.pem").read_bytes(), password=None)
        assert isinstance(ca_sleutel, ec.EllipticCurvePrivateKey)
        uitgever_naam, uitgever_sleutel = ca.subject, ca_sleutel
    nu = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(onderwerp)
        .issuer_name(uitgever_naam)
        .public_key(sleutel.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(vanaf or nu - timedelta(minutes=5))
        .not_valid_after(tot or nu + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(uitgever_sleutel.public_key()), critical=False
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
        .sign(uitgever_sleutel, hashes.SHA256())
    )
    map_.mkdir(parents=True, exist_ok=True)
    cert_pad, key_pad = map_ / f"{naam}.pem", map_ / f"{naam}-key.pem"
    cert_pad.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pad.write_bytes(
        sleutel.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return Partij(oin, naam, "SE", oin[8:16], cert_pad, key_pad)


def _uitgeven(ca: Path, uit: Path, naam: str, *, oin: str) -> Partij:
    """A certificate as the CA issues it (every `gebruik` possible), not yet registered."""
    cert = ontwikkel_ca.issue(ca, oin=oin, naam=naam, basisnaam=naam, uit_map=uit)
    return Partij(oin, naam, "SE", oin[8:16], cert.certificaat, cert.sleutel)


def _registreer(
    rt: Runtime, partij: Partij, *, ankers: Vertrouwensankers | None = None, rol: str = "SE"
) -> None:
    """A new participant whose one certificate is registered for every `gebruik` (the beheer path)."""
    with transactie(rt.sessions) as session:
        adresboek.registreer(
            session,
            adresboek.NieuweDeelnemer(
                oin=partij.oin,
                naam=partij.naam,
                rol=rol,
                kvk_nummer=partij.kvk,
                modules=["schuldregeling"],
                certificaten=[lees_pem(partij.pem)],
            ),
            nu=db_nu(session),
            ankers=ankers or rt.ankers,
            door="beheer:test",
        )


def _voeg_toe(rt: Runtime, oin: str, partij: Partij, gebruik: list[str]) -> None:
    with transactie(rt.sessions) as session:
        adresboek.voeg_certificaat_toe(
            session,
            oin,
            lees_pem(partij.pem),
            gebruik=gebruik,
            nu=db_nu(session),
            ankers=rt.ankers,
            door="beheer:test",
        )


def _plant(rt: Runtime, oin: str, partij: Partij) -> None:
    """Put a certificate's SHA-256 fingerprint on file for `oin` with gebruik `tls`, straight in the
    database — as if registration had let it through — so that only the hub's own checks of the
    presented certificate stand between it and the API."""
    info = lees_pem(partij.pem)
    with transactie(rt.sessions) as session:
        session.add(
            Certificaat(
                vingerafdruk=info.vingerafdruk,
                oin=oin,
                pem=info.pem,
                onderwerp=info.onderwerp,
                uitgever=info.uitgever,
                serienummer=info.serienummer,
                sleuteltype=info.sleuteltype,
                sleutelgrootte=info.sleutelgrootte,
                geldig_vanaf=info.geldig_vanaf,
                geldig_tot=info.geldig_tot,
                gebruik_tls=True,
                gebruik_ondertekening=True,
                gebruik_versleuteling=True,
                toegevoegd_op=db_nu(session),
            )
        )


def _crl(
    ca: Path, pad: Path, ingetrokken: Sequence[Partij], *, nummer: int, deze: datetime, volgende: datetime
) -> Path:
    crl = ontwikkel_ca.maak_crl(
        ca,
        [ontwikkel_ca.Intrekking(p.certificaat.serial_number, deze) for p in ingetrokken],
        nummer=nummer,
        deze_update=deze,
        volgende_update=volgende,
    )
    return ontwikkel_ca.schrijf_crl(pad, crl)


def _nginx(partij: Partij) -> str:
    """nginx's $ssl_client_escaped_cert: the PEM, URL-encoded."""
    return quote(partij.pem, safe="")


# --- processes --------------------------------------------------------------------------------------


def _gedeeld(map_: Path) -> dict[str, str]:
    """One day-key store and master key for every process of a test, as a cluster's nodes share
    them (docs/configuration.md); their data directories stay their own."""
    return {
        "KNOOPPUNT_SLEUTELOPSLAG_URL": f"sqlite:///{map_ / 'sleutelopslag.sqlite3'}",
        "KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS": TEST_HOOFDSLEUTEL,
    }


def _schone_omgeving() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("KNOOPPUNT_")}


@contextmanager
def _tls_hub(
    database_url: str, tmp_path: Path, pki_dir: Path, naam: str, env: dict[str, str] | None = None
) -> Iterator[Hub]:
    with start_hub(
        database_url=database_url,
        data_dir=tmp_path / naam,
        pki_dir=pki_dir,
        extra_args=["--no-jobs"],
        env={**_gedeeld(tmp_path), **(env or {})},
    ) as hub:
        yield hub


@dataclass
class Node:
    """`knooppunt serve` behind a TLS proxy: a client for its listener, its log."""

    proces: subprocess.Popen[bytes]
    log: list[str] = field(default_factory=list)

    def stop(self) -> None:
        if self.proces.poll() is None:
            self.proces.terminate()
            try:
                self.proces.wait(15)
            except subprocess.TimeoutExpired:
                self.proces.kill()
                self.proces.wait(5)


def _lees(proces: subprocess.Popen[bytes], log: list[str]) -> None:
    assert proces.stdout is not None
    for regel in iter(proces.stdout.readline, b""):
        log.append(regel.decode(errors="replace"))


@contextmanager
def _proxy_node(
    args: Sequence[str],
    client: Callable[[], httpx.Client],
    *,
    database_url: str,
    data_dir: Path,
    env: dict[str, str],
) -> Iterator[Node]:
    """`knooppunt serve ARGS` (--proxy or --uds), ready once `client()` gets an answer (401)."""
    omgeving = {
        **_schone_omgeving(),
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": database_url,
        "KNOOPPUNT_DATA_DIR": str(data_dir),
        **env,
    }
    proces = subprocess.Popen(
        [sys.executable, "-m", "knooppunt.cli.main", "serve", "--no-jobs", *args],
        env=omgeving,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    node = Node(proces)
    threading.Thread(target=_lees, args=(proces, node.log), daemon=True).start()
    try:
        einde = time.monotonic() + 60
        while True:
            if proces.poll() is not None:
                time.sleep(0.2)
                raise RuntimeError(f"knooppunt serve stopte ({proces.returncode}):\n{''.join(node.log)}")
            try:
                with client() as c:
                    if c.get("/berichttypen").status_code == 401:
                        break
            except httpx.TransportError:
                pass
            if time.monotonic() > einde:
                raise TimeoutError("".join(node.log[-40:]))
            time.sleep(0.1)
        yield node
    finally:
        node.stop()


def _uds_client(pad: Path) -> httpx.Client:
    return httpx.Client(
        base_url="http://knooppunt/api/v1", transport=httpx.HTTPTransport(uds=str(pad)), timeout=30
    )


def _korte_map() -> Path:
    # A Unix socket path may be at most ~107 bytes; pytest's tmp_path can be longer.
    return Path(tempfile.mkdtemp(prefix="kpb-"))


@contextmanager
def _parallel(*beheerders: AbstractContextManager[Any]) -> Iterator[list[Any]]:
    """Enter the context managers (processes to start) side by side; leave them all."""
    uitkomsten: list[Any] = [None] * len(beheerders)

    def betreed(i: int) -> None:
        try:
            uitkomsten[i] = beheerders[i].__enter__()
        except BaseException as exc:
            uitkomsten[i] = exc

    draden = [threading.Thread(target=betreed, args=(i,)) for i in range(len(beheerders))]
    for draad in draden:
        draad.start()
    for draad in draden:
        draad.join()
    try:
        for uitkomst in uitkomsten:
            if isinstance(uitkomst, BaseException):
                raise uitkomst
        yield uitkomsten
    finally:
        for beheerder, uitkomst in zip(beheerders, uitkomsten, strict=True):
            if not isinstance(uitkomst, BaseException):
                beheerder.__exit__(None, None, None)


# --- answers --------------------------------------------------------------------------------------


def _probleem(r: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, (r.request.method, r.request.url, r.status_code, r.text)
    assert r.headers["content-type"] == "application/problem+json", r.headers
    body: dict[str, Any] = r.json()
    assert body["status"] == status, body
    if code is not None:
        assert body["code"] == code, body
    return body


def _niet_binnen(r: httpx.Response, detail: str | None = None) -> None:
    body = _probleem(r, 401, "NIET_GEAUTHENTICEERD")
    if detail is not None:
        assert detail in body["detail"], body["detail"]


def _tls_status(hub: Hub, partij: Partij | None) -> tuple[int | str, str]:
    """GET /berichten as `partij` on a new TLS connection: the status and the problem's detail, or
    "handshake" when TLS itself refuses the certificate (it does not get in either way)."""
    try:
        with hub.client(partij, timeout=30) as c:
            r = c.get("/berichten")
    except httpx.TransportError:
        return "handshake", ""
    if r.status_code == 200:
        return 200, ""
    _niet_binnen(r)
    return r.status_code, str(r.json()["detail"])


# --- every operation of the served document -------------------------------------------------------

# §4's paths, which the served document must hold (so a loop over the document covers them)
PARAGRAAF_4 = {
    ("POST", "/berichten"),
    ("GET", "/berichten"),
    ("GET", "/berichten/{referentienummer}"),
    ("POST", "/berichten/{referentienummer}/bevestiging"),
    ("POST", "/bevestigingen"),
    ("POST", "/berichten/{referentienummer}/weigering"),
    ("GET", "/verzonden"),
    ("GET", "/conversaties/{conversatieReferentienummer}"),
    ("GET", "/adresboek"),
    ("GET", "/adresboek/{oin}"),
    ("GET", "/berichttypen"),
    ("GET", "/berichttypen/{code}"),
    ("POST", "/verzendingen"),
    ("GET", "/logboek"),
}
# The forwarding headers a client may send to pass for the proxy at 127.0.0.2.
VERVALST = {"x-forwarded-for": "127.0.0.2", "forwarded": "for=127.0.0.2", "x-real-ip": "127.0.0.2"}


def _verzoeken(
    document: dict[str, Any], *, waarden: dict[str, str], bodies: dict[tuple[str, str], Any]
) -> list[tuple[str, str, str, Any]]:
    """(method, document path, path, body) of every operation in the served OpenAPI document."""
    uit = []
    for pad, item in document["paths"].items():
        for methode in METHODEN:
            if methode not in item:
                continue
            ingevuld = pad
            for naam, waarde in waarden.items():
                ingevuld = ingevuld.replace("{" + naam + "}", waarde)
            assert "{" not in ingevuld, f"no value for a parameter of {pad}"
            uit.append(
                (methode.upper(), pad, ingevuld, bodies.get((methode, pad), {} if methode != "get" else None))
            )
    return uit


@dataclass
class Doelwit:
    """An open message from the gemeente to Energie BV that anonymous requests aim at, and the
    envelopes they try to submit (which must never be stored)."""

    afzender: Partij
    ontvanger: Partij
    envelop: dict[str, Any]
    nieuw: list[str] = field(default_factory=list)

    @property
    def waarden(self) -> dict[str, str]:
        return {
            "referentienummer": self.envelop["referentienummer"],
            "conversatieReferentienummer": self.envelop["conversatieReferentienummer"],
            "oin": self.ontvanger.oin,
            "code": "kennisgeving",
        }

    def bodies(self) -> dict[tuple[str, str], Any]:
        een, twee = (envelop(self.afzender, self.ontvanger, "kennisgeving") for _ in range(2))
        self.nieuw.extend([een["referentienummer"], twee["referentienummer"]])
        return {
            ("post", "/berichten"): een,
            ("post", "/verzendingen"): {"berichten": [twee], "allesOfNiets": False},
            ("post", "/bevestigingen"): {"referentienummers": [self.envelop["referentienummer"]]},
            ("post", "/berichten/{referentienummer}/weigering"): {"reden": "ONTSLEUTELING_MISLUKT"},
            ("post", "/berichten/{referentienummer}/bevestiging"): None,
        }

    def certificaat_voor(self, methode: str, pad: str) -> Partij:
        """The party a request would be allowed for: the recipient for its inbox paths."""
        inbox = pad.startswith(("/berichten/{referentienummer}", "/bevestigingen"))
        ontvanger = inbox or (methode, pad) == ("GET", "/berichten")
        return self.ontvanger if ontvanger else self.afzender

    def nergens_binnen(
        self, client: httpx.Client, document: dict[str, Any], *, header: bool, ingang: str
    ) -> int:
        """Every operation of the document through `client`: 401 NIET_GEAUTHENTICEERD. With
        `header`, each carries the certificate of the party it would be allowed for in the proxy
        header, and forwarding headers naming the configured proxy."""
        operaties = _verzoeken(document, waarden=self.waarden, bodies=self.bodies())
        assert {(m, p) for m, p, _, _ in operaties} >= PARAGRAAF_4, operaties
        for methode, pad, ingevuld, body in operaties:
            headers = {HEADER: _nginx(self.certificaat_voor(methode, pad)), **VERVALST} if header else {}
            r = client.request(methode, ingevuld, json=body, headers=headers)
            assert r.status_code == 401, (ingang, methode, pad, r.status_code, r.text)
            _niet_binnen(r)
        return len(operaties)

    def ongemoeid(self, afzender: Any, ontvanger: Any) -> None:
        """Through authenticated clients (httpx or TestClient): still in the inbox with its content,
        not confirmed nor refused; nothing else stored."""
        inbox = ontvanger.get("/berichten").json()["berichten"]
        assert [(b["referentienummer"], b["inhoud"]) for b in inbox] == [
            (self.envelop["referentienummer"], self.envelop["inhoud"])
        ]
        verzonden = afzender.get("/verzonden").json()["berichten"]
        assert [(b["referentienummer"], b["bevestigdOp"], b["geweigerdOp"]) for b in verzonden] == [
            (self.envelop["referentienummer"], None, None)
        ]
        assert self.nieuw


# --- §5 transport and identity: proxy mode ---------------------------------------------------------


def test_in_proxymodus_controleert_de_app_het_doorgestuurde_certificaat_zelf(
    rt: Runtime, cast: dict[str, Partij], client_voor: Any, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§5: "in proxy mode the app still checks the forwarded certificate's chain, validity,
    revocation and registration itself"; "A participant is identified by the OIN in the
    `serialNumber` of its client certificate subject; the certificate must chain to a configured
    trust anchor … and be registered for that OIN in the adresboek"; "A certificate is accepted only
    if its SHA-256 fingerprint is registered for that OIN with `gebruik` `tls`"; "A node may cache a
    verified certificate, but … drops the entry at min(`notAfter`, …)". Every certificate below is
    forwarded over the Unix socket (where the header is trusted) and most are on file for their OIN
    with `tls`, so only the app's own checks can refuse them. And "No other way in": on the socket,
    every operation of the served OpenAPI document without the header is 401, and the message it
    aims at stays untouched."""
    uit = tmp_path / "certs"
    gemeente, energie, woning, zorg, belasting = (
        cast[n] for n in ("gemeente", "energie", "woning", "zorg", "belasting")
    )
    nu = datetime.now(UTC)
    # chain: self-signed, and issued by a CA that is no trust anchor — both on file with `tls`
    zelf = _certificaat(uit, "zelf", oin=energie.oin, uitgever=None)
    _plant(rt, energie.oin, zelf)
    ontwikkel_ca.init(tmp_path / "vreemde-ca")
    vreemd = _certificaat(uit, "vreemd", oin=zorg.oin, uitgever=tmp_path / "vreemde-ca")
    _plant(rt, zorg.oin, vreemd)
    # validity: not yet valid (registration allows a future certificate), and one about to expire
    toekomst = _certificaat(
        uit, "toekomst", oin="00000003100000010000", uitgever=pki_dir, vanaf=nu + timedelta(days=1)
    )
    _registreer(rt, toekomst)
    # revocation: registered, then on the CA's CRL
    ingetrokken = _uitgeven(pki_dir, uit, "ingetrokken", oin="00000003100000020000")
    _registreer(rt, ingetrokken)
    crl = _crl(
        pki_dir,
        tmp_path / "crl.pem",
        [ingetrokken],
        nummer=1,
        deze=nu - timedelta(minutes=5),
        volgende=nu + timedelta(days=7),
    )
    # registration: unknown OIN; a second certificate of a registered OIN; registered only for
    # signing, or only for encryption
    onbekend = _uitgeven(pki_dir, uit, "onbekend", oin="00000003100000030000")
    tweede = _uitgeven(pki_dir, uit, "tweede", oin=gemeente.oin)
    ondertekening = _uitgeven(pki_dir, uit, "ondertekening", oin=belasting.oin)
    versleuteling = _uitgeven(pki_dir, uit, "versleuteling", oin=belasting.oin)
    _voeg_toe(rt, belasting.oin, ondertekening, ["ondertekening"])
    _voeg_toe(rt, belasting.oin, versleuteling, ["versleuteling"])
    # identity: the OIN only in the CN, not in serialNumber, fingerprint on file for that OIN
    zonder_serienummer = _certificaat(
        uit, "zonder-serienummer", oin=woning.oin, uitgever=pki_dir, met_serienummer=False
    )
    _plant(rt, woning.oin, zonder_serienummer)
    doelwit = Doelwit(gemeente, energie, envelop(gemeente, energie, "kennisgeving"))
    assert client_voor(gemeente).post("/berichten", json=doelwit.envelop).status_code == 201

    map_ = _korte_map()
    uds = map_ / "n.sock"
    try:
        with (
            _proxy_node(
                ["--uds", str(uds)],
                lambda: _uds_client(uds),
                database_url=database_url,
                data_dir=tmp_path / "uds",
                env={
                    "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
                    "KNOOPPUNT_CRLS": str(crl),
                    **_gedeeld(tmp_path),
                },
            ),
            _uds_client(uds) as c,
        ):

            def als(partij: Partij) -> httpx.Response:
                return c.get("/berichten", headers={HEADER: _nginx(partij)})

            # A certificate valid for a few seconds more: accepted now (and kept by the node) …
            kort = _certificaat(
                uit,
                "kort",
                oin="00000003100000040000",
                uitgever=pki_dir,
                tot=datetime.now(UTC) + timedelta(seconds=3),
            )
            _registreer(rt, kort)
            verloopt = kort.certificaat.not_valid_after_utc
            assert als(kort).status_code == 200
            assert als(kort).status_code == 200

            assert als(gemeente).status_code == 200, "the registered certificate gets in"
            _niet_binnen(als(zelf))
            _niet_binnen(als(vreemd))
            _niet_binnen(als(toekomst))
            _niet_binnen(als(ingetrokken), "ingetrokken")
            for partij in (onbekend, tweede, ondertekening, versleuteling, zonder_serienummer):
                _niet_binnen(als(partij))
            document = c.get("/openapi.json").json()
            doelwit.nergens_binnen(c, document, header=False, ingang="unix-socket zonder header")
            # … and refused on its first request after notAfter.
            time.sleep(max(0.0, (verloopt - datetime.now(UTC)).total_seconds()) + 1.0)
            _niet_binnen(als(kort))
            assert als(gemeente).status_code == 200
        doelwit.ongemoeid(client_voor(gemeente), client_voor(energie))
    finally:
        for pad in map_.iterdir():
            pad.unlink()
        map_.rmdir()


# --- §5 transport and identity: no other way in ------------------------------------------------------


def test_geen_andere_weg_naar_binnen_via_tls_of_de_proxypoort(
    cast: dict[str, Partij], database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§5: "No other way in." — every operation of API v1 (read from the served OpenAPI document)
    refuses a request without a client certificate: on the built-in TLS server without one (a
    proxy header on it counts for nothing), and on a `--proxy` listener from an address that is not
    a configured proxy, however the forwarding headers name one ("a header trusted only on a Unix
    socket or from configured proxy addresses (never via `X-Forwarded-For`)"). The message the
    requests aim at stays untouched and nothing they carry is stored. (The Unix socket: in
    test_in_proxymodus_controleert_de_app_het_doorgestuurde_certificaat_zelf.)"""
    gemeente, energie = cast["gemeente"], cast["energie"]
    proxy_poort = vrije_poort()
    proxy_url = f"http://127.0.0.1:{proxy_poort}/api/v1"
    basis = {"KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"), **_gedeeld(tmp_path)}
    with ExitStack() as stapel:
        hub, _ = stapel.enter_context(
            _parallel(
                _tls_hub(database_url, tmp_path, pki_dir, "tls"),
                _proxy_node(
                    ["--proxy", "--host", "127.0.0.1", "--port", str(proxy_poort)],
                    lambda: httpx.Client(base_url=proxy_url),
                    database_url=database_url,
                    data_dir=tmp_path / "proxy",
                    env={**basis, "KNOOPPUNT_TRUSTED_PROXIES": "127.0.0.2/32"},
                ),
            )
        )
        assert isinstance(hub, Hub)
        shv = stapel.enter_context(hub.client(gemeente, timeout=30))
        se = stapel.enter_context(hub.client(energie, timeout=30))
        doelwit = Doelwit(gemeente, energie, envelop(gemeente, energie, "kennisgeving"))
        assert shv.post("/berichten", json=doelwit.envelop).status_code == 201
        anoniem = stapel.enter_context(hub.client(None, timeout=30))
        document = anoniem.get("/openapi.json").json()
        van_elders = stapel.enter_context(httpx.Client(base_url=proxy_url, timeout=30))
        proxy = stapel.enter_context(
            httpx.Client(
                base_url=proxy_url, transport=httpx.HTTPTransport(local_address="127.0.0.2"), timeout=30
            )
        )
        # the header does let a certificate in from the configured proxy address
        assert proxy.get("/berichten", headers={HEADER: _nginx(energie)}).status_code == 200

        doelwit.nergens_binnen(anoniem, document, header=True, ingang="tls zonder certificaat")
        doelwit.nergens_binnen(van_elders, document, header=True, ingang="proxypoort van elders")
        doelwit.ongemoeid(shv, se)


# --- §5 CRLs: the newest wins, an older one is refused and alerted ---------------------------------


def _teruggedraaid(ops: int) -> float:
    """docs/operations.md: the counter `knooppunt_crl_teruggedraaid_geweigerd_total{herkomst}`."""
    tekst = httpx.get(f"http://127.0.0.1:{ops}/metrics", timeout=10).text
    regel = 'knooppunt_crl_teruggedraaid_geweigerd_total{herkomst="bron"} '
    waarden = [float(r.removeprefix(regel)) for r in tekst.splitlines() if r.startswith(regel)]
    return waarden[0] if waarden else 0.0


def _wacht_tot(voorwaarde: Callable[[], bool], seconden: float = 15.0) -> bool:
    einde = time.monotonic() + seconden
    while time.monotonic() < einde:
        if voorwaarde():
            return True
        time.sleep(0.2)
    return voorwaarde()


def _crl_weigeringen(rt: Runtime) -> list[str]:
    with rt.sessions() as session:
        return list(
            session.scalars(
                select(Auditregel.uitkomst).where(Auditregel.actie == "crl_geweigerd").order_by(Auditregel.id)
            )
        )


def test_de_nieuwste_crl_wint_op_nummer_dan_thisupdate_en_een_oudere_wordt_gemeld(
    rt: Runtime, cast: dict[str, Partij], database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§5: "CRL state is shared by all nodes in the database and the newest CRL (by CRL number, then
    `thisUpdate`) always wins — an older one is refused and alerted"; "a revoked … certificate is
    refused on its next request on every node". Two nodes on one database, each with a CRL source
    of its own (refreshed every second). A CRL with the same number and a later thisUpdate wins;
    the node whose source keeps serving the earlier thisUpdate refuses it and alerts (error log,
    the metric and the audit entry of docs/operations.md) and keeps refusing the revoked
    certificate; a higher number wins even with an older thisUpdate."""
    x, y, z = cast["gemeente"], cast["energie"], cast["woning"]
    nu = datetime.now(UTC)
    week = nu + timedelta(days=7)
    a_bron = _crl(pki_dir, tmp_path / "a.pem", [], nummer=5, deze=nu - timedelta(minutes=60), volgende=week)
    b_bron = _crl(pki_dir, tmp_path / "b.pem", [], nummer=5, deze=nu - timedelta(minutes=60), volgende=week)
    ops = vrije_poort()

    def node(naam: str, bron: Path, *extra: str) -> AbstractContextManager[Hub]:
        return start_hub(
            database_url=database_url,
            data_dir=tmp_path / naam,
            pki_dir=pki_dir,
            extra_args=["--no-jobs", *extra],
            env={"KNOOPPUNT_CRLS": str(bron), "KNOOPPUNT_CRL_REFRESH_SECONDS": "1", **_gedeeld(tmp_path)},
        )

    with _parallel(node("a", a_bron), node("b", b_bron, "--ops-port", str(ops))) as (a, b):
        for hub in (a, b):
            for partij in (x, y, z):
                assert _tls_status(hub, partij)[0] == 200
        voor = _teruggedraaid(ops)
        assert _crl_weigeringen(rt) == []

        # the same CRL number, a later thisUpdate, x revoked: it wins
        _crl(pki_dir, a_bron, [x], nummer=5, deze=nu - timedelta(minutes=30), volgende=week)
        assert _wacht_tot(lambda: _tls_status(a, x)[0] != 200), (
            "node A never used the CRL with the later thisUpdate"
        )
        assert "ingetrokken" in _tls_status(a, x)[1]
        status, detail = _tls_status(b, x)  # B's next request, although B's own source never listed x
        assert status == 401 and "ingetrokken" in detail, (status, detail)
        assert _tls_status(b, y)[0] == 200

        # B's source still serves CRL 5 with the earlier thisUpdate: refused and alerted, x stays out
        # (a node refreshes its sources when a request finds them due: B gets requests meanwhile)
        assert _wacht_tot(lambda: _tls_status(b, y)[0] == 200 and _teruggedraaid(ops) > voor), (
            "no alert for the older CRL"
        )
        for _ in range(3):
            assert _tls_status(b, x)[0] == 401
            time.sleep(0.4)
        time.sleep(0.3)
        alarm = [r for r in b.log if "crl ouder dan de gehouden crl geweigerd" in r]
        assert alarm, b.log[-20:]
        assert '"level": "error"' in alarm[0] and '"crl_nummer": 5' in alarm[0], alarm[0]
        assert '"gehouden_crl_nummer": 5' in alarm[0], alarm[0]
        assert "nummer 5, thisUpdate ouder" in _crl_weigeringen(rt)

        # a higher CRL number wins even with an older thisUpdate than the one held
        _crl(pki_dir, a_bron, [x, y], nummer=6, deze=nu - timedelta(minutes=90), volgende=week)
        assert _wacht_tot(lambda: _tls_status(a, y)[0] != 200), "CRL 6 (older thisUpdate) never won"
        for hub in (a, b):
            for partij in (x, y):
                status, detail = _tls_status(hub, partij)
                assert status == 401 and "ingetrokken" in detail, (hub.url, partij.naam, status, detail)
            assert _tls_status(hub, z)[0] == 200
        assert _wacht_tot(lambda: _tls_status(b, z)[0] == 200 and "nummer 5 < 6" in _crl_weigeringen(rt))


# --- §5 trust anchors, revocation and validity on every request ------------------------------------


def test_ankers_crl_per_uitgever_en_weigering_bij_het_volgende_verzoek(
    rt: Runtime, cast: dict[str, Partij], database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§5: "Trust anchors are a configured list of issuing CAs"; "CRLs are refreshed and revocation
    is checked on every request, failing closed once a CRL is past `nextUpdate` plus a configured
    grace"; "A node may cache a verified certificate, but … drops the entry at min(`notAfter`, the
    CRL's `nextUpdate` + grace), so a revoked or retired certificate is refused on its next
    request". Built-in TLS with two trust anchors, each with its CRL; a connection kept alive
    across a retirement and across the certificate's notAfter is refused on its next request;
    CA 2's CRL runs past nextUpdate while the hub runs: accepted within the grace, refused after,
    while CA 1's certificates still get in."""
    uit = tmp_path / "certs"
    ca2, ca3 = tmp_path / "ca2", tmp_path / "ca3"
    ontwikkel_ca.init(ca2)
    ontwikkel_ca.init(ca3)
    ankers = Vertrouwensankers.uit_bestanden([pki_dir / "ca.pem", ca2 / "ca.pem"])
    x2 = _uitgeven(ca2, uit, "x2", oin="00000003200000010000")
    r2 = _uitgeven(ca2, uit, "r2", oin="00000003200000020000")
    z2 = _uitgeven(ca2, uit, "z2", oin="00000003200000030000")
    for partij in (x2, r2, z2):
        _registreer(rt, partij, ankers=ankers)
    v3 = _uitgeven(ca3, uit, "v3", oin=cast["zorg"].oin)
    _plant(rt, cast["zorg"].oin, v3)
    nu = datetime.now(UTC)
    crl1 = _crl(
        pki_dir,
        tmp_path / "crl1.pem",
        [],
        nummer=1,
        deze=nu - timedelta(minutes=5),
        volgende=nu + timedelta(days=7),
    )
    crl2 = _crl(
        ca2,
        tmp_path / "crl2.pem",
        [r2],
        nummer=1,
        deze=nu - timedelta(minutes=5),
        volgende=nu + timedelta(days=7),
    )
    marge = 3
    env = {
        "KNOOPPUNT_TRUST_ANCHORS": f"{pki_dir / 'ca.pem'},{ca2 / 'ca.pem'}",
        "KNOOPPUNT_CRLS": f"{crl1},{crl2}",
        "KNOOPPUNT_CRL_GRACE_SECONDS": str(marge),
        "KNOOPPUNT_CRL_REFRESH_SECONDS": "1",
    }
    with _tls_hub(database_url, tmp_path, pki_dir, "hub", env) as hub:
        assert _tls_status(hub, cast["kredietbank"])[0] == 200
        assert _tls_status(hub, x2)[0] == 200, "a certificate of the second trust anchor gets in"
        assert _tls_status(hub, z2)[0] == 200
        status, detail = _tls_status(hub, r2)
        assert status == 401 and "ingetrokken" in detail, (status, detail)
        assert _tls_status(hub, v3)[0] in (401, "handshake"), "a CA outside the list never gets in"

        # Retired in the adresboek: refused on the next request of a connection already open,
        # the submit too.
        gemeente, energie = cast["gemeente"], cast["energie"]
        with hub.client(gemeente, timeout=30) as open_:
            assert (
                open_.post("/berichten", json=envelop(gemeente, energie, "kennisgeving")).status_code == 201
            )
            assert open_.get("/berichten").status_code == 200
            with transactie(rt.sessions) as session:
                adresboek.trek_certificaat_in(
                    session,
                    gemeente.oin,
                    lees_pem(gemeente.pem).vingerafdruk,
                    nu=db_nu(session),
                    door="beheer:test",
                )
            _niet_binnen(open_.post("/berichten", json=envelop(gemeente, energie, "kennisgeving")))
            _niet_binnen(open_.get("/berichten"))

        # A certificate that expires in a few seconds, on a connection kept open; CA 2 publishes a
        # CRL (revoking z2 too) whose nextUpdate is as near.
        t0 = datetime.now(UTC)
        kort = _certificaat(
            uit, "kort", oin="00000003200000040000", uitgever=pki_dir, tot=t0 + timedelta(seconds=5)
        )
        _registreer(rt, kort, rol="SHV")
        volgende = t0 + timedelta(seconds=5)
        _crl(ca2, crl2, [r2, z2], nummer=2, deze=t0 - timedelta(minutes=1), volgende=volgende)

        def tot(moment: datetime) -> float:
            return (moment - datetime.now(UTC)).total_seconds()

        with hub.client(kort, timeout=30) as open_:
            statussen: list[tuple[float, int]] = []

            def houd_open() -> None:
                r = open_.get("/berichten")
                statussen.append((-tot(kort.certificaat.not_valid_after_utc), r.status_code))

            houd_open()
            assert open_.post("/berichten", json=envelop(kort, energie, "kennisgeving")).status_code == 201

            def geladen() -> bool:
                houd_open()
                return _tls_status(hub, z2)[0] != 200

            assert _wacht_tot(geladen, 5.0), "CA 2's new CRL was never used"
            if tot(volgende) > 0.5:
                assert _tls_status(hub, x2)[0] == 200
            while tot(volgende) > -1.0:  # past nextUpdate, within the grace
                houd_open()
                time.sleep(0.5)
            if tot(volgende + timedelta(seconds=marge)) > 1.0:
                assert _tls_status(hub, x2)[0] == 200, "within the grace the CRL still counts"
            houd_open()
            # the kept-open connection: accepted before notAfter, refused after (an HTTP answer:
            # the connection was already up, so only the app can have refused it)
            assert statussen[0][1] == 200, statussen
            assert statussen[-1][1] == 401 and statussen[-1][0] > 0, statussen
            assert all(s == 200 for t, s in statussen if t < -0.5), statussen
            _niet_binnen(open_.post("/berichten", json=envelop(kort, energie, "kennisgeving")))
        time.sleep(max(0.0, tot(volgende + timedelta(seconds=marge))) + 1.0)
        status, detail = _tls_status(hub, x2)
        assert status == 401 and "nextUpdate" in detail, (status, detail)
        assert _tls_status(hub, energie)[0] == 200, "CA 1's CRL is current: its certificates get in"
        with hub.client(energie, timeout=30) as se:
            afzenders = sorted(b["afzender"] for b in se.get("/berichten").json()["berichten"])
        assert afzenders == sorted([gemeente.oin, kort.oin]), "only the submits before the refusals"


# --- §5 Abuse: the cap on unconfirmed messages, request size limits ------------------------------------


def _antwoord(sock: ssl.SSLSocket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one HTTP/1.1 response read from a raw socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        deel = sock.recv(65536)
        if not deel:
            break
        data += deel
    kop, _, rest = data.partition(b"\r\n\r\n")
    regels = kop.decode("latin-1").split("\r\n")
    status = int(regels[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (r.split(":", 1) for r in regels[1:])}
    lengte = int(headers.get("content-length", "0"))
    while len(rest) < lengte:
        deel = sock.recv(65536)
        if not deel:
            break
        rest += deel
    return status, headers, rest


GRENS = 4096 + 65536  # the smallest request limit allowed with a 4 KiB inhoud (docs/configuration.md)


def test_misbruik_open_berichten_per_relatie_en_verzoekgrootte(
    cast: dict[str, Partij], database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """§5 Abuse: "per sender/recipient cap on unconfirmed messages (429), request size limits".
    §4: "`TE_VEEL_OPEN` (429: more than the configured number … of unconfirmed messages from one
    sender to one recipient)"; "same `referentienummer` + same body again → 200 with the original
    result (idempotent retry)"; `verzendingen`: envelopes are judged "each exactly as a single
    submit would be"; "the configured request size, else 413"; "No request, however hostile, makes
    the hub hold more than a bounded amount of memory"; "Errors are `application/problem+json`".
    Over real TLS: a fetched message is still unconfirmed; a retry of an accepted message is no
    new one; the cap holds in a batch too. A body announced far beyond the limit is refused at
    once, without the hub waiting for it; a chunked body (no Content-Length) past the limit is
    413, and so is an oversized confirmation list; the hub goes on serving."""
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    env = {
        "KNOOPPUNT_MAX_OPEN_PER_RELATIE": "2",
        "KNOOPPUNT_MAX_INHOUD_BYTES": "4096",
        "KNOOPPUNT_MAX_REQUEST_BYTES": str(GRENS),
    }
    with (
        _tls_hub(database_url, tmp_path, pki_dir, "hub", env) as hub,
        hub.client(gemeente, timeout=30) as shv,
        hub.client(energie, timeout=30) as se,
    ):
        # --- the cap on unconfirmed messages per (sender, recipient)
        eerste = [envelop(gemeente, energie, "kennisgeving") for _ in range(2)]
        for e in eerste:
            assert len(e["inhoud"]) < 4096
            assert shv.post("/berichten", json=e).status_code == 201
        opgehaald = se.get("/berichten").json()["berichten"]
        assert len(opgehaald) == 2 and all(b["opgehaaldOp"] for b in opgehaald)

        _probleem(
            shv.post("/berichten", json=envelop(gemeente, energie, "kennisgeving")), 429, "TE_VEEL_OPEN"
        )
        herhaald = shv.post("/berichten", json=eerste[0])
        assert herhaald.status_code == 200, herhaald.text
        assert herhaald.json()["referentienummer"] == eerste[0]["referentienummer"]

        r = shv.post("/verzendingen", json={"berichten": [envelop(gemeente, energie, "kennisgeving")]})
        assert r.status_code == 200, r.text
        [uitkomst] = r.json()["berichten"]
        assert (uitkomst["status"], uitkomst["probleem"]["code"]) == (429, "TE_VEEL_OPEN"), uitkomst
        r = shv.post(
            "/verzendingen",
            json={"berichten": [envelop(gemeente, energie, "kennisgeving")], "allesOfNiets": True},
        )
        assert r.status_code == 422, r.text
        [uitkomst] = r.json()["berichten"]
        assert (uitkomst["status"], uitkomst["probleem"]["code"]) == (429, "TE_VEEL_OPEN"), uitkomst
        # another recipient is another relation
        naar_woning = envelop(gemeente, woning, "kennisgeving")
        assert shv.post("/berichten", json=naar_woning).status_code == 201

        # --- request size: 1 GB announced, nothing sent — the answer comes without the body
        ctx = ssl_context(hub.ca, gemeente)
        with (
            socket.create_connection(("127.0.0.1", hub.poort), timeout=10) as ruw,
            ctx.wrap_socket(ruw, server_hostname="localhost") as tls,
        ):
            tls.sendall(
                b"POST /api/v1/berichten HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{"
            )
            begin = time.monotonic()
            status, headers, body = _antwoord(tls)
        assert status == 413, (status, body)
        assert headers["content-type"] == "application/problem+json"
        assert time.monotonic() - begin < 10

        # chunked, no Content-Length, past the limit
        def stukken() -> Iterator[bytes]:
            yield b'{"referentienummers": ["'
            for _ in range(GRENS // 1024 + 8):
                yield b"0" * 1024
            yield b'"]}'

        r = shv.post("/bevestigingen", content=stukken(), headers={"content-type": "application/json"})
        assert "content-length" not in {k.lower() for k in r.request.headers}
        _probleem(r, 413)
        # with a length: an oversized confirmation list
        veel = [str(uuid.uuid4()) for _ in range(GRENS // 36 + 10)]
        _probleem(se.post("/bevestigingen", json={"referentienummers": veel}), 413)

        # nothing of it stored; the hub goes on serving
        verzonden = shv.get("/verzonden").json()["berichten"]
        assert sorted(b["referentienummer"] for b in verzonden) == sorted(
            [*(e["referentienummer"] for e in eerste), naar_woning["referentienummer"]]
        )


# --- §5 Abuse: webhooks ------------------------------------------------------------------------------


class Luisteraar:
    """TCP listeners on 127.0.0.1 and ::1 (one port) that count the connections made to them."""

    def __init__(self) -> None:
        self.verbindingen = 0
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        eerste = socket.create_server(("127.0.0.1", 0))
        self.poort = int(eerste.getsockname()[1])
        self._sockets.append(eerste)
        with suppress(OSError):
            self._sockets.append(socket.create_server(("::1", self.poort), family=socket.AF_INET6))
        for s in self._sockets:
            s.settimeout(0.2)
            threading.Thread(target=self._accepteer, args=(s,), daemon=True).start()

    def _accepteer(self, s: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                verbinding, _ = s.accept()
            except (TimeoutError, OSError):
                continue
            self.verbindingen += 1
            verbinding.close()

    def stop(self) -> None:
        self._stop.set()
        time.sleep(0.3)
        for s in self._sockets:
            s.close()


def _worker(database_url: str, data_dir: Path, pki_dir: Path, nu: datetime, **env: str) -> None:
    omgeving = {
        **_schone_omgeving(),
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": database_url,
        "KNOOPPUNT_DATA_DIR": str(data_dir),
        "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
        "KNOOPPUNT_NOTIFICATIE_TIMEOUT_SECONDEN": "3",
        **env,
    }
    uit = subprocess.run(
        [sys.executable, "-m", "knooppunt.cli.main", "worker", "--once", "--now", nu.isoformat()],
        env=omgeving,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert uit.returncode == 0, uit.stderr


def _kennisgeving(afzender: Partij, ontvanger: Partij) -> dict[str, Any]:
    """A kennisgeving, in its BSN form for a creditor that identifies clients by BSN (art. 3.1)."""
    soort = "kennisgeving_bsn" if ontvanger.opties.get("gebruikt_bsn") else "kennisgeving"
    return envelop(afzender, ontvanger, soort)


def _webhook(rt: Runtime, oin: str, url: str) -> None:
    """A webhook on file as if it was set while its host still resolved to a public address."""
    with transactie(rt.sessions) as session:
        session.merge(
            NotificatieInstellingen(
                oin=oin,
                modus="direct",
                emailadressen=[],
                digest_uur=8,
                webhook_url=url,
                webhook_geheim="g" * 43,
                laatst_gemeld_id=0,
                gewijzigd_op=db_nu(session),
            )
        )


def _rijen(rt: Runtime) -> dict[str, Notificatie]:
    with rt.sessions() as session:
        return {
            n.deelnemer: n
            for n in session.scalars(select(Notificatie).where(Notificatie.kanaal == "webhook"))
        }


def test_webhook_alleen_https_naar_openbare_adressen_gecontroleerd_bij_verbinden(
    rt: Runtime, cast: dict[str, Partij], client_voor: Any, database_url: str, pki_dir: Path
) -> None:
    """§5 Abuse: "webhooks to https public addresses only … (checked at connect time)". A real
    `knooppunt worker` delivers the notifications of four recipients whose webhook URLs are on
    file: a hostname that resolves to loopback when the worker connects, `http://`, a link-local
    and a private address. No connection is made to any of them (the loopback listeners count
    every connection) and none counts as delivered."""
    gemeente = cast["gemeente"]
    luisteraar = Luisteraar()
    try:
        gevallen = {
            cast["energie"].oin: (f"https://localhost:{luisteraar.poort}/hook", "openbaar"),
            cast["woning"].oin: (f"http://127.0.0.1:{luisteraar.poort}/hook", "https"),
            cast["zorg"].oin: ("https://169.254.169.254/hook", "openbaar"),
            cast["belasting"].oin: ("https://10.1.2.3/hook", "openbaar"),
        }
        for oin, (url, _) in gevallen.items():
            _webhook(rt, oin, url)
            ontvanger = next(p for p in cast.values() if p.oin == oin)
            r = client_voor(gemeente).post("/berichten", json=_kennisgeving(gemeente, ontvanger))
            assert r.status_code == 201, r.text
        with rt.sessions() as session:
            nu = db_nu(session)
        _worker(database_url, rt.settings.data_dir, pki_dir, nu + timedelta(minutes=2))
    finally:
        luisteraar.stop()
    assert luisteraar.verbindingen == 0
    rijen = _rijen(rt)
    assert set(rijen) == set(gevallen), rijen
    for oin, (url, reden) in gevallen.items():
        rij = rijen[oin]
        assert rij.status != "verzonden" and rij.pogingen == 1 and rij.antwoordcode is None, (url, rij.status)
        assert rij.laatste_fout is not None and reden in rij.laatste_fout, (url, rij.laatste_fout)


def test_webhook_volgt_geen_doorverwijzing(
    rt: Runtime, cast: dict[str, Partij], client_voor: Any, database_url: str, pki_dir: Path
) -> None:
    """§5 Abuse: "webhooks to https … with no redirects". A real `knooppunt worker` (with the
    development allowance for a receiver on this machine, docs/configuration.md) posts to an https
    receiver answering 301, 302, 307 and 308 with a Location: each is posted to once, the
    Location is never requested, and none counts as delivered."""
    gemeente = cast["gemeente"]
    pki = rt.settings.dev_pki_dir
    ontwikkel_ca.init(pki)
    server = ontwikkel_ca.issue_server(pki, hosts=("localhost",))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(server.certificaat, server.sleutel)
    ontvangers = [cast[n] for n in ("energie", "woning", "zorg", "belasting")]
    ontvanger = WebhookOntvanger([301, 302, 307, 308], tls=context)
    try:
        for partij in ontvangers:
            with transactie(rt.sessions) as session:
                notificatie_instellingen.stel_in(
                    session,
                    partij.oin,
                    notificatie_instellingen.Wijziging(
                        webhook_url=ontvanger.url("localhost"), modus="direct"
                    ),
                    door="beheer:test",
                    nu=db_nu(session),
                    lokale_webhooks=True,
                )
            r = client_voor(gemeente).post("/berichten", json=_kennisgeving(gemeente, partij))
            assert r.status_code == 201, r.text
        with rt.sessions() as session:
            nu = db_nu(session)
        _worker(
            database_url,
            rt.settings.data_dir,
            pki_dir,
            nu + timedelta(minutes=2),
            KNOOPPUNT_WEBHOOK_LOKAAL_TOEGESTAAN="true",
        )
    finally:
        ontvanger.stop()
    assert [(v["methode"], v["pad"]) for v in ontvanger.verzoeken] == [("POST", "/hook")] * 4
    rijen = _rijen(rt)
    assert sorted(r.antwoordcode or 0 for r in rijen.values()) == [301, 302, 307, 308], rijen
    assert all(r.status != "verzonden" for r in rijen.values())
