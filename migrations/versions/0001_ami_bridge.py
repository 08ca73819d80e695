"""ami bridge

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 21:41:37.041078
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.db


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('agent_attempts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('agent_uniqueid', sa.String(length=64), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('queue', sa.String(length=128), nullable=False),
    sa.Column('interface', sa.String(length=128), nullable=False),
    sa.Column('member_name', sa.String(length=128), nullable=False),
    sa.Column('called_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('ring_s', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_attempts')),
    sa.UniqueConstraint('server_id', 'agent_uniqueid', name=op.f('uq_agent_attempts_server_id_agent_uniqueid'))
    )
    with op.batch_alter_table('agent_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_agent_attempts_called_at', ['called_at'], unique=False)

    op.create_table('agent_logins',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('queue', sa.String(length=128), nullable=False),
    sa.Column('interface', sa.String(length=128), nullable=False),
    sa.Column('member_name', sa.String(length=128), nullable=False),
    sa.Column('started_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_logins')),
    sa.UniqueConstraint('server_id', 'queue', 'interface', 'started_at', name=op.f('uq_agent_logins_server_id_queue_interface_started_at'))
    )
    op.create_table('agent_pauses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('queue', sa.String(length=128), nullable=False),
    sa.Column('interface', sa.String(length=128), nullable=False),
    sa.Column('member_name', sa.String(length=128), nullable=False),
    sa.Column('started_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agent_pauses')),
    sa.UniqueConstraint('server_id', 'queue', 'interface', 'started_at', name=op.f('uq_agent_pauses_server_id_queue_interface_started_at'))
    )
    op.create_table('ami_journal',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('received_at', sa.Float(), nullable=False),
    sa.Column('digest', sa.LargeBinary(length=16), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.Column('raw', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ami_journal')),
    sa.UniqueConstraint('server_id', 'received_at', 'digest', name=op.f('uq_ami_journal_server_id_received_at_digest'))
    )
    op.create_table('bridge_checkpoints',
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('resume_at', sa.Float(), nullable=False),
    sa.Column('uptime_s', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('server_id', name=op.f('pk_bridge_checkpoints'))
    )
    op.create_table('call_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_events')),
    sa.UniqueConstraint('server_id', 'linkedid', 'seq', name=op.f('uq_call_events_server_id_linkedid_seq'))
    )
    op.create_table('call_legs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('caller_num', sa.String(length=80), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cause', sa.Integer(), nullable=True),
    sa.Column('cause_txt', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_legs')),
    sa.UniqueConstraint('server_id', 'uniqueid', name=op.f('uq_call_legs_server_id_uniqueid'))
    )
    with op.batch_alter_table('call_legs', schema=None) as batch_op:
        batch_op.create_index('ix_call_legs_linkedid', ['server_id', 'linkedid'], unique=False)

    op.create_table('calls',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('started_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('caller_num', sa.String(length=80), nullable=False),
    sa.Column('caller_name', sa.String(length=120), nullable=False),
    sa.Column('dnis', sa.String(length=80), nullable=False),
    sa.Column('queue', sa.String(length=128), nullable=False),
    sa.Column('agent_interface', sa.String(length=128), nullable=False),
    sa.Column('agent_name', sa.String(length=128), nullable=False),
    sa.Column('disposition', sa.String(length=16), nullable=True),
    sa.Column('wait_s', sa.Float(), nullable=True),
    sa.Column('talk_s', sa.Float(), nullable=True),
    sa.Column('hold_s', sa.Float(), nullable=False),
    sa.Column('ivr_digits', sa.String(length=80), nullable=False),
    sa.Column('transfers', sa.Integer(), nullable=False),
    sa.Column('hangup_cause', sa.Integer(), nullable=True),
    sa.Column('task', sa.String(length=128), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls')),
    sa.UniqueConstraint('server_id', 'linkedid', name=op.f('uq_calls_server_id_linkedid'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_started_at', ['started_at'], unique=False)

    op.create_table('live_snapshots',
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('as_of', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('connected', sa.Boolean(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('server_id', name=op.f('pk_live_snapshots'))
    )
    op.create_table('queue_calls',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('uniqueid', sa.String(length=64), nullable=False),
    sa.Column('visit', sa.Integer(), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('queue', sa.String(length=128), nullable=False),
    sa.Column('joined', sa.Boolean(), nullable=False),
    sa.Column('caller_num', sa.String(length=80), nullable=False),
    sa.Column('joined_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('left_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('wait_s', sa.Float(), nullable=False),
    sa.Column('exit_digit', sa.String(length=4), nullable=False),
    sa.Column('agent_interface', sa.String(length=128), nullable=False),
    sa.Column('agent_name', sa.String(length=128), nullable=False),
    sa.Column('connected_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('talk_s', sa.Float(), nullable=True),
    sa.Column('hold_s', sa.Float(), nullable=False),
    sa.Column('complete_reason', sa.String(length=16), nullable=False),
    sa.Column('rings', sa.Integer(), nullable=False),
    sa.Column('ring_no_answers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_calls')),
    sa.UniqueConstraint('server_id', 'uniqueid', 'visit', name=op.f('uq_queue_calls_server_id_uniqueid_visit'))
    )
    with op.batch_alter_table('queue_calls', schema=None) as batch_op:
        batch_op.create_index('ix_queue_calls_joined_at', ['joined_at'], unique=False)

    op.create_table('queues',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('server_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('strategy', sa.String(length=32), nullable=False),
    sa.Column('service_level_s', sa.Integer(), nullable=True),
    sa.Column('weight', sa.Integer(), nullable=True),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queues')),
    sa.UniqueConstraint('server_id', 'name', name=op.f('uq_queues_server_id_name'))
    )
    


def downgrade() -> None:
    
    op.drop_table('queues')
    with op.batch_alter_table('queue_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_queue_calls_joined_at')

    op.drop_table('queue_calls')
    op.drop_table('live_snapshots')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_started_at')

    op.drop_table('calls')
    with op.batch_alter_table('call_legs', schema=None) as batch_op:
        batch_op.drop_index('ix_call_legs_linkedid')

    op.drop_table('call_legs')
    op.drop_table('call_events')
    op.drop_table('bridge_checkpoints')
    op.drop_table('ami_journal')
    op.drop_table('agent_pauses')
    op.drop_table('agent_logins')
    with op.batch_alter_table('agent_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_agent_attempts_called_at')

    op.drop_table('agent_attempts')
    
