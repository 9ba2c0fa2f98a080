"""The common fetch and confirm on the event loop, with no thread (#13, decision
docs/decisions/0035-ophalen-en-bevestigen-op-de-lus.md).

After the submit (api/lus.py, decision 0034), `GET /api/v1/berichten` and `POST /api/v1/bevestigingen`
cost as much server CPU per message as the submit, and the thread hop alone about 0.8 ms a request.
Each is ONE statement on PostgreSQL already (decision 0033), so `Inbox` runs them on the event loop,
on `Lus`'s asyncio connections, with the hub's own statements and rules:

- a fetch with no filter (only ``limit`` and ``volgende``, parsed by api.snel): BEGIN with the clock
  and versions, the caller from this process's cache of verified certificates, the fetch statement
  (`store.ophalen.haal_pagina_async`, the one `haal_pagina` runs), the content that came with the
  page opened with the day keys held in memory (`Dagsleutels.open_uit_geheugen`), COMMIT, and the
  answer the FastAPI route streams (`v1.berichten_stroom`), joined;
- a confirm: BEGIN with the clock and versions, the caller from the cache, the confirm statement
  (`store.bevestigen.bevestig_pagina_async`, the one `bevestig_pagina` runs, with the parameters
  `hub.mailbox.bevestigen.bevestigvraag` makes), COMMIT, and the answer the thread path gives.

Like the submit it only ever *serves the plain case*: a certificate or day key not in memory, a page
whose content is not all in hand (more than the first MiB: the rest would be read while streaming),
a number named twice or not confirmed by this statement (unknown, confirmed before, refused,
expired: each has its own outcome, perhaps a write), a database error, anything unexpected — rolls
back and returns None, and the request goes the usual way (api.snel, FastAPI), which does it afresh
and answers as it always has. PostgreSQL only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import psycopg
import structlog
from starlette.requests import Request
from starlette.responses import Response

from knooppunt.api import v1
from knooppunt.api.lus import Lus
from knooppunt.api.schemas import BevestigingenCreate, BevestigingenRead, BevestigingRead
from knooppunt.hub.adresboek import Partij
from knooppunt.hub.mailbox.bevestigen import bevestigvraag
from knooppunt.hub.mailbox.ophalen import INGESLOTEN_BYTES, Pagina, pagina_uit, paginavraag
from knooppunt.metrics import LUS_VERZOEKEN
from knooppunt.runtime import Runtime
from knooppunt.store import bevestigen as bevestig_store
from knooppunt.store import crl_staat
from knooppunt.store import ophalen as ophaal_store
from knooppunt.store.berichten import Berichtkolommen
from knooppunt.store.dagsleutels import NietInGeheugen

log = structlog.get_logger("knooppunt.api")

Overgelaten = str
"""Why a request was left to the usual way (knooppunt_api_lus_verzoeken{uitkomst=...})."""


class Inbox:
    """The fetch and the confirm on the event loop, on the connections of one API app's `Lus`."""

    def __init__(self, lus: Lus) -> None:
        self.lus = lus
        self.runtime = lus.runtime
        self.dialect = lus.dialect

    async def haal_op(self, request: Request, *, limiet: int, na_id: int | None) -> Response | None:
        """The answer to a fetch of ``limiet`` messages after ``na_id`` (200), or None: serve the
        request the usual way."""

        async def werk(conn: psycopg.AsyncConnection[Any], partij: Partij, nu: datetime) -> Response | str:
            return await self._haal_op(conn, partij, nu, limiet=limiet, na_id=na_id)

        return await self._op_de_lus("ophalen", request, werk)

    async def bevestig(self, request: Request, invoer: BevestigingenCreate) -> Response | None:
        """The answer to a confirm of which every number is confirmed now (200), or None."""
        nummers = invoer.referentienummers
        if len(set(nummers)) != len(nummers):
            # the second naming has its own outcome (the thread path's `_uitkomsten`)
            LUS_VERZOEKEN.labels("bevestigen", "dubbel").inc()
            return None

        async def werk(conn: psycopg.AsyncConnection[Any], partij: Partij, nu: datetime) -> Response | str:
            return await self._bevestig(conn, partij, nu, nummers)

        return await self._op_de_lus("bevestigen", request, werk)

    async def _op_de_lus(
        self,
        pad: str,
        request: Request,
        werk: Callable[[psycopg.AsyncConnection[Any], Partij, datetime], Awaitable[Response | Overgelaten]],
    ) -> Response | None:
        """BEGIN with the clock and versions, the caller from the cache, `werk`; COMMIT when it
        answers, else (and on any fault) ROLLBACK and None."""
        try:
            async with self.lus.verbindingen.verbinding() as conn:
                if conn is None:
                    LUS_VERZOEKEN.labels(pad, "database").inc()
                    return None
                nu, crl_versie, adresboek_versie = await crl_staat.nu_en_versie_async(conn, self.dialect)
                try:
                    partij = self.lus.partij(request, nu, (crl_versie, adresboek_versie))
                    uitkomst = "certificaat" if partij is None else await werk(conn, partij, nu)
                except BaseException:
                    await conn.rollback()
                    raise
                if isinstance(uitkomst, str):
                    await conn.rollback()
                else:
                    await conn.commit()
        except (psycopg.Error, OSError) as exc:
            # A lost race, a restart, a timeout: the usual way meets it again and answers as always;
            # the connection is closed, not reused.
            log.info("snel %s overgelaten aan de gewone weg", pad, fout=type(exc).__name__)
            LUS_VERZOEKEN.labels(pad, "database").inc()
            return None
        if isinstance(uitkomst, str):
            LUS_VERZOEKEN.labels(pad, uitkomst).inc()
            return None
        assert partij is not None
        LUS_VERZOEKEN.labels(pad, "bediend").inc()
        request.state.oin = partij.oin
        return uitkomst

    async def _haal_op(
        self,
        conn: psycopg.AsyncConnection[Any],
        partij: Partij,
        nu: datetime,
        *,
        limiet: int,
        na_id: int | None,
    ) -> Response | Overgelaten:
        rt = self.runtime
        rijen, meer = await ophaal_store.haal_pagina_async(
            conn,
            self.dialect,
            paginavraag(
                partij.oin,
                nu=nu,
                limiet=limiet,
                max_bytes=rt.instellingen.max_pagina_bytes,
                ingesloten_bytes=INGESLOTEN_BYTES,
                na_id=na_id,
            ),
        )
        try:
            pagina, zonder = pagina_uit(rijen, meer, nu=nu, open_=self._open)
        except NietInGeheugen:
            return "dagsleutel"  # the usual way reads the key from the key store
        if zonder or v1.te_lezen(pagina):
            return "niet_ingesloten"  # the rest would be read while streaming: the usual way does it
        return _als_antwoord(rt, partij.oin, nu, pagina)

    def _open(self, bericht: Berichtkolommen, opgeslagen: str) -> str | None:
        return self.runtime.dagsleutels.open_uit_geheugen(
            afzender=bericht.afzender, referentienummer=bericht.referentienummer, opgeslagen=opgeslagen
        )

    async def _bevestig(
        self, conn: psycopg.AsyncConnection[Any], partij: Partij, nu: datetime, nummers: list[str]
    ) -> Response | Overgelaten:
        uit = await bevestig_store.bevestig_pagina_async(
            conn,
            self.dialect,
            bevestigvraag(partij.oin, nu=nu, instellingen=self.runtime.instellingen),
            nummers,
        )
        bevestigd = {ref: (op, uiterlijk) for ref, nieuw, op, uiterlijk in uit if nieuw}
        if len(bevestigd) != len(nummers) or not set(bevestigd).issuperset(nummers):
            return "niet_alles"  # each other number has its own outcome: the usual way gives it
        # As the thread path answers a number it confirmed now (v1.bevestig_berichten): its status
        # as the statement left it, no code, when it was confirmed and when the answer is due.
        return v1.als_json(
            BevestigingenRead(
                bevestigingen=[
                    BevestigingRead(
                        referentienummer=ref,
                        status="bevestigd",
                        code=None,
                        bevestigd_op=v1.tijd(bevestigd[ref][0]),
                        antwoord_uiterlijk=v1.tijd(bevestigd[ref][1]),
                    )
                    for ref in nummers
                ]
            )
        )


def _als_antwoord(rt: Runtime, ontvanger: str, nu: datetime, pagina: Pagina) -> Response:
    """The FastAPI route's streamed body (`v1.berichten_stroom`) in one piece: all its content is in
    hand, so producing it reads nothing."""
    return Response(b"".join(v1.berichten_stroom(rt, ontvanger, nu, pagina)), media_type="application/json")
