"""The bench environment: machine facts, a development PKI with participants, a fresh database,
a real `knooppunt serve` process with mutual TLS, and CPU meters.

Everything stays on 127.0.0.1. PostgreSQL databases are created fresh (``knooppunt_bench_<random>``)
and dropped afterwards; no other database is touched.
"""

from __future__ import annotations

import os
import platform
import re
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from knooppunt import runtime as runtime_mod
from knooppunt.client import jose
from knooppunt.config import Settings
from knooppunt.hub import adresboek
from knooppunt.pki import ontwikkel_ca
from knooppunt.pki.certificaat import lees_pem
from knooppunt.store.db import db_nu, transactie

REPO = Path(__file__).resolve().parent.parent
PG_STANDAARD = "postgresql://postgres@127.0.0.1:5432/test"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --- machine -----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = "onbekend"
    with open("/proc/cpuinfo") as f:
        for regel in f:
            if regel.startswith("model name"):
                cpu = regel.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for regel in f:
            if regel.startswith("MemTotal"):
                mem_kb = int(regel.split()[1])
                break
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "geheugen_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
        "sqlite": __import__("sqlite3").sqlite_version,
    }


def pg_versie(url: str) -> str:
    engine = create_engine(psycopg_url(url))
    try:
        with engine.connect() as conn:
            return str(conn.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


# --- participants ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Partij:
    oin: str
    naam: str
    rol: str
    kvk: str
    cert_pad: Path
    key_pad: Path
    schuldensoorten: tuple[str, ...] = ()

    @property
    def pem(self) -> str:
        return self.cert_pad.read_text()


@dataclass
class Pki:
    map: Path
    shv: list[Partij]
    se: list[Partij]

    @property
    def ca(self) -> Path:
        return self.map / "ca.pem"

    @property
    def alle(self) -> list[Partij]:
        return self.shv + self.se


def maak_pki(map_: Path, *, aantal_shv: int = 2, aantal_se: int = 4) -> Pki:
    """A development CA, debt counsellors (senders) and creditors (recipients), keys EC and RSA mixed."""
    ontwikkel_ca.init(map_)
    shv, se = [], []
    for i in range(aantal_shv):
        kvk = f"{71000000 + i:08d}"
        oin = f"00000003{kvk}0000"
        uit = ontwikkel_ca.issue(map_, oin=oin, naam=f"Bench SHV {i}", key_type="ec" if i % 2 == 0 else "rsa")
        shv.append(Partij(oin, f"Bench SHV {i}", "SHV", kvk, uit.certificaat, uit.sleutel))
    for i in range(aantal_se):
        kvk = f"{72000000 + i:08d}"
        oin = f"00000003{kvk}0000"
        uit = ontwikkel_ca.issue(map_, oin=oin, naam=f"Bench SE {i}", key_type="rsa" if i % 2 == 0 else "ec")
        se.append(Partij(oin, f"Bench SE {i}", "SE", kvk, uit.certificaat, uit.sleutel, ("overig",)))
    return Pki(map_, shv, se)


def settings_voor(database_url: str, data_dir: Path, pki: Pki) -> Settings:
    return Settings(
        env="development",  # type: ignore[arg-type]
        data_dir=data_dir,
        database_url=database_url,
        trust_anchors=[pki.ca],
    )


def migreer_en_registreer(database_url: str, data_dir: Path, pki: Pki) -> None:
    """Create the schema (alembic, as `knooppunt serve` does) and register every participant."""
    rt = runtime_mod.bouw(settings_voor(database_url, data_dir, pki), upgrade=True)
    try:
        for partij in pki.alle:
            with transactie(rt.sessions) as session:
                adresboek.registreer(
                    session,
                    adresboek.NieuweDeelnemer(
                        oin=partij.oin,
                        naam=partij.naam,
                        rol=partij.rol,
                        kvk_nummer=partij.kvk,
                        modules=["schuldregeling"],
                        certificaten=[lees_pem(partij.cert_pad.read_bytes())],
                        schuldensoorten=list(partij.schuldensoorten),
                    ),
                    nu=db_nu(session),
                    ankers=rt.ankers,
                    door="beheer:bench",
                )
    finally:
        rt.close()


def verzegel_inhoud(afzender: Partij, ontvanger: Partij, *, doel_bytes: int = 2048) -> str:
    """One real sign-then-encrypt JWE for this pair, padded so that it is about `doel_bytes` long.
    The hub checks only the protected header, so this ciphertext is reused for many messages."""
    metadata = {
        "referentienummer": str(uuid.uuid4()),
        "conversatieReferentienummer": str(uuid.uuid4()),
        "crossReferentienummer": None,
        "module": "schuldregeling",
        "berichttype": "saldoverzoek",
        "versie": "1.0",
        "afzender": afzender.oin,
        "ontvanger": ontvanger.oin,
    }
    sleutel = jose.prive_sleutel(afzender.key_pad.read_bytes())
    from cryptography import x509

    a_cert = x509.load_pem_x509_certificate(afzender.cert_pad.read_bytes())
    o_cert = x509.load_pem_x509_certificate(ontvanger.cert_pad.read_bytes())

    def zegel(opvulling: int) -> str:
        return jose.verzegel(
            {"klant": "bench", "opvulling": "x" * opvulling},
            metadata=metadata,
            iat=int(time.time()),
            afzender_sleutel=sleutel,
            afzender_certificaat=a_cert,
            ontvanger_certificaat=o_cert,
        )

    leeg = len(zegel(0))
    # Base64url of the JWS of the payload: every padding byte costs about 16/9 characters.
    opvulling = max(0, int((doel_bytes - leeg) * 9 / 16))
    jwe = zegel(opvulling)
    while len(jwe) > doel_bytes and opvulling > 0:
        opvulling -= 8
        jwe = zegel(opvulling)
    return jwe


# --- databases ---------------------------------------------------------------------------------


def psycopg_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


@dataclass
class Database:
    soort: str  # sqlite | postgresql
    url: str  # as given to KNOOPPUNT_DATABASE_URL
    naam: str

    @property
    def dsn(self) -> str:
        """For the plain driver (psycopg.connect) or the SQLite file path."""
        if self.soort == "sqlite":
            return self.url.removeprefix("sqlite:///")
        return self.url


@contextmanager
def verse_database(soort: str, werkmap: Path, pg_url: str, label: str) -> Iterator[Database]:
    """A fresh, empty database of its own; dropped (PostgreSQL) or left in `werkmap` (SQLite)."""
    if soort == "sqlite":
        pad = werkmap / f"{label}.sqlite3"
        yield Database("sqlite", f"sqlite:///{pad}", pad.name)
        return
    naam = f"knooppunt_bench_{uuid.uuid4().hex[:10]}_{label}"
    beheer = create_engine(psycopg_url(pg_url), isolation_level="AUTOCOMMIT")
    with beheer.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{naam}"'))
    url = make_url(pg_url).set(database=naam).render_as_string(hide_password=False)
    try:
        yield Database("postgresql", url, naam)
    finally:
        with beheer.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{naam}" WITH (FORCE)'))
        beheer.dispose()


# --- the server --------------------------------------------------------------------------------


def vrije_poort() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def code_versie() -> str:
    """The commit of the code under test, '+dirty' when src/ has uncommitted changes (the editable
    install means a server process runs whatever src/ holds when it starts)."""
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        vuil = subprocess.run(
            ["git", "status", "--porcelain", "--", "src"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "onbekend"
    return rev + ("+dirty" if vuil else "")


def serve_kent_workers() -> bool:
    uit = subprocess.run(
        [sys.executable, "-m", "knooppunt.cli.main", "serve", "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    return "--workers" in uit.stdout


@dataclass
class Hub:
    url: str
    proces: subprocess.Popen[bytes]
    log: Path
    pki: Pki
    workers: int
    versie: str = ""
    clients: list[httpx.Client] = field(default_factory=list)

    def ssl_context(self, partij: Partij) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.pki.ca))
        ctx.load_cert_chain(str(partij.cert_pad), str(partij.key_pad))
        return ctx

    def client(self, partij: Partij, **kwargs: Any) -> httpx.Client:
        """A keep-alive mTLS client for one participant."""
        client = httpx.Client(
            base_url=f"{self.url}/api/v1",
            verify=self.ssl_context(partij),
            timeout=60.0,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            **kwargs,
        )
        self.clients.append(client)
        return client

    def pids(self) -> list[int]:
        """The server process and all its descendants (uvicorn workers)."""
        return [self.proces.pid, *nakomelingen(self.proces.pid)]

    def sluit_clients(self) -> None:
        for client in self.clients:
            client.close()
        self.clients.clear()


@contextmanager
def start_hub(
    db: Database,
    data_dir: Path,
    pki: Pki,
    *,
    workers: int = 1,
    variant: str = "standaard",
    extra_env: dict[str, str] | None = None,
) -> Iterator[Hub]:
    """`knooppunt serve` as a real process with the development PKI's server certificate and CA.
    variant "nodelay": the same CLI through bench/serve_nodelay.py (TCP_NODELAY on the listener);
    "yappi": through bench/serve_yappi.py (CPU profile of all threads, written when it stops)."""
    poort = vrije_poort()
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"serve-{poort}.log"
    omgeving = {
        **os.environ,
        "KNOOPPUNT_ENV": "development",
        "KNOOPPUNT_DATABASE_URL": db.url,
        "KNOOPPUNT_DATA_DIR": str(data_dir),
        "KNOOPPUNT_TRUST_ANCHORS": str(pki.ca),
        **(extra_env or {}),
    }
    extra = ["--workers", str(workers)] if workers != 1 else []
    with open(log, "wb") as uit:
        proces = subprocess.Popen(
            [
                *(
                    [sys.executable, str(Path(__file__).with_name(f"serve_{variant}.py"))]
                    if variant in ("nodelay", "yappi")
                    else [sys.executable, "-m", "knooppunt.cli.main"]
                ),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(poort),
                "--tls-cert",
                str(pki.map / "server.pem"),
                "--tls-key",
                str(pki.map / "server-key.pem"),
                "--client-ca",
                str(pki.ca),
                *extra,
            ],
            env=omgeving,
            stdout=uit,
            stderr=subprocess.STDOUT,
        )
    hub = Hub(
        url=f"https://localhost:{poort}",
        proces=proces,
        log=log,
        pki=pki,
        workers=workers,
        versie=code_versie(),
    )
    try:
        _wacht_tot_klaar(hub, pki.shv[0])
        yield hub
    finally:
        hub.sluit_clients()
        if proces.poll() is None:
            proces.terminate()
            try:
                proces.wait(20)
            except subprocess.TimeoutExpired:
                proces.kill()
                proces.wait(5)


def _wacht_tot_klaar(hub: Hub, partij: Partij, timeout: float = 60.0) -> None:
    einde = time.monotonic() + timeout
    with httpx.Client(base_url=f"{hub.url}/api/v1", verify=hub.ssl_context(partij), timeout=5) as client:
        while time.monotonic() < einde:
            if hub.proces.poll() is not None:
                raise RuntimeError(
                    f"knooppunt serve stopte met code {hub.proces.returncode}:\n{hub.log.read_text()}"
                )
            try:
                if client.get("/berichttypen").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
    raise TimeoutError(f"knooppunt serve antwoordt na {timeout}s nog niet:\n{hub.log.read_text()[-2000:]}")


# --- CPU meters --------------------------------------------------------------------------------


def nakomelingen(pid: int) -> list[int]:
    ouders: dict[int, list[int]] = {}
    for naam in os.listdir("/proc"):
        if not naam.isdigit():
            continue
        try:
            with open(f"/proc/{naam}/stat") as f:
                velden = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ouders.setdefault(int(velden[1]), []).append(int(naam))
    uit, rij = [], [pid]
    while rij:
        kinderen = ouders.get(rij.pop(), [])
        uit.extend(kinderen)
        rij.extend(kinderen)
    return uit


def cpu_seconden(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            velden = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(velden[11]) + int(velden[12])) / CLK_TCK


def postgres_pids() -> list[int]:
    uit = []
    for naam in os.listdir("/proc"):
        if naam.isdigit():
            try:
                with open(f"/proc/{naam}/comm") as f:
                    if f.read().strip() == "postgres":
                        uit.append(int(naam))
            except OSError:
                continue
    return uit


def _machine_ticks() -> tuple[int, int]:
    with open("/proc/stat") as f:
        velden = [int(v) for v in f.readline().split()[1:]]
    idle = velden[3] + velden[4]
    return sum(velden) - idle, sum(velden)


class CpuMeter:
    """CPU seconds of the server (all its processes), this client process and PostgreSQL, and the
    whole machine's busy share, between start() and stop()."""

    def __init__(self, server_pids: list[int]) -> None:
        self.server_pids = server_pids

    def _stand(self) -> dict[str, Any]:
        return {
            "server": {p: cpu_seconden(p) for p in self.server_pids},
            "pg": {p: cpu_seconden(p) for p in postgres_pids()},
            "client": time.process_time(),
            "machine": _machine_ticks(),
            "wand": time.perf_counter(),
        }

    def start(self) -> None:
        self.begin = self._stand()

    def stop(self) -> dict[str, float]:
        eind = self._stand()
        wand = eind["wand"] - self.begin["wand"]

        def delta(soort: str) -> float:
            return sum(v - self.begin[soort].get(p, 0.0) for p, v in eind[soort].items())

        bezig = eind["machine"][0] - self.begin["machine"][0]
        totaal = eind["machine"][1] - self.begin["machine"][1]
        bezig_s = bezig / CLK_TCK
        return {
            "wand_s": round(wand, 2),
            "server_cpu_s": round(delta("server"), 2),
            "client_cpu_s": round(eind["client"] - self.begin["client"], 2),
            "postgres_cpu_s": round(delta("pg"), 2),
            "machine_bezet_pct": round(100.0 * bezig / totaal, 1) if totaal else 0.0,
            # CPU of everything else on the machine (other people's test runs): noise in the figures.
            "overig_cpu_s": round(
                max(0.0, bezig_s - delta("server") - (eind["client"] - self.begin["client"]) - delta("pg")), 2
            ),
        }


def wacht_op_rust(max_seconden: float = 60.0, drempel_pct: float = 12.0) -> float:
    """Wait (bounded) until the machine is nearly idle, so other processes do not skew a run.
    Returns the busy percentage seen last."""
    einde = time.monotonic() + max_seconden
    while True:
        a = _machine_ticks()
        time.sleep(1.0)
        b = _machine_ticks()
        pct = 100.0 * (b[0] - a[0]) / max(1, b[1] - a[1])
        if pct <= drempel_pct or time.monotonic() >= einde:
            return round(pct, 1)


def leesbaar(naam: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", naam.lower())
