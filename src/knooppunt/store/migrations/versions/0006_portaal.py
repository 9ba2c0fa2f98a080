"""portaal: sessions and the hosted participants' encrypted private keys (DESIGN §5, §7)

Revision ID: 0006_portaal
Revises: 0005_beheermeldingen
Create Date: 2026-12-02 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from knooppunt.store.models import UTCDateTime

revision = "0006_portaal"
down_revision = "0005_beheermeldingen"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portaal_sessies",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("soort", sa.String(length=16), nullable=False),
        sa.Column("oin", sa.String(length=20), nullable=True),
        sa.Column("gebruiker", sa.String(length=200), nullable=False),
        sa.Column("onderwerp", sa.String(length=200), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("aangemaakt_op", UTCDateTime(timezone=True), nullable=False),
        sa.Column("laatst_actief_op", UTCDateTime(timezone=True), nullable=False),
        sa.Column("verloopt_op", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_portaal_sessies")),
    )
    op.create_index(op.f("ix_portaal_sessies_oin"), "portaal_sessies", ["oin"])
    op.create_index(op.f("ix_portaal_sessies_verloopt_op"), "portaal_sessies", ["verloopt_op"])
    op.create_table(
        "portaal_sleutels",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("oin", sa.String(length=20), nullable=False),
        sa.Column("certificaat_pem", sa.Text(), nullable=False),
        sa.Column("hoofdsleutel_id", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("versleuteld", sa.LargeBinary(), nullable=False),
        sa.Column("aangemaakt_op", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_portaal_sleutels")),
    )
    op.create_index(op.f("ix_portaal_sleutels_oin"), "portaal_sleutels", ["oin"])


def downgrade() -> None:
    op.drop_index(op.f("ix_portaal_sleutels_oin"), table_name="portaal_sleutels")
    op.drop_table("portaal_sleutels")
    op.drop_index(op.f("ix_portaal_sessies_verloopt_op"), table_name="portaal_sessies")
    op.drop_index(op.f("ix_portaal_sessies_oin"), table_name="portaal_sessies")
    op.drop_table("portaal_sessies")
