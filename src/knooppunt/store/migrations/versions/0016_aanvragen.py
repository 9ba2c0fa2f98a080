"""aanvragen: an organisation's own aanmeldformulier and a participant's request for extra modules,
and the restricted portal session of an organisation that is not yet a participant (#14 item 5)

Revision ID: 0016_aanvragen
Revises: 0015_sleutelblobs
Create Date: 2026-12-06 00:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from knooppunt.store.models import UTCDateTime

revision = "0016_aanvragen"
down_revision = "0015_sleutelblobs"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "aanvragen",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("soort", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("kvk_nummer", sa.String(8), nullable=False),
        sa.Column("vestigingsnummer", sa.String(12), nullable=True),
        sa.Column("oin", sa.String(20), nullable=False),
        sa.Column("naam", sa.String(200), nullable=False),
        sa.Column("rol", sa.String(16), nullable=True),
        sa.Column("modules", sa.JSON(), nullable=False),
        sa.Column("gebruikt_bsn", sa.Boolean(), nullable=False),
        sa.Column("standaard_akkoord", sa.Boolean(), nullable=False),
        sa.Column("schuldensoorten", sa.JSON(), nullable=False),
        sa.Column("contact_naam", sa.String(200), nullable=False),
        sa.Column("contact_email", sa.String(254), nullable=False),
        sa.Column("contact_telefoon", sa.String(32), nullable=False),
        sa.Column("csr_ondertekening", sa.Text(), nullable=True),
        sa.Column("csr_versleuteling", sa.Text(), nullable=True),
        sa.Column("ingediend_door", sa.String(80), nullable=False),
        sa.Column("ingediend_op", UTCDateTime(), nullable=False),
        sa.Column("beoordeeld_door", sa.String(80), nullable=True),
        sa.Column("beoordeeld_op", UTCDateTime(), nullable=True),
        sa.Column("reden", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_aanvragen")),
    )
    op.create_index(op.f("ix_aanvragen_status"), "aanvragen", ["status"])
    op.create_index(op.f("ix_aanvragen_oin"), "aanvragen", ["oin"])
    op.create_index("ix_aanvragen_kvk", "aanvragen", ["kvk_nummer", "vestigingsnummer"])
    op.create_table(
        "portaal_aanmelders",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("kvk_nummer", sa.String(8), nullable=False),
        sa.Column("vestigingsnummer", sa.String(12), nullable=True),
        sa.ForeignKeyConstraint(
            ["token_hash"],
            ["portaal_sessies.token_hash"],
            name=op.f("fk_portaal_aanmelders_token_hash_portaal_sessies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_portaal_aanmelders")),
    )


def downgrade() -> None:
    op.drop_table("portaal_aanmelders")
    op.drop_index("ix_aanvragen_kvk", table_name="aanvragen")
    op.drop_index(op.f("ix_aanvragen_oin"), table_name="aanvragen")
    op.drop_index(op.f("ix_aanvragen_status"), table_name="aanvragen")
    op.drop_table("aanvragen")
