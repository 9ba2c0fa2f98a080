"""#13 item 2: a submit, a fetch and a confirm reach PostgreSQL in at most four round trips, and no
pre-ping on a busy pool. A submit on the event loop: two — the facts every rule needs with the
clock and versions, and the writes, each a transaction of its own (api/lus.py). A fetch and a
confirm: three, their one statement a WITH (decision 0033). Counted at the driver: every psycopg
`Cursor.execute` outside a pipeline is a round trip, a pipeline is one (its statements share one
Sync), so is every `executemany` (psycopg pipelines its rows: the audit entries or counters a
session writes at commit), and every `Connection.commit` is one — whatever SQLAlchemy or the hub's
own hot statements (store.db.Vast) send."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import event

from tests.factories import envelop


@pytest.fixture
def rondgangen(rt: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("round trips count on PostgreSQL; SQLite runs in-process")
    verstuurd: list[str] = []

    def woord_van(query: Any, cursor: Any) -> str:
        tekst = (
            query.decode()
            if isinstance(query, bytes)
            else query
            if isinstance(query, str)
            else query.as_string(cursor)
        )
        return str(tekst).split(maxsplit=1)[0].upper().rstrip(";")

    execute, executemany = psycopg.Cursor.execute, psycopg.Cursor.executemany
    commit = psycopg.Connection.commit

    def teller_execute(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        woord = woord_van(query, self)
        verstuurd.append(f"{woord} (pipeline)" if self.connection._pipeline is not None else woord)
        return execute(self, query, *args, **kwargs)

    def teller_executemany(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        # psycopg 3 pipelines an executemany: one round trip, whatever its rows (audit entries,
        # counters, receipts written at commit)
        woord = woord_van(query, self)
        verstuurd.append(f"{woord} (many)")
        return executemany(self, query, *args, **kwargs)

    def teller_commit(self: psycopg.Connection[Any]) -> None:
        verstuurd.append("COMMIT")
        commit(self)

    monkeypatch.setattr(psycopg.Cursor, "execute", teller_execute)
    monkeypatch.setattr(psycopg.Cursor, "executemany", teller_executemany)
    monkeypatch.setattr(psycopg.Connection, "commit", teller_commit)
    # The common submit runs on the event loop (api/lus.py), on asyncio connections: counted alike.
    a_execute, a_commit = psycopg.AsyncCursor.execute, psycopg.AsyncConnection.commit

    async def teller_a_execute(self: psycopg.AsyncCursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        woord = woord_van(query, self)
        verstuurd.append(f"{woord} (pipeline)" if self.connection._pipeline is not None else woord)
        return await a_execute(self, query, *args, **kwargs)

    async def teller_a_commit(self: psycopg.AsyncConnection[Any]) -> None:
        verstuurd.append("COMMIT")
        await a_commit(self)

    monkeypatch.setattr(psycopg.AsyncCursor, "execute", teller_a_execute)
    monkeypatch.setattr(psycopg.AsyncConnection, "commit", teller_a_commit)
    yield verstuurd


def test_een_bericht_aanbieden_kost_hoogstens_vier_rondgangen(
    cast: Any, client_voor: Any, rondgangen: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    # One event loop for all requests, as in a served process (a test client outside a `with`
    # runs each request on a loop, and so an asyncio connection, of its own).
    with client_voor(shv) as client:
        warm = client.post("/berichten", json=envelop(shv, se, "saldoverzoek"))  # caches, connections
        assert warm.status_code == 201
        for soort in ("saldoverzoek", "kennisgeving"):
            rondgangen.clear()
            antwoord = client.post("/berichten", json=envelop(shv, se, soort))
            assert antwoord.status_code == 201, antwoord.text
            # On the event loop: the facts with the clock and versions, then the write, each its
            # own transaction (autocommit); no BEGIN, no COMMIT, no pre-ping (SELECT 1)
            assert rondgangen == ["SELECT", "WITH"], rondgangen


def test_een_herhaalde_poging_en_een_weigering_schrijven_niets_van_het_bericht(
    cast: Any, client_voor: Any, rondgangen: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    client = client_voor(shv)
    e = envelop(shv, se, "saldoverzoek")
    assert client.post("/berichten", json=e).status_code == 201
    rondgangen.clear()
    herhaald = client.post("/berichten", json=e)
    assert herhaald.status_code == 200
    assert "WITH" not in rondgangen and "INSERT" not in rondgangen, rondgangen
    rondgangen.clear()
    # a betaalvoorstel before any answer: refused by art. 9.3/11.1-style rules decided in memory
    fout = client.post("/berichten", json=envelop(shv, se, "schuldregeling_geaccordeerd"))
    assert fout.status_code == 422, fout.text
    assert "WITH" not in rondgangen, rondgangen


def _inbox(client_voor: Any, cast: Any, aantal: int) -> list[dict[str, Any]]:
    shv, se = cast["gemeente"], cast["energie"]
    client = client_voor(shv)
    enveloppen = [envelop(shv, se, "saldoverzoek") for _ in range(aantal)]
    for e in enveloppen:
        assert client.post("/berichten", json=e).status_code == 201
    return enveloppen


@pytest.fixture
def sleutelopslag_gebruikt(rt: Any) -> Iterator[list[str]]:
    """Every checkout of the day-key store's own engine (store.dagsleutels)."""
    gebruikt: list[str] = []

    def _uit(*_args: Any) -> None:
        gebruikt.append("checkout")

    event.listen(rt.dagsleutels.engine, "checkout", _uit)
    yield gebruikt
    event.remove(rt.dagsleutels.engine, "checkout", _uit)


def test_een_pagina_ophalen_kost_hoogstens_vier_rondgangen(
    cast: Any, client_voor: Any, rondgangen: list[str], sleutelopslag_gebruikt: list[str]
) -> None:
    enveloppen = _inbox(client_voor, cast, 100)
    # One event loop for all requests, as in a served process: the fetch runs on it (api/lus_inbox.py)
    with client_voor(cast["energie"]) as se:
        assert se.get("/berichten", params={"limit": 1}).status_code == 200  # warm caches (day key too)
        _twee_paginas(se, enveloppen, rondgangen, sleutelopslag_gebruikt)


def _twee_paginas(
    se: Any, enveloppen: list[dict[str, Any]], rondgangen: list[str], sleutelopslag_gebruikt: list[str]
) -> None:
    volgende: dict[str, str] = {}
    for pagina in (enveloppen[:50], enveloppen[50:]):
        rondgangen.clear()
        sleutelopslag_gebruikt.clear()
        antwoord = se.get("/berichten", params={"limit": 50, **volgende})
        assert antwoord.status_code == 200, antwoord.text
        # the first MiB of a page's content comes with it: the streamed answer reads nothing more
        assert [b["inhoud"] for b in antwoord.json()["berichten"]] == [e["inhoud"] for e in pagina]
        # BEGIN + clock + versions (one simple query on the event loop), the page marked, audited
        # and with its content, COMMIT; the day key is cached, so the key store is not asked (no
        # checkout, no pre-ping)
        assert rondgangen == ["BEGIN", "WITH", "COMMIT"], rondgangen
        assert sleutelopslag_gebruikt == []
        volgende = {"volgende": antwoord.json()["volgende"]} if "volgende" in antwoord.json() else {}
    assert volgende == {}  # DESIGN §4: `volgende` only "when more remain"


def test_een_pagina_van_honderd_bevestigen_kost_hoogstens_vier_rondgangen(
    cast: Any, client_voor: Any, rondgangen: list[str]
) -> None:
    nummers = [e["referentienummer"] for e in _inbox(client_voor, cast, 101)]
    with client_voor(cast["energie"]) as se:  # one event loop: the confirm runs on it (api/lus_inbox.py)
        assert se.post("/bevestigingen", json={"referentienummers": nummers[:1]}).status_code == 200  # warm
        rondgangen.clear()
        antwoord = se.post("/bevestigingen", json={"referentienummers": nummers[1:]})
    assert antwoord.status_code == 200, antwoord.text
    assert [u["status"] for u in antwoord.json()["bevestigingen"]] == ["bevestigd"] * 100
    # BEGIN + clock + versions (one simple query on the event loop); lock, confirm, delete the
    # inhoud, lower the counters, the receipts and the audit entries in one statement; COMMIT
    assert rondgangen == ["BEGIN", "WITH", "COMMIT"], rondgangen


def test_een_weigering_kost_hoogstens_vier_rondgangen(
    cast: Any, client_voor: Any, rondgangen: list[str]
) -> None:
    eerste, tweede = (e["referentienummer"] for e in _inbox(client_voor, cast, 2))
    se = client_voor(cast["energie"])
    weigering = {"reden": "ONTSLEUTELING_MISLUKT"}
    assert se.post(f"/berichten/{eerste}/weigering", json=weigering).status_code == 200  # warm caches
    rondgangen.clear()
    antwoord = se.post(f"/berichten/{tweede}/weigering", json=weigering)
    assert antwoord.status_code == 200, antwoord.text
    # BEGIN + clock + versions; refuse, delete the inhoud, lower the counter, the foutbericht to the
    # sender and the audit entry in one statement; COMMIT
    assert rondgangen == ["SELECT (pipeline)", "WITH", "COMMIT"], rondgangen
