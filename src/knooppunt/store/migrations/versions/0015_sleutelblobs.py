"""portal key blobs: private keys wrapped in the browser, one blob per portal user (DESIGN §5, #14)

Revision ID: 0015_sleutelblobs
Revises: 0014_inbox_aantal
Create Date: 2026-12-06 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from knooppunt.store.models import UTCDateTime

revision = "0015_sleutelblobs"
down_revision = "0014_inbox_aantal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portaal_sleutelblobs",
        sa.Column("oin", sa.String(length=20), nullable=False),
        sa.Column("onderwerp", sa.String(length=200), nullable=False),
        sa.Column("blob", sa.Text(), nullable=False),
        sa.Column("aangemaakt_op", UTCDateTime(timezone=True), nullable=False),
        sa.Column("gewijzigd_op", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("oin", "onderwerp", name=op.f("pk_portaal_sleutelblobs")),
    )


def downgrade() -> None:
    op.drop_table("portaal_sleutelblobs")
