"""the protocol versions a participant accepts per module (DESIGN §3a); NULL: every version

Revision ID: 0013_module_versies
Revises: 0012_logboek_indexen
Create Date: 2026-12-05 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_module_versies"
down_revision = "0012_logboek_indexen"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deelnemer_modules") as batch_op:
        batch_op.add_column(sa.Column("versies", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deelnemer_modules") as batch_op:
        batch_op.drop_column("versies")
