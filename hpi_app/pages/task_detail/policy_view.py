"""The task page's Reminders section: the policy, the next action's countdown; remind, reassign, extend."""

from __future__ import annotations

import reflex as rx

from hpi_app.components.due import due_countdown, reminder_badges
from hpi_app.components.forms import cancel_or, error_callout, text_field
from hpi_app.pages.task_detail.policy_state import EXTEND_UNITS, TaskPolicyState
from hpi_app.pages.task_detail.state import TaskDetailState
from hpi_app.vocab import TaskStatus


def _reassign_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(rx.icon("user-round-pen", size=14), "Reassign", size="2", variant="soft", id="reassign")
        ),
        rx.dialog.content(
            rx.dialog.title("Reassign this task"),
            rx.dialog.description(
                "The new assignee gets a link of their own (someone outside your organisation "
                "confirms a one-time code); the current assignee's link stops working.",
                size="2",
                margin_bottom="1em",
            ),
            text_field(
                "Email of the new assignee",
                "reassign-email",
                type="email",
                value=TaskPolicyState.reassign_to,
                on_change=TaskPolicyState.set_reassign_to,
                placeholder="someone@example.com",
                error=TaskPolicyState.reassign_error,
            ),
            cancel_or(
                "Reassign",
                on_click=TaskPolicyState.confirm_reassign,
                loading=TaskPolicyState.busy,
                button_id="confirm-reassign",
            ),
            max_width="440px",
        ),
        open=TaskPolicyState.reassign_open,
        on_open_change=TaskPolicyState.open_reassign,
    )


def _extend_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(rx.icon("calendar-clock", size=14), "Extend", size="2", variant="soft", id="extend")
        ),
        rx.dialog.content(
            rx.dialog.title("Move the expiry"),
            rx.dialog.description(
                "The task will run out of time this long from now.", size="2", margin_bottom="1em"
            ),
            rx.hstack(
                rx.input(
                    value=TaskPolicyState.extend_amount,
                    on_change=TaskPolicyState.set_extend_amount,
                    type="number",
                    min="1",
                    id="extend-amount",
                    aria_label="How long",
                    width="8em",
                ),
                rx.select(
                    list(EXTEND_UNITS),
                    value=TaskPolicyState.extend_unit,
                    on_change=TaskPolicyState.set_extend_unit,
                    aria_label="Unit",
                ),
                spacing="2",
            ),
            error_callout(TaskPolicyState.extend_error, margin_top="0.5em", id="extend-error"),
            cancel_or(
                "Extend",
                on_click=TaskPolicyState.confirm_extend,
                loading=TaskPolicyState.busy,
                button_id="confirm-extend",
            ),
            max_width="440px",
        ),
        open=TaskPolicyState.extend_open,
        on_open_change=TaskPolicyState.open_extend,
    )


def policy_section() -> rx.Component:
    """Reminders, escalation and expiry: what the policy says, what happens next and when, and the actions."""
    pending = TaskDetailState.status == TaskStatus.PENDING
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Reminders and expiry", size="3"),
                reminder_badges(TaskDetailState.reminded_count, TaskDetailState.escalated_count),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.cond(
                TaskDetailState.policy_lines.length() > 0,
                rx.vstack(
                    rx.foreach(TaskDetailState.policy_lines, lambda line: rx.text(line, size="2")),
                    spacing="1",
                    id="policy-lines",
                ),
                rx.text(
                    "No reminders, escalation or expiry are set for this task.", size="2", color_scheme="gray"
                ),
            ),
            rx.cond(
                pending & (TaskDetailState.next_action != ""),
                rx.hstack(
                    rx.icon("alarm-clock", size=14),
                    rx.text(TaskDetailState.next_action, size="2", weight="medium"),
                    due_countdown(TaskDetailState.next_at, font_size="var(--font-size-2)"),
                    rx.text(
                        "(",
                        rx.moment(TaskDetailState.next_at, format="YYYY-MM-DD HH:mm"),
                        ")",
                        size="1",
                        color_scheme="gray",
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                    id="next-action",
                ),
            ),
            rx.cond(
                pending,
                rx.hstack(
                    rx.button(
                        rx.icon("bell-ring", size=14),
                        "Remind now",
                        size="2",
                        variant="soft",
                        on_click=TaskPolicyState.remind_now,
                        id="remind-now",
                    ),
                    _reassign_dialog(),
                    _extend_dialog(),
                    spacing="2",
                    wrap="wrap",
                ),
            ),
            error_callout(TaskPolicyState.remind_error, id="remind-error"),
            spacing="3",
            width="100%",
        ),
        width="100%",
        id="task-policy",
    )
