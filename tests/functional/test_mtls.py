"""Mutual-TLS authentication end to end (DESIGN §5): a real `knooppunt serve` process, real
certificates of a development CA, real TLS connections — built-in TLS, behind a TLS proxy (TCP and
Unix socket), revocation by CRL, and several worker processes."""

from __future__ import annotations

import base64
import os
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from click.testing import CliRunner
from sqlalchemy import select

from knooppunt.cli.main import main
from knooppunt.hub import adresboek
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.pki.verificatie import Vertrouwensankers
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Auditregel, Certificaat
from tests.factories import Partij
from tests.functional.server import Hub, start_hub, vrije_poort, wacht_op_poort

HEADER = "x-ssl-client-cert"  # settings.client_cert_header's default
# OINs of no participant of the cast.
OIN_ONBEKEND = "00000003111111110000"
OIN_X = "00000003222222220000"


# --- helpers ----------------------------------------------------------------------------------


def _uitgeven(ca: Path, uit: Path, naam: str, *, oin: str, key_type: str = "ec") -> Partij:
    cert = ontwikkel_ca.issue(ca, oin=oin, naam=naam, key_type=key_type, basisnaam=naam, uit_map=uit)
    return Partij(oin, naam, "SE", "11111111", cert.certificaat, cert.sleutel)


def _status(hub: Any, partij: Partij | None, **headers: str) -> tuple[int | str, dict[str, Any]]:
    """The status of GET /berichten as `partij` over mutual TLS, or "handshake" when the TLS
    layer refuses the connection (which is fine: what matters is that it never gets in)."""
    try:
        with hub.client(partij) as client:
            r = client.get("/berichten", headers=headers)
    except httpx.TransportError:
        return "handshake", {}
    body = r.json() if r.headers.get("content-type", "").startswith("application/problem+json") else {}
    return r.status_code, body


def _geweigerd(antwoord: tuple[int | str, dict[str, Any]], *, detail: str | None = None) -> None:
    status, body = antwoord
    if status == "handshake":
        assert detail is None, f"verwacht 401 met {detail!r}, maar de TLS-handshake werd geweigerd"
        return
    assert status == 401, antwoord
    assert body["code"] == "NIET_GEAUTHENTICEERD", body
    if detail is not None:
        assert detail in body["detail"], body["detail"]


def _nginx(partij: Partij) -> str:
    """nginx's $ssl_client_escaped_cert: the PEM, URL-encoded."""
    return quote(partij.pem, safe="")


def _rfc9440(partij: Partij) -> str:
    """RFC 9440 Client-Cert: the DER as a structured-field byte sequence."""
    der = ssl.PEM_cert_to_DER_cert(partij.pem)
    return ":" + base64.b64encode(der).decode("ascii") + ":"


TEST_HOOFDSLEUTEL = "test:" + base64.b64encode(bytes(range(32))).decode("ascii")


def _gedeelde_sleutelopslag(map_: Path) -> dict[str, str]:
    """The day-key store and master key every node of one test shares, as a cluster's nodes do
    (decision 0040: a node with a store of its own refuses to start); their data directories —
    development PKI, TLS certificates — stay their own."""
    return {
        "KNOOPPUNT_SLEUTELOPSLAG_URL": f"sqlite:///{map_ / 'sleutelopslag.sqlite3'}",
        "KNOOPPUNT_DAGSLEUTEL_HOOFDSLEUTELS": TEST_HOOFDSLEUTEL,
    }


@contextmanager
def _serve(
    args: Sequence[str], *, database_url: str, data_dir: Path, env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    """`knooppunt serve ARGS` as a process; the caller waits until it listens. Nodes of one test
    (data directories side by side) share a key store."""
    omgeving = {
        **os.environ,
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": database_url,
        "KNOOPPUNT_DATA_DIR": str(data_dir),
        **_gedeelde_sleutelopslag(data_dir.parent),
        **env,
    }
    proces = subprocess.Popen(
        [sys.executable, "-m", "knooppunt.cli.main", "serve", "--no-jobs", *args],
        env=omgeving,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proces
    finally:
        if proces.poll() is None:
            proces.terminate()
            try:
                proces.wait(15)
            except subprocess.TimeoutExpired:
                proces.kill()
                proces.wait(5)
        if proces.stdout:
            proces.stdout.close()


def _wacht_op_socket(pad: Path, proces: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    einde = time.monotonic() + timeout
    while time.monotonic() < einde:
        if proces.poll() is not None:
            uitvoer = proces.stdout.read().decode() if proces.stdout else ""
            raise RuntimeError(f"knooppunt serve stopte met code {proces.returncode}:\n{uitvoer}")
        try:
            with socket.socket(socket.AF_UNIX) as s:
                s.connect(str(pad))
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"knooppunt serve luistert na {timeout}s nog niet op {pad}")


def _registreer(rt: Runtime, partij: Partij, *, ankers: Vertrouwensankers | None = None) -> None:
    with transactie(rt.sessions) as session:
        adresboek.registreer(
            session,
            adresboek.NieuweDeelnemer(
                oin=partij.oin,
                naam=partij.naam,
                rol="SE",
                kvk_nummer=partij.oin[8:16],
                modules=["schuldregeling"],
                certificaten=[lees_pem(partij.pem)],
            ),
            nu=db_nu(session),
            ankers=ankers or rt.ankers,
            door="beheer:test",
        )


@contextmanager
def _crl_server(crl: Path) -> Iterator[str]:
    """A CRL distribution point: serves the current contents of `crl` over HTTP."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/ca.crl":
                self.send_error(404)
                return
            data = crl.read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/pkix-crl")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    draad = threading.Thread(target=server.serve_forever, daemon=True)
    draad.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/ca.crl"
    finally:
        server.shutdown()
        server.server_close()


def _korte_map() -> Path:
    # A Unix socket path may be at most ~100 bytes; pytest's tmp_path can be longer.
    return Path(tempfile.mkdtemp(prefix="kp-"))


# --- built-in TLS -----------------------------------------------------------------------------


def test_alleen_een_geregistreerd_certificaat_komt_binnen(
    cast: dict[str, Partij], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    uit = tmp_path / "certs"
    onbekend = _uitgeven(pki_dir, uit, "onbekend", oin=OIN_ONBEKEND)
    # A second, valid certificate of a registered OIN that was never registered itself.
    tweede_gemeente = _uitgeven(pki_dir, uit, "gemeente-2", oin=cast["gemeente"].oin)
    # Registered for the right OIN, but only for encryption, not for TLS.
    alleen_versleuteling = _uitgeven(
        pki_dir, uit, "energie-versleuteling", oin=cast["energie"].oin, key_type="rsa"
    )
    with transactie(rt.sessions) as session:
        adresboek.voeg_certificaat_toe(
            session,
            cast["energie"].oin,
            lees_pem(alleen_versleuteling.pem),
            gebruik=["versleuteling"],
            nu=db_nu(session),
            ankers=rt.ankers,
            door="beheer:test",
        )
    # A certificate for OIN X whose fingerprint is (wrongly) on file for OIN Y: the hub looks up
    # the pair (OIN from the certificate, fingerprint), so it must not let X in as Y.
    x_als_zorg = _uitgeven(pki_dir, uit, "x-als-zorg", oin=OIN_X)
    info = lees_pem(x_als_zorg.pem)
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        session.add(
            Certificaat(
                vingerafdruk=info.vingerafdruk,
                oin=cast["zorg"].oin,
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
                toegevoegd_op=nu,
            )
        )
    # Another CA entirely, with a certificate naming a registered OIN.
    ontwikkel_ca.init(tmp_path / "ander-ca")
    vreemd = _uitgeven(tmp_path / "ander-ca", uit, "vreemde-gemeente", oin=cast["gemeente"].oin)
    # The hub's own server certificate (no OIN, extendedKeyUsage serverAuth).
    server = Partij("-", "server", "SE", "-", pki_dir / "server.pem", pki_dir / "server-key.pem")

    with start_hub(
        database_url=database_url,
        data_dir=tmp_path / "hub",
        pki_dir=pki_dir,
        extra_args=["--no-jobs"],
        env={"KNOOPPUNT_TRUSTED_PROXIES": "127.0.0.1/32"},
    ) as hub:
        # Registered certificates with EC P-256 and RSA 2048 keys.
        for naam in ("gemeente", "kredietbank", "energie", "belasting"):
            assert _status(hub, cast[naam])[0] == 200, naam

        _geweigerd(_status(hub, None), detail="Er is geen clientcertificaat aangeboden.")
        # A TLS connection to the hub itself never uses the proxy header, even from an address
        # that is a trusted proxy (DESIGN §5: only the handshake counts there).
        _geweigerd(_status(hub, None, **{HEADER: _nginx(cast["gemeente"])}), detail="geen clientcertificaat")
        _geweigerd(_status(hub, onbekend), detail=f"geregistreerd voor OIN {OIN_ONBEKEND}")
        _geweigerd(_status(hub, tweede_gemeente), detail=f"geregistreerd voor OIN {cast['gemeente'].oin}")
        _geweigerd(_status(hub, alleen_versleuteling), detail="niet (meer) als TLS-certificaat geregistreerd")
        _geweigerd(_status(hub, x_als_zorg), detail=f"geregistreerd voor OIN {OIN_X}")
        assert _status(hub, vreemd)[0] in (401, "handshake")
        assert _status(hub, server)[0] in (401, "handshake")

        # Retiring a certificate locks it out on the next request (DESIGN §5).
        woning = cast["woning"]
        assert _status(hub, woning)[0] == 200
        with transactie(rt.sessions) as session:
            adresboek.trek_certificaat_in(
                session, woning.oin, lees_pem(woning.pem).vingerafdruk, nu=db_nu(session), door="beheer:test"
            )
        _geweigerd(_status(hub, woning), detail=f"als TLS-certificaat geregistreerd voor OIN {woning.oin}")


def test_serve_met_meerdere_workers(
    cast: dict[str, Partij], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    ops = vrije_poort()
    with start_hub(
        database_url=database_url,
        data_dir=tmp_path / "hub",
        pki_dir=pki_dir,
        extra_args=["--workers", "2", "--ops-port", str(ops), "--job-interval", "0.2"],
    ) as hub:
        # New connections: spread over the workers that share the listening socket.
        for partij in [cast["gemeente"], cast["energie"]] * 4:
            with hub.client(partij, timeout=30) as client:
                assert client.get("/berichten").status_code == 200
        with hub.client(None, timeout=30) as client:
            r = client.get("/berichten")
            assert r.status_code == 401
            assert r.json()["code"] == "NIET_GEAUTHENTICEERD"
        # The supervisor runs the operator listener and the jobs; the workers serve the API.
        assert httpx.get(f"http://127.0.0.1:{ops}/health/live", timeout=10).status_code == 200
        kinderen = subprocess.run(
            ["ps", "-ww", "-o", "args=", "--ppid", str(hub.proces.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.splitlines()
        assert len([k for k in kinderen if "multiprocessing.spawn" in k]) == 2, kinderen
        time.sleep(0.5)
        hub.stop()
        hub.proces.wait(15)
        time.sleep(0.2)  # let the log reader take the last lines
        uitvoer = "".join(hub.log)
    assert "2 workers" in uitvoer
    assert '"event": "jobs"' in uitvoer, uitvoer  # the embedded jobs ran


def test_een_open_verbinding_houdt_het_stoppen_niet_op(
    cast: dict[str, Partij], database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    """A client that keeps its connection open (a pooled, idle keep-alive connection, as every HTTP
    client library keeps) does not hold up a node's shutdown: SIGTERM ends `serve` at once. Before,
    closing TLS politely waited 30 s for the idle client's close_notify — a rolling restart of
    every node, 30 s each. An answer under way is still finished first (uvicorn's own rule)."""
    with start_hub(database_url=database_url, data_dir=tmp_path / "hub", pki_dir=pki_dir) as hub:
        client = hub.client(cast["gemeente"], timeout=30)
        try:
            assert client.get("/berichten").status_code == 200  # the connection stays open, idle
            begin = time.monotonic()
            hub.proces.send_signal(signal.SIGTERM)
            hub.proces.wait(20)  # TimeoutExpired here: the shutdown waited on the idle connection
            assert time.monotonic() - begin < 10
        finally:
            client.close()


# --- behind a TLS proxy -----------------------------------------------------------------------


def test_proxy_header_alleen_van_een_vertrouwde_proxy(
    cast: dict[str, Partij], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path
) -> None:
    poort = vrije_poort()
    uds_map = _korte_map()
    uds = uds_map / "hub.sock"
    ontwikkel_ca.init(tmp_path / "ander-ca")
    vreemd = _uitgeven(tmp_path / "ander-ca", tmp_path / "certs", "vreemd", oin=cast["gemeente"].oin)
    env = {"KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem")}
    try:
        with ExitStack() as stapel:
            # Only 127.0.0.2 is the proxy; the hub listens on 127.0.0.1, so a client from
            # 127.0.0.1 is "anyone else" on the very same server.
            tcp = stapel.enter_context(
                _serve(
                    ["--proxy", "--host", "127.0.0.1", "--port", str(poort)],
                    database_url=database_url,
                    data_dir=tmp_path / "tcp",
                    env={**env, "KNOOPPUNT_TRUSTED_PROXIES": "127.0.0.2/32"},
                )
            )
            unix = stapel.enter_context(
                _serve(["--uds", str(uds)], database_url=database_url, data_dir=tmp_path / "uds", env=env)
            )
            wacht_op_poort(poort, tcp)
            _wacht_op_socket(uds, unix)
            url = f"http://127.0.0.1:{poort}/api/v1"
            proxy = stapel.enter_context(
                httpx.Client(base_url=url, transport=httpx.HTTPTransport(local_address="127.0.0.2"))
            )
            anders = stapel.enter_context(httpx.Client(base_url=url))

            def via(client: httpx.Client, headers: dict[str, str] | list[tuple[str, str]]) -> httpx.Response:
                return client.get("/berichten", headers=headers)

            assert via(proxy, {HEADER: _nginx(cast["gemeente"])}).status_code == 200
            assert via(proxy, {HEADER: _rfc9440(cast["energie"])}).status_code == 200
            gevallen: list[tuple[dict[str, str] | list[tuple[str, str]], str]] = [
                ({}, "geen clientcertificaat"),
                ({HEADER: _nginx(vreemd)}, "niet uitgegeven door een vertrouwde CA"),
                ({HEADER: "geen-certificaat"}, "onleesbaar"),
                # The hub's server certificate: right CA, but extendedKeyUsage serverAuth only.
                ({HEADER: quote((pki_dir / "server.pem").read_text(), safe="")}, "client-authenticatie"),
                # A proxy that appends instead of replacing would pass on the client's own header.
                ([(HEADER, _nginx(cast["gemeente"])), (HEADER, _nginx(cast["energie"]))], "meer dan eens"),
            ]
            for headers, detail in gevallen:
                r = via(proxy, headers)
                assert r.status_code == 401, (headers, r.text)
                assert r.json()["code"] == "NIET_GEAUTHENTICEERD"
                assert detail in r.json()["detail"]

            # From anywhere else the header is ignored, whatever the forwarding headers claim.
            for spoof in [
                {},
                {"x-forwarded-for": "127.0.0.2"},
                {"forwarded": "for=127.0.0.2", "x-real-ip": "127.0.0.2", "x-forwarded-for": "127.0.0.2, ::1"},
            ]:
                r = via(anders, {HEADER: _nginx(cast["gemeente"]), **spoof})
                assert r.status_code == 401, (spoof, r.text)
                assert "geen clientcertificaat" in r.json()["detail"]

            # On the Unix socket only local processes allowed by its mode (0660) connect.
            assert stat.S_IMODE(uds.stat().st_mode) == 0o660
            via_socket = stapel.enter_context(
                httpx.Client(base_url="http://knooppunt/api/v1", transport=httpx.HTTPTransport(uds=str(uds)))
            )
            assert via(via_socket, {HEADER: _nginx(cast["kredietbank"])}).status_code == 200
            assert via(via_socket, {HEADER: _rfc9440(cast["belasting"])}).status_code == 200
            assert via(via_socket, {}).status_code == 401
            assert via(via_socket, {HEADER: _nginx(vreemd)}).status_code == 401
    finally:
        shutil.rmtree(uds_map, ignore_errors=True)


# --- revocation -------------------------------------------------------------------------------


def test_ingetrokken_certificaat_en_verouderde_crl(rt: Runtime, database_url: str, tmp_path: Path) -> None:
    ca = tmp_path / "ca"
    ontwikkel_ca.init(ca)
    ankers = Vertrouwensankers.uit_bestanden([ca / "ca.pem"])
    a = _uitgeven(ca, ca, "a", oin="00000003333333330000", key_type="ec")
    b = _uitgeven(ca, ca, "b", oin="00000003444444440000", key_type="rsa")
    for partij in (a, b):
        _registreer(rt, partij, ankers=ankers)
    runner = CliRunner()
    uitvoer = runner.invoke(main, ["pki", "revoke", str(ca), "--cert", str(a.cert_pad)])
    assert uitvoer.exit_code == 0, uitvoer.output
    verouderd = ontwikkel_ca.schrijf_crl(
        tmp_path / "verouderd.pem",
        ontwikkel_ca.maak_crl(
            ca,
            [],
            deze_update=datetime.now(UTC) - timedelta(days=2),
            volgende_update=datetime.now(UTC) - timedelta(days=1),
        ),
    )
    basis = {"KNOOPPUNT_TRUST_ANCHORS": str(ca / "ca.pem"), **_gedeelde_sleutelopslag(tmp_path)}
    poort = vrije_poort()
    with ExitStack() as stapel:

        def tls_hub(naam: str, env: dict[str, str]) -> Hub:
            return stapel.enter_context(
                start_hub(
                    database_url=database_url,
                    data_dir=tmp_path / naam,
                    pki_dir=ca,
                    extra_args=["--no-jobs"],
                    env={**basis, **env},
                )
            )

        # First only hubs whose CRL is past nextUpdate: fail closed, unless within the grace.
        oud = tls_hub("h2", {"KNOOPPUNT_CRLS": str(verouderd)})
        oud_met_marge = tls_hub(
            "h3", {"KNOOPPUNT_CRLS": str(verouderd), "KNOOPPUNT_CRL_GRACE_SECONDS": str(3 * 86400)}
        )
        _geweigerd(_status(oud, b), detail="is verouderd (nextUpdate")
        assert _status(oud_met_marge, b)[0] == 200

        # This hub fetches the CRL over HTTP, as from a CA's CRL distribution point.
        crl_url = stapel.enter_context(_crl_server(ca / "crl.pem"))
        actueel = tls_hub("h1", {"KNOOPPUNT_CRLS": crl_url, "KNOOPPUNT_CRL_REFRESH_SECONDS": "1"})
        achter_proxy = stapel.enter_context(
            _serve(
                ["--proxy", "--port", str(poort)],
                database_url=database_url,
                data_dir=tmp_path / "h4",
                env={
                    **basis,
                    "KNOOPPUNT_CRLS": str(ca / "crl.pem"),
                    "KNOOPPUNT_TRUSTED_PROXIES": "127.0.0.1/32",
                },
            )
        )
        wacht_op_poort(poort, achter_proxy)

        _geweigerd(_status(actueel, a), detail="Het clientcertificaat is ingetrokken")
        assert _status(actueel, b)[0] == 200
        # Behind a proxy the app checks revocation of the forwarded certificate itself.
        with httpx.Client(base_url=f"http://127.0.0.1:{poort}/api/v1") as proxy:
            r = proxy.get("/berichten", headers={HEADER: _nginx(a)})
            assert r.status_code == 401
            assert "ingetrokken" in r.json()["detail"]
            assert proxy.get("/berichten", headers={HEADER: _nginx(b)}).status_code == 200
        # The hub with the outdated CRL now uses the current one the others share in the database.
        assert _status(oud, b)[0] == 200
        _geweigerd(_status(oud, a), detail="Het clientcertificaat is ingetrokken")

        # A revocation published while the hub runs takes effect at the next refresh.
        uitvoer = runner.invoke(main, ["pki", "revoke", str(ca), "--cert", str(b.cert_pad)])
        assert uitvoer.exit_code == 0, uitvoer.output
        einde = time.monotonic() + 10
        while _status(actueel, b)[0] == 200 and time.monotonic() < einde:
            time.sleep(0.2)
        _geweigerd(_status(actueel, b), detail="Het clientcertificaat is ingetrokken")


def _crl_van(ca: Path, pad: Path, ingetrokken: Sequence[Partij], *, nummer: int) -> Path:
    deze = datetime.now(UTC) - timedelta(minutes=5)
    crl = ontwikkel_ca.maak_crl(
        ca,
        [ontwikkel_ca.Intrekking(p.certificaat.serial_number, deze) for p in ingetrokken],
        nummer=nummer,
        deze_update=deze,
    )
    return ontwikkel_ca.schrijf_crl(pad, crl)


def _teruggedraaid(ops: int) -> float:
    """The rollback counter on a hub's operator listener."""
    tekst = httpx.get(f"http://127.0.0.1:{ops}/metrics", timeout=10).text
    regel = 'knooppunt_crl_teruggedraaid_geweigerd_total{herkomst="bron"} '
    waarden = [float(r.removeprefix(regel)) for r in tekst.splitlines() if r.startswith(regel)]
    return waarden[0] if waarden else 0.0


def test_een_intrekking_geldt_op_elke_node_en_een_oudere_crl_draait_haar_niet_terug(
    rt: Runtime, database_url: str, tmp_path: Path
) -> None:
    """Two hub processes on one database, each with a CRL source of its own: node A's source
    publishes a revocation, node B's keeps serving the older CRL. B refuses the certificate on its
    next request, because it reads the CRL state shared in the database, and never reinstates it
    from its own source: that older CRL is refused and alerted (log, metric, audit log)."""
    ca = tmp_path / "ca"
    ontwikkel_ca.init(ca)
    ankers = Vertrouwensankers.uit_bestanden([ca / "ca.pem"])
    x = _uitgeven(ca, ca, "x", oin="00000003666666660000")
    y = _uitgeven(ca, ca, "y", oin="00000003777777770000", key_type="rsa")
    for partij in (x, y):
        _registreer(rt, partij, ankers=ankers)
    a_bron = _crl_van(ca, tmp_path / "a.pem", [], nummer=10)
    b_bron = _crl_van(ca, tmp_path / "b.pem", [], nummer=10)
    ops = vrije_poort()
    with ExitStack() as stapel:

        def node(naam: str, bron: Path, *extra: str) -> Hub:
            return stapel.enter_context(
                start_hub(
                    database_url=database_url,
                    data_dir=tmp_path / naam,
                    pki_dir=ca,
                    extra_args=["--no-jobs", *extra],
                    env={
                        "KNOOPPUNT_TRUST_ANCHORS": str(ca / "ca.pem"),
                        "KNOOPPUNT_CRLS": str(bron),
                        "KNOOPPUNT_CRL_REFRESH_SECONDS": "1",
                        **_gedeelde_sleutelopslag(tmp_path),
                    },
                )
            )

        a = node("a", a_bron)
        b = node("b", b_bron, "--ops-port", str(ops))
        for hub in (a, b):
            for partij in (x, y):
                assert _status(hub, partij)[0] == 200
        voor = _teruggedraaid(ops)

        _crl_van(ca, a_bron, [x], nummer=11)
        einde = time.monotonic() + 15
        while _status(a, x)[0] == 200 and time.monotonic() < einde:
            time.sleep(0.2)
        _geweigerd(_status(a, x), detail="Het clientcertificaat is ingetrokken")
        # B's very next request: refused, although B's own source never listed x.
        _geweigerd(_status(b, x), detail="Het clientcertificaat is ingetrokken")
        assert _status(b, y)[0] == 200
        # B refreshes its source (every second) and gets the older CRL 10: refused and alerted,
        # and x stays refused on B, request after request.
        einde = time.monotonic() + 15
        while _teruggedraaid(ops) == voor and time.monotonic() < einde:
            time.sleep(0.2)
        assert _teruggedraaid(ops) > voor
        for _ in range(5):
            _geweigerd(_status(b, x), detail="Het clientcertificaat is ingetrokken")
            time.sleep(0.3)
        assert _status(b, y)[0] == 200
        alarm = [r for r in b.log if "crl ouder dan de gehouden crl geweigerd" in r]
        assert alarm and '"level": "error"' in alarm[0], b.log[-20:]
        assert '"crl_nummer": 10' in alarm[0] and '"gehouden_crl_nummer": 11' in alarm[0], alarm[0]
    with transactie(rt.sessions) as session:
        regels = (
            session.execute(select(Auditregel.uitkomst).where(Auditregel.actie == "crl_geweigerd"))
            .scalars()
            .all()
        )
    assert regels and set(regels) == {"nummer 10 < 11"}


def test_een_uit_het_adresboek_ingetrokken_certificaat_weigert_elke_node_bij_het_volgende_verzoek(
    rt: Runtime, database_url: str, tmp_path: Path
) -> None:
    """Two hub processes on one database, each keeping the certificates it verified (DESIGN §5):
    the beheerder retires a certificate (`knooppunt deelnemer certificaat intrekken`, a process of
    its own), and both nodes refuse it on their very next request."""
    ca = tmp_path / "ca"
    ontwikkel_ca.init(ca)
    ankers = Vertrouwensankers.uit_bestanden([ca / "ca.pem"])
    x = _uitgeven(ca, ca, "x", oin="00000003121212120000")
    y = _uitgeven(ca, ca, "y", oin="00000003343434340000", key_type="rsa")
    for partij in (x, y):
        _registreer(rt, partij, ankers=ankers)
    with ExitStack() as stapel:

        def node(naam: str) -> Hub:
            return stapel.enter_context(
                start_hub(
                    database_url=database_url,
                    data_dir=tmp_path / naam,
                    pki_dir=ca,
                    extra_args=["--no-jobs"],
                    env={"KNOOPPUNT_TRUST_ANCHORS": str(ca / "ca.pem"), **_gedeelde_sleutelopslag(tmp_path)},
                )
            )

        a, b = node("a"), node("b")
        for hub in (a, b):
            for partij in (x, y, x, y):
                assert _status(hub, partij)[0] == 200
        omgeving = {
            "KNOOPPUNT_ENV": "development",
            "KNOOPPUNT_DATABASE_URL": database_url,
            "KNOOPPUNT_DATA_DIR": str(tmp_path / "beheer"),
            "KNOOPPUNT_TRUST_ANCHORS": str(ca / "ca.pem"),
            **_gedeelde_sleutelopslag(tmp_path),
        }
        runner = CliRunner()
        uitvoer = runner.invoke(
            main,
            [
                "deelnemer",
                "certificaat",
                "intrekken",
                "--oin",
                x.oin,
                "--vingerafdruk",
                lees_pem(x.pem).vingerafdruk,
            ],
            env=omgeving,
        )
        assert uitvoer.exit_code == 0, uitvoer.output
        _geweigerd(_status(b, x), detail=f"niet (meer) als TLS-certificaat geregistreerd voor OIN {x.oin}")
        _geweigerd(_status(a, x), detail=f"niet (meer) als TLS-certificaat geregistreerd voor OIN {x.oin}")
        assert _status(b, y)[0] == 200


# --- configuration the hub refuses to start with ------------------------------------------------


def test_serve_weigert_te_starten_met_een_onveilige_of_kapotte_configuratie(
    tmp_path: Path, pki_dir: Path
) -> None:
    ontwikkel_ca.init(tmp_path / "ander-ca")
    tls = ["--tls-cert", str(pki_dir / "server.pem"), "--tls-key", str(pki_dir / "server-key.pem")]
    onbereikbaar = f"http://127.0.0.1:{vrije_poort()}/ca.crl"
    gevallen: dict[str, tuple[list[str], dict[str, str], str]] = {
        "proxy zonder proxies": (["--proxy"], {}, "--proxy heeft KNOOPPUNT_TRUSTED_PROXIES nodig"),
        "proxy met tls": (["--uds", str(tmp_path / "s.sock"), *tls], {}, "laat ze dus weg"),
        "crl van een andere ca": (
            tls,
            {"KNOOPPUNT_CRLS": str(tmp_path / "ander-ca" / "crl.pem")},
            "niet ondertekend door een van de vertrouwensankers",
        ),
        "crl-bestand ontbreekt": (
            tls,
            {"KNOOPPUNT_CRLS": str(tmp_path / "weg.pem")},
            f"KNOOPPUNT_CRLS: CRL {tmp_path / 'weg.pem'} kan niet gelezen worden",
        ),
        "crl-url onbereikbaar": (
            tls,
            {"KNOOPPUNT_CRLS": onbereikbaar},
            f"KNOOPPUNT_CRLS: CRL {onbereikbaar} kan niet opgehaald worden",
        ),
    }
    processen = {}
    # Side by side, each on a database of its own: they all stop before serving.
    for naam, (args, env, _) in gevallen.items():
        omgeving = {k: v for k, v in os.environ.items() if not k.startswith("KNOOPPUNT_")}
        omgeving |= {
            "KNOOPPUNT_ENV": "development",
            "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
            "KNOOPPUNT_DATA_DIR": str(tmp_path / naam),
            **env,
        }
        processen[naam] = subprocess.Popen(
            [sys.executable, "-m", "knooppunt.cli.main", "serve", "--port", str(vrije_poort()), *args],
            env=omgeving,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    for naam, proces in processen.items():
        uitvoer, _ = proces.communicate(timeout=60)
        assert proces.returncode == 2, (naam, uitvoer.decode())
        assert "configuratiefout: " in uitvoer.decode(), naam
        assert gevallen[naam][2] in uitvoer.decode(), (naam, uitvoer.decode())
