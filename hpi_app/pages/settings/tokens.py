"""``/settings/tokens``: create API tokens (shown once), list them, revoke them.

An admin sees every token of the organisation with the member it acts as; a member
sees only their own. Anyone may create tokens: a token acts as the member who made it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime

import reflex as rx

from hpi_app.components.forms import (
    choice_fieldset,
    error_callout,
    field_error,
    labelled_field,
    submit_button,
    text_field,
)
from hpi_app.components.settings_nav import (
    PHONE_ONLY,
    WIDE_ONLY,
    confirm_dialog,
    empty_state,
    records_table,
    section_card,
    settings_page,
    shown_once_dialog,
    when_loaded,
)
from hpi_app.core import tokens
from hpi_app.core.errors import DomainError
from hpi_app.core.principal import SCOPES
from hpi_app.models import iso, utcnow
from hpi_app.pages.settings import acting_member, back_to_sign_in
from hpi_app.state import SessionState

SCOPE_HELP = {
    "tasks:create": "Create and cancel tasks, upload files",
    "tasks:read": "List, read and wait for tasks; follow events",
    "processes:read": "Read processes",
    "processes:write": "Create and update processes",
}
SCOPE_COLORS = {
    "tasks:create": "indigo",
    "tasks:read": "teal",
    "processes:read": "gray",
    "processes:write": "purple",
}
EXPIRY_LABELS = (
    ("never", "Never"),
    ("7d", "In 7 days"),
    ("30d", "In 30 days"),
    ("90d", "In 90 days"),
    ("date", "On a date…"),
)


@dataclasses.dataclass
class TokenRow:
    """One line of the token list."""

    id: str = ""
    name: str = ""
    prefix: str = ""
    scopes: list[str] = dataclasses.field(default_factory=list)
    owner: str = ""
    created_at: str = ""
    last_used_at: str = ""
    expires_at: str = ""
    status: str = "active"


def _row(view: tokens.TokenView, now: datetime) -> TokenRow:
    token = view.token
    if token.revoked_at is not None:
        status = "revoked"
    elif token.expires_at is not None and token.expires_at <= now:
        status = "expired"
    else:
        status = "active"
    return TokenRow(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        scopes=list(token.scopes),
        owner=view.owner_email,
        created_at=iso(token.created_at) or "",
        last_used_at=iso(token.last_used_at) or "",
        expires_at=iso(token.expires_at) or "",
        status=status,
    )


def _load_rows(user_id: str) -> list[TokenRow]:
    now = utcnow()
    return [_row(view, now) for view in tokens.visible_tokens(user_id)]


class TokensState(rx.State):
    """The token list, the create form and the two dialogs of one browser tab."""

    rows: list[TokenRow] = []
    loaded: bool = False
    show_owner: bool = False

    name: str = ""
    scopes: list[str] = []
    expiry: str = "never"
    expiry_date: str = ""
    today: str = ""
    name_error: str = ""
    scopes_error: str = ""
    expiry_error: str = ""
    form_error: str = ""
    creating: bool = False

    # The raw token lives here only until its dialog is closed; it is never stored.
    new_token: str = ""
    new_token_name: str = ""
    copied: bool = False

    revoke_id: str = ""
    revoke_name: str = ""
    revoke_prefix: str = ""
    revoke_error: str = ""
    revoking: bool = False

    _user_id: str = ""

    async def _reload(self) -> None:
        self.rows = await asyncio.to_thread(_load_rows, self._user_id)
        self.loaded = True

    @rx.event
    async def load(self):
        """on_load: read the tokens this member may see."""
        session = await self.get_state(SessionState)
        if not session.user_id:
            return
        self._user_id = session.user_id
        self.show_owner = session.is_admin
        self.today = datetime.now(UTC).date().isoformat()
        self.new_token = self.new_token_name = ""
        self.revoke_id = ""
        await self._reload()

    @rx.event
    def set_name(self, value: str):
        """Type the token's name."""
        self.name = value[:200]
        if value.strip():
            self.name_error = ""

    @rx.event
    def toggle_scope(self, scope: str, checked: bool):
        """Tick or untick one scope."""
        chosen = set(self.scopes)
        if checked:
            chosen.add(scope)
        else:
            chosen.discard(scope)
        self.scopes = [s for s in SCOPES if s in chosen]
        if self.scopes:
            self.scopes_error = ""

    @rx.event
    def set_expiry(self, value: str):
        """Choose when the token expires."""
        self.expiry = value
        self.expiry_error = ""

    @rx.event
    def set_expiry_date(self, value: str):
        """Pick the expiry date."""
        self.expiry_date = value
        self.expiry_error = ""

    @rx.event
    async def create(self, _form: dict):
        """Check the form, issue the token and show it once."""
        if not self._user_id or self.creating:
            return
        self.name_error = "" if self.name.strip() else "Give the token a name, e.g. the script that uses it."
        self.scopes_error = "" if self.scopes else "Choose at least one scope."
        self.expiry_error = self.form_error = ""
        expires_at = None
        try:
            expires_at = tokens.expiry_from_choice(self.expiry, self.expiry_date)
        except DomainError as exc:
            self.expiry_error = exc.message
        if self.name_error or self.scopes_error or self.expiry_error:
            return
        if await acting_member(self) is None:
            yield back_to_sign_in(self)
            return
        self.creating = True
        yield
        try:
            raw, token = await asyncio.to_thread(
                tokens.create_token, self._user_id, self.name, self.scopes, expires_at=expires_at
            )
        except DomainError as exc:
            self._show_error(exc)
            self.creating = False
            return
        self.new_token, self.new_token_name, self.copied = raw, token.name, False
        self.name, self.scopes, self.expiry, self.expiry_date = "", [], "never", ""
        self.creating = False
        await self._reload()

    def _show_error(self, exc: DomainError) -> None:
        fields = {d.get("field") for d in exc.details}
        if "name" in fields:
            self.name_error = exc.message
        elif "scopes" in fields:
            self.scopes_error = exc.message
        elif "expires_at" in fields:
            self.expiry_error = exc.message
        else:
            self.form_error = exc.message

    @rx.event
    def mark_copied(self):
        """Note that the copy button was used."""
        self.copied = True

    @rx.event
    def close_new_token(self, open_: bool = False):
        """Forget the raw token once its dialog closes."""
        if not open_:
            self.new_token = self.new_token_name = ""
            self.copied = False

    @rx.event
    def ask_revoke(self, token_id: str):
        """Open the confirmation for revoking one token."""
        row = next((r for r in self.rows if r.id == token_id), None)
        if row is None:
            return
        self.revoke_id, self.revoke_name, self.revoke_prefix = row.id, row.name, row.prefix
        self.revoke_error = ""

    @rx.event
    def cancel_revoke(self, open_: bool = False):
        """Close the confirmation without revoking."""
        if not open_ and not self.revoking:
            self.revoke_id = ""

    @rx.event
    async def confirm_revoke(self):
        """Revoke the token the confirmation names."""
        if not self.revoke_id or self.revoking:
            return
        if await acting_member(self) is None:
            self.revoke_id = ""
            yield back_to_sign_in(self)
            return
        self.revoking = True
        yield
        try:
            await asyncio.to_thread(tokens.revoke_token_as, self._user_id, self.revoke_id)
        except DomainError as exc:
            self.revoke_error = exc.message
            self.revoking = False
            return
        self.revoking = False
        self.revoke_id = ""
        await self._reload()


def scope_badge(scope: rx.Var[str] | str) -> rx.Component:
    """A badge for one scope, coloured by what it allows."""
    return rx.match(
        scope,
        *[(name, rx.badge(name, color_scheme=color, variant="soft")) for name, color in SCOPE_COLORS.items()],
        rx.badge(scope, variant="soft"),
    )


def _scope_choice(scope: str) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=TokensState.scopes.contains(scope),
                on_change=lambda checked: TokensState.toggle_scope(scope, checked),
                name="scopes",
                value=scope,
                aria_label=scope,
                id=f"scope-{scope.replace(':', '-')}",
            ),
            rx.vstack(
                rx.code(scope, size="2", variant="ghost", weight="medium"),
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
    return section_card(
        rx.heading("Create a token", size="3", as_="h3"),
        rx.form(
            rx.vstack(
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
                                rx.select.content(
                                    *[rx.select.item(label, value=v) for v, label in EXPIRY_LABELS]
                                ),
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
                        *[_scope_choice(scope) for scope in SCOPES],
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
                error_callout(TokensState.form_error),
                submit_button(
                    "Create token", icon="plus", busy=TokensState.creating, button_id="create-token"
                ),
                spacing="4",
                width="100%",
                align="start",
            ),
            on_submit=TokensState.create,
            width="100%",
        ),
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
    )


def _revoke_dialog() -> rx.Component:
    return confirm_dialog(
        title=rx.alert_dialog.title("Revoke “", TokensState.revoke_name, "”?"),
        description=rx.alert_dialog.description(
            "Software using ",
            rx.code(TokensState.revoke_prefix + "…"),
            " is refused at once with 401 “Token revoked”. This can't be undone.",
            size="2",
        ),
        error=TokensState.revoke_error,
        confirm_label="Revoke token",
        on_confirm=TokensState.confirm_revoke,
        busy=TokensState.revoking,
        open=TokensState.revoke_id != "",
        on_open_change=TokensState.cancel_revoke,
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
