"""The state of the task detail page: one task of the member's organisation, kept live."""

from __future__ import annotations

import dataclasses

import reflex as rx

from hpi_app import routes
from hpi_app.components.deliveries import (
    DeliveryRow,
    delivery_rows,
    redeliver_now,
    seconds_to_next_attempt,
)
from hpi_app.core import accounts, delivery_log, tasks
from hpi_app.core.answers import Answer, answers
from hpi_app.core.errors import DomainError, NotFound
from hpi_app.core.markdown import render_markdown
from hpi_app.core.tasks.policy_text import PolicySummary, summarise
from hpi_app.models import Task, iso
from hpi_app.models import TimelineEntry as TimelineRow
from hpi_app.pages.live import follow
from hpi_app.pages.task_detail.links_state import LinkRow, link_rows
from hpi_app.pages.task_page import TaskPageState
from hpi_app.state import Member, acting_member, back_to_sign_in, in_thread, leave_for
from hpi_app.vocab import TaskStatus

_EVENT_WORDS = {
    "created": "Created",
    "opened": "Opened",
    "code_sent": "Code emailed",
    "code_verified": "Code confirmed",
    "link_locked": "Link locked after wrong codes",
    "link_created": "Link added",
    "link_revoked": "Link withdrawn",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "expired": "Expired",
    "reminded": "Reminder emailed",
    "escalated": "Escalated",
    "reminder_failed": "Reminder could not be emailed",
    "assigned": "Reassigned",
    "extended": "Expiry moved",
    "updated": "Retitled",
}


@dataclasses.dataclass
class TimelineEntry:
    """One line of a task's timeline."""

    kind: str = ""
    label: str = ""
    who: str = ""
    at: str = ""
    note: str = ""


def _timeline(task: Task, events: list[TimelineRow]) -> list[TimelineEntry]:
    """The timeline as the page shows it, naming members (sync: reads the store)."""
    names = accounts.member_names(task.org_id, {e.actor for e in events if e.actor})
    out = []
    for e in events:
        who = names.get(e.actor or "", e.actor or "")
        if not who:
            who = (
                "the link holder"
                if e.kind in ("opened", "completed")
                else ("HPI" if e.kind == "expired" else "")
            )
        note = (e.detail or {}).get("reason") or (e.detail or {}).get("assignee") or ""
        out.append(
            TimelineEntry(e.kind, _EVENT_WORDS.get(e.kind, e.kind), who, iso(e.created_at) or "", note)
        )
    return out


@dataclasses.dataclass
class _Shown:
    """Everything the page shows of one task, read in one trip to a worker thread."""

    task: Task
    instructions_html: str
    answer_rows: list[Answer]
    timeline: list[TimelineEntry]
    deliveries: list[DeliveryRow]
    links: list[LinkRow]
    policy: PolicySummary


def _read(org_id: str, task_id: str, base_url: str) -> _Shown:
    """Reads the task, its timeline and its deliveries (sync: run it in a thread)."""
    task = tasks.get_task(org_id, task_id)
    events = tasks.timeline(org_id, task.id)
    return _Shown(
        task=task,
        instructions_html=render_markdown(task.instructions_mdsvex or ""),
        answer_rows=answers(task.steps, task.data) if task.status == TaskStatus.COMPLETED else [],
        timeline=_timeline(task, events),
        deliveries=delivery_rows(org_id, delivery_log.deliveries_for_task(org_id, task.id)),
        links=link_rows(org_id, task.id, base_url),
        policy=summarise(task),
    )


class TaskDetailState(rx.State):
    """The task shown on the detail page."""

    found: bool = True
    loaded: bool = False
    task_id_shown: str = ""
    title: str = ""
    status: str = ""
    instructions_html: str = ""
    created_at: str = ""
    finished_at: str = ""
    assignee: str = ""
    correlation_key: str = ""
    link_url: str = ""
    link_path: str = ""
    _link_id: str = ""
    cancel_reason: str = ""
    answer_rows: list[Answer] = []
    timeline: list[TimelineEntry] = []
    deliveries: list[DeliveryRow] = []
    links: list[LinkRow] = []
    policy_lines: list[str] = []
    next_action: str = ""
    next_at: str = ""
    expires_at: str = ""
    reminded_count: int = 0
    escalated_count: int = 0
    cancel_open: bool = False
    cancel_text: str = ""
    cancel_error: str = ""

    async def _reload(self, member: Member) -> None:
        try:
            base = routes.public_base(self.router.url.origin)
            shown = await in_thread(
                _read, member.org_id, str(self.task_id or ""), base
            )  # the route's variable
        except NotFound:
            self.found, self.loaded = False, True
            return
        task = shown.task
        self.found = True
        self.task_id_shown = task.id
        self.title = task.title
        self.status = task.status
        self.instructions_html = shown.instructions_html
        self.created_at = iso(task.created_at) or ""
        self.finished_at = iso(task.completed_at or task.cancelled_at or task.expired_at) or ""
        self.assignee = task.assignee_name or task.assignee_email or ""
        self.correlation_key = task.correlation_key or ""
        self.link_path = routes.task_page(task.link_id)
        self._link_id = task.link_id
        self.link_url = routes.task_link(routes.public_base(self.router.url.origin), task.link_id)
        self.cancel_reason = task.cancel_reason or ""
        self.answer_rows = shown.answer_rows
        self.timeline = shown.timeline
        self.deliveries = shown.deliveries
        self.links = shown.links
        self.policy_lines, self.next_action = shown.policy.lines, shown.policy.next_action
        self.next_at, self.expires_at = iso(shown.policy.next_at) or "", iso(task.expires_at) or ""
        self.reminded_count, self.escalated_count = task.reminded_count or 0, task.escalated_count or 0
        self.loaded = True

    @rx.event
    async def load(self):
        """on_load: read the task, then follow its changes."""
        member = await acting_member(self)
        if member is None:
            return None
        self.loaded, self.cancel_open = False, False
        await self._reload(member)
        if not self.found:
            return None
        if self.status == TaskStatus.PENDING:
            # The same form as the link's page, so a member can complete the task right here.
            return [TaskDetailState.watch, TaskPageState.open_link(self._link_id)]
        return TaskDetailState.watch

    @rx.event(background=True)
    async def watch(self):
        """Refresh when this task changes (cancelled with the page's on_load chain)."""
        async with self:
            member, task_id = await acting_member(self), self.task_id_shown
        if member is None:
            return
        org_id = member.org_id

        async def until_a_delivery_is_due() -> float:
            # Deliveries report no changes of their own: look again when one is due.
            async with self:
                return seconds_to_next_attempt(self.deliveries)

        async for batch in follow(org_id, until_a_delivery_is_due):
            if batch and batch[0].subject != tasks.subject(task_id):
                continue
            async with self:
                member = await acting_member(self)
                if member is not None and member.org_id == org_id:
                    await self._reload(member)
            if member is None or member.org_id != org_id:
                yield leave_for(self, member)
                return

    @rx.event
    async def redeliver(self, delivery_id: str):
        """Send one of the task's deliveries again."""
        member = await acting_member(self)
        if member is None:
            return back_to_sign_in(self)
        toast = await redeliver_now(member.org_id, delivery_id)
        await self._reload(member)
        return toast

    @rx.event
    def copy_link(self):
        """Copy the task's link to the clipboard."""
        return [rx.set_clipboard(self.link_url), rx.toast.success("Link copied", duration=2000)]

    @rx.event
    def open_cancel(self, value: bool):
        """Open or close the cancel dialog."""
        self.cancel_open = value
        self.cancel_error = ""

    @rx.event
    def set_cancel_text(self, value: str):
        """Keep the typed cancel reason."""
        self.cancel_text = value[:2000]

    @rx.event
    async def confirm_cancel(self):
        """Cancel the task with the typed reason, as the member a fresh session check returns."""
        member = await acting_member(self)
        if member is None:
            self.cancel_open = False
            return back_to_sign_in(self)
        try:
            await in_thread(
                tasks.cancel_task,
                member.org_id,
                self.task_id_shown,
                self.cancel_text.strip() or None,
                actor=member.user_id,
            )
        except DomainError as exc:
            self.cancel_error = exc.message
            return None
        self.cancel_open, self.cancel_text = False, ""
        await self._reload(member)
        return rx.toast.info("Task cancelled", duration=3000)
