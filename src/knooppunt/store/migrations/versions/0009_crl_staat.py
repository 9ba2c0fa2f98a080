"""CRL state shared by all nodes: the newest CRL wins (DESIGN §5)

Revision ID: 0009_crl_staat
Revises: 0008_inbox_quotum
Create Date: 2026-12-05 18:00:00.000000
"""

from __future__ import annotations

revision = "0009_crl_staat"
down_revision = "0008_inbox_quotum"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
