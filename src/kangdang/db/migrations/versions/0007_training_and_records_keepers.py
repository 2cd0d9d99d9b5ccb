"""training and records keepers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('practitioner_training',
    sa.Column('practitioner_id', sa.Uuid(), nullable=False),
    sa.Column('course', sa.String(length=100), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Numeric(precision=5, scale=1), nullable=True),
    sa.Column('score', sa.Numeric(precision=4, scale=1), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('organiser', sa.String(length=100), nullable=False),
    sa.Column('certificate_no', sa.String(length=50), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=64), nullable=True),
    sa.Column('withdrawal_reason', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("status IN ('valid', 'withdrawn')", name=op.f('ck_practitioner_training_status_values')),
    sa.CheckConstraint('score IS NULL OR (score >= 0 AND score <= 100)', name=op.f('ck_practitioner_training_score_range')),
    sa.CheckConstraint('hours IS NULL OR hours > 0', name=op.f('ck_practitioner_training_hours_positive')),
    sa.CheckConstraint("status = 'valid' OR withdrawal_reason IS NOT NULL", name=op.f('ck_practitioner_training_withdrawn_has_reason')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_practitioner_training_practitioner_id_practitioner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practitioner_training'))
    )
    with op.batch_alter_table('practitioner_training', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_practitioner_training_practitioner_id'), ['practitioner_id'], unique=False)

    op.create_table('records_keeper',
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('practitioner_id', sa.Uuid(), nullable=False),
    sa.Column('training_id', sa.Uuid(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('designated_by', sa.String(length=64), nullable=False),
    sa.Column('designated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_by', sa.String(length=64), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason_ended', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('valid_to IS NULL OR reason_ended IS NOT NULL', name=op.f('ck_records_keeper_ended_has_reason')),
    sa.ForeignKeyConstraint(['institution_id'], ['institution.id'], name=op.f('fk_records_keeper_institution_id_institution')),
    sa.ForeignKeyConstraint(['practitioner_id'], ['practitioner.id'], name=op.f('fk_records_keeper_practitioner_id_practitioner')),
    sa.ForeignKeyConstraint(['training_id'], ['practitioner_training.id'], name=op.f('fk_records_keeper_training_id_practitioner_training')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_records_keeper'))
    )
    with op.batch_alter_table('records_keeper', schema=None) as batch_op:
        batch_op.create_index('ix_records_keeper_institution_current', ['institution_id', 'valid_to'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_keeper_practitioner_id'), ['practitioner_id'], unique=False)
        batch_op.create_index('uq_records_keeper_open', ['institution_id', 'practitioner_id'], unique=True, sqlite_where=sa.text('valid_to IS NULL'), postgresql_where=sa.text('valid_to IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('records_keeper', schema=None) as batch_op:
        batch_op.drop_index('uq_records_keeper_open', sqlite_where=sa.text('valid_to IS NULL'), postgresql_where=sa.text('valid_to IS NULL'))
        batch_op.drop_index(batch_op.f('ix_records_keeper_practitioner_id'))
        batch_op.drop_index('ix_records_keeper_institution_current')

    op.drop_table('records_keeper')
    with op.batch_alter_table('practitioner_training', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_practitioner_training_practitioner_id'))

    op.drop_table('practitioner_training')
