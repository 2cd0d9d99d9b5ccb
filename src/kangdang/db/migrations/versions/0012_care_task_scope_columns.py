"""Care tasks carry their record's responsible village and keeper (copied, and moved with the record), with
partial indexes on the open tasks: a township's worklist total and tabs count from ``care_task`` alone instead
of joining every open task to its episode and record (300+ ms at county scale). Open tasks left on a closed
record or episode (a record closed by a merge kept its episodes' tasks open) are cancelled, as a closure does.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kangdang.db.types import bytewise_text

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
COUNTED = ["village_code", "opens_on", "expires_on", "due_on", "programme"]  # what a worklist count reads


def upgrade() -> None:
    with op.batch_alter_table("care_task") as batch_op:
        batch_op.add_column(sa.Column("village_code", bytewise_text(12), nullable=True))
        batch_op.add_column(sa.Column("managing_institution_id", sa.Uuid(), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE care_task SET village_code = r.village_code, managing_institution_id = r.managing_institution_id "
            "FROM health_record r WHERE r.id = care_task.record_id"
        )
    else:
        op.execute(
            "UPDATE care_task SET "
            "village_code = (SELECT r.village_code FROM health_record r WHERE r.id = care_task.record_id), "
            "managing_institution_id = "
            "(SELECT r.managing_institution_id FROM health_record r WHERE r.id = care_task.record_id)"
        )
    op.execute(
        "UPDATE care_task SET status = 'cancelled' WHERE status = 'open' AND ("
        "record_id IN (SELECT id FROM health_record WHERE status <> 'active') OR "
        "episode_id IN (SELECT id FROM programme_episode WHERE status <> 'active'))"
    )
    with op.batch_alter_table("care_task") as batch_op:
        batch_op.alter_column("village_code", nullable=False)
        batch_op.alter_column("managing_institution_id", nullable=False)
    op.create_index("ix_care_task_open_village", "care_task", COUNTED, sqlite_where=OPEN, postgresql_where=OPEN)
    op.create_index(
        "ix_care_task_open_institution",
        "care_task",
        ["managing_institution_id", *COUNTED],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_care_task_open_institution", table_name="care_task")
    op.drop_index("ix_care_task_open_village", table_name="care_task")
    with op.batch_alter_table("care_task") as batch_op:
        batch_op.drop_column("managing_institution_id")
        batch_op.drop_column("village_code")
