"""Care tasks whose window closed without their visit are stored as "expired" (已过期), not left "open": a
worklist reads the open tasks in due-date order, and five years of missed windows in front of the live ones made
it read and discard over a million rows per page at county scale. Also an index on the form that did a task.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kangdang.core.clock import today_local

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels = None
depends_on = None

WITH_EXPIRED = "status IN ('open', 'done', 'expired', 'cancelled')"
WITHOUT_EXPIRED = "status IN ('open', 'done', 'cancelled')"


def upgrade() -> None:
    with op.batch_alter_table("care_task") as batch_op:
        batch_op.drop_constraint(op.f("ck_care_task_status_values"), type_="check")
        batch_op.create_check_constraint("status_values", WITH_EXPIRED)
        batch_op.create_index("ix_care_task_done_form", ["done_form_id"])
    # the day the migration runs stands for "today"; the daily ``programmes refresh`` keeps it so afterwards
    op.execute(
        sa.text("UPDATE care_task SET status = 'expired' WHERE status = 'open' AND expires_on <= :today").bindparams(
            today=today_local()
        )
    )


def downgrade() -> None:
    op.execute("UPDATE care_task SET status = 'open' WHERE status = 'expired'")
    with op.batch_alter_table("care_task") as batch_op:
        batch_op.drop_index("ix_care_task_done_form")
        batch_op.drop_constraint(op.f("ck_care_task_status_values"), type_="check")
        batch_op.create_check_constraint("status_values", WITHOUT_EXPIRED)
