"""The API Tokens page's components: the create form, the token list and the two dialogs."""

from __future__ import annotations

import reflex as rx

from hpi_app.components.forms import (
    choice_fieldset,
    field_error,
    labelled_field,
    submit_button,
    text_field,
)
from hpi_app.components.settings_nav import (
    PHONE_ONLY,
    WIDE_ONLY,
    empty_state,
    form_card,
    records_table,
    settings_page,
    shown_once_dialog,
    when_loaded,
)
from hpi_app.pages.settings import confirm_action_dialog
from hpi_app.pages.settings.tokens.connect_agent import connect_agent
from hpi_app.pages.settings.tokens.state import EXPIRY_LABELS, TokenRow, TokensState
from hpi_app.vocab import Scope

SCOPE_HELP = {
    Scope.TASKS_CREATE: "Create and cancel tasks, upload files",
    Scope.TASKS_READ: "List, read and wait for tasks; follow events",
    Scope.PROCESSES_READ: "Read processes",
    Scope.PROCESSES_WRITE: "Create and update processes",
}
SCOPE_COLORS = {
    Scope.TASKS_CREATE: "indigo",
    Scope.TASKS_READ: "teal",
    Scope.PROCESSES_READ: "gray",
    Scope.PROCESSES_WRITE: "purple",
}


def scope_badge(scope: rx.Var[str] | str) -> rx.Component:
    """A badge for one scope, coloured by what it allows."""
    return rx.match(
        scope,
        *[
            (scope_.value, rx.badge(scope_.value, color_scheme=color, variant="soft"))
            for scope_, color in SCOPE_COLORS.items()
        ],
        rx.badge(scope, variant="soft"),
    )


def _scope_choice(scope: Scope) -> rx.Component:
    value = scope.value
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=TokensState.scopes.contains(value),
                on_change=lambda checked: TokensState.toggle_scope(value, checked),
                name="scopes",
                value=value,
                aria_label=value,
                id=f"scope-{value.replace(':', '-')}",
            ),
            rx.vstack(
                rx.code(value, size="2", variant="ghost", weight="medium"),
                rx.text(SCOPE_HELP[scope], size="1", color_scheme="gray"),
                spacing="0",
            ),
            spacing="2",
            align="start",
        ),
        cursor="pointer",
        padding="0.5em 0.6em",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="var(--radius-2)",
        width="100%",
        display="block",
    )


def _create_form() -> rx.Component:
    return form_card(
        "Create a token",
        rx.grid(
            text_field(
                "Name",
                "token-name",
                value=TokensState.name,
                on_change=TokensState.set_name,
                placeholder="e.g. deploy pipeline",
                max_length=200,
                error=TokensState.name_error,
                hint="So you recognise it in this list later.",
            ),
            labelled_field(
                "Expires",
                "token-expiry",
                rx.hstack(
                    rx.select.root(
                        rx.select.trigger(id="token-expiry", width="100%", min_width="9em"),
                        rx.select.content(*[rx.select.item(label, value=v) for v, label in EXPIRY_LABELS]),
                        value=TokensState.expiry,
                        on_change=TokensState.set_expiry,
                    ),
                    rx.cond(
                        TokensState.expiry == "date",
                        rx.input(
                            type="date",
                            id="token-expiry-date",
                            name="token_expiry_date",
                            aria_label="Expiry date",
                            value=TokensState.expiry_date,
                            on_change=TokensState.set_expiry_date,
                            min=TokensState.today,
                            width="100%",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                ),
                TokensState.expiry_error,
                hint=rx.cond(
                    TokensState.expiry == "date",
                    "It works until the end of that day (UTC).",
                    "A token that never expires works until it is revoked.",
                ),
            ),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="4",
            width="100%",
        ),
        choice_fieldset(
            "Scopes",
            rx.grid(
                *[_scope_choice(scope) for scope in Scope],
                columns=rx.breakpoints(initial="1", sm="2"),
                spacing="2",
                width="100%",
            ),
            rx.cond(
                TokensState.scopes_error != "",
                field_error(TokensState.scopes_error, "scopes-error", margin_top="0.35em"),
            ),
            width="100%",
            id="token-scopes",
        ),
        error=TokensState.form_error,
        submit=submit_button(
            "Create token", icon="plus", busy=TokensState.creating, button_id="create-token"
        ),
        on_submit=TokensState.create,
    )


def _when(value: rx.Var[str], empty: str, **props) -> rx.Component:
    return rx.cond(
        value != "",
        rx.moment(value, with_title=True, title_format="D MMM YYYY, HH:mm", **props),
        rx.text(empty, color_scheme="gray", as_="span"),
    )


def _status(row: TokenRow) -> rx.Component:
    return rx.match(
        row.status,
        ("revoked", rx.badge(rx.icon("ban", size=12), "Revoked", color_scheme="red", variant="soft")),
        ("expired", rx.badge(rx.icon("clock", size=12), "Expired", color_scheme="amber", variant="soft")),
        rx.button(
            "Revoke",
            size="1",
            variant="soft",
            color_scheme="red",
            on_click=TokensState.ask_revoke(row.id),
            aria_label="Revoke " + row.name,
            class_name="revoke-token",
        ),
    )


def _scopes(row: TokenRow, **props) -> rx.Component:
    return rx.flex(rx.foreach(row.scopes, scope_badge), spacing="1", wrap="wrap", **props)


def _token_row(row: TokenRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(row.name, weight="medium"),
                rx.code(
                    row.prefix + "…", variant="soft", color_scheme="gray", white_space="nowrap", size="1"
                ),
                # On a phone the scopes sit here; their own column is left out.
                _scopes(row, display=PHONE_ONLY),
                spacing="1",
                align="start",
            ),
            max_width="16em",
        ),
        rx.table.cell(_scopes(row, min_width="6em"), display=WIDE_ONLY),
        rx.cond(TokensState.show_owner, rx.table.cell(rx.text(row.owner, size="2"), display=WIDE_ONLY)),
        rx.table.cell(
            _when(row.created_at, "—", format="D MMM YYYY"), white_space="nowrap", display=WIDE_ONLY
        ),
        rx.table.cell(
            _when(row.last_used_at, "Never", from_now=True), white_space="nowrap", class_name="last-used"
        ),
        rx.table.cell(
            _when(row.expires_at, "Never", format="D MMM YYYY"), white_space="nowrap", display=WIDE_ONLY
        ),
        rx.table.cell(_status(row), white_space="nowrap"),
        class_name="token-row",
        key=row.id,
        data_token_id=row.id,
        data_prefix=row.prefix,
        data_status=row.status,
        opacity=rx.cond(row.status == "active", "1", "0.65"),
        align="center",
    )


def _token_list() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading("Tokens", size="3", as_="h3"),
            rx.cond(
                TokensState.show_owner,
                rx.text("Every token in your organisation", size="1", color_scheme="gray"),
                rx.text("Tokens you created", size="1", color_scheme="gray"),
            ),
            align="baseline",
            spacing="3",
            wrap="wrap",
        ),
        when_loaded(
            TokensState.loaded,
            records_table(
                TokensState.rows,
                _token_row,
                rx.table.column_header_cell("Token"),
                rx.table.column_header_cell("Scopes", display=WIDE_ONLY),
                rx.cond(
                    TokensState.show_owner,
                    rx.table.column_header_cell("Acts as", display=WIDE_ONLY),
                ),
                rx.table.column_header_cell("Created", display=WIDE_ONLY),
                rx.table.column_header_cell("Last used"),
                rx.table.column_header_cell("Expires", display=WIDE_ONLY),
                rx.table.column_header_cell("Status"),
                table_id="token-table",
                empty=empty_state(
                    "key-round",
                    "No API tokens yet",
                    "Create one above so a script, a CI pipeline or an agent can create tasks.",
                    id="tokens-empty",
                ),
            ),
            id="tokens-loading",
        ),
        spacing="3",
        width="100%",
    )


def _new_token_dialog() -> rx.Component:
    return shown_once_dialog(
        title="Copy your new token",
        description=rx.alert_dialog.description(
            "Use it as ", rx.code("Authorization: Bearer <token>"), " when calling the API.", size="2"
        ),
        warning=(
            "This is the only time the token is shown: you won't see it again, HPI keeps only "
            "a hash. If you lose it, revoke it and create another."
        ),
        value=TokensState.new_token,
        copied=TokensState.copied,
        on_copied=TokensState.mark_copied,
        on_close=TokensState.close_new_token,
        noun="token",
        extra=connect_agent(),
    )


def _revoke_dialog() -> rx.Component:
    return confirm_action_dialog(
        TokensState,
        title=rx.alert_dialog.title("Revoke “", TokensState.confirm_name, "”?"),
        description=rx.alert_dialog.description(
            "Software using ",
            rx.code(TokensState.revoke_prefix + "…"),
            " is refused at once with 401 “Token revoked”. This can't be undone.",
            size="2",
        ),
        error=TokensState.revoke_error,
        confirm_label="Revoke token",
        dialog_id="revoke-dialog",
        confirm_id="confirm-revoke",
    )


def tokens_page() -> rx.Component:
    """Settings > API Tokens."""
    return settings_page(
        "tokens",
        "API Tokens",
        "Tokens let software create and read tasks over the API. "
        "Each token acts as the member who created it.",
        _create_form(),
        _token_list(),
        _new_token_dialog(),
        _revoke_dialog(),
    )
