"""notificaties: per-participant notification settings and the notification outbox

Revision ID: 0002_notificaties
Revises: 0001
Create Date: 2026-12-02 01:08:55.875274
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import knooppunt.store.models

revision = "0002_notificaties"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notificatie_instellingen",
        sa.Column("oin", sa.String(length=20), nullable=False),
        sa.Column("modus", sa.String(length=16), nullable=False),
        sa.Column("emailadressen", sa.JSON(), nullable=False),
        sa.Column("digest_uur", sa.Integer(), nullable=False),
        sa.Column("webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("webhook_geheim", sa.String(length=128), nullable=True),
        sa.Column("laatst_gemeld_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("laatste_digest_dag", sa.Date(), nullable=True),
        sa.Column("gewijzigd_op", knooppunt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["oin"],
            ["deelnemers.oin"],
            name=op.f("fk_notificatie_instellingen_oin_deelnemers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("oin", name=op.f("pk_notificatie_instellingen")),
    )
    op.create_table(
        "notificaties",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("deelnemer", sa.String(length=20), nullable=False),
        sa.Column("kanaal", sa.String(length=16), nullable=False),
        sa.Column("aantallen", sa.JSON(), nullable=False),
        sa.Column("oudste_verloopt_op", knooppunt.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("tot_bericht_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pogingen", sa.Integer(), nullable=False),
        sa.Column("volgende_poging", knooppunt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("antwoordcode", sa.Integer(), nullable=True),
        sa.Column("laatste_fout", sa.String(length=500), nullable=True),
        sa.Column("aangemaakt_op", knooppunt.store.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verzonden_op", knooppunt.store.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["deelnemer"],
            ["deelnemers.oin"],
            name=op.f("fk_notificaties_deelnemer_deelnemers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notificaties")),
    )
    with op.batch_alter_table("notificaties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notificaties_deelnemer"), ["deelnemer"], unique=False)
        batch_op.create_index(
            "ix_notificaties_wachtend",
            ["volgende_poging"],
            unique=False,
            postgresql_where=sa.text("status = 'wachtend'"),
            sqlite_where=sa.text("status = 'wachtend'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("notificaties", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_notificaties_wachtend",
            postgresql_where=sa.text("status = 'wachtend'"),
            sqlite_where=sa.text("status = 'wachtend'"),
        )
        batch_op.drop_index(batch_op.f("ix_notificaties_deelnemer"))

    op.drop_table("notificaties")
    op.drop_table("notificatie_instellingen")
