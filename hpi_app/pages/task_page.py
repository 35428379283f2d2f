"""``/t/<link_id>``: the task page for whoever holds the link (SPEC §6).

The task's spec is turned into render-ready steps (``components.task_form``) when the page
loads; the form keeps its values in typed maps and is checked step by step with the same
rules the server applies (``submission.validate_submission``). Submitting calls the core's
``complete_task``, which decides between concurrent submissions.

A task for an external assignee (``requires_otp``) shows the code step first (``LinkCodeState``)
unless the browser holds the link's grant cookie or a member of the task's organisation is
signed in (SPEC §8).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import reflex as rx

from hpi_app import routes
from hpi_app.components import form_values, task_form
from hpi_app.components.code_view import CODE_INPUT_ID, code_view
from hpi_app.components.form_values import AnswerView, FormValues
from hpi_app.components.task_form import StepView
from hpi_app.components.task_views import dead_link_view, done_view, form_view, loading_view
from hpi_app.config import settings
from hpi_app.core import files, link_codes, tasks
from hpi_app.core.errors import Conflict, DomainError, NotFound
from hpi_app.core.events import bus
from hpi_app.core.link_codes import CodeRefused, CodeStatus
from hpi_app.core.markdown import render_markdown
from hpi_app.models import Task
from hpi_app.spec import Step, SubmissionError, iter_fields, load_steps, validate_submission
from hpi_app.state import SessionState

log = logging.getLogger(__name__)

_UPLOAD_FOLDER = "task-uploads"
_TRY_AGAIN = "Something went wrong on our side. Please try again in a moment."


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _when(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%-d %b %Y, %H:%M UTC")


class TaskPageState(rx.State):
    """One visitor's view of a task link: which page shows, the form's values and errors."""

    view: str = "loading"
    title: str = ""
    instructions_html: str = ""
    deadline: str = ""
    finished_at: str = ""
    lost_race: bool = False
    steps: list[StepView] = []
    step_index: int = 0
    texts: dict[str, str] = {}
    flags: dict[str, bool] = {}
    lists: dict[str, list[str]] = {}
    ratings: dict[str, int] = {}
    errors: dict[str, str] = {}
    notice: str = ""
    busy: bool = False
    uploading_field: str = ""
    answers: list[AnswerView] = []
    sign_in_href: str = ""

    _task_id: str = ""
    _org_id: str = ""
    _link: str = ""
    _spec: list[dict[str, Any]] = []
    _kinds: dict[str, str] = {}
    _signed_at: dict[str, str] = {}
    _actor: str | None = None
    _base_url: str = ""

    @rx.var
    def step_count(self) -> int:
        """How many steps the task has."""
        return len(self.steps)

    @rx.var
    def on_last_step(self) -> bool:
        """Whether the current step is the last one."""
        return self.step_index >= len(self.steps) - 1

    @rx.var
    def progress(self) -> int:
        """How far along the form is, in percent (the current step counts as reached)."""
        return round(100 * (self.step_index + 1) / len(self.steps)) if self.steps else 0

    @rx.var
    def step_title(self) -> str:
        """The current step's title."""
        return self.steps[self.step_index].title if 0 <= self.step_index < len(self.steps) else ""

    def _steps(self) -> list[Step]:
        return load_steps(self._spec)

    def _values(self) -> FormValues:
        return FormValues(
            texts=dict(self.texts), flags=dict(self.flags), lists=dict(self.lists), ratings=dict(self.ratings)
        )

    def _link_for(self, url: str) -> str:
        return task_form.file_link(url, self._link, {urlsplit(self._base_url).netloc})

    def _show_finished(self, task: Task) -> None:
        """Shows the page of a link whose task is no longer pending."""
        self.view = task.status if task.status in ("completed", "cancelled", "expired") else "unknown"
        self.title = task.title
        moment = {
            "completed": ("Completed", task.completed_at),
            "cancelled": ("Cancelled", task.cancelled_at),
            "expired": ("Expired", task.expired_at or task.expires_at),
        }.get(task.status)
        self.finished_at = f"{moment[0]} {_when(moment[1])}" if moment and moment[1] else ""
        self.busy = False

    @rx.event
    async def load(self):
        """on_load: find the task behind the link and show its form or the right dead-link page."""
        await self._open(str(self.link_id or ""))  # the route's dynamic part
        if self.view == "code":
            return LinkCodeState.count_down
        return TaskPageState.watch if self.view == "form" else None

    @rx.event(background=True)
    async def watch(self):
        """While the form is open, show the right page at once if the task is finished elsewhere."""
        async with self:
            org_id, task_id, link = self._org_id, self._task_id, self._link
        if not task_id:
            return
        async with bus.subscribe(org_id) as changes:
            while True:
                change = await changes.get(timeout=60)
                if change is not None and not (change.task_id == task_id and change.terminal):
                    continue
                task = await asyncio.to_thread(tasks.get_task_by_link, link)
                if task.status == "pending":
                    continue
                async with self:
                    if self.view == "form" and not self.busy and self._task_id == task_id:
                        self._show_finished(task)
                return

    @rx.event
    async def open_link(self, link_id: str):
        """Show the form of the task behind ``link_id`` inside another page (the task detail)."""
        await self._open(link_id)

    async def _open(self, link_id: str) -> None:
        self.reset()  # a new visit (or another link in the same tab) starts afresh
        session = await self.get_state(SessionState)
        try:
            await session.refresh()
            task = await asyncio.to_thread(tasks.get_task_by_link, link_id)
        except NotFound:
            self.view = "unknown"
            return
        except Exception:
            log.exception("Could not load the task behind a link")
            self.view = "error"
            return
        if task.status != "pending":
            self._show_finished(task)
            return
        member = session.signed_in and session.org_id == task.org_id
        self.title = task.title
        if task.requires_otp and not member and not await self._holds_grant(link_id):
            self.sign_in_href = routes.login(routes.task_page(link_id))
            code = await self.get_state(LinkCodeState)
            try:
                await code.prepare(link_id, self.router.url.query_parameters.get("code_error", ""))
            except Exception:
                log.exception("Could not read the code state of a link")
                self.view = "error"
                return
            self.view = "code"
            return
        self._task_id, self._org_id, self._link = task.id, task.org_id, task.link_id
        self._actor = session.email if member else (task.assignee_email or None)
        self._base_url = settings.public_url or self.router.url.origin
        try:
            self._show_form(task)
        except Exception:
            log.exception("Could not show the form of task %s", task.id)
            self.view = "error"
            return
        try:
            await asyncio.to_thread(tasks.record_opened, task, self._actor)
        except Exception:
            log.exception("Could not record that task %s was opened", task.id)

    async def _holds_grant(self, link_id: str) -> bool:
        """Whether this browser confirmed the link's one-time code (its grant cookie is live)."""
        grant = link_codes.grant_in_cookies(link_id, self.router.headers.cookie or "")
        return bool(grant) and await asyncio.to_thread(link_codes.grant_allows, link_id, grant)

    def _show_form(self, task: Task) -> None:
        """Fills the form from the task's spec: steps, default values, instructions."""
        self._spec = list(task.steps)
        steps = self._steps()
        self._kinds = {field.name: field.kind for field in iter_fields(steps)}
        values = form_values.initial_values(steps)
        self.texts = values.texts
        self.flags = values.flags
        self.lists = values.lists
        self.ratings = values.ratings
        self._signed_at = {name: _now_iso() for name, kind in self._kinds.items() if kind == "signature"}
        self.instructions_html = render_markdown(task.instructions_mdsvex or "")
        self.deadline = _when(task.expires_at)
        self.steps = task_form.step_views(steps, self._link_for)
        self.view = "form"

    def _accepts(self, name: str, *kinds: str) -> bool:
        return self.view == "form" and not self.busy and self._kinds.get(name) in kinds

    def _changed(self, name: str) -> None:
        self.errors.pop(name, None)

    @rx.event
    def set_text(self, name: str, value: str):
        """A text-like field (text, choice, date, number, range) changed."""
        if self._accepts(name, *form_values.TEXT_KINDS):
            self.texts[name] = str(value)
            self._changed(name)

    @rx.event
    def set_range(self, name: str, value: float):
        """A slider moved."""
        if self._accepts(name, "range"):
            self.texts[name] = task_form.number_text(value)
            self._changed(name)

    @rx.event
    def set_flag(self, name: str, checked: bool):
        """A checkbox was ticked or cleared."""
        if self._accepts(name, "checkbox"):
            self.flags[name] = checked is True
            self._changed(name)

    @rx.event
    def toggle_choice(self, name: str, value: str, checked: bool):
        """An option of a multiselect was ticked or cleared."""
        if not self._accepts(name, "multiselect"):
            return
        chosen = [v for v in self.lists.get(name, []) if v != value]
        self.lists[name] = [*chosen, value] if checked is True else chosen
        self._changed(name)

    @rx.event
    def set_rating(self, name: str, rating: int):
        """A star of a rating was clicked."""
        if self._accepts(name, "rating"):
            self.ratings[name] = int(rating)
            self._changed(name)

    @rx.event
    def set_signature(self, name: str, data_url: str):
        """A stroke of a signature ended (or the pad was cleared: ``""``)."""
        if self._accepts(name, "signature"):
            self.texts[name] = data_url if data_url.startswith("data:image/png;base64,") else ""
            self._signed_at[name] = _now_iso()
            self._changed(name)

    @rx.event
    def remove_file(self, name: str, url: str):
        """An uploaded file was removed from a file field."""
        if self._accepts(name, "file"):
            self.lists[name] = [u for u in self.lists.get(name, []) if u != url]
            self._changed(name)

    @rx.event
    def files_rejected(self, name: str, rejected: list[dict[str, Any]]):
        """The browser refused dropped files (type, size or count)."""
        if not self._accepts(name, "file"):
            return
        codes = {str(e.get("code", "")) for item in rejected for e in (item.get("errors") or [])}
        field = next(f for f in iter_fields(self._steps()) if f.name == name)
        if "file-too-large" in codes:
            self.errors[name] = (
                f"That file is too large: the limit is {task_form.size_text(field.max_file_size)}."
            )
        elif "too-many-files" in codes:
            self.errors[name] = f"Too many files: upload at most {field.max_files}."
        elif "file-invalid-type" in codes:
            self.errors[name] = f"That type of file isn't accepted here. Accepted: {field.accept}."
        else:
            self.errors[name] = "That file couldn't be added. Try another file."

    @rx.event
    async def upload_files(self, files_in: list[rx.UploadFile], name: str):
        """Files chosen for a file field: store them for the task's organisation and list their URLs."""
        if not self._accepts(name, "file") or not files_in:
            return
        field = next(f for f in iter_fields(self._steps()) if f.name == name)
        already = list(self.lists.get(name, []))
        problem = form_values.upload_problem(field, files_in, len(already))
        if problem:
            self.errors[name] = problem
            return
        try:
            task = await asyncio.to_thread(tasks.get_task_by_link, self._link)
        except NotFound:
            self.view = "unknown"
            return
        if task.status != "pending":
            self._show_finished(task)
            return
        self.uploading_field = name
        yield
        urls = []
        try:
            for upload in files_in:
                record = await asyncio.to_thread(
                    files.save_upload,
                    self._org_id,
                    None,
                    upload.name or "file",
                    upload.content_type,
                    upload.file,
                    folder=_UPLOAD_FOLDER,
                )
                urls.append(f"{self._base_url.rstrip('/')}/api/v1/files/{record.key}")
        except DomainError as exc:
            self.errors[name] = exc.message
        except Exception:
            log.exception("Could not store an upload for task %s", self._task_id)
            self.errors[name] = "The file couldn't be uploaded. Please try again."
        else:
            self._changed(name)
        finally:
            self.uploading_field = ""
        self.lists[name] = [*already, *urls]

    def _check_step(self, step_id: str) -> bool:
        """Checks one step's answers with the server's rules; shows each problem beside its field."""
        steps = self._steps()
        data = form_values.collect_data(steps, self._values(), self._signed_at, only_step=step_id)
        step = next(s for s in steps if s.id == step_id)
        for field in iter_fields([step]):
            self.errors.pop(field.name, None)
        try:
            validate_submission(steps, data, only_step=step_id)
        except SubmissionError as exc:
            self._show_errors(exc.details)
            return False
        return True

    def _show_errors(self, details: list[dict[str, str]]) -> None:
        for detail in details:
            name = detail.get("field", "").removeprefix("data.")
            if name in self._kinds:
                self.errors[name] = detail.get("message", "Check this answer")
            else:
                self.notice = detail.get("message", "Some answers need attention.")

    def _first_step_with_error(self) -> int:
        for index, step in enumerate(self.steps):
            if any(block.type == "input" and block.field.name in self.errors for block in step.blocks):
                return index
        return self.step_index

    @rx.event
    def next_step(self):
        """Next: check this step, then move on (or stay and point at what needs attention)."""
        if self.view != "form" or self.busy or self.on_last_step:
            return None
        if not self._check_step(self.steps[self.step_index].id):
            return _FOCUS_FIRST_ERROR
        self.step_index += 1
        return _SCROLL_TOP

    @rx.event
    def previous_step(self):
        """Back: return to the previous step; the answers stay."""
        if self.view != "form" or self.busy or self.step_index == 0:
            return None
        self.step_index -= 1
        return _SCROLL_TOP

    @rx.event
    async def submit(self):
        """Submit: check the last step, then hand every answer to the core, which validates again."""
        if self.view != "form" or self.busy or not self.steps:
            return
        self.notice = ""
        if not self._check_step(self.steps[self.step_index].id):
            yield _FOCUS_FIRST_ERROR
            return
        self.busy = True
        yield
        steps = self._steps()
        data = form_values.collect_data(steps, self._values(), self._signed_at)
        try:
            task = await asyncio.to_thread(tasks.complete_task, self._task_id, data, actor=self._actor)
        except Conflict as exc:
            await self._after_conflict(exc)
            return
        except DomainError as exc:
            self.busy = False
            self._show_errors(exc.details)
            if not exc.details:
                self.notice = exc.message
            self.step_index = self._first_step_with_error()
            yield _FOCUS_FIRST_ERROR
            return
        except Exception:
            log.exception("Could not complete task %s", self._task_id)
            self.busy = False
            self.notice = _TRY_AGAIN
            return
        self.answers = form_values.answer_views(steps, task.data or {}, self._link_for)
        self.finished_at = _when(task.completed_at)
        self.view = "done"
        self.busy = False
        yield _SCROLL_TOP

    async def _after_conflict(self, exc: Conflict) -> None:
        """Someone else finished the task first (or it was cancelled or expired meanwhile)."""
        try:
            task = await asyncio.to_thread(tasks.get_task_by_link, self._link)
        except Exception:
            log.exception("Could not reload task %s after a conflict", self._task_id)
            self.view = {"task_cancelled": "cancelled", "task_expired": "expired"}.get(exc.code, "completed")
            self.busy = False
            return
        self.lost_race = task.status == "completed"
        self._show_finished(task)


_SCROLL_TOP = rx.call_script("window.scrollTo({top: 0, behavior: 'smooth'})")
# Bring the first field that needs attention into view; focus it unless the person is already
# typing in a field (the script runs after the server's answer, so it must not steal focus).
_FOCUS_FIRST_ERROR = rx.call_script(
    "setTimeout(() => {"
    " const block = document.querySelector('[data-invalid=\"true\"]');"
    " if (!block) return;"
    " block.scrollIntoView({block: 'center', behavior: 'smooth'});"
    " const active = document.activeElement;"
    " if (active && active.matches('input, textarea, [role=combobox], [contenteditable=true]')) return;"
    " const control = block.querySelector('input:not([type=hidden]):not([aria-hidden=true]), textarea,"
    " button[role=combobox], button[role=radio], button[role=checkbox]');"
    " if (control) control.focus({preventScroll: true});"
    "}, 50)"
)


class LinkCodeState(rx.State):
    """The code step of an external assignee's link: who it is for, the code sent, the countdown."""

    link: str = ""
    masked_email: str = ""
    code_sent: bool = False
    locked: bool = False
    resend_in: int = 0
    error: str = ""
    notice: str = ""
    sending: bool = False

    _resend_at: float = 0.0
    _countdowns: int = 0

    def _show(self, status: CodeStatus, reason: str = "") -> None:
        self.masked_email = status.masked_email
        self.locked = status.locked_for > 0
        self.code_sent = status.code_sent and not self.locked
        self.resend_in = status.resend_in
        self._resend_at = time.time() + status.resend_in
        # The reason comes from the URL, so it may be stale (a reload later): show it only while
        # it still matches the link's state.
        if self.locked:
            reason = "link_locked"
        elif status.code_expired:
            reason = "code_expired"
        elif reason not in (_REASONS_WITH_CODE if self.code_sent else _REASONS_WITHOUT_CODE):
            reason = ""
        self.error = link_codes.message_for(reason, status) if reason else ""

    async def prepare(self, link_id: str, reason: str) -> None:
        """Shows where the link stands; ``reason`` is why ``/auth/link-code`` sent the person back."""
        self.reset()
        self.link = link_id
        self._show(await asyncio.to_thread(link_codes.code_status, link_id), reason)

    @rx.event
    async def send(self):
        """Email me a code / Send a new code."""
        if self.sending or self.locked or not self.link:
            return
        self.sending = True
        self.error = self.notice = ""
        yield
        base_url = settings.public_url or self.router.url.origin
        refusal: CodeRefused | None = None
        try:
            try:
                status = await asyncio.to_thread(link_codes.send_code, self.link, base_url)
            except CodeRefused as exc:
                refusal = exc
                status = await asyncio.to_thread(link_codes.code_status, self.link)
        except (NotFound, Conflict):
            self.sending = False
            page = await self.get_state(TaskPageState)
            await page._open(self.link)  # finished meanwhile: show that page instead
            return
        except Exception:
            log.exception("Could not send a code for a link")
            self.error = _TRY_AGAIN
            self.sending = False
            return
        self._show(status)
        if refusal is None:
            self.notice = f"Code sent to {status.masked_email}. Check your inbox."
            yield rx.call_script(
                f"setTimeout(() => document.getElementById('{CODE_INPUT_ID}')?.focus(), 100)"
            )
        elif refusal.code == "resend_too_soon":
            self.notice = refusal.message
        else:
            self.error = refusal.message
        self.sending = False
        yield LinkCodeState.count_down

    @rx.event(background=True)
    async def count_down(self):
        """Counts the seconds until another code may be sent (the newest countdown wins)."""
        async with self:
            self._countdowns += 1
            mine = self._countdowns
        while True:
            await asyncio.sleep(1)
            async with self:
                if self._countdowns != mine or self.resend_in <= 0:
                    return
                self.resend_in = max(0, math.ceil(self._resend_at - time.time()))


# Why /auth/link-code sent a person back (``?code_error=``), by whether a code is waiting.
_REASONS_WITH_CODE = ("code_wrong", "code_malformed")
_REASONS_WITHOUT_CODE = ("no_code",)


def task_page() -> rx.Component:
    """The page behind a task's link."""
    return rx.box(
        rx.match(
            TaskPageState.view,
            ("loading", loading_view()),
            ("form", form_view(TaskPageState)),
            ("done", done_view(TaskPageState)),
            ("code", code_view(TaskPageState, LinkCodeState)),
            ("completed", dead_link_view(TaskPageState, "completed")),
            ("cancelled", dead_link_view(TaskPageState, "cancelled")),
            ("expired", dead_link_view(TaskPageState, "expired")),
            ("error", dead_link_view(TaskPageState, "error")),
            dead_link_view(TaskPageState, "unknown"),
        ),
        min_height="100vh",
        background_color=rx.color("gray", 2),
    )
