"""notificaties: soort and details, for e-mails about changes to a participant's registration
(certificate added or retired, DESIGN §5)

Revision ID: 0005_beheermeldingen
Revises: 0004_minder_indexen
Create Date: 2026-12-02 02:55:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_beheermeldingen"
down_revision = "0004_minder_indexen"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notificaties") as batch_op:
        batch_op.add_column(
            sa.Column("soort", sa.String(length=16), server_default="berichten", nullable=False)
        )
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notificaties") as batch_op:
        batch_op.drop_column("details")
        batch_op.drop_column("soort")
