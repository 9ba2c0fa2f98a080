"""the logboek's indexes: a party's messages in a period, each direction one ordered range
(GET /api/v1/logboek, DESIGN §4); without them the received side read the whole table

Revision ID: 0012_logboek_indexen
Revises: 0011_audit_merkle
Create Date: 2026-12-05 19:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012_logboek_indexen"
down_revision = "0011_audit_merkle"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("berichten") as batch_op:
        batch_op.create_index(
            "ix_berichten_logboek_ontvanger", ["ontvanger", "ontvangen_op", "id"], unique=False
        )
        batch_op.create_index(
            "ix_berichten_logboek_afzender", ["afzender", "ontvangen_op", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("berichten") as batch_op:
        batch_op.drop_index("ix_berichten_logboek_afzender")
        batch_op.drop_index("ix_berichten_logboek_ontvanger")
