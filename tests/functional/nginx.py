"""The production topology as real processes (DESIGN §8): Debian's nginx terminating mutual TLS in
front of `knooppunt serve --uds` nodes on one database. Used by tests/functional/test_topologie.py
and bench/topologie.py.

nginx runs as a child process with its own configuration, pid file, logs and temp directories in
a directory of the caller (`-g 'daemon off;'`), never as the system service.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# What `knooppunt serve` reads the forwarded certificate from (KNOOPPUNT_CLIENT_CERT_HEADER's default).
HEADER = "X-SSL-Client-Cert"


def nginx_pad() -> str | None:
    """Debian installs nginx in /usr/sbin, which is not on every user's PATH."""
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )


def korte_map(prefix: str = "kp-") -> Path:
    """A directory with a short path: a Unix socket path is at most 107 bytes, and pytest's
    tmp_path can be longer than that."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def nginx_config(map_: Path, *, poort: int, sockets: Sequence[Path], pki_dir: Path, access_log: bool) -> str:
    """nginx.conf for the topology: mutual TLS on 127.0.0.1:poort, an upstream of the nodes'
    Unix sockets. A node that cannot be reached (connect refused: it died) is skipped and the
    request goes to the next one (`proxy_next_upstream error timeout`); a POST that already
    reached a node that then died is not replayed by nginx (the default: no `non_idempotent`) but
    answered 502, and the client retries it with the same referentienummer and body (DESIGN §4)."""
    upstream = "\n".join(f"        server unix:{pad} max_fails=1 fail_timeout=2s;" for pad in sockets)
    # As root, nginx's workers switch to `nobody`, who may not open the 0660 sockets of nodes
    # started by root; in production the nginx user is put in the socket's group instead.
    gebruiker = "user root;" if os.geteuid() == 0 else ""
    return f"""\
{gebruiker}
worker_processes 1;
pid {map_}/nginx.pid;
error_log {map_}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {f"{map_}/access.log" if access_log else "off"};
    client_body_temp_path {map_}/body;
    proxy_temp_path {map_}/proxy;
    fastcgi_temp_path {map_}/fastcgi;
    uwsgi_temp_path {map_}/uwsgi;
    scgi_temp_path {map_}/scgi;
    # Above the hub's own request limit (KNOOPPUNT_MAX_REQUEST_BYTES, 5 MiB), which answers 413
    # problem+json itself; nginx's default of 1 MiB would refuse a message with a 1 MiB PDF.
    client_max_body_size 6m;
    upstream knooppunt {{
{upstream}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{poort} ssl;
        ssl_certificate         {pki_dir}/server.pem;
        ssl_certificate_key     {pki_dir}/server-key.pem;
        ssl_client_certificate  {pki_dir}/ca.pem;
        ssl_verify_client       on;
        ssl_protocols           TLSv1.2 TLSv1.3;
        ssl_ciphers             ECDHE+AESGCM:ECDHE+CHACHA20;
        location / {{
            proxy_pass http://knooppunt;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            # Replace (never append to) whatever the client sent in this header.
            proxy_set_header {HEADER} $ssl_client_escaped_cert;
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


def _lees_log(proces: subprocess.Popen[bytes], log: list[str]) -> None:
    if proces.stdout is None:
        return
    for regel in iter(proces.stdout.readline, b""):
        log.append(regel.decode(errors="replace"))


def _wacht(
    klaar: Callable[[], bool], proces: subprocess.Popen[bytes], log: list[str], wat: str, timeout: float
) -> None:
    einde = time.monotonic() + timeout
    laatste = ""
    while time.monotonic() < einde:
        if proces.poll() is not None:
            time.sleep(0.2)
            raise RuntimeError(f"{wat} stopte met code {proces.returncode}:\n{''.join(log[-40:])}")
        try:
            if klaar():
                return
        except (OSError, httpx.TransportError) as exc:
            laatste = f"{type(exc).__name__}: {exc}"
        time.sleep(0.1)
    raise TimeoutError(f"{wat} antwoordt na {timeout}s nog niet ({laatste}):\n{''.join(log[-40:])}")


@dataclass
class Node:
    """One `knooppunt serve --uds` process; `log` its stdout and stderr lines (drained)."""

    naam: str
    uds: Path
    proces: subprocess.Popen[bytes]
    log: list[str] = field(default_factory=list)
    klaar_na: float = 0.0

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proces.poll() is None:
            self.proces.send_signal(sig)
            try:
                self.proces.wait(15)
            except subprocess.TimeoutExpired:
                self.proces.kill()
                self.proces.wait(5)


@contextmanager
def start_node(
    naam: str,
    uds: Path,
    *,
    database_url: str,
    data_dir: Path,
    pki_dir: Path,
    extra_args: Sequence[str] = (),
    stdout: int | None = None,
) -> Iterator[Node]:
    """`knooppunt serve --uds PATH` (proxy mode), ready once it answers an HTTP request on the
    socket (401: nothing forwarded). Nodes share the database and the data directory (day keys)."""
    omgeving = {
        **os.environ,
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": database_url,
        "KNOOPPUNT_DATA_DIR": str(data_dir),
        "KNOOPPUNT_TRUST_ANCHORS": str(pki_dir / "ca.pem"),
    }
    begin = time.monotonic()
    proces = subprocess.Popen(
        [sys.executable, "-m", "knooppunt.cli.main", "serve", "--uds", str(uds), *extra_args],
        env=omgeving,
        stdout=subprocess.PIPE if stdout is None else stdout,
        stderr=subprocess.STDOUT,
    )
    node = Node(naam=naam, uds=uds, proces=proces)
    try:
        if proces.stdout is not None:
            threading.Thread(target=_lees_log, args=(proces, node.log), daemon=True).start()

        def antwoordt() -> bool:
            with httpx.Client(transport=httpx.HTTPTransport(uds=str(uds)), timeout=5.0) as c:
                return c.get("http://node/api/v1/berichttypen").status_code == 401

        _wacht(antwoordt, proces, node.log, f"knooppunt serve --uds {uds}", 60.0)
        node.klaar_na = time.monotonic() - begin
        yield node
    finally:
        node.stop()


@dataclass
class Nginx:
    url: str
    poort: int
    map: Path
    proces: subprocess.Popen[bytes]
    log: list[str] = field(default_factory=list)

    def foutlog(self) -> str:
        pad = self.map / "error.log"
        return pad.read_text(errors="replace") if pad.exists() else ""

    def stop(self) -> None:
        if self.proces.poll() is None:
            self.proces.send_signal(signal.SIGQUIT)  # graceful: finish the requests in flight
            try:
                self.proces.wait(15)
            except subprocess.TimeoutExpired:
                self.proces.kill()
                self.proces.wait(5)


def vrije_poort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def start_nginx(
    map_: Path, *, sockets: Sequence[Path], pki_dir: Path, access_log: bool = True
) -> Iterator[Nginx]:
    """nginx in the foreground with its configuration, pid file, logs and temp paths in map_."""
    pad = nginx_pad()
    if pad is None:
        raise FileNotFoundError("nginx is not installed (apt-get install nginx-light)")
    map_.mkdir(parents=True, exist_ok=True)
    poort = vrije_poort()
    conf = map_ / "nginx.conf"
    conf.write_text(nginx_config(map_, poort=poort, sockets=sockets, pki_dir=pki_dir, access_log=access_log))
    opdracht = [pad, "-p", str(map_), "-c", str(conf), "-e", str(map_ / "error.log"), "-g", "daemon off;"]
    test = subprocess.run([*opdracht, "-t"], capture_output=True, text=True, check=False)
    if test.returncode != 0:
        raise RuntimeError(f"nginx -t: {test.stderr}")
    proces = subprocess.Popen(opdracht, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    nginx = Nginx(url=f"https://localhost:{poort}", poort=poort, map=map_, proces=proces)
    try:
        threading.Thread(target=_lees_log, args=(proces, nginx.log), daemon=True).start()

        def luistert() -> bool:
            with socket.create_connection(("127.0.0.1", poort), timeout=0.5):
                return True

        _wacht(luistert, proces, nginx.log, "nginx", 30.0)
        yield nginx
    finally:
        nginx.stop()
