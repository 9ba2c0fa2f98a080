"""#13 item 2: a submit reaches PostgreSQL in at most four round trips — the first statement with
its BEGIN (clock and versions, pipelined), the facts every rule needs, the writes, COMMIT — and no
pre-ping on a busy pool. Counted from SQLAlchemy's events: every statement it sends, every COMMIT,
plus the first statement, which goes to the driver directly (store.crl_staat.nu_en_versie)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from tests.factories import envelop


@pytest.fixture
def rondgangen(rt: Any) -> Iterator[list[str]]:
    if rt.engine.dialect.name != "postgresql":
        pytest.skip("round trips count on PostgreSQL; SQLite runs in-process")
    verstuurd: list[str] = []

    def statement(conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        verstuurd.append(sql.split(maxsplit=1)[0].upper())

    def commit(conn: Any) -> None:
        verstuurd.append("COMMIT")

    event.listen(rt.engine, "before_cursor_execute", statement)
    event.listen(rt.engine, "commit", commit)
    yield verstuurd
    event.remove(rt.engine, "before_cursor_execute", statement)
    event.remove(rt.engine, "commit", commit)


def test_een_bericht_aanbieden_kost_hoogstens_vier_rondgangen(
    cast: Any, client_voor: Any, rondgangen: list[str]
) -> None:
    shv, se = cast["gemeente"], cast["energie"]
    client = client_voor(shv)
    assert client.post("/berichten", json=envelop(shv, se, "saldoverzoek")).status_code == 201  # warm caches
    for soort in ("saldoverzoek", "kennisgeving"):
        rondgangen.clear()
        antwoord = client.post("/berichten", json=envelop(shv, se, soort))
        assert antwoord.status_code == 201, antwoord.text
        # the first statement (BEGIN + clock + versions, one pipelined round trip) is not in the list
        assert 1 + len(rondgangen) <= 4, rondgangen
        assert rondgangen == ["SELECT", "WITH", "COMMIT"], rondgangen


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
