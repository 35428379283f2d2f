"""The state of a process link's page: the process's timeline read-only, live, and the holder's own tasks.

A link that asks for a code (SPEC §8) shows the code step first (``LinkCodeState`` of the task
page) unless the browser holds the link's grant or a member of the process's organisation is
signed in. Each human step's task that is the holder's (a task link for the link's email) opens
by that task link; other people's tasks show their status only. A withdrawn, expired or unknown
link shows its own page, also when it is withdrawn or runs out while open.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from contextlib import aclosing

import reflex as rx

from hpi_app import routes
from hpi_app.core import link_codes, links, process_links, processes
from hpi_app.core.errors import NotFound
from hpi_app.pages.live import IDLE_RECHECK_SECONDS, follow
from hpi_app.pages.processes.detail_state import ProcessTimeline, StepRow, concerns, step_row
from hpi_app.pages.task_page import LinkCodeState
from hpi_app.state import acting_member, in_thread

log = logging.getLogger(__name__)

YOUR_TASK = "Open your task"
ANOTHERS_TASK = "Another person's task"


@dataclasses.dataclass
class _Shown:
    """What the page shows of an open link (``state`` is ``open``), or why it does not (``state``)."""

    state: str
    process: processes.ProcessView | None = None
    steps: list[StepRow] = dataclasses.field(default_factory=list)
    expires_at: float | None = None


def _read(link_id: str) -> _Shown:
    """Opens the link and reads its process, with the holder's tasks linked (sync: run it in a thread).

    Raises:
        NotFound: No such process link.
    """
    opened = process_links.resolve(link_id)
    state = process_links.opening_state(opened)
    if state != "open":
        return _Shown(state)
    link, process = opened.link, opened.process
    view = processes.get_process(process.org_id, process.id)
    task_ids = [s.task_id for s in view.steps if s.task_id]
    statuses = processes.task_statuses(process.org_id, task_ids)
    theirs = process_links.holder_task_links(link, task_ids)
    rows = []
    for step in view.steps:
        row = step_row(step, statuses)
        own = theirs.get(step.task_id or "")
        row.task_href = routes.task_page(own) if own else ""
        row.task_label = YOUR_TASK if own else ANOTHERS_TASK
        rows.append(row)
    expires = link.expires_at.timestamp() if link.expires_at is not None else None
    return _Shown("open", view, rows, expires)


class ProcessLinkState(ProcessTimeline, rx.State):
    """A process link's page; ``view``: loading, timeline, code, withdrawn, link_expired, unknown, error."""

    view: str = "loading"
    for_whom: str = ""
    sign_in_href: str = ""
    _link_id: str = ""
    _org_id: str = ""
    _process_id: str = ""
    _expires_at: float = 0.0
    _member_org: str = ""  # set when membership stood in for the link's code: checked at each refresh

    def _show(self, shown: _Shown) -> None:
        if shown.process is None:
            self.view = shown.state  # withdrawn or link_expired: the process stays private
            self.name = self.description = ""
            self.steps = []
            return
        p = shown.process.process
        self._org_id, self._process_id = p.org_id, p.id
        self._show_timeline(p, shown.steps)
        self._expires_at = shown.expires_at or 0.0

    @rx.event
    async def load(self):
        """on_load: open the link and show the timeline, its code step or the right dead-link page."""
        self.reset()
        link_id = str(self.link_id or "")  # the route's dynamic part
        self._link_id = link_id
        try:
            me = await acting_member(self)
            opened = await in_thread(process_links.resolve, link_id)
            state = process_links.opening_state(opened)
        except NotFound:
            self.view = "unknown"
            return None
        except Exception:
            log.exception("Could not open a process link")
            self.view = "error"
            return None
        link, process = opened.link, opened.process
        if state != "open":
            self.view = state
            return None
        self.name = process.name
        self.for_whom = link.assignee_name or link.assignee_email or ""
        member = me is not None and me.org_id == process.org_id
        coded = link.requires_otp and not await self._holds_grant(link_id)
        self._member_org = process.org_id if coded and member else ""
        if coded and not member:
            self.sign_in_href = routes.login(routes.process_page(link_id))
            code = await self.get_state(LinkCodeState)
            try:
                reason = self.router.url.query_parameters.get("code_error", "")
                await code.prepare(link_id, reason, reload_when_closed=True)
            except Exception:
                log.exception("Could not read the code state of a process link")
                self.view = "error"
                return None
            self.view = "code"
            return LinkCodeState.count_down
        if not await self._reload():
            return None
        if link.opened_at is None:
            try:
                await in_thread(links.record_opened, link.id)
            except Exception:
                log.exception("Could not record that a process link was opened")
        return ProcessLinkState.watch

    async def _reload(self) -> bool:
        """Reads the link and its process afresh; whether the timeline is (still) showing."""
        try:
            shown = await in_thread(_read, self._link_id)
        except NotFound:
            self.view = "unknown"
            return False
        except Exception:
            log.exception("Could not read the process behind a link")
            self.view = "error"
            return False
        self._show(shown)
        if shown.process is not None:
            self.view = "timeline"
        return self.view == "timeline"

    async def _holds_grant(self, link_id: str) -> bool:
        """Whether this browser confirmed the link's one-time code (its grant cookie is live)."""
        grant = link_codes.grant_in_cookies(link_id, self.router.headers.cookie or "")
        return bool(grant) and await in_thread(link_codes.grant_allows, link_id, grant)

    @rx.event(background=True)
    async def watch(self):
        """Follow the process, its tasks and the link itself until the page is left (or the link closes)."""
        async with self:
            org_id, process_id = self._org_id, self._process_id
        about = processes.subject(process_id)

        async def until_the_link_expires() -> float:
            async with self:
                expires_at = self._expires_at
            if not expires_at:
                return IDLE_RECHECK_SECONDS
            return max(0.05, min(IDLE_RECHECK_SECONDS, expires_at - time.time() + 0.05))

        async with aclosing(follow(org_id, until_the_link_expires)) as batches:
            async for batch in batches:
                async with self:
                    if not concerns(batch, about, self._task_ids):
                        continue
                    me = await acting_member(self) if self._member_org else None
                    admitted = not self._member_org or (me is not None and me.org_id == self._member_org)
                    if admitted and not await self._reload():
                        return
                if not admitted:
                    # No longer a member: the page opens afresh, asking for the code.
                    yield rx.redirect(self.router.url.path)
                    return
