"""audit log: auditregels and auditanker

Revision ID: 0003_audit
Revises: 0002_notificaties
Create Date: 2026-11-30 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import knooppunt.store.models

revision = "0003_audit"
down_revision = "0002_notificaties"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auditregels",
        sa.Column(
            "volgnummer",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("tijd", knooppunt.store.models.UTCDateTime(timezone=True), nullable=False),
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
        sa.Column("tijd", knooppunt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opgeschoond_op", knooppunt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auditanker")),
    )


def downgrade() -> None:
    op.drop_table("auditanker")
    op.drop_table("auditregels")
