"""Profile the server under load with py-spy (`pip install py-spy`) and rank the hotspots.

py-spy samples the `knooppunt serve` process (and its worker processes) from outside: no change to
the code under test. Two recordings run one after the other: collapsed stacks of every thread that
py-spy counts as active (a thread on the CPU or in a system call) for the ranking below, then an
SVG flame graph for people.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from collections import Counter
from pathlib import Path
from typing import Any

# Inclusive cost of the parts of a request worth changing, recognised by (file part, function).
ONDERDELEN: list[tuple[str, str, str]] = [
    ("authenticatie totaal (deps.verzoek: db_nu + auth)", "api/deps.py", "verzoek"),
    ("  auth: ketenverificatie (Vertrouwensankers.controleer)", "pki/verificatie.py", "controleer"),
    ("  auth: PEM van clientcert lezen (client_certificaat)", "api/auth.py", "client_certificaat"),
    (
        "  auth: DB-lookup deelnemer + certificaat (adresboek.authenticeer)",
        "hub/adresboek.py",
        "authenticeer",
    ),
    ("  db_nu (SELECT klok)", "store/db.py", "db_nu"),
    ("mailbox.verstuur (submit-logica)", "hub/mailbox/verzenden.py", "verstuur"),
    ("mailbox.ophalen (inbox-query + markeer)", "hub/mailbox/ophalen.py", "ophalen"),
    ("mailbox.bevestig_meerdere (batch confirm)", "hub/mailbox/bevestigen.py", "bevestig_meerdere"),
    ("  hub_bericht (ontvangstbevestiging aanmaken)", "hub/mailbox/meldingen.py", "hub_bericht"),
    ("  session.refresh (herladen na UPDATE)", "orm/session.py", "refresh"),
    ("session.commit", "orm/session.py", "commit"),
    ("session.flush (ORM unit of work)", "orm/session.py", "flush"),
    ("bericht_weergave (BerichtRead bouwen)", "api/v1.py", "bericht_weergave"),
    ("FastAPI serialize_response (validatie + dump)", "fastapi/routing.py", "serialize_response"),
    (
        "FastAPI request body/params (solve_dependencies)",
        "fastapi/dependencies/utils.py",
        "solve_dependencies",
    ),
    ("JSONResponse.render (json.dumps)", "starlette/responses.py", "render"),
    ("structlog: log.info per verzoek", "structlog/", ""),
    ("middleware _verzoek_id + _api_versie (BaseHTTPMiddleware)", "starlette/middleware/base.py", ""),
    ("SQLAlchemy statement compile", "sql/compiler.py", ""),
    ("SQLAlchemy ORM result laden (loading.py)", "orm/loading.py", ""),
    ("driver: psycopg execute", "psycopg/cursor.py", "execute"),
    ("driver: sqlite3 execute (pysqlite)", "dialects/sqlite/pysqlite.py", ""),
    ("connection pool checkout/return", "sqlalchemy/pool/", ""),
    ("TLS (ssl read/write, asyncio sslproto)", "asyncio/sslproto.py", ""),
    ("uvicorn h11 protocol", "uvicorn/protocols/http/h11_impl.py", ""),
    ("anyio threadpool hand-off", "anyio/", ""),
]

# Leaf frames of a thread that waits (py-spy's blocking sampler still counts some of these as active):
# left out of the CPU ranking, reported as a share of all samples.
WACHTEN = {
    ("wait", "threading.py"),
    ("get", "queue.py"),
    ("select", "selectors.py"),
    ("wait", "psycopg/connection.py"),
    ("wait", "psycopg/waiting.py"),
    ("wait_c", "psycopg/waiting.py"),
    ("sleep", ""),
    ("join", "threading.py"),
    ("_wait_for_tstate_lock", "threading.py"),
}

# psycopg frames that call into libpq with the GIL released: as a leaf they are (almost always) a
# thread waiting to get the GIL back after a round trip. Counted apart, not in the CPU ranking.
GIL_TERUG = {
    ("_send_query_prepared", "psycopg/_cursor_base.py"),
    ("_maybe_prepare_gen", "psycopg/_cursor_base.py"),
    ("_execute_send", "psycopg/_cursor_base.py"),
    ("_send_prepare", "psycopg/_cursor_base.py"),
    ("_exec_command", "psycopg/_connection_base.py"),
}

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def beschikbaar() -> bool:
    return shutil.which("py-spy") is not None


def start(
    pid: int, uit: Path, seconden: int, *, subprocessen: bool, rate: int = 100, svg_seconden: int = 10
) -> threading.Thread:
    """In the background: record collapsed stacks for `seconden`, then an SVG for `svg_seconden`.
    Blocking sampling (py-spy pauses the process per sample): ``--nonblocking`` lost about half the
    samples here and ``--gil`` nearly all of them on Python 3.11."""
    basis = ["py-spy", "record", "--pid", str(pid), "--rate", str(rate)]
    if subprocessen:
        basis.append("--subprocesses")

    def opnemen() -> None:
        with open(uit.with_suffix(".pyspy.log"), "wb") as log:
            for extra in (
                [
                    "--duration",
                    str(seconden),
                    "--format",
                    "raw",
                    "-o",
                    str(uit.with_suffix(".collapsed.txt")),
                ],
                ["--duration", str(svg_seconden), "-o", str(uit.with_suffix(".svg"))],
            ):
                subprocess.run(
                    [*basis, *extra],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    timeout=seconden + 120,
                    check=False,
                )

    draad = threading.Thread(target=opnemen, daemon=True)
    draad.start()
    return draad


def wacht(draad: threading.Thread, timeout: float) -> None:
    draad.join(timeout)


def _frames(regel: str) -> tuple[list[tuple[str, str]], int]:
    stapel, _, aantal = regel.rstrip().rpartition(" ")
    frames = []
    for deel in stapel.split(";"):
        m = FRAME.match(deel)
        if m:
            frames.append((m.group("func"), m.group("file")))
    return frames, int(aantal)


def analyseer(collapsed: Path, top: int = 25) -> dict[str, Any]:
    """Self and inclusive shares per function, and the inclusive share of each ONDERDEEL, as a
    percentage of the samples in which a thread was not waiting (≈ where the CPU goes)."""
    totaal = wachtend = gil = 0
    zelf: Counter[str] = Counter()
    inclusief: Counter[str] = Counter()
    onderdelen: Counter[str] = Counter()
    for regel in collapsed.read_text().splitlines():
        if not regel.strip():
            continue
        frames, aantal = _frames(regel)
        if not frames:
            continue
        func, bestand = frames[-1]
        if any(func.endswith(f) and b in bestand for f, b in WACHTEN):
            wachtend += aantal
            continue
        if any(func.endswith("." + f) and b in bestand for f, b in GIL_TERUG):
            gil += aantal
            continue
        totaal += aantal
        zelf[f"{func} ({_kort(bestand)})"] += aantal
        for naam in {f"{f} ({_kort(b)})" for f, b in frames}:
            inclusief[naam] += aantal
        for label, bestand_deel, functie in ONDERDELEN:
            if any(
                bestand_deel in b and (not functie or f == functie or f.endswith("." + functie))
                for f, b in frames
            ):
                onderdelen[label] += aantal
    if not totaal:
        return {"samples": 0}

    def pct(n: int) -> float:
        return round(100.0 * n / totaal, 1)

    return {
        "samples": totaal,
        "wachtend_pct_van_alle": round(100.0 * wachtend / (totaal + wachtend + gil), 1),
        "gil_terug_na_libpq_pct_van_alle": round(100.0 * gil / (totaal + wachtend + gil), 1),
        "onderdelen": [(label, pct(onderdelen[label])) for label, _, _ in ONDERDELEN],
        "zelf": [(k, pct(v)) for k, v in zelf.most_common(top)],
        "inclusief": [(k, pct(v)) for k, v in inclusief.most_common(top * 2)],
    }


def _kort(bestand: str) -> str:
    for merk in ("site-packages/", "src/", "lib/python3.11/"):
        if merk in bestand:
            return bestand.split(merk, 1)[1]
    return bestand


if __name__ == "__main__":
    import sys

    resultaat = analyseer(Path(sys.argv[1]))
    print(
        f"samples (not waiting): {resultaat['samples']}; waits: {resultaat.get('wachtend_pct_van_alle')}% "
        f"of all; psycopg leaf (GIL back after libpq): "
        f"{resultaat.get('gil_terug_na_libpq_pct_van_alle')}% of all"
    )
    for label, pct in resultaat.get("onderdelen", []):
        print(f"{pct:5.1f}%  {label}")
    print("self:")
    for naam, pct in resultaat.get("zelf", []):
        print(f"{pct:5.1f}%  {naam}")
    print("inclusive:")
    for naam, pct in resultaat.get("inclusief", []):
        print(f"{pct:5.1f}%  {naam}")


# --- yappi (CPU clock, all threads) ------------------------------------------------------------

# (label, file part, function name) whose cumulative CPU share is reported.
CPU_FUNCTIES: list[tuple[str, str, str]] = [
    ("deps.verzoek (sessie, db_nu, auth, commit)", "knooppunt/api/deps.py", "verzoek"),
    ("  api.auth.authenticeer", "knooppunt/api/auth.py", "authenticeer"),
    ("    Vertrouwensankers.controleer (keten)", "knooppunt/pki/verificatie.py", "controleer"),
    ("    adresboek.authenticeer (DB)", "knooppunt/hub/adresboek.py", "authenticeer"),
    ("  db_nu", "knooppunt/store/db.py", "db_nu"),
    ("mailbox.verstuur", "knooppunt/hub/mailbox/verzenden.py", "verstuur"),
    ("  store.deelnemers.haal", "knooppunt/store/deelnemers.py", "haal"),
    ("  store.berichten.aantal_open", "knooppunt/store/berichten.py", "aantal_open"),
    ("  store.berichten.claim_conversatie", "knooppunt/store/berichten.py", "claim_conversatie"),
    ("  store.berichten.voeg_toe", "knooppunt/store/berichten.py", "voeg_toe"),
    ("mailbox.ophalen", "knooppunt/hub/mailbox/ophalen.py", "ophalen"),
    ("mailbox.bevestig_meerdere", "knooppunt/hub/mailbox/bevestigen.py", "bevestig_meerdere"),
    ("  mailbox.hub_bericht", "knooppunt/hub/mailbox/meldingen.py", "hub_bericht"),
    ("Session.commit", "sqlalchemy/orm/session.py", "commit"),
    ("Session.flush", "sqlalchemy/orm/session.py", "flush"),
    ("Session.refresh", "sqlalchemy/orm/session.py", "refresh"),
    ("Session.execute", "sqlalchemy/orm/session.py", "execute"),
    ("pool checkout (incl. pre-ping)", "sqlalchemy/pool/base.py", "_checkout"),
    ("v1.bericht_weergave", "knooppunt/api/v1.py", "bericht_weergave"),
    ("FastAPI serialize_response", "fastapi/routing.py", "serialize_response"),
    ("FastAPI solve_dependencies", "fastapi/dependencies/utils.py", "solve_dependencies"),
    ("JSONResponse.render", "starlette/responses.py", "render"),
]

PAKKETTEN = (
    "sqlalchemy",
    "psycopg",
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "h11",
    "anyio",
    "asyncio",
    "ssl.py",
    "structlog",
    "json",
    "cryptography",
    "knooppunt",
    "threading.py",
    "logging",
    "email",
    "opentelemetry",
)


def analyseer_pstats(pad: Path, top: int = 30) -> dict[str, Any]:
    """Shares of total CPU: cumulative per function of CPU_FUNCTIES, self per package and per function."""
    import pstats

    stats = pstats.Stats(str(pad)).stats  # type: ignore[attr-defined]
    totaal = sum(v[2] for v in stats.values())
    if not totaal:
        return {"cpu_s": 0}

    def pct(x: float) -> float:
        return round(100.0 * x / totaal, 1)

    functies = []
    for label, deel, naam in CPU_FUNCTIES:
        ct = max(
            (v[3] for (f, _, fn), v in stats.items() if deel in f and fn.split(".")[-1] == naam), default=0.0
        )
        functies.append((label, pct(ct)))
    per_pakket: Counter[str] = Counter()
    for (f, _, _), v in stats.items():
        pakket = next((p for p in PAKKETTEN if f"/{p}" in f or f.endswith(p)), "overig")
        per_pakket[pakket] += v[2]
    zelf = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    return {
        "cpu_s": round(totaal, 2),
        "functies": functies,
        "per_pakket": [(p, pct(t)) for p, t in per_pakket.most_common()],
        "zelf": [(f"{fn} ({_kort(f)}:{regel})", pct(v[2]), v[1]) for (f, regel, fn), v in zelf],
    }
