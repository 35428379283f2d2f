"""What a live list needs to follow changes without re-running itself: the changed tasks by id,
and whether one task belongs in a filtered list.

``matches`` is the in-memory reading of ``TaskFilter``: the same conditions ``list_tasks`` puts in
its query, for a task already in hand (a live list applies a change with it instead of listing
again). ``order_key`` is the lists' order (newest first, then by id).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from hpi_app.core.tasks.queries import TaskFilter
from hpi_app.db import session_scope
from hpi_app.models import Task

# Primary-key reads in chunks no store refuses as a parameter list.
_CHUNK = 500


def read_many(org_id: str, task_ids: Iterable[str]) -> dict[str, Task]:
    """The tasks of ``org_id`` among ``task_ids``, by id (others' and unknown ids are left out)."""
    wanted = list(dict.fromkeys(task_ids))
    found: dict[str, Task] = {}
    with session_scope() as session:
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = session.exec(select(Task).where(Task.id.in_(chunk), Task.org_id == org_id)).all()
            found.update((task.id, task) for task in rows)
    return found


def matches(flt: TaskFilter, task: Any, status: str | None = None) -> bool:
    """Whether ``task`` (with ``status``, default its own) is one ``list_tasks(org, flt)`` lists."""
    status = task.status if status is None else status
    meta = task.meta or {}
    return (
        (not flt.statuses or status in flt.statuses)
        and (not flt.search or flt.search.lower() in task.title.lower())
        and (not flt.assignee_id or task.assignee_id == flt.assignee_id)
        and (not flt.unassigned or task.assignee_id is None)
        and (not flt.process_id or task.process_id == flt.process_id)
        and (flt.correlation_key is None or task.correlation_key == flt.correlation_key)
        and (flt.template_id is None or task.template_id == flt.template_id)
        and all(meta.get(key) == value for key, value in flt.meta)
    )


def order_key(created_at: datetime) -> str:
    """``created_at`` as text that sorts like the time (fixed width, UTC, microseconds)."""
    return created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def comes_before(a: tuple[str, str], b: tuple[str, str], newest_first: bool = True) -> bool:
    """Whether ``(order_key, id)`` ``a`` is listed before ``b`` (ties: the smaller id first)."""
    if a[0] != b[0]:
        return a[0] > b[0] if newest_first else a[0] < b[0]
    return a[1] < b[1]
