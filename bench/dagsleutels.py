"""Day keys (DESIGN §5, decision 0015): what sealing stored inhoud under its day key costs per
message, beside plain storage.

    python bench/dagsleutels.py [--quick] [--database sqlite|postgresql|both]
    python bench/run.py --scenario dagsleutels

crypto  `Dagsleutels.verzegel` (on submit) and `Dagsleutels.open_` (on fetch) per message, the day
        key cached (the hot path: one key-store round trip per process per day and minute), for JWEs
        of 4 KiB (a typical message), 64 KiB, 1 MiB (the default maximum) and 4 MiB. CPU time per
        operation (time.process_time), best of several interleaved rounds, as in bench/sdk.py.
opslag  N messages' inhoud written in one transaction (executemany into a table shaped like
        berichtinhoud) and read back, plain (the JWE as is) and sealed (sealed before the INSERT,
        opened after the SELECT): wall time per message and bytes stored, on a fresh SQLite file
        and a fresh PostgreSQL database. Best of three rounds each, plain and sealed interleaved.
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

HIER = Path(__file__).resolve().parent
sys.path.insert(0, str(HIER))

import omgeving  # noqa: E402
from knooppunt.store.dagsleutels import Dagsleutels, Hoofdsleutels  # noqa: E402
from knooppunt.store.db import maak_engine  # noqa: E402

GROOTTES = {"4 KiB": 4096, "64 KiB": 65_536, "1 MiB": 1_048_576, "4 MiB": 4_194_304}
AFZENDER = "00000001001234567000"


def _jwe(grootte: int) -> str:
    """A JWE-shaped text of about `grootte` characters (five base64url parts): AES-GCM does not
    care what the bytes are, only how many."""
    kop = base64.urlsafe_b64encode(b'{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"x"}').rstrip(b"=").decode()
    romp = base64.urlsafe_b64encode(os.urandom(grootte * 3 // 4)).rstrip(b"=").decode()
    return f"{kop}.{'k' * 342}.{'iv' * 8}.{romp}.{'t' * 22}"


def _ronde(werk: Callable[[], object], seconden: float) -> tuple[float, float, int]:
    """(CPU s per op, wall s per op, ops) of one round of at least `seconden` wall time."""
    n = 0
    c0, w0 = time.process_time(), time.perf_counter()
    while True:
        werk()
        n += 1
        if time.perf_counter() - w0 >= seconden:
            break
    return (time.process_time() - c0) / n, (time.perf_counter() - w0) / n, n


def _opslag(werk: Path) -> Dagsleutels:
    sleutel = base64.b64encode(secrets.token_bytes(32)).decode()
    opslag = Dagsleutels(
        maak_engine(f"sqlite:///{werk / 'dagsleutels.sqlite3'}", pool_size=2),
        Hoofdsleutels.uit_tekst(f"bench:{sleutel}"),
        cache_seconden=3600,
    )
    opslag.maak_schema()
    return opslag


def meet_crypto(opslag: Dagsleutels, *, seconden: float, rondes: int) -> dict[str, Any]:
    nu = datetime.now(UTC)
    uit: dict[str, Any] = {}
    for naam, grootte in GROOTTES.items():
        jwe = _jwe(grootte)
        opgeslagen = opslag.verzegel(
            afzender=AFZENDER,
            referentienummer="r",
            ontvangen_op=nu,
            verloopt_op=nu + timedelta(days=7),
            jwe=jwe,
        )
        assert opslag.open_(afzender=AFZENDER, referentienummer="r", opgeslagen=opgeslagen) == jwe

        def zegel(jwe: str = jwe) -> str:
            return opslag.verzegel(
                afzender=AFZENDER,
                referentienummer="r",
                ontvangen_op=nu,
                verloopt_op=nu + timedelta(days=7),
                jwe=jwe,
            )

        def open_(opgeslagen: str = opgeslagen) -> str | None:
            return opslag.open_(afzender=AFZENDER, referentienummer="r", opgeslagen=opgeslagen)

        metingen: dict[str, list[tuple[float, float, int]]] = {"verzegel": [], "open": []}
        for _ in range(rondes):
            metingen["verzegel"].append(_ronde(zegel, seconden))
            metingen["open"].append(_ronde(open_, seconden))
        rij: dict[str, Any] = {"jwe_bytes": len(jwe), "opgeslagen_bytes": len(opgeslagen)}
        for op, m in metingen.items():
            rij[op] = {
                "cpu_us": round(min(x[0] for x in m) * 1e6, 1),
                "wand_us": round(min(x[1] for x in m) * 1e6, 1),
                "cpu_us_mediaan": round(statistics.median(x[0] for x in m) * 1e6, 1),
                "n": sum(x[2] for x in m),
            }
        uit[naam] = rij
    return uit


def meet_opslag(opslag: Dagsleutels, soort: str, werk: Path, pg_url: str, *, n: int) -> dict[str, Any]:
    """Write n inhoud rows in one transaction and read them back, plain and sealed."""
    nu = datetime.now(UTC)
    jwes = [_jwe(GROOTTES["4 KiB"]) for _ in range(n)]
    uit: dict[str, Any] = {"berichten": n, "jwe_bytes": len(jwes[0])}
    with omgeving.verse_database(soort, werk, pg_url, "dagsleutels") as db:
        engine = maak_engine(omgeving.psycopg_url(db.url), pool_size=2)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE inhoud (bericht_id BIGINT PRIMARY KEY, jwe TEXT NOT NULL)"))

        def ronde(verzegeld: bool) -> tuple[float, float, int]:
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM inhoud"))
            t0 = time.perf_counter()
            rijen = [
                {
                    "id": i,
                    "jwe": opslag.verzegel(
                        afzender=AFZENDER,
                        referentienummer=str(i),
                        ontvangen_op=nu,
                        verloopt_op=nu + timedelta(days=7),
                        jwe=jwe,
                    )
                    if verzegeld
                    else jwe,
                }
                for i, jwe in enumerate(jwes)
            ]
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO inhoud (bericht_id, jwe) VALUES (:id, :jwe)"), rijen)
            schrijf = time.perf_counter() - t0
            t1 = time.perf_counter()
            with engine.begin() as conn:
                gelezen = conn.execute(text("SELECT bericht_id, jwe FROM inhoud ORDER BY bericht_id")).all()
            terug = [
                opslag.open_(afzender=AFZENDER, referentienummer=str(i), opgeslagen=t) if verzegeld else t
                for i, t in gelezen
            ]
            lees = time.perf_counter() - t1
            assert terug == jwes
            return schrijf, lees, sum(len(str(r["jwe"])) for r in rijen)

        metingen: dict[str, list[tuple[float, float, int]]] = {"kaal": [], "verzegeld": []}
        for _ in range(3):
            metingen["kaal"].append(ronde(False))
            metingen["verzegeld"].append(ronde(True))
        engine.dispose()
    for kant, m in metingen.items():
        uit[kant] = {
            "schrijven_us": round(min(x[0] for x in m) / n * 1e6, 1),
            "lezen_us": round(min(x[1] for x in m) / n * 1e6, 1),
            "bytes_per_bericht": m[0][2] // n,
        }
    return uit


def meet(*, databases: list[str], pg_url: str, quick: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="knooppunt-bench-dagsleutels-") as tmp:
        werk = Path(tmp)
        opslag = _opslag(werk)
        try:
            uit: dict[str, Any] = {
                "crypto": meet_crypto(opslag, seconden=0.2 if quick else 0.5, rondes=3 if quick else 7),
                "opslag": {
                    soort: meet_opslag(opslag, soort, werk, pg_url, n=500 if quick else 2000)
                    for soort in databases
                },
            }
        finally:
            opslag.close()
    return uit


def toon(res: dict[str, Any]) -> None:
    print("  seal/open at rest per message, day key cached; CPU µs per operation (wall µs), best round")
    print(f"    {'JWE':<8} {'stored bytes':>14} {'verzegel':>20} {'open':>20}")
    for naam, rij in res["crypto"].items():
        v, o = rij["verzegel"], rij["open"]
        print(
            f"    {naam:<8} {rij['opgeslagen_bytes']:>7} ({rij['opgeslagen_bytes'] / rij['jwe_bytes']:.2f}x) "
            f"{v['cpu_us']:>10.1f} ({v['wand_us']:>7.1f}) {o['cpu_us']:>10.1f} ({o['wand_us']:>7.1f})",
            flush=True,
        )
    for soort, r in res["opslag"].items():
        k, z = r["kaal"], r["verzegeld"]
        print(
            f"  {soort}: {r['berichten']} messages of {r['jwe_bytes']} bytes, one transaction; "
            "µs per message: "
            f"write plain {k['schrijven_us']} / sealed {z['schrijven_us']}, "
            f"read plain {k['lezen_us']} / sealed {z['lezen_us']}; "
            f"bytes stored {k['bytes_per_bericht']} / {z['bytes_per_bericht']}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    a = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    a.add_argument("--quick", action="store_true")
    a.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    a.add_argument("--pg-url", default=os.environ.get("KNOOPPUNT_BENCH_DATABASE_URL", omgeving.PG_STANDAARD))
    args = a.parse_args(argv)
    print(f"machine: {omgeving.machine()}", flush=True)
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    res = meet(databases=databases, pg_url=args.pg_url, quick=args.quick)
    toon(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
