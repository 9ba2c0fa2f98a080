"""A peer for the hub's figures: the same closed loop through RabbitMQ on the same machine.

One durable queue per recipient (as the hub has one inbox per creditor); the bodies are the same
envelopes the hub gets (2 KB JWE, ~2.4 KB of JSON), persistent (delivery_mode=2), published with
publisher confirms (BlockingConnection: each publish waits for its confirm, as a submit waits for
its 201) over `threads` connections in `processen` publisher processes; one consumer per queue with
manual acks (basic_qos prefetch 100, acked with multiple=True every 50 messages or when the queue
goes quiet) — like a page fetched and then confirmed. msg/s from the first publish to the last
ack; broker CPU per message from /proc (beam.smp and its children). pika:
``pip install 'knooppunt[bench]'``.

    python bench/run.py --scenario rabbitmq [--amqp-url amqp://guest:guest@127.0.0.1:5672/%2F]
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

from belasting import Klaar, percentielen
from lastgever import FORK, Deeluitkomst, Gedeeld, _bewaakt, _cpu, _wacht_op_start
from omgeving import CpuMeter, per_bericht_ms, pids_met_naam, wacht_op_rust

AMQP_STANDAARD = "amqp://guest:guest@127.0.0.1:5672/%2F"


def _verbind(url: str) -> Any:
    import pika

    return pika.BlockingConnection(pika.URLParameters(url))


def bereikbaar(url: str) -> tuple[bool, str]:
    """(True, broker version) or (False, why not)."""
    try:
        import pika  # noqa: F401
    except ImportError:
        return False, "pika ontbreekt (pip install pika)"
    try:
        conn = _verbind(url)
    except Exception as exc:
        return False, f"RabbitMQ niet bereikbaar op {url}: {exc!r}"
    try:
        eigenschappen = conn._impl.server_properties
        versie = eigenschappen.get("version", b"?")
        return True, versie.decode() if isinstance(versie, bytes) else str(versie)
    except Exception:
        return True, "?"
    finally:
        conn.close()


def _publiceer_proces(
    g: Gedeeld, url: str, wachtrijen: list[str], berichten: list[Klaar], threads: int, max_seconden: float
) -> None:
    import pika

    uit = Deeluitkomst("zender")
    slot = threading.Lock()
    kanalen = []
    verbindingen = []
    for _ in range(threads):
        conn = _verbind(url)
        kanaal = conn.channel()
        kanaal.confirm_delivery()
        verbindingen.append(conn)
        kanalen.append(kanaal)
    t0 = _wacht_op_start(g)
    cpu0 = _cpu()
    einde = t0 + max_seconden
    n = len(berichten)

    def draad(kanaal: Any) -> None:
        while time.perf_counter() < einde:
            with g.teller.get_lock():
                i = g.teller.value
                g.teller.value = i + 1
            if i >= n:
                return
            k = berichten[i]
            begin = time.perf_counter()
            try:
                kanaal.basic_publish(
                    "",
                    wachtrijen[k.ontvanger],
                    k.body,
                    pika.BasicProperties(delivery_mode=2, message_id=str(i)),
                    mandatory=True,
                )
            except Exception as exc:
                with slot:
                    uit.fout("publish", repr(exc))
                continue
            eind = time.perf_counter()
            with slot:
                uit.verstuurd += 1
                uit.submit_lat.append(eind - begin)
                uit.starts.append((i, begin))
                uit.laatste_submit = max(uit.laatste_submit, eind)

    draden = [threading.Thread(target=draad, args=(k,)) for k in kanalen]
    for d in draden:
        d.start()
    for d in draden:
        d.join()
    uit.cpu_s = _cpu() - cpu0
    for conn in verbindingen:
        conn.close()
    g.resultaten.put(uit)


def _consumeer_proces(
    g: Gedeeld, url: str, wachtrijen: list[tuple[str, int]], prefetch: int, ack_elke: int, max_seconden: float
) -> None:
    uit = Deeluitkomst("ontvanger")
    slot = threading.Lock()
    kanalen = []
    verbindingen = []
    for _ in wachtrijen:
        conn = _verbind(url)
        kanaal = conn.channel()
        kanaal.basic_qos(prefetch_count=prefetch)
        verbindingen.append(conn)
        kanalen.append(kanaal)
    t0 = _wacht_op_start(g)
    cpu0 = _cpu()
    einde = t0 + max_seconden

    def draad(kanaal: Any, wachtrij: str, verwacht: int) -> None:
        ontvangen = stil = 0
        open_: list[int] = []
        laatste_tag = 0

        def ack() -> None:
            nonlocal open_
            if not open_:
                return
            kanaal.basic_ack(laatste_tag, multiple=True)
            t = time.perf_counter()
            with slot:
                uit.bevestigd += len(open_)
                uit.bevestigingen.extend((i, t) for i in open_)
                uit.groottes.append(len(open_))
                uit.laatste_bevestiging = max(uit.laatste_bevestiging, t)
            open_ = []

        for methode, eigenschappen, _body in kanaal.consume(wachtrij, inactivity_timeout=0.02):
            if methode is None:
                ack()
                if ontvangen >= verwacht or time.perf_counter() > einde:
                    break
                if g.zenders_klaar.is_set():
                    stil += 1
                    if stil >= 50:  # a second of silence after the publishers finished
                        break
                continue
            stil = 0
            ontvangen += 1
            laatste_tag = methode.delivery_tag
            open_.append(int(eigenschappen.message_id))
            if len(open_) >= ack_elke or ontvangen >= verwacht:
                ack()
                if ontvangen >= verwacht:
                    break
        ack()
        kanaal.cancel()

    draden = [
        threading.Thread(target=draad, args=(k, w, v)) for k, (w, v) in zip(kanalen, wachtrijen, strict=True)
    ]
    for d in draden:
        d.start()
    for d in draden:
        d.join()
    uit.cpu_s = _cpu() - cpu0
    for conn in verbindingen:
        conn.close()
    g.resultaten.put(uit)


def meet(
    berichten: list[Klaar],
    *,
    url: str = AMQP_STANDAARD,
    threads: int = 8,
    processen: int = 4,
    prefetch: int = 100,
    ack_elke: int = 50,
    max_seconden: float = 180.0,
    wacht_rust: bool = True,
) -> dict[str, Any]:
    """The closed loop of the doorvoer scenario through RabbitMQ; result keys as lastgever.draai."""
    ok, versie = bereikbaar(url)
    if not ok:
        return {"overgeslagen": versie}
    ontvangers = sorted({k.ontvanger for k in berichten})
    run = uuid.uuid4().hex[:8]
    wachtrijen = {o: f"knooppunt-bench-{run}-{o}" for o in ontvangers}
    beheer = _verbind(url)
    kanaal = beheer.channel()
    for naam in wachtrijen.values():
        kanaal.queue_declare(naam, durable=True)
    try:
        return _meet(
            berichten,
            url,
            versie,
            wachtrijen,
            threads,
            processen,
            prefetch,
            ack_elke,
            max_seconden,
            wacht_rust,
        )
    finally:
        for naam in wachtrijen.values():
            kanaal.queue_delete(naam)
        beheer.close()


def _meet(
    berichten: list[Klaar],
    url: str,
    versie: str,
    wachtrijen: dict[int, str],
    threads: int,
    processen: int,
    prefetch: int,
    ack_elke: int,
    max_seconden: float,
    wacht_rust: bool,
) -> dict[str, Any]:
    namen = [wachtrijen.get(o, "") for o in range(max(wachtrijen) + 1)]
    zp = max(1, min(processen, threads))
    verwacht = {o: sum(1 for k in berichten if k.ontvanger == o) for o in wachtrijen}
    op = len(wachtrijen)
    g = Gedeeld(
        klaar=FORK.Barrier(zp + op + 1),
        start=FORK.Barrier(zp + op + 1),
        t_start=FORK.Value("d", 0.0),
        teller=FORK.Value("q", 0),
        zenders_klaar=FORK.Event(),
        resultaten=FORK.Queue(),
    )
    procs = [
        FORK.Process(
            target=_bewaakt,
            args=(
                _publiceer_proces,
                "zender",
                g,
                url,
                namen,
                berichten,
                threads // zp + (1 if p < threads % zp else 0),
                max_seconden,
            ),
            daemon=True,
        )
        for p in range(zp)
    ] + [
        FORK.Process(
            target=_bewaakt,
            args=(
                _consumeer_proces,
                "ontvanger",
                g,
                url,
                [(wachtrijen[o], verwacht[o])],
                prefetch,
                ack_elke,
                max_seconden,
            ),
            daemon=True,
        )
        for o in wachtrijen
    ]
    rust = wacht_op_rust() if wacht_rust else -1.0
    for p in procs:
        p.start()
    try:
        g.klaar.wait(120)
    except threading.BrokenBarrierError:
        for p in procs:
            p.terminate()
        raise RuntimeError("de RabbitMQ-lastgever kon niet starten") from None
    broker = pids_met_naam("beam.smp")
    meter = CpuMeter(broker)
    meter.start()
    t0 = time.perf_counter() + 0.02
    g.t_start.value = t0
    g.start.wait(60)
    delen: list[Deeluitkomst] = []
    while sum(d.soort == "zender" for d in delen) < zp:
        delen.append(g.resultaten.get(timeout=max_seconden + 120))
    g.zenders_klaar.set()
    while len(delen) < zp + op:
        delen.append(g.resultaten.get(timeout=max_seconden + 120))
    for p in procs:
        p.join(30)
    cpu = meter.stop(lastgever_kinderen_s=sum(d.cpu_s for d in delen))
    cpu["broker_cpu_s"] = cpu["server_cpu_s"]
    cpu["broker_pids"] = broker
    cpu["machine_bezet_voor_start_pct"] = rust
    zend = [d for d in delen if d.soort == "zender"]
    ontv = [d for d in delen if d.soort == "ontvanger"]
    bevestigd = sum(d.bevestigd for d in ontv)
    verstuurd = sum(d.verstuurd for d in zend)
    starts = dict(s for d in zend for s in d.starts)
    e2e = [t - starts[i] for d in ontv for i, t in d.bevestigingen if i in starts]
    laatste_submit = max((d.laatste_submit for d in zend), default=t0)
    duur = max([laatste_submit, *(d.laatste_bevestiging for d in ontv)]) - t0
    fouten: dict[str, int] = {}
    for d in delen:
        for k, v in d.fouten.items():
            fouten[k] = fouten.get(k, 0) + v
    return {
        "broker": f"RabbitMQ {versie}",
        "lastgever": "pika",
        "berichten": len(berichten),
        "verstuurd": verstuurd,
        "bevestigd": bevestigd,
        "volledig": bevestigd == len(berichten),
        "fouten": fouten,
        "voorbeeld_fouten": [f for d in delen for f in d.voorbeeld_fouten][:5],
        "threads": threads,
        "processen": {"publishers": zp, "consumers": op},
        "prefetch": prefetch,
        "ack_elke": ack_elke,
        "duur_s": round(duur, 2),
        "e2e_per_s": round(bevestigd / duur, 1) if duur > 0 else 0.0,
        "submit_per_s": round(verstuurd / (laatste_submit - t0), 1) if laatste_submit > t0 else 0.0,
        "submit": percentielen([x for d in zend for x in d.submit_lat]),
        "e2e": percentielen(e2e),
        "cpu": cpu,
        "cpu_ms_per_bericht": per_bericht_ms(cpu, bevestigd),
    }
