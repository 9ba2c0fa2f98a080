"""portaal_clientlabels: client labels encrypted in the browser under the organisation's label key
(DESIGN §5 "Portal", §7; #14 item 2)

Revision ID: 0018_clientlabels
Revises: 0017_organisatiesleutels
Create Date: 2026-12-06 03:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from knooppunt.store.models import UTCDateTime

revision = "0018_clientlabels"
down_revision = "0017_organisatiesleutels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portaal_clientlabels",
        sa.Column("oin", sa.String(length=20), nullable=False),
        sa.Column("conversatie", sa.String(length=36), nullable=False),
        sa.Column("sleutel_id", sa.String(length=43), nullable=False),
        sa.Column("iv", sa.LargeBinary(length=12), nullable=False),
        sa.Column("versleuteld", sa.LargeBinary(), nullable=False),
        sa.Column("gewijzigd_op", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("oin", "conversatie", name=op.f("pk_portaal_clientlabels")),
    )


def downgrade() -> None:
    op.drop_table("portaal_clientlabels")
