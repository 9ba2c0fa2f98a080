"""A PostgreSQL server that accepts a connection and then says nothing holds neither the engine's
connections nor the event loop's longer than the connect timeout (`store.db.VERBIND_SECONDEN`, or
the URL's own ``connect_timeout``): the request fails or goes the usual way instead of hanging."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

from knooppunt.store import db


@pytest.fixture
def stille_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    open_: list[socket.socket] = []
    stop = threading.Event()

    def neem_aan() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                open_.append(server.accept()[0])
            except OSError:
                continue

    draad = threading.Thread(target=neem_aan, daemon=True)
    draad.start()
    yield server.getsockname()[1]
    stop.set()
    draad.join()
    for s in open_:
        s.close()
    server.close()


def test_de_engine_wacht_niet_langer_dan_de_verbindtermijn(
    stille_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "VERBIND_SECONDEN", 1)
    engine = db.maak_engine(f"postgresql+psycopg://postgres@127.0.0.1:{stille_server}/test")
    begin = time.monotonic()
    with pytest.raises(OperationalError):
        engine.connect()
    assert time.monotonic() - begin < 8


def test_de_eigen_connect_timeout_van_de_url_telt(stille_server: int) -> None:
    engine = db.maak_engine(f"postgresql+psycopg://postgres@127.0.0.1:{stille_server}/test?connect_timeout=1")
    begin = time.monotonic()
    with pytest.raises(OperationalError):
        engine.connect()
    assert time.monotonic() - begin < 8


def test_de_lus_wacht_niet_langer_dan_de_verbindtermijn(
    stille_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "VERBIND_SECONDEN", 1)
    engine = db.maak_engine(f"postgresql+psycopg://postgres@127.0.0.1:{stille_server}/test")
    begin = time.monotonic()
    with pytest.raises(psycopg.OperationalError):
        asyncio.run(db.verbind_async(engine))
    assert time.monotonic() - begin < 8
