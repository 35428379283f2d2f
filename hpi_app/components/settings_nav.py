"""The frame of the Settings pages: a heading, the sub-navigation and the page's own sections.

Also the parts those sections share: cards, lists of records, empty states and dialogs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from hpi_app import routes
from hpi_app.components.forms import callout_if, dialog_actions, error_callout, secondary_button
from hpi_app.components.layout import loading_spinner, signed_in_page

# (key, label, route, icon); the order of the tabs.
SETTINGS_SECTIONS = (
    ("tokens", "API Tokens", routes.SETTINGS_TOKENS, "key-round"),
    ("members", "Members", routes.SETTINGS_MEMBERS, "users"),
    ("sinks", "Notification sinks", routes.SETTINGS_SINKS, "bell"),
    ("defaults", "Task defaults", routes.SETTINGS_DEFAULTS, "alarm-clock"),
    ("account", "Account", routes.SETTINGS_ACCOUNT, "circle-user-round"),
)
# Table columns a phone leaves out (the table still scrolls sideways in its box if it must).
WIDE_ONLY = rx.breakpoints(initial="none", sm="table-cell")
PHONE_ONLY = rx.breakpoints(initial="flex", sm="none")


def _nav_item(label: str, href: str, icon: str, active: bool) -> rx.Component:
    marks = {"aria_current": "page"} if active else {"color_scheme": "gray", "high_contrast": True}
    return rx.link(
        rx.hstack(
            rx.icon(icon, size=16), rx.text(label, size="2", weight="medium"), spacing="2", align="center"
        ),
        href=href,
        underline="none",
        **marks,
        padding_x="0.75em",
        padding_y="0.6em",
        white_space="nowrap",
        border_bottom=f"2px solid {rx.color('accent', 9) if active else 'transparent'}",
        margin_bottom="-1px",
        _hover={"background_color": rx.color("gray", 3)},
        border_top_left_radius="var(--radius-2)",
        border_top_right_radius="var(--radius-2)",
    )


def settings_nav(active: str) -> rx.Component:
    """The tabs linking the Settings pages, ``active`` marked as the current one."""
    return rx.el.nav(
        rx.hstack(
            *[_nav_item(label, href, icon, key == active) for key, label, href, icon in SETTINGS_SECTIONS],
            spacing="1",
            border_bottom=f"1px solid {rx.color('gray', 5)}",
            width="100%",
            overflow_x="auto",
            overflow_y="hidden",
        ),
        aria_label="Settings",
        id="settings-nav",
        width="100%",
    )


def settings_page(active: str, title: str, description: str, *children: rx.Component) -> rx.Component:
    """A Settings page for members: heading, tabs, then the section's title, description and content."""
    return signed_in_page(
        rx.vstack(
            rx.heading("Settings", size="7", as_="h1"),
            settings_nav(active),
            rx.vstack(
                rx.heading(title, size="5", as_="h2"),
                rx.text(description, size="2", color_scheme="gray"),
                spacing="1",
                width="100%",
                padding_top="0.5em",
            ),
            *children,
            spacing="4",
            width="100%",
            min_width="0",
            padding_bottom="3em",
        )
    )


def section_card(*children: rx.Component, **props) -> rx.Component:
    """A card holding one part of a Settings page."""
    return rx.card(
        rx.vstack(*children, spacing="3", width="100%"),
        size="2",
        width="100%",
        **props,
    )


def form_card(
    title: str, *fields: rx.Component, error: rx.Var[str], submit: rx.Component, on_submit: Any
) -> rx.Component:
    """A Settings card holding a form: its heading, its fields, why it was refused, and its submit button."""
    return section_card(
        rx.heading(title, size="3", as_="h3"),
        rx.form(
            rx.vstack(*fields, error_callout(error), submit, spacing="4", width="100%", align="start"),
            on_submit=on_submit,
            width="100%",
        ),
    )


def empty_state(icon: str, title: str, text: str, **props) -> rx.Component:
    """A quiet box saying there is nothing here yet, and what to do about it."""
    return rx.center(
        rx.vstack(
            rx.center(
                rx.icon(icon, size=22, color=rx.color("gray", 10)),
                width="44px",
                height="44px",
                border_radius="50%",
                background_color=rx.color("gray", 3),
            ),
            rx.text(title, weight="medium", size="3"),
            rx.text(text, size="2", color_scheme="gray", text_align="center", max_width="380px"),
            spacing="2",
            align="center",
        ),
        padding_y="2.5em",
        padding_x="1em",
        width="100%",
        border=f"1px dashed {rx.color('gray', 6)}",
        border_radius="var(--radius-3)",
        **props,
    )


def scrolling_table(table: rx.Component, **props) -> rx.Component:
    """A table that scrolls sideways inside its own box on narrow screens (never the page)."""
    return rx.box(table, overflow_x="auto", width="100%", max_width="100%", **props)


def records_table(
    rows: rx.Var[list],
    row: Callable[[Any], rx.Component],
    *header_cells: rx.Component,
    table_id: str,
    empty: rx.Component | None = None,
) -> rx.Component:
    """A Settings list: the header cells, then ``row`` for each of ``rows`` (``empty`` when none)."""
    table = scrolling_table(
        rx.table.root(
            rx.table.header(rx.table.row(*header_cells)),
            rx.table.body(rx.foreach(rows, row)),
            variant="surface",
            size=rx.breakpoints(initial="1", sm="2"),
            width="100%",
            id=table_id,
        ),
    )
    return table if empty is None else rx.cond(rows.length() > 0, table, empty)


def when_loaded(loaded: rx.Var[bool], content: rx.Component, **spinner_props) -> rx.Component:
    """``content`` once the section's records are read; a full-width spinner until then."""
    return rx.cond(loaded, content, loading_spinner(width="100%", **spinner_props))


def shown_once_dialog(
    *,
    title: str,
    description: rx.Component,
    warning: str,
    value: rx.Var[str],
    copied: rx.Var[bool],
    on_copied: Any,
    on_close: Any,
    noun: str,
    extra: rx.Component | None = None,
) -> rx.Component:
    """A dialog that shows a secret exactly once, with a copy button and a warning.

    Args:
        title: The dialog's title.
        description: What the secret is for.
        warning: Why it must be copied now.
        value: The secret ("" closes the dialog).
        copied: Whether the copy button was pressed.
        on_copied: Event marking the secret copied.
        on_close: Event handler taking the dialog's open flag (False clears the secret).
        noun: The secret's name in element ids and the button ("token" → ``new-token-value``).
        extra: More to offer beside the secret (shown below it, above the buttons).
    """
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            description,
            rx.vstack(
                rx.callout(warning, icon="triangle-alert", color_scheme="amber", size="1", width="100%"),
                rx.box(
                    rx.text(
                        value,
                        id=f"new-{noun}-value",
                        font_family="var(--code-font-family)",
                        size="2",
                        word_break="break-all",
                        user_select="all",
                    ),
                    padding="0.75em",
                    border_radius="var(--radius-2)",
                    background_color=rx.color("gray", 3),
                    border=f"1px solid {rx.color('gray', 6)}",
                    width="100%",
                ),
                *([extra] if extra is not None else []),
                rx.hstack(
                    rx.button(
                        rx.cond(copied, rx.icon("check", size=16), rx.icon("copy", size=16)),
                        rx.cond(copied, "Copied", f"Copy {noun}"),
                        on_click=[rx.set_clipboard(value), on_copied],
                        variant="soft",
                        id=f"copy-{noun}",
                    ),
                    rx.spacer(),
                    rx.button("Done", on_click=on_close(False), id=f"close-new-{noun}"),
                    width="100%",
                ),
                spacing="3",
                margin_top="1em",
                width="100%",
            ),
            max_width="560px",
            id=f"new-{noun}-dialog",
        ),
        open=value != "",
        on_open_change=on_close,
    )


def confirm_dialog(
    *,
    title: rx.Component,
    description: rx.Component,
    confirm_label: Any,
    on_confirm: Any,
    busy: rx.Var[bool],
    open: rx.Var[bool],
    on_open_change: Any,
    dialog_id: str,
    confirm_id: str,
    error: rx.Var[str] | None = None,
    color_scheme: Any = "red",
) -> rx.Component:
    """An "are you sure?" dialog: what will happen, an optional error, Cancel and the action."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            title,
            description,
            callout_if(error, icon="triangle-alert", color_scheme="red", margin_top="1em")
            if error is not None
            else rx.fragment(),
            dialog_actions(
                rx.alert_dialog.cancel(secondary_button("Cancel")),
                rx.button(
                    confirm_label,
                    color_scheme=color_scheme,
                    on_click=on_confirm,
                    loading=busy,
                    id=confirm_id,
                ),
                margin_top="1.25em",
            ),
            max_width="460px",
            id=dialog_id,
        ),
        open=open,
        on_open_change=on_open_change,
    )
