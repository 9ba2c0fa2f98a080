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
import threading
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


IJK_OPTELLINGEN = 5_000_000


def ijkmaat() -> float:
    """Milliseconds for a fixed pure-Python loop (5 M additions, best of 3): the speed of this machine
    today. The VMs this runs on differ up to 2.5 times from day to day on the same CPU name, so a
    figure is comparable with another run's only beside this one (lower is faster)."""
    beste = float("inf")
    for _ in range(3):
        begin = time.perf_counter()
        som = 0
        for i in range(IJK_OPTELLINGEN):
            som += i
        beste = min(beste, time.perf_counter() - begin)
    return round(beste * 1000, 1)


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
        "ijkmaat_ms": ijkmaat(),
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
    db: Database | None = None

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

    def wortels(self) -> list[int]:
        """The roots of the server's process trees (CpuMeter counts them with their descendants)."""
        return [self.proces.pid]

    def pg(self) -> tuple[str, str] | None:
        """(dsn, database name) for the PostgreSQL meter, or None on SQLite."""
        if self.db is None or self.db.soort != "postgresql":
            return None
        return self.db.dsn, self.db.naam

    @property
    def adres(self) -> tuple[str, int, str]:
        """(host to connect to, port, TLS server name and Host header) of the hub's URL."""
        rest = self.url.split("://", 1)[1].rstrip("/")
        naam, _, poort = rest.rpartition(":")
        return "127.0.0.1", int(poort), naam

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
    "zonderlus": KNOOPPUNT_API_LUS=false (every submit through the handler threads);
    "prototype": #13's stripped-down hub (bench/serve_prototype.py);
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
        # "zonderlus": every submit through the handler threads, as before decision 0034
        **({"KNOOPPUNT_API_LUS": "false"} if variant == "zonderlus" else {}),
        **(extra_env or {}),
    }
    extra = ["--workers", str(workers)] if workers != 1 else []
    with open(log, "wb") as uit:
        proces = subprocess.Popen(
            [
                *(
                    [sys.executable, str(Path(__file__).with_name(f"serve_{variant}.py"))]
                    if variant in ("nodelay", "yappi", "prototype")
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
        db=db,
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


def _wacht_tot_klaar(hub: Hub, partij: Partij, timeout: float = 180.0) -> None:
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


def _stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (field 3 is index 0)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def cpu_seconden(pid: int) -> float:
    """utime + stime of one process (all its threads), in seconds; 0 when it is gone."""
    velden = _stat(pid)
    if velden is None:
        return 0.0
    return (int(velden[11]) + int(velden[12])) / CLK_TCK


def boom_cpu(wortels: list[int]) -> float:
    """CPU seconds of process trees: for every live process in them utime + stime + cutime + cstime.
    cutime/cstime hold the CPU of children that exited and were reaped, so a worker that dies during
    a run still counts (its CPU moves from its own fields to its parent's). Granularity: one tick
    (1/CLK_TCK s) per process."""
    totaal = 0.0
    gezien: set[int] = set()
    for wortel in wortels:
        for pid in [wortel, *nakomelingen(wortel)]:
            if pid in gezien:
                continue
            gezien.add(pid)
            velden = _stat(pid)
            if velden is not None:
                totaal += sum(int(v) for v in velden[11:15]) / CLK_TCK
    return totaal


def pids_met_naam(naam: str) -> list[int]:
    uit = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/comm") as f:
                    if f.read().strip() == naam:
                        uit.append(int(p))
            except OSError:
                continue
    return uit


def postgres_pids() -> list[int]:
    return pids_met_naam("postgres")


def _machine_ticks() -> tuple[int, int]:
    with open("/proc/stat") as f:
        velden = [int(v) for v in f.readline().split()[1:]]
    idle = velden[3] + velden[4]
    # guest time is already part of user/nice: leave it out of the total
    return sum(velden[:8]) - idle, sum(velden[:8])


def _boot_ticks_nu() -> float:
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) * CLK_TCK


# PostgreSQL's processes that serve every database (their CPU cannot be split per database).
PG_ACHTERGROND = {
    "checkpointer",
    "background writer",
    "walwriter",
    "autovacuum launcher",
    "logical replication launcher",
    "archiver",
}


class PgMeter:
    """CPU of the PostgreSQL backends connected to one database, and only those.

    A sampler thread lists ``pg_stat_activity`` (``datname`` = the bench's database) every
    `interval` seconds and reads each backend's utime + stime from /proc. A backend's CPU counts from
    the start of the run (or from 0 when the process started after it) to the last time it was
    seen. Error: a backend that disconnects during the run (the hub's pool closes its overflow
    connections) loses the CPU it used after its last sample. That loss is bounded and reported as
    ``pg_verlies_max_s``: the smaller of (a) one core for the time between its last sample and the
    one that missed it, and (b) what the postmaster reaped during the run (its cutime + cstime: the
    whole CPU of every backend of any database that exited) minus the CPU last seen of the exited
    backends it had sampled. On a quiet machine (b) is close to the exact loss. Plus one tick
    (10 ms) per backend. The shared processes (checkpointer, walwriter, background writer, …) serve
    all databases: reported apart as ``postgres_achtergrond_cpu_s``, not in the per-message figure.
    The sampler's own backend is excluded; its thread's CPU is subtracted from the load
    generator's and reported as ``pg_meter_cpu_s``."""

    def __init__(self, dsn: str, datname: str, interval: float = 0.2) -> None:
        self.dsn, self.datname, self.interval = dsn, datname, interval
        self.eerst: dict[int, float] = {}
        self.laatst: dict[int, float] = {}
        self.ag_eerst: dict[int, float] = {}
        self.ag_laatst: dict[int, float] = {}
        self.aanwezig: set[int] = set()
        self.gezien_op: dict[int, float] = {}
        self.verdwenen: set[int] = set()
        self.verlies_max = 0.0
        self.alle_laatst: dict[int, float] = {}
        self.alle_aanwezig: set[int] = set()
        self.postmaster: int | None = None
        self.stop_event = threading.Event()
        self.eigen_cpu = 0.0
        self.monsters = 0

    def _monster(self) -> None:
        t = time.thread_time()
        rijen = self.conn.execute(
            "SELECT pid, datname, backend_type FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
        ).fetchall()
        nu = time.perf_counter()
        aanwezig = set()
        alle_aanwezig = set()
        for pid, datname, soort in rijen:
            velden = _stat(pid)
            if velden is None:
                continue
            cpu = (int(velden[11]) + int(velden[12])) / CLK_TCK
            self.alle_laatst[pid] = cpu
            alle_aanwezig.add(pid)
            if self.postmaster is None:
                self.postmaster = int(velden[1])
            if datname == self.datname:
                eerst, laatst = self.eerst, self.laatst
                aanwezig.add(pid)
            elif datname is None and soort in PG_ACHTERGROND:
                eerst, laatst = self.ag_eerst, self.ag_laatst
            else:
                continue
            if pid not in eerst:
                eerst[pid] = 0.0 if int(velden[19]) >= self.start_tick else cpu
            laatst[pid] = cpu
            if datname == self.datname:
                self.gezien_op[pid] = nu
        # Gone since the last sample: its CPU after it was last seen is lost; at most one core's
        # worth of the time in between (an upper bound, reported).
        for pid in set(self.laatst) - aanwezig - self.verdwenen:
            self.verdwenen.add(pid)
            self.verlies_max += nu - self.gezien_op.get(pid, nu)
        self.aanwezig = aanwezig
        self.alle_aanwezig = alle_aanwezig
        self.monsters += 1
        self.eigen_cpu += time.thread_time() - t

    def _lus(self) -> None:
        while not self.stop_event.wait(self.interval):
            try:
                self._monster()
            except Exception:  # a failed sample loses precision, not the run
                continue

    def start(self) -> None:
        import psycopg

        t = time.thread_time()
        self.conn = psycopg.connect(self.dsn, autocommit=True)
        self.start_tick = _boot_ticks_nu()
        self.eigen_cpu += time.thread_time() - t
        self._monster()
        self.alle_bij_start = set(self.alle_aanwezig)
        self.geoogst0 = self._geoogst()
        self.draad = threading.Thread(target=self._lus, daemon=True)
        self.draad.start()

    def _geoogst(self) -> float:
        """cutime + cstime of the postmaster: the CPU of its children that exited."""
        velden = _stat(self.postmaster) if self.postmaster else None
        return (int(velden[13]) + int(velden[14])) / CLK_TCK if velden else 0.0

    def stop(self) -> dict[str, Any]:
        self.stop_event.set()
        self.draad.join(10)
        self._monster()
        t = time.thread_time()
        geoogst = self._geoogst() - self.geoogst0
        weg = set(self.alle_laatst) - self.alle_aanwezig
        grens_b = max(0.0, geoogst - sum(self.alle_laatst[p] for p in weg))
        verlies = min(self.verlies_max, grens_b) if self.verdwenen else 0.0
        self.conn.close()
        self.eigen_cpu += time.thread_time() - t
        verdwenen = len(self.verdwenen)
        return {
            "postgres_cpu_s": round(sum(v - self.eerst[p] for p, v in self.laatst.items()), 3),
            "postgres_achtergrond_cpu_s": round(
                sum(v - self.ag_eerst[p] for p, v in self.ag_laatst.items()), 3
            ),
            "pg_backends": len(self.laatst),
            "pg_backends_verdwenen": verdwenen,
            "pg_verlies_max_s": round(verlies, 3),
            "pg_monsters": self.monsters,
            "pg_meter_cpu_s": round(self.eigen_cpu, 3),
        }


class CpuMeter:
    """CPU seconds between start() and stop(), each from the right processes only:

    - server: the process trees rooted at `server_wortels` (``knooppunt serve`` master and workers;
      nginx and its nodes), exited children included (``boom_cpu``);
    - postgres: the backends of database `pg` = (dsn, datname) only (``PgMeter``);
    - lastgever (load generator): this process (all threads, minus the PG sampler thread) plus the CPU
      its load-generating child processes report (``stop(lastgever_kinderen_s=…)``);
      with ``eigen_is="server"`` this process is the server instead (the raw-driver run);
    - overig: everything else on the machine (/proc/stat busy time minus the above), so noise shows."""

    def __init__(
        self,
        server_wortels: list[int] | None = None,
        *,
        pg: tuple[str, str] | None = None,
        eigen_is: str = "lastgever",
    ) -> None:
        self.server_wortels = server_wortels or []
        self.pg = PgMeter(*pg) if pg else None
        self.eigen_is = eigen_is

    def start(self) -> None:
        if self.pg:
            self.pg.start()
        self.server0 = boom_cpu(self.server_wortels)
        self.eigen0 = time.process_time()
        self.machine0 = _machine_ticks()
        self.wand0 = time.perf_counter()

    def stop(self, lastgever_kinderen_s: float = 0.0) -> dict[str, Any]:
        wand = time.perf_counter() - self.wand0
        machine = _machine_ticks()
        server = boom_cpu(self.server_wortels) - self.server0
        eigen = time.process_time() - self.eigen0
        pg = self.pg.stop() if self.pg else {}
        if self.pg:
            eigen = max(0.0, eigen - self.pg.eigen_cpu)
        lastgever = lastgever_kinderen_s
        if self.eigen_is == "server":
            server += eigen
        else:
            lastgever += eigen
        bezig = machine[0] - self.machine0[0]
        totaal = machine[1] - self.machine0[1]
        postgres = pg.get("postgres_cpu_s", 0.0)
        return {
            "wand_s": round(wand, 2),
            "server_cpu_s": round(server, 3),
            "postgres_cpu_s": round(postgres, 3) if self.pg else None,
            # the raw-driver run has no separate load generator
            "lastgever_cpu_s": None if self.eigen_is == "server" else round(lastgever, 3),
            "machine_bezet_pct": round(100.0 * bezig / totaal, 1) if totaal else 0.0,
            # CPU of everything else on the machine (other people's test runs): noise in the figures.
            "overig_cpu_s": round(max(0.0, bezig / CLK_TCK - server - postgres - lastgever), 3),
            # below zero would mean something was counted twice (or tick rounding on a short run)
            "overig_cpu_s_ongeklemd": round(bezig / CLK_TCK - server - postgres - lastgever, 3),
            **{k: v for k, v in pg.items() if k != "postgres_cpu_s"},
        }


def per_bericht_ms(cpu: dict[str, Any], berichten: int) -> dict[str, float | None]:
    """CPU milliseconds per confirmed message, per party."""
    if not berichten:
        return {}
    uit: dict[str, float | None] = {}
    for sleutel, naam in (
        ("server_cpu_s", "server"),
        ("postgres_cpu_s", "postgres"),
        ("lastgever_cpu_s", "lastgever"),
        ("overig_cpu_s", "overig"),
        ("broker_cpu_s", "broker"),
    ):
        if sleutel in cpu:
            v = cpu[sleutel]
            uit[naam] = None if v is None else round(1000.0 * v / berichten, 3)
    return uit


# Upper bound of every wait for a quiet machine (bench/run.py --rust-seconden).
RUST_MAX_SECONDEN = 60.0


def wacht_op_rust(max_seconden: float | None = None, drempel_pct: float = 12.0) -> float:
    """Wait (bounded) until the machine is nearly idle, so other processes do not skew a run.
    Returns the busy percentage seen last."""
    einde = time.monotonic() + (RUST_MAX_SECONDEN if max_seconden is None else max_seconden)
    while True:
        a = _machine_ticks()
        time.sleep(1.0)
        b = _machine_ticks()
        pct = 100.0 * (b[0] - a[0]) / max(1, b[1] - a[1])
        if pct <= drempel_pct or time.monotonic() >= einde:
            return round(pct, 1)


def leesbaar(naam: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", naam.lower())
