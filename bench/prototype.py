"""#13's prototype: the smallest hub that could meet the hot-path targets, measured beside the real
hub in the same run (``bench/run.py --variant prototype``).

It is what `knooppunt serve` runs — the same process, uvicorn with httptools on uvloop, the same
mutual-TLS listener and peer-certificate hand-over (`api.tls`), the same workers — with the app
replaced by a bare ASGI callable that does only what a submit, a fetch and a confirm cannot do
without, on the hub's own schema and with the hub's own statements:

- authentication: the peer certificate's PEM looked up in a per-process dict (the certificate row
  read once per new certificate; no revocation or adresboek-version re-check afterwards);
- ``POST /api/v1/berichten``: the JSON envelope checked for its fields, the stored inhoud sealed
  under a day key (AES-256-GCM, as the hub does), then the hub's round trips on one asyncio psycopg
  connection with no thread hop — BEGIN pipelined with the clock, the hub's facts statement
  (`store.verzenden.lees_feiten`, its text as the hub sends it), the hub's write statement (message, inhoud,
  conversation claim, inbox counter, audit entry in one data-modifying CTE), COMMIT. Rules decided:
  a repeat (200), a number already used (409), the conversation's owner and the open-message cap
  (422). Not done: the catalogue's conditions, payload-free envelope validation beyond the fields'
  presence, working-day terms (a fixed five days), metrics, request ids, logs;
- ``GET /api/v1/berichten?limit=N``: BEGIN + clock, the page with its inhoud, the fetched mark,
  COMMIT; inhoud opened under the day key;
- ``POST /api/v1/bevestigingen``: BEGIN + clock, one statement confirming, deleting the inhoud,
  lowering the counters and writing the audit entries, COMMIT;
- ``GET /api/v1/berichttypen…``: a fixed answer (the load generators' warm-up and readiness probe).

So its figures are what the stack (uvicorn, TLS, psycopg, PostgreSQL, the schema) allows on this
machine with the hub's work per message and almost none of its safety: the ceiling for the real hub,
not a design to ship. Nothing under src/ imports this.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import threading
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio
import anyio.to_thread
import psycopg
from cryptography import x509
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding

from knooppunt.cli.fabriek import Fabriek as _HubFabriek

Ontvang = Callable[[], Awaitable[dict[str, Any]]]
Zend = Callable[[dict[str, Any]], Awaitable[None]]

MAX_OPEN = 10_000
VERBINDINGEN = int(os.environ.get("KNOOPPUNT_PROTOTYPE_VERBINDINGEN", "8"))
# 0: the database work on the event loop (asyncio psycopg, no thread); N > 0: every request's work in
# one hop to a pool of N threads, as the hub does it (each thread its own loop and connection) — to
# tell what the thread hop costs apart from everything else.
DRADEN = int(os.environ.get("KNOOPPUNT_PROTOTYPE_DRADEN", "0"))

KLOK = "SELECT statement_timestamp()"

# The hub's own statements for a saldoverzoek as they reach psycopg (captured from the hub on
# PostgreSQL): the facts (store.verzenden.lees_feiten) and the writes (store.verzenden.schrijf).
_SQL = Path(__file__).with_name("prototype_sql")
FEITEN = (_SQL / "feiten.sql").read_text()
SCHRIJF = (_SQL / "schrijf.sql").read_text()

KOLOMMEN = (
    "id, referentienummer, afzender, ontvanger, conversatie_referentienummer, cross_referentienummer, "
    "berichttype, module, versie, status, ontvangen_op, verloopt_op, opgehaald_op"
)

PAGINA = f"""SELECT {", ".join("berichten." + k for k in KOLOMMEN.split(", "))}, berichtinhoud.jwe
FROM berichten LEFT OUTER JOIN berichtinhoud ON berichtinhoud.bericht_id = berichten.id
WHERE berichten.ontvanger = %(ontvanger)s AND berichten.status IN ('aangeboden', 'opgehaald')
  AND berichten.verloopt_op >= %(nu)s
ORDER BY berichten.id LIMIT %(limiet)s"""

OPGEHAALD = """UPDATE berichten SET status = CASE WHEN status = 'aangeboden' THEN 'opgehaald' ELSE status END,
  opgehaald_op = %(nu)s WHERE id = ANY(%(ids)s) AND opgehaald_op IS NULL"""

BEVESTIG = """WITH u AS (UPDATE berichten SET status = 'bevestigd', bevestigd_op = %(nu)s
  WHERE ontvanger = %(ontvanger)s AND referentienummer = ANY(%(refs)s)
    AND status IN ('aangeboden', 'opgehaald') AND verloopt_op >= %(nu)s
  RETURNING id, afzender, grootte, referentienummer, berichttype, module),
d AS (DELETE FROM berichtinhoud WHERE bericht_id IN (SELECT id FROM u)),
q AS (INSERT INTO inboxbezetting (ontvanger, afzender, bytes, aantal)
  SELECT %(ontvanger)s, afzender, -sum(grootte), -count(*) FROM u GROUP BY afzender
  ON CONFLICT (ontvanger, afzender) DO UPDATE SET bytes = inboxbezetting.bytes + excluded.bytes,
   aantal = inboxbezetting.aantal + excluded.aantal),
a AS (INSERT INTO auditregels (tijd, actor, actie, berichttype, module, afzender, ontvanger,
  referentienummer, deelnemer, certificaat, uitkomst)
  SELECT %(nu)s, %(ontvanger)s, 'bevestigd', berichttype, module, afzender, %(ontvanger)s,
   referentienummer, NULL, NULL, NULL FROM u)
SELECT referentienummer FROM u"""

VELDEN = ("referentienummer", "conversatieReferentienummer", "berichttype", "module", "versie", "ontvanger")
JSON_KOP = [(b"content-type", b"application/json")]


class Fout(Exception):
    def __init__(self, status: int, code: str) -> None:
        self.status, self.code = status, code


class Pool:
    """A fixed number of asyncio psycopg connections, each used by one request at a time."""

    def __init__(self, dsn: str, aantal: int) -> None:
        self.dsn, self.aantal = dsn, aantal
        self.vrij: asyncio.Queue[psycopg.AsyncConnection[Any]] = asyncio.Queue()
        self.open_ = False
        self.slot = asyncio.Lock()

    async def _open(self) -> None:
        async with self.slot:
            if not self.open_:
                for _ in range(self.aantal):
                    self.vrij.put_nowait(await psycopg.AsyncConnection.connect(self.dsn))
                self.open_ = True

    @asynccontextmanager
    async def transactie(self) -> Any:
        """A connection in a transaction whose BEGIN goes with the clock in one round trip."""
        if not self.open_:
            await self._open()
        conn = await self.vrij.get()
        try:
            async with conn.pipeline():
                cur = await conn.execute(KLOK)
            rij = await cur.fetchone()
            assert rij is not None
            yield conn, rij[0]
            await conn.commit()
        except BaseException:
            await conn.rollback()
            raise
        finally:
            self.vrij.put_nowait(conn)


class Prototype:
    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.lus_pool = Pool(dsn, VERBINDINGEN)
        self.draad = threading.local()
        self.draden = anyio.CapacityLimiter(DRADEN) if DRADEN else None
        self.deelnemers: dict[str, str] = {}
        self.dagsleutel = AESGCM(hashlib.sha256(b"prototype-dagsleutel").digest())

    async def __call__(self, scope: dict[str, Any], receive: Ontvang, send: Zend) -> None:
        if scope["type"] == "lifespan":
            while True:
                bericht = await receive()
                if bericht["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif bericht["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            deel = await receive()
            body += deel.get("body", b"")
            if not deel.get("more_body"):
                break
        if self.draden is None:
            data, status = await self._antwoord(scope, body)
        else:
            data, status = await anyio.to_thread.run_sync(self._in_draad, scope, body, limiter=self.draden)
        await send({"type": "http.response.start", "status": status, "headers": JSON_KOP})
        await send({"type": "http.response.body", "body": data})

    @property
    def pool(self) -> Pool:
        if self.draden is None:
            return self.lus_pool
        pool: Pool | None = getattr(self.draad, "pool", None)
        if pool is None:
            pool = self.draad.pool = Pool(self.dsn, 1)
        return pool

    def _in_draad(self, scope: dict[str, Any], body: bytes) -> tuple[bytes, int]:
        lus: asyncio.AbstractEventLoop | None = getattr(self.draad, "lus", None)
        if lus is None:
            lus = self.draad.lus = asyncio.new_event_loop()
        return lus.run_until_complete(self._antwoord(scope, body))

    async def _antwoord(self, scope: dict[str, Any], body: bytes) -> tuple[bytes, int]:
        try:
            status, antwoord = await self._route(scope, body)
        except Fout as fout:
            status, antwoord = fout.status, {"status": fout.status, "code": fout.code}
        return json.dumps(antwoord, separators=(",", ":")).encode(), status

    async def _route(self, scope: dict[str, Any], body: bytes) -> tuple[int, Any]:
        pad, methode = scope["path"], scope["method"]
        if pad.startswith("/api/v1/berichttypen"):
            return 200, {"berichttypen": []}
        oin = await self._wie(scope)
        if pad == "/api/v1/berichten" and methode == "POST":
            return await self._verstuur(oin, body)
        if pad == "/api/v1/berichten" and methode == "GET":
            query = parse_qs(scope.get("query_string", b"").decode())
            return await self._haal(oin, min(int(query.get("limit", ["100"])[0]), 100))
        if pad == "/api/v1/bevestigingen" and methode == "POST":
            return await self._bevestig(oin, body)
        raise Fout(404, "NIET_GEVONDEN")

    async def _wie(self, scope: dict[str, Any]) -> str:
        keten = ((scope.get("extensions") or {}).get("tls") or {}).get("client_cert_chain") or []
        if not keten:
            raise Fout(401, "GEEN_CERTIFICAAT")
        oin = self.deelnemers.get(keten[0])
        if oin is None:
            cert = x509.load_pem_x509_certificate(keten[0].encode())
            vingerafdruk = hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest()
            async with self.pool.transactie() as (conn, _nu):
                cur = await conn.execute(
                    "SELECT oin FROM certificaten WHERE vingerafdruk = %s AND gebruik_tls"
                    " AND ingetrokken_op IS NULL",
                    (vingerafdruk,),
                )
                rij = await cur.fetchone()
            if rij is None:
                raise Fout(403, "ONBEKEND_CERTIFICAAT")
            oin = self.deelnemers[keten[0]] = rij[0]
        return oin

    def _zegel(self, nu: datetime, jwe: str) -> str:
        nonce = os.urandom(12)
        dag = nu.strftime("%Y%m%d")
        return (
            f"kp1.{dag}."
            + base64.b64encode(nonce + self.dagsleutel.encrypt(nonce, jwe.encode(), dag.encode())).decode()
        )

    def _open(self, opgeslagen: str) -> str:
        _, dag, rest = opgeslagen.split(".", 2)
        ruw = base64.b64decode(rest)
        return self.dagsleutel.decrypt(ruw[:12], ruw[12:], dag.encode()).decode()

    async def _verstuur(self, afzender: str, body: bytes) -> tuple[int, Any]:
        try:
            e = json.loads(body)
        except ValueError:
            raise Fout(400, "ONGELDIGE_JSON") from None
        if not isinstance(e, dict) or any(not isinstance(e.get(v), str) for v in (*VELDEN, "inhoud")):
            raise Fout(400, "ONGELDIG_BERICHT")
        envelop_hash = hashlib.sha256(body).hexdigest()
        async with self.pool.transactie() as (conn, nu):
            p = {
                "conversatie": e["conversatieReferentienummer"],
                "ontvanger": e["ontvanger"],
                "afzender": afzender,
                "referentienummer": e["referentienummer"],
            }
            cur = await conn.execute(FEITEN, {**p, **_FEITEN_VAST})
            for rij in await cur.fetchall():
                soort, tekst, open_ = rij[0], rij[1], rij[2]
                if soort == "b":
                    if rij[8] == afzender and rij[15] == envelop_hash:
                        return 200, self._record(e, afzender, nu, "aangeboden")
                    raise Fout(409, "REFERENTIENUMMER_BESTAAT")
                if tekst is not None and tekst != afzender:
                    raise Fout(422, "CONVERSATIE_VAN_ANDERE_SHV")
                if (open_ or 0) >= MAX_OPEN:
                    raise Fout(429, "TE_VEEL_OPEN")
            jwe = self._zegel(nu, e["inhoud"])
            cur = await conn.execute(
                SCHRIJF,
                {
                    "referentienummer": e["referentienummer"],
                    "afzender": afzender,
                    "ontvanger": e["ontvanger"],
                    "conversatie_referentienummer": e["conversatieReferentienummer"],
                    "cross_referentienummer": e.get("crossReferentienummer"),
                    "berichttype": e["berichttype"],
                    "module": e["module"],
                    "versie": e["versie"],
                    "envelop_hash": envelop_hash,
                    "status": "aangeboden",
                    "ontvangen_op": nu,
                    "verloopt_op": nu + timedelta(days=5),
                    "grootte": len(e["inhoud"]),
                    "jwe": jwe,
                    "a_tijd": nu,
                    "a_actor": afzender,
                    "a_actie": "verstuurd",
                    "a_berichttype": e["berichttype"],
                    "a_module": e["module"],
                    "a_afzender": afzender,
                    "a_ontvanger": e["ontvanger"],
                    "a_referentienummer": e["referentienummer"],
                    "a_deelnemer": None,
                    "a_certificaat": None,
                    "a_uitkomst": None,
                    "param_1": 1,
                },
            )
            if await cur.fetchone() is None:
                raise Fout(409, "REFERENTIENUMMER_BESTAAT")
        return 201, self._record(e, afzender, nu, "aangeboden")

    @staticmethod
    def _record(e: dict[str, Any], afzender: str, nu: datetime, status: str) -> dict[str, Any]:
        return {
            "referentienummer": e["referentienummer"],
            "conversatieReferentienummer": e["conversatieReferentienummer"],
            "crossReferentienummer": e.get("crossReferentienummer"),
            "berichttype": e["berichttype"],
            "module": e["module"],
            "versie": e["versie"],
            "afzender": afzender,
            "ontvanger": e["ontvanger"],
            "ontvangenOp": nu.astimezone(_CET).isoformat(),
            "verlooptOp": (nu + timedelta(days=5)).astimezone(_CET).isoformat(),
            "opgehaaldOp": None,
            "bevestigdOp": None,
            "status": status,
            "inhoud": None,
        }

    async def _haal(self, ontvanger: str, limiet: int) -> tuple[int, Any]:
        async with self.pool.transactie() as (conn, nu):
            cur = await conn.execute(PAGINA, {"ontvanger": ontvanger, "nu": nu, "limiet": limiet + 1})
            rijen = await cur.fetchall()
            meer = len(rijen) > limiet
            rijen = rijen[:limiet]
            nieuw = [r[0] for r in rijen if r[12] is None]
            if nieuw:
                await conn.execute(OPGEHAALD, {"nu": nu, "ids": nieuw})
        berichten = [
            {
                "referentienummer": r[1],
                "conversatieReferentienummer": r[4],
                "crossReferentienummer": r[5],
                "berichttype": r[6],
                "module": r[7],
                "versie": r[8],
                "afzender": r[2],
                "ontvanger": r[3],
                "ontvangenOp": r[10].astimezone(_CET).isoformat(),
                "verlooptOp": r[11].astimezone(_CET).isoformat(),
                "opgehaaldOp": (r[12] or nu).astimezone(_CET).isoformat(),
                "status": "opgehaald",
                "inhoud": self._open(r[13]) if r[13] else None,
            }
            for r in rijen
        ]
        return 200, {"berichten": berichten, "meer": meer}

    async def _bevestig(self, ontvanger: str, body: bytes) -> tuple[int, Any]:
        try:
            refs = json.loads(body)["referentienummers"]
        except (ValueError, KeyError, TypeError):
            raise Fout(400, "ONGELDIGE_JSON") from None
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs) or len(refs) > 1000:
            raise Fout(400, "ONGELDIG_VERZOEK")
        async with self.pool.transactie() as (conn, nu):
            cur = await conn.execute(BEVESTIG, {"nu": nu, "ontvanger": ontvanger, "refs": refs})
            gedaan = {r[0] for r in await cur.fetchall()}
        return 200, {
            "bevestigingen": [
                {"referentienummer": r, "status": "bevestigd", "code": None}
                if r in gedaan
                else {"referentienummer": r, "status": "geweigerd", "code": "ONBEKEND_BERICHT"}
                for r in refs
            ]
        }


def _dsn(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


_CET = timezone(timedelta(hours=1))
_FEITEN_VAST = {"param_1": "q", "coalesce_1": 0, "param_2": 0, "coalesce_2": 0, "param_3": "b"}


def maak(database_url: str) -> Prototype:
    if not database_url.startswith("postgresql"):
        raise SystemExit("the prototype runs on PostgreSQL only")
    return Prototype(_dsn(database_url))


@dataclass(frozen=True, slots=True)
class Fabriek(_HubFabriek):
    """The workers' app factory (`knooppunt serve --workers N`) building the prototype instead."""

    def __call__(self) -> Any:
        return maak(self.settings.effective_database_url)
