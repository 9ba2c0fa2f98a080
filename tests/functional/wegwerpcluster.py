"""A throwaway PostgreSQL cluster of the test's own: `initdb` into a temporary directory, `pg_ctl`
on a free loopback port, trust authentication, and stopped and removed at the end whatever
happens. The chaos test stops and starts it under load; the shared cluster (the one in
KNOOPPUNT_TEST_DATABASE_URL) is never touched.

PostgreSQL refuses to run as root, and CI runs the tests as root: then initdb and pg_ctl run as the
`postgres` OS user (`runuser`), in a directory that user owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import create_engine, text

from tests.functional.server import vrije_poort

Modus = Literal["smart", "fast", "immediate"]


def pg_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl: `pg_config --bindir`, else the newest
    /usr/lib/postgresql/*/bin (Debian puts neither on the PATH)."""
    kandidaten: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        uit = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=False)
        if uit.returncode == 0 and uit.stdout.strip():
            kandidaten.append(Path(uit.stdout.strip()))
    versies = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    kandidaten.extend(sorted(versies, key=lambda p: int(p.parent.name), reverse=True))
    for map_ in kandidaten:
        if (map_ / "initdb").is_file() and (map_ / "pg_ctl").is_file():
            return map_
    return None


def niet_te_starten() -> str | None:
    """Why this user cannot start a cluster, or None when it can."""
    if os.geteuid() != 0:
        return None
    if shutil.which("runuser") is None:
        return "running as root, and there is no runuser to run PostgreSQL as the postgres user"
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return "running as root, and there is no postgres OS user to run PostgreSQL as"
    return None


@dataclass
class WegwerpCluster:
    bindir: Path
    map_: Path  # owned by the user PostgreSQL runs as
    poort: int
    als_postgres: bool  # we are root: run the binaries as the postgres OS user
    instellingen: dict[str, str] = field(default_factory=dict)  # extra server settings (-c)

    @property
    def data(self) -> Path:
        return self.map_ / "data"

    @property
    def socketmap(self) -> Path:
        return self.map_ / "sock"

    @property
    def logbestand(self) -> Path:
        return self.map_ / "postgresql.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.poort}/{database}"

    def _pg(self, programma: str, *args: str, timeout: float = 60.0) -> None:
        opdracht = [str(self.bindir / programma), *args]
        if self.als_postgres:
            opdracht = ["runuser", "-u", "postgres", "--", *opdracht]
        # PG* variables of the caller (a shared cluster's host or port) must not leak in.
        omgeving = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        uit = subprocess.run(
            opdracht,
            cwd=self.map_,  # the postgres user may not be able to enter the caller's directory
            env={**omgeving, "LC_ALL": "C"},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if uit.returncode != 0:
            raise RuntimeError(
                f"{' '.join(opdracht)} gaf code {uit.returncode}:\n{uit.stdout}\n{uit.stderr}\n"
                + self.log_staart()
            )

    def initdb(self) -> None:
        self._pg("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                 "--locale=C", "--no-sync")  # fmt: skip

    def start(self) -> None:
        """Start and wait until it accepts connections (crash recovery included)."""
        opties = f"-p {self.poort} -k {self.socketmap} -c listen_addresses=127.0.0.1" + "".join(
            f" -c {naam}={waarde}" for naam, waarde in self.instellingen.items()
        )
        self._pg("pg_ctl", "-D", str(self.data), "-l", str(self.logbestand), "-o", opties,
                 "-w", "-t", "60", "start")  # fmt: skip

    def stop(self, modus: Modus = "fast") -> None:
        """`immediate` is a crash: every backend is killed without a checkpoint, and the next start
        runs WAL recovery; `fast` ends every session with an error and then checkpoints."""
        self._pg("pg_ctl", "-D", str(self.data), "-m", modus, "-w", "-t", "60", "stop")

    def draait(self) -> bool:
        return self._postmaster_pid() is not None

    def _postmaster_pid(self) -> int | None:
        try:
            eerste = (self.data / "postmaster.pid").read_text().splitlines()[0]
        except (OSError, IndexError):
            return None
        return int(eerste) if eerste.strip().isdigit() else None

    def maak_database(self, naam: str) -> str:
        engine = create_engine(self.url(), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{naam}"'))
        finally:
            engine.dispose()
        return self.url(naam)

    def log_staart(self, regels: int = 30) -> str:
        try:
            tekst = self.logbestand.read_text(errors="replace").splitlines()
        except OSError:
            return "(geen PostgreSQL-log)"
        return "--- PostgreSQL-log ---\n" + "\n".join(tekst[-regels:])

    def opruimen(self) -> None:
        """Stop (a crash stop: nothing of it is kept) and remove the directory. If pg_ctl cannot
        stop it, the postmaster we started is killed by its pid."""
        if self.draait():
            try:
                self.stop("immediate")
            except (RuntimeError, subprocess.TimeoutExpired):
                pid = self._postmaster_pid()
                if pid is not None:
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                    time.sleep(1.0)  # its children notice the postmaster is gone and exit
        shutil.rmtree(self.map_, ignore_errors=True)


@contextmanager
def wegwerpcluster(bindir: Path, **instellingen: str) -> Iterator[WegwerpCluster]:
    """A started cluster on a free port, with the given server settings (`-c naam=waarde`),
    stopped and removed on exit (also after a failure)."""
    als_postgres = os.geteuid() == 0
    # Directly under /tmp, not under pytest's tmp_path or a TMPDIR: those may be 0700 for root,
    # and the postgres user must be able to reach its data directory.
    map_ = Path(tempfile.mkdtemp(prefix="knooppunt-pg-", dir="/tmp" if als_postgres else None))
    cluster = WegwerpCluster(
        bindir=bindir, map_=map_, poort=vrije_poort(), als_postgres=als_postgres, instellingen=instellingen
    )
    try:
        cluster.socketmap.mkdir()
        if als_postgres:
            gebruiker = pwd.getpwnam("postgres")
            for pad in (map_, cluster.socketmap):
                os.chown(pad, gebruiker.pw_uid, gebruiker.pw_gid)
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        cluster.opruimen()
