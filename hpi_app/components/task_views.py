"""The views of the task page: the form, the done page, and the pages of links that lead nowhere.

Each view reads ``TaskFormState``, the state of the task form, which the task page fills.
"""

from __future__ import annotations

import reflex as rx

from hpi_app.components.answers import answer_value
from hpi_app.components.blocks import form_block
from hpi_app.components.forms import error_callout, secondary_button
from hpi_app.components.layout import brand_bar, status_card
from hpi_app.components.markdown import markdown_html
from hpi_app.components.signature import signature_script
from hpi_app.components.task_form.state import TaskFormState
from hpi_app.components.task_form.views import StepView
from hpi_app.vocab import TaskStatus

_WIDTH = "760px"

# A final status, "withdrawn", "link_expired", "unknown" or "error" → (icon, colour, heading, text)
_DEAD_LINKS = {
    TaskStatus.COMPLETED: (
        "circle-check-big",
        "grass",
        "This task has already been completed",
        "Its answers have been sent, so nothing more is needed. You can close this page.",
    ),
    TaskStatus.CANCELLED: (
        "circle-slash",
        "orange",
        "This task was cancelled",
        "Whoever sent it cancelled it, so it no longer needs an answer. You can close this page.",
    ),
    TaskStatus.EXPIRED: (
        "timer-off",
        "amber",
        "This task has expired",
        "Its deadline passed before anyone completed it, so it can no longer be answered. "
        "If it still matters, ask whoever sent it for a new link.",
    ),
    "withdrawn": (
        "link-2-off",
        "gray",
        "This link was withdrawn",
        "Whoever sent it withdrew this link, so it no longer opens the task. "
        "If you still need to answer, ask them for a new link.",
    ),
    "link_expired": (
        "timer-off",
        "amber",
        "This link has expired",
        "This link was only valid for a limited time, and that time has passed. "
        "If you still need to answer, ask whoever sent it for a new link.",
    ),
    "unknown": (
        "link-2-off",
        "gray",
        "Link not found",
        "This link doesn't lead to a task. Check that you copied the whole link, "
        "or ask whoever sent it for a new one.",
    ),
    "error": (
        "triangle-alert",
        "red",
        "Something went wrong",
        "We couldn't open this task just now. Please reload the page in a moment.",
    ),
}


def _page(*children: rx.Component) -> rx.Component:
    return rx.box(
        signature_script(),
        brand_bar(
            max_width=_WIDTH,
            margin_x="auto",
            padding_x=["1em", "1.5em"],
            padding_y="0.75em",
        ),
        rx.vstack(
            *children,
            spacing="4",
            width="100%",
            max_width=_WIDTH,
            margin_x="auto",
            padding_x=["0.75em", "1.5em"],
            padding_bottom="3em",
        ),
        width="100%",
    )


def loading_view() -> rx.Component:
    """Shown while the task loads."""
    return rx.center(
        rx.vstack(
            rx.spinner(size="3"),
            rx.text("Loading task…", color_scheme="gray", size="2"),
            align="center",
            spacing="3",
        ),
        min_height="100vh",
        id="task-loading",
    )


def _header() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.badge(rx.icon("circle-dot", size=12), "Waiting for you", color_scheme="amber", variant="soft"),
            rx.cond(
                TaskFormState.deadline != "",
                rx.badge(
                    rx.icon("clock", size=12),
                    "Open until ",
                    TaskFormState.deadline,
                    color_scheme="gray",
                    variant="soft",
                ),
            ),
            spacing="2",
            wrap="wrap",
        ),
        rx.heading(TaskFormState.title, size=rx.breakpoints(initial="6", sm="7"), as_="h1", id="task-title"),
        rx.cond(
            TaskFormState.instructions_html != "",
            markdown_html(
                TaskFormState.instructions_html, id="task-instructions", color=rx.color("gray", 12)
            ),
        ),
        spacing="3",
        width="100%",
    )


def _progress() -> rx.Component:
    return rx.cond(
        TaskFormState.step_count > 1,
        rx.vstack(
            rx.hstack(
                rx.text(
                    "Step ",
                    TaskFormState.step_index + 1,
                    " of ",
                    TaskFormState.step_count,
                    weight="bold",
                    size="2",
                    id="step-progress",
                ),
                rx.text(TaskFormState.step_title, size="2", color_scheme="gray", trim="end"),
                spacing="2",
                align="baseline",
            ),
            rx.progress(value=TaskFormState.progress, max=100, size="1", aria_label="Form progress"),
            spacing="2",
            width="100%",
        ),
    )


def _step(step: rx.Var[StepView], index: rx.Var[int]) -> rx.Component:
    current = index == TaskFormState.step_index
    return rx.card(
        rx.vstack(
            rx.vstack(
                rx.heading(step.title, size="4", as_="h2"),
                rx.cond(
                    step.description_html != "",
                    markdown_html(
                        step.description_html, color=rx.color("gray", 11), font_size="var(--font-size-2)"
                    ),
                ),
                spacing="1",
                width="100%",
            ),
            rx.foreach(step.blocks, lambda block: form_block(block)),
            spacing="5",
            width="100%",
        ),
        size=rx.breakpoints(initial="2", sm="3"),
        width="100%",
        display=rx.cond(current, "block", "none"),
        custom_attrs={"data-step": index.to_string(), "data-current": rx.cond(current, "true", "false")},
    )


def _nav() -> rx.Component:
    back = secondary_button(
        rx.icon("chevron-left", size=16),
        "Back",
        on_click=TaskFormState.previous_step,
        disabled=TaskFormState.busy,
        size="3",
        id="back-button",
    )
    next_button = rx.button(
        "Next",
        rx.icon("chevron-right", size=16),
        on_click=TaskFormState.next_step,
        disabled=TaskFormState.busy,
        size="3",
        id="next-button",
    )
    submit = rx.button(
        rx.icon("send", size=16),
        rx.cond(TaskFormState.busy, "Submitting…", "Submit"),
        on_click=TaskFormState.submit,
        disabled=TaskFormState.busy,
        loading=TaskFormState.busy,
        size="3",
        id="submit-button",
    )
    return rx.hstack(
        rx.cond(TaskFormState.step_index > 0, back, rx.box()),
        rx.cond(TaskFormState.on_last_step, submit, next_button),
        justify="between",
        align="center",
        width="100%",
    )


def form_view() -> rx.Component:
    """The task form: header, progress, one step at a time, Back/Next and Submit."""
    return _page(_header(), form_body())


def form_body() -> rx.Component:
    """The form without the page around it (the task detail page embeds it)."""
    return rx.vstack(
        error_callout(TaskFormState.notice, role="alert", id="form-notice"),
        _progress(),
        rx.foreach(TaskFormState.steps, lambda step, index: _step(step, index)),
        _nav(),
        spacing="4",
        width="100%",
    )


def done_view() -> rx.Component:
    """After a successful submission: a clear confirmation and the answers given."""
    return _page(
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.center(
                        rx.icon("check", size=26),
                        width="3em",
                        height="3em",
                        border_radius="50%",
                        background_color=rx.color("grass", 4),
                        color=rx.color("grass", 11),
                        flex_shrink="0",
                    ),
                    rx.vstack(
                        rx.heading("Answers submitted", size="6", as_="h1", id="done-heading"),
                        rx.text(
                            "Thank you. “",
                            TaskFormState.title,
                            "” is complete; you can close this page.",
                            size="2",
                            color_scheme="gray",
                        ),
                        spacing="1",
                    ),
                    spacing="4",
                    align="center",
                ),
                rx.separator(size="4"),
                rx.heading("Your answers", size="3", as_="h2"),
                rx.data_list.root(
                    rx.foreach(
                        TaskFormState.answers,
                        lambda answer: rx.data_list.item(
                            rx.data_list.label(answer.label, min_width="10em"),
                            rx.data_list.value(answer_value(answer)),
                        ),
                    ),
                    orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
                    size="2",
                    width="100%",
                    id="answers",
                ),
                rx.cond(
                    TaskFormState.finished_at != "",
                    rx.text("Submitted ", TaskFormState.finished_at, size="1", color_scheme="gray"),
                ),
                spacing="4",
                width="100%",
            ),
            size=rx.breakpoints(initial="2", sm="4"),
            width="100%",
            margin_top="1em",
        ),
    )


def _status_card(icon: str, color: str, heading: str, *body: rx.Component, kind: str) -> rx.Component:
    return status_card(
        icon,
        color,
        heading,
        *body,
        rx.cond(
            TaskFormState.title != "",
            rx.vstack(
                rx.text("Task", size="1", color_scheme="gray", weight="medium"),
                rx.text(TaskFormState.title, size="2", weight="medium"),
                rx.cond(
                    TaskFormState.finished_at != "",
                    rx.text(TaskFormState.finished_at, size="1", color_scheme="gray"),
                ),
                spacing="0",
                padding="0.75em",
                width="100%",
                border_radius="var(--radius-3)",
                background_color=rx.color("gray", 3),
            ),
        ),
        kind=kind,
    )


def dead_link_view(kind: str) -> rx.Component:
    """The page of a link whose task is finished, that was withdrawn or expired, or that leads to no task."""
    icon, color, heading, text = _DEAD_LINKS[kind]
    body = [rx.text(text, color_scheme="gray", size="2")]
    if kind == TaskStatus.COMPLETED:
        body = [
            rx.cond(
                TaskFormState.lost_race,
                rx.callout(
                    "Someone else submitted this task just before you, so your answers were not saved.",
                    icon="info",
                    color_scheme="amber",
                    size="1",
                    id="lost-race",
                ),
            ),
            *body,
        ]
    return _status_card(icon, color, heading, *body, kind=kind)
