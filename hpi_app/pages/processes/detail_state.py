"""The state of a process's page: its steps as a timeline, kept live from the event bus."""

from __future__ import annotations

import dataclasses

import reflex as rx

from hpi_app import routes
from hpi_app.core import processes
from hpi_app.core.errors import NotFound
from hpi_app.core.events import Change
from hpi_app.core.subjects import Subject
from hpi_app.models import Process, ProcessStep, iso
from hpi_app.pages.live import follow
from hpi_app.pages.processes.badges import bare_namespace, percent_of
from hpi_app.state import Member, acting_member, in_thread, leave_for
from hpi_app.vocab import StepStatus


@dataclasses.dataclass
class StepRow:
    """One step on the process's timeline."""

    key: str = ""
    label: str = ""
    status: str = ""
    human: bool = False
    task_id: str = ""
    task_status: str = ""
    task_href: str = ""
    task_label: str = "Open its task"
    started_at: str = ""
    completed_at: str = ""
    duration: str = ""
    detail: str = ""
    error: str = ""
    progress_message: str = ""
    progress_percent: int = 0
    has_percent: bool = False


def _duration(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def step_row(step: ProcessStep, task_statuses: dict[str, str]) -> StepRow:
    """A step as the timeline shows it, its task opened on the task's detail page."""
    return StepRow(
        key=step.key,
        label=step.label,
        status=step.status,
        human=step.human,
        task_id=step.task_id or "",
        task_status=task_statuses.get(step.task_id or "", ""),
        task_href=routes.task_detail(step.task_id) if step.task_id else "",
        started_at=iso(step.started_at) or "",
        completed_at=iso(step.completed_at) or "",
        duration=_duration(step.duration_ms),
        detail=step.detail or "",
        error=step.error or "",
        progress_message=step.progress_message or "",
        progress_percent=round(step.progress_percent or 0),
        has_percent=step.progress_percent is not None,
    )


class ProcessTimeline(rx.State, mixin=True):
    """The vars ``process_view`` reads: a process's header, progress and steps.

    Mixed into the process page's state and the process-link page's, which fill them alike.
    """

    name: str = ""
    namespace: str = ""
    description: str = ""
    status: str = ""
    started_at: str = ""
    error: str = ""
    summary: str = ""
    done: int = 0
    total: int = 0
    percent: int = 0
    steps: list[StepRow] = []
    _task_ids: list[str] = []

    def _show_timeline(self, p: Process, steps: list[StepRow]) -> None:
        """Fill the vars from the process ``p`` and its steps' rows."""
        self.name, self.status = p.name, p.status
        self.namespace = bare_namespace(p.org_id, p.namespace)
        self.description = p.description or ""
        self.started_at = iso(p.started_at) or ""
        self.error, self.summary = p.error or "", p.summary or ""
        self.steps = steps
        self.total = len(steps)
        self.done = sum(1 for s in steps if s.status == StepStatus.COMPLETED)
        self.percent = percent_of(self.done, self.total)
        self._task_ids = [s.task_id for s in steps if s.task_id]


def concerns(batch: list[Change], about: Subject, task_ids: list[str]) -> bool:
    """Whether a batch from ``follow`` calls for re-reading a process.

    It does when it is empty (a quiet wait) or its change is the process's or one of its steps' tasks'.
    """
    return not batch or batch[0].subject == about or batch[0].subject.id in task_ids


@dataclasses.dataclass
class _Shown:
    view: processes.ProcessView
    steps: list[StepRow]


def _read(org_id: str, process_id: str) -> _Shown:
    """Reads the process, its steps and its tasks' statuses (sync: run it in a thread)."""
    view = processes.get_process(org_id, process_id)
    statuses = processes.task_statuses(org_id, [s.task_id for s in view.steps if s.task_id])
    return _Shown(view, [step_row(s, statuses) for s in view.steps])


class ProcessState(ProcessTimeline, rx.State):
    """The process shown on its page."""

    found: bool = True
    loaded: bool = False
    process_id_shown: str = ""
    completed_at: str = ""

    async def _reload(self, member: Member) -> None:
        try:
            shown = await in_thread(_read, member.org_id, str(self.process_id or ""))  # the route's variable
        except NotFound:
            self.found, self.loaded = False, True
            return
        p = shown.view.process
        self.found = True
        self.process_id_shown = p.id
        self._show_timeline(p, shown.steps)
        self.completed_at = iso(p.completed_at) or ""
        self.loaded = True

    @rx.event
    async def load(self):
        """on_load: read the process, then follow its changes and its tasks'."""
        member = await acting_member(self)
        if member is None:
            return None
        self.loaded = False
        await self._reload(member)
        return ProcessState.watch if self.found else None

    @rx.event(background=True)
    async def watch(self):
        """Refresh when the process or one of its steps' tasks changes (cancelled with the on_load chain)."""
        async with self:
            member, process_id = await acting_member(self), self.process_id_shown
        if member is None:
            return
        org_id, about = member.org_id, processes.subject(process_id)
        async for batch in follow(org_id):
            async with self:
                if not concerns(batch, about, self._task_ids):
                    continue
                member = await acting_member(self)
                if member is not None and member.org_id == org_id:
                    await self._reload(member)
            if member is None or member.org_id != org_id:
                yield leave_for(self, member)
                return
