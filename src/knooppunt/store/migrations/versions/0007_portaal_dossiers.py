"""portaal: the hosted debt counsellors' encrypted client labels (DESIGN §7)

Revision ID: 0007_portaal_dossiers
Revises: 0006_portaal
Create Date: 2026-12-02 06:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from knooppunt.store.models import UTCDateTime

revision = "0007_portaal_dossiers"
down_revision = "0006_portaal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portaal_dossiers",
        sa.Column("oin", sa.String(length=20), nullable=False),
        sa.Column("conversatie", sa.String(length=36), nullable=False),
        sa.Column("hoofdsleutel_id", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("versleuteld", sa.LargeBinary(), nullable=False),
        sa.Column("aangemaakt_op", UTCDateTime(timezone=True), nullable=False),
        sa.Column("gewijzigd_op", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("oin", "conversatie", name=op.f("pk_portaal_dossiers")),
    )


def downgrade() -> None:
    op.drop_table("portaal_dossiers")
