"""Run `knooppunt serve` as a real process on a free port, and mTLS clients for it."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.factories import Partij


def vrije_poort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wacht_op_poort(poort: int, proces: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    einde = time.monotonic() + timeout
    while time.monotonic() < einde:
        if proces.poll() is not None:
            uitvoer = proces.stdout.read().decode() if proces.stdout else ""
            raise RuntimeError(f"knooppunt serve stopte met code {proces.returncode}:\n{uitvoer}")
        try:
            with socket.create_connection(("127.0.0.1", poort), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"knooppunt serve luistert na {timeout}s nog niet op {poort}")


def wacht_op_antwoord(
    url: str, ca: Path, proces: subprocess.Popen[bytes], log: list[str], timeout: float = 60.0
) -> float:
    """Wait until the hub completes a TLS handshake and answers an HTTP request (any status: no
    client certificate is sent). A listening port alone is not enough: the kernel accepts
    connections before the server reads them. Returns the seconds it took."""
    begin = time.monotonic()
    einde = begin + timeout
    ctx = ssl.create_default_context(cafile=str(ca))
    laatste = ""
    while time.monotonic() < einde:
        if proces.poll() is not None:
            raise RuntimeError(f"knooppunt serve stopte met code {proces.returncode}:\n{''.join(log)}")
        try:
            httpx.get(f"{url}/", verify=ctx, timeout=httpx.Timeout(5.0, connect=2.0))
            return time.monotonic() - begin
        except httpx.TransportError as exc:
            if "alert" in str(exc).lower():  # the server answered the handshake: it wants a certificate
                return time.monotonic() - begin
            laatste = f"{type(exc).__name__}: {exc}"
            time.sleep(0.1)
    raise TimeoutError(
        f"knooppunt serve op {url} beantwoordt na {timeout}s nog geen verzoek ({laatste}):\n"
        + "".join(log[-40:])
    )


def _lees_log(proces: subprocess.Popen[bytes], log: list[str]) -> None:
    if proces.stdout is None:
        return
    for regel in iter(proces.stdout.readline, b""):
        log.append(regel.decode(errors="replace"))


@dataclass
class Hub:
    url: str
    poort: int
    proces: subprocess.Popen[bytes]
    ca: Path
    log: list[str] = field(default_factory=list)
    klaar_na: float = 0.0  # seconds from listening to answering the first request

    def client(self, partij: Partij | None, **kwargs: object) -> httpx.Client:
        return mtls_client(self.url, self.ca, partij, **kwargs)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proces.poll() is None:
            self.proces.send_signal(sig)
            try:
                self.proces.wait(15)
            except subprocess.TimeoutExpired:
                self.proces.kill()
                self.proces.wait(5)


def ssl_context(ca: Path, partij: Partij | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca))
    if partij is not None:
        ctx.load_cert_chain(str(partij.cert_pad), str(partij.key_pad))
    return ctx


def mtls_client(url: str, ca: Path, partij: Partij | None, **kwargs: object) -> httpx.Client:
    return httpx.Client(base_url=f"{url}/api/v1", verify=ssl_context(ca, partij), **kwargs)  # type: ignore[arg-type]


@contextmanager
def start_hub(
    *,
    database_url: str,
    data_dir: Path,
    pki_dir: Path,
    extra_args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    poort: int | None = None,
) -> Iterator[Hub]:
    """`knooppunt serve` with the development PKI's server certificate and CA."""
    poort = poort or vrije_poort()
    omgeving = {
        **os.environ,
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": database_url,
        "KNOOPPUNT_DATA_DIR": str(data_dir),
        "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
        **(env or {}),
    }
    proces = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "knooppunt.cli.main",
            "serve",
            "--port",
            str(poort),
            "--tls-cert",
            str(pki_dir / "server.pem"),
            "--tls-key",
            str(pki_dir / "server-key.pem"),
            "--client-ca",
            str(pki_dir / "ca.pem"),
            *extra_args,
        ],
        env=omgeving,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    hub = Hub(url=f"https://localhost:{poort}", poort=poort, proces=proces, ca=pki_dir / "ca.pem")
    try:
        wacht_op_poort(poort, proces)
        # Keep reading the server's log, or it blocks once the pipe buffer (~64 KiB) is full.
        threading.Thread(target=_lees_log, args=(proces, hub.log), daemon=True).start()
        hub.klaar_na = wacht_op_antwoord(hub.url, hub.ca, proces, hub.log)
        yield hub
    finally:
        hub.stop()
