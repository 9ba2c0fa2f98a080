"""audit log without a global lock: entries numbered by a sequencer, RFC 6962 Merkle tree, signed heads

Revision ID: 0011_audit_merkle
Revises: 0010_upload_geheim
Create Date: 2026-12-05 19:00:00.000000

Entries get an ``id`` in insert order and wait, ``volgnummer`` NULL, for the sequencer
(hub.sequencer). Existing entries keep their order: their old volgnummer becomes their id, so the
first sequencer run numbers them 1..n as they were, followed by one ``audit_omgezet`` entry whose
uitkomst is the old hash chain's head hash (binding the old chain into the new tree). The old
chain's anchor is dropped: what a purge deleted before is not in the new tree (verify the old log
with the previous release before upgrading, if it matters).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from knooppunt.store.models import UTCDateTime

revision = "0011_audit_merkle"
down_revision = "0010_upload_geheim"
branch_labels = None
depends_on = None

_VELDEN = (
    "tijd, actor, actie, berichttype, module, afzender, ontvanger, referentienummer, deelnemer, "
    "certificaat, uitkomst"
)
_NU = {
    "sqlite": "strftime('%Y-%m-%d %H:%M:%f', 'now')",
    "postgresql": "statement_timestamp()",
}


def upgrade() -> None:
    bind = op.get_bind()
    dialect = "postgresql" if bind.dialect.name == "postgresql" else "sqlite"
    op.rename_table("auditregels", "auditregels_oud")
    if dialect == "postgresql":
        op.execute("ALTER TABLE auditregels_oud RENAME CONSTRAINT pk_auditregels TO pk_auditregels_oud")
    op.create_table(
        "auditregels",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("volgnummer", sa.BigInteger(), nullable=True),
        sa.Column("tijd", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("actie", sa.String(length=40), nullable=False),
        sa.Column("berichttype", sa.String(length=64), nullable=True),
        sa.Column("module", sa.String(length=32), nullable=True),
        sa.Column("afzender", sa.String(length=20), nullable=True),
        sa.Column("ontvanger", sa.String(length=20), nullable=True),
        sa.Column("referentienummer", sa.String(length=36), nullable=True),
        sa.Column("deelnemer", sa.String(length=20), nullable=True),
        sa.Column("certificaat", sa.String(length=64), nullable=True),
        sa.Column("uitkomst", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.Column(
            "ingevoegd_op",
            UTCDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditregels")),
        sa.UniqueConstraint("volgnummer", name=op.f("uq_auditregels_volgnummer")),
    )
    op.create_index(
        "ix_auditregels_ongesequenceerd",
        "auditregels",
        ["id"],
        unique=False,
        postgresql_where=sa.text("volgnummer IS NULL"),
        sqlite_where=sa.text("volgnummer IS NULL"),
    )
    # The old entries, in their chain order, waiting for the first sequencer run.
    op.execute(
        f"INSERT INTO auditregels (id, {_VELDEN}) SELECT volgnummer, {_VELDEN} "  # noqa: S608 - constants
        "FROM auditregels_oud ORDER BY volgnummer"
    )
    # The sequence continues after the copied ids.
    if dialect == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('auditregels', 'id'), coalesce(max(id), 0) + 1, false) "
            "FROM auditregels"
        )
    op.execute(
        f"INSERT INTO auditregels (tijd, actor, actie, uitkomst) SELECT {_NU[dialect]}, "  # noqa: S608
        "'KNOOPPUNT', 'audit_omgezet', hash FROM auditregels_oud "
        "WHERE volgnummer = (SELECT max(volgnummer) FROM auditregels_oud)"
    )
    op.drop_table("auditregels_oud")
    op.drop_table("auditanker")
    op.create_table(
        "auditanker",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("volgnummer", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("rand", sa.Text(), nullable=False),
        sa.Column("tijd", UTCDateTime(timezone=True), nullable=False),
        sa.Column("opgeschoond_op", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditanker")),
    )
    op.create_table(
        "auditkoppen",
        sa.Column("grootte", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("wortel", sa.String(length=64), nullable=False),
        sa.Column("rand", sa.Text(), nullable=False),
        sa.Column("tijd", UTCDateTime(timezone=True), nullable=False),
        sa.Column("checkpoint", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("grootte", name=op.f("pk_auditkoppen")),
    )


def downgrade() -> None:
    # Back to the hash chain's tables, empty: a chain cannot be made from the tree without
    # recomputing every hash, and an unverifiable chain would be worse than none.
    op.drop_table("auditkoppen")
    op.drop_table("auditanker")
    op.drop_index("ix_auditregels_ongesequenceerd", table_name="auditregels")
    op.drop_table("auditregels")
    op.create_table(
        "auditregels",
        sa.Column(
            "volgnummer",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("tijd", UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("actie", sa.String(length=40), nullable=False),
        sa.Column("berichttype", sa.String(length=64), nullable=True),
        sa.Column("module", sa.String(length=32), nullable=True),
        sa.Column("afzender", sa.String(length=20), nullable=True),
        sa.Column("ontvanger", sa.String(length=20), nullable=True),
        sa.Column("referentienummer", sa.String(length=36), nullable=True),
        sa.Column("deelnemer", sa.String(length=20), nullable=True),
        sa.Column("certificaat", sa.String(length=64), nullable=True),
        sa.Column("uitkomst", sa.String(length=64), nullable=True),
        sa.Column("vorige_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("volgnummer", name=op.f("pk_auditregels")),
    )
    op.create_table(
        "auditanker",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("volgnummer", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("tijd", UTCDateTime(timezone=True), nullable=False),
        sa.Column("opgeschoond_op", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditanker")),
    )
