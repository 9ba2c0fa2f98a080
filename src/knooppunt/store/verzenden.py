"""The SQL of a single submit (#13 item 2): every fact the admission rules need read in one
statement, and the accepted message written in one more — SQLAlchemy Core, no ORM objects.

`lees_feiten` answers, for one envelope, in one round trip: the message its referentienummer
already names (any sender), the conversation's owner, the message its crossReferentienummer names
between the two parties in the given direction, the sender's unconfirmed messages and bytes in the
recipient's inbox and the recipient's total (the maintained counters of store.inboxquotum, never a
count), and the facts the type's conditions ask (the latest answer among some types, whether the
parties exchanged a message) — a UNION ALL of small indexed selects. `schrijf` inserts the message,
its sealed inhoud, the conversation claim, the counter and the audit entry: on PostgreSQL one
statement of data-modifying CTEs; on SQLite (in-process, no round trips to save) one statement each.

The rules stay in `hub`: this module only fetches and writes what `hub.mailbox.toelating` decided.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Row,
    String,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session, aliased

from knooppunt.store import audit as audit_store
from knooppunt.store import berichten as berichten_store
from knooppunt.store import inboxquotum
from knooppunt.store.db import Vast
from knooppunt.store.models import Auditregel, Bericht, BerichtInhoud, Conversatie, Inboxbezetting

_B = Bericht.__table__.c
_KOLOMMEN = tuple(_B)
_NIET_GELDIG = ("verlopen", "geweigerd")


def _lijst(waarden: Sequence[str]) -> list[Any]:
    """A constant IN list as bound values of the statement itself (not an expanding parameter,
    which store.db.Vast cannot compile ahead)."""
    return [literal(w, String) for w in waarden]


@dataclass(frozen=True, slots=True)
class Antwoordvraag:
    """The latest delivered answer from ``van`` to ``aan`` in the conversation and module, among
    ``typen``, optionally only answers to questions of ``vraagtypen`` (store.berichten.laatste_antwoord)."""

    typen: tuple[str, ...]
    vraagtypen: tuple[str, ...] | None = None


@dataclass(slots=True)
class Feiten:
    """What one statement found for one envelope."""

    bestaand: Row[Any] | None
    eigenaar: str | None
    verwijzing: Row[Any] | None
    aantal_open: int
    bezetting: tuple[int, int]
    """(all senders' unconfirmed bytes for the recipient, this sender's)"""
    antwoorden: dict[Antwoordvraag, Row[Any] | None] = field(default_factory=dict)
    uitgewisseld: bool = False


def _extra(
    soort: str,
    *,
    tekst: Any = None,
    getal1: Any = None,
    getal2: Any = None,
    getal3: Any = None,
    getal4: Any = None,
) -> list[Any]:
    def of_null(waarde: Any, type_: Any) -> Any:
        return cast(null(), type_) if waarde is None else cast(waarde, type_)

    return [
        literal(soort, String).label("soort"),
        of_null(tekst, String).label("f_tekst"),
        of_null(getal1, BigInteger).label("f_getal1"),
        of_null(getal2, BigInteger).label("f_getal2"),
        of_null(getal3, BigInteger).label("f_getal3"),
        of_null(getal4, Integer).label("f_getal4"),
    ]


def _berichtrijen(soort: str, *voorwaarden: ColumnElement[bool]) -> Any:
    return select(*_extra(soort), *_KOLOMMEN).where(*voorwaarden)


def _p(naam: str, type_: Any = String) -> Any:
    return bindparam(naam, type_=type_)


def _laatste(soort: str, vraag: Antwoordvraag) -> Any:
    query = select(*_KOLOMMEN).where(
        _B.conversatie_referentienummer == _p("conversatie"),
        _B.module == _p("module"),
        _B.afzender == _p("ontvanger"),
        _B.ontvanger == _p("afzender"),
        _B.berichttype.in_(_lijst(vraag.typen)),
        _B.status.not_in(_lijst(_NIET_GELDIG)),
    )
    if vraag.vraagtypen is not None:
        gevraagd = aliased(Bericht)
        query = query.where(
            exists().where(
                gevraagd.referentienummer == _B.cross_referentienummer,
                gevraagd.berichttype.in_(_lijst(vraag.vraagtypen)),
            )
        )
    binnen = query.order_by(_B.ontvangen_op.desc(), _B.id.desc()).limit(1).subquery()
    return select(*_extra(soort), *binnen.c)


Feitvorm = tuple[bool, tuple[Antwoordvraag, ...], bool]
"""(a crossReferentienummer to look for, the answers the conditions ask, whether they ask if the
parties exchanged a message): what decides the shape of the facts statement."""


@functools.cache
def _feitenstatement(vorm: Feitvorm) -> Vast:
    """The facts statement of one shape, built once (store.db.Vast)."""
    met_verwijzing, antwoordvragen, uitgewisseld = vorm
    afzender, ontvanger = _p("afzender"), _p("ontvanger")
    eigen = and_(Inboxbezetting.ontvanger == ontvanger, Inboxbezetting.afzender == afzender)
    uitgewisseld_expr: Any = None
    if uitgewisseld:
        uitgewisseld_expr = case(
            (
                exists().where(
                    _B.conversatie_referentienummer == _p("conversatie"),
                    _B.module == _p("module"),
                    or_(
                        and_(_B.afzender == afzender, _B.ontvanger == ontvanger),
                        and_(_B.afzender == ontvanger, _B.ontvanger == afzender),
                    ),
                    _B.status.not_in(_lijst(_NIET_GELDIG)),
                ),
                1,
            ),
            else_=0,
        )
    tellers = select(
        *_extra(
            "q",
            tekst=select(Conversatie.shv)
            .where(Conversatie.conversatie_referentienummer == _p("conversatie"))
            .scalar_subquery(),
            getal1=select(Inboxbezetting.aantal).where(eigen).scalar_subquery(),
            getal2=func.coalesce(func.sum(Inboxbezetting.bytes), 0),
            getal3=func.coalesce(
                func.sum(case((Inboxbezetting.afzender == afzender, Inboxbezetting.bytes), else_=0)), 0
            ),
            getal4=uitgewisseld_expr,
        ),
        *(cast(null(), k.type).label(k.name) for k in _KOLOMMEN),
    ).where(Inboxbezetting.ontvanger == ontvanger)
    delen: list[Any] = [tellers, _berichtrijen("b", _B.referentienummer == _p("referentienummer"))]
    if met_verwijzing:
        delen.append(
            _berichtrijen(
                "v",
                _B.referentienummer == _p("cross"),
                _B.afzender == _p("cross_van"),
                _B.ontvanger == _p("cross_aan"),
            )
        )
    for i, vraag in enumerate(antwoordvragen):
        delen.append(_laatste(f"l{i}", vraag))
    return Vast(union_all(*delen))


@dataclass(frozen=True, slots=True)
class Feitvraag:
    """What to read for one envelope: its number, conversation, module and parties;
    ``verwijzing``: (crossReferentienummer, its afzender, its ontvanger) to look for;
    ``antwoordvragen`` / ``uitgewisseld``: the facts the type's conditions ask, in the conversation
    and module, between the recipient (``van``) and the sender."""

    referentienummer: str
    conversatie: str
    module: str
    afzender: str
    ontvanger: str
    verwijzing: tuple[str, str, str] | None
    antwoordvragen: tuple[Antwoordvraag, ...] = ()
    uitgewisseld: bool = False


def _feitenvraag(vraag: Feitvraag) -> tuple[Vast, dict[str, Any], tuple[Antwoordvraag, ...]]:
    """The statement of `lees_feiten` for one envelope, its parameters, and the answer questions
    whose rows `_feiten_uit` files (also run on an asyncio connection: `lees_feiten_async`)."""
    vragen = vraag.antwoordvragen
    statement = _feitenstatement((vraag.verwijzing is not None, vragen, vraag.uitgewisseld))
    waarden = {
        "referentienummer": vraag.referentienummer,
        "conversatie": vraag.conversatie,
        "module": vraag.module,
        "afzender": vraag.afzender,
        "ontvanger": vraag.ontvanger,
    }
    if vraag.verwijzing is not None:
        waarden["cross"], waarden["cross_van"], waarden["cross_aan"] = vraag.verwijzing
    return statement, waarden, vragen


def _feiten_uit(rijen: Sequence[Any], vragen: Sequence[Antwoordvraag]) -> Feiten:
    """The `Feiten` in the rows of `feitenvraag`'s statement."""
    feiten = Feiten(bestaand=None, eigenaar=None, verwijzing=None, aantal_open=0, bezetting=(0, 0))
    for rij in rijen:
        soort = rij.soort
        if soort == "q":
            feiten.eigenaar = rij.f_tekst
            feiten.aantal_open = int(rij.f_getal1 or 0)
            feiten.bezetting = (int(rij.f_getal2 or 0), int(rij.f_getal3 or 0))
            feiten.uitgewisseld = bool(rij.f_getal4)
        elif soort == "b":
            feiten.bestaand = rij
        elif soort == "v":
            feiten.verwijzing = rij
        else:
            feiten.antwoorden[vragen[int(soort[1:])]] = rij
    for vraag in vragen:
        feiten.antwoorden.setdefault(vraag, None)
    return feiten


def lees_feiten(session: Session, vraag: Feitvraag) -> Feiten:
    """The facts of one envelope in one statement."""
    statement, waarden, vragen = _feitenvraag(vraag)
    feiten = _feiten_uit(statement.voer_uit(session.connection(), waarden), vragen)
    # What this session queued and has not written yet (a portal request that submits more than
    # one message in its transaction) counts as store.inboxquotum.bezetting counts it.
    delta_eigen, aantal_eigen, delta_totaal = inboxquotum.wachtend(
        session, ontvanger=vraag.ontvanger, afzender=vraag.afzender
    )
    totaal, eigen_bytes = feiten.bezetting
    feiten.bezetting = (totaal + delta_totaal, eigen_bytes + delta_eigen)
    feiten.aantal_open += aantal_eigen
    return feiten


@dataclass(frozen=True, slots=True)
class Geschreven:
    """What `schrijf` did: the new message's id (None: a concurrent retry with the same
    referentienummer won, nothing written), and whether the conversation claim was lost to a
    concurrent first message of another sender (then the owner must be read again)."""

    id: int | None
    claim_verloren: bool = False


_BERICHTKOLOMMEN = (
    "referentienummer",
    "afzender",
    "ontvanger",
    "conversatie_referentienummer",
    "cross_referentienummer",
    "berichttype",
    "module",
    "versie",
    "envelop_hash",
    "status",
    "ontvangen_op",
    "verloopt_op",
    "grootte",
)


@functools.cache
def _schrijfstatement(claim: bool, teller: bool) -> Vast:
    """The write of `schrijf` on PostgreSQL for one shape, built once (store.db.Vast)."""
    b = Bericht.__table__.c
    bericht = (
        postgresql.insert(Bericht)
        .values({k: bindparam(k, type_=b[k].type) for k in _BERICHTKOLOMMEN})
        .on_conflict_do_nothing(index_elements=[Bericht.referentienummer])
        .returning(Bericht.id)
        .cte("b")
    )
    er_is = exists(select(bericht.c.id))
    a = Auditregel.__table__.c
    ctes: list[Any] = [
        insert(BerichtInhoud)
        .from_select(["bericht_id", "jwe"], select(bericht.c.id, _p("jwe", BerichtInhoud.jwe.type)))
        .cte("i"),
        insert(Auditregel)
        .from_select(
            list(audit_store.VELDEN),
            select(*(bindparam(f"a_{k}", type_=a[k].type) for k in audit_store.VELDEN)).where(er_is),
        )
        .cte("a"),
    ]
    geclaimd: Any = literal(None, String)
    if claim:
        conversatie = (
            postgresql.insert(Conversatie)
            .from_select(
                ["conversatie_referentienummer", "shv", "aangemaakt_op"],
                select(
                    _p("conversatie_referentienummer"),
                    _p("afzender"),
                    bindparam("ontvangen_op", type_=Conversatie.aangemaakt_op.type),
                ).where(er_is),
            )
            .on_conflict_do_nothing(index_elements=[Conversatie.conversatie_referentienummer])
            .returning(Conversatie.shv)
            .cte("c")
        )
        ctes.append(conversatie)
        geclaimd = select(conversatie.c.shv).scalar_subquery()
    if teller:
        tel = postgresql.insert(Inboxbezetting).from_select(
            ["ontvanger", "afzender", "bytes", "aantal"],
            select(
                _p("ontvanger"),
                _p("afzender"),
                bindparam("grootte", type_=BigInteger),
                literal(1, BigInteger),
            ).where(er_is),
        )
        ctes.append(
            tel.on_conflict_do_update(
                index_elements=[Inboxbezetting.ontvanger, Inboxbezetting.afzender],
                set_={
                    "bytes": Inboxbezetting.bytes + tel.excluded.bytes,
                    "aantal": Inboxbezetting.aantal + tel.excluded.aantal,
                },
            ).cte("q")
        )
    # PostgreSQL runs every data-modifying WITH exactly once, whether the outer query reads it or
    # not; add_cte keeps the unread ones in the statement.
    return Vast(select(bericht.c.id, geclaimd.label("geclaimd")).add_cte(*ctes))


@functools.cache
def _eigenaarstatement() -> Vast:
    """The owner of a conversation (parameter ``conversatie``; column ``shv``), read again when a
    write lost its claim to a concurrent first message."""
    return Vast(
        select(Conversatie.shv).where(
            Conversatie.conversatie_referentienummer == bindparam("conversatie", type_=String)
        )
    )


def _schrijfparameters(
    waarden: Mapping[str, Any], grootte: int, opgeslagen: str, auditregel: Mapping[str, Any]
) -> dict[str, Any]:
    """The parameters of `_schrijfstatement` for an accepted message: its columns, its size, its
    inhoud as stored (sealed under the day key) and its audit entry."""
    parameters: dict[str, Any] = {k: waarden.get(k) for k in _BERICHTKOLOMMEN}
    parameters["grootte"] = grootte
    parameters["jwe"] = opgeslagen
    parameters.update({f"a_{k}": auditregel.get(k) for k in audit_store.VELDEN})
    return parameters


def _geschreven_uit(rijen: Sequence[Any], *, claim: bool) -> Geschreven:
    """What `_schrijfstatement`'s rows say was written."""
    uit = rijen[0] if rijen else None
    if uit is None:
        return Geschreven(None)
    return Geschreven(int(uit.id), claim_verloren=claim and uit.geclaimd is None)


def schrijf(
    session: Session,
    waarden: Mapping[str, Any],
    jwe: str,
    *,
    claim: bool,
    teller: bool,
    auditregel: Mapping[str, Any],
) -> Geschreven:
    """Insert an accepted message with its sealed inhoud, its audit entry, the conversation claim
    (``claim``: the facts showed no owner) and — ``teller`` — its inbox counter (else queued with
    store.inboxquotum.noteer, for a transaction that changes more counters and writes them in key
    order at commit)."""
    grootte = len(jwe)
    if session.get_bind().dialect.name != "postgresql":
        regel = {veld: auditregel.get(veld) for veld in audit_store.VELDEN}
        return _schrijf_los(session, waarden, jwe, claim=claim, regel=regel)
    parameters = _schrijfparameters(
        waarden, grootte, berichten_store.verzegel_inhoud(session, waarden, jwe), auditregel
    )
    if not teller:
        inboxquotum.noteer(session, [(waarden["ontvanger"], waarden["afzender"], grootte)])
    geschreven = _geschreven_uit(
        _schrijfstatement(claim, teller).voer_uit(session.connection(), parameters), claim=claim
    )
    if geschreven.id is None and not teller:
        inboxquotum.noteer(session, [(waarden["ontvanger"], waarden["afzender"], -grootte)])
    return geschreven


def _schrijf_los(
    session: Session,
    waarden: Mapping[str, Any],
    jwe: str,
    *,
    claim: bool,
    regel: Mapping[str, Any],
) -> Geschreven:
    # SQLite: writers serialise at BEGIN IMMEDIATE, so no claim is lost to a concurrent one; the
    # counter is queued (written at commit) by voeg_toe_als_nieuw.
    nieuw_id = berichten_store.voeg_toe_als_nieuw(session, dict(waarden), jwe)
    if nieuw_id is None:
        return Geschreven(None)
    if claim:
        session.execute(
            berichten_store._insert(session)(Conversatie)
            .values(
                conversatie_referentienummer=waarden["conversatie_referentienummer"],
                shv=waarden["afzender"],
                aangemaakt_op=waarden["ontvangen_op"],
            )
            .on_conflict_do_nothing(index_elements=[Conversatie.conversatie_referentienummer])
        )
    audit_store.noteer(session, [regel])
    return Geschreven(nieuw_id)


# --- the same on an asyncio connection (the common submit on the event loop, api/lus.py) ----------


async def lees_feiten_async(conn: psycopg.AsyncConnection[Any], dialect: Dialect, vraag: Feitvraag) -> Feiten:
    """`lees_feiten` in the connection's transaction (nothing is queued there: no session)."""
    statement, waarden, vragen = _feitenvraag(vraag)
    return _feiten_uit(await statement.voer_uit_async(conn, dialect, waarden), vragen)


async def schrijf_async(
    conn: psycopg.AsyncConnection[Any],
    dialect: Dialect,
    waarden: Mapping[str, Any],
    *,
    grootte: int,
    opgeslagen: str,
    claim: bool,
    auditregel: Mapping[str, Any],
) -> Geschreven:
    """`schrijf` with its counter (not an answer) in the connection's transaction; ``opgeslagen``:
    the inhoud already sealed under its day key. A lost claim is checked as `mailbox.verstuur` checks
    it: the owner read again; ``claim_verloren`` only when another sender owns the conversation."""
    rijen = await _schrijfstatement(claim, True).voer_uit_async(
        conn, dialect, _schrijfparameters(waarden, grootte, opgeslagen, auditregel)
    )
    geschreven = _geschreven_uit(rijen, claim=claim)
    if geschreven.id is None or not geschreven.claim_verloren:
        return geschreven
    eigenaar = await _eigenaarstatement().voer_uit_async(
        conn, dialect, {"conversatie": waarden["conversatie_referentienummer"]}
    )
    return Geschreven(geschreven.id, claim_verloren=not eigenaar or eigenaar[0].shv != waarden["afzender"])
