"""The common submit on the event loop, with no thread (#13, docs/decisions/0034-submit-op-de-lus.md).

#13's prototype (bench/prototype.py) showed what stood between the hub and its targets: handing
every request to a thread pool costs about 0.8 ms of CPU per message under load (the event loop and
the handler threads taking turns at the GIL) and ~40 % of the throughput. `Lus` serves the common
`POST /api/v1/berichten` on the event loop itself, on asyncio psycopg connections of its own, with
the hub's own statements and rules:

1. the caller from this process's cache of verified certificates (`api.auth.uit_geheugen`) and
   its adresboek entry from the adresboek cache (`Deelnemercache.uit_geheugen`), under the
   versions the previous statement read;
2. every fact the rules need with the clock and both versions in one statement
   (`store.verzenden.lees_feiten_los_async`), the caller and its entry judged again under what it
   read, the rules decided by the admission pipeline (`hub.mailbox.toelating.toelaten`) — the same
   code as every other submit;
3. the inhoud sealed under the day key held in memory, the message, inhoud, claim, counter and audit
   entry in one statement that is its own transaction (`store.verzenden.schrijf_los_async`: it writes
   nothing unless the message is accepted).
The connection is in autocommit: two statements, two round trips, no BEGIN or COMMIT (decision
0034, addendum).

It only ever *accepts*: whenever anything else would be needed — a certificate or adresboek entry
not in memory, CRLs to refresh or load, a day key to make, a refusal, a retry, an answer (which also
confirms its question), a lost race, any database error — it writes nothing and returns
None, and the request is served by the thread path exactly as before (`api.snel`), which judges it
afresh, refuses and audits as it always has (a write whose commit the error hid is found there as
a repeat: 200 with the stored message). So there is one set of rules and one way to refuse;
this adds a faster way to say yes. PostgreSQL only (SQLite runs in-process; the thread path stays).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import psycopg
import structlog
from starlette.requests import Request
from starlette.responses import Response

from knooppunt.api import auth, deps, v1
from knooppunt.api.schemas import EnvelopCreate
from knooppunt.hub import adresboek, audit
from knooppunt.hub.adresboek import Partij
from knooppunt.hub.fouten import HubFout
from knooppunt.hub.mailbox import controles
from knooppunt.hub.mailbox.toelating import Databasezicht, Herhaling, feitvraag, toelaten
from knooppunt.metrics import SNELLE_AANNAME
from knooppunt.runtime import Runtime
from knooppunt.store import crl_staat
from knooppunt.store import verzenden as verzend_store
from knooppunt.store.berichten import NieuwBericht
from knooppunt.store.lusverbindingen import Lusverbindingen
from knooppunt.store.models import Deelnemer

log = structlog.get_logger("knooppunt.api")


class _NietInGeheugen(Exception):
    """An adresboek entry the rules ask for is not in this process's cache."""


@dataclass(frozen=True, slots=True)
class _Aangenomen:
    bericht: NieuwBericht
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
        # The versions the last statement read: which cache entries to try before the database says
        # which count (each is judged again under what the request's own statement reads).
        self._stand: tuple[int, int] | None = None

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
                aangenomen = await self._neem_aan(conn, request, invoer)
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

    def partij(self, request: Request, nu: datetime, stand: tuple[int, int]) -> Partij | None:
        """The caller as this process's cache of verified certificates knows it under the clock and
        the (CRL, adresboek) versions ``stand``, or None (api.auth.uit_geheugen)."""
        rt = self.runtime
        certificaten = deps.authenticaties(request)
        if certificaten is None or rt.ankers is None:
            return None
        return auth.uit_geheugen(
            dict(request.scope),
            header=rt.settings.client_cert_header,
            proxies=rt.settings.trusted_proxy_networks,
            nu=nu,
            crl_versie=stand[0],
            adresboek_versie=stand[1],
            cache=certificaten,
        )

    async def _neem_aan(
        self, conn: psycopg.AsyncConnection[Any], request: Request, invoer: EnvelopCreate
    ) -> _Aangenomen | Overgelaten:
        """Two statements, each its own transaction (the connection is in autocommit): the facts
        with the clock and versions, then — accepted — the write, which commits. The caller and its
        adresboek entry are first taken from memory under the versions read last, to know which
        facts to read; then judged again, exactly as before, under the versions and the clock that
        statement read: anything else leaves the request to the usual way, with nothing written."""
        rt = self.runtime
        deelnemers = deps.deelnemercache(request)
        if deelnemers is None:
            return "certificaat"
        if self._stand is None:
            _nu, crl_versie, adresboek_versie = await crl_staat.nu_en_versie_async(
                conn, self.dialect, begin=False
            )
            self._stand = (crl_versie, adresboek_versie)
        vermoed = self.partij(request, datetime.now(UTC), self._stand)
        if vermoed is None:
            return "certificaat"
        afzender = deelnemers.uit_geheugen(vermoed.oin, versie=self._stand[1])
        if not isinstance(afzender, Deelnemer):
            return "adresboek"
        envelop = v1.als_envelop(invoer)
        feiten, stand = await verzend_store.lees_feiten_los_async(
            conn, self.dialect, feitvraag(afzender, envelop)
        )
        nu = stand.nu
        self._stand = (stand.crl_versie, stand.adresboek_versie)
        partij = self.partij(request, nu, self._stand)
        if partij is None or partij.oin != vermoed.oin:
            return "certificaat"
        if deelnemers.uit_geheugen(partij.oin, versie=stand.adresboek_versie) is not afzender:
            return "adresboek"

        def deelnemer(oin: str) -> Deelnemer | None:
            gevonden = deelnemers.uit_geheugen(oin, versie=stand.adresboek_versie)
            if isinstance(gevonden, adresboek.Onbekend):
                raise _NietInGeheugen(oin)
            return gevonden

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
        # a plain record, not an ORM `Bericht` (which costs more to make than the rest of the answer)
        bericht = NieuwBericht(id=0, **kolommen)
        geschreven = await verzend_store.schrijf_los_async(
            conn,
            self.dialect,
            kolommen,
            grootte=len(envelop.inhoud),
            opgeslagen=opgeslagen,
            claim=zicht.claimt,
            eigenaren=controles.toegestane_eigenaren(afzender, envelop),
            auditregel=audit.verstuurd_regel(bericht, nu=nu),
        )
        if geschreven.id is None:
            # nothing written: a concurrent retry won the number, or another party's first message
            # the conversation — the usual way judges it again and answers
            return "wedloop"
        return _Aangenomen(replace(bericht, id=geschreven.id), nu, partij.oin)
