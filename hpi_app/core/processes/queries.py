"""Reading processes: one with its steps, lists with filters, the templates in use, names for tasks."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case
from sqlmodel import Session, func, or_, select

from hpi_app.core import status_filter
from hpi_app.core.filters import TemplateUse, parse_meta_filters, template_uses
from hpi_app.core.processes.rules import full_namespace, is_process_id, process_not_found
from hpi_app.db import session_scope
from hpi_app.models import Process, ProcessStep, Task
from hpi_app.vocab import FINISHED_PROCESS_STATUSES, ProcessStatus, StepStatus

STATUSES = tuple(ProcessStatus)


@dataclass(frozen=True)
class ProcessView:
    """A process with its steps (in their order) and the ids of its tasks (oldest first)."""

    process: Process
    steps: list[ProcessStep]
    task_ids: list[str]


@dataclass(frozen=True)
class ProcessSummary:
    """One process of a list: the row, its step counts (all, done), its tasks, its current step's label."""

    process: Process
    step_count: int
    steps_done: int
    task_ids: list[str]
    current_label: str | None


@dataclass(frozen=True)
class ProcessFilter:
    """What ``list_processes`` selects.

    Attributes:
        statuses: Statuses to include (empty: all).
        namespace: A namespace, bare or ``<org_id>.``-prefixed: that one and those under it.
        search: A case-insensitive substring of the name.
        sort: ``newest`` or ``oldest`` (by start).
        template_id: Only processes made from this template.
        meta: ``{key: value}`` metadata every process listed has (exact, ANDed).
        limit: Page size, 1 to 200.
        offset: Rows to skip.
    """

    statuses: tuple[str, ...] = ()
    namespace: str | None = None
    search: str | None = None
    sort: str = "newest"
    template_id: str | None = None
    meta: dict[str, str] = field(default_factory=dict)
    limit: int = 50
    offset: int = 0


STATUS_PATTERN = status_filter.status_pattern(ProcessStatus, "finished")


def parse_statuses(raw: str | None) -> tuple[str, ...]:
    """Read ``status=running`` or ``status=completed,failed`` (``finished`` = both)."""
    return status_filter.parse_statuses(raw, ProcessStatus, "finished", sorted(FINISHED_PROCESS_STATUSES))


def _load(session: Session, org_id: str, process_id: str) -> Process:
    process = session.get(Process, process_id) if is_process_id(process_id) else None
    if process is None or process.org_id != org_id:
        raise process_not_found(process_id)
    return process


def _task_ids(session: Session, process_ids: list[str]) -> dict[str, list[str]]:
    rows = session.exec(
        select(Task.process_id, Task.id)
        .where(Task.process_id.in_(process_ids))
        .order_by(Task.created_at, Task.id)
    ).all()
    out: dict[str, list[str]] = {pid: [] for pid in process_ids}
    for process_id, task_id in rows:
        out[process_id].append(task_id)
    return out


def get_process(org_id: str, process_id: str) -> ProcessView:
    """A process of ``org_id`` with its steps and tasks (NotFound for another organisation's)."""
    with session_scope() as session:
        process = _load(session, org_id, process_id)
        steps = session.exec(
            select(ProcessStep).where(ProcessStep.process_id == process.id).order_by(ProcessStep.position)
        ).all()
        return ProcessView(process, list(steps), _task_ids(session, [process.id])[process.id])


def list_processes(org_id: str, flt: ProcessFilter) -> tuple[list[ProcessSummary], int]:
    """A page of an organisation's processes and the total that match."""
    conditions = [Process.org_id == org_id]
    if flt.statuses:
        conditions.append(Process.status.in_(flt.statuses))
    if flt.namespace:
        wanted = full_namespace(org_id, flt.namespace)
        below = Process.namespace.startswith(f"{wanted}.", autoescape=True)
        conditions.append(or_(Process.namespace == wanted, below))
    if flt.search:
        conditions.append(func.lower(Process.name).contains(flt.search.lower(), autoescape=True))
    if flt.template_id:
        conditions.append(Process.template_id == flt.template_id)
    meta = Process.__table__.c.metadata
    conditions.extend(meta[key].as_string() == value for key, value in flt.meta.items())
    order = Process.started_at.desc() if flt.sort == "newest" else Process.started_at.asc()
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(Process).where(*conditions)).one()
        rows = list(
            session.exec(
                select(Process)
                .where(*conditions)
                .order_by(order, Process.id)
                .offset(flt.offset)
                .limit(flt.limit)
            ).all()
        )
        ids = [p.id for p in rows]
        counts = _step_counts(session, ids)
        tasks = _task_ids(session, ids) if ids else {}
        labels = _current_labels(session, rows)
    return [
        ProcessSummary(p, *counts.get(p.id, (0, 0)), tasks.get(p.id, []), labels.get(p.id)) for p in rows
    ], total


def _step_counts(session: Session, process_ids: list[str]) -> dict[str, tuple[int, int]]:
    if not process_ids:
        return {}
    done = func.sum(case((ProcessStep.status == StepStatus.COMPLETED, 1), else_=0))
    rows = session.exec(
        select(ProcessStep.process_id, func.count(), done)
        .where(ProcessStep.process_id.in_(process_ids))
        .group_by(ProcessStep.process_id)
    ).all()
    return {pid: (int(count), int(finished or 0)) for pid, count, finished in rows}


def _current_labels(session: Session, processes: list[Process]) -> dict[str, str]:
    keys = [(p.id, p.current_step) for p in processes if p.current_step]
    if not keys:
        return {}
    rows = session.exec(
        select(ProcessStep.process_id, ProcessStep.key, ProcessStep.label).where(
            ProcessStep.process_id.in_([pid for pid, _ in keys])
        )
    ).all()
    labels = {(pid, key): label for pid, key, label in rows}
    return {pid: labels.get((pid, key), key) for pid, key in keys}


def parse_meta(params: list[tuple[str, str]]) -> dict[str, str]:
    """The ``meta.<key>=<value>`` filters among query parameters, checked as the task list checks them."""
    return dict(parse_meta_filters(params))


def templates(org_id: str) -> list[TemplateUse]:
    """The organisation's distinct process ``template_id``s, most recently started first."""
    return template_uses(org_id, org=Process.org_id, template=Process.template_id, made_at=Process.started_at)


def task_statuses(org_id: str, task_ids: list[str]) -> dict[str, str]:
    """The statuses of those of ``task_ids`` that are tasks of ``org_id``."""
    if not task_ids:
        return {}
    with session_scope() as session:
        rows = session.exec(select(Task.id, Task.status).where(Task.org_id == org_id, Task.id.in_(task_ids)))
        return dict(rows.all())


def process_name(org_id: str, process_id: str) -> str | None:
    """The name of a process of ``org_id``, or None."""
    if not is_process_id(process_id):
        return None
    with session_scope() as session:
        process = session.get(Process, process_id)
    return process.name if process is not None and process.org_id == org_id else None
