"""An index on the person's document blind index alone (the search by ID number does not know the type).

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_person_document_index", "person", ["document_index"])


def downgrade() -> None:
    op.drop_index("ix_person_document_index", table_name="person")
