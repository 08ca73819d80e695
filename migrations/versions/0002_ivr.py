"""ivr: journeys and steps, survey answers, voicemails, the emergency override, and
ami_bridge's callback tasks (created by the IVR)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 21:45:01.840586
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.db


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('callback_tasks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('caller_number', sa.String(length=32), nullable=False),
    sa.Column('requested_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source_linkedid', sa.String(length=64), nullable=False),
    sa.Column('source_uniqueid', sa.String(length=64), nullable=False),
    sa.Column('flow', sa.String(length=128), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_tasks'))
    )
    with op.batch_alter_table('callback_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_callback_tasks_status_due_at', ['status', 'due_at'], unique=False)

    op.create_table('ivr_emergency',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('flow', sa.String(length=128), nullable=False),
    sa.Column('changed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_emergency'))
    )
    op.create_table('ivr_journeys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('flow', sa.String(length=128), nullable=False),
    sa.Column('requested_flow', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=200), nullable=False),
    sa.Column('caller', sa.String(length=80), nullable=False),
    sa.Column('called', sa.String(length=80), nullable=False),
    sa.Column('started_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('exit_node', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_journeys')),
    sa.UniqueConstraint('server_id', 'uniqueid', 'started_at', name=op.f('uq_ivr_journeys_server_id_uniqueid_started_at'))
    )
    with op.batch_alter_table('ivr_journeys', schema=None) as batch_op:
        batch_op.create_index('ix_ivr_journeys_flow_started_at', ['flow', 'started_at'], unique=False)
        batch_op.create_index('ix_ivr_journeys_linkedid', ['server_id', 'linkedid'], unique=False)

    op.create_table('ivr_survey_responses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('flow', sa.String(length=128), nullable=False),
    sa.Column('question', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('queue', sa.String(length=128), nullable=False),
    sa.Column('agent_interface', sa.String(length=128), nullable=False),
    sa.Column('agent_name', sa.String(length=128), nullable=False),
    sa.Column('answered_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_survey_responses'))
    )
    with op.batch_alter_table('ivr_survey_responses', schema=None) as batch_op:
        batch_op.create_index('ix_ivr_survey_responses_agent', ['agent_interface', 'answered_at'], unique=False)

    op.create_table('ivr_voicemails',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('flow', sa.String(length=128), nullable=False),
    sa.Column('mailbox', sa.String(length=64), nullable=False),
    sa.Column('caller', sa.String(length=80), nullable=False),
    sa.Column('path', sa.String(length=400), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_voicemails'))
    )
    with op.batch_alter_table('ivr_voicemails', schema=None) as batch_op:
        batch_op.create_index('ix_ivr_voicemails_recorded_at', ['recorded_at'], unique=False)

    op.create_table('ivr_steps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('journey_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('node', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('entered_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('left_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('prompts', sa.String(length=400), nullable=False),
    sa.Column('digits', sa.String(length=80), nullable=False),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('timeouts', sa.Integer(), nullable=False),
    sa.Column('invalid', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['journey_id'], ['ivr_journeys.id'], name=op.f('fk_ivr_steps_journey_id_ivr_journeys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ivr_steps')),
    sa.UniqueConstraint('journey_id', 'seq', name=op.f('uq_ivr_steps_journey_id_seq'))
    )
    with op.batch_alter_table('ivr_steps', schema=None) as batch_op:
        batch_op.create_index('ix_ivr_steps_linkedid', ['server_id', 'linkedid'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ivr_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_ivr_steps_linkedid')

    op.drop_table('ivr_steps')
    with op.batch_alter_table('ivr_voicemails', schema=None) as batch_op:
        batch_op.drop_index('ix_ivr_voicemails_recorded_at')

    op.drop_table('ivr_voicemails')
    with op.batch_alter_table('ivr_survey_responses', schema=None) as batch_op:
        batch_op.drop_index('ix_ivr_survey_responses_agent')

    op.drop_table('ivr_survey_responses')
    with op.batch_alter_table('ivr_journeys', schema=None) as batch_op:
        batch_op.drop_index('ix_ivr_journeys_linkedid')
        batch_op.drop_index('ix_ivr_journeys_flow_started_at')

    op.drop_table('ivr_journeys')
    op.drop_table('ivr_emergency')
    with op.batch_alter_table('callback_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_tasks_status_due_at')

    op.drop_table('callback_tasks')
