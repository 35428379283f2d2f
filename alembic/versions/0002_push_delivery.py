"""push delivery: org-wide sinks, the attempt log, and claiming columns on deliveries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 23:57:54.251092

Outbox rows written before this revision get a ``webhook_id`` (``msg_`` + their id without
dashes) and a delivery deadline 24 hours from the upgrade, so they are still sent.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('org_sinks',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('org_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('org_sinks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_org_sinks_org_id'), ['org_id'], unique=False)

    # New columns start nullable, are filled for existing rows, then tightened.
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sink_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True))
        batch_op.add_column(sa.Column('webhook_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('deadline_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('locked_until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))

    deliveries = sa.table(
        'deliveries',
        sa.column('id', sa.String()),
        sa.column('webhook_id', sa.String()),
        sa.column('deadline_at', sqlmodel.sql.sqltypes.UTCDateTime()),
    )
    op.execute(
        deliveries.update().values(
            webhook_id=sa.literal('msg_') + sa.func.replace(deliveries.c.id, '-', ''),
            deadline_at=datetime.now(UTC) + timedelta(hours=24),
        )
    )

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.alter_column('webhook_id', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        batch_op.alter_column('deadline_at', existing_type=sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False)
        batch_op.create_index(batch_op.f('ix_deliveries_sink_id'), ['sink_id'], unique=False)
        batch_op.create_index('ix_deliveries_webhook_id', ['webhook_id'], unique=True)

    op.create_table('delivery_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('latency_ms', sa.Integer(), nullable=False),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delivery_attempts_delivery_id'), ['delivery_id'], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table('delivery_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_attempts_delivery_id'))

    op.drop_table('delivery_attempts')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_webhook_id')
        batch_op.drop_index(batch_op.f('ix_deliveries_sink_id'))
        batch_op.drop_column('claimed_by')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('deadline_at')
        batch_op.drop_column('webhook_id')
        batch_op.drop_column('sink_id')

    with op.batch_alter_table('org_sinks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_org_sinks_org_id'))

    op.drop_table('org_sinks')
