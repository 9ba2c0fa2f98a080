"""The SQL of a confirm and a refusal (#13 item 2, decision 0033): a recipient confirms a page of
messages, or refuses one, in ONE PostgreSQL statement of data-modifying CTEs, so that
``POST /api/v1/bevestigingen`` and ``POST /api/v1/berichten/{ref}/weigering`` cost BEGIN + clock,
this statement and COMMIT.

The statement locks the recipient's messages with these numbers in id order (``FOR UPDATE``: two
concurrent confirms of overlapping pages wait for each other, never deadlock), confirms those still
open and unexpired (their answer deadline looked up in the deadlines the caller worked out per
message type), deletes their inhoud, lowers their senders' inbox counters (one row per sender, in
key order, after the message locks — the order of every writer, store.inboxquotum), inserts the
receipts for their senders and the audit entries, and returns every locked message as it is now
with whether this statement confirmed it. What was not confirmed (unknown, confirmed before,
refused, expired) is the caller's to report (hub.mailbox.bevestigen).

A receipt is the row hub.mailbox.meldingen.ontvangstbevestiging makes: its ``melding`` the same
JSON text and its ``envelop_hash`` the SHA-256 of the same sorted-key JSON, built in SQL (every
value in it is ASCII, which PostgreSQL's ``to_json`` and Python's ``json.dumps`` escape alike).

A refusal (`weiger_pg`) is the same for one message that is not the hub's own: refused, inhoud
deleted, counter lowered, the foutbericht GEWEIGERD to its sender (hub.mailbox.bevestigen.weiger's
row) and the audit entry with the reason.

SQLite (in-process, no round trips to save) keeps the statements one by one
(hub.mailbox.bevestigen, store.berichten).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Boolean, column, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from knooppunt.store.db import Vast
from knooppunt.store.models import Bericht

_KOLOMMEN = [k.name for k in Bericht.__table__.c]
_LIJST = ", ".join(_KOLOMMEN)


def _json_tekst(paren: Sequence[tuple[str, str]]) -> str:
    """SQL for the text of a JSON object as Python's ``json.dumps`` writes it (", " and ": ")."""
    delen = [f"'\"{sleutel}\": ' || to_json({waarde})::text" for sleutel, waarde in paren]
    return "'{' || " + " || ', ' || ".join(delen) + " || '}'"


def _tellers(bron: str) -> str:
    """Lower the inbox counters of the messages in CTE `bron`, in key order (as every writer does)."""
    return f"""
        INSERT INTO inboxbezetting (ontvanger, afzender, bytes, aantal)
        SELECT c.ontvanger, c.afzender, -CAST(sum(c.grootte) AS bigint), -count(*)
        FROM {bron} AS c WHERE c.grootte > 0
        GROUP BY c.ontvanger, c.afzender
        ORDER BY c.ontvanger, c.afzender
        ON CONFLICT (ontvanger, afzender) DO UPDATE
        SET bytes = inboxbezetting.bytes + excluded.bytes, aantal = inboxbezetting.aantal + excluded.aantal
    """  # noqa: S608 (only constants are formatted in)


def _hubmeldingen(bron: str, berichttype: str, verloopt: str, velden: Sequence[tuple[str, str]]) -> str:
    """The hub's notice (``berichttype``) to the sender of each message in CTE `bron` (none to the
    hub itself): its ``melding`` the JSON of ``velden`` in that order, its envelope hash over the
    keys sorted, exactly as `hub.mailbox.meldingen` makes them; verloopt_op from parameter `verloopt`."""
    return f"""
        INSERT INTO berichten (referentienummer, afzender, ontvanger, conversatie_referentienummer,
            cross_referentienummer, berichttype, module, versie, envelop_hash, status, ontvangen_op,
            verloopt_op, melding)
        SELECT gen_random_uuid()::text, CAST(:hub AS text), m.afzender, m.conversatie_referentienummer,
            m.referentienummer, '{berichttype}', m.module, m.versie,
            encode(sha256(convert_to(m.gesorteerd, 'UTF8')), 'hex'), 'aangeboden',
            CAST(:nu AS timestamptz), CAST(:{verloopt} AS timestamptz), CAST(m.melding AS json)
        FROM (
            SELECT c.id, c.afzender, c.conversatie_referentienummer, c.referentienummer, c.module, c.versie,
                {_json_tekst(velden)} AS melding,
                {_json_tekst(sorted(velden))} AS gesorteerd
            FROM {bron} AS c WHERE c.afzender <> CAST(:hub AS text)
        ) AS m
        ORDER BY m.id
    """  # noqa: S608 (only constants are formatted in)


def _auditregels(bron: str, uitkomst: str) -> str:
    """An audit entry (parameters ``actor``, ``actie``; ``uitkomst`` SQL) per message in CTE `bron`."""
    return f"""
        INSERT INTO auditregels (tijd, actor, actie, berichttype, module, afzender, ontvanger,
            referentienummer, deelnemer, certificaat, uitkomst)
        SELECT CAST(:nu AS timestamptz), CAST(:actor AS text), CAST(:actie AS text), c.berichttype,
            c.module, c.afzender, c.ontvanger, c.referentienummer, NULL, NULL, {uitkomst}
        FROM {bron} AS c ORDER BY c.id
    """  # noqa: S608 (only constants are formatted in)


_OMSCHRIJVING = "format(CAST(:omschrijving AS text), c.referentienummer, c.berichttype)"
_MELDING = [  # the order of meldingen.ontvangstbevestiging
    ("code", "CAST('BEVESTIGD' AS text)"),
    ("omschrijving", _OMSCHRIJVING),
    ("referentienummer", "c.referentienummer"),
    ("ontvanger", "c.ontvanger"),
    ("bevestigdOp", "CAST(:bevestigd_op_tekst AS text)"),
]

_BEVESTIG_PG = text(
    f"""
    WITH gevraagd AS MATERIALIZED (
        SELECT {_LIJST} FROM berichten
        WHERE ontvanger = CAST(:ontvanger AS text) AND referentienummer = ANY(CAST(:nummers AS text[]))
        ORDER BY id
        FOR UPDATE
    ),
    termijnen AS (
        SELECT * FROM unnest(
            CAST(:t_module AS text[]), CAST(:t_type AS text[]), CAST(:t_versie AS text[]),
            CAST(:t_uiterlijk AS timestamptz[])
        ) AS t (module, berichttype, versie, uiterlijk)
    ),
    bevestigd AS (
        UPDATE berichten AS b
        SET status = 'bevestigd', bevestigd_op = CAST(:nu AS timestamptz),
            antwoord_uiterlijk = (
                SELECT t.uiterlijk FROM termijnen AS t
                WHERE t.module = b.module AND t.berichttype = b.berichttype AND t.versie = b.versie
            )
        WHERE b.id = ANY(ARRAY(SELECT id FROM gevraagd))
            AND b.status IN ('aangeboden', 'opgehaald') AND b.verloopt_op >= CAST(:nu AS timestamptz)
        RETURNING {", ".join(f"b.{k}" for k in _KOLOMMEN)}
    ),
    weg AS (
        DELETE FROM berichtinhoud AS i WHERE i.bericht_id = ANY(ARRAY(SELECT id FROM bevestigd))
    ),
    tellers AS ({_tellers("bevestigd")}),
    bonnen AS ({_hubmeldingen("bevestigd", "ontvangstbevestiging", "bon_verloopt_op", _MELDING)}),
    audit AS ({_auditregels("bevestigd", "NULL")})
    SELECT {_LIJST}, true AS nieuw FROM bevestigd
    UNION ALL
    SELECT {_LIJST}, false AS nieuw FROM gevraagd AS g
    WHERE NOT EXISTS (SELECT 1 FROM bevestigd AS c WHERE c.id = g.id)
    """  # noqa: S608 (only the table's own column names are formatted in)
).columns(*Bericht.__table__.c, column("nieuw", Boolean))


_BEVESTIG_VAST = Vast(_BEVESTIG_PG)
"""The confirm's statement compiled once (the confirm on the event loop, api/lus_inbox.py)."""


@dataclass(frozen=True, slots=True)
class Termijn:
    """The answer deadline of messages of one type (module, berichttype, versie)."""

    module: str
    berichttype: str
    versie: str
    uiterlijk: datetime


@dataclass(frozen=True, slots=True)
class Bevestigvraag:
    """Everything a confirm's statement takes but the numbers (hub.mailbox.bevestigen.bevestigvraag).
    ``omschrijving``: the receipt's text as a ``format()`` template, ``%1$s`` the referentienummer,
    ``%2$s`` the type."""

    ontvanger: str
    nu: datetime
    termijnen: Sequence[Termijn]
    hub: str
    bon_verloopt_op: datetime
    bevestigd_op_tekst: str
    omschrijving: str
    actor: str
    actie: str

    def waarden(self, referentienummers: Collection[str]) -> dict[str, Any]:
        return {
            "ontvanger": self.ontvanger,
            "nummers": sorted(set(referentienummers)),
            "nu": self.nu,
            "t_module": [t.module for t in self.termijnen],
            "t_type": [t.berichttype for t in self.termijnen],
            "t_versie": [t.versie for t in self.termijnen],
            "t_uiterlijk": [t.uiterlijk for t in self.termijnen],
            "hub": self.hub,
            "bon_verloopt_op": self.bon_verloopt_op,
            "bevestigd_op_tekst": self.bevestigd_op_tekst,
            "omschrijving": self.omschrijving,
            "actor": self.actor[:80],
            "actie": self.actie,
        }


def bevestig_pagina(
    session: Session, vraag: Bevestigvraag, referentienummers: Collection[str]
) -> list[tuple[Bericht, bool]]:
    """PostgreSQL only: confirm `vraag.ontvanger`'s open, unexpired messages with these numbers in
    one statement (see the module); returns each of its messages with these numbers as it is now
    (loaded into the session), and whether this statement confirmed it."""
    if not referentienummers:
        return []
    rijen = session.execute(
        select(Bericht, column("nieuw", Boolean))
        .from_statement(_BEVESTIG_PG)
        .execution_options(populate_existing=True),
        vraag.waarden(referentienummers),
    ).all()
    return [(r[0], bool(r[1])) for r in rijen]


async def bevestig_pagina_async(
    conn: psycopg.AsyncConnection[Any],
    dialect: Dialect,
    vraag: Bevestigvraag,
    referentienummers: Collection[str],
) -> list[tuple[str, bool, datetime | None, datetime | None]]:
    """`bevestig_pagina` on an asyncio PostgreSQL connection, in its transaction (the confirm on
    the event loop, api/lus_inbox.py): the same statement; each message's number, whether this
    statement confirmed it, its bevestigd_op and its antwoord_uiterlijk."""
    if not referentienummers:
        return []
    rijen = await _BEVESTIG_VAST.voer_uit_async(conn, dialect, vraag.waarden(referentienummers))
    return [(r.referentienummer, bool(r.nieuw), r.bevestigd_op, r.antwoord_uiterlijk) for r in rijen]


_WEIGER_MELDING = [  # the order of hub.mailbox.bevestigen.weiger's melding
    ("code", "CAST('GEWEIGERD' AS text)"),
    ("reden", "CAST(:reden AS text)"),
    ("omschrijving", "format(CAST(:omschrijving AS text), c.referentienummer, c.berichttype)"),
    ("referentienummer", "c.referentienummer"),
    ("ontvanger", "c.ontvanger"),
]

_WEIGER_PG = text(
    f"""
    WITH doel AS MATERIALIZED (
        SELECT {_LIJST} FROM berichten
        WHERE ontvanger = CAST(:ontvanger AS text) AND referentienummer = CAST(:referentienummer AS text)
        FOR UPDATE
    ),
    geweigerd AS (
        UPDATE berichten AS b
        SET status = 'geweigerd', geweigerd_op = CAST(:nu AS timestamptz)
        WHERE b.id = ANY(ARRAY(SELECT id FROM doel)) AND b.afzender <> CAST(:hub AS text)
            AND b.status IN ('aangeboden', 'opgehaald') AND b.verloopt_op >= CAST(:nu AS timestamptz)
        RETURNING {", ".join(f"b.{k}" for k in _KOLOMMEN)}
    ),
    weg AS (
        DELETE FROM berichtinhoud AS i WHERE i.bericht_id = ANY(ARRAY(SELECT id FROM geweigerd))
    ),
    tellers AS ({_tellers("geweigerd")}),
    melding AS ({_hubmeldingen("geweigerd", "foutbericht", "melding_verloopt_op", _WEIGER_MELDING)}),
    audit AS ({_auditregels("geweigerd", "CAST(:reden AS text)")})
    SELECT {_LIJST}, true AS nieuw FROM geweigerd
    UNION ALL
    SELECT {_LIJST}, false AS nieuw FROM doel AS g
    WHERE NOT EXISTS (SELECT 1 FROM geweigerd AS c WHERE c.id = g.id)
    """  # noqa: S608 (only the table's own column names are formatted in)
).columns(*Bericht.__table__.c, column("nieuw", Boolean))


def weiger_pg(
    session: Session,
    *,
    ontvanger: str,
    referentienummer: str,
    reden: str,
    nu: datetime,
    hub: str,
    melding_verloopt_op: datetime,
    omschrijving: str,
    actor: str,
    actie: str,
) -> tuple[Bericht, bool] | None:
    """PostgreSQL only: refuse `ontvanger`'s message with this number if it is open, unexpired and
    not the hub's own, in one statement (see the module); returns it as it is now (loaded into the
    session) and whether this statement refused it, or None when `ontvanger` has no such message.
    ``omschrijving``: the foutbericht's text as a ``format()`` template, ``%1$s`` the
    referentienummer, ``%2$s`` the type; ASCII, as ``reden`` (see the module)."""
    if not (omschrijving.isascii() and reden.isascii()):
        raise ValueError("omschrijving en reden moeten ASCII zijn: de envelop_hash wordt in SQL berekend")
    rij = session.execute(
        select(Bericht, column("nieuw", Boolean))
        .from_statement(_WEIGER_PG)
        .execution_options(populate_existing=True),
        {
            "ontvanger": ontvanger,
            "referentienummer": referentienummer,
            "reden": reden,
            "nu": nu,
            "hub": hub,
            "melding_verloopt_op": melding_verloopt_op,
            "omschrijving": omschrijving,
            "actor": actor[:80],
            "actie": actie,
        },
    ).first()
    return None if rij is None else (rij[0], bool(rij[1]))
