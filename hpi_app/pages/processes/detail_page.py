"""``/processes/<process_id>``: a process's steps as a vertical timeline, live."""

from __future__ import annotations

import reflex as rx

from hpi_app import routes
from hpi_app.components.badges import status_badge
from hpi_app.components.layout import loading_spinner, signed_in_page
from hpi_app.pages.processes.badges import STEP_COLORS, process_badge, step_badge
from hpi_app.pages.processes.detail_state import ProcessState, ProcessTimeline, StepRow


def _dot(status: rx.Var[str]) -> rx.Component:
    return rx.box(
        width="14px",
        height="14px",
        border_radius="50%",
        flex_shrink="0",
        margin_top="3px",
        background_color=rx.match(
            status, *[(s.value, rx.color(c, 9)) for s, c in STEP_COLORS.items()], rx.color("gray", 7)
        ),
    )


def _when(label: str, value: rx.Var[str]) -> rx.Component:
    return rx.cond(
        value != "",
        rx.text(label, " ", rx.moment(value, format="YYYY-MM-DD HH:mm:ss"), size="1", color_scheme="gray"),
    )


def _task(step: rx.Var[StepRow]) -> rx.Component:
    # A step's task without an href (on a process link, another person's task) shows its status only.
    return rx.cond(
        step.task_id != "",
        rx.hstack(
            rx.icon("clipboard-check", size=14),
            rx.cond(
                step.task_href != "",
                rx.link(step.task_label, href=step.task_href, size="2", class_name="step-task"),
                rx.text(step.task_label, size="2", color_scheme="gray", class_name="step-task-status"),
            ),
            status_badge(step.task_status),
            spacing="2",
            align="center",
            data_task_id=step.task_id,
        ),
        rx.cond(step.human, rx.text("No task yet", size="1", color_scheme="gray")),
    )


def _step(step: rx.Var[StepRow]) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            _dot(step.status),
            rx.box(width="2px", flex_grow="1", background_color=rx.color("gray", 5), min_height="1.5em"),
            align="center",
            spacing="1",
            align_self="stretch",
        ),
        rx.vstack(
            rx.hstack(
                rx.text(step.label, weight="medium"),
                step_badge(step.status),
                rx.cond(
                    step.human,
                    rx.badge(rx.icon("user", size=12), "Human", color_scheme="violet", variant="outline"),
                ),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            _task(step),
            rx.hstack(
                _when("Started", step.started_at),
                _when("Finished", step.completed_at),
                rx.cond(step.duration != "", rx.text("took ", step.duration, size="1", color_scheme="gray")),
                spacing="3",
                wrap="wrap",
            ),
            rx.cond(step.detail != "", rx.text(step.detail, size="2", class_name="step-detail")),
            rx.cond(
                step.error != "", rx.text(step.error, size="2", color_scheme="red", class_name="step-error")
            ),
            rx.cond(
                step.progress_message != "",
                rx.vstack(
                    rx.text(
                        step.progress_message,
                        size="2",
                        color_scheme="gray",
                        class_name="step-progress-message",
                    ),
                    rx.cond(
                        step.has_percent,
                        rx.hstack(
                            rx.progress(value=step.progress_percent, max=100, width="100%"),
                            rx.text(step.progress_percent, "%", size="1"),
                            width="100%",
                            align="center",
                        ),
                    ),
                    spacing="1",
                    width="100%",
                    max_width="420px",
                ),
            ),
            spacing="1",
            padding_bottom="1.25em",
            width="100%",
            min_width="0",
        ),
        spacing="3",
        width="100%",
        class_name="process-step",
        data_step=step.key,
        data_status=step.status,
        data_percent=step.progress_percent,
    )


def process_view(state: type[ProcessTimeline] = ProcessState, *, back: bool = True) -> rx.Component:
    """A process's header, progress and steps, read from ``state`` (``ProcessTimeline``'s vars).

    Args:
        state: The state holding the process (the process page's, or a process link's).
        back: Whether to link back to the Processes page (members only).
    """
    return rx.vstack(
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), rx.text("All processes"), align="center"),
            href=routes.PROCESSES,
            size="2",
        )
        if back
        else rx.fragment(),
        rx.hstack(
            rx.heading(state.name, size="6", id="process-name"),
            process_badge(state.status),
            align="center",
            wrap="wrap",
            spacing="3",
            id="process-status",
            data_status=state.status,
        ),
        rx.hstack(
            rx.code(state.namespace, size="1"),
            rx.text("started ", rx.moment(state.started_at, from_now=True), size="1", color_scheme="gray"),
            spacing="3",
            wrap="wrap",
            align="center",
        ),
        rx.cond(state.description != "", rx.text(state.description, size="2")),
        rx.vstack(
            rx.progress(value=state.percent, max=100, width="100%"),
            rx.text(state.done, " of ", state.total, " steps done", size="1", id="process-done"),
            width="100%",
            spacing="1",
            id="process-progress",
            data_percent=state.percent,
        ),
        rx.cond(
            state.error != "",
            rx.callout(state.error, icon="circle-alert", color_scheme="red", width="100%"),
        ),
        rx.cond(
            state.summary != "",
            rx.callout(state.summary, icon="circle-check", color_scheme="green", width="100%"),
        ),
        rx.card(
            rx.vstack(
                rx.heading("Steps", size="3"),
                rx.box(rx.foreach(state.steps, _step), width="100%"),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="process-steps",
        ),
        spacing="4",
        width="100%",
    )


def process_page() -> rx.Component:
    """A process's page."""
    return signed_in_page(
        rx.cond(
            ProcessState.loaded,
            rx.cond(
                ProcessState.found,
                process_view(),
                rx.callout(
                    "There is no such process in your organisation.",
                    icon="search-x",
                    color_scheme="gray",
                    id="process-missing",
                ),
            ),
            loading_spinner(),
        )
    )
