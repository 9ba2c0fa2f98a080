"""Concurrent verzendingen (`hub.verzendingen`, DESIGN §4): they never deadlock. Locks are taken in
a fixed order (new conversations sorted, questions by id), and a race the database still reports
(overlapping referentienummers in another order) is retried inside the hub, never answered as an
error. On PostgreSQL the threads really interleave; SQLite serialises writers."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from knooppunt.hub import mailbox, verzendingen
from knooppunt.runtime import Runtime
from knooppunt.store import berichten as store
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht, Conversatie, Deelnemer
from tests.factories import Partij
from tests.integration.test_mailbox_reeks import env


def _verstuur(rt: Runtime, van: Partij, envelops: list[mailbox.Envelop]) -> list[tuple[int, str | None]]:
    with transactie(rt.sessions) as session:
        afzender = session.get(Deelnemer, van.oin)
        assert afzender is not None
        uitslag = verzendingen.verstuur(
            session, afzender, envelops, alles_of_niets=False, nu=db_nu(session), instellingen=rt.instellingen
        )
    return [(u.status, u.fout.code if u.fout else None) for u in uitslag.uitkomsten]


def _tegelijk(*taken: Callable[[], Any]) -> list[Any]:
    """Run the tasks in threads that start together; their results, or what they raised."""
    start = threading.Barrier(len(taken))
    uitkomsten: list[Any] = [None] * len(taken)

    def draai(i: int) -> None:
        start.wait()
        try:
            uitkomsten[i] = taken[i]()
        except BaseException as exc:  # the test inspects what was raised
            uitkomsten[i] = exc

    draden = [threading.Thread(target=draai, args=(i,)) for i in range(len(taken))]
    for draad in draden:
        draad.start()
    for draad in draden:
        draad.join(timeout=120)
    return uitkomsten


@pytest.fixture
def wedlopen(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The lost races the hub retried (deadlocks, serialisation failures)."""
    gezien: list[str] = []
    echt = verzendingen.is_wedloop

    def tel(fout: DBAPIError) -> bool:
        uitkomst = echt(fout)
        if uitkomst:
            gezien.append(str(getattr(fout.orig, "sqlstate", "")))
        return uitkomst

    monkeypatch.setattr(verzendingen, "is_wedloop", tel)
    return gezien


def test_verzendingen_die_dezelfde_conversaties_in_andere_volgorde_beginnen_wachten_op_elkaar(
    cast: dict[str, Partij], rt: Runtime, wedlopen: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One SHV, two verzendingen at once starting the same 20 conversations (kennisgevingen to two
    creditors), one in the reverse order of the other: no deadlock at all, every envelope 201.

    To make the interleaving certain, each verzending registers its first conversation, then waits
    (a second at most) for the other to have done the same before it registers the rest, in the
    order the hub gave them: in the order of the envelopes they would deadlock."""
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    samen = threading.Barrier(2)
    echt = store.claim_conversaties

    def stapsgewijs(session: Any, *, conversaties: list[str], shv: str, nu: Any) -> dict[str, str]:
        echt(session, conversaties=conversaties[:1], shv=shv, nu=nu)
        # Broken after a second: the other one waits for our first conversation, as it should.
        with contextlib.suppress(threading.BrokenBarrierError):
            samen.wait(timeout=1)
        return echt(session, conversaties=conversaties, shv=shv, nu=nu)

    monkeypatch.setattr(store, "claim_conversaties", stapsgewijs)
    conversaties = [str(uuid.uuid4()) for _ in range(20)]
    naar_energie = [env(gemeente, energie, "kennisgeving", conversatie=c) for c in conversaties]
    naar_woning = [env(gemeente, woning, "kennisgeving", conversatie=c) for c in reversed(conversaties)]
    uitkomsten = _tegelijk(
        lambda: _verstuur(rt, gemeente, naar_energie), lambda: _verstuur(rt, gemeente, naar_woning)
    )
    assert uitkomsten == [[(201, None)] * 20] * 2, uitkomsten
    assert wedlopen == []
    with transactie(rt.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Conversatie)) == 20
        assert session.scalar(select(func.count()).select_from(Bericht)) == 40


def test_verzendingen_met_dezelfde_berichten_in_andere_volgorde_worden_opnieuw_geprobeerd(
    cast: dict[str, Partij], rt: Runtime, wedlopen: list[str]
) -> None:
    """The same envelopes sent twice at once in opposite orders (a retry while the first is still
    running): each message is stored once, one verzending gets 201 and the other 200 for it, and a
    deadlock between them, if the database reports one, is retried inside the hub."""
    gemeente, energie = cast["gemeente"], cast["energie"]
    for _ in range(3):
        envelops = [env(gemeente, energie, "saldoverzoek_nuts") for _ in range(30)]
        uitkomsten = _tegelijk(
            lambda e=envelops: _verstuur(rt, gemeente, e),  # type: ignore[misc]
            lambda e=envelops: list(reversed(_verstuur(rt, gemeente, list(reversed(e))))),  # type: ignore[misc]
        )
        assert all(isinstance(u, list) for u in uitkomsten), uitkomsten
        for eerste, tweede in zip(uitkomsten[0], uitkomsten[1], strict=True):
            assert sorted([eerste, tweede]) == [(200, None), (201, None)]
    assert set(wedlopen) <= {"40P01"}
    with transactie(rt.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Bericht)) == 90
