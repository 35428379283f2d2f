"""On a task's detail page: the process the task belongs to, as a link (empty for other tasks)."""

from __future__ import annotations

import reflex as rx

from hpi_app import routes
from hpi_app.core import processes, tasks
from hpi_app.core.errors import NotFound
from hpi_app.state import acting_member, in_thread


def _read(org_id: str, task_id: str) -> tuple[str, str, str]:
    """The task's process id, its name and the task's step (sync: reads the store)."""
    task = tasks.get_task(org_id, task_id)
    if not task.process_id:
        return "", "", ""
    return task.process_id, processes.process_name(org_id, task.process_id) or "", task.process_step or ""


class TaskProcessState(rx.State):
    """The process of the task on the detail page."""

    process_href: str = ""
    process_name: str = ""
    process_step: str = ""

    @rx.event
    async def load(self):
        """on_load of the task detail page: find the task's process, if it has one."""
        member = await acting_member(self)
        self.process_href = self.process_name = self.process_step = ""
        if member is None:
            return
        try:
            process_id, name, step = await in_thread(_read, member.org_id, str(self.task_id or ""))
        except NotFound:
            return
        if process_id:
            self.process_href = routes.process_detail(process_id)
            self.process_name, self.process_step = name or process_id, step


def task_process_link() -> rx.Component:
    """ "Part of process <name> (step <key>)", linking to the process's page."""
    return rx.cond(
        TaskProcessState.process_href != "",
        rx.hstack(
            rx.icon("workflow", size=14),
            rx.text("Part of process", size="2", color_scheme="gray"),
            rx.link(
                TaskProcessState.process_name, href=TaskProcessState.process_href, size="2", id="task-process"
            ),
            rx.cond(
                TaskProcessState.process_step != "",
                rx.text("· step ", rx.code(TaskProcessState.process_step), size="2", color_scheme="gray"),
            ),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
    )
