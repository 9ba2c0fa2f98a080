"""The retention purge of message metadata (DESIGN §2 "Retention": "its metadata (the envelope
without `inhoud`, statuses, times) is kept 7 years (configurable) … then purged"; §6: the jobs
include the "retention purge"). Messages are made old by moving their `ontvangenOp` back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from knooppunt.config import Settings
from knooppunt.jobs import bewaartermijn, planner
from knooppunt.runtime import Runtime
from knooppunt.store.db import transactie
from knooppunt.store.models import Bericht, Conversatie
from tests.factories import Partij, envelop

ZEVEN_JAAR = timedelta(days=2557)


def _verstuur(client_voor: Any, van: Partij, aan: Partij, soort: str, **velden: Any) -> dict[str, Any]:
    env = envelop(van, aan, soort, **velden)
    antwoord = client_voor(van).post("/berichten", json=env)
    assert antwoord.status_code == 201, antwoord.text
    return env


def _maak_oud(rt: Runtime, *, conversatie: str | None = None, referenties: tuple[str, ...] = ()) -> None:
    oud = datetime.now(UTC) - ZEVEN_JAAR - timedelta(days=30)
    with transactie(rt.sessions) as session:
        waar = (
            Bericht.conversatie_referentienummer == conversatie
            if conversatie
            else Bericht.referentienummer.in_(referenties)
        )
        session.execute(update(Bericht).where(waar).values(ontvangen_op=oud))


def _nummers(rt: Runtime) -> set[str]:
    with rt.sessions() as session:
        return set(session.scalars(select(Bericht.referentienummer)))


def _conversaties(rt: Runtime) -> set[str]:
    with rt.sessions() as session:
        return set(session.scalars(select(Conversatie.conversatie_referentienummer)))


def test_metadata_gaat_na_de_bewaartermijn_open_berichten_en_jonge_blijven(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie, woning = cast["gemeente"], cast["energie"], cast["woning"]
    # Conversation 1: a question confirmed, and its hub receipt, all old.
    oud = _verstuur(client_voor, gemeente, energie, "saldoverzoek")
    assert client_voor(energie).post(f"/berichten/{oud['referentienummer']}/bevestiging").status_code == 200
    c1 = oud["conversatieReferentienummer"]
    # Conversation 2: an old confirmed message beside a young one; and an old one never confirmed.
    oud2 = _verstuur(client_voor, gemeente, woning, "saldoverzoek")
    c2 = oud2["conversatieReferentienummer"]
    assert client_voor(woning).post(f"/berichten/{oud2['referentienummer']}/bevestiging").status_code == 200
    jong = _verstuur(client_voor, gemeente, energie, "saldoverzoek", conversatie=c2)
    open_ = _verstuur(client_voor, gemeente, woning, "saldoverzoek")
    # The debt counsellor confirms the hub's receipts (an open one would never be purged).
    for bericht in client_voor(gemeente).get("/berichten").json()["berichten"]:
        pad = f"/berichten/{bericht['referentienummer']}/bevestiging"
        assert client_voor(gemeente).post(pad).status_code == 200
    _maak_oud(rt, conversatie=c1)
    _maak_oud(rt, referenties=(oud2["referentienummer"], open_["referentienummer"]))
    voor = _nummers(rt)
    assert {oud["referentienummer"], oud2["referentienummer"], jong["referentienummer"]} <= voor

    nu = datetime.now(UTC)
    verwijderd = bewaartermijn.schoon_op(rt.sessions, nu=nu, bewaartermijn=ZEVEN_JAAR, batch=1)
    na = _nummers(rt)
    # The question and its receipt to the sender (conversation 1), and the old one of conversation 2.
    assert verwijderd == 3
    assert oud["referentienummer"] not in na and oud2["referentienummer"] not in na
    assert jong["referentienummer"] in na
    # Still open (not confirmed, not expired): never purged, however old.
    assert open_["referentienummer"] in na
    assert c1 not in _conversaties(rt)
    assert c2 in _conversaties(rt)
    # Idempotent.
    assert bewaartermijn.schoon_op(rt.sessions, nu=nu, bewaartermijn=ZEVEN_JAAR) == 0
    # Gone from the sender's views as well.
    verzonden = client_voor(gemeente).get("/verzonden").json()["berichten"]
    assert oud["referentienummer"] not in {b["referentienummer"] for b in verzonden}


def test_de_worker_schoont_op_met_de_ingestelde_termijn(
    cast: dict[str, Partij], client_voor: Any, rt: Runtime
) -> None:
    gemeente, energie = cast["gemeente"], cast["energie"]
    env = _verstuur(client_voor, gemeente, energie, "kennisgeving")
    assert client_voor(energie).post(f"/berichten/{env['referentienummer']}/bevestiging").status_code == 200
    nu = datetime.now(UTC)
    eerst = planner.draai_eenmaal(rt, nu=nu + timedelta(days=100))
    assert eerst["berichten_opgeschoond"] == 0
    assert env["referentienummer"] in _nummers(rt)
    later = planner.draai_eenmaal(rt, nu=nu + timedelta(days=2558))
    assert later["berichten_opgeschoond"] >= 1
    assert env["referentienummer"] not in _nummers(rt)


@pytest.mark.parametrize("waarde", ["0", "-5", "zeven"])
def test_een_onzinnige_bewaartermijn_wordt_geweigerd(monkeypatch: pytest.MonkeyPatch, waarde: str) -> None:
    monkeypatch.setenv("KNOOPPUNT_BERICHT_BEWAARTERMIJN_DAGEN", waarde)
    with pytest.raises(ValidationError, match="bericht_bewaartermijn_dagen"):
        Settings()
