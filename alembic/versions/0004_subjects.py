"""subjects: one timeline and one outbox for every kind of subject (a task today, a process tomorrow)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 17:40:00

``task_events`` becomes ``timeline``: ``task_id`` becomes ``subject_id`` beside a ``subject_kind``
(``task`` for every existing row) and the foreign key to ``tasks`` goes (a subject may be any kind).
Rows keep their ids, so ``Last-Event-ID`` values clients hold still resume where they left off.
``deliveries.task_id`` becomes ``subject_kind`` + ``subject_id`` the same way (empty for test events).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sqlmodel.sql.sqltypes.AutoString(length=36)
_KIND = sqlmodel.sql.sqltypes.AutoString(length=20)


def _reset_sequence(table: str) -> None:
    # PostgreSQL: rows copied with their ids leave the new table's sequence at 1.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('timeline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', _ID, nullable=False),
    sa.Column('subject_kind', _KIND, nullable=False),
    sa.Column('subject_id', _ID, nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute(
        "INSERT INTO timeline (id, org_id, subject_kind, subject_id, kind, actor, detail, created_at) "
        "SELECT id, org_id, 'task', task_id, kind, actor, detail, created_at FROM task_events"
    )
    _reset_sequence('timeline')
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.create_index('ix_timeline_org_id_id', ['org_id', 'id'], unique=False)
        batch_op.create_index('ix_timeline_subject', ['subject_kind', 'subject_id', 'id'], unique=False)
    with op.batch_alter_table('task_events', schema=None) as batch_op:
        batch_op.drop_index('ix_task_events_task_id')
        batch_op.drop_index('ix_task_events_org_id_id')
    op.drop_table('task_events')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_kind', _KIND, nullable=True))
        batch_op.alter_column('task_id', new_column_name='subject_id', existing_type=sa.String(length=36), existing_nullable=True)
        batch_op.drop_index('ix_deliveries_task_id')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_subject', ['subject_kind', 'subject_id'], unique=False)
    op.execute("UPDATE deliveries SET subject_kind = 'task' WHERE subject_id IS NOT NULL")


def downgrade() -> None:
    """Undo this revision (entries about other kinds of subject than tasks are dropped)."""
    op.execute("DELETE FROM deliveries WHERE subject_kind IS NOT NULL AND subject_kind != 'task'")
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_subject')
        batch_op.alter_column('subject_id', new_column_name='task_id', existing_type=sa.String(length=36), existing_nullable=True)
        batch_op.drop_column('subject_kind')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_task_id', ['task_id'], unique=False)

    op.create_table('task_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', _ID, nullable=False),
    sa.Column('task_id', _ID, nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.execute(
        "INSERT INTO task_events (id, org_id, task_id, kind, actor, detail, created_at) "
        "SELECT id, org_id, subject_id, kind, actor, detail, created_at FROM timeline "
        "WHERE subject_kind = 'task'"
    )
    _reset_sequence('task_events')
    with op.batch_alter_table('task_events', schema=None) as batch_op:
        batch_op.create_index('ix_task_events_org_id_id', ['org_id', 'id'], unique=False)
        batch_op.create_index('ix_task_events_task_id', ['task_id'], unique=False)
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.drop_index('ix_timeline_subject')
        batch_op.drop_index('ix_timeline_org_id_id')
    op.drop_table('timeline')
