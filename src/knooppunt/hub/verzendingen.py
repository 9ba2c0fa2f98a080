"""Many envelopes of one sender in one request (`POST /api/v1/verzendingen`, DESIGN §4).

Each envelope is judged in index order exactly as a single submit would judge it, seeing the
envelopes accepted before it; the work is done by the batch path of the mailbox
(`mailbox.verstuur_reeks` and its dry run `mailbox.controleer_reeks`), so the rules are written
once. Per envelope the answer is what a single submit would have answered (201, 200 for a retry,
or the refusal with its own status and code); with ``alles_of_niets`` either every envelope is
accepted or nothing is stored.

Concurrent verzendingen never deadlock: the batch path takes its locks in a fixed order (new
conversations sorted, questions by id), and a lost race the database still reports (a deadlock
between overlapping referentienummers, a serialisation failure) is rolled back and done again
here, a few times, before it reaches the participant as a 503 (decision 0022).

The session's transaction is this module's to roll back: a batch the mailbox refuses, or that
loses a race, may have written conversations, messages and the queued audit entries and inbox
counters; only a rollback of the whole transaction undoes all of them (a savepoint undoes the rows
but not what is queued on the session, and PostgreSQL names a savepoint's rows by another xid than
the batch path's own-row test knows). So call it in a transaction that holds nothing else, as the
API's request does (authentication only reads).
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from knooppunt.hub import audit, mailbox
from knooppunt.hub.fouten import HubFout
from knooppunt.store.berichten import Berichtrij, NieuwBericht
from knooppunt.store.db import is_wedloop
from knooppunt.store.models import Bericht, Deelnemer

log = structlog.get_logger("knooppunt.hub")

MAX_BERICHTEN = 1000
"""Envelopes in one verzending (DESIGN §4); more is refused with 413."""

POGINGEN = 5
"""How often a batch that lost a race in the database (deadlock, serialisation failure) is tried."""

NIET_VERSTUURD = "NIET_VERSTUURD"
"""The code of an envelope that was in order but not stored, because another one of an
all-or-nothing verzending was refused."""


@dataclass(frozen=True, slots=True)
class Uitkomst:
    """What became of one envelope: ``status`` as a single submit would answer it (201 new, 200 a
    retry, else the refusal's), with the stored message or the refusal."""

    index: int
    status: int
    bericht: Bericht | None = None
    fout: HubFout | None = None


@dataclass(frozen=True, slots=True)
class Verzending:
    uitkomsten: list[Uitkomst]
    alles_of_niets: bool

    @property
    def geweigerd(self) -> list[Uitkomst]:
        return [u for u in self.uitkomsten if u.fout is not None and u.fout.code != NIET_VERSTUURD]

    @property
    def niets_verstuurd(self) -> bool:
        """All or nothing, and something was refused: nothing of it is stored."""
        return self.alles_of_niets and bool(self.geweigerd)


def verstuur(
    session: Session,
    afzender: Deelnemer,
    envelops: Sequence[mailbox.Envelop],
    *,
    alles_of_niets: bool,
    nu: datetime,
    instellingen: mailbox.Instellingen,
) -> Verzending:
    """Submit the envelopes in index order; the caller commits (and holds nothing else in the
    transaction: see the module's docstring). Refusals get their audit entries queued on the
    session (an all-or-nothing verzending that is refused stores nothing else).

    The whole batch is tried first (one plan: the usual case, where every envelope is in order).
    When the batch path refuses one, the transaction is rolled back, the dry run finds every other
    refusal among the rest, and the rest is submitted without them; a refusal only a concurrent
    transaction could cause (one that the dry run did not foresee) goes round once more."""
    weigeringen: dict[int, HubFout] = {}
    proef = False
    while True:
        open_ = [i for i in range(len(envelops)) if i not in weigeringen]
        if proef:
            proef_uitkomsten = mailbox.controleer_reeks(
                session, afzender, [envelops[i] for i in open_], nu=nu, instellingen=instellingen
            )
            for index, fout in zip(open_, proef_uitkomsten, strict=True):
                if fout is not None:
                    weigeringen[index] = fout
            open_ = [i for i in open_ if i not in weigeringen]
            proef = False
        if (alles_of_niets and weigeringen) or not open_:
            return _weigeringen(session, afzender, envelops, weigeringen, alles_of_niets, nu=nu)
        try:
            resultaten = _verstuur_reeks(
                session, afzender, [envelops[i] for i in open_], nu=nu, instellingen=instellingen
            )
        except mailbox.Reeksweigering as fout:
            weigeringen[open_[fout.index]] = fout
            proef = True
            continue
        verstuurd = {
            index: Uitkomst(index, 201 if nieuw else 200, bericht=_als_bericht(rij))
            for index, (rij, nieuw) in zip(open_, resultaten, strict=True)
        }
        geweigerd = _weigeringen(session, afzender, envelops, weigeringen, alles_of_niets, nu=nu)
        uitkomsten = [verstuurd.get(u.index, u) for u in geweigerd.uitkomsten]
        return Verzending(uitkomsten, alles_of_niets)


def _verstuur_reeks(
    session: Session,
    afzender: Deelnemer,
    envelops: list[mailbox.Envelop],
    *,
    nu: datetime,
    instellingen: mailbox.Instellingen,
) -> list[tuple[Berichtrij, bool]]:
    """`mailbox.verstuur_reeks`; a refusal is rolled back, so it leaves nothing behind, and a lost
    race in the database is rolled back and tried again after a short, random wait."""
    for poging in range(1, POGINGEN + 1):
        try:
            return mailbox.verstuur_reeks(session, afzender, envelops, nu=nu, instellingen=instellingen)
        except mailbox.Reeksweigering:
            session.rollback()
            raise
        except DBAPIError as fout:
            session.rollback()
            if not is_wedloop(fout) or poging == POGINGEN:
                raise
            log.info(
                "verzending opnieuw na een wedloop in de database", poging=poging, berichten=len(envelops)
            )
            time.sleep(random.uniform(0.01, 0.05) * poging)  # noqa: S311 — spreading retries, not secrecy
    raise AssertionError("onbereikbaar")  # pragma: no cover - the loop returns or raises


def _als_bericht(rij: Berichtrij) -> Bericht:
    """A message the batch inserted (a `store.NieuwBericht`) as the `Bericht` a single submit
    returns, not attached to the session; a retry's stored `Bericht` as it is."""
    if isinstance(rij, NieuwBericht):
        return Bericht(**dataclasses.asdict(rij))
    assert isinstance(rij, Bericht)
    return rij


def _weigeringen(
    session: Session,
    afzender: Deelnemer,
    envelops: Sequence[mailbox.Envelop],
    weigeringen: dict[int, HubFout],
    alles_of_niets: bool,
    *,
    nu: datetime,
) -> Verzending:
    """Every envelope's outcome when only the refusals are known: the refusals (each with its
    audit entry, as a single submit's refusal has one), and for the rest of an all-or-nothing
    verzending that was refused, NIET_VERSTUURD."""
    audit.noteer(
        session,
        [
            audit.geweigerd_bij_verzenden(
                afzender=afzender.oin,
                berichttype=envelops[index].berichttype,
                module=envelops[index].module,
                ontvanger=envelops[index].ontvanger,
                referentienummer=envelops[index].referentienummer,
                code=fout.code,
                nu=nu,
            )
            for index, fout in sorted(weigeringen.items())
        ],
    )
    uitkomsten = []
    for index in range(len(envelops)):
        fout = weigeringen.get(index) or (_niet_verstuurd(weigeringen) if alles_of_niets else None)
        uitkomsten.append(Uitkomst(index, fout.status if fout else 0, fout=fout))
    return Verzending(uitkomsten, alles_of_niets)


def _niet_verstuurd(weigeringen: dict[int, HubFout]) -> HubFout:
    indexen = sorted(weigeringen)
    genoemd = ", ".join(str(i) for i in indexen[:10]) + (" …" if len(indexen) > 10 else "")
    return HubFout(
        NIET_VERSTUURD,
        424,
        "Niet verstuurd",
        f"Dit bericht is in orde maar niet verstuurd: met allesOfNiets wordt niets opgeslagen zolang er "
        f"een bericht geweigerd wordt (index {genoemd}). Verbeter of verwijder die en stuur het hele "
        "verzoek opnieuw; herhalen met dezelfde referentienummers is veilig.",
    )
