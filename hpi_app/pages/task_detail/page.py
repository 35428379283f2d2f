"""The task detail page's components: the task's facts, answers, links, timeline, deliveries and cancel."""

from __future__ import annotations

import reflex as rx

from hpi_app import routes
from hpi_app.components.answers import answer_value
from hpi_app.components.badges import status_badge
from hpi_app.components.deliveries import delivery_list
from hpi_app.components.due import due_script
from hpi_app.components.forms import callout_if, keep_it_or
from hpi_app.components.layout import loading_spinner, signed_in_page
from hpi_app.components.signature import signature_script
from hpi_app.components.task_form.state import TaskFormState
from hpi_app.components.task_views import form_body
from hpi_app.core.answers import Answer
from hpi_app.pages.processes.task_process import task_process_link
from hpi_app.pages.task_detail.links_view import links_section
from hpi_app.pages.task_detail.policy_view import policy_section
from hpi_app.pages.task_detail.state import TaskDetailState, TimelineEntry
from hpi_app.vocab import TaskStatus


def _fact(label: str, value: rx.Component) -> rx.Component:
    return rx.data_list.item(rx.data_list.label(label), rx.data_list.value(value))


def _answer(row: rx.Var[Answer]) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(row.label),
        rx.data_list.value(answer_value(row)),
        class_name="answer",
        data_field=row.name,
    )


def _timeline_entry(entry: rx.Var[TimelineEntry]) -> rx.Component:
    return rx.hstack(
        rx.box(
            width="8px",
            height="8px",
            border_radius="50%",
            background_color=rx.color("accent", 9),
            margin_top="7px",
        ),
        rx.vstack(
            rx.hstack(
                rx.text(entry.label, weight="medium", size="2"),
                rx.cond(entry.who != "", rx.text("by ", entry.who, size="2", color_scheme="gray")),
                spacing="1",
            ),
            rx.text(rx.moment(entry.at, format="YYYY-MM-DD HH:mm:ss"), size="1", color_scheme="gray"),
            rx.cond(entry.note != "", rx.text("“", entry.note, "”", size="1", color_scheme="gray")),
            spacing="0",
        ),
        spacing="3",
        align="start",
        class_name="timeline-entry",
        data_kind=entry.kind,
    )


def _cancel_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(
            rx.button("Cancel task", color_scheme="red", variant="soft", id="cancel-task")
        ),
        rx.alert_dialog.content(
            rx.alert_dialog.title("Cancel this task?"),
            rx.alert_dialog.description(
                "Whoever holds the link can no longer complete it, and waiting software gets status "
                "cancelled with your reason.",
                size="2",
            ),
            rx.el.label("Reason (optional)", html_for="cancel-reason", font_size="var(--font-size-2)"),
            rx.text_area(
                id="cancel-reason",
                value=TaskDetailState.cancel_text,
                on_change=TaskDetailState.set_cancel_text,
                placeholder="Why is it no longer needed?",
            ),
            rx.cond(
                TaskDetailState.cancel_error != "",
                rx.text(TaskDetailState.cancel_error, color_scheme="red", size="2"),
            ),
            keep_it_or("Cancel task", on_click=TaskDetailState.confirm_cancel, button_id="confirm-cancel"),
        ),
        open=TaskDetailState.cancel_open,
        on_open_change=TaskDetailState.open_cancel,
    )


def _instructions() -> rx.Component:
    return rx.cond(
        TaskDetailState.instructions_html != "",
        rx.box(rx.html(TaskDetailState.instructions_html), class_name="markdown", width="100%"),
    )


def _embedded_form() -> rx.Component:
    return rx.cond(
        (TaskDetailState.status == TaskStatus.PENDING) & (TaskFormState.view == "form"),
        rx.card(
            rx.vstack(
                rx.heading("Complete it here", size="3"),
                _instructions(),
                form_body(),
                spacing="3",
                width="100%",
            ),
            width="100%",
            id="detail-form",
        ),
    )


def _details() -> rx.Component:
    return rx.vstack(
        signature_script(),
        due_script(),
        rx.link(
            rx.hstack(rx.icon("arrow-left", size=14), rx.text("All tasks"), align="center"),
            href=routes.DASHBOARD,
            size="2",
        ),
        rx.hstack(
            rx.heading(TaskDetailState.title, size="6", id="task-title"),
            status_badge(TaskDetailState.status),
            align="center",
            wrap="wrap",
            spacing="3",
        ),
        task_process_link(),
        rx.hstack(
            rx.button(
                rx.icon("copy", size=14),
                "Copy link",
                variant="soft",
                on_click=TaskDetailState.copy_link,
                id="copy-link",
            ),
            rx.cond(
                TaskDetailState.status == TaskStatus.PENDING,
                rx.fragment(
                    rx.link(
                        rx.button(rx.icon("external-link", size=14), "Open the link's page", variant="soft"),
                        href=TaskDetailState.link_path,
                        id="open-link-page",
                    ),
                    _cancel_dialog(),
                ),
            ),
            spacing="3",
            wrap="wrap",
        ),
        _embedded_form(),
        rx.grid(
            rx.card(
                rx.vstack(
                    rx.heading("Details", size="3"),
                    rx.data_list.root(
                        _fact("Status", status_badge(TaskDetailState.status)),
                        _fact("Created", rx.moment(TaskDetailState.created_at, format="YYYY-MM-DD HH:mm")),
                        _fact(
                            "Assignee",
                            rx.text(rx.cond(TaskDetailState.assignee != "", TaskDetailState.assignee, "—")),
                        ),
                        _fact(
                            "Correlation key",
                            rx.code(
                                rx.cond(
                                    TaskDetailState.correlation_key != "",
                                    TaskDetailState.correlation_key,
                                    "—",
                                )
                            ),
                        ),
                        _fact(
                            "Link",
                            rx.text(
                                TaskDetailState.link_url, size="1", word_break="break-all", id="task-link"
                            ),
                        ),
                        _fact("Task id", rx.code(TaskDetailState.task_id_shown, size="1")),
                        orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
                    ),
                    _instructions(),
                    rx.cond(
                        TaskDetailState.status == TaskStatus.COMPLETED,
                        rx.vstack(
                            rx.heading("Answers", size="3"),
                            rx.data_list.root(rx.foreach(TaskDetailState.answer_rows, _answer), id="answers"),
                            width="100%",
                        ),
                    ),
                    callout_if(
                        TaskDetailState.cancel_reason, icon="ban", color_scheme="gray", title="Cancel reason"
                    ),
                    spacing="4",
                    width="100%",
                ),
            ),
            rx.vstack(
                policy_section(),
                links_section(),
                rx.card(
                    rx.vstack(
                        rx.heading("Timeline", size="3"),
                        rx.foreach(TaskDetailState.timeline, _timeline_entry),
                        spacing="3",
                        id="timeline",
                    ),
                    width="100%",
                ),
                rx.card(
                    rx.vstack(
                        rx.heading("Deliveries", size="3"),
                        delivery_list(
                            TaskDetailState.deliveries,
                            TaskDetailState.redeliver,
                            show_task=False,
                            show_sink=True,
                            empty="No sink was told about this task yet.",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    width="100%",
                    id="task-deliveries",
                ),
                spacing="4",
                min_width="0",
            ),
            columns=rx.breakpoints(initial="1", md="3fr 2fr"),
            spacing="4",
            width="100%",
        ),
        spacing="4",
        width="100%",
    )


def task_detail_page() -> rx.Component:
    """The task detail page."""
    return signed_in_page(
        rx.cond(
            TaskDetailState.loaded,
            rx.cond(
                TaskDetailState.found,
                _details(),
                rx.callout(
                    "There is no such task in your organisation.",
                    icon="search-x",
                    color_scheme="gray",
                    id="task-missing",
                ),
            ),
            loading_spinner(),
        )
    )
