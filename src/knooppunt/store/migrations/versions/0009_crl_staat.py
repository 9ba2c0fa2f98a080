"""CRL state shared by all nodes: the newest CRL wins (DESIGN §5)

Revision ID: 0009_crl_staat
Revises: 0008_inbox_quotum
Create Date: 2026-12-05 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from knooppunt.store.models import UTCDateTime

revision = "0009_crl_staat"
down_revision = "0008_inbox_quotum"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crl_staat",
        sa.Column("uitgever", sa.String(length=64), nullable=False),
        sa.Column("uitgever_naam", sa.String(length=1000), nullable=False),
        sa.Column("crl_nummer", sa.String(length=49), nullable=False),
        sa.Column("deze_update", UTCDateTime(timezone=True), nullable=False),
        sa.Column("volgende_update", UTCDateTime(timezone=True), nullable=False),
        sa.Column("der", sa.LargeBinary(), nullable=False),
        sa.Column("versie", sa.BigInteger(), nullable=False),
        sa.Column("bijgewerkt_op", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uitgever", name=op.f("pk_crl_staat")),
    )


def downgrade() -> None:
    op.drop_table("crl_staat")
