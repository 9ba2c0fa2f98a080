"""The production topology's throughput (DESIGN §8, docs/scaling.md): Debian's nginx terminating
mutual TLS in front of one and then two `knooppunt serve --uds` nodes on one PostgreSQL, with the
closed-loop load of the doorvoer scenario (submit, fetch, confirm; the load generator chosen in
bench/run.py, by default the raw-TLS one of bench/lastgever.py), beside one node with its built-in
TLS and no proxy. Server CPU is that of nginx (master and workers) and every node; PostgreSQL's that
of the backends of the topologie database.

nginx and the nodes are started the way tests/functional/test_topologie.py starts them
(tests/functional/nginx.py): nginx as a child process with its own configuration, never the
system service.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import belasting
import omgeving

sys.path.insert(0, str(omgeving.REPO))

from tests.functional.nginx import Nginx, Node, korte_map, nginx_pad, start_nginx, start_node


@dataclass
class NginxHub(omgeving.Hub):
    """nginx and its nodes seen as one hub by bench/belasting.py: its URL is nginx's, its CPU is
    that of nginx and every node."""

    nginx: Nginx | None = None
    nodes: list[Node] = field(default_factory=list)

    def pids(self) -> list[int]:
        pids: list[int] = []
        for wortel in self.wortels():
            pids += [wortel, *omgeving.nakomelingen(wortel)]
        return pids

    def wortels(self) -> list[int]:
        return ([self.nginx.proces.pid] if self.nginx else []) + [node.proces.pid for node in self.nodes]


@contextmanager
def topologie(db: omgeving.Database, data: Path, pki: omgeving.Pki, *, nodes: int) -> Iterator[NginxHub]:
    korte = korte_map("kp-bench-")
    try:
        with ExitStack() as stapel:
            sockets = [korte / f"node-{i}.sock" for i in range(nodes)]
            gestart = []
            for i, pad in enumerate(sockets):
                log = stapel.enter_context(open(data / f"node-{i}-{korte.name}.log", "wb"))
                gestart.append(
                    stapel.enter_context(
                        start_node(
                            f"node-{i}",
                            pad,
                            database_url=db.url,
                            data_dir=data,
                            pki_dir=pki.map,
                            stdout=log.fileno(),
                        )
                    )
                )
            nginx = stapel.enter_context(
                start_nginx(korte / "nginx", sockets=sockets, pki_dir=pki.map, access_log=False)
            )
            hub = NginxHub(
                url=nginx.url,
                proces=nginx.proces,
                log=korte / "nginx" / "error.log",
                pki=pki,
                workers=nodes,
                versie=omgeving.code_versie(),
                nginx=nginx,
                nodes=gestart,
                db=db,
            )
            try:
                yield hub
            finally:
                hub.sluit_clients()
    finally:
        shutil.rmtree(korte, ignore_errors=True)


Belast = Callable[..., dict[str, Any]]  # (hub, pki, berichten, *, threads, max_seconden, …)


def _run(
    belast: Belast,
    hub: omgeving.Hub,
    pki: omgeving.Pki,
    inhouden: dict[tuple[int, int], str],
    n: int,
    threads: int,
    max_seconden: float,
) -> dict[str, Any]:
    belast(
        hub,
        pki,
        belasting.bereid_voor(pki, inhouden, min(400, max(100, n))),
        threads=threads,
        max_seconden=60,
        wacht_rust=False,
    )  # warm-up: pools, caches, statement cache
    return belast(
        hub, pki, belasting.bereid_voor(pki, inhouden, n), threads=threads, max_seconden=max_seconden
    )


def meet(
    db: omgeving.Database,
    data: Path,
    pki: omgeving.Pki,
    inhouden: dict[tuple[int, int], str],
    *,
    n: int,
    threads: int,
    max_seconden: float,
    belast: Belast | None = None,
) -> dict[str, Any]:
    """msg/s end to end: one node with built-in TLS, then nginx with one and with two nodes."""
    pad = nginx_pad()
    if pad is None:
        print("  topologie: nginx is not installed (apt-get install nginx-light); skipped", flush=True)
        return {"overgeslagen": "nginx ontbreekt"}
    versie = subprocess.run([pad, "-v"], capture_output=True, text=True, check=False).stderr.strip()
    uit: dict[str, Any] = {"nginx": versie, "threads": threads, "berichten": n}
    if belast is None:
        import lastgever

        def belast(hub: omgeving.Hub, _pki: omgeving.Pki, berichten: list[Any], **kw: Any) -> dict[str, Any]:
            return lastgever.draai(hub, berichten, **kw)

    with omgeving.start_hub(db, data, pki, workers=1) as hub:
        uit["direct"] = _run(belast, hub, pki, inhouden, n, threads, max_seconden)
    for aantal in (1, 2):
        with topologie(db, data, pki, nodes=aantal) as hub:
            uit[f"nginx_{aantal}"] = _run(belast, hub, pki, inhouden, n, threads, max_seconden)
    return uit


def toon(r: dict[str, Any]) -> None:
    if "overgeslagen" in r:
        return
    print(f"  topologie ({r['nginx']}, {r['threads']} sending threads, {r['berichten']} messages per run):")
    for sleutel, titel in (
        ("direct", "1 node, built-in TLS"),
        ("nginx_1", "nginx + 1 node (--uds)"),
        ("nginx_2", "nginx + 2 nodes (--uds)"),
    ):
        d = r[sleutel]
        cpu = d.get("cpu", {})
        per = d.get("cpu_ms_per_bericht", {})
        print(
            f"    {titel:<26} {d['e2e_per_s']:>8.1f} msg/s e2e  submit p50/p99 "
            f"{d['submit'].get('p50_ms', 0):.1f}/{d['submit'].get('p99_ms', 0):.1f} ms  "
            f"n={d['bevestigd']}/{d['berichten']}  CPU ms/msg: server {per.get('server')} "
            f"pg {per.get('postgres')} loadgen {per.get('lastgever')} other {per.get('overig')} "
            f"(machine {cpu.get('machine_bezet_pct')}% busy)"
            + (f"  FOUTEN {d['fouten']}" if d.get("fouten") else ""),
            flush=True,
        )
