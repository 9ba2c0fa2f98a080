"""aanvragen.browsersleutels: the keys an applicant made in the browser with the aanmelding — the
encryption key's public JWK and proof of possession, the Argon2id-wrapped blob (ciphertext only) and
whose blob it becomes — kept until beheer decides (DESIGN §5 "Portal", #14 item 5)

Revision ID: 0019_aanvraag_sleutels
Revises: 0018_clientlabels
Create Date: 2026-12-06 06:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_aanvraag_sleutels"
down_revision = "0018_clientlabels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("aanvragen") as tabel:
        tabel.add_column(sa.Column("browsersleutels", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("aanvragen") as tabel:
        tabel.drop_column("browsersleutels")
