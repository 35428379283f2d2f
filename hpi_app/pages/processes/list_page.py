"""``/processes``: running and finished processes with their progress, live from the event bus."""

from __future__ import annotations

import dataclasses

import reflex as rx

from hpi_app import routes
from hpi_app.components.layout import loading_spinner, signed_in_page
from hpi_app.core import processes
from hpi_app.models import iso
from hpi_app.pages.live import BURST_LIMIT, follow
from hpi_app.pages.processes.badges import bare_namespace, percent_of, process_badge
from hpi_app.state import Member, acting_member, back_to_sign_in, in_thread, leave_for
from hpi_app.vocab import FINISHED_PROCESS_STATUSES, ProcessStatus

PAGE_SIZE = 100


@dataclasses.dataclass
class ProcessRow:
    """One process of the list."""

    process_id: str = ""
    name: str = ""
    namespace: str = ""
    status: str = ""
    current: str = ""
    started_at: str = ""
    finished_at: str = ""
    done: int = 0
    total: int = 0
    percent: int = 0
    href: str = ""


def _row(org_id: str, summary: processes.ProcessSummary) -> ProcessRow:
    p = summary.process
    return ProcessRow(
        process_id=p.id,
        name=p.name,
        namespace=bare_namespace(org_id, p.namespace),
        status=p.status,
        current=summary.current_label or "",
        started_at=iso(p.started_at) or "",
        finished_at=iso(p.completed_at) or "",
        done=summary.steps_done,
        total=summary.step_count,
        percent=percent_of(summary.steps_done, summary.step_count),
        href=routes.process_detail(p.id),
    )


def _query(org_id: str, tab: str) -> tuple[list[ProcessRow], int, int]:
    """The tab's rows, and how many processes run and have finished (sync: reads the store)."""
    statuses = (ProcessStatus.RUNNING,) if tab == "running" else tuple(sorted(FINISHED_PROCESS_STATUSES))
    rows, _ = processes.list_processes(org_id, processes.ProcessFilter(statuses=statuses, limit=PAGE_SIZE))
    running = processes.list_processes(
        org_id, processes.ProcessFilter(statuses=(ProcessStatus.RUNNING,), limit=1)
    )
    finished = processes.list_processes(
        org_id, processes.ProcessFilter(statuses=tuple(FINISHED_PROCESS_STATUSES), limit=1)
    )
    return [_row(org_id, r) for r in rows], running[1], finished[1]


class ProcessesState(rx.State):
    """The processes list of one browser tab."""

    tab: str = "running"
    rows: list[ProcessRow] = []
    running_count: int = 0
    finished_count: int = 0
    loaded: bool = False

    async def _reload(self, member: Member) -> None:
        self.rows, self.running_count, self.finished_count = await in_thread(_query, member.org_id, self.tab)
        self.loaded = True

    @rx.event
    async def load(self):
        """on_load: read the list, then keep it live."""
        member = await acting_member(self)
        if member is None:
            return None
        await self._reload(member)
        return ProcessesState.watch

    @rx.event(background=True)
    async def watch(self):
        """Follow the organisation's process changes until the page is left (on_load chain cancelled)."""
        async with self:
            member = await acting_member(self)
        if member is None:
            return
        org_id = member.org_id
        async for batch in follow(org_id, burst=BURST_LIMIT):
            if batch and not any(c.subject.kind == processes.PROCESS.name for c in batch):
                continue
            async with self:
                member = await acting_member(self)
                if member is not None and member.org_id == org_id:
                    await self._reload(member)
            if member is None or member.org_id != org_id:
                yield leave_for(self, member)
                return

    @rx.event
    async def set_tab(self, tab: str):
        """Switch between Running and Finished."""
        self.tab = "finished" if tab == "finished" else "running"
        member = await acting_member(self)
        if member is None:
            return back_to_sign_in(self)
        await self._reload(member)
        return None


def _row_view(row: ProcessRow) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.link(
                    row.name, href=row.href, weight="medium", high_contrast=True, class_name="process-name"
                ),
                process_badge(row.status),
                rx.spacer(),
                rx.text(
                    rx.moment(row.started_at, from_now=True, interval=30000), size="1", color_scheme="gray"
                ),
                align="center",
                width="100%",
                wrap="wrap",
            ),
            rx.progress(value=row.percent, max=100, width="100%", class_name="process-progress"),
            rx.hstack(
                rx.text(row.done, " of ", row.total, " steps done", size="1", class_name="process-done"),
                rx.cond(
                    row.current != "",
                    rx.text(
                        "· now: ", row.current, size="1", color_scheme="gray", class_name="process-current"
                    ),
                ),
                rx.spacer(),
                rx.code(row.namespace, size="1"),
                width="100%",
                wrap="wrap",
                align="center",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="process-row",
        key=row.process_id,
        data_process_id=row.process_id,
        data_status=row.status,
        data_percent=row.percent,
        cursor="pointer",
        on_click=rx.redirect(row.href),
    )


def _tab_label(label: str, count: rx.Var[int]) -> rx.Component:
    return rx.hstack(
        rx.text(label), rx.badge(count, variant="soft", radius="full"), spacing="2", align="center"
    )


def _empty() -> rx.Component:
    return rx.vstack(
        rx.heading(
            rx.cond(ProcessesState.tab == "running", "No running processes", "No finished processes"),
            size="4",
        ),
        rx.text(
            "Software starts a process with POST /api/v1/processes and moves it on with "
            "POST /api/v1/processes/{id}/update; its steps show up here as they happen.",
            color_scheme="gray",
        ),
        padding="2em",
        id="no-processes",
    )


def processes_page() -> rx.Component:
    """The processes list."""
    return signed_in_page(
        rx.vstack(
            rx.heading("Processes", size="6"),
            rx.tabs.root(
                rx.tabs.list(
                    rx.tabs.trigger(
                        _tab_label("Running", ProcessesState.running_count), value="running", id="tab-running"
                    ),
                    rx.tabs.trigger(
                        _tab_label("Finished", ProcessesState.finished_count),
                        value="finished",
                        id="tab-finished",
                    ),
                ),
                value=ProcessesState.tab,
                on_change=ProcessesState.set_tab,
                width="100%",
            ),
            rx.cond(
                ProcessesState.loaded,
                rx.cond(
                    ProcessesState.rows.length() > 0,
                    rx.vstack(
                        rx.foreach(ProcessesState.rows, _row_view),
                        spacing="3",
                        width="100%",
                        id="process-list",
                    ),
                    _empty(),
                ),
                loading_spinner(),
            ),
            spacing="4",
            width="100%",
            id="processes",
        )
    )
