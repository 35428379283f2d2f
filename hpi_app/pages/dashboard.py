"""``/``: the dashboard — Pending and Done tabs that update live from the event bus."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import reflex as rx

from hpi_app import routes
from hpi_app.components.badges import status_badge
from hpi_app.components.due import due_countdown, due_script, reminder_badges
from hpi_app.components.layout import signed_in_page
from hpi_app.core import tasks
from hpi_app.core.events import bus
from hpi_app.core.tasks import matching
from hpi_app.pages.dashboard_list import ListView, TaskRow, apply, changed_ids, read_again, row_of
from hpi_app.pages.live import BURST_LIMIT, follow
from hpi_app.state import Member, acting_member, back_to_sign_in, in_thread, leave_for
from hpi_app.vocab import DONE_STATUSES, TaskStatus

PAGE_SIZE = 50


def _filter(user_id: str, tab: str, search: str, who: str) -> tasks.TaskFilter:
    return tasks.TaskFilter(
        statuses=(TaskStatus.PENDING,) if tab == "pending" else DONE_STATUSES,
        search=search.strip() or None,
        assignee_id=user_id if who == "me" else None,
        unassigned=who == "unassigned",
    )


def _page(org_id: str, flt: tasks.TaskFilter, after: str | None, limit: int) -> tuple[list[TaskRow], int]:
    """The ``limit`` rows that follow the row whose cursor is ``after`` (None: the first), and the total.

    The rows a dashboard shows are always a prefix of the list, so the next page starts after the
    last one's key (keyset paging): as cheap deep in the history as at its top.
    """
    rows: list[TaskRow] = []
    while True:
        size = min(limit - len(rows), tasks.MAX_LIST_LIMIT)
        page = tasks.list_page(org_id, dataclasses.replace(flt, cursor=after, limit=size))
        rows += [row_of(task) for task in page.tasks]
        after = page.next_cursor
        if after is None or len(rows) >= limit:
            return rows, page.total


def _read(org_id: str, flt: tasks.TaskFilter, shown: int) -> ListView:
    rows, total = _page(org_id, flt, None, shown)
    return ListView.read(rows, total, tasks.count_by_status(org_id), shown)


class SharedReads:
    """Reads this process has started, so tabs that need the same one share a single query.

    Every open dashboard hears of each change and re-reads the changed tasks by id; tabs asking
    for the same tasks as of the same event await one answer. Forgets everything past ``max_reads``.
    """

    def __init__(self, max_reads: int = 2000) -> None:
        self._max_reads = max_reads
        self._reads: dict[tuple, asyncio.Future] = {}

    async def read(self, key: tuple, fn: Callable[..., Any], *args: Any) -> Any:
        """``fn(*args)`` in a thread, or the answer of the same read already under way."""
        future = self._reads.get(key)
        if future is None:
            if len(self._reads) > self._max_reads:
                self._reads.clear()
            future = self._reads[key] = asyncio.ensure_future(in_thread(fn, *args))
        return await asyncio.shield(future)


shared_reads = SharedReads()


class DashboardState(rx.State):
    """The rows and filters of one dashboard tab in one browser tab.

    It keeps no user or organisation id: every handler acts as the member a fresh session
    check returns (``acting_member``), the watcher at each change too.
    """

    tab: str = "pending"
    search: str = ""
    who: str = "all"
    rows: list[TaskRow] = []
    total: int = 0
    pending_count: int = 0
    done_count: int = 0
    loaded: bool = False
    base_url: str = ""
    worker: str = ""  # which worker serves this tab, for operators and the scale-out tests
    _shown: int = PAGE_SIZE
    _known: dict[str, str] = {}

    @rx.var
    def counts_shown(self) -> list[str]:
        """The Pending and Done tabs' counts and the list's total, thousands separated (``990,015``)."""
        return [f"{n:,}" for n in (self.pending_count, self.done_count, self.total)]

    def _flt(self, member: Member) -> tasks.TaskFilter:
        return _filter(member.user_id, self.tab, self.search, self.who)

    def _show(self, view: ListView) -> None:
        self.rows, self.total, self._shown, self._known = view.rows, view.total, view.shown, view.known
        self.pending_count, self.done_count = view.pending, view.done
        self.loaded = True

    def _view(self) -> ListView:
        known = dict(self._known)
        return ListView(list(self.rows), self.total, self.pending_count, self.done_count, self._shown, known)

    async def _reload(self, member: Member) -> None:
        """Read the list afresh: the first page, a new filter, or after a quiet spell."""
        self._show(await in_thread(_read, member.org_id, self._flt(member), self._shown))

    async def _refilter(self) -> rx.event.EventSpec | None:
        """Read the first page of a new tab or filter, as the tab's member now (none: to sign-in)."""
        member = await acting_member(self)
        if member is None:
            return back_to_sign_in(self)
        self._shown = PAGE_SIZE
        await self._reload(member)
        return None

    @rx.event
    async def load(self):
        """on_load: follow the organisation's changes (the watcher reads the first page)."""
        self.worker = bus.origin
        if await acting_member(self) is None:
            return None
        self.base_url = routes.public_base(self.router.url.origin)
        return DashboardState.watch

    @rx.event(background=True)
    async def watch(self):
        """Follow the organisation's task changes until the page is left (its on_load chain is cancelled).

        Reads the list once the subscription stands (and again after a quiet spell); every change
        after that is applied to the rows and counts, with only the changed tasks re-read by id.
        Each step reads as the tab's member now: signed out or removed, it reads nothing more.
        """
        async with self:
            member = await acting_member(self)
        if member is None:
            return
        org_id = member.org_id
        async for batch in follow(org_id, burst=BURST_LIMIT, read_first=True):
            async with self:
                member = await acting_member(self)
                if member is not None and member.org_id == org_id and (not batch or read_again(batch)):
                    await self._reload(member)
            if member is None or member.org_id != org_id:
                yield leave_for(self, member)
                return
            ids = changed_ids(batch)
            if not ids:
                continue
            version = max(c.event_id or 0 for c in batch)
            key = ("tasks", org_id, tuple(ids), version)
            found = await shared_reads.read(key, matching.read_many, org_id, ids)
            async with self:
                self._show(apply(self._view(), self._flt(member), batch, found))
            created = [c.subject.id for c in batch if c.kind == "task.created" and c.subject.id in found]
            for task_id in created[:3]:
                yield rx.toast.info(f"New task: {found[task_id].title}", duration=4000)

    @rx.event
    async def load_more(self):
        """Show the next page of the list below the rows shown."""
        member = await acting_member(self)
        if member is None:
            return back_to_sign_in(self)
        after = self.rows[-1].cursor if self.rows else None
        more, total = await in_thread(_page, member.org_id, self._flt(member), after, PAGE_SIZE)
        shown = {row.task_id for row in self.rows}
        self.rows = self.rows + [row for row in more if row.task_id not in shown]
        self.total = total
        self._shown = max(self._shown, len(self.rows))
        self._known = {**self._known, **{row.task_id: row.status for row in more}}
        return None

    @rx.event
    async def set_tab(self, tab: str):
        """Switch between Pending and Done."""
        self.tab = "done" if tab == "done" else "pending"
        return await self._refilter()

    @rx.event
    async def set_search(self, value: str):
        """Filter by a substring of the title."""
        self.search = value[:200]
        return await self._refilter()

    @rx.event
    async def set_who(self, value: str):
        """Filter by assignee: all, me, unassigned."""
        self.who = value if value in ("all", "me", "unassigned") else "all"
        return await self._refilter()

    @rx.var
    def curl_example(self) -> str:
        """The call that creates a first task on this instance."""
        return (
            f"curl -X POST {self.base_url}{routes.API}/tasks \\\n"
            '  -H "Authorization: Bearer htk_your_token_here" \\\n'
            '  -H "Content-Type: application/json" \\\n'
            """  -d '{"title": "Approve deployment to production", "steps": [{"id": "approval", """
            """"title": "Review and Approve", "blocks": [{"type": "input", "field": {"name": "decision", """
            """"label": "Decision", "kind": "select", "options": ["Approve", "Reject"]}}]}]}'"""
        )


def _task_row(
    task_id: rx.Var[str],
    title: rx.Var[str],
    href: rx.Var[str],
    status: rx.Var[str],
    reminded: rx.Var[int],
    escalated: rx.Var[int],
    expires_at: rx.Var[str],
    assignee: rx.Var[str],
    created_at: rx.Var[str],
) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(title, href=href, weight="medium", high_contrast=True),
            max_width="420px",
        ),
        rx.table.cell(rx.hstack(status_badge(status), reminder_badges(reminded, escalated), spacing="1")),
        rx.table.cell(due_countdown(expires_at)),
        rx.table.cell(
            rx.cond(assignee != "", rx.text(assignee, size="2"), rx.text("—", color_scheme="gray"))
        ),
        rx.table.cell(rx.moment(created_at, from_now=True, interval=30000), white_space="nowrap"),
        class_name="task-row",
        data_task_id=task_id,
        data_status=status,
        cursor="pointer",
        on_click=rx.redirect(href),
    )


# One React component per row, memoised on its plain values: a change re-renders the row it
# changed, not every row shown (the list arrives whole with each change).
_task_row.__name__ = _task_row.__qualname__ = "DashboardTaskRow"
task_row = rx.memo(_task_row)


def _row_view(row: TaskRow) -> rx.Component:
    return task_row(
        task_id=row.task_id,
        title=row.title,
        href=row.href,
        status=row.status,
        reminded=row.reminded,
        escalated=row.escalated,
        expires_at=row.expires_at,
        assignee=row.assignee,
        created_at=row.created_at,
        # Keyed by task, not by position: a new task inserts one row instead of re-rendering all.
        key=row.task_id,
    )


def _empty_state() -> rx.Component:
    return rx.cond(
        (DashboardState.tab == "pending") & (DashboardState.search == "") & (DashboardState.who == "all"),
        rx.vstack(
            rx.heading("No pending tasks", size="4"),
            rx.text(
                "Tasks appear here the moment software creates them. Create a token in ",
                rx.link("Settings › API Tokens", href=routes.SETTINGS_TOKENS),
                " with the tasks:create scope, then:",
            ),
            rx.code_block(DashboardState.curl_example, language="bash", wrap_long_lines=True, width="100%"),
            spacing="3",
            padding="2em",
            width="100%",
            id="empty-state",
        ),
        rx.center(rx.text("No tasks match.", color_scheme="gray"), padding="2em", id="no-match"),
    )


def _tab_label(label: str, count: rx.Var[str]) -> rx.Component:
    return rx.hstack(
        rx.text(label), rx.badge(count, variant="soft", radius="full"), spacing="2", align="center"
    )


def dashboard_page() -> rx.Component:
    """The dashboard."""
    return signed_in_page(
        rx.vstack(
            rx.hstack(
                rx.heading("Tasks", size="6"),
                rx.spacer(),
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    placeholder="Search titles",
                    value=DashboardState.search,
                    on_change=DashboardState.set_search.debounce(250),
                    aria_label="Search tasks",
                    id="search",
                    width=["100%", "260px"],
                ),
                rx.select.root(
                    rx.select.trigger(aria_label="Assignee filter", id="who-filter"),
                    rx.select.content(
                        rx.select.item("Everyone's", value="all"),
                        rx.select.item("Assigned to me", value="me"),
                        rx.select.item("Unassigned", value="unassigned"),
                    ),
                    value=DashboardState.who,
                    on_change=DashboardState.set_who,
                ),
                width="100%",
                align="center",
                wrap="wrap",
                spacing="3",
            ),
            rx.tabs.root(
                rx.tabs.list(
                    rx.tabs.trigger(
                        _tab_label("Pending", DashboardState.counts_shown[0]),
                        value="pending",
                        id="tab-pending",
                    ),
                    rx.tabs.trigger(
                        _tab_label("Done", DashboardState.counts_shown[1]), value="done", id="tab-done"
                    ),
                ),
                value=DashboardState.tab,
                on_change=DashboardState.set_tab,
                width="100%",
            ),
            rx.cond(
                DashboardState.loaded,
                rx.cond(
                    DashboardState.rows.length() > 0,
                    rx.box(
                        rx.table.root(
                            rx.table.header(
                                rx.table.row(
                                    rx.table.column_header_cell("Title"),
                                    rx.table.column_header_cell("Status"),
                                    rx.table.column_header_cell("Due"),
                                    rx.table.column_header_cell("Assignee"),
                                    rx.table.column_header_cell("Created"),
                                )
                            ),
                            rx.table.body(rx.foreach(DashboardState.rows, _row_view)),
                            variant="surface",
                            width="100%",
                            id="task-table",
                        ),
                        overflow_x="auto",
                        width="100%",
                    ),
                    _empty_state(),
                ),
                rx.center(rx.spinner(size="3"), padding="3em"),
            ),
            rx.cond(
                DashboardState.total > DashboardState.rows.length(),
                rx.hstack(
                    rx.text(
                        "Showing the newest ",
                        DashboardState.rows.length(),
                        " of ",
                        DashboardState.counts_shown[2],
                        ".",
                        size="1",
                        color_scheme="gray",
                        id="shown-count",
                    ),
                    rx.button(
                        "Load more",
                        on_click=DashboardState.load_more,
                        variant="soft",
                        size="1",
                        id="load-more",
                    ),
                    align="center",
                    spacing="3",
                ),
            ),
            due_script(),
            spacing="4",
            width="100%",
            id="dashboard",
            data_worker=DashboardState.worker,
        )
    )
