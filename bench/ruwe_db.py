"""The database alone, straight through the driver (psycopg for PostgreSQL, sqlite3 for SQLite):
the same statements the hub issues for submit → fetch → confirm, with the same transaction
boundaries and the same thread layout as the HTTP run. Also: bulk-loading pending messages and
EXPLAIN of the hub's own inbox statements."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy import event

from belasting import Klaar, percentielen
from omgeving import CpuMeter, Database, Pki, per_bericht_ms, wacht_op_rust

OPEN = ("aangeboden", "opgehaald")
KOLOMMEN = (
    "id, referentienummer, afzender, ontvanger, conversatie_referentienummer, cross_referentienummer, "
    "berichttype, module, versie, envelop_hash, status, "
    "ontvangen_op, verloopt_op, opgehaald_op, bevestigd_op, "
    "antwoord_uiterlijk, beantwoord_op, verlopen_op, geweigerd_op, melding"
)
INSERT_BERICHT = (
    "INSERT INTO berichten (referentienummer, afzender, ontvanger, conversatie_referentienummer, "
    "cross_referentienummer, berichttype, module, versie, "
    "envelop_hash, status, ontvangen_op, verloopt_op, melding) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, 'aangeboden', {p}, {p}, {p}) RETURNING id"
)


class Driver:
    """One connection; `p` is the placeholder, `nu()` a timestamp value as the hub stores it."""

    def __init__(self, db: Database) -> None:
        self.soort = db.soort
        if db.soort == "sqlite":
            conn = sqlite3.connect(db.dsn, timeout=30, check_same_thread=False, isolation_level=None)
            for pragma in (
                "journal_mode=WAL",
                "synchronous=NORMAL",
                "foreign_keys=ON",
                "secure_delete=ON",
                "busy_timeout=30000",
            ):
                conn.execute(f"PRAGMA {pragma}")
            self.sqlite: sqlite3.Connection | None = conn
            self.pg: psycopg.Connection[Any] | None = None
            self.p = "?"
        else:
            self.pg = psycopg.connect(db.dsn)
            self.sqlite = None
            self.p = "%s"

    def nu(self, plus_dagen: int = 0) -> Any:
        moment = datetime.now(UTC) + timedelta(days=plus_dagen)
        if self.soort == "sqlite":
            return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return moment

    @contextmanager
    def transactie(self) -> Iterator[Callable[..., Any]]:
        """Yields execute(sql, params) -> cursor; BEGIN IMMEDIATE on SQLite as the hub does."""
        if self.sqlite is not None:
            conn = self.sqlite
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield lambda sql, params=(): conn.execute(sql.replace("%s", "?"), params)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return
        assert self.pg is not None
        with self.pg.transaction(), self.pg.cursor() as cur:

            def uitvoeren(sql: str, params: Any = ()) -> Any:
                cur.execute(sql, params)
                return cur

            yield uitvoeren

    def close(self) -> None:
        if self.sqlite is not None:
            self.sqlite.close()
        if self.pg is not None:
            self.pg.close()


def _lijst(soort: str, ids: list[int]) -> tuple[str, list[Any]]:
    if soort == "sqlite":
        return "id IN (" + ", ".join("?" * len(ids)) + ")", list(ids)
    return "id = ANY(%s)", [ids]


def _zender(d: Driver, rij: deque[tuple[Klaar, dict[str, Any]]], lat: list[float], einde: float) -> None:
    sql = INSERT_BERICHT.format(p="%s")
    while time.perf_counter() < einde:
        try:
            klaar, env = rij.popleft()
        except IndexError:
            return
        t0 = time.perf_counter()
        envelop_hash = hashlib.sha256(klaar.body).hexdigest()
        with d.transactie() as ex:
            bericht_id = ex(
                sql,
                (
                    klaar.referentienummer,
                    env["afzender"],
                    env["ontvanger"],
                    env["conversatieReferentienummer"],
                    None,
                    "saldoverzoek",
                    "schuldregeling",
                    "1.0",
                    envelop_hash,
                    d.nu(),
                    d.nu(7),
                    None,
                ),
            ).fetchone()[0]
            ex("INSERT INTO berichtinhoud (bericht_id, jwe) VALUES (%s, %s)", (bericht_id, env["inhoud"]))
        lat.append(time.perf_counter() - t0)


def _ontvanger(
    d: Driver,
    oin: str,
    verwacht: int,
    uit: dict[str, Any],
    einde: float,
    limiet: int,
    klaar: threading.Event,
) -> None:
    receipt = INSERT_BERICHT.format(p="%s")
    bevestigd = leeg = 0
    while bevestigd < verwacht and time.perf_counter() < einde:
        t0 = time.perf_counter()
        with d.transactie() as ex:
            rijen = ex(
                f"SELECT {', '.join('b.' + k for k in KOLOMMEN.split(', '))}, i.jwe FROM berichten b "
                "LEFT OUTER JOIN berichtinhoud i ON i.bericht_id = b.id WHERE b.ontvanger = %s "
                "AND b.status IN (%s, %s) AND b.verloopt_op >= %s ORDER BY b.id LIMIT %s",
                (oin, *OPEN, d.nu(), limiet + 1),
            ).fetchall()[:limiet]
            if rijen:
                ids = [r[0] for r in rijen]
                conditie, params = _lijst(d.soort, ids)
                ex(
                    f"UPDATE berichten SET status = 'opgehaald', opgehaald_op = %s WHERE {conditie} "
                    "AND status = 'aangeboden'",
                    (d.nu(), *params),
                )
        t1 = time.perf_counter()
        if not rijen:
            if klaar.is_set():
                leeg += 1
                if leeg >= 5:
                    return
            time.sleep(0.005)
            continue
        leeg = 0
        uit["fetch"].append(t1 - t0)
        with d.transactie() as ex:
            for r in rijen:
                nu = d.nu()
                geraakt = ex(
                    "UPDATE berichten SET status = 'bevestigd', "
                    "bevestigd_op = %s, antwoord_uiterlijk = %s "
                    "WHERE id = %s AND status IN (%s, %s) AND verloopt_op >= %s",
                    (nu, d.nu(7), r[0], *OPEN, nu),
                ).rowcount
                if geraakt != 1:
                    continue
                ex("DELETE FROM berichtinhoud WHERE bericht_id = %s", (r[0],))
                melding = json.dumps(
                    {
                        "code": "BEVESTIGD",
                        "referentienummer": r[1],
                        "ontvanger": oin,
                        "omschrijving": f"Bericht {r[1]} (saldoverzoek) is bevestigd door de ontvanger.",
                        "bevestigdOp": str(nu),
                    }
                )
                ex(
                    receipt,
                    (
                        str(uuid.uuid4()),
                        "KNOOPPUNT",
                        r[2],
                        r[4],
                        r[1],
                        "ontvangstbevestiging",
                        "schuldregeling",
                        "1.0",
                        hashlib.sha256(melding.encode()).hexdigest(),
                        nu,
                        d.nu(7),
                        melding,
                    ),
                )
                bevestigd += 1
        t2 = time.perf_counter()
        uit["confirm"].append(t2 - t1)
        with uit["slot"]:
            uit["bevestigd"] += len(rijen)
            uit["laatste"] = max(uit["laatste"], t2)


def draai(
    db: Database, pki: Pki, berichten: list[Klaar], *, threads: int, max_seconden: float, limiet: int = 100
) -> dict[str, Any]:
    """The HTTP run's statements and thread layout without the hub: `threads` inserting threads,
    one fetch-and-confirm thread per recipient."""
    per_afzender: dict[int, deque[tuple[Klaar, dict[str, Any]]]] = {i: deque() for i in range(len(pki.shv))}
    for k in berichten:
        env = json.loads(k.body)
        env["afzender"] = pki.shv[k.afzender].oin
        per_afzender[k.afzender].append((k, env))
    verwacht = {o: sum(1 for k in berichten if k.ontvanger == o) for o in range(len(pki.se))}
    uit: dict[str, Any] = {
        "fetch": [],
        "confirm": [],
        "bevestigd": 0,
        "laatste": 0.0,
        "slot": threading.Lock(),
    }
    submit_lat: list[float] = []
    klaar = threading.Event()
    rust = wacht_op_rust()
    # Connections first (as the hub's pool has them open), closed after the meter stops, so that
    # every backend is measured from start to end.
    zend_drivers = [Driver(db) for _ in range(threads)]
    ontvang_drivers = [Driver(db) for _ in pki.se]
    # This process is the "server" here (the driver threads do what the hub would); its PostgreSQL
    # backends are those of the ruw database.
    meter = CpuMeter([], pg=(db.dsn, db.naam) if db.soort == "postgresql" else None, eigen_is="server")
    meter.start()
    t0 = time.perf_counter()
    einde = t0 + max_seconden
    zenders = [
        threading.Thread(target=_zender, args=(d, per_afzender[t % len(pki.shv)], submit_lat, einde))
        for t, d in enumerate(zend_drivers)
    ]
    ontvangers = [
        threading.Thread(
            target=_ontvanger, args=(ontvang_drivers[o], se.oin, verwacht[o], uit, einde, limiet, klaar)
        )
        for o, se in enumerate(pki.se)
    ]
    for t in zenders + ontvangers:
        t.start()
    for t in zenders:
        t.join()
    submit_duur = time.perf_counter() - t0
    klaar.set()
    for t in ontvangers:
        t.join()
    duur = uit["laatste"] - t0
    cpu = meter.stop()
    for d in zend_drivers + ontvang_drivers:
        d.close()
    cpu["machine_bezet_voor_start_pct"] = rust
    return {
        "berichten": len(berichten),
        "bevestigd": uit["bevestigd"],
        "volledig": uit["bevestigd"] == len(berichten),
        "threads": threads,
        "duur_s": round(duur, 2),
        "e2e_per_s": round(uit["bevestigd"] / duur, 1) if duur > 0 else 0.0,
        "submit_per_s": round(len(submit_lat) / submit_duur, 1) if submit_duur > 0 else 0.0,
        "submit": percentielen(submit_lat),
        "fetch": percentielen(uit["fetch"]),
        "confirm": percentielen(uit["confirm"]),
        "cpu": cpu,
        "cpu_ms_per_bericht": per_bericht_ms(cpu, uit["bevestigd"]),
    }


# --- bulk load ---------------------------------------------------------------------------------


def nep_oin(prefix: str, i: int) -> str:
    return f"00000003{prefix}{i:06d}0000"


def laad_bulk(
    db: Database,
    *,
    aantal: int,
    gemeten_oin: str,
    jwe: str,
    aandeel: int = 100,
    ontvangers: int = 1000,
    blok: int = 100_000,
    verloopt_over_dagen: int = 30,
) -> float:
    """Add `aantal` pending saldoverzoeken straight into the database (INSERT … SELECT over a series),
    with a ~2 KB berichtinhoud row each. One in `aandeel` goes to `gemeten_oin`, the rest is spread
    over `ontvangers` other recipients; senders are 50 other SHVs. Returns seconds taken."""
    t0 = time.perf_counter()
    d = Driver(db)
    try:
        gedaan = 0
        while gedaan < aantal:
            n = min(blok, aantal - gedaan)
            with d.transactie() as ex:
                vorige = ex("SELECT COALESCE(MAX(id), 0) FROM berichten").fetchone()[0]
                if d.soort == "postgresql":
                    ex(
                        "INSERT INTO berichten (referentienummer, afzender, "
                        "ontvanger, conversatie_referentienummer, "
                        "berichttype, module, versie, envelop_hash, status, ontvangen_op, verloopt_op) "
                        "SELECT gen_random_uuid()::text, '0000000388' "
                        "|| lpad((g %% 50)::text, 6, '0') || '0000', "
                        "CASE WHEN g %% %s = 0 THEN %s ELSE '0000000399' "
                        "|| lpad((g %% %s)::text, 6, '0') || '0000' END, "
                        "gen_random_uuid()::text, 'saldoverzoek', "
                        "'schuldregeling', '1.0', md5(g::text) || md5(g::text), "
                        "'aangeboden', now(), now() + make_interval(days => %s) "
                        "FROM generate_series(%s::bigint, %s::bigint) AS g",
                        (aandeel, gemeten_oin, ontvangers, verloopt_over_dagen, gedaan + 1, gedaan + n),
                    )
                else:
                    nu = d.nu()
                    later = d.nu(verloopt_over_dagen)
                    ex(
                        "WITH RECURSIVE s(g) AS (SELECT ? UNION ALL SELECT g + 1 FROM s WHERE g < ?) "
                        "INSERT INTO berichten (referentienummer, afzender, "
                        "ontvanger, conversatie_referentienummer, "
                        "berichttype, module, versie, envelop_hash, status, ontvangen_op, verloopt_op) "
                        "SELECT lower(hex(randomblob(16))), '0000000388' "
                        "|| printf('%06d', g % 50) || '0000', "
                        "CASE WHEN g % ? = 0 THEN ? ELSE '0000000399' "
                        "|| printf('%06d', g % ?) || '0000' END, "
                        "lower(hex(randomblob(16))), 'saldoverzoek', 'schuldregeling', '1.0', "
                        "lower(hex(randomblob(32))), 'aangeboden', ?, ? FROM s",
                        (gedaan + 1, gedaan + n, aandeel, gemeten_oin, ontvangers, nu, later),
                    )
                ex(
                    "INSERT INTO berichtinhoud (bericht_id, jwe) SELECT id, %s FROM berichten WHERE id > %s",
                    (jwe, vorige),
                )
            gedaan += n
        with d.transactie() if d.soort == "sqlite" else _autocommit(d) as ex:
            if d.soort == "postgresql":
                ex("ANALYZE berichten")
                ex("ANALYZE berichtinhoud")
    finally:
        d.close()
    return time.perf_counter() - t0


@contextmanager
def _autocommit(d: Driver) -> Iterator[Callable[..., Any]]:
    assert d.pg is not None
    d.pg.autocommit = True
    try:
        yield lambda sql, params=(): d.pg.execute(sql, params)  # type: ignore[union-attr]
    finally:
        d.pg.autocommit = False


def aantallen(db: Database) -> dict[str, int]:
    d = Driver(db)
    try:
        with d.transactie() as ex:
            return {
                "berichten": ex("SELECT count(*) FROM berichten").fetchone()[0],
                "open": ex(
                    "SELECT count(*) FROM berichten WHERE status IN ('aangeboden', 'opgehaald')"
                ).fetchone()[0],
                "berichtinhoud": ex("SELECT count(*) FROM berichtinhoud").fetchone()[0],
            }
    finally:
        d.close()


def database_grootte(db: Database) -> str:
    if db.soort == "sqlite":
        from pathlib import Path

        pad = Path(db.dsn)
        totaal = sum(p.stat().st_size for p in pad.parent.glob(pad.name + "*"))
        return f"{totaal / 1024 / 1024:.0f} MB"
    with psycopg.connect(db.dsn) as conn:
        return str(conn.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()[0])


# --- EXPLAIN of the hub's own statements -------------------------------------------------------


def leg_uit(db: Database, oin: str, *, afzender: str | None = None) -> list[dict[str, Any]]:
    """Run the hub's inbox fetch (store.inbox + markeer_opgehaald) and the per-relation cap count
    (store.aantal_open) through SQLAlchemy, capture the exact SQL and parameters, and EXPLAIN each
    (PostgreSQL: ANALYZE, BUFFERS, inside a rolled-back transaction; SQLite: QUERY PLAN)."""
    from knooppunt.store import berichten as store
    from knooppunt.store.db import db_nu, maak_engine, maak_sessionmaker
    from omgeving import psycopg_url

    engine = maak_engine(psycopg_url(db.url))
    gevangen: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _vang(_conn: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE")) and "berichten" in statement:
            gevangen.append((statement, parameters))

    sessions = maak_sessionmaker(engine)
    with sessions() as session:
        nu = db_nu(session)
        gevangen.clear()
        rijen = store.inbox(session, ontvanger=oin, nu=nu, limiet=101)
        store.markeer_opgehaald(session, [b.id for b, _ in rijen], nu=nu)
        store.aantal_open(session, afzender=afzender or oin, ontvanger=oin, tot=10_000)
        session.rollback()
    event.remove(engine, "before_cursor_execute", _vang)
    uit = []
    with engine.connect() as conn:
        for statement, params in gevangen:
            trans = conn.begin()
            try:
                if db.soort == "postgresql":
                    t0 = time.perf_counter()
                    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params).all()
                    generiek = _generiek_plan(conn, statement, params)
                    uit.append(
                        {
                            "sql": statement,
                            "plan": [r[0] for r in plan],
                            "generiek_plan": generiek,
                            "ms": round(1000 * (time.perf_counter() - t0), 1),
                        }
                    )
                else:
                    plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params).all()
                    t0 = time.perf_counter()
                    resultaat = conn.exec_driver_sql(statement, params)
                    if resultaat.returns_rows:
                        resultaat.all()
                    uit.append(
                        {
                            "sql": statement,
                            "plan": [str(r[-1]) for r in plan],
                            "ms": round(1000 * (time.perf_counter() - t0), 1),
                        }
                    )
            finally:
                trans.rollback()
    engine.dispose()
    return uit


def _generiek_plan(conn: Any, statement: str, params: dict[str, Any]) -> list[str]:
    """The plan PostgreSQL caches as generic for this statement once prepared (parameters unknown
    at planning time): PREPARE, then EXPLAIN EXECUTE under plan_cache_mode = force_generic_plan."""
    if not statement.lstrip().upper().startswith("SELECT"):
        return []
    namen: list[str] = []

    def plaats(m: re.Match[str]) -> str:
        if m.group(1) not in namen:
            namen.append(m.group(1))
        return f"${namen.index(m.group(1)) + 1}"

    genummerd = re.sub(r"%\((\w+)\)s", plaats, statement)
    raw = conn.connection.dbapi_connection
    cur = psycopg.ClientCursor(raw)
    try:
        cur.execute("PREPARE bench_plan AS " + genummerd.replace("%%", "%"))
        cur.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cur.execute(
            "EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_plan(" + ", ".join(["%s"] * len(namen)) + ")",
            [params[n] for n in namen],
        )
        regels = [r[0] for r in cur.fetchall()]
        cur.execute("SET LOCAL plan_cache_mode = auto")
        cur.execute("DEALLOCATE bench_plan")
    finally:
        cur.close()
    return regels
