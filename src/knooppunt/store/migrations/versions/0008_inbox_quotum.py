"""inbox quota: unconfirmed ciphertext per recipient and sender (DESIGN §4)

Revision ID: 0008_inbox_quotum
Revises: 0007_portaal_dossiers
Create Date: 2026-12-05 18:00:00.000000

``berichten.grootte``: the length of the JWE as submitted; ``deelnemers.inbox_quotum``: a
participant's own quota (NULL: the configured default); ``inboxbezetting``: per (recipient,
sender) the bytes of unconfirmed ciphertext, kept by store.inboxquotum. Open messages stored
before this migration get their size and count from the ciphertext they still have.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_inbox_quotum"
down_revision = "0007_portaal_dossiers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("berichten", sa.Column("grootte", sa.BigInteger(), nullable=True))
    op.add_column("deelnemers", sa.Column("inbox_quotum", sa.BigInteger(), nullable=True))
    op.create_table(
        "inboxbezetting",
        sa.Column("ontvanger", sa.String(length=20), nullable=False),
        sa.Column("afzender", sa.String(length=20), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ontvanger", "afzender", name=op.f("pk_inboxbezetting")),
    )
    # Messages that still have ciphertext are open: their size is that of the JWE they hold.
    op.execute(
        "UPDATE berichten SET grootte = (SELECT length(i.jwe) FROM berichtinhoud AS i "
        "WHERE i.bericht_id = berichten.id) "
        "WHERE id IN (SELECT bericht_id FROM berichtinhoud)"
    )
    op.execute(
        "INSERT INTO inboxbezetting (ontvanger, afzender, bytes) "
        "SELECT b.ontvanger, b.afzender, SUM(b.grootte) FROM berichten AS b "
        "JOIN berichtinhoud AS i ON i.bericht_id = b.id "
        "GROUP BY b.ontvanger, b.afzender"
    )


def downgrade() -> None:
    op.drop_table("inboxbezetting")
    op.drop_column("deelnemers", "inbox_quotum")
    op.drop_column("berichten", "grootte")
