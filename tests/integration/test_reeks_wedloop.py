"""Two batches with the same referentienummers at once on PostgreSQL (the portal's double click,
decision 0016): the one that waits for the other's insert gets REFERENTIENUMMER_CONFLICT, never a
database error, and the first batch's messages stay the first batch's."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from knooppunt.hub import mailbox
from knooppunt.runtime import Runtime
from knooppunt.store.berichten import open_inhoud
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Bericht, BerichtInhoud, Deelnemer
from tests.factories import Partij
from tests.integration.test_mailbox_reeks import env, reeks


def _wacht_op_slot(database_url: str, draad: threading.Thread, uitkomst: list[BaseException | None]) -> None:
    """Until another connection waits for a lock (the second insert waits for the first); up to
    180 s, for a machine busy with the rest of the suite (CI failed twice at 60 s), and no longer
    than the second batch's thread lives. A failure says what every session of the database was
    doing, so that the next one can be understood."""
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    begin = time.monotonic()
    try:
        with engine.connect() as conn:
            while time.monotonic() - begin < 180 and draad.is_alive():
                wachtend = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()"
                    )
                )
                if wachtend:
                    return
                time.sleep(0.05)
            sessies = conn.execute(
                text(
                    "SELECT pid, state, wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).all()
    finally:
        engine.dispose()
    raise AssertionError(
        f"the second batch never waited for the first: after {time.monotonic() - begin:.1f} s its thread "
        f"{'still runs' if draad.is_alive() else 'ended'}, having raised {uitkomst[0]!r}; sessions: {sessies}"
    )


def test_a_batch_that_waited_for_one_with_the_same_numbers_gets_a_conflict(
    cast: dict[str, Partij], rt: Runtime, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers (BEGIN IMMEDIATE): the second batch starts after the first")
    gemeente, energie = cast["gemeente"], cast["energie"]
    vragen = [env(gemeente, energie, "saldoverzoek_nuts") for _ in range(2)]
    reeks(rt, gemeente, vragen)
    eerste = [
        env(
            energie,
            gemeente,
            "klant_onbekend",
            conversatie=v.conversatie_referentienummer,
            antwoord_op=v.referentienummer,
        )
        for v in vragen
    ]
    # the same numbers sealed again: other ciphertext, so another envelope hash
    tweede = [dataclasses.replace(e, inhoud=env(energie, gemeente, "klant_onbekend").inhoud) for e in eerste]
    uitkomst: list[BaseException | None] = [None]

    def tweede_reeks() -> None:
        try:
            reeks(rt, energie, tweede)
        except BaseException as exc:  # the test inspects what was raised
            uitkomst[0] = exc

    with transactie(rt.sessions) as session:
        afzender = session.get(Deelnemer, energie.oin)
        assert afzender is not None
        mailbox.verstuur_reeks(session, afzender, eerste, nu=db_nu(session), instellingen=rt.instellingen)
        draad = threading.Thread(target=tweede_reeks)
        draad.start()
        _wacht_op_slot(database_url, draad, uitkomst)
    draad.join(timeout=60)

    fout = uitkomst[0]
    assert isinstance(fout, mailbox.Reeksweigering), repr(fout)
    assert fout.code == "REFERENTIENUMMER_CONFLICT"
    with transactie(rt.sessions) as session:
        assert (
            session.scalar(select(func.count()).select_from(Bericht).where(Bericht.afzender == energie.oin))
            == 2
        )
        for e in eerste:
            opgeslagen = session.scalar(
                select(BerichtInhoud.jwe).join(Bericht).where(Bericht.referentienummer == e.referentienummer)
            )
            assert opgeslagen is not None
            jwe = open_inhoud(
                session, afzender=energie.oin, referentienummer=e.referentienummer, opgeslagen=opgeslagen
            )
            assert jwe == e.inhoud  # the first batch's content, sealed under the day key
