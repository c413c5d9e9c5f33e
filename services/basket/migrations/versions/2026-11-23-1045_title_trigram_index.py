"""Typo-tolerant matching looks at titles: the trigram index moves from search_text to
search_title.

Revision ID: 8c2d4e6f1a37
Revises: 5e1b0c7a9d21
Create Date: 2026-11-23 10:45:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8c2d4e6f1a37"
down_revision: str | None = "5e1b0c7a9d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_offerings_search_text_trgm", table_name="offerings")
    op.create_index(
        "ix_offerings_search_title_trgm",
        "offerings",
        ["search_title"],
        postgresql_using="gin",
        postgresql_ops={"search_title": "gin_trgm_ops"},
    )


def downgrade() -> None:
    op.drop_index("ix_offerings_search_title_trgm", table_name="offerings")
    op.create_index(
        "ix_offerings_search_text_trgm",
        "offerings",
        ["search_text"],
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
