"""The SQL of a fetch (#13 item 2, decision 0033): one page of a recipient's inbox chosen by count
and size, with the stored inhoud of its first messages, marked as fetched and audited — on
PostgreSQL in ONE statement of data-modifying CTEs, so that a fetch costs BEGIN + clock, this
statement and COMMIT.

The page: the oldest ``limiet + 1`` open, unexpired candidates (the extra one only tells whether
more remain), of which the longest prefix whose ``grootte`` adds up to at most ``max_bytes`` — but
always the first, however large (hub.mailbox.ophalen.kies_pagina, DESIGN §4). A running sum over
the candidates (a window) chooses it in the database.

The statement's CTE ``UPDATE`` and its outer ``SELECT`` see the same snapshot, so every row comes
back as it was before the fetch (status and opgehaaldOp): the caller shows the marking
(store.berichten.toon_opgehaald) and the audit entry says "eerste" or "opnieuw" from that same
before-image, exactly as the separate statements did. Rows a concurrent confirm holds are skipped
by the marking, never waited for (``SKIP LOCKED``), so a fetch takes part in no deadlock.

The inhoud comes with the rows whose running sum is at most ``ingesloten_bytes`` (the fetch's first
streamed group, api.v1); the rest is read while the answer streams, so the hub never holds a page
of content (tests/functional/test_geheugen.py). SQLite (in-process, no round trips to save) runs
the same SELECT, then the marking and queues the audit entries, one statement each.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    bindparam,
    case,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from knooppunt.store import audit as audit_store
from knooppunt.store.berichten import _BROK, Berichtkolommen, NieuwBericht, _open, markeer_opgehaald
from knooppunt.store.db import Vast
from knooppunt.store.models import Auditregel, Bericht, BerichtInhoud, UTCDateTime

_B = Bericht.__table__.c


@dataclass(frozen=True, slots=True)
class Paginarij:
    """One message of a fetched page as it was before the fetch, and its stored inhoud when it was
    read with the page (``ingesloten``; None then: a hub notice, or no inhoud left)."""

    bericht: Berichtkolommen
    opgeslagen: str | None
    ingesloten: bool


Filtervorm = tuple[bool, bool, bool, bool, bool]
"""Which of (na_id, berichttype, afzender, module, referentienummers) a fetch filters on: what
decides the shape of its statement."""


@functools.cache
def _statement(vorm: Filtervorm, postgresql: bool) -> Any:
    """The fetch statement of one shape, built once (SQLAlchemy caches its compiled form)."""
    met_na_id, met_type, met_afzender, met_module, met_nummers = vorm
    nu = bindparam("nu", type_=UTCDateTime())
    voorwaarden: list[Any] = [
        _B.ontvanger == bindparam("p_ontvanger", type_=String),
        _open(),
        _B.verloopt_op >= nu,
    ]
    if met_na_id:
        voorwaarden.append(_B.id > bindparam("p_na_id", type_=BigInteger))
    if met_type:
        voorwaarden.append(_B.berichttype == bindparam("p_berichttype", type_=String))
    if met_afzender:
        voorwaarden.append(_B.afzender == bindparam("p_afzender", type_=String))
    if met_module:
        voorwaarden.append(_B.module == bindparam("p_module", type_=String))
    if met_nummers:
        voorwaarden.append(_B.referentienummer.in_(bindparam("p_nummers", expanding=True)))
    kandidaten_ = (
        select(_B.id, _B.grootte)
        .where(*voorwaarden)
        .order_by(_B.id)
        .limit(bindparam("kandidaten", type_=Integer))
        .subquery("k")
    )
    kandidaten = select(
        kandidaten_.c.id,
        func.row_number().over(order_by=kandidaten_.c.id).label("rn"),
        func.sum(func.coalesce(kandidaten_.c.grootte, 0))
        .over(order_by=kandidaten_.c.id, rows=(None, 0))
        .label("tot"),
    ).cte("kandidaten")
    pagina = (
        select(kandidaten.c.id, kandidaten.c.tot)
        .where(
            kandidaten.c.rn <= bindparam("limiet", type_=Integer),
            or_(kandidaten.c.rn == 1, kandidaten.c.tot <= bindparam("max_bytes", type_=BigInteger)),
        )
        .cte("pagina")
    )
    meer = select(func.count()).select_from(kandidaten).scalar_subquery() > (
        select(func.count()).select_from(pagina).scalar_subquery()
    )
    ingesloten = pagina.c.tot <= bindparam("ingesloten_bytes", type_=BigInteger)
    query = (
        select(
            Bericht,
            case((ingesloten, BerichtInhoud.jwe), else_=null()).label("opgeslagen"),
            ingesloten.label("ingesloten"),
            meer.label("meer"),
        )
        .join(pagina, pagina.c.id == Bericht.id)
        .outerjoin(BerichtInhoud, BerichtInhoud.bericht_id == Bericht.id)
        .order_by(Bericht.id)
    )
    if not postgresql:
        return query
    # Mark the rows not fetched before, locked in id order, skipping those a confirm holds (a
    # materialized CTE: evaluated once, as store.berichten.verloop_reeks explains).
    vrij = (
        select(_B.id)
        .where(_B.id.in_(select(pagina.c.id)), _B.opgehaald_op.is_(None))
        .order_by(_B.id)
        .with_for_update(skip_locked=True)
        .cte("vrij")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    markeer = (
        update(Bericht)
        .where(_B.id.in_(select(vrij.c.id)))
        .values(
            status=case((_B.status == "aangeboden", "opgehaald"), else_=_B.status),
            opgehaald_op=nu,
        )
        .cte("gemarkeerd")
    )
    gezien = Bericht.__table__.alias("gezien")
    tekst = {"actor": bindparam("actor", type_=String), "actie": bindparam("actie", type_=String)}
    regels = (
        select(
            nu,
            tekst["actor"],
            tekst["actie"],
            gezien.c.berichttype,
            gezien.c.module,
            gezien.c.afzender,
            gezien.c.ontvanger,
            gezien.c.referentienummer,
            literal(None, String),
            literal(None, String),
            case((gezien.c.opgehaald_op.is_(None), "eerste"), else_="opnieuw"),
        )
        .join(pagina, pagina.c.id == gezien.c.id)
        .order_by(gezien.c.id)
    )
    audit = insert(Auditregel).from_select(list(audit_store.VELDEN), regels).cte("audit")
    # PostgreSQL runs every data-modifying WITH exactly once, read or not (add_cte keeps them).
    return query.add_cte(markeer, audit)


@dataclass(frozen=True, slots=True)
class Paginavraag:
    """One fetch: whose inbox (``ontvanger``), who asks (``actor``, ``actie`` for the audit
    entries), the clock, the page's bounds (``limiet`` messages, ``max_bytes`` of inhoud, the inhoud
    of the first ``ingesloten_bytes`` with the page) and its filters."""

    ontvanger: str
    actor: str
    actie: str
    nu: datetime
    limiet: int
    max_bytes: int
    ingesloten_bytes: int
    na_id: int | None = None
    berichttype: str | None = None
    afzender: str | None = None
    module: str | None = None
    referentienummers: Collection[str] | None = None


def _waarden(vraag: Paginavraag) -> tuple[Filtervorm, dict[str, Any]]:
    """The shape of a fetch's statement and its parameters (but the audit entry's)."""
    if vraag.referentienummers is not None and len(vraag.referentienummers) > _BROK:
        raise ValueError(f"at most {_BROK} referentienummers at once")
    vorm = (
        vraag.na_id is not None,
        bool(vraag.berichttype),
        bool(vraag.afzender),
        bool(vraag.module),
        vraag.referentienummers is not None,
    )
    waarden: dict[str, Any] = {
        "p_ontvanger": vraag.ontvanger,
        "nu": vraag.nu,
        "kandidaten": vraag.limiet + 1,
        "limiet": vraag.limiet,
        "max_bytes": vraag.max_bytes,
        "ingesloten_bytes": vraag.ingesloten_bytes,
    }
    if vraag.na_id is not None:
        waarden["p_na_id"] = vraag.na_id
    if vraag.berichttype:
        waarden["p_berichttype"] = vraag.berichttype
    if vraag.afzender:
        waarden["p_afzender"] = vraag.afzender
    if vraag.module:
        waarden["p_module"] = vraag.module
    if vraag.referentienummers is not None:
        waarden["p_nummers"] = sorted(vraag.referentienummers)
    return vorm, waarden


def haal_pagina(session: Session, vraag: Paginavraag) -> tuple[list[Paginarij], bool]:
    """One page of ``ontvanger``'s inbox (oldest first) as it was before this fetch, marked as
    fetched with an audit entry per message (``actie`` by ``actor``: "eerste" or "opnieuw"), and
    whether more remain. The stored inhoud of the messages whose running ``grootte`` is at most
    ``ingesloten_bytes`` comes with them."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    vorm, waarden = _waarden(vraag)
    if postgresql:
        waarden |= {"actor": vraag.actor, "actie": vraag.actie}
    rijen = session.execute(_statement(vorm, postgresql), waarden).all()
    pagina = [Paginarij(r[0], r.opgeslagen, bool(r.ingesloten)) for r in rijen]
    meer = bool(rijen[0].meer) if rijen else False
    if not postgresql and pagina:
        audit_store.noteer(
            session,
            [
                {
                    "actie": vraag.actie,
                    "actor": vraag.actor[:80],
                    "tijd": vraag.nu,
                    "berichttype": p.bericht.berichttype,
                    "module": p.bericht.module,
                    "afzender": p.bericht.afzender,
                    "ontvanger": p.bericht.ontvanger,
                    "referentienummer": p.bericht.referentienummer,
                    "uitkomst": "eerste" if p.bericht.opgehaald_op is None else "opnieuw",
                }
                for p in pagina
            ],
        )
        markeer_opgehaald(session, [p.bericht.id for p in pagina], nu=vraag.nu)
    return pagina, meer


class _Uitgeklapt(Vast):
    """`Vast` for the fetch statement, whose one expanding parameter is the constant list of open
    statuses rendered as literals (``literal_execute``, store.berichten._open): rendered into the
    SQL once, when it is compiled, as SQLAlchemy renders it into every execution."""

    def voor_driver(self, dialect: Dialect, waarden: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if dialect.name not in self._gecompileerd:
            compiled = self.statement.compile(dialect=dialect)
            constant = {p.key for p in compiled.literal_execute_params}
            uitgeklapt = compiled.construct_expanded_state(dict(compiled.params))
            standaard = {k: v for k, v in compiled.params.items() if k not in constant}
            self._gecompileerd[dialect.name] = (
                uitgeklapt.statement,
                standaard,
                dict(compiled._bind_processors),
            )
        return super().voor_driver(dialect, waarden)


@functools.cache
def _vast(vorm: Filtervorm) -> _Uitgeklapt:
    """The PostgreSQL fetch statement of one shape (`_statement`), compiled once."""
    return _Uitgeklapt(_statement(vorm, True))


_TIJDEN = frozenset(k.name for k in Bericht.__table__.c if isinstance(k.type, UTCDateTime))


async def haal_pagina_async(
    conn: psycopg.AsyncConnection[Any], dialect: Dialect, vraag: Paginavraag
) -> tuple[list[Paginarij], bool]:
    """`haal_pagina` on an asyncio PostgreSQL connection, in its transaction (the fetch on the
    event loop, api/lus_inbox.py): the same statement, compiled once. Its messages are plain
    `Bericht` objects in no session, their times in UTC as the ORM loads them."""
    vorm, waarden = _waarden(vraag)
    waarden |= {"actor": vraag.actor, "actie": vraag.actie}
    rijen = await _vast(vorm).voer_uit_async(conn, dialect, waarden)
    pagina = [Paginarij(_bericht(r), r.opgeslagen, bool(r.ingesloten)) for r in rijen]
    meer = bool(rijen[0].meer) if rijen else False
    return pagina, meer


def _bericht(rij: Any) -> NieuwBericht:
    kolommen = rij._asdict()
    for naam in _TIJDEN:
        moment = kolommen[naam]
        if moment is not None:
            kolommen[naam] = moment.astimezone(UTC)
    del kolommen["opgeslagen"], kolommen["ingesloten"], kolommen["meer"]
    return NieuwBericht(**kolommen)
