"""Reading tasks: one task (by id or by link), lists with filters, counts, titles, a task's timeline."""

from __future__ import annotations

from sqlmodel import Session, or_, select

from hpi_app.core import link_rows, status_filter
from hpi_app.core import timeline as timeline_store
from hpi_app.core.errors import NotFound
from hpi_app.core.filters import TemplateUse, template_uses
from hpi_app.core.filters import parse_meta_filters as parse_meta_filters
from hpi_app.core.principal import Principal
from hpi_app.core.tasks.changes import subject
from hpi_app.core.tasks.counts import EVERY, by_status
from hpi_app.core.tasks.listing import TaskFilter as TaskFilter
from hpi_app.core.tasks.listing import TaskPage as TaskPage
from hpi_app.core.tasks.listing import list_page as list_page
from hpi_app.core.tasks.listing import list_tasks as list_tasks
from hpi_app.core.tasks.rules import is_overdue, is_task_id, task_not_found
from hpi_app.core.tasks.transitions import expire_task
from hpi_app.db import session_scope
from hpi_app.models import Link, Task, TimelineEntry, User
from hpi_app.vocab import DONE_STATUSES, TaskStatus

STATUSES = tuple(TaskStatus)


def _load(session: Session, org_id: str | None, task_id: str) -> Task:
    task = session.get(Task, task_id) if is_task_id(task_id) else None
    if task is None or (org_id is not None and task.org_id != org_id):
        raise task_not_found(task_id)
    return task


def get_task(org_id: str, task_id: str) -> Task:
    """A task of ``org_id``; a task past its expiry is expired first."""
    with session_scope() as session:
        task = _load(session, org_id, task_id)
    if is_overdue(task):
        expire_task(task.id)
        with session_scope() as session:
            task = _load(session, org_id, task_id)
    return task


def get_task_by_link(link_id: str) -> Task:
    """The task behind any of its links (withdrawn or expired ones too), expired first if it is overdue.

    Whether the link itself still opens is ``core.links``' question (``links.resolve``).
    """
    if not link_id or len(link_id) > link_rows.MAX_LINK_ID:
        raise NotFound("This link does not exist.", code="link_not_found")
    with session_scope() as session:
        task = session.exec(
            select(Task)
            .join(Link, (Link.subject_id == Task.id) & (Link.subject_kind == link_rows.TASK_KIND))
            .where(Link.id == link_id)
        ).first()
    if task is None:
        raise NotFound("This link does not exist.", code="link_not_found")
    if is_overdue(task):
        expire_task(task.id)
        return get_task(task.org_id, task.id)
    return task


STATUS_PATTERN = status_filter.status_pattern(TaskStatus, "done")


def parse_statuses(raw: str | None) -> tuple[str, ...]:
    """Read ``status=pending`` or ``status=completed,cancelled`` (``done`` = every final state)."""
    return status_filter.parse_statuses(raw, TaskStatus, "done", DONE_STATUSES)


def templates(org_id: str) -> list[TemplateUse]:
    """The organisation's distinct task ``template_id``s, most recently used first."""
    return template_uses(org_id, org=Task.org_id, template=Task.template_id, made_at=Task.created_at)


def count_by_status(org_id: str, assignee: str = EVERY) -> dict[str, int]:
    """How many tasks of the organisation are in each status, from the kept counts.

    ``assignee``: ``counts.EVERY`` (default) for every task, ``counts.UNASSIGNED`` for tasks with
    no assignee, or a member id.
    """
    return by_status(org_id, assignee)


def titles(org_id: str, task_ids: set[str]) -> dict[str, str]:
    """The titles of those of ``task_ids`` that are tasks of ``org_id``."""
    if not task_ids:
        return {}
    with session_scope() as session:
        rows = session.exec(select(Task.id, Task.title).where(Task.org_id == org_id, Task.id.in_(task_ids)))
        return dict(rows.all())


def resolve_member(org_id: str, ref: str, principal: Principal | None = None) -> str | None:
    """A member id from an id, an email, or ``me``; None when no such member exists."""
    if ref == "me":
        return principal.user_id if principal else None
    with session_scope() as session:
        member = session.exec(
            select(User).where(User.org_id == org_id, or_(User.id == ref, User.email == ref.lower()))
        ).first()
    return member.id if member else None


def timeline(org_id: str, task_id: str) -> list[TimelineEntry]:
    """A task's timeline, oldest first (NotFound for another organisation's task)."""
    with session_scope() as session:
        _load(session, org_id, task_id)
    return timeline_store.entries(subject(task_id))
