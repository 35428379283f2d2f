"""Settings > Notification sinks: the sink list, the chosen sink's delivery log and the dialogs."""

from __future__ import annotations

import reflex as rx

from hpi_app.components.deliveries import delivery_list, delivery_status_badge, sink_type_badge
from hpi_app.components.forms import secondary_button
from hpi_app.components.settings_nav import (
    PHONE_ONLY,
    WIDE_ONLY,
    empty_state,
    records_table,
    section_card,
    settings_page,
    when_loaded,
)
from hpi_app.pages.settings.sinks.data import SinkRow
from hpi_app.pages.settings.sinks.dialogs import new_secret_dialog, sink_confirm_dialog, sink_editor
from hpi_app.pages.settings.sinks.state import SinksState


def _events(row: SinkRow, **props) -> rx.Component:
    return rx.flex(
        rx.foreach(row.events, lambda e: rx.badge(e, color_scheme="gray", variant="soft")),
        spacing="1",
        wrap="wrap",
        **props,
    )


def _actions(row: SinkRow) -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.icon_button(
                rx.icon("ellipsis", size=16),
                variant="ghost",
                color_scheme="gray",
                aria_label="Actions for " + row.name,
                class_name="sink-actions",
            )
        ),
        rx.dropdown_menu.content(
            rx.dropdown_menu.item(rx.icon("pencil", size=14), "Edit", on_click=SinksState.edit_sink(row.id)),
            rx.dropdown_menu.item(
                rx.icon("send", size=14), "Send test event", on_click=SinksState.send_test(row.id)
            ),
            rx.cond(
                row.carries_secret,
                rx.dropdown_menu.item(
                    rx.icon("key-round", size=14), "Rotate secret", on_click=SinksState.ask("rotate", row.id)
                ),
            ),
            rx.dropdown_menu.separator(),
            rx.dropdown_menu.item(
                rx.icon("trash-2", size=14), "Delete", color="red", on_click=SinksState.ask("delete", row.id)
            ),
        ),
    )


def _last_delivery(row: SinkRow) -> rx.Component:
    return rx.cond(
        row.last_status != "",
        rx.vstack(
            delivery_status_badge(row.last_status),
            rx.text(
                rx.moment(row.last_at, from_now=True), size="1", color_scheme="gray", white_space="nowrap"
            ),
            spacing="1",
        ),
        rx.text("None yet", size="1", color_scheme="gray"),
    )


def _sink_row(row: SinkRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.hstack(
                    rx.text(row.name, weight="medium"), sink_type_badge(row.type), spacing="2", wrap="wrap"
                ),
                rx.text(
                    row.target, size="1", color_scheme="gray", word_break="break-all", display=PHONE_ONLY
                ),
                _events(row, display=PHONE_ONLY),
                rx.cond(
                    row.last_status != "", rx.box(delivery_status_badge(row.last_status), display=PHONE_ONLY)
                ),
                rx.link("Delivery log", size="1", on_click=SinksState.show_log(row.id), href="#delivery-log"),
                spacing="1",
                align="start",
            ),
            max_width="16em",
        ),
        rx.table.cell(
            rx.text(row.target, size="2", word_break="break-all", class_name="sink-target"),
            max_width="18em",
            display=WIDE_ONLY,
        ),
        rx.table.cell(_events(row, min_width="6em"), display=WIDE_ONLY),
        rx.table.cell(
            rx.switch(
                checked=row.enabled,
                on_change=lambda value: SinksState.set_enabled(row.id, value),
                disabled=~SinksState.can_manage,
                aria_label="Enabled: " + row.name,
                class_name="sink-enabled",
            )
        ),
        rx.table.cell(_last_delivery(row), display=WIDE_ONLY),
        rx.cond(SinksState.can_manage, rx.table.cell(_actions(row))),
        class_name="sink-row",
        key=row.id,
        data_sink_id=row.id,
        data_name=row.name,
        background_color=rx.cond(row.id == SinksState.log_sink_id, rx.color("accent", 2), "transparent"),
        align="center",
    )


def _sink_list() -> rx.Component:
    return section_card(
        rx.hstack(
            rx.heading("Sinks", size="3", as_="h3"),
            rx.spacer(),
            rx.cond(
                SinksState.can_manage,
                rx.button(rx.icon("plus", size=16), "Add sink", on_click=SinksState.new_sink, id="add-sink"),
            ),
            align="center",
            width="100%",
        ),
        rx.cond(
            ~SinksState.can_manage,
            rx.callout(
                "Only an admin can add or change sinks. Ask an admin if one needs to change.",
                icon="shield-alert",
                color_scheme="amber",
                size="1",
                id="admin-only",
            ),
        ),
        when_loaded(
            SinksState.loaded,
            records_table(
                SinksState.rows,
                _sink_row,
                rx.table.column_header_cell("Sink"),
                rx.table.column_header_cell("Target", display=WIDE_ONLY),
                rx.table.column_header_cell("Events", display=WIDE_ONLY),
                rx.table.column_header_cell("Enabled"),
                rx.table.column_header_cell("Last delivery", display=WIDE_ONLY),
                rx.cond(SinksState.can_manage, rx.table.column_header_cell("", aria_label="Actions")),
                table_id="sink-table",
                empty=empty_state(
                    "bell",
                    "No notification sinks yet",
                    "Add a webhook, an email address or a NATS subject to hear about every task of "
                    "your organisation.",
                    id="sinks-empty",
                ),
            ),
        ),
    )


def _delivery_log() -> rx.Component:
    return rx.cond(
        SinksState.log_sink_id != "",
        section_card(
            rx.hstack(
                rx.heading("Delivery log · ", SinksState.log_sink_name, size="3", as_="h3"),
                rx.spacer(),
                rx.cond(
                    SinksState.log_total > SinksState.log_rows.length(),
                    rx.text("Newest ", SinksState.log_rows.length(), " of ", SinksState.log_total, size="1"),
                ),
                secondary_button(
                    rx.icon("refresh-cw", size=14),
                    "Refresh",
                    size="1",
                    on_click=SinksState.refresh,
                    id="refresh-deliveries",
                ),
                align="center",
                width="100%",
                wrap="wrap",
            ),
            delivery_list(
                SinksState.log_rows,
                SinksState.redeliver,
                can_redeliver=SinksState.can_manage,
                empty="Nothing sent to this sink yet. Send a test event to try it.",
            ),
            id="delivery-log",
        ),
    )


def sinks_page() -> rx.Component:
    """Settings > Notification sinks."""
    return settings_page(
        "sinks",
        "Notification sinks",
        "Org-wide sinks hear about every task of your organisation, beside the sinks a task names "
        "itself. Every delivery is logged and can be sent again.",
        _sink_list(),
        _delivery_log(),
        sink_editor(),
        new_secret_dialog(),
        sink_confirm_dialog(),
    )
