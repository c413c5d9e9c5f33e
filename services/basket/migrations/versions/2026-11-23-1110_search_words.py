"""The vocabulary of offering titles (word → stem) behind typo-tolerant search. The service fills
it when offerings are saved (stems are computed in Python); the basket held no offerings before
this revision.

Revision ID: 3f9a7b21c5e4
Revises: 8c2d4e6f1a37
Create Date: 2026-11-23 11:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3f9a7b21c5e4"
down_revision: str | None = "8c2d4e6f1a37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_words",
        sa.Column("word", sa.Text(), nullable=False),
        sa.Column("stem", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_words")),
    )
    op.create_index(
        "ix_search_words_word_trgm",
        "search_words",
        ["word"],
        postgresql_using="gin",
        postgresql_ops={"word": "gin_trgm_ops"},
    )


def downgrade() -> None:
    op.drop_table("search_words")
