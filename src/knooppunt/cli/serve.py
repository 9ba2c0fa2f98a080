"""`knooppunt serve`: API v1 over mutual TLS (or behind a TLS proxy), the operator listener and
the embedded jobs (DESIGN §5, §8).

Three ways in, one per deployment:

- built-in TLS (default): uvicorn terminates mutual TLS and, through api.tls, hands the peer
  certificate to the app, which checks chain, revocation and registration;
- ``--proxy``: plain HTTP behind a TLS proxy at one of ``KNOOPPUNT_TRUSTED_PROXIES``, which
  forwards the client certificate in ``KNOOPPUNT_CLIENT_CERT_HEADER``;
- ``--uds PATH``: the same on a Unix socket (mode 0660), for a proxy on the same host.

``--workers N`` runs N processes that share the listening socket; the jobs and the operator
listener then run once, in the supervising process.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import stat
import tempfile
import threading
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import click
import structlog
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from uvicorn.supervisors import Multiprocess

from knooppunt import runtime as runtime_mod
from knooppunt.api.auth import intrekkingscontrole
from knooppunt.api.tls import begrensd_protocol, tls_protocol
from knooppunt.config import Settings, SettingsError, load_settings, productiefouten_uitstellen
from knooppunt.jobs.planner import IngebouwdePlanner
from knooppunt.logging import configureer
from knooppunt.ops import create_ops_app
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.verificatie import Vertrouwensankers
from knooppunt.store.dagsleutels import SLEUTELOPSLAG_VERPLICHT, hoofdsleutels_uit

log = structlog.get_logger("knooppunt.serve")

# The built-in TLS server: TLS 1.3 (whose suites are all AEAD) and TLS 1.2 with forward secrecy
# (ECDHE) and AEAD suites only (AES-GCM, ChaCha20-Poly1305), as Digikoppeling asks (the NCSC TLS
# guidelines' "goed"): no CBC, no RSA key exchange. TLS 1.0 and 1.1 have no such suite, and the
# context's minimum is TLS 1.2 anyway. docs/operations.md lists the suites.
TLS12_SUITES = "ECDHE+AESGCM:ECDHE+CHACHA20"
# The Unix socket is the proxy's alone: the forwarded certificate header is trusted on it
# (DESIGN §5), so other local users must not be able to connect. uvicorn would make it 0666.
UDS_MODUS = 0o660
CRLS_VERPLICHT = (
    "productie controleert bij elk verzoek of het certificaat is ingetrokken (DESIGN §5): zet "
    "KNOOPPUNT_CRLS op de CRL's (bestandspaden of http(s)-URL's) van de CA's in KNOOPPUNT_TRUST_ANCHORS"
)


@dataclass(frozen=True)
class ServeOpties:
    host: str
    port: int
    tls_cert: Path | None
    tls_key: Path | None
    client_ca: Path | None
    proxy: bool
    uds: Path | None
    ops_port: int | None
    ops_host: str
    jobs: bool
    job_interval: float
    workers: int = 1

    @property
    def achter_proxy(self) -> bool:
        return self.proxy or self.uds is not None


def laad_instellingen() -> tuple[Settings, list[str]]:
    """The settings, and what they miss for production (`productiefouten_uitstellen`): `start`
    refuses with that and what it misses itself, all in one run."""
    with productiefouten_uitstellen() as ontbreekt:
        settings = load_settings()
    return settings, ontbreekt


def _controleer_productie(settings: Settings, opties: ServeOpties, ontbreekt: Sequence[str]) -> None:
    """Production: every setting serve misses or refuses, at once and one line each (the settings'
    own, `ontbreekt`, first), instead of one per start — before anything is made or connected."""
    if settings.is_development:
        return
    regels = list(ontbreekt)

    def controleer(controle: Callable[[], object]) -> None:
        try:
            controle()
        except SettingsError as fout:
            regels.extend(str(fout).splitlines())

    if settings.portaal_actief:
        from knooppunt.pki.portaal_ca import PortaalCa
        from knooppunt.portaal import oidc
        from knooppunt.portaal.kluis import Kluis

        for controle in (Kluis.uit_instellingen, oidc.controleer_instellingen, PortaalCa.laad):
            controleer(partial(controle, settings))
    if not opties.achter_proxy and not (opties.tls_cert and opties.tls_key):
        controleer(partial(_tls_bestanden, settings, opties))  # given ones are checked by `start`
    controleer(partial(hoofdsleutels_uit, settings))
    if not settings.sleutelopslag_url:
        regels.append(SLEUTELOPSLAG_VERPLICHT)
    if not settings.crls:
        regels.append(CRLS_VERPLICHT)
    if opties.jobs:
        controleer(partial(runtime_mod.laad_audit_sleutel, settings))
    if regels:
        raise SettingsError("\n".join(regels))


def _tls_bestanden(settings: Settings, opties: ServeOpties) -> tuple[Path, Path]:
    """The server certificate and key (in development, of a development PKI made on first use)."""
    if opties.tls_cert and opties.tls_key:
        _controleer_servercertificaat(opties.tls_cert, opties.tls_key)
        return opties.tls_cert, opties.tls_key
    if opties.tls_cert or opties.tls_key:
        raise SettingsError("--tls-cert en --tls-key horen bij elkaar: geef ze allebei")
    if not settings.is_development:
        raise SettingsError(
            "productie maakt geen servercertificaat: geef --tls-cert en --tls-key (certificaat en "
            "sleutel van de server, PEM), of --proxy/--uds achter een TLS-proxy"
        )
    pki = settings.dev_pki_dir
    if not ontwikkel_ca.ca_paden(pki)[0].exists():
        ontwikkel_ca.init(pki)
        # For the person at the terminal, on stdout: stderr is the JSON log stream (DESIGN §8).
        click.echo(f"ontwikkel-PKI aangemaakt in {pki} (CA, servercertificaat voor localhost)")
        log.info("ontwikkel-PKI aangemaakt", map=str(pki))
    cert, key = pki / "server.pem", pki / "server-key.pem"
    if not cert.is_file() or not key.is_file() or _verloopt_op(cert) <= datetime.now(UTC):
        # The development CA lasts ten years, its server certificate about two: a missing or expired
        # one is made again under the same CA, which participants already trust.
        ontwikkel_ca.issue_server(pki, hosts=("localhost", "127.0.0.1", "::1"))
        click.echo(f"ontwikkel-servercertificaat opnieuw gemaakt in {cert} (het ontbrak of was verlopen)")
        log.info("ontwikkel-servercertificaat opnieuw gemaakt", bestand=str(cert))
    return cert, key


def _verloopt_op(cert: Path) -> datetime:
    try:
        return x509.load_pem_x509_certificate(cert.read_bytes()).not_valid_after_utc
    except ValueError as exc:
        raise SettingsError(f"{cert} is geen PEM-certificaat ({exc})") from exc


def _controleer_servercertificaat(cert: Path, key: Path) -> None:
    """The server certificate and key given: there, and the certificate not expired — else one line
    that names the file, instead of a start that dies on the first connection."""
    for pad, optie in ((cert, "--tls-cert"), (key, "--tls-key")):
        if not pad.is_file():
            raise SettingsError(f"{optie} {pad}: dat bestand bestaat niet")
    verloopt = _verloopt_op(cert)
    nu = datetime.now(UTC)
    if verloopt <= nu:
        raise SettingsError(
            f"--tls-cert {cert} is verlopen op {verloopt:%Y-%m-%d %H:%M} UTC: elke client zou het "
            "weigeren; vernieuw het servercertificaat"
        )
    if verloopt - nu < timedelta(days=30):
        log.warning(
            "servercertificaat verloopt binnenkort", bestand=str(cert), verloopt_op=verloopt.isoformat()
        )
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(str(cert), str(key))
    except ssl.SSLError as exc:
        if "KEY_VALUES_MISMATCH" in str(exc) or "key values mismatch" in str(exc):
            raise SettingsError(
                f"--tls-key {key} is niet de sleutel van --tls-cert {cert}: geef de sleutel die bij "
                "het servercertificaat hoort"
            ) from exc
        raise SettingsError(
            f"--tls-cert {cert} / --tls-key {key} zijn niet te gebruiken ({exc.reason or exc}): geef "
            "een PEM-certificaat en zijn onversleutelde PEM-privésleutel"
        ) from exc


def _controleer_opties(settings: Settings, opties: ServeOpties) -> None:
    if opties.workers < 1:
        raise SettingsError("--workers moet 1 of meer zijn")
    if opties.ops_port is not None and opties.uds is None and opties.ops_port == opties.port:
        raise SettingsError(
            f"--ops-port {opties.ops_port} is ook de poort voor deelnemers (--port): de beheerpoort "
            "(health, metrics) luistert apart, geef haar een andere poort"
        )
    if opties.achter_proxy:
        if opties.tls_cert or opties.tls_key:
            raise SettingsError(
                "--tls-cert/--tls-key zijn voor de ingebouwde TLS-server; met --proxy of --uds doet de "
                "TLS-proxy TLS, laat ze dus weg"
            )
        if opties.uds is None and not settings.trusted_proxies:
            raise SettingsError(
                "--proxy heeft KNOOPPUNT_TRUSTED_PROXIES nodig: de adressen van de TLS-proxy's"
            )


def _controleer_intrekking(settings: Settings, rt: runtime_mod.Runtime) -> None:
    """Load the CRLs now, so that a wrong KNOOPPUNT_CRLS stops the start, not every request."""
    if not settings.crls:
        if not settings.is_development:
            raise SettingsError(CRLS_VERPLICHT)
        return
    controle = intrekkingscontrole(rt)
    assert controle is not None
    problemen = controle.ververs()
    if problemen:
        raise SettingsError("KNOOPPUNT_CRLS: " + "; ".join(problemen))
    for anker in controle.zonder_crl():
        log.warning(
            "geen CRL in KNOOPPUNT_CRLS voor vertrouwensanker; certificaten van die CA worden geweigerd "
            "(fail closed)",
            vertrouwensanker=anker.subject.rfc4514_string(),
        )


@contextmanager
def _client_ca_bundel(ankers: Vertrouwensankers) -> Iterator[Path]:
    """The trust anchors as one PEM file for the TLS layer (uvicorn takes a file name), so that
    the handshake accepts exactly the CAs the app accepts."""
    fd, naam = tempfile.mkstemp(prefix="knooppunt-client-ca-", suffix=".pem")
    pad = Path(naam)
    try:
        with os.fdopen(fd, "wb") as bestand:
            for cert in ankers.certificaten:
                bestand.write(cert.public_bytes(serialization.Encoding.PEM))
        yield pad
    finally:
        pad.unlink(missing_ok=True)


def _bind_tcp(host: str, poort: int, *, opties: str = "--host/--port") -> socket.socket:
    familie = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(familie, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted sockets inherit TCP_NODELAY; without it every response written in two pieces waits
    # for the client's delayed ACK (~40 ms on Linux). asyncio only sets it when proto is TCP.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, poort))
    except OSError as exc:
        sock.close()
        raise SettingsError(
            f"kan niet luisteren op {host}:{poort} ({exc.strerror}); kies een andere {opties} of stop "
            "het proces dat die gebruikt"
        ) from exc
    sock.set_inheritable(True)
    return sock


def _bind_uds(pad: Path) -> socket.socket:
    if pad.is_symlink() or pad.exists():
        if not stat.S_ISSOCK(pad.lstat().st_mode):
            raise SettingsError(f"--uds {pad} bestaat al en is geen socket; kies een ander pad")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as proef:
            try:
                proef.connect(str(pad))
            except OSError:
                pad.unlink()  # left behind by a hub that stopped
            else:
                raise SettingsError(
                    f"--uds {pad}: een ander proces luistert erop; stop dat of kies een ander pad"
                )
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Created with mode 0660 straight away (umask), not world-accessible for even a moment. Start-
    # up is single-threaded here, so changing the process umask briefly is safe.
    vorige = os.umask(0o777 & ~UDS_MODUS)
    try:
        sock.bind(str(pad))
    except OSError as exc:
        sock.close()
        raise SettingsError(f"--uds {pad}: kan de socket niet maken ({exc.strerror})") from exc
    finally:
        os.umask(vorige)
    os.chmod(pad, UDS_MODUS)
    sock.set_inheritable(True)
    return sock


KEEP_ALIVE_SECONDEN = 75
"""How long the hub keeps an idle HTTP connection open: longer than its clients keep theirs (nginx's
upstream keepalive_timeout 60 s, httpx's and the SDK's 5 s), so that it is always the client that
closes an idle connection. With uvicorn's 5 s the two sides closed at the same moment now and then:
a request sent on a connection the hub was closing got "Server disconnected without sending a
response" (seen in CI), behind nginx a 502 for a POST."""


def _uvicorn_config(app: Any, opties: ServeOpties, client_ca: Path | None, **extra: Any) -> uvicorn.Config:
    # proxy_headers=False: uvicorn would otherwise take the client address from X-Forwarded-For,
    # and the proxy check (api.auth) must see the real peer address (DESIGN §5).
    algemeen: dict[str, Any] = {
        "log_config": None,
        "access_log": False,
        "proxy_headers": False,
        "server_header": False,
        "timeout_keep_alive": KEEP_ALIVE_SECONDEN,
        "workers": opties.workers,
        **extra,
    }
    if client_ca is None:
        # Behind a proxy: still the hub's bounds on a request's head (api.tls), for a listener on
        # an address that others than the proxy can reach too.
        return uvicorn.Config(app, http=begrensd_protocol(), **algemeen)
    tls_cert, tls_key = opties.tls_cert, opties.tls_key
    assert tls_cert is not None and tls_key is not None
    # CERT_OPTIONAL: a request without a certificate still reaches the app, which answers with a
    # clear 401 problem+json instead of a bare handshake failure.
    return uvicorn.Config(
        app,
        ssl_certfile=str(tls_cert),
        ssl_keyfile=str(tls_key),
        ssl_ca_certs=str(client_ca),
        ssl_cert_reqs=ssl.CERT_OPTIONAL,
        ssl_ciphers=TLS12_SUITES,
        http=tls_protocol(),
        **algemeen,
    )


def _ops_server(
    rt: runtime_mod.Runtime, opties: ServeOpties, *, multiproces_map: Path | None = None
) -> uvicorn.Server | None:
    if opties.ops_port is None:
        return None
    return uvicorn.Server(
        uvicorn.Config(
            create_ops_app(rt, multiproces_map=multiproces_map),
            host=opties.ops_host,
            port=opties.ops_port,
            log_config=None,
            access_log=False,
            server_header=False,
            http=begrensd_protocol(),
        )
    )


def start(settings: Settings, opties: ServeOpties, *, ontbreekt: Sequence[str] = ()) -> None:
    """Serve until stopped. ``ontbreekt``: what the settings miss for production (`laad_instellingen`),
    refused here together with what serve itself misses."""
    configureer()
    _controleer_opties(settings, opties)
    _controleer_productie(settings, opties, ontbreekt)
    if settings.portaal_actief:
        # Here, not only in the app: with --workers the app is built in each worker, where a
        # missing master key or OIDC setting would end every worker instead of this command.
        from knooppunt.portaal.app import controleer_instellingen

        controleer_instellingen(settings)
    if not opties.achter_proxy:
        tls_cert, tls_key = _tls_bestanden(settings, opties)
        opties = replace(opties, tls_cert=tls_cert, tls_key=tls_key)
    extra = [opties.client_ca] if opties.client_ca else []
    rt = runtime_mod.bouw(settings, extra_ankers=extra)
    try:
        if rt.ankers is None:
            raise SettingsError(
                "geen vertrouwensankers: zet KNOOPPUNT_TRUST_ANCHORS op de CA's die de certificaten van "
                "deelnemers uitgeven"
            )
        _controleer_intrekking(settings, rt)
        if opties.jobs:
            rt.ondertekenaar()  # the audit sequencer signs checkpoints: refuse to start without its key
        with ExitStack() as stapel:
            client_ca = None if opties.achter_proxy else stapel.enter_context(_client_ca_bundel(rt.ankers))
            if opties.uds is not None:
                sock = _bind_uds(opties.uds)
                stapel.callback(opties.uds.unlink, missing_ok=True)
                waar = f"unix:{opties.uds} (proxy mode)"
            else:
                sock = _bind_tcp(opties.host, opties.port)
                waar = (
                    f"https://{opties.host}:{opties.port}/api/v1 (mutual TLS)"
                    if client_ca
                    else f"http://{opties.host}:{opties.port}/api/v1 (behind TLS proxy "
                    f"{', '.join(settings.trusted_proxies)})"
                )
            stapel.callback(sock.close)
            # The operator listener's socket too, before anything starts: a port in use is one
            # clear line, not a traceback from inside the running servers.
            ops_sock = (
                _bind_tcp(opties.ops_host, opties.ops_port, opties="--ops-host/--ops-port")
                if opties.ops_port is not None
                else None
            )
            if ops_sock is not None:
                ops_sock.set_inheritable(False)
                stapel.callback(ops_sock.close)
            # The banner is for the person at the terminal, on stdout; stderr carries only JSON log
            # lines (DESIGN §8), where the same facts are one event.
            database = rt.engine.url.render_as_string()
            click.echo(
                f"Knooppunt ({settings.env.value}) op {waar}; database {database}"
                + (f"; {opties.workers} workers" if opties.workers > 1 else "")
            )
            portaal = None
            if settings.portaal_actief and client_ca:
                host = "localhost" if opties.host in ("127.0.0.1", "::1") else opties.host
                portaal = f"https://{host}:{opties.port}/portaal/"
                click.echo(f"Webportaal op {portaal}")
            beheerpoort = None
            if ops_sock is not None:
                beheerhost = f"[{opties.ops_host}]" if ":" in opties.ops_host else opties.ops_host
                beheerpoort = f"http://{beheerhost}:{opties.ops_port}"
                click.echo(f"Beheerpoort op {beheerpoort} (/health/live, /health/ready, /metrics)")
            if settings.is_development:
                click.echo("Ontwikkelmodus: niet voor productie (zet daar KNOOPPUNT_ENV=production).")
            log.info(
                "knooppunt gestart",
                omgeving=settings.env.value,
                adres=waar,
                database=database,
                workers=opties.workers,
                portaal=portaal,
                beheerpoort=beheerpoort,
            )
            planner = IngebouwdePlanner(rt, opties.job_interval) if opties.jobs else None
            if planner:
                planner.start()
                stapel.callback(planner.stop)
            if opties.workers == 1:
                from knooppunt.app import create_app

                config = _uvicorn_config(create_app(rt), opties, client_ca)
                runtime_mod.stel_gc_in_voor_server()
                _draai(_serve_all(uvicorn.Server(config), sock, _ops_server(rt, opties), ops_sock))
            else:
                _serve_workers(
                    settings,
                    opties,
                    rt,
                    sock=sock,
                    ops_sock=ops_sock,
                    client_ca=client_ca,
                    extra_ankers=extra,
                )
    finally:
        rt.close()


def _draai(hoofdtaak: Coroutine[Any, Any, None]) -> None:
    """Run the servers on uvloop when it is installed (uvicorn's own default, and markedly less CPU
    per request than the standard event loop), else on asyncio's."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency, but optional for uvicorn
        asyncio.run(hoofdtaak)
        return
    uvloop.run(hoofdtaak)


async def _serve_all(
    server: uvicorn.Server, sock: socket.socket, ops: uvicorn.Server | None, ops_sock: socket.socket | None
) -> None:
    await asyncio.gather(
        server.serve(sockets=[sock]), *([ops.serve(sockets=[ops_sock] if ops_sock else None)] if ops else [])
    )


def _serve_workers(
    settings: Settings,
    opties: ServeOpties,
    rt: runtime_mod.Runtime,
    *,
    sock: socket.socket,
    ops_sock: socket.socket | None,
    client_ca: Path | None,
    extra_ankers: list[Path],
) -> None:
    """N worker processes on one socket, supervised by uvicorn; each builds its app with a
    `Fabriek` that carries the checked settings (spawned processes share no memory).

    The settings, secrets included, reach a worker inside the pickled uvicorn config, which
    multiprocessing writes to the pipe it starts the worker with: never in an environment variable
    or a file. The workers' environment holds no ``KNOOPPUNT_*`` variable at all, so no secret the
    operator set there (SMTP password, OIDC client secret, master keys, a database password) can be
    read from a worker's /proc/<pid>/environ or reaches the processes a worker starts."""
    from knooppunt.cli.fabriek import Fabriek

    fabriek = Fabriek.van(settings, extra_ankers)
    config = _uvicorn_config(fabriek, opties, client_ca, factory=True)
    # The workers count HTTP requests in files here (prometheus_client multiprocess mode), which
    # /metrics of the operator listener in this process adds up.
    with tempfile.TemporaryDirectory(prefix="knooppunt-metrics-") as metrics_map, _zonder_instellingen():
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_map
        ops = _ops_server(rt, opties, multiproces_map=Path(metrics_map))
        draad = (
            threading.Thread(
                target=ops.run,
                kwargs={"sockets": [ops_sock] if ops_sock else None},
                name="knooppunt-ops",
                daemon=True,
            )
            if ops
            else None
        )
        if draad:
            draad.start()
        try:
            Multiprocess(config, sockets=[sock]).run()
        finally:
            if ops and draad:
                ops.should_exit = True
                draad.join(10)


@contextmanager
def _zonder_instellingen() -> Iterator[None]:
    """Without the ``KNOOPPUNT_*`` variables in this process's environment while it starts (and
    restarts) workers, which inherit it; put back afterwards. This process has read them already."""
    weg = {naam: waarde for naam, waarde in os.environ.items() if naam.upper().startswith("KNOOPPUNT_")}
    for naam in weg:
        del os.environ[naam]
    try:
        yield
    finally:
        os.environ.update(weg)
