"""``/tasks/<task_id>``: one task for members — its state, answers, timeline, link and cancel."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from hpi_app import routes
from hpi_app.components.badges import status_badge
from hpi_app.components.deliveries import (
    DeliveryRow,
    delivery_list,
    delivery_rows,
    redeliver_now,
    seconds_to_next_attempt,
)
from hpi_app.components.forms import callout_if, dialog_actions, secondary_button
from hpi_app.components.layout import loading_spinner, signed_in_page
from hpi_app.components.signature import signature_script
from hpi_app.components.task_views import form_body
from hpi_app.config import settings
from hpi_app.core import delivery_log, tasks
from hpi_app.core.answers import Answer, answers
from hpi_app.core.errors import DomainError, NotFound
from hpi_app.core.events import bus
from hpi_app.core.markdown import render_markdown
from hpi_app.db import session_scope
from hpi_app.models import Task, TaskEvent, User, iso
from hpi_app.pages.task_page import TaskPageState
from hpi_app.state import SessionState

_EVENT_WORDS = {
    "created": "Created",
    "opened": "Opened",
    "code_sent": "Code emailed",
    "code_verified": "Code confirmed",
    "link_locked": "Link locked after wrong codes",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "expired": "Expired",
}


@dataclasses.dataclass
class TimelineEntry:
    """One line of a task's timeline."""

    kind: str = ""
    label: str = ""
    who: str = ""
    at: str = ""
    note: str = ""


def _people(org_id: str, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    with session_scope() as session:
        rows = session.exec(User.__table__.select().where(User.org_id == org_id, User.id.in_(ids))).all()
    return {row.id: (row.name or row.email) for row in rows}


def _timeline(task: Task, events: list[TaskEvent]) -> list[TimelineEntry]:
    names = _people(task.org_id, {e.actor for e in events if e.actor})
    out = []
    for e in events:
        who = names.get(e.actor or "", e.actor or "")
        if not who:
            who = (
                "the link holder"
                if e.kind in ("opened", "completed")
                else ("HPI" if e.kind == "expired" else "")
            )
        note = (e.detail or {}).get("reason") or ""
        out.append(
            TimelineEntry(e.kind, _EVENT_WORDS.get(e.kind, e.kind), who, iso(e.created_at) or "", note)
        )
    return out


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
    cancel_open: bool = False
    cancel_text: str = ""
    cancel_error: str = ""
    _org_id: str = ""
    _user_id: str = ""

    def _task_ref(self) -> str:
        return self.router.url.path.rstrip("/").rsplit("/", 1)[-1]

    async def _reload(self) -> None:
        try:
            task = await asyncio.to_thread(tasks.get_task, self._org_id, self._task_ref())
            events = await asyncio.to_thread(tasks.timeline, self._org_id, task.id)
        except NotFound:
            self.found, self.loaded = False, True
            return
        base = settings.public_url or f"{self.router.url.scheme}://{self.router.url.netloc}"
        self.found = True
        self.task_id_shown = task.id
        self.title = task.title
        self.status = task.status
        self.instructions_html = render_markdown(task.instructions_mdsvex or "")
        self.created_at = iso(task.created_at) or ""
        self.finished_at = iso(task.completed_at or task.cancelled_at or task.expired_at) or ""
        self.assignee = task.assignee_name or task.assignee_email or ""
        self.correlation_key = task.correlation_key or ""
        self.link_path = routes.task_page(task.link_id)
        self._link_id = task.link_id
        self.link_url = tasks.task_url(base, task.link_id)
        self.cancel_reason = task.cancel_reason or ""
        self.answer_rows = (
            await asyncio.to_thread(answers, task.steps, task.data) if task.status == "completed" else []
        )
        self.timeline = _timeline(task, events)
        self.deliveries = await asyncio.to_thread(_deliveries, self._org_id, task.id)
        self.loaded = True

    @rx.event
    async def load(self):
        """on_load: read the task, then follow its changes."""
        session = await self.get_state(SessionState)
        if not session.user_id:
            return None
        self._org_id, self._user_id = session.org_id, session.user_id
        self.loaded, self.cancel_open = False, False
        await self._reload()
        if not self.found:
            return None
        if self.status == "pending":
            # The same form as the link's page, so a member can complete the task right here.
            return [TaskDetailState.watch, TaskPageState.open_link(self._link_id)]
        return TaskDetailState.watch

    @rx.event(background=True)
    async def watch(self):
        """Refresh when this task changes (cancelled with the page's on_load chain)."""
        async with self:
            org_id, task_id = self._org_id, self.task_id_shown
        async with bus.subscribe(org_id) as changes:
            while True:
                # Deliveries report no changes of their own: look again when one is due.
                async with self:
                    wait = seconds_to_next_attempt(self.deliveries)
                change = await changes.get(timeout=wait)
                if change is None or change.task_id == task_id:
                    async with self:
                        await self._reload()

    @rx.event
    async def redeliver(self, delivery_id: str):
        """Send one of the task's deliveries again."""
        toast = await redeliver_now(self._org_id, delivery_id)
        await self._reload()
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
        """Cancel the task with the typed reason."""
        try:
            await asyncio.to_thread(
                tasks.cancel_task,
                self._org_id,
                self.task_id_shown,
                self.cancel_text.strip() or None,
                actor=self._user_id,
            )
        except DomainError as exc:
            self.cancel_error = exc.message
            return None
        self.cancel_open, self.cancel_text = False, ""
        await self._reload()
        return rx.toast.info("Task cancelled", duration=3000)


def _deliveries(org_id: str, task_id: str) -> list[DeliveryRow]:
    return delivery_rows(org_id, delivery_log.deliveries_for_task(org_id, task_id))


def _fact(label: str, value: rx.Component) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))


def _answer(row: Answer) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(row.label),
        rx.data_list.value(
            rx.cond(
                row.image != "",
                rx.image(
                    src=row.image, alt=f"Signature for {row.label}", max_height="120px", background="white"
                ),
                rx.cond(
                    row.links.length() > 0,
                    rx.vstack(
                        rx.foreach(
                            row.links, lambda url: rx.link(url.split("/")[-1], href=url, is_external=True)
                        )
                    ),
                    rx.text(row.text, white_space="pre-wrap"),
                ),
            )
        ),
        class_name="answer",
        data_field=row.name,
    )


def _timeline_entry(entry: TimelineEntry) -> rx.Component:
    return rx.hstack(
        rx.box(
            width="8px",
            height="8px",
            border_radius="50%",
            background_color=rx.color("accent", 9),
            margin_top="7px",
        ),
        rx.vstack(
            rx.hstack(
                rx.text(entry.label, weight="medium", size="2"),
                rx.cond(entry.who != "", rx.text("by ", entry.who, size="2", color_scheme="gray")),
                spacing="1",
            ),
            rx.text(rx.moment(entry.at, format="YYYY-MM-DD HH:mm:ss"), size="1", color_scheme="gray"),
            rx.cond(entry.note != "", rx.text("“", entry.note, "”", size="1", color_scheme="gray")),
            spacing="0",
        ),
        spacing="3",
        align="start",
        class_name="timeline-entry",
        data_kind=entry.kind,
    )


def _cancel_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Cancel task", color_scheme="red", variant="soft", id="cancel-task")
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Cancel this task?"),
            rx.alert_dialog.description(
                "Whoever holds the link can no longer complete it, and waiting software gets status "
                "cancelled with your reason.",
                size="2",
            ),
            rx.el.label("Reason (optional)", html_for="cancel-reason", font_size="var(--font-size-2)"),
            rx.text_area(
                id="cancel-reason",
                value=TaskDetailState.cancel_text,
                on_change=TaskDetailState.set_cancel_text,
                placeholder="Why is it no longer needed?",
            ),
            rx.cond(
                TaskDetailState.cancel_error != "",
                rx.text(TaskDetailState.cancel_error, color_scheme="red", size="2"),
            ),
            dialog_actions(
                rx.alert_dialog.cancel(secondary_button("Keep it")),
                rx.button(
                    "Cancel task",
                    color_scheme="red",
                    on_click=TaskDetailState.confirm_cancel,
                    id="confirm-cancel",
                ),
                margin_top="1em",
            ),
        ),
        open=TaskDetailState.cancel_open,
        on_open_change=TaskDetailState.open_cancel,
    )


def _instructions() -> rx.Component:
    return rx.cond(
        TaskDetailState.instructions_html != "",
        rx.box(rx.html(TaskDetailState.instructions_html), class_name="markdown", width="100%"),
    )


def _embedded_form() -> rx.Component:
    return rx.cond(
        (TaskDetailState.status == "pending") & (TaskPageState.view == "form"),
        rx.card(
            rx.vstack(
                rx.heading("Complete it here", size="3"),
                _instructions(),
                form_body(TaskPageState),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="detail-form",
        ),
    )


def _details() -> rx.Component:
    return rx.vstack(
        signature_script(),
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), rx.text("All tasks"), align="center"),
            href=routes.DASHBOARD,
            size="2",
        ),
        rx.hstack(
            rx.heading(TaskDetailState.title, size="6", id="task-title"),
            status_badge(TaskDetailState.status),
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        rx.hstack(
            rx.button(
                rx.icon("copy", size=14),
                "Copy link",
                variant="soft",
                on_click=TaskDetailState.copy_link,
                id="copy-link",
            ),
            rx.cond(
                TaskDetailState.status == "pending",
                rx.fragment(
                    rx.link(
                        rx.button(rx.icon("external-link", size=14), "Open the link's page", variant="soft"),
                        href=TaskDetailState.link_path,
                        id="open-link-page",
                    ),
                    _cancel_dialog(),
                ),
            ),
            spacing="3",
            wrap="wrap",
        ),
        _embedded_form(),
        rx.grid(
            rx.card(
                rx.vstack(
                    rx.heading("Details", size="3"),
                    rx.data_list.root(
                        _fact("Status", status_badge(TaskDetailState.status)),
                        _fact("Created", rx.moment(TaskDetailState.created_at, format="YYYY-MM-DD HH:mm")),
                        _fact(
                            "Assignee",
                            rx.text(rx.cond(TaskDetailState.assignee != "", TaskDetailState.assignee, "—")),
                        ),
                        _fact(
                            "Correlation key",
                            rx.code(
                                rx.cond(
                                    TaskDetailState.correlation_key != "",
                                    TaskDetailState.correlation_key,
                                    "—",
                                )
                            ),
                        ),
                        _fact(
                            "Link",
                            rx.text(
                                TaskDetailState.link_url, size="1", word_break="break-all", id="task-link"
                            ),
                        ),
                        _fact("Task id", rx.code(TaskDetailState.task_id_shown, size="1")),
                        orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
                    ),
                    _instructions(),
                    rx.cond(
                        TaskDetailState.status == "completed",
                        rx.vstack(
                            rx.heading("Answers", size="3"),
                            rx.data_list.root(rx.foreach(TaskDetailState.answer_rows, _answer), id="answers"),
                            width="100%",
                        ),
                    ),
                    callout_if(
                        TaskDetailState.cancel_reason, icon="ban", color_scheme="gray", title="Cancel reason"
                    ),
                    spacing="4",
                    width="100%",
                ),
            ),
            rx.vstack(
                rx.card(
                    rx.vstack(
                        rx.heading("Timeline", size="3"),
                        rx.foreach(TaskDetailState.timeline, _timeline_entry),
                        spacing="3",
                        id="timeline",
                    ),
                    width="100%",
                ),
                rx.card(
                    rx.vstack(
                        rx.heading("Deliveries", size="3"),
                        delivery_list(
                            TaskDetailState.deliveries,
                            TaskDetailState.redeliver,
                            show_task=False,
                            show_sink=True,
                            empty="No sink was told about this task yet.",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    width="100%",
                    id="task-deliveries",
                ),
                spacing="4",
                min_width="0",
            ),
            columns=rx.breakpoints(initial="1", md="3fr 2fr"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def task_detail_page() -> rx.Component:
    """The task detail page."""
    return signed_in_page(
        rx.cond(
            TaskDetailState.loaded,
            rx.cond(
                TaskDetailState.found,
                _details(),
                rx.callout(
                    "There is no such task in your organisation.",
                    icon="search-x",
                    color_scheme="gray",
                    id="task-missing",
                ),
            ),
            loading_spinner(),
        )
    )
