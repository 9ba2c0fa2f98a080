"""portal upload idempotency: a secret per participant (DESIGN §7)

Revision ID: 0010_upload_geheim
Revises: 0009_crl_staat
Create Date: 2026-12-05 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from knooppunt.store.models import UTCDateTime

revision = "0010_upload_geheim"
down_revision = "0009_crl_staat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portaal_uploadgeheimen",
        sa.Column("oin", sa.String(length=20), nullable=False),
        sa.Column("hoofdsleutel_id", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("versleuteld", sa.LargeBinary(), nullable=False),
        sa.Column("aangemaakt_op", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("oin", name=op.f("pk_portaal_uploadgeheimen")),
    )


def downgrade() -> None:
    op.drop_table("portaal_uploadgeheimen")
