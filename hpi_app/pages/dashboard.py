"""``/``: the dashboard — Pending and Done tabs that update live from the event bus."""

from __future__ import annotations

import asyncio
import dataclasses

import reflex as rx

from hpi_app import routes
from hpi_app.components.badges import status_badge
from hpi_app.components.due import due_countdown, due_script, reminder_badges
from hpi_app.components.layout import signed_in_page
from hpi_app.core import tasks
from hpi_app.core.events import bus
from hpi_app.models import Task, iso
from hpi_app.pages.live import BURST_LIMIT, follow
from hpi_app.state import Member, acting_member, back_to_sign_in, in_thread, leave_for
from hpi_app.vocab import DONE_STATUSES, TaskStatus

PAGE_SIZE = 100


@dataclasses.dataclass
class TaskRow:
    """One line of the dashboard."""

    task_id: str = ""
    title: str = ""
    status: str = ""
    assignee: str = ""
    created_at: str = ""
    href: str = ""
    expires_at: str = ""
    reminded: int = 0
    escalated: int = 0


def _row(task: Task) -> TaskRow:
    assignee = task.assignee_name or task.assignee_email or ""
    return TaskRow(
        task_id=task.id,
        title=task.title,
        status=task.status,
        assignee=assignee,
        created_at=iso(task.created_at) or "",
        href=routes.task_detail(task.id),
        expires_at=(iso(task.expires_at) or "") if task.status == TaskStatus.PENDING else "",
        reminded=task.reminded_count or 0,
        escalated=task.escalated_count or 0,
    )


def _query(
    org_id: str, user_id: str, tab: str, search: str, who: str
) -> tuple[list[TaskRow], int, dict[str, int]]:
    flt = tasks.TaskFilter(
        statuses=(TaskStatus.PENDING,) if tab == "pending" else DONE_STATUSES,
        search=search.strip() or None,
        assignee_id=user_id if who == "me" else None,
        unassigned=who == "unassigned",
        limit=PAGE_SIZE,
    )
    rows, total = tasks.list_tasks(org_id, flt)
    return [_row(t) for t in rows], total, tasks.count_by_status(org_id)


Snapshot = tuple[list[TaskRow], int, dict[str, int]]


class SharedViews:
    """The dashboard views this process has read, so tabs showing the same view share one query.

    Every open dashboard hears of each change; the first tab to ask for a view as of an event
    starts the query, and the others showing that view await the same answer. Lives as long as
    the process; forgets everything past ``max_views`` views (they are read again on demand).
    """

    def __init__(self, max_views: int = 2000) -> None:
        self._max_views = max_views
        self._views: dict[tuple[str, ...], tuple[int, asyncio.Future[Snapshot]]] = {}

    async def snapshot(
        self, org_id: str, user_id: str, tab: str, search: str, who: str, version: int | None
    ) -> Snapshot:
        """The view's rows and counts as of event ``version`` (None: read afresh)."""
        key = (org_id, user_id if who == "me" else "", tab, search.strip().lower(), who)
        entry = self._views.get(key)
        if version is not None and entry is not None and entry[0] >= version:
            return await asyncio.shield(entry[1])
        if len(self._views) > self._max_views:
            self._views.clear()
        future = asyncio.ensure_future(in_thread(_query, org_id, user_id, tab, search, who))
        self._views[key] = (version if version is not None else -1, future)
        return await asyncio.shield(future)


shared_views = SharedViews()


class DashboardState(rx.State):
    """The rows and filters of one dashboard tab in one browser tab."""

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

    async def _reload(self, member: Member, version: int | None = None) -> None:
        rows, total, counts = await shared_views.snapshot(
            member.org_id, member.user_id, self.tab, self.search, self.who, version
        )
        self.rows, self.total = rows, total
        self.pending_count = counts[TaskStatus.PENDING]
        self.done_count = sum(counts[s] for s in DONE_STATUSES)
        self.loaded = True

    async def _reload_as_member(self) -> rx.event.EventSpec | None:
        """Read the rows again as the member a fresh session check returns (none: to sign-in)."""
        member = await acting_member(self)
        if member is None:
            return back_to_sign_in(self)
        await self._reload(member)
        return None

    @rx.event
    async def load(self):
        """on_load: read the first page, then keep it live."""
        self.worker = bus.origin
        member = await acting_member(self)
        if member is None:
            return None
        self.base_url = routes.public_base(self.router.url.origin)
        await self._reload(member)
        return DashboardState.watch

    @rx.event(background=True)
    async def watch(self):
        """Follow the organisation's task changes until the page is left (its on_load chain is cancelled)."""
        async with self:
            member = await acting_member(self)
        if member is None:
            return
        org_id = member.org_id
        async for batch in follow(org_id, burst=BURST_LIMIT):
            created = [c.subject.id for c in batch if c.kind == "task.created"]
            ids = [c.event_id for c in batch if c.event_id is not None]
            version = max(ids) if ids else None
            async with self:
                # Each refresh reads as the tab's member now: signed out or removed, it reads nothing.
                member = await acting_member(self)
                if member is not None and member.org_id == org_id:
                    await self._reload(member, version)
                titles = {row.task_id: row.title for row in self.rows}
            if member is None or member.org_id != org_id:
                yield leave_for(self, member)
                return
            for task_id in created[:3]:
                title = titles.get(task_id)
                if title is None:
                    title = (await in_thread(tasks.get_task, org_id, task_id)).title
                yield rx.toast.info(f"New task: {title}", duration=4000)

    @rx.event
    async def set_tab(self, tab: str):
        """Switch between Pending and Done."""
        self.tab = "done" if tab == "done" else "pending"
        return await self._reload_as_member()

    @rx.event
    async def set_search(self, value: str):
        """Filter by a substring of the title."""
        self.search = value[:200]
        return await self._reload_as_member()

    @rx.event
    async def set_who(self, value: str):
        """Filter by assignee: all, me, unassigned."""
        self.who = value if value in ("all", "me", "unassigned") else "all"
        return await self._reload_as_member()

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


def _row_view(row: TaskRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.link(row.title, href=row.href, weight="medium", high_contrast=True),
            max_width="420px",
        ),
        rx.table.cell(
            rx.hstack(status_badge(row.status), reminder_badges(row.reminded, row.escalated), spacing="1")
        ),
        rx.table.cell(due_countdown(row.expires_at)),
        rx.table.cell(
            rx.cond(row.assignee != "", rx.text(row.assignee, size="2"), rx.text("—", color_scheme="gray"))
        ),
        rx.table.cell(rx.moment(row.created_at, from_now=True, interval=30000), white_space="nowrap"),
        class_name="task-row",
        # Keyed by task, not by position: a new task inserts one row instead of re-rendering all.
        key=row.task_id,
        data_task_id=row.task_id,
        data_status=row.status,
        cursor="pointer",
        on_click=rx.redirect(row.href),
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


def _tab_label(label: str, count: rx.Var[int]) -> rx.Component:
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
                        _tab_label("Pending", DashboardState.pending_count), value="pending", id="tab-pending"
                    ),
                    rx.tabs.trigger(
                        _tab_label("Done", DashboardState.done_count), value="done", id="tab-done"
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
                rx.text(
                    "Showing the newest ",
                    DashboardState.rows.length(),
                    " of ",
                    DashboardState.total,
                    ". Search to narrow them down.",
                    size="1",
                    color_scheme="gray",
                ),
            ),
            due_script(),
            spacing="4",
            width="100%",
            id="dashboard",
            data_worker=DashboardState.worker,
        )
    )
