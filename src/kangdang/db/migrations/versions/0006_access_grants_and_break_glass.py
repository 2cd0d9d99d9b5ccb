"""access grants and break-glass

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('access_request',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('managing_institution_id', sa.Uuid(), nullable=False),
    sa.Column('requester_user_id', sa.Uuid(), nullable=False),
    sa.Column('requester_login', sa.String(length=64), nullable=False),
    sa.Column('requester_name', sa.String(length=50), nullable=False),
    sa.Column('requester_institution_id', sa.Uuid(), nullable=True),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('parts', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('duration_days', sa.Integer(), nullable=False),
    sa.Column('basis', sa.String(length=200), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=200), nullable=True),
    sa.Column('consent_by_name', sa.String(length=50), nullable=True),
    sa.Column('consent_relationship', sa.String(length=50), nullable=True),
    sa.Column('consent_method', sa.String(length=10), nullable=True),
    sa.Column('consent_evidence', sa.LargeBinary(), nullable=True),
    sa.Column('consent_evidence_type', sa.String(length=40), nullable=True),
    sa.Column('consent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('consent_recorded_by', sa.String(length=64), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=True),
    sa.Column('revoke_reason', sa.String(length=200), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=64), nullable=True),
    sa.Column('withdraw_reason', sa.String(length=200), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'approved', 'active', 'revoked', 'withdrawn', 'rejected')", name=op.f('ck_access_request_status_values')),
    sa.CheckConstraint('duration_days BETWEEN 1 AND 90', name=op.f('ck_access_request_duration_range')),
    sa.CheckConstraint("consent_method IS NULL OR consent_method IN ('signature', 'scan')", name=op.f('ck_access_request_consent_methods')),
    sa.ForeignKeyConstraint(['managing_institution_id'], ['institution.id'], name=op.f('fk_access_request_managing_institution_id_institution')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_access_request_person_id_person')),
    sa.ForeignKeyConstraint(['record_id'], ['health_record.id'], name=op.f('fk_access_request_record_id_health_record')),
    sa.ForeignKeyConstraint(['requester_institution_id'], ['institution.id'], name=op.f('fk_access_request_requester_institution_id_institution')),
    sa.ForeignKeyConstraint(['requester_user_id'], ['app_user.id'], name=op.f('fk_access_request_requester_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_request'))
    )
    with op.batch_alter_table('access_request', schema=None) as batch_op:
        batch_op.create_index('ix_access_request_managing_status', ['managing_institution_id', 'status'], unique=False)
        batch_op.create_index('ix_access_request_person_id', ['person_id'], unique=False)
        batch_op.create_index('ix_access_request_requester_status', ['requester_user_id', 'status'], unique=False)

    op.create_table('emergency_access',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('record_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('actor_name', sa.String(length=50), nullable=False),
    sa.Column('actor_institution_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('managing_institution_id', sa.Uuid(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=64), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['actor_institution_id'], ['institution.id'], name=op.f('fk_emergency_access_actor_institution_id_institution')),
    sa.ForeignKeyConstraint(['managing_institution_id'], ['institution.id'], name=op.f('fk_emergency_access_managing_institution_id_institution')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_emergency_access_person_id_person')),
    sa.ForeignKeyConstraint(['record_id'], ['health_record.id'], name=op.f('fk_emergency_access_record_id_health_record')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_emergency_access_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_emergency_access'))
    )
    with op.batch_alter_table('emergency_access', schema=None) as batch_op:
        batch_op.create_index('ix_emergency_access_managing_ack', ['managing_institution_id', 'acknowledged_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_emergency_access_person_id'), ['person_id'], unique=False)
        batch_op.create_index('ix_emergency_access_user_expires', ['user_id', 'expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('emergency_access', schema=None) as batch_op:
        batch_op.drop_index('ix_emergency_access_user_expires')
        batch_op.drop_index(batch_op.f('ix_emergency_access_person_id'))
        batch_op.drop_index('ix_emergency_access_managing_ack')

    op.drop_table('emergency_access')
    with op.batch_alter_table('access_request', schema=None) as batch_op:
        batch_op.drop_index('ix_access_request_requester_status')
        batch_op.drop_index('ix_access_request_person_id')
        batch_op.drop_index('ix_access_request_managing_status')

    op.drop_table('access_request')
