"""Knooppunt benchmarks: print figures, assert nothing (docs/performance.md records a run).

    python bench/run.py [--database sqlite|postgresql|both] [--quick] [--groot] [--profile]

Scenarios, per database:
  onderdelen  CPU per call of the parts of a request (auth, adresboek, clock), in-process
  kosten    sequential calls over HTTPS: wall time and server CPU per call
  ruw       the same statements straight through the driver (psycopg / sqlite3): the ceiling
  doorvoer  end to end over real HTTPS + mTLS against `knooppunt serve`: concurrent senders submit
            2 KB JWEs while one client per recipient fetches (GET /berichten?limit=100) and confirms
            (POST /bevestigingen); messages/s from first submit to last confirm. Then the same
            through POST /verzendingen, 100 envelopes per request (--per-verzending; 0: not)
  tempo     a fixed offered load (default 200 messages/s) with the same draining; submit latency
            from the moment of sending and from the message's due time
  inbox     pending messages bulk-loaded straight into the database (10k, 100k, and 1M with
            --groot), GET /berichten?limit=100 timed for one recipient at each size, then EXPLAIN
  verlopen  the expiry job: sweep of 100k due messages (10k with --quick), then a sweep that finds
            nothing at 10k, 100k (and 1M with --groot) pending messages
  portaal   the web portal's creditor pages (bench/portaal.py): the download zip of 1,000 messages, and
            an upload of ~20,000 saldoverzoek antwoorden (~4 MB) validated and submitted as one batch
            (with --quick: 200 and 2,000)
  topologie (PostgreSQL only) the production topology: nginx terminating mutual TLS in front of one,
            then two `knooppunt serve --uds` nodes, beside one node with built-in TLS; the doorvoer
            load, msg/s (bench/topologie.py; needs Debian's nginx)
  profiel   (--profile) py-spy on the server during a closed-loop run; hotspots ranked
Once per run, not per database:
  rabbitmq  the peer: the doorvoer loop through RabbitMQ on 127.0.0.1:5672 (--amqp-url): durable
            queues, persistent messages, publisher confirms, consumers acking (bench/rabbitmq.py);
            skipped with a message when RabbitMQ or pika is missing
  sdk       participant SDK seal (sign+encrypt) and open (decrypt+verify+validate) per core, beside
            the bare `cryptography` primitives (bench/sdk.py)
  dagsleutels  the hub sealing stored inhoud under its day key and opening it again, per message and
            size, and inhoud written and read plain vs sealed on each database (bench/dagsleutels.py)

Load generator (--lastgever): "rauw" (default, bench/lastgever.py) raw TLS HTTP/1.1 keep-alive
connections with requests serialised beforehand, in --zend-processen sender processes and
--ontvang-processen receiver processes, ~0.06-0.2 ms CPU per request; "httpx" the former threads in
one process (bench/belasting.py, ~0.3-1 ms per request).

CPU per confirmed message, each from its own processes: server = the `knooppunt serve` process
tree (master and workers, exited children included; nginx too in topologie; the raw-driver run's
own process), pg = the PostgreSQL backends of the bench's database only (pg_stat_activity sampled
every 0.2 s), loadgen = the load generator's processes, other = the rest of the machine
(/proc/stat), so noise is visible. The summary table is also in resultaten.json ("samenvatting").

PostgreSQL: a fresh database knooppunt_bench_<random>_* per run on --pg-url (default
$KNOOPPUNT_BENCH_DATABASE_URL or postgresql://postgres@127.0.0.1:5432/test), dropped afterwards.
Everything is bounded in count and time and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
import traceback
from datetime import datetime
from pathlib import Path
from typing import Any

HIER = Path(__file__).resolve().parent
sys.path.insert(0, str(HIER))

import belasting  # noqa: E402
import dagsleutels  # noqa: E402
import lastgever  # noqa: E402
import omgeving  # noqa: E402
import onderdelen  # noqa: E402
import portaal  # noqa: E402
import profiel  # noqa: E402
import rabbitmq  # noqa: E402
import ruwe_db  # noqa: E402
import sdk  # noqa: E402
import topologie  # noqa: E402
import verlopen  # noqa: E402
from omgeving import IJK_OPTELLINGEN, leesbaar  # noqa: E402

SCENARIOS = (
    "sdk",
    "dagsleutels",
    "ruw",
    "onderdelen",
    "kosten",
    "doorvoer",
    "tempo",
    "inbox",
    "verlopen",
    "portaal",
    "topologie",
    "rabbitmq",
)


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke run of a minute or two")
    p.add_argument("--groot", action="store_true", help="inbox: also the 1,000,000 pending step (minutes)")
    p.add_argument("--profile", action="store_true", help="py-spy the server during an extra closed-loop run")
    p.add_argument(
        "--cpu-profiel",
        action="store_true",
        help="yappi CPU profile (all threads) of the server in a short closed-loop run (pip install yappi)",
    )
    p.add_argument("--scenario", action="append", choices=SCENARIOS, help="only these (repeatable)")
    p.add_argument(
        "--workers",
        default=None,
        help="comma-separated worker counts for `serve --workers` (default: 1, and 2 when supported)",
    )
    p.add_argument("--pg-url", default=os.environ.get("KNOOPPUNT_BENCH_DATABASE_URL", omgeving.PG_STANDAARD))
    p.add_argument("--threads", type=int, default=8, help="submitting connections (closed loop)")
    p.add_argument(
        "--lastgever",
        choices=("rauw", "httpx"),
        default="rauw",
        help="load generator: raw TLS in several processes (default) or the former httpx threads",
    )
    p.add_argument(
        "--zend-processen", type=int, default=4, help="sender processes of the rauw load generator"
    )
    p.add_argument(
        "--ontvang-processen",
        type=int,
        default=None,
        help="receiver processes of the rauw load generator (default: one per recipient)",
    )
    p.add_argument(
        "--per-verzending",
        type=int,
        default=100,
        help="doorvoer: also submit through POST /verzendingen with this many envelopes per request (0: not)",
    )
    p.add_argument(
        "--ontvangst",
        choices=("direct", "vol", "beide"),
        default="beide",
        help="doorvoer (one submit per request): receivers that fetch whatever has arrived at once "
        "(direct: pages of a few messages under saturation), that wait for pages of about 100 (vol: "
        "#13's 'fetch in pages of 100, confirm in batches of 100'), or both rows (default)",
    )
    p.add_argument(
        "--amqp-url",
        default=os.environ.get("KNOOPPUNT_BENCH_AMQP_URL", rabbitmq.AMQP_STANDAARD),
        help="RabbitMQ for the rabbitmq scenario",
    )
    p.add_argument("--berichten", type=int, default=None, help="messages per closed-loop run")
    p.add_argument(
        "--tempo",
        type=float,
        action="append",
        default=None,
        help="offered load of the tempo scenario in messages/s (repeatable; default 200)",
    )
    p.add_argument(
        "--variant",
        action="append",
        choices=("standaard", "zonderlus", "nodelay", "prototype"),
        default=None,
        help="standaard: knooppunt serve as is; zonderlus: with KNOOPPUNT_API_LUS=false (every submit "
        "through the handler threads); nodelay: the what-if launcher bench/serve_nodelay.py; "
        "prototype: #13's stripped-down hub (bench/prototype.py) in the same process and listener",
    )
    p.add_argument("--tempo-seconden", type=float, default=None)
    p.add_argument(
        "--per-bericht",
        action="store_true",
        help="portaal: also upload through the one-message-at-a-time hub path, for comparison",
    )
    p.add_argument(
        "--rust-seconden",
        type=float,
        default=None,
        help="wait at most this long for a quiet machine before each measured run (default 60; --quick 10)",
    )
    p.add_argument("--profiel-seconden", type=int, default=20)
    p.add_argument("--max-seconden", type=float, default=180.0, help="upper bound on any one run")
    p.add_argument("--out", type=Path, default=None, help="results folder (default bench/results/<time>)")
    return p.parse_args(argv)


def _belast(
    a: argparse.Namespace, hub: omgeving.Hub, pki: omgeving.Pki, berichten: list[Any], **kw: Any
) -> dict[str, Any]:
    """One load run with the chosen load generator (--lastgever)."""
    if a.lastgever == "httpx":
        if kw.pop("per_verzending", 0) > 1:
            raise ValueError("verzendingen are submitted by the rauw load generator only")
        return belasting.draai(hub, pki, berichten, **kw)
    return lastgever.draai(
        hub, berichten, zend_processen=a.zend_processen, ontvang_processen=a.ontvang_processen, **kw
    )


def _toon(titel: str, r: dict[str, Any]) -> None:
    cpu = r.get("cpu", {})
    per = r.get("cpu_ms_per_bericht", {})
    regel = (
        f"  {titel:<28} {r['e2e_per_s']:>8.1f} msg/s e2e  submit {r.get('submit_per_s', 0):>7.1f}/s  "
        f"submit p50/p99 {r['submit'].get('p50_ms', 0):.1f}/{r['submit'].get('p99_ms', 0):.1f} ms  "
        f"n={r['bevestigd']}/{r['berichten']}"
        + (
            f"  pages {r.get('aantal_paginas')}, mean {r['gem_paginagrootte']}, median "
            f"{r.get('mediaan_paginagrootte')}"
            if r.get("gem_paginagrootte")
            else ""
        )
    )
    if cpu:
        regel += (
            f"  CPU ms/msg: server {per.get('server')} pg {per.get('postgres')} "
            f"loadgen {per.get('lastgever')} other {per.get('overig')}"
            f" (machine {cpu['machine_bezet_pct']}% of {cpu['wand_s']} s"
            + (
                f"; pg backends {cpu['pg_backends']}, {cpu['pg_backends_verdwenen']} gone (lost <= "
                f"{cpu.get('pg_verlies_max_s')} s), shared pg "
                f"processes {cpu['postgres_achtergrond_cpu_s']} s"
                if "pg_backends" in cpu
                else ""
            )
            + ")"
        )
    if r.get("fouten"):
        regel += f"  FOUTEN {r['fouten']} {r.get('voorbeeld_fouten', [])[:2]}"
    print(regel, flush=True)


def _bench_database(
    soort: str,
    a: argparse.Namespace,
    pki: omgeving.Pki,
    inhouden: dict[tuple[int, int], str],
    werk: Path,
    workers: list[int],
    uit: Path,
) -> dict[str, Any]:
    scenarios = set(a.scenario or SCENARIOS)
    n = a.berichten or (1_000 if a.quick else 5_000)
    tempos = a.tempo or [200.0]
    varianten = a.variant or ["standaard"]
    tempo_s = a.tempo_seconden or (5.0 if a.quick else 30.0)
    res: dict[str, Any] = {"runs": {}}
    print(f"\n== {soort} ==", flush=True)
    if soort == "postgresql":
        res["postgresql_versie"] = omgeving.pg_versie(a.pg_url)

    if "ruw" in scenarios:
        with omgeving.verse_database(soort, werk, a.pg_url, "ruw") as rdb:
            omgeving.migreer_en_registreer(rdb.url, werk / "data-ruw", pki)
            r = ruwe_db.draai(
                rdb,
                pki,
                belasting.bereid_voor(pki, inhouden, n),
                threads=a.threads,
                max_seconden=a.max_seconden,
            )
            res["ruw"] = r
            _toon("ruw (driver)", r)

    with omgeving.verse_database(soort, werk, a.pg_url, "hub") as db:
        data = werk / "data-hub"
        omgeving.migreer_en_registreer(db.url, data, pki)
        if "onderdelen" in scenarios:
            omgeving.wacht_op_rust()
            res["onderdelen"] = onderdelen.meet(
                db.url, data, pki, inhouden[(0, 0)], n=100 if a.quick else 300
            )
            print("  parts of a request, in-process, CPU per call:", flush=True)
            for wat, k in res["onderdelen"].items():
                print(f"    {wat:<64} {k.get('cpu_ms', k.get('fout'))} ms CPU ({k.get('wand_ms')} ms wall)")
        if scenarios & {"kosten", "doorvoer", "tempo"} or a.profile:
            for variant in varianten:
                for w in workers:
                    naam = f"workers={w}" + ("" if variant == "standaard" else f" {variant}")
                    try:  # one worker count failing must not lose the others' figures
                        res["runs"][naam] = _hub_runs(
                            db,
                            data,
                            pki,
                            inhouden,
                            a,
                            scenarios,
                            n,
                            tempos,
                            tempo_s,
                            w,
                            variant,
                            uit / leesbaar(f"profiel-{soort}-{naam}"),
                        )
                    except Exception:
                        traceback.print_exc()
                        res.setdefault("fouten", {})[naam] = traceback.format_exc()

        if a.cpu_profiel:
            try:
                res["cpu_profiel"] = _cpu_profiel(
                    db, data, pki, inhouden, a, (uit / f"cpu-{soort}.pstat").resolve()
                )
            except Exception:
                traceback.print_exc()
                res["cpu_profiel"] = {"fout": traceback.format_exc()}

        if "inbox" in scenarios:
            try:
                res["inbox"] = _inbox(db, data, pki, inhouden, a)
            except Exception:
                traceback.print_exc()
                res["inbox"] = {"fout": traceback.format_exc()}
    if "verlopen" in scenarios:
        try:
            res["verlopen"] = verlopen.meet(
                soort,
                werk,
                a.pg_url,
                pki,
                inhouden[(0, 0)],
                due=10_000 if a.quick else 100_000,
                stappen=[2_000, 10_000] if a.quick else [10_000, 100_000] + ([1_000_000] if a.groot else []),
            )
        except Exception:
            traceback.print_exc()
            res["verlopen"] = {"fout": traceback.format_exc()}
    if "portaal" in scenarios:
        try:
            res["portaal"] = portaal.meet(
                soort,
                werk,
                a.pg_url,
                n_zip=200 if a.quick else 1000,
                n_upload=2_000 if a.quick else 20_000,
                per_bericht=a.per_bericht,
            )
        except Exception:
            traceback.print_exc()
            res["portaal"] = {"fout": traceback.format_exc()}
    if "topologie" in scenarios:
        if soort != "postgresql":
            print("  topologie: nodes share one PostgreSQL in production; skipped on sqlite", flush=True)
        else:
            with omgeving.verse_database(soort, werk, a.pg_url, "topologie") as db:
                data = werk / "data-topologie"
                omgeving.migreer_en_registreer(db.url, data, pki)
                try:
                    res["topologie"] = topologie.meet(
                        db,
                        data,
                        pki,
                        inhouden,
                        n=n,
                        threads=a.threads,
                        max_seconden=a.max_seconden,
                        belast=lambda hub, pki, berichten, **kw: _belast(a, hub, pki, berichten, **kw),
                    )
                    topologie.toon(res["topologie"])
                except Exception:
                    traceback.print_exc()
                    res["topologie"] = {"fout": traceback.format_exc()}
    if "ruw" in res and res["runs"] and res["ruw"]["e2e_per_s"]:
        for naam, run in res["runs"].items():
            for soort_run in ("doorvoer", "verzendingen"):
                if soort_run in run:
                    run[soort_run]["aandeel_van_ruw_pct"] = round(
                        100 * run[soort_run]["e2e_per_s"] / res["ruw"]["e2e_per_s"], 1
                    )
                    print(
                        f"  {naam} {soort_run}: HTTP e2e is {run[soort_run]['aandeel_van_ruw_pct']}% "
                        "of the raw-driver figure"
                    )
    return res


def _hub_runs(
    db: omgeving.Database,
    data: Path,
    pki: omgeving.Pki,
    inhouden: dict[tuple[int, int], str],
    a: argparse.Namespace,
    scenarios: set[str],
    n: int,
    tempos: list[float],
    tempo_s: float,
    w: int,
    variant: str,
    profiel_basis: Path,
) -> dict[str, Any]:
    naam = f"workers={w}" + ("" if variant == "standaard" else f" {variant}")
    run: dict[str, Any] = {"workers": w, "variant": variant}
    with omgeving.start_hub(db, data, pki, workers=w, variant=variant) as hub:
        run["code"] = hub.versie
        print(f"  knooppunt serve --workers {w} ({variant}) on code {hub.versie}", flush=True)
        _belast(
            a,
            hub,
            pki,
            belasting.bereid_voor(pki, inhouden, min(400, max(100, n))),
            threads=a.threads,
            max_seconden=60,
            wacht_rust=False,
        )  # warm-up: pools, caches, statement cache
        if "kosten" in scenarios:
            omgeving.wacht_op_rust()
            run["kosten"] = belasting.kosten(hub, pki, inhouden, herhalingen=30 if a.quick else 100)
            print(f"  per call, sequential ({naam}):", flush=True)
            for wat, k in run["kosten"].items():
                print(
                    f"    {wat:<48} wall {k['wand_ms']:>8.2f} ms  server CPU {k['server_cpu_ms']:>8.2f} ms"
                    f"  ({k['server_cpu_ms_per_bericht']:.2f} ms per message)",
                    flush=True,
                )
        if "doorvoer" in scenarios:
            soorten = [("doorvoer", "doorvoer", False), ("doorvoer_vol", "doorvoer pages~100", True)]
            for sleutel, titel, vol in soorten:
                if a.ontvangst != "beide" and a.ontvangst != ("vol" if vol else "direct"):
                    continue
                if vol and a.lastgever != "rauw":
                    print("  doorvoer pages~100: only with --lastgever rauw; skipped", flush=True)
                    continue
                run[sleutel] = _belast(
                    a,
                    hub,
                    pki,
                    belasting.bereid_voor(pki, inhouden, n),
                    threads=a.threads,
                    max_seconden=a.max_seconden,
                    **({"volle_paginas": True} if vol else {}),
                )
                _toon(f"{titel} {naam}", run[sleutel])
            if a.per_verzending > 1 and a.lastgever == "rauw":
                run["verzendingen"] = _belast(
                    a,
                    hub,
                    pki,
                    belasting.bereid_voor(pki, inhouden, n),
                    threads=a.threads,
                    max_seconden=a.max_seconden,
                    per_verzending=a.per_verzending,
                )
                _toon(f"verzendingen of {a.per_verzending} {naam}", run["verzendingen"])
            elif a.per_verzending > 1:
                print("  verzendingen: only with --lastgever rauw; skipped", flush=True)
        if "tempo" in scenarios:
            run["tempo"] = {}
            for tempo in tempos:
                aantal = int(tempo * tempo_s)
                t = _belast(
                    a,
                    hub,
                    pki,
                    belasting.bereid_voor(pki, inhouden, aantal),
                    threads=32,
                    tempo=tempo,
                    max_seconden=min(a.max_seconden, tempo_s * 4 + 30),
                )
                run["tempo"][f"{tempo:g}"] = t
                _toon(f"tempo {tempo:g}/s {naam}", t)
                print(
                    f"    submit latency at {tempo:g}/s offered: {t['submit']}  (from due time: "
                    f"p99 {t['submit_vanaf_gepland'].get('p99_ms')} ms)",
                    flush=True,
                )
        if a.profile:
            run["profiel"] = _profileer(hub, pki, inhouden, a, profiel_basis)
    return run


def _cpu_profiel(
    db: omgeving.Database,
    data: Path,
    pki: omgeving.Pki,
    inhouden: dict[tuple[int, int], str],
    a: argparse.Namespace,
    pad: Path,
) -> dict[str, Any]:
    try:
        import yappi  # noqa: F401
    except ImportError:
        print("  cpu-profiel: yappi not installed (pip install yappi); skipped", flush=True)
        return {}
    omgeving.wacht_op_rust()
    env = {"KNOOPPUNT_BENCH_YAPPI_OUT": str(pad)}
    with omgeving.start_hub(db, data, pki, workers=1, variant="yappi", extra_env=env) as hub:
        _belast(
            a,
            hub,
            pki,
            belasting.bereid_voor(pki, inhouden, 200),
            threads=a.threads,
            max_seconden=60,
            wacht_rust=False,
        )
        r = _belast(
            a,
            hub,
            pki,
            belasting.bereid_voor(pki, inhouden, 500 if a.quick else 1500),
            threads=a.threads,
            max_seconden=a.max_seconden,
            wacht_rust=False,
        )
    _toon("cpu-profiel (yappi, slowed)", r)
    analyse = profiel.analyseer_pstats(pad)
    print(f"  yappi CPU profile {pad} ({analyse.get('cpu_s')} CPU s in the profiled functions):")
    for label, pct in analyse.get("functies", []):
        print(f"    {pct:5.1f}%  {label}")
    print("    self CPU per package: " + ", ".join(f"{p} {pct}%" for p, pct in analyse.get("per_pakket", [])))
    print("    top self CPU:")
    for naam, pct, aantal in analyse.get("zelf", [])[:20]:
        print(f"    {pct:5.1f}%  {naam}  ({aantal} calls)")
    return {"run": r, "analyse": analyse}


def _profileer(
    hub: omgeving.Hub,
    pki: omgeving.Pki,
    inhouden: dict[tuple[int, int], str],
    a: argparse.Namespace,
    basis: Path,
) -> dict[str, Any]:
    if not profiel.beschikbaar():
        print("  profiel: py-spy not installed (pip install py-spy); skipped", flush=True)
        return {}
    sec = a.profiel_seconden
    omgeving.wacht_op_rust()
    draad = profiel.start(hub.proces.pid, basis, sec, subprocessen=hub.workers > 1)
    r = _belast(
        a,
        hub,
        pki,
        belasting.bereid_voor(pki, inhouden, 1_500 * (sec + 12)),
        threads=a.threads,
        max_seconden=sec + 12,
        wacht_rust=False,
    )
    profiel.wacht(draad, 120)
    analyse = profiel.analyseer(basis.with_suffix(".collapsed.txt"))
    _toon(f"profiel workers={hub.workers}", r)
    print(
        "  profile (share of non-waiting samples; "
        f"{analyse.get('wachtend_pct_van_alle')}% of all samples were "
        f"waits): {basis.with_suffix('.svg')}, {basis.with_suffix('.collapsed.txt')} "
        f"({analyse.get('samples', 0)} samples of active threads)"
    )
    for label, pct in analyse.get("onderdelen", []):
        print(f"    {pct:5.1f}%  {label}")
    print("    top self time:")
    for naam, pct in analyse.get("zelf", [])[:15]:
        print(f"    {pct:5.1f}%  {naam}")
    return {"run": r, "analyse": analyse}


def _inbox(
    db: omgeving.Database,
    data: Path,
    pki: omgeving.Pki,
    inhouden: dict[tuple[int, int], str],
    a: argparse.Namespace,
) -> dict[str, Any]:
    stappen = [2_000, 10_000] if a.quick else [10_000, 100_000] + ([1_000_000] if a.groot else [])
    gemeten = pki.se[0]
    jwe = inhouden[(0, 0)]
    uit: dict[str, Any] = {"stappen": []}
    geladen = 0
    varianten = a.variant or ["standaard"]
    with contextlib.ExitStack() as stapel:
        hubs = {
            v: stapel.enter_context(omgeving.start_hub(db, data, pki, workers=1, variant=v))
            for v in varianten
        }
        for doel in stappen:
            laadtijd = ruwe_db.laad_bulk(db, aantal=doel - geladen, gemeten_oin=gemeten.oin, jwe=jwe)
            geladen = doel
            tellingen = ruwe_db.aantallen(db)
            stap = {
                "bulk": doel,
                "laadtijd_s": round(laadtijd, 1),
                **tellingen,
                "grootte": ruwe_db.database_grootte(db),
            }
            omgeving.wacht_op_rust()
            for v, hub in hubs.items():
                meting = belasting.time_inbox(hub, gemeten, herhalingen=10 if a.quick else 30)
                stap[v] = meting
                t = meting["tijden"]
                print(
                    f"  inbox at {tellingen['open']:>9,} open ({v}): "
                    f"GET /berichten?limit=100 p50 {t['p50_ms']} ms "
                    f"p90 {t['p90_ms']} ms max {t['max_ms']} ms (first {meting['eerste_ms']} ms, "
                    f"page {meting['paginagrootte']}, load {laadtijd:.0f} s, db {stap['grootte']})",
                    flush=True,
                )
            uit["stappen"].append(stap)
    uit["explain"] = ruwe_db.leg_uit(db, gemeten.oin, afzender="00000003880000000000")
    for e in uit["explain"]:
        print(f"  EXPLAIN {e['sql'].split()[0]} … ({e['ms']} ms)")
        for regel in e["plan"][:12]:
            print(f"      {regel}")
        if e.get("generiek_plan"):
            print("    generic plan (prepared, parameters unknown):")
            for regel in e["generiek_plan"][:8]:
                print(f"      {regel}")
    return uit


def _rij(database: str, naam: str, r: dict[str, Any], ruw: float | None, rmq: float | None) -> dict[str, Any]:
    per = r.get("cpu_ms_per_bericht", {})
    e2e = r.get("e2e_per_s", 0.0)
    return {
        "database": database,
        "rij": naam,
        "e2e_per_s": e2e,
        "pct_van_ruw": round(100 * e2e / ruw, 1) if ruw else None,
        "pct_van_rabbitmq": round(100 * e2e / rmq, 1) if rmq else None,
        "submit_p50_ms": r.get("submit", {}).get("p50_ms"),
        "submit_p99_ms": r.get("submit", {}).get("p99_ms"),
        "per_verzending": r.get("per_verzending", 1),
        "server_cpu_ms": per.get("server"),
        "postgres_cpu_ms": per.get("postgres"),
        "lastgever_cpu_ms": per.get("lastgever"),
        "overig_cpu_ms": per.get("overig"),
        "bevestigd": r.get("bevestigd"),
        "berichten": r.get("berichten"),
        "fouten": sum(r.get("fouten", {}).values()),
    }


def samenvatting_rijen(resultaten: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of the summary table: raw driver, hub per worker count (single submits and
    verzendingen), the nginx topology, RabbitMQ."""
    rmq_run = resultaten.get("rabbitmq", {})
    rmq = rmq_run.get("e2e_per_s") if "overgeslagen" not in rmq_run else None
    rijen = []
    for soort, res in resultaten["databases"].items():
        ruw = res.get("ruw", {}).get("e2e_per_s")
        if "ruw" in res:
            driver = "psycopg" if soort == "postgresql" else "sqlite3"
            rijen.append(_rij(soort, f"raw driver ({driver})", res["ruw"], ruw, rmq))
        for naam, run in res.get("runs", {}).items():
            if "doorvoer" in run:
                rijen.append(_rij(soort, f"hub {naam}", run["doorvoer"], ruw, rmq))
            if "doorvoer_vol" in run:
                v = run["doorvoer_vol"]
                rijen.append(_rij(soort, f"hub {naam} pages~{v.get('gem_paginagrootte')}", v, ruw, rmq))
            if "verzendingen" in run:
                v = run["verzendingen"]
                rijen.append(_rij(soort, f"hub {naam} verz. of {v.get('per_verzending')}", v, ruw, rmq))
        tp = res.get("topologie", {})
        for sleutel, titel in (
            ("direct", "1 node, built-in TLS"),
            ("nginx_1", "nginx + 1 node"),
            ("nginx_2", "nginx + 2 nodes"),
        ):
            if sleutel in tp:
                rijen.append(_rij(soort, titel, tp[sleutel], ruw, rmq))
    if rmq:
        rijen.append(_rij("-", f"{rmq_run.get('broker', 'RabbitMQ')} (broker)", rmq_run, None, rmq))
    return rijen


def _getal(v: Any, breedte: int, decimalen: int = 1) -> str:
    return f"{v:>{breedte}.{decimalen}f}" if isinstance(v, int | float) else f"{'-':>{breedte}}"


def _samenvatting(resultaten: dict[str, Any]) -> None:
    print("\n== summary ==")
    m = resultaten["machine"]
    print(
        f"machine: nproc {m['nproc']}, {m['cpu']}, {m['geheugen_gib']} GiB, Python {m['python']}, "
        f"kernel {m['kernel']}; code {resultaten['code']}; load generator {resultaten.get('lastgever')}"
    )
    if "ijkmaat_ms" in m:
        print(
            f"machine speed today: {IJK_OPTELLINGEN:,} Python additions in {m['ijkmaat_ms']} ms "
            "(lower is faster; compare figures of two runs only beside this)"
        )
    if "sdk" in resultaten:
        sdk.toon(resultaten["sdk"])
    rijen = samenvatting_rijen(resultaten)
    resultaten["samenvatting"] = {
        "machine": {"nproc": m["nproc"], "cpu": m["cpu"]},
        "code": resultaten["code"],
        "rijen": rijen,
    }
    if rijen:
        print(
            "CPU ms per confirmed message: server = knooppunt serve tree (+ nginx; raw driver: its own "
            "process; RabbitMQ: beam.smp), pg = backends of the bench database only, loadgen = the load "
            "generator's processes, other = the rest of the machine (noise)"
        )
        print(
            f"{'database':<11} {'row':<34} {'e2e msg/s':>9} {'% raw':>6} {'% RMQ':>6} "
            f"{'submit p50':>10} {'p99 ms':>8} {'server':>7} {'pg':>6} {'loadgen':>7} {'other':>6}  n"
        )
        for r in rijen:
            print(
                f"{r['database']:<11} {r['rij']:<34} {_getal(r['e2e_per_s'], 9)} "
                f"{_getal(r['pct_van_ruw'], 6)} {_getal(r['pct_van_rabbitmq'], 6)} "
                f"{_getal(r['submit_p50_ms'], 10)} {_getal(r['submit_p99_ms'], 8)} "
                f"{_getal(r['server_cpu_ms'], 7, 2)} {_getal(r['postgres_cpu_ms'], 6, 2)} "
                f"{_getal(r['lastgever_cpu_ms'], 7, 2)} {_getal(r['overig_cpu_ms'], 6, 2)}  "
                f"{r['bevestigd']}/{r['berichten']}" + (f" FOUTEN {r['fouten']}" if r["fouten"] else "")
            )
        hub = [r for r in rijen if r["rij"].startswith("hub ")]
        for r in hub:
            delen = []
            if r["pct_van_ruw"] is not None:
                delen.append(f"hub/raw driver {r['pct_van_ruw'] / 100:.3f}")
            if r["pct_van_rabbitmq"] is not None:
                delen.append(f"hub/RabbitMQ {r['pct_van_rabbitmq'] / 100:.3f}")
            if delen:
                print(f"ratio {r['database']} {r['rij']}: " + ", ".join(delen))
    if "overgeslagen" in resultaten.get("rabbitmq", {}):
        print(f"rabbitmq: skipped: {resultaten['rabbitmq']['overgeslagen']}")
    for soort, res in resultaten["databases"].items():
        for naam, run in res.get("runs", {}).items():
            for tempo, t in run.get("tempo", {}).items():
                print(
                    f"{soort:<11} tempo {tempo}/s {naam}: achieved {t.get('e2e_per_s')}/s, submit p50/p99 "
                    f"{t.get('submit', {}).get('p50_ms')}/{t.get('submit', {}).get('p99_ms')} ms, p99 from "
                    f"due time {t.get('submit_vanaf_gepland', {}).get('p99_ms')} ms"
                )
        pr = res.get("portaal", {})
        if "upload" in pr:
            print(
                f"{soort:<11} portaal: zip of {pr['n_zip']:,} {pr['zip_eerste']['wand_s']} s; upload of "
                f"{pr['n_upload']:,} answers {pr['upload']['wand_s']} s (questions confirmed first), "
                f"{pr['upload_onbevestigd']['wand_s']} s (not confirmed)"
            )
        for stap in res.get("inbox", {}).get("stappen", []):
            for v in ("standaard", "nodelay"):
                if v in stap:
                    print(
                        f"{soort:<11} inbox {stap['open']:>9,} open "
                        f"({v}): p50 {stap[v]['tijden']['p50_ms']} ms, "
                        f"p90 {stap[v]['tijden']['p90_ms']} ms"
                    )


def main(argv: list[str] | None = None) -> int:
    a = _args(argv)
    omgeving.RUST_MAX_SECONDEN = (
        a.rust_seconden if a.rust_seconden is not None else (10.0 if a.quick else 60.0)
    )
    uit = a.out or HIER / "results" / datetime.now().strftime("%Y%m%d-%H%M%S")
    uit.mkdir(parents=True, exist_ok=True)
    if a.workers:
        workers = [int(w) for w in a.workers.split(",")]
    else:
        workers = [1, 2] if omgeving.serve_kent_workers() else [1]
    if any(w != 1 for w in workers) and not omgeving.serve_kent_workers():
        print("knooppunt serve has no --workers option yet: measuring with 1 worker only", flush=True)
        workers = [1]
    databases = ["sqlite", "postgresql"] if a.database == "both" else [a.database]
    resultaten: dict[str, Any] = {
        "machine": omgeving.machine(),
        "commando": " ".join(["python", "bench/run.py", *(argv or sys.argv[1:])]),
        "gestart": datetime.now().isoformat(timespec="seconds"),
        "code": omgeving.code_versie(),
        "workers": workers,
        "lastgever": (
            f"rauw ({a.zend_processen} sender processes, "
            + (
                f"{a.ontvang_processen} receiver processes)"
                if a.ontvang_processen
                else "a receiver process per recipient)"
            )
            if a.lastgever == "rauw"
            else "httpx (threads in one process)"
        ),
        "databases": {},
    }
    print(f"machine: {resultaten['machine']}; workers: {workers}; results in {uit}", flush=True)
    scenarios = set(a.scenario or SCENARIOS)
    if "sdk" in scenarios:
        print("\n== sdk ==", flush=True)
        resultaten["sdk"] = sdk.meet(seconden=0.3 if a.quick else 1.0, rondes=3 if a.quick else 9)
        sdk.toon(resultaten["sdk"])
        (uit / "resultaten.json").write_text(json.dumps(resultaten, indent=2, default=str))
    if "dagsleutels" in scenarios:
        print("\n== dagsleutels ==", flush=True)
        resultaten["dagsleutels"] = dagsleutels.meet(databases=databases, pg_url=a.pg_url, quick=a.quick)
        dagsleutels.toon(resultaten["dagsleutels"])
        (uit / "resultaten.json").write_text(json.dumps(resultaten, indent=2, default=str))
    if not scenarios - {"sdk", "dagsleutels", "rabbitmq"}:
        databases = []
    rabbit = "rabbitmq" in scenarios
    if rabbit:
        ok, waarom = rabbitmq.bereikbaar(a.amqp_url)
        if not ok:
            print(f"\n== rabbitmq ==\n  skipped: {waarom}", flush=True)
            resultaten["rabbitmq"] = {"overgeslagen": waarom}
            rabbit = False
    if databases or rabbit:
        with tempfile.TemporaryDirectory(prefix="knooppunt-bench-") as tmp:
            werk = Path(tmp)
            pki = omgeving.maak_pki(werk / "pki")
            t0 = time.perf_counter()
            inhouden = {
                (i, j): omgeving.verzegel_inhoud(shv, se)
                for i, shv in enumerate(pki.shv)
                for j, se in enumerate(pki.se)
            }
            lengtes = sorted({len(v) for v in inhouden.values()})
            print(
                f"sealed {len(inhouden)} JWEs ({lengtes[0]}–{lengtes[-1]} "
                f"bytes) in {time.perf_counter() - t0:.1f} s",
                flush=True,
            )
            resultaten["jwe_bytes"] = lengtes
            if rabbit:
                print("\n== rabbitmq ==", flush=True)
                try:
                    n = a.berichten or (1_000 if a.quick else 5_000)
                    r = rabbitmq.meet(
                        belasting.bereid_voor(pki, inhouden, n),
                        url=a.amqp_url,
                        threads=a.threads,
                        processen=a.zend_processen,
                        max_seconden=a.max_seconden,
                    )
                    resultaten["rabbitmq"] = r
                    if "overgeslagen" in r:
                        print(f"  skipped: {r['overgeslagen']}", flush=True)
                    else:
                        _toon(r["broker"], r)
                except Exception:
                    traceback.print_exc()
                    resultaten["rabbitmq"] = {"overgeslagen": traceback.format_exc()}
                (uit / "resultaten.json").write_text(json.dumps(resultaten, indent=2, default=str))
            for soort in databases:
                werk_db = werk / soort
                werk_db.mkdir()
                try:
                    resultaten["databases"][soort] = _bench_database(
                        soort, a, pki, inhouden, werk_db, workers, uit
                    )
                except Exception:  # one database failing must not lose the other's figures
                    traceback.print_exc()
                    resultaten["databases"][soort] = {"runs": {}, "fout": traceback.format_exc()}
                (uit / "resultaten.json").write_text(json.dumps(resultaten, indent=2, default=str))
    _samenvatting(resultaten)
    (uit / "resultaten.json").write_text(json.dumps(resultaten, indent=2, default=str))
    print(f"\nresults: {uit / 'resultaten.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
