"""sleutelopslag_koppeling: the identity of the key store whose day keys seal this database's
stored inhoud, so that a node with another key store refuses to start instead of serving
messages it cannot open (store.dagsleutels.Dagsleutels.controleer_koppeling)

Revision ID: 0020_sleutelopslag
Revises: 0019_aanvraag_sleutels
Create Date: 2026-12-06 16:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from knooppunt.store.models import UTCDateTime

revision = "0020_sleutelopslag"
down_revision = "0019_aanvraag_sleutels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sleutelopslag_koppeling",
        sa.Column("nummer", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("opslag_id", sa.String(36), nullable=False),
        sa.Column("gekoppeld_op", UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sleutelopslag_koppeling")
