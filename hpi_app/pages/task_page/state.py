"""The states of the task page: opening a link (``TaskPageState``) and its code step (``LinkCodeState``).

A link for an external assignee (``requires_otp``) shows the code step first unless the browser
holds the link's grant cookie or a member of the task's organisation is signed in (SPEC §8). A
withdrawn or expired link shows its own page; each of a task's links opens the same form.
Everything else the page shows, the form included, is ``TaskFormState``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

import reflex as rx

from hpi_app import routes
from hpi_app.components.task_form.state import TRY_AGAIN, TaskFormState
from hpi_app.core import link_codes, links, tasks
from hpi_app.core.errors import Conflict, NotFound
from hpi_app.core.link_codes import CodeRefused, CodeStatus
from hpi_app.state import acting_member, in_thread
from hpi_app.vocab import TaskStatus

log = logging.getLogger(__name__)

CODE_INPUT_ID = "code"


class TaskPageState(rx.State):
    """Opens a task link: finds the task and shows its form, its code step or a dead-link page."""

    @rx.event
    async def load(self):
        """on_load: find the task behind the link and show its form or the right dead-link page."""
        view = await self._open(str(self.link_id or ""))  # the route's dynamic part
        if view == "code":
            return LinkCodeState.count_down
        return TaskFormState.watch if view == "form" else None

    @rx.event
    async def open_link(self, link_id: str):
        """Show the form of the task behind ``link_id`` inside another page (the task detail).

        There a signed-in member of the task's organisation completes the task itself, so the
        link's own state (withdrawn, expired, its code) does not matter.
        """
        await self._open(link_id, embedded=True)

    async def _open(self, link_id: str, *, embedded: bool = False) -> str:
        """Shows the page of ``link_id`` afresh (a new visit, or another link in the same tab).

        Returns:
            The view now showing (``form``, ``code``, a final status, ``withdrawn``,
            ``link_expired``, ``unknown`` or ``error``).
        """
        form = await self.get_state(TaskFormState)
        form.reset()
        try:
            me = await acting_member(self)
            opened = await in_thread(links.resolve, link_id)
        except NotFound:
            form.view = "unknown"
            return form.view
        except Exception:
            log.exception("Could not load the task behind a link")
            form.view = "error"
            return form.view
        link, task = opened.link, opened.task
        state = links.opening_state(opened)
        member = me is not None and me.org_id == task.org_id
        # Only a member may open a link "embedded" (any browser can send this event): for anyone
        # else the link's own state and checks apply, as on its page.
        embedded = embedded and member
        if embedded and task.status == TaskStatus.PENDING:
            state = "open"
        if state in (links.WITHDRAWN, links.LINK_EXPIRED):
            form.view = state  # the task's title stays hidden: the link no longer admits anyone
            return form.view
        if state != "open":
            form._show_finished(task)
            return form.view
        form.title = task.title
        coded = link.requires_otp and not await self._holds_grant(link_id)
        if coded and not member:
            form.sign_in_href = routes.login(routes.task_page(link_id))
            code = await self.get_state(LinkCodeState)
            try:
                await code.prepare(link_id, self.router.url.query_parameters.get("code_error", ""))
            except Exception:
                log.exception("Could not read the code state of a link")
                form.view = "error"
                return form.view
            form.view = "code"
            return form.view
        holder = links.holder_actor(link)
        form._opened_as(task.org_id if member else "", member_only=embedded or coded, link_actor=holder)
        actor = me.email if me is not None and member else holder
        try:
            form._show_form(
                task,
                routes.public_base(self.router.url.origin),
                link=None if embedded else link.id,
            )
        except Exception:
            log.exception("Could not show the form of task %s", task.id)
            form.view = "error"
            return form.view
        try:
            await in_thread(tasks.record_opened, task, actor)
            if not embedded and link.opened_at is None:
                await in_thread(links.record_opened, link.id)
        except Exception:
            log.exception("Could not record that task %s was opened", task.id)
        return form.view

    async def _holds_grant(self, link_id: str) -> bool:
        """Whether this browser confirmed the link's one-time code (its grant cookie is live)."""
        grant = link_codes.grant_in_cookies(link_id, self.router.headers.cookie or "")
        return bool(grant) and await in_thread(link_codes.grant_allows, link_id, grant)


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
    _reload_when_closed: bool = False  # a process link's page: reload it to show why it closed

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

    async def prepare(self, link_id: str, reason: str, *, reload_when_closed: bool = False) -> None:
        """Shows where the link stands; ``reason`` is why ``/auth/link-code`` sent the person back.

        ``reload_when_closed``: on a page other than the task page (a process link's), a link found
        withdrawn or expired meanwhile reloads the page, which then says so.
        """
        self.reset()
        self.link = link_id
        self._reload_when_closed = reload_when_closed
        self._show(await in_thread(link_codes.code_status, link_id), reason)

    @rx.event
    async def send(self):
        """Email me a code / Send a new code."""
        if self.sending or self.locked or not self.link:
            return
        self.sending = True
        self.error = self.notice = ""
        yield
        base_url = routes.public_base(self.router.url.origin)
        refusal: CodeRefused | None = None
        try:
            try:
                status = await in_thread(link_codes.send_code, self.link, base_url)
            except CodeRefused as exc:
                refusal = exc
                status = await in_thread(link_codes.code_status, self.link)
        except (NotFound, Conflict):
            self.sending = False
            if self._reload_when_closed:
                yield rx.call_script("window.location.reload()")
                return
            page = await self.get_state(TaskPageState)
            await page._open(self.link)  # finished meanwhile: show that page instead
            return
        except Exception:
            log.exception("Could not send a code for a link")
            self.error = TRY_AGAIN
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
