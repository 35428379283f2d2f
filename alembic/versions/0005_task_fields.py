"""task fields: a task's ``template_id`` (a free label the API lists and filters by)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00

Existing tasks keep every column; their ``template_id`` is empty. The index on
``(org_id, template_id)`` serves ``GET /tasks?template_id=`` and ``GET /tasks/templates``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.create_index('ix_tasks_org_template', ['org_id', 'template_id'], unique=False)


def downgrade() -> None:
    """Undo this revision (the tasks' template ids are dropped)."""
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_tasks_org_template')
        batch_op.drop_column('template_id')
