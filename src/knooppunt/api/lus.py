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

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
import structlog
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
from knooppunt.store.lusverbindingen import Lusverbindingen
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


class Lus:
    """The submit on the event loop, with the asyncio connections of one API app (one process)."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.dialect = runtime.engine.dialect
        self.verbindingen = Lusverbindingen(runtime.engine, runtime.settings.api_threads)
        runtime.bij_sluiten.append(self.verbindingen.sluit)

    @staticmethod
    def voor(runtime: Runtime) -> Lus | None:
        """A `Lus` for this runtime, or None when its database is not PostgreSQL."""
        if runtime.engine.dialect.name != "postgresql":
            return None
        return Lus(runtime)

    async def verstuur(self, request: Request, invoer: EnvelopCreate) -> Response | None:
        """The answer to an accepted submit (201), or None: serve the request the usual way."""
        try:
            async with self.verbindingen.verbinding() as conn:
                if conn is None:
                    return None
                aangenomen = await self._in_transactie(conn, request, invoer)
        except (psycopg.Error, OSError) as exc:
            # Whatever it was (a lost race, a restart, a timeout), the usual path will meet it
            # again and answer as it always does; the connection is closed, not reused.
            log.info("snelle aanname overgelaten aan de gewone weg", fout=type(exc).__name__)
            SNELLE_AANNAME.labels("database").inc()
            return None
        if isinstance(aangenomen, str):
            SNELLE_AANNAME.labels(aangenomen).inc()
            return None
        SNELLE_AANNAME.labels("aangenomen").inc()
        request.state.oin = aangenomen.oin
        return v1.als_json(v1.bericht_weergave(aangenomen.bericht, aangenomen.nu), 201)

    async def _in_transactie(
        self, conn: psycopg.AsyncConnection[Any], request: Request, invoer: EnvelopCreate
    ) -> _Aangenomen | Overgelaten:
        nu, crl_versie, adresboek_versie = await crl_staat.nu_en_versie_async(conn, self.dialect)
        try:
            aangenomen = await self._neem_aan(conn, request, invoer, nu, crl_versie, adresboek_versie)
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
        feiten = await verzend_store.lees_feiten_async(conn, self.dialect, feitvraag(afzender, envelop))
        # The view asks nothing of a session: its facts are read, its adresboek is the cache.
        zicht = Databasezicht(None, afzender, nu, rt.instellingen, deelnemer, feiten)
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
        geschreven = await verzend_store.schrijf_async(
            conn,
            self.dialect,
            kolommen,
            grootte=len(envelop.inhoud),
            opgeslagen=opgeslagen,
            claim=zicht.claimt,
            auditregel=audit.verstuurd_regel(bericht, nu=nu),
        )
        if geschreven.id is None or geschreven.claim_verloren:
            # a concurrent retry won the number, or another sender's first message the conversation
            # (a lost claim to the sender's own first message is fine: schrijf_async reads it again)
            return "wedloop"
        bericht.id = geschreven.id
        return _Aangenomen(bericht, nu, partij.oin)
