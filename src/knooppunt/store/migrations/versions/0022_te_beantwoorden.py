"""the recipient's confirmed questions still to answer (DESIGN §6: teLaat "both sides see it"; the
portal's "Nog te beantwoorden"): one indexed range per recipient, however many years of confirmed
messages its metadata holds

Revision ID: 0022_te_beantwoorden
Revises: 0021_termijn_verstreken
Create Date: 2026-12-07 08:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_te_beantwoorden"
down_revision = "0021_termijn_verstreken"
branch_labels = None
depends_on = None

_WAAR = "status = 'bevestigd' AND antwoord_uiterlijk IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_berichten_te_beantwoorden",
        "berichten",
        ["ontvanger", "antwoord_uiterlijk", "id"],
        postgresql_where=sa.text(_WAAR),
        sqlite_where=sa.text(_WAAR),
    )


def downgrade() -> None:
    op.drop_index("ix_berichten_te_beantwoorden", table_name="berichten")
