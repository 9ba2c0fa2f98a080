"""The production topology, measured (DESIGN §8): Debian's nginx terminates mutual TLS and passes
the escaped client certificate to two `knooppunt serve --uds` nodes on one PostgreSQL. Under a
retrying load through nginx, one node is killed (SIGKILL): the other keeps serving, every
acknowledged message is stored exactly once, and the killed node, started again, takes its share.

nginx runs as a child of the test with its own configuration (tests/functional/nginx.py). Skipped
without nginx or PostgreSQL, unless CI=true: then that is a failure.
"""

from __future__ import annotations

import shutil
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from knooppunt.runtime import Runtime
from tests.factories import Partij
from tests.functional.belasting import (
    PG_URL,
    Fouten,
    HubLog,
    Poging,
    Termijn,
    alle_paginas,
    berichten_in_database,
    bewijs,
    verzegel,
    zend_tot_erkend,
)
from tests.functional.nginx import Node, korte_map, nginx_pad, start_nginx, start_node
from tests.functional.server import Hub, mtls_client
from tests.node import _ci

PER_ZENDER = 60  # four client threads: 240 messages
# Seconds for the load phase, the kill and the restart included: a guard against hanging.
TIJDSLIMIET = 120.0


def _vereist(reden: str | None) -> None:
    if reden:
        if _ci():
            pytest.fail(f"CI=true: {reden}")
        pytest.skip(reden)


@pytest.fixture
def korte(tmp_path: Path) -> Iterator[Path]:
    map_ = korte_map()
    yield map_
    shutil.rmtree(map_, ignore_errors=True)


def _als_hub(node: Node) -> Hub:
    """A node seen as a Hub, so that HubLog reads its drained log."""
    return Hub(url=f"unix:{node.uds}", poort=0, proces=node.proces, ca=Path(), log=node.log)


@pytest.mark.slow
@pytest.mark.parametrize("database_url", [pytest.param("postgresql", id="postgresql")], indirect=True)
def test_nginx_twee_nodes_een_node_gedood_niets_kwijt(
    cast: dict[str, Partij], rt: Runtime, database_url: str, tmp_path: Path, pki_dir: Path, korte: Path
) -> None:
    energie = cast["energie"]
    zenders = [cast["gemeente"], cast["gemeente"], cast["kredietbank"], cast["kredietbank"]]
    conversaties = {z.oin: [str(uuid.uuid4()) for _ in range(6)] for z in zenders}
    werk = [verzegel(z, energie, PER_ZENDER, conversaties=conversaties[z.oin]) for z in zenders]
    verzegeld = {env["referentienummer"]: env for lijst in werk for env in lijst}
    totaal = len(verzegeld)
    pogingen = {ref: Poging() for ref in verzegeld}
    fouten = Fouten()
    logs: list[HubLog] = []
    sockets = [korte / "node-0.sock", korte / "node-1.sock"]

    def erkend() -> int:
        return sum(1 for p in pogingen.values() if p.status is not None)

    with ExitStack() as stapel:

        def start(nr: int, naam: str) -> tuple[Node, HubLog]:
            node = stapel.enter_context(
                start_node(
                    naam, sockets[nr], database_url=database_url, data_dir=tmp_path / "data", pki_dir=pki_dir
                )
            )
            log = HubLog(_als_hub(node), naam)
            logs.append(log)
            return node, log

        # One after the other: the first start makes the development master key both share.
        node0, log0 = start(0, "node-0")
        _node1, log1 = start(1, "node-1")
        nginx = stapel.enter_context(start_nginx(korte / "nginx", sockets=sockets, pki_dir=pki_dir))
        ca = pki_dir / "ca.pem"

        # Without a client certificate nginx answers 400 itself: no request reaches a node.
        with mtls_client(nginx.url, ca, None) as anoniem:
            r = anoniem.get("/berichttypen")
        assert r.status_code == 400 and "No required SSL certificate" in r.text, r.text
        # With one, the node checks the forwarded certificate's registration (DESIGN §5).
        with mtls_client(nginx.url, ca, energie) as se:
            assert se.get("/berichttypen").status_code == 200
            # A body over nginx's default 1 MiB (a message with a 1 MiB PDF is about 1.4 MB) reaches
            # the hub, which judges it (operations.md: client_max_body_size above the hub's limit).
            groot = se.post("/berichten", json={"referentienummer": "x" * (2 * 1024 * 1024)})
            assert groot.status_code == 400, groot.text[:300]
            assert groot.headers["content-type"] == "application/problem+json"

        begin = time.monotonic()
        termijn = Termijn(TIJDSLIMIET)
        threads = [
            threading.Thread(
                target=zend_tot_erkend,
                args=(nginx.url, ca, zender, lijst, nr, pogingen, fouten, termijn),
                kwargs={"via_proxy": True},
                name=f"zender-{nr}",
            )
            for nr, (zender, lijst) in enumerate(zip(zenders, werk, strict=True))
        ]
        for t in threads:
            t.start()
        stapel.callback(termijn.stop_en_wacht, threads)  # also when the test fails halfway

        def wacht_tot(drempel: int) -> None:
            while erkend() < drempel and termijn.over() > 0 and any(t.is_alive() for t in threads):
                time.sleep(0.01)

        # Both nodes serve before the kill.
        wacht_tot(totaal // 3)
        voor_kill = {log.naam: sum(log.statussen().values()) for log in (log0, log1)}
        gedood_na = erkend()
        node0.stop(signal.SIGKILL)
        assert node0.proces.returncode == -signal.SIGKILL

        # node-1 alone carries the load while node-0 is dead.
        wacht_tot(2 * totaal // 3)
        alleen_node1 = erkend() - gedood_na
        assert alleen_node1 > 0, "na de kill werd niets meer erkend\n" + bewijs(fouten, logs, tmp_path)
        assert sum(log1.statussen().values()) > voor_kill["node-1"]

        # node-0 again, on the same socket; nginx takes it back once its fail_timeout is over.
        _node0b, log0b = start(0, "node-0-herstart")

        for t in threads:
            t.join(max(0.0, termijn.over()) + 10)
        duur = time.monotonic() - begin
        assert not any(t.is_alive() for t in threads), "threads hangen\n" + bewijs(fouten, logs, tmp_path)
        assert not fouten, bewijs(fouten, logs, tmp_path)
        assert erkend() == totaal
        for ref, poging in pogingen.items():
            assert poging.antwoord["referentienummer"] == ref
            if poging.status == 200:
                assert poging.pogingen > 1, f"{ref}: 200 zonder eerdere poging"

        # The recipient fetches through nginx (both nodes up): every message exactly once, intact.
        with mtls_client(nginx.url, ca, energie, timeout=httpx.Timeout(30.0)) as se:
            inbox = alle_paginas(se, "/berichten", {"limit": 50})
            # A few more requests, so that round-robin certainly reaches the restarted node.
            for _ in range(6):
                assert se.get("/berichten", params={"limit": 1}).status_code == 200
        per_ref = Counter(b["referentienummer"] for b in inbox)
        assert not {ref: n for ref, n in per_ref.items() if n != 1}, "dubbel in de inbox"
        assert set(per_ref) == set(verzegeld)
        for b in inbox:
            assert b["inhoud"] == verzegeld[b["referentienummer"]]["inhoud"], b["referentienummer"]

        # The database: one row per message sent, each with its ciphertext.
        rijen, inhoud = berichten_in_database(database_url)
        assert Counter(r["referentienummer"] for r in rijen) == Counter(verzegeld.keys())
        assert inhoud.keys() == verzegeld.keys()

        # The restarted node serves again; no node answered a 5xx (a 502 is nginx's, for a request
        # that was in flight on the killed node).
        assert sum(log0b.statussen().values()) > 0, (
            "de herstarte node kreeg geen verzoeken\n" + log0b.staart()
        )
        statussen = {log.naam: log.statussen() for log in logs}
        assert all(s < 500 for per_node in statussen.values() for s in per_node), bewijs(
            fouten, logs, tmp_path
        )
        assert all(voor_kill.values()), f"niet beide nodes kregen verzoeken voor de kill: {voor_kill}"
        toegang = (nginx.map / "access.log").read_text(errors="replace").splitlines()
        proxyfouten = sum(1 for regel in toegang if '" 502 ' in regel or '" 504 ' in regel)
        netwerkfouten = sum(p.netwerkfouten for p in pogingen.values())
        herhaald = sum(1 for p in pogingen.values() if p.status == 200)
        print(
            f"\n{totaal} berichten via nginx over 2 nodes, node-0 SIGKILL na {gedood_na} erkend, "
            f"{alleen_node1} erkend door node-1 alleen; {duur:.1f}s; {netwerkfouten} netwerk-/proxyfouten "
            f"(waarvan {proxyfouten} 502/504 van nginx), "
            f"{herhaald} herhalingen met 200; statussen {statussen}"
        )


@pytest.fixture(autouse=True)
def _benodigdheden() -> None:
    _vereist(None if nginx_pad() else "nginx is niet geïnstalleerd (apt-get install nginx-light)")
    _vereist(
        None if PG_URL else "KNOOPPUNT_TEST_DATABASE_URL is niet gezet: deze topologie draait op PostgreSQL"
    )
