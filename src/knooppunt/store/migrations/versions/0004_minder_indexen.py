"""drop ix_berichten_ontvanger_ref: the unique index on referentienummer already finds a message by
number; the extra index only cost every insert and status change (docs/decisions/0009)

Revision ID: 0004_minder_indexen
Revises: 0003_audit
Create Date: 2026-12-02 02:05:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0004_minder_indexen"
down_revision = "0003_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("berichten") as batch_op:
        batch_op.drop_index("ix_berichten_ontvanger_ref")


def downgrade() -> None:
    with op.batch_alter_table("berichten") as batch_op:
        batch_op.create_index("ix_berichten_ontvanger_ref", ["ontvanger", "referentienummer"], unique=False)
