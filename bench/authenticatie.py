"""What authentication costs an authenticated GET, with and without the cache of verified
certificates (api.auth.Authenticatiecache; docs/decisions/0021-authenticatie-cache.md), in one
process and one run: the whole app through a TestClient (no TLS, no network), the certificate in
the TLS scope as the built-in server hands it over, blocks of requests with and without the cache
taking turns so that both see the same machine; log level WARNING (no line per request).

    PYTHONPATH=src python3 bench/authenticatie.py [--database sqlite|postgresql|both] [--n 1000]

On code without the cache (e.g. an older commit's src/ first on PYTHONPATH) it measures the one
way there is, so that the figures of two trees can be set side by side."""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

import knooppunt
from knooppunt import logging as kp_logging
from knooppunt import runtime as runtime_mod
from knooppunt.api import deps
from knooppunt.app import create_app
from omgeving import (
    PG_STANDAARD,
    code_versie,
    maak_pki,
    machine,
    migreer_en_registreer,
    settings_voor,
    verse_database,
)

ONBEKEND = "/berichten/00000000-0000-4000-8000-000000000000"


class MetCertificaat:
    """The client certificate in the scope, where the built-in TLS server puts it (api.tls)."""

    def __init__(self, app: Any, pem: str) -> None:
        self.app = app
        self.pem = pem

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "extensions": {"tls": {"client_cert_chain": [self.pem]}}}
        await self.app(scope, receive, send)


def _blok(client: TestClient, pad: str, status: int, n: int) -> tuple[float, float]:
    """(wall ms, CPU ms) per request over n requests."""
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        r = client.get(pad)
        assert r.status_code == status, r.text
    return 1000 * (time.perf_counter() - t0) / n, 1000 * (time.process_time() - c0) / n


def meet(database_url: str, werkmap: Path, *, n: int, blokken: int) -> dict[str, Any]:
    pki = maak_pki(werkmap / "pki", aantal_shv=1, aantal_se=1)
    migreer_en_registreer(database_url, werkmap / "data", pki)
    rt = runtime_mod.bouw(settings_voor(database_url, werkmap / "data", pki), upgrade=False)
    heeft_cache = hasattr(deps, "authenticaties")
    echt: Callable[..., Any] | None = getattr(deps, "authenticaties", None)
    standen = ["met cache", "zonder cache"] if heeft_cache else ["zonder cache (code zonder cache)"]
    uit: dict[str, Any] = {}
    try:
        with TestClient(
            MetCertificaat(create_app(rt), pki.se[0].pem), base_url="https://testserver/api/v1"
        ) as c:
            for pad, status, naam in (
                (ONBEKEND, 404, "GET /berichten/{onbekend} (auth + 1 query, 404)"),
                ("/berichten", 200, "GET /berichten (lege inbox)"),
            ):
                tijden: dict[str, list[tuple[float, float]]] = {stand: [] for stand in standen}
                _blok(c, pad, status, 50)  # warm: connections, the chain cache, the statements
                for _ in range(blokken):
                    for stand in standen:
                        if stand == "zonder cache":
                            deps.authenticaties = lambda _request: None  # type: ignore[attr-defined]
                        tijden[stand].append(_blok(c, pad, status, n))
                        if echt is not None:
                            deps.authenticaties = echt  # type: ignore[attr-defined]
                uit[naam] = {
                    stand: {
                        "wand_ms": round(statistics.median(w for w, _ in t), 3),
                        "cpu_ms": round(statistics.median(c for _, c in t), 3),
                    }
                    for stand, t in tijden.items()
                }
    finally:
        rt.close()
    return uit


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--pg-url", default=PG_STANDAARD)
    p.add_argument("--n", type=int, default=1000, help="requests per block")
    p.add_argument("--blokken", type=int, default=5, help="blocks per way (median reported)")
    args = p.parse_args(argv)
    # The request log line costs the same either way; left out, the difference stands out.
    kp_logging.configureer(json=True, niveau=logging.WARNING)
    soorten = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    resultaat: dict[str, Any] = {
        "src": str(Path(knooppunt.__file__).parent),
        "code": code_versie(),  # of this bench's tree: with another src/ on PYTHONPATH, see "src"
        "machine": machine(),
        "n": args.n,
        "blokken": args.blokken,
    }
    for soort in soorten:
        with tempfile.TemporaryDirectory(prefix="kp-auth-") as tmp:
            werkmap = Path(tmp)
            with verse_database(soort, werkmap, args.pg_url, "auth") as db:
                resultaat[soort] = meet(db.url, werkmap, n=args.n, blokken=args.blokken)
    json.dump(resultaat, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
