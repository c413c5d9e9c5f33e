"""The id of the key of each stored PESEL ciphertext and lookup hash, for key rotation (ADR 0026).

Existing rows keep NULL ids: they were made before ids existed, with the keys then configured; the
service reads them by trying its keys, and `python -m cases.rotate_pesel_keys` labels them.

Revision ID: 6d2a8f41c0b7
Revises: 3a9f0c5e8b12
Create Date: 2026-12-01 12:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "6d2a8f41c0b7"
down_revision: str | None = "3a9f0c5e8b12"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "family_members",
        sa.Column(
            "pesel_key_id",
            sa.Text(),
            nullable=True,
            comment="Id of the key of pesel_encrypted; NULL: before ids",
        ),
    )
    op.add_column(
        "family_members",
        sa.Column(
            "pesel_hash_key_id",
            sa.Text(),
            nullable=True,
            comment="Id of the key of pesel_hash; NULL: before ids",
        ),
    )


def downgrade() -> None:
    op.drop_column("family_members", "pesel_hash_key_id")
    op.drop_column("family_members", "pesel_key_id")
