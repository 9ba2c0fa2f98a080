"""The expiry sweep (DESIGN §6, issue 4): how long expiring N due messages takes, and what a sweep
that finds nothing costs as the number of pending (not yet due) messages grows.

The sweep is the job function itself (`knooppunt.jobs.verlopen.verloop_alles`), called in-process
on a fresh database filled straight through the driver (`ruwe_db.laad_bulk`): due messages with
`verloopt_op` in the past, pending ones 30 days ahead.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import omgeving
import ruwe_db
from knooppunt import runtime as runtime_mod
from knooppunt.jobs import verlopen
from knooppunt.store.db import db_nu


def _sweep(rt: runtime_mod.Runtime) -> tuple[int, float, float]:
    """(expired, wall seconds, CPU seconds of this process) for one full sweep."""
    with rt.sessions() as session:
        nu = db_nu(session)
    t0, c0 = time.perf_counter(), time.process_time()
    aantal = verlopen.verloop_alles(rt.sessions, nu=nu, instellingen=rt.instellingen)
    return aantal, time.perf_counter() - t0, time.process_time() - c0


def meet(
    soort: str, werk: Path, pg_url: str, pki: omgeving.Pki, jwe: str, *, due: int, stappen: list[int]
) -> dict[str, Any]:
    uit: dict[str, Any] = {}
    with omgeving.verse_database(soort, werk, pg_url, "verlopen") as db:
        data = werk / "data-verlopen"
        omgeving.migreer_en_registreer(db.url, data, pki)
        rt = runtime_mod.bouw(omgeving.settings_voor(db.url, data, pki), upgrade=False)
        try:
            laad = ruwe_db.laad_bulk(
                db, aantal=due, gemeten_oin=pki.se[0].oin, jwe=jwe, verloopt_over_dagen=-1
            )
            omgeving.wacht_op_rust()
            aantal, wand, cpu = _sweep(rt)
            uit["verlopen"] = {
                "due": due,
                "verlopen": aantal,
                "wand_s": round(wand, 2),
                "cpu_s": round(cpu, 2),
                "per_s": round(aantal / wand) if wand else None,
                "laadtijd_s": round(laad, 1),
            }
            print(
                f"  expiry sweep of {due:,} due messages: {aantal:,} expired in {wand:.2f} s wall "
                f"({cpu:.2f} s CPU here, {uit['verlopen']['per_s']:,}/s; load {laad:.0f} s)",
                flush=True,
            )
            uit["leeg"] = []
            geladen = 0
            for doel in stappen:
                ruwe_db.laad_bulk(db, aantal=doel - geladen, gemeten_oin=pki.se[0].oin, jwe=jwe)
                geladen = doel
                omgeving.wacht_op_rust()
                tijden = []
                for _ in range(30):
                    aantal, wand, _cpu = _sweep(rt)
                    assert aantal == 0
                    tijden.append(wand * 1000)
                tijden.sort()
                stap = {
                    "pending": doel,
                    "p50_ms": round(statistics.median(tijden), 2),
                    "p90_ms": round(tijden[int(len(tijden) * 0.9)], 2),
                    "max_ms": round(tijden[-1], 2),
                }
                uit["leeg"].append(stap)
                print(
                    f"  empty sweep at {doel:>9,} pending: p50 {stap['p50_ms']} ms, p90 {stap['p90_ms']} ms, "
                    f"max {stap['max_ms']} ms",
                    flush=True,
                )
        finally:
            rt.close()
    return uit
