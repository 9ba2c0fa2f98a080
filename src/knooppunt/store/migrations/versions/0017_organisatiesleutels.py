"""organisatiesleutels: the organisation's keys shared by its users (blob version 2, decision
0027): per user blob the user's name (for colleagues granting access) and the moment access was
asked (null once granted); per hosted key the moment its participant moved to keys in the browser

Revision ID: 0017_organisatiesleutels
Revises: 0016_aanvragen
Create Date: 2026-12-06 03:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from knooppunt.store.models import UTCDateTime

revision = "0017_organisatiesleutels"
down_revision = "0016_aanvragen"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portaal_sleutelblobs") as batch:
        batch.add_column(sa.Column("naam", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("toegang_gevraagd_op", UTCDateTime(), nullable=True))
    with op.batch_alter_table("portaal_sleutels") as batch:
        batch.add_column(sa.Column("gemigreerd_op", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portaal_sleutels") as batch:
        batch.drop_column("gemigreerd_op")
    with op.batch_alter_table("portaal_sleutelblobs") as batch:
        batch.drop_column("toegang_gevraagd_op")
        batch.drop_column("naam")
