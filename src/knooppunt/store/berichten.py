"""Queries and conditional transitions on messages. Every state change is one conditional UPDATE,
so a message is never both confirmed and expired, whatever runs concurrently."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    String,
    and_,
    any_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    type_coerce,
    union,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value

from knooppunt.store import inboxquotum
from knooppunt.store.dagsleutels import VOORVOEGSEL, Dagsleutels
from knooppunt.store.models import OPEN_STATUSSEN, Bericht, BerichtInhoud, Conversatie, UTCDateTime


def _open() -> ColumnElement[bool]:
    """``status IN ('aangeboden', 'opgehaald')`` rendered with literals, not bound parameters, so
    the partial indexes (whose predicate is exactly this) are used: SQLite only matches a partial
    index on literal terms, and a PostgreSQL generic plan cannot prove it from parameters."""
    return Bericht.status.in_(
        bindparam("open_statussen", list(OPEN_STATUSSEN), expanding=True, literal_execute=True)
    )


_QUOTUM_KOLOMMEN = (Bericht.ontvanger, Bericht.afzender, Bericht.grootte)


def _geef_vrij(session: Session, rijen: Sequence[Any]) -> None:
    """Take the ciphertext of these rows (with ontvanger, afzender, grootte), whose content was just
    deleted, off their recipients' inbox quota (store.inboxquotum)."""
    inboxquotum.noteer(session, ((r.ontvanger, r.afzender, -(r.grootte or 0)) for r in rijen))


def op_referentie(session: Session, referentienummer: str) -> Bericht | None:
    return session.scalar(select(Bericht).where(Bericht.referentienummer == referentienummer))


def voor_ontvanger(session: Session, *, ontvanger: str, referentienummer: str) -> Bericht | None:
    return session.scalar(
        select(Bericht).where(Bericht.ontvanger == ontvanger, Bericht.referentienummer == referentienummer)
    )


def van_naar(session: Session, *, referentienummer: str, afzender: str, ontvanger: str) -> Bericht | None:
    return session.scalar(
        select(Bericht).where(
            Bericht.referentienummer == referentienummer,
            Bericht.afzender == afzender,
            Bericht.ontvanger == ontvanger,
        )
    )


# --- stored inhoud: sealed under the day key of ontvangenOp (store.dagsleutels, DESIGN §5) -----


def _dagsleutels(session: Session) -> Dagsleutels:
    dagsleutels = session.info.get("dagsleutels")
    if dagsleutels is None:
        raise RuntimeError(
            "deze sessie heeft geen dagsleutels: maak haar met runtime.bouw of maak_sessionmaker"
        )
    assert isinstance(dagsleutels, Dagsleutels)
    return dagsleutels


def verzegel_inhoud(session: Session, waarden: Mapping[str, Any], jwe: str) -> str:
    """The text to store for a message's JWE (`waarden`: its columns, or a `Bericht`'s)."""
    return _dagsleutels(session).verzegel(
        afzender=str(waarden["afzender"]),
        referentienummer=str(waarden["referentienummer"]),
        ontvangen_op=waarden["ontvangen_op"],
        verloopt_op=waarden["verloopt_op"],
        jwe=jwe,
    )


def open_inhoud(session: Session, *, afzender: str, referentienummer: str, opgeslagen: str) -> str | None:
    """The JWE as submitted, or None once its day key is destroyed (the content is gone)."""
    if not opgeslagen.startswith(VOORVOEGSEL):
        return opgeslagen  # stored before day keys
    return _dagsleutels(session).open_(
        afzender=afzender, referentienummer=referentienummer, opgeslagen=opgeslagen
    )


def inhoud(session: Session, bericht_id: int) -> str | None:
    """A message's JWE; None when it has none (hub notices, deleted content) or its day key is gone."""
    rij = session.execute(
        select(BerichtInhoud.jwe, Bericht.afzender, Bericht.referentienummer)
        .join(Bericht, Bericht.id == BerichtInhoud.bericht_id)
        .where(BerichtInhoud.bericht_id == bericht_id)
    ).one_or_none()
    if rij is None:
        return None
    return open_inhoud(
        session, afzender=rij.afzender, referentienummer=rij.referentienummer, opgeslagen=rij.jwe
    )


def voeg_toe(session: Session, bericht: Bericht, jwe: str | None) -> Bericht:
    if jwe is not None:
        bericht.grootte = len(jwe)  # the JWE as submitted (inbox quota, page cap)
    session.add(bericht)
    session.flush()
    if jwe is not None:
        opgeslagen = verzegel_inhoud(
            session,
            {
                "afzender": bericht.afzender,
                "referentienummer": bericht.referentienummer,
                "ontvangen_op": bericht.ontvangen_op,
                "verloopt_op": bericht.verloopt_op,
            },
            jwe,
        )
        session.add(BerichtInhoud(bericht_id=bericht.id, jwe=opgeslagen))
        session.flush()
        inboxquotum.noteer(session, [(bericht.ontvanger, bericht.afzender, bericht.grootte)])
    return bericht


def voeg_toe_als_nieuw(session: Session, waarden: dict[str, Any], jwe: str) -> int | None:
    """Insert a message unless its referentienummer exists (a concurrent retry won): returns the
    new id, or None. No savepoint needed: the conflict is absorbed by the statement itself."""
    grootte = len(jwe)  # the JWE as submitted (inbox quota, page cap)
    nieuw_id = session.scalar(
        _insert(session)(Bericht)
        .values(**waarden, grootte=grootte)
        .on_conflict_do_nothing(index_elements=[Bericht.referentienummer])
        .returning(Bericht.id)
    )
    if nieuw_id is None:
        return None
    session.execute(
        insert(BerichtInhoud).values(bericht_id=nieuw_id, jwe=verzegel_inhoud(session, waarden, jwe))
    )
    inboxquotum.noteer(session, [(waarden["ontvanger"], waarden["afzender"], grootte)])
    return int(nieuw_id)


_BROK = 5000
"""Values per ``IN (…)`` list: far below SQLite's and PostgreSQL's limits on bound parameters."""


def _brokken(waarden: Collection[Any]) -> list[list[Any]]:
    lijst = sorted(waarden)
    return [lijst[i : i + _BROK] for i in range(0, len(lijst), _BROK)]


def _een_van(session: Session, kolom: Any, waarden: Collection[Any]) -> list[ColumnElement[bool]]:
    """``kolom IN (waarden)`` for a SELECT of many values: on PostgreSQL one ``= ANY(array)``
    parameter (20,000 keys in a third of the time of IN lists of bound parameters), elsewhere IN
    lists of at most `_BROK` values, one condition per query."""
    if not waarden:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return [kolom == any_(bindparam(None, sorted(waarden), type_=postgresql.ARRAY(kolom.type)))]
    return [kolom.in_(brok) for brok in _brokken(waarden)]


class Berichtrij(Protocol):
    """The columns of one message, read-only: a `Bericht`, or a row of its table (a batch reads
    20,000 of them as rows in a third of the time it takes to make ORM objects)."""

    @property
    def id(self) -> int: ...
    @property
    def referentienummer(self) -> str: ...
    @property
    def afzender(self) -> str: ...
    @property
    def ontvanger(self) -> str: ...
    @property
    def conversatie_referentienummer(self) -> str: ...
    @property
    def berichttype(self) -> str: ...
    @property
    def module(self) -> str: ...
    @property
    def versie(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def envelop_hash(self) -> str: ...
    @property
    def verloopt_op(self) -> datetime: ...
    @property
    def beantwoord_op(self) -> datetime | None: ...


class Berichtkolommen(Berichtrij, Protocol):
    """Every column of a message an answer shows (api.v1.bericht_weergave): a `Bericht`, or a
    `NieuwBericht` just written."""

    @property
    def ontvangen_op(self) -> datetime: ...
    @property
    def cross_referentienummer(self) -> str | None: ...
    @property
    def opgehaald_op(self) -> datetime | None: ...
    @property
    def bevestigd_op(self) -> datetime | None: ...
    @property
    def antwoord_uiterlijk(self) -> datetime | None: ...
    @property
    def verlopen_op(self) -> datetime | None: ...
    @property
    def geweigerd_op(self) -> datetime | None: ...
    @property
    def melding(self) -> dict[str, Any] | None: ...
    @property
    def grootte(self) -> int | None: ...
    @property
    def termijn_verstreken(self) -> bool | None: ...


@dataclass(frozen=True, slots=True)
class NieuwBericht:
    """A message just inserted, with the columns `Bericht` has then: 20,000 of these cost a
    thirtieth of what ORM objects do (``verstuur_reeks`` returns them; the event loop's submit,
    api/lus.py, answers with one)."""

    id: int
    referentienummer: str
    afzender: str
    ontvanger: str
    conversatie_referentienummer: str
    cross_referentienummer: str | None
    berichttype: str
    module: str
    versie: str
    envelop_hash: str
    status: str
    ontvangen_op: datetime
    verloopt_op: datetime
    beantwoord_op: datetime | None = None
    opgehaald_op: datetime | None = None
    bevestigd_op: datetime | None = None
    antwoord_uiterlijk: datetime | None = None
    verlopen_op: datetime | None = None
    geweigerd_op: datetime | None = None
    melding: dict[str, Any] | None = None
    grootte: int | None = None
    termijn_verstreken: bool = False


def op_referenties(session: Session, referentienummers: Collection[str]) -> dict[str, Row[Any]]:
    """The messages with these referentienummers (any sender, any recipient) as read-only rows
    (see `Berichtrij`), by number."""
    gevonden: dict[str, Row[Any]] = {}
    for conditie in _een_van(session, Bericht.referentienummer, referentienummers):
        for rij in session.execute(select(Bericht.__table__).where(conditie)):
            gevonden[rij.referentienummer] = rij
    return gevonden


def van_afzender_set(
    session: Session, *, afzender: str, referentienummers: Collection[str]
) -> dict[str, datetime]:
    """Which of these numbers `afzender` already sent: number -> ``ontvangenOp`` (the portal's
    upload skips those rows, DESIGN §7)."""
    gevonden: dict[str, datetime] = {}
    for brok in _brokken(referentienummers):
        for nummer, ontvangen_op in session.execute(
            select(Bericht.referentienummer, Bericht.ontvangen_op).where(
                Bericht.afzender == afzender, Bericht.referentienummer.in_(brok)
            )
        ):
            gevonden[str(nummer)] = ontvangen_op
    return gevonden


def voor_ontvanger_set(
    session: Session, *, ontvanger: str, referentienummers: Collection[str]
) -> dict[str, Row[Any]]:
    """Metadata rows (read-only, not ORM objects: 20,000 load in a third of the time) of the
    messages with these numbers that were addressed to `ontvanger`, by number."""
    gevonden: dict[str, Row[Any]] = {}
    for brok in _brokken(referentienummers):
        for rij in session.execute(
            select(Bericht.__table__).where(
                Bericht.ontvanger == ontvanger, Bericht.referentienummer.in_(brok)
            )
        ):
            gevonden[rij.referentienummer] = rij
    return gevonden


def voeg_reeks_toe(
    session: Session, rijen: Sequence[dict[str, Any]], inhouden: Sequence[str]
) -> dict[str, int]:
    """Insert many messages with their ciphertext; a referentienummer that exists already (a
    concurrent retry won) is skipped. Returns the new ids by referentienummer. A plain executemany
    and one SELECT of the ids: RETURNING through executemany costs PostgreSQL 2.5 times as much."""
    if not rijen:
        return {}
    # The JWE as submitted (inbox quota, page cap).
    rijen = [{**rij, "grootte": len(jwe)} for rij, jwe in zip(rijen, inhouden, strict=True)]
    nummers = [str(rij["referentienummer"]) for rij in rijen]
    eerder = {
        str(nummer)
        for conditie in _een_van(session, Bericht.referentienummer, nummers)
        for nummer in session.scalars(select(Bericht.referentienummer).where(conditie))
    }
    session.connection().execute(
        _insert(session)(Bericht.__table__).on_conflict_do_nothing(index_elements=["referentienummer"]),
        list(rijen),
    )
    ids: dict[str, int] = {}
    # PostgreSQL, READ COMMITTED: an insert that waited for a concurrent batch with the same numbers
    # skips them, but this SELECT (a new snapshot) sees that batch's rows too, which `eerder` (read
    # before) did not; only the rows this transaction wrote (xmin) are new. SQLite serialises writers.
    eigen = (
        [text("berichten.xmin = pg_current_xact_id()::xid")]
        if session.get_bind().dialect.name == "postgresql"
        else []
    )
    for conditie in _een_van(session, Bericht.referentienummer, nummers):
        for bericht_id, nummer in session.execute(
            select(Bericht.id, Bericht.referentienummer).where(conditie, *eigen)
        ):
            if str(nummer) not in eerder:
                ids[str(nummer)] = int(bericht_id)
    inhoud_rijen = [
        {"bericht_id": ids[nummer], "jwe": verzegel_inhoud(session, rij, jwe)}
        for nummer, rij, jwe in zip(nummers, rijen, inhouden, strict=True)
        if nummer in ids
    ]
    if inhoud_rijen:
        session.connection().execute(insert(BerichtInhoud), inhoud_rijen)
    inboxquotum.noteer(
        session,
        (
            (rij["ontvanger"], rij["afzender"], rij["grootte"])
            for rij in rijen
            if rij["referentienummer"] in ids
        ),
    )
    return ids


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def claim_conversatie(session: Session, *, conversatie: str, shv: str, nu: datetime) -> str:
    """Register the conversation for this SHV if new; return the SHV that owns it. Takes no lock:
    messages of one conversation from several nodes never wait for each other here."""
    eigenaar = conversatie_eigenaar(session, conversatie)
    if eigenaar is not None:
        return eigenaar
    session.execute(
        _insert(session)(Conversatie)
        .values(conversatie_referentienummer=conversatie, shv=shv, aangemaakt_op=nu)
        .on_conflict_do_nothing(index_elements=[Conversatie.conversatie_referentienummer])
    )
    eigenaar = conversatie_eigenaar(session, conversatie)
    assert eigenaar is not None
    return eigenaar


def conversatie_eigenaar(session: Session, conversatie: str) -> str | None:
    return session.scalar(
        select(Conversatie.shv).where(Conversatie.conversatie_referentienummer == conversatie)
    )


def conversatie_eigenaren(session: Session, conversaties: Collection[str]) -> dict[str, str]:
    """The SHV owning each of these conversations that exists."""
    eigenaren: dict[str, str] = {}
    for conditie in _een_van(session, Conversatie.conversatie_referentienummer, conversaties):
        for nummer, shv in session.execute(
            select(Conversatie.conversatie_referentienummer, Conversatie.shv).where(conditie)
        ):
            eigenaren[str(nummer)] = str(shv)
    return eigenaren


def claim_conversaties(
    session: Session, *, conversaties: Sequence[str], shv: str, nu: datetime
) -> dict[str, str]:
    """`claim_conversatie` for many: register the new ones for this SHV in one executemany (a
    conversation another SHV registered meanwhile keeps its owner); returns every owner."""
    if conversaties:
        session.execute(
            _insert(session)(Conversatie).on_conflict_do_nothing(
                index_elements=[Conversatie.conversatie_referentienummer]
            ),
            [{"conversatie_referentienummer": c, "shv": shv, "aangemaakt_op": nu} for c in conversaties],
        )
    return conversatie_eigenaren(session, conversaties)


def aantal_open(session: Session, *, afzender: str, ontvanger: str, tot: int) -> int:
    """Unconfirmed messages from one sender to one recipient, counted up to `tot`."""
    binnen = (
        select(Bericht.id)
        .where(
            Bericht.afzender == afzender,
            Bericht.ontvanger == ontvanger,
            _open(),
        )
        .limit(tot)
        .subquery()
    )
    return int(session.scalar(select(func.count()).select_from(binnen)) or 0)


def geleverd(nu: Any, kolommen: Any = None) -> ColumnElement[bool]:
    """A message that counts as exchanged at `nu` for the rules that look back (9.3, 11.1, 12.1,
    14.1): neither refused nor expired — swept, or still open past its verloopt_op and not yet swept
    (`regels.is_verlopen`), so a judgement never depends on whether the expiry job has run.
    ``kolommen``: the columns to judge (default `Bericht`'s); ``nu`` a moment, a parameter or the
    statement's clock. The status lists are literal terms, so a statement built once
    (`store.db.Vast`) compiles them too."""
    k = kolommen if kolommen is not None else Bericht.__table__.c
    niet_geldig = [literal(w, String) for w in ("verlopen", "geweigerd")]
    open_ = [literal(w, String) for w in OPEN_STATUSSEN]
    return and_(k.status.not_in(niet_geldig), or_(k.status.not_in(open_), k.verloopt_op >= nu))


def laatste_antwoord(
    session: Session,
    *,
    conversatie: str,
    module: str,
    van: str,
    aan: str,
    typen: Collection[str],
    vraagtypen: Collection[str] | None = None,
    nu: datetime,
) -> Row[str, str, str] | None:
    """The latest (by ontvangenOp) answer from `van` to `aan` delivered at `nu` (`geleverd`) in a
    conversation and module, among `typen`, optionally only answers to questions of `vraagtypen`:
    (berichttype, referentienummer, versie), or None."""
    query = select(Bericht.berichttype, Bericht.referentienummer, Bericht.versie).where(
        Bericht.conversatie_referentienummer == conversatie,
        Bericht.module == module,
        Bericht.afzender == van,
        Bericht.ontvanger == aan,
        Bericht.berichttype.in_(list(typen)),
        geleverd(nu),
    )
    if vraagtypen is not None:
        vraag = aliased(Bericht)
        query = query.where(
            exists().where(
                vraag.referentienummer == Bericht.cross_referentienummer,
                vraag.berichttype.in_(list(vraagtypen)),
            )
        )
    rij = session.execute(query.order_by(Bericht.ontvangen_op.desc(), Bericht.id.desc()).limit(1)).first()
    return rij


def eerder_uitgewisseld(
    session: Session, *, conversatie: str, module: str, partij: str, tegenpartij: str, nu: datetime
) -> bool:
    """Did these two parties exchange a message delivered at `nu` (`geleverd`) in this conversation
    and module (either way)?"""
    query = select(Bericht.id).where(
        Bericht.conversatie_referentienummer == conversatie,
        Bericht.module == module,
        or_(
            (Bericht.afzender == partij) & (Bericht.ontvanger == tegenpartij),
            (Bericht.afzender == tegenpartij) & (Bericht.ontvanger == partij),
        ),
        geleverd(nu),
    )
    return session.scalar(query.limit(1)) is not None


def _inbox_query(
    query: Any,
    *,
    ontvanger: str,
    nu: datetime,
    limiet: int,
    na_id: int | None,
    berichttype: str | None,
    afzender: str | None,
    module: str | None,
    referentienummers: Collection[str] | None,
) -> Any:
    query = (
        query.where(
            Bericht.ontvanger == ontvanger,
            _open(),
            Bericht.verloopt_op >= nu,
        )
        .order_by(Bericht.id)
        .limit(limiet)
    )
    if na_id is not None:
        query = query.where(Bericht.id > na_id)
    if berichttype:
        query = query.where(Bericht.berichttype == berichttype)
    if afzender:
        query = query.where(Bericht.afzender == afzender)
    if module:
        query = query.where(Bericht.module == module)
    if referentienummers is not None:
        if len(referentienummers) > _BROK:
            raise ValueError(f"at most {_BROK} referentienummers at once")
        query = query.where(Bericht.referentienummer.in_(sorted(referentienummers)))
    return query


def inbox(
    session: Session,
    *,
    ontvanger: str,
    nu: datetime,
    limiet: int,
    na_id: int | None = None,
    berichttype: str | None = None,
    afzender: str | None = None,
    module: str | None = None,
    referentienummers: Collection[str] | None = None,
) -> list[tuple[Bericht, str | None]]:
    """Open, unexpired messages of a recipient, oldest first, with their ciphertext; with
    ``referentienummers`` only those (at most `_BROK` of them). A message whose day key is
    destroyed (a restored backup) is left out, as an expired one, and the page filled up."""
    rijen: list[tuple[Bericht, str | None]] = []
    while len(rijen) < limiet:
        gevraagd = limiet - len(rijen)
        query = _inbox_query(
            select(Bericht, BerichtInhoud.jwe).outerjoin(
                BerichtInhoud, BerichtInhoud.bericht_id == Bericht.id
            ),
            ontvanger=ontvanger,
            nu=nu,
            limiet=gevraagd,
            na_id=na_id,
            berichttype=berichttype,
            afzender=afzender,
            module=module,
            referentienummers=referentienummers,
        )
        gelezen = session.execute(query).all()
        for bericht, opgeslagen in gelezen:
            if opgeslagen is None:
                rijen.append((bericht, None))  # a hub notice
                continue
            jwe = open_inhoud(
                session,
                afzender=bericht.afzender,
                referentienummer=bericht.referentienummer,
                opgeslagen=opgeslagen,
            )
            if jwe is not None:
                rijen.append((bericht, jwe))
        if len(gelezen) < gevraagd:
            break
        na_id = gelezen[-1][0].id
    return rijen


def inbox_metadata(
    session: Session,
    *,
    ontvanger: str,
    nu: datetime,
    limiet: int,
    na_id: int | None = None,
    berichttype: str | None = None,
    afzender: str | None = None,
    module: str | None = None,
    referentienummers: Collection[str] | None = None,
) -> Sequence[Bericht]:
    """`inbox` without the ciphertext: the messages a fetch may return, with their ``grootte``, so
    that a page can be chosen by size before any content is read (DESIGN §4)."""
    query = _inbox_query(
        select(Bericht),
        ontvanger=ontvanger,
        nu=nu,
        limiet=limiet,
        na_id=na_id,
        berichttype=berichttype,
        afzender=afzender,
        module=module,
        referentienummers=referentienummers,
    )
    return session.scalars(query).all()


def open_metadata(session: Session, *, ontvanger: str, nu: datetime, limiet: int = 5000) -> Sequence[Bericht]:
    """Open, unexpired messages of a recipient, oldest first, metadata only (no content, not marked
    as fetched): what the portal lists before the user downloads."""
    return session.scalars(
        select(Bericht)
        .where(Bericht.ontvanger == ontvanger, _open(), Bericht.verloopt_op >= nu)
        .order_by(Bericht.id)
        .limit(limiet)
    ).all()


def nieuw_per_type(session: Session, *, ontvanger: str, nu: datetime) -> dict[tuple[str, str, str], int]:
    """Counts per (module, berichttype, versie) of the open messages not yet downloaded (art.
    16.1): a type is named in its own module and version, as every other overview names it."""
    rijen = session.execute(
        select(Bericht.module, Bericht.berichttype, Bericht.versie, func.count())
        .where(Bericht.ontvanger == ontvanger, Bericht.status == "aangeboden", Bericht.verloopt_op >= nu)
        .group_by(Bericht.module, Bericht.berichttype, Bericht.versie)
    ).all()
    return {(str(m), str(t), str(v)): int(n) for m, t, v, n in rijen}


def markeer_opgehaald(session: Session, ids: Sequence[int], *, nu: datetime) -> None:
    """Best effort: rows another transaction is confirming right now are skipped, never waited
    for, so fetching can never take part in a deadlock (PostgreSQL; SQLite serialises writers).
    One statement: the rows not fetched before, locked in id order (skipping locked ones), get
    opgehaaldOp and, when still aangeboden, the status opgehaald."""
    if not ids:
        return
    vrij = (
        select(Bericht.id)
        .where(Bericht.id.in_(list(ids)), Bericht.opgehaald_op.is_(None))
        .order_by(Bericht.id)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        update(Bericht)
        .where(Bericht.id.in_(vrij.scalar_subquery()))
        .values(
            status=case((Bericht.status == "aangeboden", "opgehaald"), else_=Bericht.status),
            opgehaald_op=nu,
        )
        .execution_options(synchronize_session=False)
    )


def toon_opgehaald(bericht: Berichtkolommen, *, nu: datetime) -> Berichtkolommen:
    """`bericht` as `markeer_opgehaald` left it: a loaded `Bericht` changed without making it dirty
    (a flush would write the status back unconditionally and could undo a concurrent confirm), a
    plain record (the event loop's fetch) replaced."""
    status = "opgehaald" if bericht.status == "aangeboden" else bericht.status
    moment = nu if bericht.opgehaald_op is None else bericht.opgehaald_op
    if isinstance(bericht, NieuwBericht):
        return replace(bericht, status=status, opgehaald_op=moment)
    set_committed_value(bericht, "status", status)
    set_committed_value(bericht, "opgehaald_op", moment)
    return bericht


def toon_verlopen(bericht: Bericht) -> None:
    """Show a message whose content is gone with its day key as expired, without writing it."""
    set_committed_value(bericht, "status", "verlopen")


def vergrendel(session: Session, *, ontvanger: str, referentienummers: Sequence[str]) -> dict[str, Bericht]:
    """Load and lock a recipient's messages in id order before changing several of them, so
    concurrent batches (e.g. two hub nodes confirming overlapping sets) always lock in the same
    order and never deadlock."""
    if not referentienummers:
        return {}
    rijen = session.scalars(
        select(Bericht)
        .where(Bericht.ontvanger == ontvanger, Bericht.referentienummer.in_(list(referentienummers)))
        .order_by(Bericht.id)
        .with_for_update()
    ).all()
    return {b.referentienummer: b for b in rijen}


def toon_bevestigd(
    bericht: Bericht, *, nu: datetime, antwoord_uiterlijk: datetime | None, beantwoord: bool = False
) -> None:
    """Reflect `bevestig` (or `bevestig_set`) on a loaded object without another query."""
    set_committed_value(bericht, "status", "beantwoord" if beantwoord else "bevestigd")
    set_committed_value(bericht, "bevestigd_op", nu)
    set_committed_value(bericht, "antwoord_uiterlijk", antwoord_uiterlijk)
    if beantwoord:
        set_committed_value(bericht, "beantwoord_op", nu)


def bevestig(session: Session, bericht_id: int, *, nu: datetime, antwoord_uiterlijk: datetime | None) -> bool:
    """Confirm if still open and unexpired; delete the ciphertext in the same transaction."""
    rij = session.execute(
        update(Bericht)
        .where(
            Bericht.id == bericht_id,
            Bericht.status.in_(OPEN_STATUSSEN),
            Bericht.verloopt_op >= nu,
        )
        .values(status="bevestigd", bevestigd_op=nu, antwoord_uiterlijk=antwoord_uiterlijk)
        .returning(*_QUOTUM_KOLOMMEN)
        .execution_options(synchronize_session=False)
    ).first()
    if rij is None:
        return False
    session.execute(delete(BerichtInhoud).where(BerichtInhoud.bericht_id == bericht_id))
    _geef_vrij(session, [rij])
    return True


def bevestig_set(
    session: Session,
    bericht_ids: Sequence[int],
    *,
    nu: datetime,
    antwoord_uiterlijk: datetime | None,
    beantwoord: bool = False,
) -> set[int]:
    """Confirm several locked messages in one UPDATE and one DELETE; returns the ids confirmed
    (those still open and unexpired). ``beantwoord``: they are answered in the same breath (a
    batch of answers to unconfirmed questions), so the same UPDATE marks them beantwoord too, as
    `markeer_beantwoord` would right after."""
    if not bericht_ids:
        return set()
    waarden: dict[str, Any] = {
        "status": "bevestigd",
        "bevestigd_op": nu,
        "antwoord_uiterlijk": antwoord_uiterlijk,
    }
    if beantwoord:
        waarden |= {"status": "beantwoord", "beantwoord_op": nu}
    # One ANY(array) parameter on PostgreSQL, bounded IN lists elsewhere (SQLite refuses more
    # than 32,766 parameters in one statement; an upload of several files can bring more answers).
    bevestigd: set[int] = set()
    for conditie in _een_van(session, Bericht.id, bericht_ids):
        rijen = session.execute(
            update(Bericht)
            .where(conditie, _open(), Bericht.verloopt_op >= nu)
            .values(**waarden)
            .returning(Bericht.id, *_QUOTUM_KOLOMMEN)
            .execution_options(synchronize_session=False)
        ).all()
        bevestigd.update(int(r.id) for r in rijen)
        _geef_vrij(session, rijen)
    for conditie in _een_van(session, BerichtInhoud.bericht_id, bevestigd):
        session.execute(delete(BerichtInhoud).where(conditie).execution_options(synchronize_session=False))
    return bevestigd


def voeg_hub_berichten_toe(session: Session, rijen: Sequence[dict[str, Any]]) -> None:
    """Insert hub-authored notices (no ciphertext) in one executemany of a Core INSERT (the ORM's
    bulk path costs about twice as much per row; a batch of answers may bring 20,000 receipts)."""
    if rijen:
        session.connection().execute(insert(Bericht), list(rijen))


def weiger(session: Session, bericht_id: int, *, nu: datetime) -> bool:
    rij = session.execute(
        update(Bericht)
        .where(Bericht.id == bericht_id, Bericht.status.in_(OPEN_STATUSSEN), Bericht.verloopt_op >= nu)
        .values(status="geweigerd", geweigerd_op=nu)
        .returning(*_QUOTUM_KOLOMMEN)
        .execution_options(synchronize_session=False)
    ).first()
    if rij is None:
        return False
    session.execute(delete(BerichtInhoud).where(BerichtInhoud.bericht_id == bericht_id))
    _geef_vrij(session, [rij])
    return True


def markeer_beantwoord(session: Session, bericht_id: int, *, nu: datetime) -> None:
    """The first valid answer sets beantwoord; later answers (corrections) keep that moment."""
    session.execute(
        update(Bericht)
        .where(Bericht.id == bericht_id, Bericht.status == "bevestigd")
        .values(status="beantwoord", beantwoord_op=nu)
        .execution_options(synchronize_session=False)
    )


def vergrendel_ids(session: Session, ids: Collection[int]) -> list[Bericht]:
    """Load and lock these messages in id order (a batch about to change them), so that
    concurrent batches always lock in the same order and never deadlock."""
    return [
        bericht
        for conditie in _een_van(session, Bericht.id, ids)
        for bericht in session.scalars(select(Bericht).where(conditie).order_by(Bericht.id).with_for_update())
    ]


def vergrendel_rijen(session: Session, ids: Collection[int]) -> list[Berichtrij]:
    """`vergrendel_ids` as table rows: a batch of 20,000 answers locks its questions without
    making 20,000 ORM objects."""
    return [
        rij
        for conditie in _een_van(session, Bericht.id, ids)
        for rij in session.execute(
            select(Bericht.__table__).where(conditie).order_by(Bericht.id).with_for_update()
        )
    ]


def markeer_beantwoord_set(session: Session, ids: Collection[int], *, nu: datetime) -> None:
    """`markeer_beantwoord` for many messages at once."""
    for conditie in _een_van(session, Bericht.id, ids):
        session.execute(
            update(Bericht)
            .where(conditie, Bericht.status == "bevestigd")
            .values(status="beantwoord", beantwoord_op=nu)
            .execution_options(synchronize_session=False)
        )


def verloop_reeks(session: Session, *, nu: datetime, limiet: int) -> list[Any]:
    """Expire up to `limiet` due messages in one UPDATE and delete their ciphertext in one DELETE;
    returns the expired rows (id, referentienummer, afzender, ontvanger, conversatie, berichttype,
    module). Rows that another worker or a confirm holds are skipped (PostgreSQL ``SKIP LOCKED``;
    SQLite serialises writers anyway), and the status condition is repeated in the UPDATE, so a
    message is expired exactly once and never after it was confirmed."""
    # A materialized CTE, evaluated exactly once: PostgreSQL may re-run a LIMIT … FOR UPDATE
    # subquery inside `IN (…)` (a semi-join rescan) and then update more rows than the limit.
    due = (
        select(Bericht.id)
        .where(_open(), Bericht.verloopt_op < nu)
        .order_by(Bericht.verloopt_op)  # the partial index's order: no sort of every due row
        .limit(limiet)
        .with_for_update(skip_locked=True)
        .cte("due")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    rijen = list(
        session.execute(
            update(Bericht)
            .where(Bericht.id == due.c.id, _open(), Bericht.verloopt_op < nu)
            .values(status="verlopen", verlopen_op=nu)
            .returning(
                Bericht.id,
                Bericht.referentienummer,
                Bericht.afzender,
                Bericht.ontvanger,
                Bericht.conversatie_referentienummer,
                Bericht.berichttype,
                Bericht.module,
                Bericht.versie,
                Bericht.grootte,
            )
            .execution_options(synchronize_session=False)
        )
    )
    if rijen:
        session.execute(delete(BerichtInhoud).where(BerichtInhoud.bericht_id.in_([r.id for r in rijen])))
        _geef_vrij(session, rijen)
    return rijen


# Every step is an index lookup, so a batch costs the same at 10k or 1M pending: the due rows come
# from the partial index on verloopt_op in its order (no sort of all due rows), and the UPDATE and
# DELETE find their rows by primary key through `= ANY(ARRAY(…))` (a join would tempt the planner to
# hash the whole table for every batch).
_VERLOOP_MET_MELDINGEN_PG = text(
    """
    WITH due AS MATERIALIZED (
        SELECT id FROM berichten
        WHERE status IN ('aangeboden', 'opgehaald') AND verloopt_op < CAST(:nu AS timestamptz)
        ORDER BY verloopt_op
        LIMIT CAST(:limiet AS integer)
        FOR UPDATE SKIP LOCKED
    ),
    upd AS (
        UPDATE berichten AS b SET status = 'verlopen', verlopen_op = CAST(:nu AS timestamptz)
        WHERE b.id = ANY(ARRAY(SELECT id FROM due)) AND b.status IN ('aangeboden', 'opgehaald')
            AND b.verloopt_op < CAST(:nu AS timestamptz)
        RETURNING b.id, b.referentienummer, b.afzender, b.ontvanger, b.conversatie_referentienummer,
                  b.berichttype, b.module, b.versie, b.grootte
    ),
    weg AS (
        DELETE FROM berichtinhoud AS i WHERE i.bericht_id = ANY(ARRAY(SELECT id FROM upd))
    ),
    meldingen AS (
        SELECT upd.*, json_build_object(
            'code', CAST(:code AS text),
            'omschrijving', format(CAST(:omschrijving AS text), upd.referentienummer, upd.berichttype),
            'referentienummer', upd.referentienummer,
            'ontvanger', upd.ontvanger
        ) AS melding
        FROM upd WHERE upd.afzender <> CAST(:hub AS text)
    ),
    nieuw AS (
        INSERT INTO berichten (referentienummer, afzender, ontvanger, conversatie_referentienummer,
            cross_referentienummer, berichttype, module, versie, envelop_hash, status, ontvangen_op,
            verloopt_op, melding)
        SELECT gen_random_uuid()::text, CAST(:hub AS text), m.afzender, m.conversatie_referentienummer,
            m.referentienummer, CAST(:berichttype AS text), m.module, m.versie,
            encode(sha256(convert_to(m.melding::text, 'UTF8')), 'hex'), 'aangeboden',
            CAST(:nu AS timestamptz),
            CAST(:melding_verloopt_op AS timestamptz), m.melding
        FROM meldingen AS m
    )
    SELECT id, referentienummer, afzender, ontvanger, conversatie_referentienummer, berichttype, module,
           versie, grootte
    FROM upd
    """
)


def verloop_met_meldingen_pg(
    session: Session,
    *,
    nu: datetime,
    limiet: int,
    hub: str,
    berichttype: str,
    code: str,
    omschrijving: str,
    melding_verloopt_op: datetime,
) -> list[Any]:
    """PostgreSQL only: `verloop_reeks` plus the notices to the senders, in one statement that
    never brings the rows to Python (the expiry sweep's hot path: 100k due messages in seconds).
    ``omschrijving`` is a ``format()`` template with ``%1$s`` = referentienummer and ``%2$s`` =
    berichttype. Returns the expired rows, as `verloop_reeks`."""
    rijen = list(
        session.execute(
            _VERLOOP_MET_MELDINGEN_PG,
            {
                "nu": nu,
                "limiet": limiet,
                "hub": hub,
                "berichttype": berichttype,
                "code": code,
                "omschrijving": omschrijving,
                "melding_verloopt_op": melding_verloopt_op,
            },
        )
    )
    _geef_vrij(session, rijen)
    return rijen


def laat_verlopen(session: Session, bericht_id: int, *, nu: datetime) -> bool:
    """Expire if still open and past its term; delete the ciphertext in the same transaction."""
    rij = session.execute(
        update(Bericht)
        .where(Bericht.id == bericht_id, Bericht.status.in_(OPEN_STATUSSEN), Bericht.verloopt_op < nu)
        .values(status="verlopen", verlopen_op=nu)
        .returning(*_QUOTUM_KOLOMMEN)
        .execution_options(synchronize_session=False)
    ).first()
    if rij is None:
        return False
    session.execute(delete(BerichtInhoud).where(BerichtInhoud.bericht_id == bericht_id))
    _geef_vrij(session, [rij])
    return True


def verzonden(
    session: Session,
    *,
    afzender: str,
    limiet: int,
    voor_id: int | None = None,
    status: str | None = None,
    conversatie: str | None = None,
    module: str | None = None,
    nu: datetime,
) -> Sequence[Bericht]:
    query = select(Bericht).where(Bericht.afzender == afzender).order_by(Bericht.id.desc()).limit(limiet)
    if voor_id is not None:
        query = query.where(Bericht.id < voor_id)
    if status:
        query = query.where(_met_status(status, nu))
    if conversatie:
        query = query.where(Bericht.conversatie_referentienummer == conversatie)
    if module:
        query = query.where(Bericht.module == module)
    return session.scalars(query).all()


def _met_status(status: str, nu: datetime) -> ColumnElement[bool]:
    """The status a participant sees at `nu` (mailbox.status_op): an open message past verlooptOp
    counts as `verlopen`, not as `aangeboden`/`opgehaald`, before the expiry job has run."""
    if status == "verlopen":
        return or_(Bericht.status == "verlopen", and_(_open(), Bericht.verloopt_op < nu))
    if status in OPEN_STATUSSEN:
        return and_(Bericht.status == status, Bericht.verloopt_op >= nu)
    return Bericht.status == status


def aantal_reminders(
    session: Session, *, afzender: str, referentienummers: Collection[str]
) -> dict[str, int]:
    """How many reminders `afzender` sent about each of these messages of its own (art. 15.1)."""
    if not referentienummers:
        return {}
    rijen = session.execute(
        select(Bericht.cross_referentienummer, func.count())
        .where(
            Bericht.afzender == afzender,
            Bericht.berichttype == "reminder",
            Bericht.cross_referentienummer.in_(list(referentienummers)),
        )
        .group_by(Bericht.cross_referentienummer)
    )
    return {str(ref): int(aantal) for ref, aantal in rijen}


def tijdlijn(session: Session, *, conversatie: str, partij: str) -> Sequence[Bericht]:
    return session.scalars(
        select(Bericht)
        .where(
            Bericht.conversatie_referentienummer == conversatie,
            or_(Bericht.afzender == partij, Bericht.ontvanger == partij),
        )
        .order_by(Bericht.id)
    ).all()


def herlaad(session: Session, bericht: Bericht) -> Bericht:
    session.refresh(bericht)
    return bericht


def _open_en_te_laat(nu: datetime) -> Any:
    """teLaat of a confirmed question still without an answer, in SQL (as `mailbox.te_laat`): the
    deadline job's mark, or past its antwoordUiterlijk at `nu`."""
    return or_(Bericht.termijn_verstreken.is_(True), Bericht.antwoord_uiterlijk < nu)


def tellingen(conn: Connection, *, nu: datetime) -> list[tuple[str, str, int, int]]:
    """(berichttype, status, messages, of which answers overdue) in one GROUP BY, for /metrics.
    Overdue: confirmed, not answered, past antwoordUiterlijk (teLaat while still open)."""
    te_laat = case(
        (
            and_(
                Bericht.status == "bevestigd",
                _open_en_te_laat(nu),
            ),
            1,
        ),
        else_=0,
    )
    rijen = conn.execute(
        select(Bericht.berichttype, Bericht.status, func.count(), func.coalesce(func.sum(te_laat), 0))
        .group_by(Bericht.berichttype, Bericht.status)
        .order_by(Bericht.berichttype, Bericht.status)
    ).all()
    return [(str(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rijen]


# --- a debt counsellor's clients (the portal's client list, DESIGN §7) -------------------------------


def conversaties_van_partij(
    session: Session,
    *,
    partij: str,
    hub: str,
    limiet: int,
    offset: int,
    alleen: Collection[str] | None = None,
) -> tuple[list[tuple[str, datetime, str]], int]:
    """One page of the conversations `partij` takes part in (sent or received a message in, hub
    notices aside) — those it started and those another party started with it, such as the fund's
    verzoek kredietinformatie to a kredietbank (DESIGN §2) — newest first, each with when it
    started and who owns it; and how many there are."""
    deelname = union(
        select(Bericht.conversatie_referentienummer).where(Bericht.afzender == partij),
        select(Bericht.conversatie_referentienummer).where(
            Bericht.ontvanger == partij, Bericht.afzender != hub
        ),
    ).subquery()
    filter_ = [Conversatie.conversatie_referentienummer.in_(select(deelname.c.conversatie_referentienummer))]
    if alleen is not None:
        filter_.append(Conversatie.conversatie_referentienummer.in_(list(alleen)))
    totaal = int(session.scalar(select(func.count()).select_from(Conversatie).where(*filter_)) or 0)
    rijen = session.execute(
        select(Conversatie.conversatie_referentienummer, Conversatie.aangemaakt_op, Conversatie.shv)
        .where(*filter_)
        .order_by(Conversatie.aangemaakt_op.desc(), Conversatie.conversatie_referentienummer)
        .limit(limiet)
        .offset(offset)
    ).all()
    return [(str(r[0]), r[1], str(r[2])) for r in rijen], totaal


def conversatie_tellingen(
    session: Session,
    *,
    partij: str,
    conversaties: Collection[str],
    hub: str,
    vraagtypen: Mapping[str, Collection[str]],
    nu: datetime,
) -> dict[str, dict[str, Any]]:
    """Per conversation, over the messages `partij` sent or received (hub notices aside): how many,
    with how many counterparts, the latest, open questions of `partij` (``vraagtypen``: module →
    the codes that expect an answer in it), answers overdue (either way, as ``te_laat``), and new
    messages waiting for `partij` (hub notices included, receipts not) with the earliest moment one
    of those expires (art. 17.3). One GROUP BY."""
    if not conversaties:
        return {}
    partij_bericht = Bericht.afzender != hub
    tegenpartij = case((Bericht.afzender == partij, Bericht.ontvanger), else_=Bericht.afzender)
    open_vraag = and_(
        Bericht.afzender == partij,
        or_(
            false(),
            *(
                and_(Bericht.module == module, Bericht.berichttype.in_(sorted(codes)))
                for module, codes in sorted(vraagtypen.items())
            ),
        ),
        Bericht.status.in_(("aangeboden", "opgehaald", "bevestigd")),
    )
    te_laat = and_(
        Bericht.antwoord_uiterlijk.is_not(None),
        or_(
            and_(Bericht.beantwoord_op.is_(None), Bericht.antwoord_uiterlijk < nu),
            Bericht.beantwoord_op > Bericht.antwoord_uiterlijk,
            Bericht.termijn_verstreken.is_(True),
        ),
    )
    nieuw = and_(
        Bericht.ontvanger == partij,
        Bericht.status.in_(OPEN_STATUSSEN),
        Bericht.verloopt_op >= nu,
        Bericht.berichttype != "ontvangstbevestiging",
    )

    def aantal(voorwaarde: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((voorwaarde, 1), else_=0)), 0)

    rijen = session.execute(
        select(
            Bericht.conversatie_referentienummer,
            aantal(partij_bericht),
            func.count(func.distinct(case((partij_bericht, tegenpartij), else_=None))),
            type_coerce(func.max(case((partij_bericht, Bericht.ontvangen_op), else_=None)), UTCDateTime()),
            aantal(open_vraag),
            aantal(te_laat),
            aantal(nieuw),
            type_coerce(func.min(case((nieuw, Bericht.verloopt_op), else_=None)), UTCDateTime()),
        )
        .where(
            Bericht.conversatie_referentienummer.in_(list(conversaties)),
            or_(Bericht.afzender == partij, Bericht.ontvanger == partij),
        )
        .group_by(Bericht.conversatie_referentienummer)
    ).all()
    return {
        str(r[0]): {
            "berichten": int(r[1]),
            "tegenpartijen": int(r[2]),
            "laatste": r[3],
            "open_vragen": int(r[4]),
            "te_laat": int(r[5]),
            "nieuw": int(r[6]),
            "eerst_verlopend": r[7],
        }
        for r in rijen
    }


def meldingen_over(
    session: Session, *, ontvanger: str, hub: str, referentienummers: Collection[str]
) -> Sequence[Bericht]:
    """The hub's notices (foutbericht) to `ontvanger` about these messages of its own."""
    if not referentienummers:
        return []
    return session.scalars(
        select(Bericht)
        .where(
            Bericht.ontvanger == ontvanger,
            Bericht.afzender == hub,
            Bericht.berichttype == "foutbericht",
            Bericht.cross_referentienummer.in_(list(referentienummers)),
        )
        .order_by(Bericht.id)
    ).all()


def te_beantwoorden(
    session: Session, *, ontvanger: str, nu: datetime, limiet: int
) -> tuple[Sequence[Bericht], int, int]:
    """Confirmed questions to `ontvanger` still unanswered (status bevestigd with an
    antwoordUiterlijk; an answer sets beantwoord), the earliest deadline first, at most `limiet`;
    with how many there are and how many of those are past their deadline (teLaat, DESIGN §6: the
    deadline job's mark or so at `nu`). Metadata only."""
    filter_ = (
        Bericht.ontvanger == ontvanger,
        Bericht.status == "bevestigd",
        Bericht.antwoord_uiterlijk.is_not(None),
    )
    laat = _open_en_te_laat(nu)
    totaal, te_laat = session.execute(
        select(func.count(), func.coalesce(func.sum(case((laat, 1), else_=0)), 0)).where(*filter_)
    ).one()
    rijen = session.scalars(
        select(Bericht).where(*filter_).order_by(Bericht.antwoord_uiterlijk, Bericht.id).limit(limiet)
    ).all()
    return rijen, int(totaal), int(te_laat)


def nog_op_te_halen_van(
    session: Session, *, van: datetime, tot: datetime, nu: datetime, uiterlijk: datetime
) -> bool:
    """Whether a message received in [van, tot) with stored inhoud (not a hub notice) can still be
    fetched at ``nu`` under that day's key: open and not past its verloopt_op. Read through the
    partial index of open messages by verloopt_op, whose range is then [nu, ``uiterlijk``] (the
    latest verloopt_op sealed under the key): only open messages of that day and of earlier days
    not yet expired lie in it, however many later messages wait."""
    rij = session.execute(
        select(literal(1))
        .where(
            _open(),
            Bericht.verloopt_op >= max(van, nu),
            Bericht.verloopt_op <= uiterlijk,
            Bericht.ontvangen_op >= van,
            Bericht.ontvangen_op < tot,
            Bericht.grootte.is_not(None),
        )
        .limit(1)
    ).first()
    return rij is not None


def schoon_op(session: Session, *, grens: datetime, batch: int) -> int:
    """The retention purge (DESIGN §2 "Retention"): delete — not blank — one batch of messages
    received before ``grens`` that are no longer open (their ``inhoud`` went at confirm, refusal or
    expiry), oldest first, and the conversations that then hold no message. Returns the number of
    messages deleted; 0 means nothing (more) is due. The usual case is one primary-key lookup: the
    oldest message is younger than ``grens``."""
    oudste = session.scalar(select(Bericht.ontvangen_op).order_by(Bericht.id).limit(1))
    if oudste is None or oudste >= grens:
        return 0
    ids = [
        int(i)
        for i in session.scalars(
            select(Bericht.id)
            .where(Bericht.ontvangen_op < grens, Bericht.status.not_in(OPEN_STATUSSEN))
            .order_by(Bericht.id)
            .limit(batch)
        )
    ]
    if not ids:
        return 0
    conversaties: set[str] = set()
    for brok in _brokken(ids):
        session.execute(delete(BerichtInhoud).where(BerichtInhoud.bericht_id.in_(brok)))
        conversaties.update(
            session.scalars(
                delete(Bericht).where(Bericht.id.in_(brok)).returning(Bericht.conversatie_referentienummer)
            )
        )
    nummer = Conversatie.conversatie_referentienummer
    for brok in _brokken(conversaties):
        session.execute(
            delete(Conversatie).where(
                nummer.in_(brok), ~exists().where(Bericht.conversatie_referentienummer == nummer)
            )
        )
    return len(ids)


def markeer_termijn_verstreken(session: Session, *, nu: datetime, limiet: int = 2000) -> int:
    """DESIGN §6 "deadline marks": up to `limiet` confirmed questions past their antwoordUiterlijk
    without an answer are marked late (``termijn_verstreken``), so teLaat holds from the job's clock
    on for everyone who reads them. A conditional update: idempotent, safe beside other workers;
    rows another transaction holds (an answer arriving, a batch) are skipped, never waited for in
    an order of their own (no deadlock), and marked by the next run if still late."""
    te_markeren = (
        select(Bericht.id)
        .where(
            Bericht.status == "bevestigd",
            Bericht.antwoord_uiterlijk < nu,
            Bericht.termijn_verstreken.is_(False),
        )
        .limit(limiet)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    resultaat = session.execute(
        update(Bericht)
        .where(Bericht.id.in_(te_markeren), Bericht.termijn_verstreken.is_(False))
        .values(termijn_verstreken=True)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(resultaat, "rowcount", 0) or 0)
