"""portal upload idempotency: a secret per participant (DESIGN §7)

Revision ID: 0010_upload_geheim
Revises: 0009_crl_staat
Create Date: 2026-12-05 18:00:00.000000
"""

from __future__ import annotations

revision = "0010_upload_geheim"
down_revision = "0009_crl_staat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
