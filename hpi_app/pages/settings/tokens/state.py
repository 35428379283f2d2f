"""The API Tokens page's state: the token list, the create form and the two dialogs.

An admin sees every token of the organisation with the member it acts as; a member
sees only their own. Anyone may create tokens: a token acts as the member who made it.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import reflex as rx

from hpi_app import routes
from hpi_app.core import mcp_config, tokens
from hpi_app.core.errors import DomainError
from hpi_app.models import iso, utcnow
from hpi_app.pages.settings import ConfirmAction, back_to_sign_in
from hpi_app.state import Member, acting_member, in_thread
from hpi_app.vocab import McpClient, McpTransport, Scope

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


class TokensState(ConfirmAction, rx.State):
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

    # "Connect an agent", offered with the new token: which tool, which transport.
    agent_open: bool = False
    agent_client: str = McpClient.CLAUDE_CODE.value
    agent_transport: str = McpTransport.HTTP.value
    agent_copied: bool = False
    base_url: str = ""

    revoke_prefix: str = ""
    revoke_error: str = ""

    async def _reload(self, member: Member) -> None:
        self.rows = await in_thread(_load_rows, member.user_id)
        self.show_owner = member.is_admin
        self.loaded = True

    @rx.event
    async def load(self):
        """on_load: read the tokens this member may see."""
        member = await acting_member(self)
        if member is None:
            return
        self.today = datetime.now(UTC).date().isoformat()
        self.base_url = routes.public_base(self.router.url.origin)
        self.new_token = self.new_token_name = ""
        self.confirm_id = ""
        await self._reload(member)

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
        self.scopes = [s.value for s in Scope if s in chosen]
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
        if self.creating:
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
        member = await acting_member(self)
        if member is None:
            yield back_to_sign_in(self)
            return
        self.creating = True
        yield
        try:
            raw, token = await in_thread(
                tokens.create_token, member.user_id, self.name, self.scopes, expires_at=expires_at
            )
        except DomainError as exc:
            self._show_error(exc)
            self.creating = False
            return
        self.new_token, self.new_token_name, self.copied = raw, token.name, False
        self.name, self.scopes, self.expiry, self.expiry_date = "", [], "never", ""
        self.creating = False
        await self._reload(member)

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
            self.copied = self.agent_open = self.agent_copied = False

    @rx.var
    def agent_snippet(self) -> str:
        """The chosen tool's MCP settings with the new token filled in ("" once it is gone)."""
        if not self.new_token:
            return ""
        return mcp_config.client_config_json(
            self.agent_client, self.agent_transport, base_url=self.base_url, token=self.new_token
        )

    @rx.var
    def agent_file(self) -> str:
        """Where the chosen tool reads its MCP settings from."""
        return mcp_config.CONFIG_FILES[McpClient(self.agent_client)]

    @rx.event
    def toggle_agent(self):
        """Show or hide "Connect an agent"."""
        self.agent_open = not self.agent_open

    @rx.event
    def set_agent_client(self, value: str | list[str]):
        """Choose the agent's tool (Claude Code, Cursor, VS Code)."""
        if isinstance(value, str) and value in tuple(McpClient):
            self.agent_client, self.agent_copied = value, False

    @rx.event
    def set_agent_transport(self, value: str | list[str]):
        """Choose HTTP (the server's /mcp) or stdio (a local `python -m hpi_app mcp`)."""
        if isinstance(value, str) and value in tuple(McpTransport):
            self.agent_transport, self.agent_copied = value, False

    @rx.event
    def mark_agent_copied(self):
        """Note that the snippet was copied."""
        self.agent_copied = True

    @rx.event
    def ask_revoke(self, token_id: str):
        """Open the confirmation for revoking one token."""
        row = next((r for r in self.rows if r.id == token_id), None)
        if row is None:
            return
        self.confirm_id, self.confirm_name, self.revoke_prefix = row.id, row.name, row.prefix
        self.revoke_error = ""

    async def _confirmed(self, member: Member) -> bool:
        """Revoke the token the confirmation names; on an error the dialog stays open saying it."""
        try:
            await in_thread(tokens.revoke_token_as, member.user_id, self.confirm_id)
        except DomainError as exc:
            self.revoke_error = exc.message
            return False
        return True
