"""``/t/<link_id>``: the task page for whoever holds the link (SPEC §6)."""

from __future__ import annotations

import reflex as rx

from hpi_app.components.task_form.state import TaskFormState
from hpi_app.components.task_views import dead_link_view, done_view, form_view, loading_view
from hpi_app.pages.task_page.code_view import code_view
from hpi_app.vocab import TaskStatus


def task_page() -> rx.Component:
    """The page behind a task's link."""
    return rx.box(
        rx.match(
            TaskFormState.view,
            ("loading", loading_view()),
            ("form", form_view()),
            ("done", done_view()),
            ("code", code_view()),
            *[
                (status.value, dead_link_view(status.value))
                for status in (TaskStatus.COMPLETED, TaskStatus.CANCELLED, TaskStatus.EXPIRED)
            ],
            ("withdrawn", dead_link_view("withdrawn")),
            ("link_expired", dead_link_view("link_expired")),
            ("error", dead_link_view("error")),
            dead_link_view("unknown"),
        ),
        min_height="100vh",
        background_color=rx.color("gray", 2),
    )
