"""Writing many tasks at once, each with its history: the bulk path beside ``create_task``.

A task written here is the row ``create_task`` writes (its attributes under ``Task``'s column
names, as ``task_row`` maps them), its first link (``link_rows.primary_link_row``), its timeline
entries (``timeline.entry_row``) and, once completed, its submission
(``transitions.submission_row``), so a task made in bulk is indistinguishable in the store from
one made through the API and then finished. Rows go in with one multi-row statement per table
(``db_bulk``: ``executemany`` on SQLite, ``COPY`` on PostgreSQL) in the caller's transaction.
Nothing is queued in the outbox or published on the bus: these are tasks of the past (demo
data, imports); an open dashboard sees them on its next read.

Anything kept per task in the write path joins here, in ``insert_tasks``: the kept counts
(``counts.shift``, as ``record_change`` keeps them) and the search index. On PostgreSQL that is an
expression index that follows the rows by itself, and ``task_meta``'s trigger runs once per
``COPY``. On SQLite, triggers fill ``tasks_fts`` and ``task_meta`` row by row on every insert;
that costs most of a bulk write, so ``insert_tasks`` drops those two triggers, writes, adds what
they would have added for all the new rows in one statement each and creates the triggers again
(from their own stored SQL) — all in the caller's transaction. SQLite's DDL is transactional: if
the write fails or is interrupted, the rollback brings the triggers back with everything else.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from hpi_app.core import link_rows, timeline
from hpi_app.core.tasks import counts, search
from hpi_app.core.tasks.changes import subject
from hpi_app.core.tasks.create import TASK_ATTRS, NewTask
from hpi_app.core.tasks.transitions import submission_row
from hpi_app.db_bulk import Prepared, prepare, write
from hpi_app.models import Link, Submission, Task, TimelineEntry

_TASKS, _LINKS = Task.__table__, Link.__table__
_TIMELINE, _SUBMISSIONS = TimelineEntry.__table__, Submission.__table__
_TRIGGER_SQL = text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name")
_TOP_ROWID = text("SELECT COALESCE(MAX(rowid), 0) FROM tasks")
# SQLite's per-row insert triggers on tasks, and what each adds per row, for every new row at once
# (rowid above :top): the title as the text index holds it (migration 0013); the text values of
# an object's metadata (0012), in task_meta's key order.
_SET_INSTEAD = (
    (
        "tasks_fts_insert",
        text(
            "INSERT INTO tasks_fts (rowid, title) SELECT rowid, title || :pad FROM tasks WHERE rowid > :top"
        ).bindparams(pad=search.PAD * 2),
    ),
    (
        "task_meta_insert",
        text(
            "INSERT OR IGNORE INTO task_meta (org_id, key, value, created_at, task_id) "
            "SELECT t.org_id, m.key, m.value, t.created_at, t.id FROM tasks AS t, json_each(t.metadata) AS m "
            "WHERE t.rowid > :top AND m.type = 'text' "
            "AND CASE WHEN json_valid(t.metadata) THEN json_type(t.metadata) END = 'object' "
            "ORDER BY 1, 2, 3, 4, 5"
        ),
    ),
)


@dataclass(slots=True)
class PastEvent:
    """One timeline entry of a task's history after its ``created`` entry."""

    kind: str
    at: datetime
    actor: str | None = None
    detail: dict[str, Any] | None = None


@dataclass
class PastTask:
    """A task with what happened to it: its row (``new_task``'s names) and its later entries.

    ``task.status`` and the columns it implies (``completed_at``, ``data``, ``cancelled_at``,
    ``expired_at``...) are the task's state now; ``events`` are the entries that led there, oldest
    first. A completed task's ``data`` is also written as its submission.
    """

    task: NewTask
    events: list[PastEvent] = field(default_factory=list)
    submission_id: str | None = None  # the submission's id when completed (default: a new one)


@dataclass(frozen=True)
class PreparedTasks:
    """Tasks made ready for the store (``prepare_tasks``): their rows per table, and the counts."""

    tasks: Prepared
    rows: list[Prepared]
    deltas: dict[str, Counter[tuple[str, str]]]
    size: int


def insert_tasks(session: Session, tasks: Sequence[PastTask]) -> int:
    """Write ``tasks`` with their links, timelines and submissions in the caller's transaction.

    Returns:
        How many tasks were written.
    """
    return write_tasks(session, prepare_tasks(session.get_bind().dialect, tasks))


def prepare_tasks(dialect: Any, tasks: Sequence[PastTask]) -> PreparedTasks:
    """The part of ``insert_tasks`` that needs no store: every row in the form it is stored in."""
    entries = []
    submissions = []
    for past in tasks:
        task = past.task
        about = subject(task.id)
        entries.append(
            timeline.entry_row(task.org_id, about, "created", task.created_by, None, task.created_at)
        )
        entries.extend(
            timeline.entry_row(task.org_id, about, e.kind, e.actor, e.detail, e.at) for e in past.events
        )
        if task.data is not None:
            submissions.append(
                submission_row(task.id, task.data, task.completed_by, task.completed_at, past.submission_id)
            )
    by_org: dict[str, list[tuple[str | None, str]]] = defaultdict(list)
    for past in tasks:
        by_org[past.task.org_id].append((past.task.assignee_id, past.task.status))
    return PreparedTasks(
        tasks=prepare(dialect, _TASKS, [vars(past.task) for past in tasks], TASK_ATTRS),
        rows=[
            prepare(dialect, _LINKS, [link_rows.primary_link_row(past.task) for past in tasks]),
            prepare(dialect, _TIMELINE, entries),
            prepare(dialect, _SUBMISSIONS, submissions),
        ],
        deltas={org_id: counts.tally(counted) for org_id, counted in by_org.items()},
        size=len(tasks),
    )


def write_tasks(session: Session, prepared: PreparedTasks) -> int:
    """Write tasks made ready by ``prepare_tasks`` in the caller's transaction; how many."""
    if not prepared.size:
        return 0
    with _row_triggers_after(session):
        write(session, prepared.tasks)
    for rows in prepared.rows:
        write(session, rows)
    for org_id, deltas in prepared.deltas.items():  # the kept counts, as record_change keeps them
        counts.shift(session, org_id, deltas)
    return prepared.size


@contextmanager
def _row_triggers_after(session: Session) -> Iterator[None]:
    """Around inserts into ``tasks``: SQLite's per-row insert triggers run once, for all, at the end."""
    conn = session.connection()
    if conn.dialect.name != "sqlite":  # PostgreSQL: the index follows, the trigger is per statement
        yield
        return
    # A store without one of the triggers: nothing to do for it.
    found = [
        (sql, name, add)
        for name, add in _SET_INSTEAD
        if (sql := conn.execute(_TRIGGER_SQL, {"name": name}).scalar())
    ]
    top = conn.execute(_TOP_ROWID).scalar()
    for _, name, _ in found:
        conn.exec_driver_sql(f"DROP TRIGGER {name}")
    yield  # on an error the caller's rollback restores the triggers (SQLite's DDL is transactional)
    for sql, _, add in found:
        conn.execute(add, {"top": top})
        conn.exec_driver_sql(sql)
