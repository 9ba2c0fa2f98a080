"""Asyncio PostgreSQL connections of one process, per event loop (the common submit on the event
loop, api/lus.py, decision 0034): at most ``maximum`` per loop, made durable as the engine's own
(`db.verbind_async`); a connection that saw an error is closed, not reused. A served process has one
loop; a test client runs each request on a loop of its own, so the connections of loops that closed
are closed when the next loop comes, and `sluit` (the runtime's close) closes the rest."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
import structlog
from sqlalchemy import Engine

from knooppunt.store.db import verbind_async

log = structlog.get_logger("knooppunt.store")


class _Verbindingen:
    """The connections of one event loop."""

    def __init__(self, engine: Engine, maximum: int) -> None:
        self.engine = engine
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
                conn = await verbind_async(self.engine)
            except (psycopg.Error, OSError) as exc:
                log.info("geen verbinding op de lus", fout=type(exc).__name__)
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


def _sluit(conn: psycopg.AsyncConnection[Any]) -> None:
    """Close without the event loop (it may be closed already): libpq's own close."""
    if not conn.closed:
        conn.pgconn.finish()


class Lusverbindingen:
    def __init__(self, engine: Engine, maximum: int) -> None:
        self.engine = engine
        self.maximum = maximum
        self._per_lus: dict[asyncio.AbstractEventLoop, _Verbindingen] = {}
        self._slot = threading.Lock()

    def _van_deze_lus(self) -> _Verbindingen:
        lus = asyncio.get_running_loop()
        with self._slot:
            verbindingen = self._per_lus.get(lus)
            if verbindingen is None:
                for oud in [andere for andere in self._per_lus if andere.is_closed()]:
                    self._per_lus.pop(oud).sluit()
                verbindingen = self._per_lus[lus] = _Verbindingen(self.engine, self.maximum)
            return verbindingen

    @asynccontextmanager
    async def verbinding(self) -> AsyncIterator[psycopg.AsyncConnection[Any] | None]:
        """A connection of this loop (None: none could be made), given back afterwards — closed
        instead when the block raised."""
        verbindingen = self._van_deze_lus()
        conn = await verbindingen.neem()
        if conn is None:
            yield None
            return
        bruikbaar = False
        try:
            yield conn
            bruikbaar = True
        finally:
            await verbindingen.geef_terug(conn, bruikbaar)

    def aantal(self) -> int:
        """Open connections over all loops."""
        with self._slot:
            return sum(len(v.alle) for v in self._per_lus.values())

    def sluit(self) -> None:
        """Close every connection (the runtime closes)."""
        with self._slot:
            for verbindingen in self._per_lus.values():
                verbindingen.sluit()
            self._per_lus.clear()
