"""The task form's state: which view of a task shows, the form's values, errors and submission.

The task page (``pages.task_page``) finds the task behind a link (any of its links) and hands it
to ``_show_form`` or ``_show_finished``; the task detail page embeds the same form. Values live in
typed maps (``values``), checked step by step with the server's rules; submitting calls the core's
``complete_task`` through the link opened, which decides between concurrent submissions.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import reflex as rx

from hpi_app import routes
from hpi_app.components.task_form import values as form_values
from hpi_app.components.task_form.opened_as import OpenedAsMember
from hpi_app.components.task_form.scripts import FOCUS_FIRST_ERROR, SCROLL_TOP
from hpi_app.components.task_form.views import StepView, file_link, now_iso, step_views, when_text
from hpi_app.core import files, links, tasks
from hpi_app.core.answers import Answer, answers, number_text
from hpi_app.core.errors import Conflict, DomainError, NotFound
from hpi_app.core.events import bus
from hpi_app.core.markdown import render_markdown
from hpi_app.models import Task
from hpi_app.spec import Step, SubmissionError, iter_fields, load_steps, validate_submission
from hpi_app.state import back_to_sign_in, in_thread
from hpi_app.vocab import FINAL_STATUSES, TaskStatus

log = logging.getLogger(__name__)

_UPLOAD_FOLDER = "task-uploads"
TRY_AGAIN = "Something went wrong on our side. Please try again in a moment."

# When a link's task reached its final state, by status: the words for it and the moment.
_FINISHED = {
    TaskStatus.COMPLETED: ("Completed", lambda task: task.completed_at),
    TaskStatus.CANCELLED: ("Cancelled", lambda task: task.cancelled_at),
    TaskStatus.EXPIRED: ("Expired", lambda task: task.expired_at or task.expires_at),
}


class TaskFormState(OpenedAsMember, rx.State):
    """One visitor's view of a task: which view shows, the form's values and errors."""

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
    answers: list[Answer] = []
    sign_in_href: str = ""

    _task_id: str = ""
    _org_id: str = ""
    _link: str = ""
    _through_link: str = ""
    _spec: list[dict[str, Any]] = []
    _kinds: dict[str, str] = {}
    _signed_at: dict[str, str] = {}
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
        return load_steps(form_values.plain_data(self._spec))

    def _values(self) -> form_values.FormValues:
        return form_values.FormValues(
            texts=dict(self.texts), flags=dict(self.flags), lists=dict(self.lists), ratings=dict(self.ratings)
        )

    def _link_for(self, url: str) -> str:
        return file_link(url, self._link, {urlsplit(self._base_url).netloc})

    def _show_finished(self, task: Task) -> None:
        """Shows the page of a link whose task is no longer pending."""
        self.view = task.status if task.status in FINAL_STATUSES else "unknown"
        self.title = task.title
        finished = _FINISHED.get(task.status)
        moment = finished[1](task) if finished else None
        self.finished_at = f"{finished[0]} {when_text(moment)}" if finished and moment else ""
        self.busy = False

    def _show_form(self, task: Task, base_url: str, link: str | None = None) -> None:
        """Fills the form from the task's spec; ``link``, the link opened, is checked at upload and submit.

        Who answers is noted first, with ``_opened_as``.
        """
        self._task_id, self._org_id = task.id, task.org_id
        self._link, self._through_link = link or task.link_id, link or ""
        self._base_url = base_url
        self._spec = list(task.steps)
        steps = self._steps()
        self._kinds = {field.name: field.kind for field in iter_fields(steps)}
        values = form_values.initial_values(steps)
        self.texts = values.texts
        self.flags = values.flags
        self.lists = values.lists
        self.ratings = values.ratings
        self._signed_at = {name: now_iso() for name, kind in self._kinds.items() if kind == "signature"}
        self.instructions_html = render_markdown(task.instructions_mdsvex or "")
        self.deadline = when_text(task.expires_at)
        self.steps = step_views(steps, self._link_for)
        self.view = "form"

    @rx.event(background=True)
    async def watch(self):
        """While the form is open, show the right page at once if the task is finished elsewhere."""
        async with self:
            org_id, task_id, link, through = self._org_id, self._task_id, self._link, self._through_link
        if not task_id:
            return
        async with bus.subscribe(org_id) as changes:
            while True:
                change = await changes.get(timeout=60)  # a link's expiry announces nothing: look anyway
                if change is not None and not (
                    change.subject == tasks.subject(task_id)
                    and (change.terminal or change.kind == _LINK_WITHDRAWN)
                ):
                    continue
                opened = await in_thread(links.resolve, link)
                if links.closed_state(opened, bool(through)) is None:
                    continue
                async with self:
                    if self.view == "form" and not self.busy and self._task_id == task_id:
                        self._show_closed(opened)
                return

    def _show_closed(self, opened: links.OpenedLink) -> bool:
        """Shows the page of a withdrawn or expired link or of a finished task; False while open."""
        state = links.closed_state(opened, bool(self._through_link))
        if state in (links.WITHDRAWN, links.LINK_EXPIRED):
            self.view, self.busy = state, False
        elif state is not None:
            self._show_finished(opened.task)
        return state is not None

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
            self.texts[name] = number_text(value)
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
            self._signed_at[name] = now_iso()
            self._changed(name)

    @rx.event
    async def remove_file(self, name: str, url: str):
        """An uploaded file was removed from a file field: it is deleted from the store too."""
        if self._accepts(name, "file") and url in self.lists.get(name, []):
            self.lists[name] = [u for u in self.lists[name] if u != url]
            self._changed(name)
            await in_thread(files.discard_task_upload, self._task_id, url)

    @rx.event
    def files_rejected(self, name: str, rejected: list[dict[str, Any]]):
        """The browser refused dropped files (type, size or count)."""
        if self._accepts(name, "file"):
            field = next(f for f in iter_fields(self._steps()) if f.name == name)
            self.errors[name] = form_values.rejection_message(field, rejected)

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
            if self._show_closed(await in_thread(links.resolve, self._link)):
                return
        except NotFound:
            self.view = "unknown"
            return
        if not (await self._acting_as())[0]:
            yield back_to_sign_in(self)
            return
        self.uploading_field = name
        yield
        urls = []
        try:
            for upload in files_in:
                record = await in_thread(
                    files.save_upload,
                    self._org_id,
                    None,
                    upload.name or "file",
                    upload.content_type,
                    upload.file,
                    folder=_UPLOAD_FOLDER,
                    task_id=self._task_id,
                )
                urls.append(routes.file_url(self._base_url, record.key))
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
            return FOCUS_FIRST_ERROR
        self.step_index += 1
        return SCROLL_TOP

    @rx.event
    def previous_step(self):
        """Back: return to the previous step; the answers stay."""
        if self.view != "form" or self.busy or self.step_index == 0:
            return None
        self.step_index -= 1
        return SCROLL_TOP

    @rx.event
    async def submit(self):
        """Submit: check the last step, then hand every answer to the core, which validates again."""
        if self.view != "form" or self.busy or not self.steps:
            return
        self.notice = ""
        if not self._check_step(self.steps[self.step_index].id):
            yield FOCUS_FIRST_ERROR
            return
        self.busy = True
        yield
        may, actor = await self._acting_as()
        if not may:
            self.busy = False
            yield back_to_sign_in(self)
            return
        data = form_values.collect_data(self._steps(), self._values(), self._signed_at)
        try:
            task = await in_thread(
                tasks.complete_task,
                self._task_id,
                data,
                actor=actor,
                through_link=self._through_link or None,
            )
        except Conflict as exc:
            await self._after_conflict(exc)
            return
        except DomainError as exc:
            self.busy = False
            self._show_errors(exc.details)
            if not exc.details:
                self.notice = exc.message
            self.step_index = self._first_step_with_error()
            yield FOCUS_FIRST_ERROR
            return
        except Exception:
            log.exception("Could not complete task %s", self._task_id)
            self.busy = False
            self.notice = TRY_AGAIN
            return
        self.answers = answers(form_values.plain_data(self._spec), task.data, link=self._link_for)
        self.finished_at = when_text(task.completed_at)
        self.view = "done"
        self.busy = False
        yield SCROLL_TOP

    async def _after_conflict(self, exc: Conflict) -> None:
        """Someone else finished the task first (or it was cancelled or expired, or the link withdrawn)."""
        if exc.extra.get("link_state"):  # the link was withdrawn or expired: the task is untouched
            self.view, self.busy = exc.extra["link_state"], False
            return
        try:
            task = await in_thread(tasks.get_task_by_link, self._link)
        except Exception:
            log.exception("Could not reload task %s after a conflict", self._task_id)
            self.view = {"task_cancelled": "cancelled", "task_expired": "expired"}.get(exc.code, "completed")
            self.busy = False
            return
        self.lost_race = task.status == TaskStatus.COMPLETED
        self._show_finished(task)


_LINK_WITHDRAWN = tasks.TASK.event_name("link_revoked")
