"""the deadline job's mark (DESIGN §6, "deadline marks"): a confirmed question past its
antwoordUiterlijk without an answer is marked, so teLaat holds for everyone from the job's clock
on (a `knooppunt worker --once --now …` dry run included), not only from the clock of the request

Revision ID: 0021_termijn_verstreken
Revises: 0020_sleutelopslag
Create Date: 2026-12-07 04:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_termijn_verstreken"
down_revision = "0020_sleutelopslag"
branch_labels = None
depends_on = None

_WAAR = "status = 'bevestigd' AND NOT termijn_verstreken"


def upgrade() -> None:
    with op.batch_alter_table("berichten") as batch_op:
        batch_op.add_column(
            sa.Column("termijn_verstreken", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index(
        "ix_berichten_termijn",
        "berichten",
        ["antwoord_uiterlijk"],
        postgresql_where=sa.text(_WAAR),
        sqlite_where=sa.text(_WAAR),
    )


def downgrade() -> None:
    op.drop_index("ix_berichten_termijn", table_name="berichten")
    with op.batch_alter_table("berichten") as batch_op:
        batch_op.drop_column("termijn_verstreken")
