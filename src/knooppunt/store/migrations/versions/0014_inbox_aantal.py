"""the number of unconfirmed messages per (recipient, sender) beside their bytes, so that the
per-sender cap (TE_VEEL_OPEN, DESIGN §4) reads a counter instead of counting messages (#13)

Revision ID: 0014_inbox_aantal
Revises: 0013_module_versies
Create Date: 2026-12-05 22:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_inbox_aantal"
down_revision = "0013_module_versies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inboxbezetting") as batch_op:
        batch_op.add_column(sa.Column("aantal", sa.BigInteger(), nullable=False, server_default="0"))
    # The counter's rows exist wherever ciphertext waits (migration 0008 and every write since):
    # count the messages whose content is still stored, as the bytes count their sizes.
    op.execute(
        "UPDATE inboxbezetting SET aantal = (SELECT count(*) FROM berichten AS b "
        "JOIN berichtinhoud AS i ON i.bericht_id = b.id "
        "WHERE b.ontvanger = inboxbezetting.ontvanger AND b.afzender = inboxbezetting.afzender "
        "AND b.grootte IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("inboxbezetting") as batch_op:
        batch_op.drop_column("aantal")
