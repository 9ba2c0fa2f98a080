"""inbox quota: unconfirmed ciphertext per recipient and sender (DESIGN §4)

Revision ID: 0008_inbox_quotum
Revises: 0007_portaal_dossiers
Create Date: 2026-12-05 18:00:00.000000
"""

from __future__ import annotations

revision = "0008_inbox_quotum"
down_revision = "0007_portaal_dossiers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
