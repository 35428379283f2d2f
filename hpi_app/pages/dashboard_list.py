"""The dashboard's list as data: its rows, total and counts, and how one change moves them.

A dashboard reads its first page once; after that each change on the bus is applied here — the one
row inserted, moved or removed, the counts adjusted — with the changed tasks re-read by id, so a
change costs the same however long the history is. The rows are always the first rows of what
``list_tasks`` would list (a prefix): more are read after the last one, never in between.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from hpi_app import routes
from hpi_app.core.events import Change
from hpi_app.core.tasks import TASK, TaskFilter
from hpi_app.core.tasks.listing import encode_cursor
from hpi_app.core.tasks.matching import comes_before, matches, order_key
from hpi_app.core.tasks.retention import DELETED
from hpi_app.models import Task, iso
from hpi_app.vocab import DONE_STATUSES, FINAL_STATUSES, TaskStatus

# The changes that move a task between lists; others (opened, reminders, links) leave rows as they are.
MOVES = frozenset(TASK.event_name(kind) for kind in ("created", *FINAL_STATUSES))
# Changes that keep a task where it is but change what its row shows (badges, due time, assignee).
SHOWN = frozenset(
    TASK.event_name(kind) for kind in ("reminded", "escalated", "assigned", "extended", "updated")
)
# How many task statuses a view remembers beyond its rows' (to count a late echo of a change once).
KNOWN_LIMIT = 2000


@dataclasses.dataclass
class TaskRow:
    """One line of the dashboard."""

    task_id: str = ""
    title: str = ""
    status: str = ""
    assignee: str = ""
    created_at: str = ""
    href: str = ""
    order: str = ""  # the list order's key (``order_key`` of created_at)
    cursor: str = ""  # the list's page after this row starts here (``list_page``'s cursor)
    expires_at: str = ""  # a pending task's deadline (the row's countdown)
    reminded: int = 0
    escalated: int = 0


def row_of(task: Task, status: str | None = None) -> TaskRow:
    """The dashboard line of a task (showing ``status``: as the view has counted it, default its own)."""
    return TaskRow(
        task_id=task.id,
        title=task.title,
        status=task.status if status is None else status,
        assignee=task.assignee_name or task.assignee_email or "",
        created_at=iso(task.created_at) or "",
        href=routes.task_detail(task.id),
        order=order_key(task.created_at),
        cursor=encode_cursor(task.created_at, task.id),
        expires_at=(iso(task.expires_at) or "") if task.status == TaskStatus.PENDING else "",
        reminded=task.reminded_count or 0,
        escalated=task.escalated_count or 0,
    )


@dataclasses.dataclass
class ListView:
    """What one dashboard shows: a prefix of a list, its total, and the tab counts.

    Attributes:
        rows: The first rows of the list, in its order.
        total: How many tasks the list holds in all.
        pending: Pending tasks of the organisation.
        done: Finished tasks of the organisation.
        shown: How many rows the view shows at most (pages loaded × page size).
        known: Each task's status as this view has counted it (so a change is counted once).
    """

    rows: list[TaskRow]
    total: int
    pending: int
    done: int
    shown: int
    known: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def read(cls, rows: list[TaskRow], total: int, counts: dict[str, int], shown: int) -> ListView:
        """A view as just read from the store."""
        pending = counts.get(TaskStatus.PENDING, 0)
        done = sum(counts.get(status, 0) for status in DONE_STATUSES)
        return cls(rows, total, pending, done, shown, {row.task_id: row.status for row in rows})

    @property
    def complete(self) -> bool:
        """Whether the rows are the whole list."""
        return len(self.rows) >= self.total


def read_again(changes: Iterable[Change]) -> bool:
    """Whether the view must be read again: retention deleted tasks (gone, they cannot be re-read)."""
    return any(change.kind == DELETED for change in changes)


def changed_ids(changes: Iterable[Change]) -> list[str]:
    """The tasks that changed (to re-read by id), in order, once each: those that move between
    lists, and those whose row shows something new (reminded, escalated, reassigned, extended, retitled)."""
    return list(dict.fromkeys(c.subject.id for c in changes if c.kind in MOVES | SHOWN))


def apply(view: ListView, flt: TaskFilter, changes: Iterable[Change], found: dict[str, Task]) -> ListView:
    """Apply ``changes`` to ``view`` (listed with ``flt``); ``found`` holds the changed tasks as read.

    A task not in ``found`` (gone, or another organisation's) changes nothing. Returns ``view``.
    """
    complete = view.complete
    touched: dict[str, Task] = {}
    for change in changes:
        task = found.get(change.subject.id)
        if task is None or change.kind not in MOVES | SHOWN:
            continue
        if change.kind in SHOWN:  # same status: its row shows what changed, or leaves or joins the list
            complete = _reshow(view, flt, task, complete)
            continue
        before = view.known.get(task.id)
        after = str(change.status)
        if before == after or (before is not None and after == TaskStatus.PENDING):
            continue  # already counted (the read that made the view saw it)
        if before is None and after != TaskStatus.PENDING:
            before = TaskStatus.PENDING  # tasks finish only from pending
        if before == TaskStatus.PENDING:
            view.pending -= 1
        if after == TaskStatus.PENDING:
            view.pending += 1
        else:
            view.done += 1
        view.total += matches(flt, task, after) - (before is not None and matches(flt, task, before))
        view.known[task.id] = after
        touched[task.id] = task
    for task_id, task in touched.items():
        complete = _place(view, flt, task, view.known[task_id], complete)
    if len(view.known) > KNOWN_LIMIT:
        # Older entries matter only for changes already applied; the rows' own stay.
        keep = {row.task_id for row in view.rows}
        recent = list(view.known.items())[-KNOWN_LIMIT // 2 :]
        view.known = {k: v for k, v in view.known.items() if k in keep} | dict(recent)
    return view


def _reshow(view: ListView, flt: TaskFilter, task: Task, complete: bool) -> bool:
    """A task whose status stays changed what its row shows: a new title or assignee may also take
    it out of a filtered list (a search, "mine") or into one. Returns whether the rows are the whole list.
    """
    status = view.known.get(task.id, str(task.status))
    now = matches(flt, task, status)
    shown = any(row.task_id == task.id for row in view.rows)
    if shown and now:
        view.rows = [row_of(task, status) if row.task_id == task.id else row for row in view.rows]
        return complete
    if shown:
        view.rows = [row for row in view.rows if row.task_id != task.id]
        view.total -= 1
        return complete
    if not now:
        return complete
    # Not among the rows: it did not match before if it falls among them (they are a prefix of the
    # list) or they are the whole list; past the last row read, it may be counted already.
    key = (order_key(task.created_at), task.id)
    last = view.rows[-1] if view.rows else None
    if complete or (last is not None and comes_before(key, (last.order, last.task_id), flt.sort == "newest")):
        view.total += 1
        view.known[task.id] = status
        return _place(view, flt, task, status, complete)
    return complete


def _place(view: ListView, flt: TaskFilter, task: Task, status: str, complete: bool) -> bool:
    """Put the task's row where the list has it now: removed, updated in place, or inserted.

    ``complete``: the rows were the whole list. Returns whether they still are.
    """
    rows = [row for row in view.rows if row.task_id != task.id]
    if matches(flt, task, status):
        row = row_of(task, status)
        key = (row.order, row.task_id)
        newest_first = flt.sort == "newest"
        at = next(
            (
                i
                for i, other in enumerate(rows)
                if comes_before(key, (other.order, other.task_id), newest_first)
            ),
            len(rows),
        )
        # Past the last row it belongs to a page not read yet, unless the rows are the whole list.
        if at < len(rows) or complete or len(rows) < len(view.rows):
            rows.insert(at, row)
    view.rows = rows[: view.shown]
    return complete and len(rows) <= view.shown
