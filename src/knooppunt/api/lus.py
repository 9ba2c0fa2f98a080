"""The common submit on the event loop, with no thread (#13, docs/decisions/0034-submit-op-de-lus.md).

#13's prototype (bench/prototype.py) showed what stood between the hub and its targets: handing
every request to a thread pool costs about 0.8 ms of CPU per message under load (the event loop and
the handler threads taking turns at the GIL) and ~40 % of the throughput. `Lus` serves the common
`POST /api/v1/berichten` on the event loop itself, on asyncio psycopg connections of its own, with
the hub's own statements and rules:

1. BEGIN with the clock and both versions, pipelined (`store.crl_staat.voor_driver`);
2. the caller from this process's cache of verified certificates (`api.auth.uit_geheugen`) and
   its adresboek entry from the adresboek cache (`Deelnemercache.uit_geheugen`);
3. every fact the rules need in one statement (`store.verzenden.feitenvraag`), the rules decided
   by the admission pipeline (`hub.mailbox.toelating.toelaten`) — the same code as every other
   submit;
4. the inhoud sealed under the day key held in memory, the message, inhoud, claim, counter and audit
   entry in one statement (`store.verzenden.schrijfstatement`), COMMIT.

It only ever *accepts*: whenever anything else would be needed — a certificate or adresboek entry
not in memory, CRLs to refresh or load, a day key to make, a refusal, a retry, an answer (which also
confirms its question), a lost race, any database error — it rolls back what it did and returns
None, and the request is served by the thread path exactly as before (`api.snel`), which judges it
afresh, refuses and audits as it always has. So there is one set of rules and one way to refuse;
this adds a faster way to say yes. PostgreSQL only (SQLite runs in-process; the thread path stays).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import psycopg
import structlog
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from knooppunt.api import auth, deps, v1
from knooppunt.api.schemas import EnvelopCreate
from knooppunt.hub import adresboek, audit
from knooppunt.hub.fouten import HubFout
from knooppunt.hub.mailbox.toelating import Databasezicht, Herhaling, feitvraag, toelaten
from knooppunt.metrics import SNELLE_AANNAME
from knooppunt.runtime import Runtime
from knooppunt.store import crl_staat
from knooppunt.store import verzenden as verzend_store
from knooppunt.store.db import als_moment
from knooppunt.store.models import Bericht, Deelnemer

log = structlog.get_logger("knooppunt.api")


class _NietInGeheugen(Exception):
    """An adresboek entry the rules ask for is not in this process's cache."""


@dataclass(frozen=True, slots=True)
class _Aangenomen:
    bericht: Bericht
    nu: datetime
    oin: str


# Why a submit was left to the handler threads (knooppunt_api_lus_submits{uitkomst=...}).
Overgelaten = str


class _Verbindingen:
    """The asyncio connections of one event loop (a served process has one; a test client makes a
    loop per request)."""

    def __init__(self, dsn: str, maximum: int) -> None:
        self.dsn = dsn
        self.maximum = maximum
        self.vrij: list[psycopg.AsyncConnection[Any]] = []
        self.alle: set[psycopg.AsyncConnection[Any]] = set()
        self.beschikbaar = asyncio.Condition()

    async def neem(self) -> psycopg.AsyncConnection[Any] | None:
        async with self.beschikbaar:
            while not self.vrij and len(self.alle) >= self.maximum:
                await self.beschikbaar.wait()
            if self.vrij:
                return self.vrij.pop()
            try:
                conn = await _verbind(self.dsn)
            except (psycopg.Error, OSError) as exc:
                log.info("geen verbinding voor de snelle aanname", fout=type(exc).__name__)
                return None
            self.alle.add(conn)
            return conn

    async def geef_terug(self, conn: psycopg.AsyncConnection[Any], bruikbaar: bool) -> None:
        if not bruikbaar or conn.closed or conn.broken:
            self.alle.discard(conn)
            _sluit(conn)
        async with self.beschikbaar:
            if conn in self.alle:
                self.vrij.append(conn)
            self.beschikbaar.notify()

    def sluit(self) -> None:
        for conn in self.alle:
            _sluit(conn)
        self.alle.clear()
        self.vrij.clear()


async def _verbind(dsn: str) -> psycopg.AsyncConnection[Any]:
    """A connection whose COMMIT waits for the WAL flush, as store.db's engine makes them (a 201
    promises the message is stored: with synchronous_commit=off a crash would lose it)."""
    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
    try:
        cursor = await conn.execute("SHOW synchronous_commit")
        rij = await cursor.fetchone()
        if rij is not None and rij[0] == "off":
            await conn.execute("SET synchronous_commit TO on")
        await conn.set_autocommit(False)
    except BaseException:
        await conn.close()
        raise
    return conn


def _sluit(conn: psycopg.AsyncConnection[Any]) -> None:
    """Close without the event loop (it may be closed already): libpq's own close."""
    if not conn.closed:
        conn.pgconn.finish()


class Lus:
    """The submit on the event loop, with the asyncio connections of one API app (one process)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.dialect = runtime.engine.dialect
        self.dsn = runtime.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.maximum = runtime.settings.api_threads
        self._per_lus: dict[asyncio.AbstractEventLoop, _Verbindingen] = {}
        self._slot = threading.Lock()
        runtime.bij_sluiten.append(self.sluit)

    @staticmethod
    def voor(runtime: Runtime) -> Lus | None:
        """A `Lus` for this runtime, or None when its database is not PostgreSQL."""
        if runtime.engine.dialect.name != "postgresql":
            return None
        return Lus(runtime)

    async def verstuur(self, request: Request, invoer: EnvelopCreate) -> Response | None:
        """The answer to an accepted submit (201), or None: serve the request the usual way."""
        verbindingen = self._verbindingen()
        conn = await verbindingen.neem()
        if conn is None:
            return None
        bruikbaar = False
        try:
            aangenomen = await self._in_transactie(conn, request, invoer)
            bruikbaar = True
        except (psycopg.Error, OSError) as exc:
            # Whatever it was (a lost race, a restart, a timeout), the usual path will meet it
            # again and answer as it always does; this connection is not trusted again.
            log.info("snelle aanname overgelaten aan de gewone weg", fout=type(exc).__name__)
            SNELLE_AANNAME.labels("database").inc()
            return None
        finally:
            await verbindingen.geef_terug(conn, bruikbaar)
        if isinstance(aangenomen, str):
            SNELLE_AANNAME.labels(aangenomen).inc()
            return None
        SNELLE_AANNAME.labels("aangenomen").inc()
        request.state.oin = aangenomen.oin
        return v1.als_json(v1.bericht_weergave(aangenomen.bericht, aangenomen.nu), 201)

    async def _in_transactie(
        self, conn: psycopg.AsyncConnection[Any], request: Request, invoer: EnvelopCreate
    ) -> _Aangenomen | Overgelaten:
        sql, parameters = crl_staat.voor_driver(self.dialect)
        async with conn.pipeline():
            cursor = await conn.execute(sql, parameters)  # BEGIN goes with it, one round trip
        rij = await cursor.fetchone()
        assert rij is not None
        nu = als_moment(rij[0], "postgresql")
        try:
            aangenomen = await self._neem_aan(conn, request, invoer, nu, int(rij[1]), int(rij[2]))
        except BaseException:
            await conn.rollback()
            raise
        if isinstance(aangenomen, str):
            await conn.rollback()
        else:
            await conn.commit()
        return aangenomen

    async def _neem_aan(
        self,
        conn: psycopg.AsyncConnection[Any],
        request: Request,
        invoer: EnvelopCreate,
        nu: datetime,
        crl_versie: int,
        adresboek_versie: int,
    ) -> _Aangenomen | Overgelaten:
        rt = self.runtime
        certificaten = deps.authenticaties(request)
        deelnemers = deps.deelnemercache(request)
        if certificaten is None or deelnemers is None or rt.ankers is None:
            return "certificaat"
        partij = auth.uit_geheugen(
            dict(request.scope),
            header=rt.settings.client_cert_header,
            proxies=rt.settings.trusted_proxy_networks,
            nu=nu,
            crl_versie=crl_versie,
            adresboek_versie=adresboek_versie,
            cache=certificaten,
        )
        if partij is None:
            return "certificaat"
        afzender = deelnemers.uit_geheugen(partij.oin, versie=adresboek_versie)
        if not isinstance(afzender, Deelnemer):
            return "adresboek"

        def deelnemer(oin: str) -> Deelnemer | None:
            gevonden = deelnemers.uit_geheugen(oin, versie=adresboek_versie)
            if isinstance(gevonden, adresboek.Onbekend):
                raise _NietInGeheugen(oin)
            return gevonden

        envelop = v1.als_envelop(invoer)
        statement, waarden, vragen = verzend_store.feitenvraag(feitvraag(afzender, envelop))
        feiten = verzend_store.feiten_uit(await statement.voer_uit_async(conn, self.dialect, waarden), vragen)
        # The view asks nothing of a session: its facts are read, its adresboek is the cache.
        zicht = Databasezicht(cast(Session, None), afzender, nu, rt.instellingen, deelnemer, feiten)
        try:
            uitkomst = toelaten(zicht, afzender, envelop, nu=nu, instellingen=rt.instellingen)
        except HubFout:
            return "regel"  # refused: the usual path refuses and audits it
        except _NietInGeheugen:
            return "adresboek"
        if isinstance(uitkomst, Herhaling):
            return "herhaling"
        if uitkomst.verwijzing is not None and uitkomst.berichttype.is_antwoord:
            return "antwoord"  # it also confirms its question
        kolommen = uitkomst.waarden
        opgeslagen = rt.dagsleutels.verzegel_uit_geheugen(
            afzender=kolommen["afzender"],
            referentienummer=kolommen["referentienummer"],
            ontvangen_op=kolommen["ontvangen_op"],
            verloopt_op=kolommen["verloopt_op"],
            jwe=envelop.inhoud,
        )
        if opgeslagen is None:
            return "dagsleutel"  # the day's key is to be made or its term extended: the usual path does it
        bericht = Bericht(**kolommen)
        claim = zicht.claimt
        parameters = verzend_store.schrijfparameters(
            kolommen, len(envelop.inhoud), opgeslagen, audit.verstuurd_regel(bericht, nu=nu)
        )
        rijen = await verzend_store.schrijfstatement(claim, True).voer_uit_async(
            conn, self.dialect, parameters
        )
        geschreven = verzend_store.geschreven_uit(rijen, claim=claim)
        if geschreven.id is None:
            return "wedloop"  # a concurrent retry with the same number won the race
        if geschreven.claim_verloren:
            # A concurrent first message claimed the conversation between the facts and the write
            # (common when one traject goes to many creditors at once): as `mailbox.verstuur` does,
            # read the owner again — the sender's own is fine, another's is the usual way's refusal.
            eigenaar = await verzend_store.eigenaarstatement().voer_uit_async(
                conn, self.dialect, {"conversatie": kolommen["conversatie_referentienummer"]}
            )
            if not eigenaar or eigenaar[0].shv != afzender.oin:
                return "wedloop"
        bericht.id = geschreven.id
        return _Aangenomen(bericht, nu, partij.oin)

    # --- the connections ---------------------------------------------------------------------

    def _verbindingen(self) -> _Verbindingen:
        lus = asyncio.get_running_loop()
        with self._slot:
            verbindingen = self._per_lus.get(lus)
            if verbindingen is None:
                for oud in [andere for andere in self._per_lus if andere.is_closed()]:
                    self._per_lus.pop(oud).sluit()
                verbindingen = self._per_lus[lus] = _Verbindingen(self.dsn, self.maximum)
            return verbindingen

    def sluit(self) -> None:
        """Close every connection (the runtime closes)."""
        with self._slot:
            for verbindingen in self._per_lus.values():
                verbindingen.sluit()
            self._per_lus.clear()
