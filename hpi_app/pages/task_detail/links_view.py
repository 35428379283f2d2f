"""The task detail page's Links section: each link (who, opened, expires, withdrawn); add, copy, withdraw."""

from __future__ import annotations

import reflex as rx

from hpi_app.components.forms import (
    cancel_or,
    error_callout,
    keep_it_or,
    text_field,
)
from hpi_app.pages.task_detail.links_state import LinkRow, TaskLinksState
from hpi_app.pages.task_detail.state import TaskDetailState
from hpi_app.vocab import TaskStatus

_STATE_BADGES = {"withdrawn": ("Withdrawn", "red"), "expired": ("Expired", "amber")}


def _moment(label: str, at: rx.Var[str]) -> rx.Component:
    return rx.text(label, " ", rx.moment(at, format="YYYY-MM-DD HH:mm"), size="1", color_scheme="gray")


def _badges(row: rx.Var[LinkRow]) -> rx.Component:
    return rx.hstack(
        rx.cond(row.primary, rx.badge("Task link", variant="soft", color_scheme="indigo")),
        rx.cond(
            row.code, rx.badge(rx.icon("mail-check", size=12), "Code", variant="soft", color_scheme="gray")
        ),
        rx.match(
            row.state,
            *[
                (state, rx.badge(text, variant="soft", color_scheme=color))
                for state, (text, color) in _STATE_BADGES.items()
            ],
            rx.fragment(),
        ),
        spacing="1",
        wrap="wrap",
    )


def _row(row: rx.Var[LinkRow]) -> rx.Component:
    is_open = row.state == "open"
    return rx.vstack(
        rx.hstack(
            rx.text(
                rx.cond(row.who != "", row.who, "Anyone with the link"),
                weight="medium",
                size="2",
                class_name="link-who",
            ),
            _badges(row),
            spacing="2",
            align="center",
            wrap="wrap",
        ),
        rx.hstack(
            rx.cond(
                row.opened_at != "",
                _moment("Opened", row.opened_at),
                rx.text("Not opened yet", size="1", color_scheme="gray"),
            ),
            rx.cond(
                row.expires_at != "",
                _moment(rx.cond(row.state == "expired", "Expired", "Expires"), row.expires_at),
            ),
            rx.cond(row.revoked_at != "", _moment("Withdrawn", row.revoked_at)),
            spacing="3",
            wrap="wrap",
        ),
        rx.text(row.url, size="1", word_break="break-all", class_name="link-url", color_scheme="gray"),
        rx.hstack(
            rx.button(
                rx.icon("copy", size=14),
                rx.cond(TaskLinksState.copied == row.link_id, "Copied", "Copy"),
                size="1",
                variant="soft",
                on_click=TaskLinksState.copy(row.link_id, row.url),
                class_name="copy-link-row",
                disabled=~is_open,
            ),
            rx.cond(
                is_open,
                rx.button(
                    rx.icon("link-2-off", size=14),
                    "Withdraw",
                    size="1",
                    variant="soft",
                    color_scheme="red",
                    on_click=TaskLinksState.ask_withdraw(row.link_id, row.who),
                    class_name="withdraw-link",
                ),
            ),
            spacing="2",
        ),
        spacing="1",
        width="100%",
        padding_y="0.6em",
        border_top=f"1px solid {rx.color('gray', 4)}",
        class_name="link-row",
        custom_attrs={"data-state": row.state, "data-primary": rx.cond(row.primary, "true", "false")},
        opacity=rx.cond(is_open, "1", "0.7"),
    )


def _add_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(
            rx.button(rx.icon("plus", size=14), "Add link", size="2", variant="soft", id="add-link")
        ),
        rx.dialog.content(
            rx.dialog.title("Add a link"),
            rx.dialog.description(
                "Another link to the same task, for someone else or with its own code. It can be "
                "withdrawn later without touching the others.",
                size="2",
                margin_bottom="1em",
            ),
            rx.vstack(
                text_field(
                    "Email (optional)",
                    "link-email",
                    type="email",
                    value=TaskLinksState.email,
                    on_change=TaskLinksState.set_email,
                    placeholder="someone@example.com",
                    error=TaskLinksState.email_error,
                    hint="Someone outside your organisation gets a one-time code at this address.",
                ),
                text_field(
                    "Name (optional)",
                    "link-name",
                    value=TaskLinksState.name,
                    on_change=TaskLinksState.set_name,
                    placeholder="Who it is for",
                ),
                rx.el.label(
                    rx.hstack(
                        rx.checkbox(
                            checked=TaskLinksState.ask_code & (TaskLinksState.email != ""),
                            on_change=TaskLinksState.set_ask_code,
                            disabled=TaskLinksState.email == "",
                            id="link-require-code",
                        ),
                        rx.text("Ask for a one-time code emailed to that address", size="2"),
                        spacing="2",
                        align="center",
                    ),
                ),
                error_callout(TaskLinksState.add_error, id="add-link-error"),
                spacing="3",
                width="100%",
            ),
            cancel_or(
                "Add link",
                on_click=TaskLinksState.confirm_add,
                loading=TaskLinksState.adding,
                button_id="confirm-add-link",
            ),
            max_width="440px",
        ),
        open=TaskLinksState.add_open,
        on_open_change=TaskLinksState.open_add,
    )


def _withdraw_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title("Withdraw this link?"),
            rx.alert_dialog.description(
                rx.cond(
                    TaskLinksState.withdraw_who != "",
                    rx.text(
                        "The link for ",
                        rx.text.strong(TaskLinksState.withdraw_who),
                        " stops working at once.",
                    ),
                    rx.text("This link stops working at once."),
                ),
                " Whoever opens it sees that it was withdrawn. The task and its other links stay as "
                "they are.",
                size="2",
            ),
            error_callout(TaskLinksState.withdraw_error, margin_top="0.5em"),
            keep_it_or("Withdraw", on_click=TaskLinksState.confirm_withdraw, button_id="confirm-withdraw"),
        ),
        open=TaskLinksState.withdraw_id != "",
        on_open_change=TaskLinksState.close_withdraw,
    )


def links_section() -> rx.Component:
    """The task's links, the original first, with Add link (while the task is pending), Copy and Withdraw."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading("Links", size="3"),
                rx.cond(TaskDetailState.status == TaskStatus.PENDING, _add_dialog()),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.vstack(rx.foreach(TaskDetailState.links, _row), spacing="0", width="100%"),
            _withdraw_dialog(),
            spacing="2",
            width="100%",
        ),
        width="100%",
        id="task-links",
    )
