"""The hub's batch path (`mailbox.verstuur_reeks`, `mailbox.controleer_reeks`): the same rules as
one message at a time, each message judged as if the ones before it in the batch had been
submitted; all or nothing."""

from __future__ import annotations

import dataclasses
import sqlite3
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from knooppunt.hub import mailbox
from knooppunt.runtime import Runtime
from knooppunt.store.db import db_nu, transactie
from knooppunt.store.models import Auditregel, Bericht, Deelnemer
from tests.factories import Partij, envelop


def env(van: Partij, aan: Partij, berichttype: str, **kwargs: Any) -> mailbox.Envelop:
    e = envelop(van, aan, berichttype, **kwargs)
    return mailbox.Envelop(
        referentienummer=e["referentienummer"],
        conversatie_referentienummer=e["conversatieReferentienummer"],
        cross_referentienummer=e["crossReferentienummer"],
        berichttype=e["berichttype"],
        module=e["module"],
        versie=e["versie"],
        ontvanger=e["ontvanger"],
        inhoud=e["inhoud"],
    )


def reeks(
    rt: Runtime, van: Partij, envelops: list[mailbox.Envelop], **instellingen: Any
) -> list[tuple[Bericht, bool]]:
    with transactie(rt.sessions) as session:
        afzender = session.get(Deelnemer, van.oin)
        assert afzender is not None
        return mailbox.verstuur_reeks(
            session,
            afzender,
            envelops,
            nu=db_nu(session),
            instellingen=dataclasses.replace(rt.instellingen, **instellingen),
        )


def controleer(rt: Runtime, van: Partij, envelops: list[mailbox.Envelop]) -> list[str | None]:
    with transactie(rt.sessions) as session:
        afzender = session.get(Deelnemer, van.oin)
        assert afzender is not None
        uitkomsten = mailbox.controleer_reeks(
            session, afzender, envelops, nu=db_nu(session), instellingen=rt.instellingen
        )
    return [u.code if u else None for u in uitkomsten]


def aantal(rt: Runtime, **filters: Any) -> int:
    with transactie(rt.sessions) as session:
        query = select(func.count()).select_from(Bericht)
        for veld, waarde in filters.items():
            query = query.where(getattr(Bericht, veld) == waarde)
        return int(session.scalar(query) or 0)


def test_answers_in_a_batch_confirm_and_answer_their_questions(cast: dict[str, Partij], rt: Runtime) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    vragen = [env(gemeente, energie, "saldoverzoek_nuts") for _ in range(3)]
    reeks(rt, gemeente, vragen)
    antwoorden = [
        env(
            energie,
            gemeente,
            "klant_onbekend",
            conversatie=v.conversatie_referentienummer,
            antwoord_op=v.referentienummer,
        )
        for v in vragen
    ]
    uitkomst = reeks(rt, energie, antwoorden)
    assert [nieuw for _, nieuw in uitkomst] == [True, True, True]
    with transactie(rt.sessions) as session:
        statussen = {
            b.referentienummer: b.status
            for b in session.scalars(select(Bericht).where(Bericht.ontvanger == energie.oin))
        }
        verstuurd = session.scalar(
            select(func.count()).select_from(Auditregel).where(Auditregel.actie == "verstuurd")
        )
        bevestigd = list(session.scalars(select(Auditregel.uitkomst).where(Auditregel.actie == "bevestigd")))
    assert set(statussen.values()) == {"beantwoord"}
    assert aantal(rt, berichttype="ontvangstbevestiging", ontvanger=gemeente.oin) == 3
    assert verstuurd == 6 and bevestigd == ["door_antwoord"] * 3


def test_all_or_nothing_and_the_refusal_names_its_message(cast: dict[str, Partij], rt: Runtime) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    vragen = [env(gemeente, energie, "saldoverzoek_nuts") for _ in range(2)]
    reeks(rt, gemeente, vragen)
    antwoorden = [
        env(
            energie,
            gemeente,
            "saldoverzoek_antwoord",
            conversatie=vragen[0].conversatie_referentienummer,
            antwoord_op=vragen[0].referentienummer,
        ),
        env(
            energie,
            gemeente,
            "saldoverzoek_antwoord_standaard_akkoord",
            conversatie=vragen[1].conversatie_referentienummer,
            antwoord_op=vragen[1].referentienummer,
        ),
    ]
    with pytest.raises(mailbox.Reeksweigering) as fout:
        reeks(rt, energie, antwoorden)
    assert (fout.value.index, fout.value.code, fout.value.artikel) == (1, "GEEN_STANDAARD_AKKOORD", "7.1")
    assert (
        fout.value.auditregel is not None
        and fout.value.auditregel["referentienummer"] == antwoorden[1].referentienummer
    )
    assert aantal(rt, afzender=energie.oin) == 0  # the first was rolled back with it
    assert aantal(rt, berichttype="ontvangstbevestiging") == 0


def test_dry_run_reports_every_refusal_and_writes_nothing(cast: dict[str, Partij], rt: Runtime) -> None:
    gemeente, energie, zorg = cast["gemeente"], cast["energie"], cast["zorg"]
    vraag = env(gemeente, energie, "saldoverzoek_nuts")
    reeks(rt, gemeente, [vraag])
    conversatie = vraag.conversatie_referentienummer
    uitkomsten = controleer(
        rt,
        energie,
        [
            env(
                energie,
                gemeente,
                "saldoverzoek_antwoord",
                conversatie=conversatie,
                antwoord_op=vraag.referentienummer,
            ),
            env(
                energie,
                gemeente,
                "saldoverzoek_antwoord",
                conversatie=conversatie,
                antwoord_op=str(uuid.uuid4()),
            ),
            env(energie, gemeente, "statusverzoek", conversatie=str(uuid.uuid4())),
            env(energie, zorg, "statusverzoek", conversatie=conversatie),
            env(energie, gemeente, "statusverzoek", conversatie=conversatie),
        ],
    )
    assert uitkomsten == [None, "ONGELDIG_ANTWOORD", "GEEN_EERDER_CONTACT", "ROL_NIET_TOEGESTAAN", None]
    assert aantal(rt, afzender=energie.oin) == 0


def test_a_message_sees_the_ones_before_it_in_the_batch(cast: dict[str, Partij], rt: Runtime) -> None:
    """An SHV's batch: a kennisgeving then schuldregeling_beeindigd (12.1: exchanged before) and a
    saldoverzoek then a reminder naming it (15.1), all in a conversation the batch starts."""
    gemeente, energie, kredietbank = cast["gemeente"], cast["energie"], cast["kredietbank"]
    conversatie = str(uuid.uuid4())
    vraag = env(gemeente, energie, "saldoverzoek_nuts", conversatie=conversatie)
    envelops = [
        env(gemeente, energie, "kennisgeving", conversatie=conversatie),
        env(gemeente, energie, "schuldregeling_beeindigd", conversatie=conversatie),
        vraag,
        env(gemeente, energie, "reminder", conversatie=conversatie, antwoord_op=vraag.referentienummer),
    ]
    assert controleer(rt, gemeente, envelops) == [None, None, None, None]
    assert [n for _, n in reeks(rt, gemeente, envelops)] == [True] * 4
    # the conversation is the gemeente's now: another SHV cannot use it
    assert controleer(
        rt, kredietbank, [env(kredietbank, energie, "kennisgeving", conversatie=conversatie)]
    ) == ["ONGELDIGE_CONVERSATIE"]
    # without its kennisgeving before it, beeindigd is refused (12.1) in a new conversation
    nieuw = str(uuid.uuid4())
    assert controleer(
        rt, gemeente, [env(gemeente, energie, "schuldregeling_beeindigd", conversatie=nieuw)]
    ) == ["GEEN_EERDER_CONTACT"]


def test_retries_and_conflicts_within_and_across_batches(cast: dict[str, Partij], rt: Runtime) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    eerste = env(gemeente, energie, "saldoverzoek_nuts")
    uitkomst = reeks(rt, gemeente, [eerste, eerste])
    assert [n for _, n in uitkomst] == [True, False]
    assert uitkomst[0][0].id == uitkomst[1][0].id
    opnieuw = reeks(rt, gemeente, [eerste])
    assert opnieuw[0][1] is False and opnieuw[0][0].referentienummer == eerste.referentienummer
    anders = env(gemeente, woning, "saldoverzoek", referentienummer=eerste.referentienummer)
    with pytest.raises(mailbox.Reeksweigering) as fout:
        reeks(rt, gemeente, [anders])
    assert fout.value.code == "REFERENTIENUMMER_CONFLICT"
    assert aantal(rt, afzender=gemeente.oin) == 1


def test_the_cap_on_unconfirmed_messages_counts_the_batch(cast: dict[str, Partij], rt: Runtime) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    reeks(rt, gemeente, [env(gemeente, energie, "saldoverzoek_nuts")])
    with pytest.raises(mailbox.Reeksweigering) as fout:
        reeks(rt, gemeente, [env(gemeente, energie, "saldoverzoek_nuts") for _ in range(3)], max_open=3)
    assert (fout.value.index, fout.value.code, fout.value.status) == (2, "TE_VEEL_OPEN", 429)


def test_bevestigen_in_een_reeks_van_meer_dan_32766_berichten(rt: Runtime) -> None:
    """An upload of several files can answer more questions than SQLite takes parameters in one
    statement (32,766): confirming them is split (PostgreSQL: one array parameter)."""
    from knooppunt.store import berichten as store

    ids = list(range(10**9, 10**9 + 40_000))  # no such messages: nothing is confirmed, nothing fails
    with transactie(rt.sessions) as session:
        nu = db_nu(session)
        ruw = session.connection().connection.dbapi_connection
        if isinstance(ruw, sqlite3.Connection):  # some builds allow more; upstream's default is this
            ruw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32766)
        assert store.bevestig_set(session, ids, nu=nu, antwoord_uiterlijk=None, beantwoord=True) == set()
        store.markeer_beantwoord_set(session, ids, nu=nu)
        assert store.vergrendel_rijen(session, ids) == []
