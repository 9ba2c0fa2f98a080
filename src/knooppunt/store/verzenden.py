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
from datetime import datetime
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
from knooppunt.store.crl_staat import ADRESBOEK
from knooppunt.store.db import Vast, als_moment
from knooppunt.store.models import (
    Auditregel,
    Bericht,
    BerichtInhoud,
    Conversatie,
    CrlStaat,
    Inboxbezetting,
    UTCDateTime,
)

_B = Bericht.__table__.c
_KOLOMMEN = tuple(_B)


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


def _laatste(soort: str, vraag: Antwoordvraag, nu: Any) -> Any:
    query = select(*_KOLOMMEN).where(
        _B.conversatie_referentienummer == _p("conversatie"),
        _B.module == _p("module"),
        _B.afzender == _p("ontvanger"),
        _B.ontvanger == _p("afzender"),
        _B.berichttype.in_(_lijst(vraag.typen)),
        berichten_store.geleverd(nu, _B),
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
    return Vast(union_all(*_feitendelen(vorm, _p("nu", UTCDateTime()))))


@functools.cache
def _feiten_en_klokstatement(vorm: Feitvorm) -> Vast:
    """The facts statement of one shape with one row more, ``soort`` "k": the request's first
    statement (store.crl_staat.nu_en_versie) folded in — the database clock (in the ``ontvangen_op``
    column), the CRL state's version (``f_getal1``) and the adresboek's (``f_getal2``). The submit
    on the event loop reads its clock, versions and facts in this one round trip (api/lus.py)."""
    adresboek = literal(ADRESBOEK, String)
    klok = select(
        *_extra(
            "k",
            getal1=select(func.coalesce(func.sum(CrlStaat.versie), 0))
            .where(CrlStaat.uitgever != adresboek)
            .scalar_subquery(),
            getal2=func.coalesce(
                select(CrlStaat.versie).where(CrlStaat.uitgever == adresboek).scalar_subquery(), 0
            ),
        ),
        *(
            cast(func.statement_timestamp(), k.type).label(k.name)
            if k.name == "ontvangen_op"
            else cast(null(), k.type).label(k.name)
            for k in _KOLOMMEN
        ),
    )
    return Vast(union_all(*_feitendelen(vorm, func.statement_timestamp()), klok))


def _feitendelen(vorm: Feitvorm, nu: Any) -> list[Any]:
    """The selects of the facts statement of one shape (UNION ALL'd by the callers); ``nu``: the
    moment a message counts as delivered at (a parameter, or the clock the statement reads)."""
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
                    berichten_store.geleverd(nu, _B),
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
        delen.append(_laatste(f"l{i}", vraag, nu))
    return delen


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
    nu: datetime | None = None
    """The moment the envelope is judged at (the transaction's clock); None: the statement reads the
    clock itself (`lees_feiten_los_async`)."""


def _feitenvraag(
    vraag: Feitvraag, *, met_klok: bool = False
) -> tuple[Vast, dict[str, Any], tuple[Antwoordvraag, ...]]:
    """The statement of `lees_feiten` for one envelope (``met_klok``: with the clock and versions,
    `lees_feiten_los_async`), its parameters, and the answer questions whose rows `_feiten_uit` files."""
    vragen = vraag.antwoordvragen
    vorm = (vraag.verwijzing is not None, vragen, vraag.uitgewisseld)
    statement = _feiten_en_klokstatement(vorm) if met_klok else _feitenstatement(vorm)
    waarden: dict[str, Any] = {
        "referentienummer": vraag.referentienummer,
        "conversatie": vraag.conversatie,
        "module": vraag.module,
        "afzender": vraag.afzender,
        "ontvanger": vraag.ontvanger,
    }
    if vraag.verwijzing is not None:
        waarden["cross"], waarden["cross_van"], waarden["cross_aan"] = vraag.verwijzing
    if not met_klok:
        if vraag.nu is None:
            raise ValueError("lees_feiten needs the moment the envelope is judged at (Feitvraag.nu)")
        waarden["nu"] = vraag.nu
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
def _schrijfstatement(claim: bool, teller: bool, los: bool = False) -> Vast:
    """The write of `schrijf` on PostgreSQL for one shape, built once (store.db.Vast).

    ``los``: a statement that is its own transaction (autocommit: the submit on the event loop,
    `schrijf_los_async`), so it must write nothing that the caller would otherwise roll back. With
    a claim, the conversation is claimed first — ``ON CONFLICT DO UPDATE`` (a no-op update) returns
    the owner even when a concurrent first message committed it after this statement's snapshot —
    and the message is inserted only when that owner is one of the ``eigenaar_a``/``eigenaar_b``
    the hub allows (hub.mailbox.controles.toegestane_eigenaren); its inhoud, counter and audit entry
    follow the message. (A claim whose message then loses its referentienummer to a concurrent
    retry is the retry's own claim: same envelope, same conversation, same sender.)"""
    b = Bericht.__table__.c
    waarden = {k: bindparam(k, type_=b[k].type) for k in _BERICHTKOLOMMEN}
    conversatie: Any = None
    claimrij = select(
        _p("conversatie_referentienummer"),
        _p("afzender"),
        bindparam("ontvangen_op", type_=Conversatie.aangemaakt_op.type),
    )
    claimkolommen = ["conversatie_referentienummer", "shv", "aangemaakt_op"]
    if claim and los:
        conversatie = (
            postgresql.insert(Conversatie)
            .from_select(claimkolommen, claimrij)
            .on_conflict_do_update(
                index_elements=[Conversatie.conversatie_referentienummer],
                set_={"shv": Conversatie.shv},
            )
            .returning(Conversatie.shv)
            .cte("c")
        )
        toegestaan = select(conversatie.c.shv).scalar_subquery().in_([_p("eigenaar_a"), _p("eigenaar_b")])
        bericht_insert = postgresql.insert(Bericht).from_select(
            list(_BERICHTKOLOMMEN), select(*waarden.values()).where(toegestaan)
        )
    else:
        bericht_insert = postgresql.insert(Bericht).values(waarden)
    bericht = (
        bericht_insert.on_conflict_do_nothing(index_elements=[Bericht.referentienummer])
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
    if claim and los:
        ctes.append(conversatie)
        geclaimd = select(conversatie.c.shv).scalar_subquery()
    elif claim:
        conversatie = (
            postgresql.insert(Conversatie)
            .from_select(claimkolommen, claimrij.where(er_is))
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
    # not; add_cte keeps the unread ones in the statement. Standing alone, the statement answers
    # one row even when nothing was inserted: the owner it found tells a lost claim from a retry.
    if los:
        uit = select(select(bericht.c.id).scalar_subquery().label("id"), geclaimd.label("geclaimd"))
    else:
        uit = select(bericht.c.id, geclaimd.label("geclaimd"))
    return Vast(uit.add_cte(*ctes))


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


@dataclass(frozen=True, slots=True)
class Stand:
    """What the statement of `lees_feiten_los_async` read besides the facts: the database clock
    and the versions a request's first statement reads (store.crl_staat.nu_en_versie)."""

    nu: datetime
    crl_versie: int
    adresboek_versie: int


async def lees_feiten_los_async(
    conn: psycopg.AsyncConnection[Any], dialect: Dialect, vraag: Feitvraag
) -> tuple[Feiten, Stand]:
    """`lees_feiten` as a statement of its own (autocommit; nothing is queued: no session), with
    the clock and both versions in the same round trip (`_feiten_en_klokstatement`)."""
    statement, waarden, vragen = _feitenvraag(vraag, met_klok=True)
    rijen = await statement.voer_uit_async(conn, dialect, waarden)
    klok = next(r for r in rijen if r.soort == "k")
    stand = Stand(als_moment(klok.ontvangen_op, "postgresql"), int(klok.f_getal1), int(klok.f_getal2))
    return _feiten_uit([r for r in rijen if r.soort != "k"], vragen), stand


async def schrijf_los_async(
    conn: psycopg.AsyncConnection[Any],
    dialect: Dialect,
    waarden: Mapping[str, Any],
    *,
    grootte: int,
    opgeslagen: str,
    claim: bool,
    eigenaren: tuple[str, str],
    auditregel: Mapping[str, Any],
) -> Geschreven:
    """`schrijf` with its counter (not an answer) as a statement of its own: committed when it
    returns (autocommit), so it writes nothing unless the message is accepted (`_schrijfstatement`
    with ``los``). ``opgeslagen``: the inhoud already sealed under its day key; ``eigenaren``: the
    owners of the conversation the hub allows for this envelope. Nothing written: ``id`` None —
    with ``claim_verloren`` when another party's first message claimed the conversation first, else
    a concurrent retry won the referentienummer."""
    parameters = _schrijfparameters(waarden, grootte, opgeslagen, auditregel)
    parameters["eigenaar_a"], parameters["eigenaar_b"] = eigenaren
    rijen = await _schrijfstatement(claim, True, True).voer_uit_async(conn, dialect, parameters)
    uit = rijen[0]
    verloren = claim and uit.geclaimd not in eigenaren
    return Geschreven(None if verloren or uit.id is None else int(uit.id), claim_verloren=verloren)
