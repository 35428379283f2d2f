"""links: every magic link is a row of its own; one-time codes are kept per link

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00

``links`` holds one row per magic link, generic over its subject (a task today). Every existing
task's ``link_id`` becomes its primary link, with the task's assignee, code requirement and
expiry, and ``opened_at`` from the first ``opened`` entry of its timeline. ``link_access`` and
``link_grants`` were keyed by task; they are now keyed by link, and every existing row moves to
its task's primary link (so codes already sent and browsers already let in keep working).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sqlmodel.sql.sqltypes.AutoString(length=36)
_LINK = sqlmodel.sql.sqltypes.AutoString(length=64)
_TIME = sqlmodel.sql.sqltypes.UTCDateTime()

_ACCESS_COLUMNS = ("code_hash", "code_expires_at", "last_sent_at", "failed_attempts", "locked_until")
_GRANT_COLUMNS = ("id", "token_hash", "created_at", "expires_at")


def _access_table(key: str) -> sa.TableClause:
    return sa.table(
        "link_access",
        sa.column(key, _LINK),
        sa.column("code_hash", sa.String()),
        sa.column("code_expires_at", _TIME),
        sa.column("last_sent_at", _TIME),
        sa.column("failed_attempts", sa.Integer()),
        sa.column("locked_until", _TIME),
    )


def _grant_table(key: str) -> sa.TableClause:
    return sa.table(
        "link_grants",
        sa.column("id", _ID),
        sa.column(key, _LINK),
        sa.column("token_hash", sa.String()),
        sa.column("created_at", _TIME),
        sa.column("expires_at", _TIME),
    )


_tasks = sa.table("tasks", sa.column("id", _ID), sa.column("link_id", _LINK))
_links = sa.table(
    "links",
    sa.column("id", _LINK),
    sa.column("subject_kind", sa.String()),
    sa.column("subject_id", _ID),
    sa.column("primary", sa.Boolean()),
)


def _create_access(key: str, target: str) -> None:
    op.create_table(
        "link_access",
        sa.Column(key, _LINK if key == "link_id" else _ID, nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("code_expires_at", _TIME, nullable=True),
        sa.Column("last_sent_at", _TIME, nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            [key],
            [target],
        ),
        sa.PrimaryKeyConstraint(key),
    )


def _create_grants(key: str, target: str) -> None:
    op.create_table(
        "link_grants",
        sa.Column("id", _ID, nullable=False),
        sa.Column(key, _LINK if key == "link_id" else _ID, nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("expires_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            [key],
            [target],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("link_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_link_grants_{key}"), [key], unique=False)


def _drop_code_tables(key: str) -> None:
    with op.batch_alter_table("link_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_link_grants_{key}"))
    op.drop_table("link_grants")
    op.drop_table("link_access")


def _move_code_rows(old_key: str, new_key: str, mapping: sa.Select) -> None:
    """Re-create the code tables keyed by ``new_key``, carrying each row over by ``mapping``.

    ``mapping`` selects ``(old, new)`` key pairs; rows whose old key it does not list are dropped.
    The rows are few (one per link a code was sent for), so they pass through Python, which lets
    each backend's own types read and write the times.
    """
    bind = op.get_bind()
    keys = dict(bind.execute(mapping).all())
    old_access, old_grants = _access_table(old_key), _grant_table(old_key)
    access = [dict(r._mapping) for r in bind.execute(sa.select(old_access))]
    grants = [dict(r._mapping) for r in bind.execute(sa.select(old_grants))]
    _drop_code_tables(old_key)
    target = "links.id" if new_key == "link_id" else "tasks.id"
    _create_access(new_key, target)
    _create_grants(new_key, target)
    moved_access = [
        {new_key: keys[row[old_key]], **{c: row[c] for c in _ACCESS_COLUMNS}}
        for row in access
        if row[old_key] in keys
    ]
    moved_grants = [
        {new_key: keys[row[old_key]], **{c: row[c] for c in _GRANT_COLUMNS}}
        for row in grants
        if row[old_key] in keys
    ]
    if moved_access:
        bind.execute(sa.insert(_access_table(new_key)), moved_access)
    if moved_grants:
        bind.execute(sa.insert(_grant_table(new_key)), moved_grants)


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "links",
        sa.Column("id", _LINK, nullable=False),
        sa.Column("org_id", _ID, nullable=False),
        sa.Column("subject_kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("primary", sa.Boolean(), nullable=False),
        sa.Column("assignee_id", _ID, nullable=True),
        sa.Column("assignee_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("assignee_email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("assignee_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("assignee_phone", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("requires_otp", sa.Boolean(), nullable=False),
        sa.Column("expires_at", _TIME, nullable=True),
        sa.Column("revoked_at", _TIME, nullable=True),
        sa.Column("opened_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("created_by", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.create_index("ix_links_subject", ["subject_kind", "subject_id", "created_at"], unique=False)
    op.execute(
        'INSERT INTO links (id, org_id, subject_kind, subject_id, "primary", assignee_id, assignee_type, '
        "assignee_email, assignee_name, assignee_phone, requires_otp, expires_at, revoked_at, opened_at, "
        "created_at, created_by) "
        "SELECT t.link_id, t.org_id, 'task', t.id, true, t.assignee_id, t.assignee_type, t.assignee_email, "
        "t.assignee_name, t.assignee_phone, t.requires_otp, t.expires_at, NULL, "
        "(SELECT MIN(e.created_at) FROM timeline e WHERE e.subject_kind = 'task' AND e.subject_id = t.id "
        "AND e.kind = 'opened'), t.created_at, t.created_by FROM tasks t"
    )
    _move_code_rows("task_id", "link_id", sa.select(_tasks.c.id, _tasks.c.link_id))


def downgrade() -> None:
    """Undo this revision (the code state of links other than a task's primary one is dropped)."""
    primary = sa.select(_links.c.id, _links.c.subject_id).where(
        _links.c.subject_kind == "task", _links.c.primary.is_(True)
    )
    _move_code_rows("link_id", "task_id", primary)
    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_index("ix_links_subject")
    op.drop_table("links")
