"""What the kept-count, list and retention tests share: making tasks, and the counts a COUNT(*) finds."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlmodel import func, select

from hpi_app.core import tasks
from hpi_app.core.tasks import counts
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.db import session_scope
from hpi_app.models import Task, User
from hpi_app.vocab import TaskStatus
from tests.utils.bodies import seed_task
from tests.utils.deliveries import principal_of


def make_task(member: User, **overrides: Any) -> str:
    """Create a task (the quick-start body with ``overrides``) as ``member``; its id."""
    return tasks.create_task(principal_of(member), TaskCreate.model_validate(seed_task(**overrides))).task.id


def counted(org_id: str) -> dict[tuple[str, str], int]:
    """``(assignee, status)`` → tasks, by a ``COUNT(*)`` over the tasks table (what the counts keep)."""
    with session_scope() as session:
        rows = session.exec(
            select(Task.assignee_id, Task.status, func.count())
            .where(Task.org_id == org_id)
            .group_by(Task.assignee_id, Task.status)
        ).all()
    truth: Counter[tuple[str, str]] = Counter()
    for assignee_id, status, n in rows:
        truth[(counts.EVERY, status)] += n
        truth[(counts.assignee_key(assignee_id), status)] += n
    return {key: n for key, n in truth.items() if n}


def kept(org_id: str, assignees: set[str]) -> dict[tuple[str, str], int]:
    """``(assignee, status)`` → tasks, as the kept counts say, for ``*``, ``""`` and ``assignees``."""
    found = {}
    for assignee in {counts.EVERY, counts.UNASSIGNED, *assignees}:
        for status in TaskStatus:
            n = counts.total(org_id, [status], assignee)
            if n:
                found[(assignee, str(status))] = n
    return found
