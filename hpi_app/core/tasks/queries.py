"""Reading tasks: one task (by id or by link), lists with filters, counts, titles, a task's timeline."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, func, or_, select

from hpi_app.core import link_rows, status_filter
from hpi_app.core import timeline as timeline_store
from hpi_app.core.errors import NotFound
from hpi_app.core.filters import TemplateUse, template_uses
from hpi_app.core.filters import parse_meta_filters as parse_meta_filters
from hpi_app.core.principal import Principal
from hpi_app.core.tasks.changes import subject
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


@dataclass(frozen=True)
class TaskFilter:
    """What ``list_tasks`` selects.

    Attributes:
        statuses: Statuses to include (empty: all).
        search: A case-insensitive substring of the title.
        sort: ``newest`` or ``oldest``.
        assignee_id: Only tasks assigned to this member.
        unassigned: Only tasks with no assignee.
        process_id: Only the tasks of this process.
        correlation_key: Only tasks with this ``correlation_key`` (= ``corr_id``).
        template_id: Only tasks made from this template.
        meta: ``(key, value)`` pairs the task's metadata must all hold exactly.
        limit: Page size, 1 to 200.
        offset: Rows to skip.
    """

    statuses: tuple[str, ...] = ()
    search: str | None = None
    sort: str = "newest"
    assignee_id: str | None = None
    unassigned: bool = False
    process_id: str | None = None
    correlation_key: str | None = None
    template_id: str | None = None
    meta: tuple[tuple[str, str], ...] = ()
    limit: int = 50
    offset: int = 0


STATUS_PATTERN = status_filter.status_pattern(TaskStatus, "done")


def parse_statuses(raw: str | None) -> tuple[str, ...]:
    """Read ``status=pending`` or ``status=completed,cancelled`` (``done`` = every final state)."""
    return status_filter.parse_statuses(raw, TaskStatus, "done", DONE_STATUSES)


def list_tasks(org_id: str, flt: TaskFilter) -> tuple[list[Task], int]:
    """A page of an organisation's tasks and the total that match."""
    conditions = [Task.org_id == org_id]
    if flt.statuses:
        conditions.append(Task.status.in_(flt.statuses))
    if flt.search:
        conditions.append(func.lower(Task.title).contains(flt.search.lower(), autoescape=True))
    if flt.assignee_id:
        conditions.append(Task.assignee_id == flt.assignee_id)
    if flt.unassigned:
        conditions.append(Task.assignee_id.is_(None))
    if flt.process_id:
        conditions.append(Task.process_id == flt.process_id)
    if flt.correlation_key is not None:
        conditions.append(Task.correlation_key == flt.correlation_key)
    if flt.template_id is not None:
        conditions.append(Task.template_id == flt.template_id)
    # JSON paths both stores index the same way (SQLite json_extract, PostgreSQL ->>).
    conditions.extend(Task.meta[key].as_string() == value for key, value in flt.meta)
    order = Task.created_at.desc() if flt.sort == "newest" else Task.created_at.asc()
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(Task).where(*conditions)).one()
        rows = session.exec(
            select(Task).where(*conditions).order_by(order, Task.id).offset(flt.offset).limit(flt.limit)
        ).all()
    return list(rows), total


def templates(org_id: str) -> list[TemplateUse]:
    """The organisation's distinct task ``template_id``s, most recently used first."""
    return template_uses(org_id, org=Task.org_id, template=Task.template_id, made_at=Task.created_at)


def count_by_status(org_id: str) -> dict[str, int]:
    """How many tasks of the organisation are in each status."""
    with session_scope() as session:
        rows = session.exec(
            select(Task.status, func.count()).where(Task.org_id == org_id).group_by(Task.status)
        ).all()
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(dict(rows))
    return counts


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
