"""``/settings/members``: an admin adds members, changes their roles and removes them.

Removing a member disables the account (it stays, so their tasks keep their history),
signs them out everywhere and revokes every API token they made.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets

import reflex as rx

from hpi_app.components.forms import (
    error_callout,
    labelled_field,
    notice_callout,
    secondary_button,
    submit_button,
    text_field,
    text_input,
)
from hpi_app.components.layout import admin_only
from hpi_app.components.settings_nav import (
    WIDE_ONLY,
    confirm_dialog,
    records_table,
    section_card,
    settings_page,
    when_loaded,
)
from hpi_app.core import accounts
from hpi_app.core.errors import DomainError
from hpi_app.models import User, iso
from hpi_app.pages.settings import acting_member, back_to_sign_in
from hpi_app.state import SessionState


@dataclasses.dataclass
class MemberRow:
    """One line of the member list."""

    id: str = ""
    email: str = ""
    name: str = ""
    role: str = "member"
    added_at: str = ""
    is_self: bool = False


def _row(user: User, me: str) -> MemberRow:
    return MemberRow(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        added_at=iso(user.created_at) or "",
        is_self=user.id == me,
    )


class MembersState(rx.State):
    """The member list and the add form of one browser tab (admins only)."""

    rows: list[MemberRow] = []
    loaded: bool = False

    email: str = ""
    name: str = ""
    role: str = "member"
    password: str = ""
    email_error: str = ""
    name_error: str = ""
    password_error: str = ""
    form_error: str = ""
    adding: bool = False

    notice: str = ""
    action_error: str = ""

    remove_id: str = ""
    remove_email: str = ""
    removing: bool = False

    _user_id: str = ""
    _org_id: str = ""

    async def _reload(self) -> None:
        users = await asyncio.to_thread(accounts.list_members, self._org_id)
        self.rows = [_row(user, self._user_id) for user in users]
        self.loaded = True

    @rx.event
    async def load(self):
        """on_load: read the members (an admin's page; a member sees why not)."""
        session = await self.get_state(SessionState)
        if not session.user_id:
            return
        self._user_id, self._org_id = session.user_id, session.org_id
        self.notice = self.action_error = ""
        self.remove_id = ""
        if session.is_admin:
            await self._reload()

    @rx.event
    def set_email(self, value: str):
        """Type the new member's email."""
        self.email = value[:320]
        self.email_error = ""

    @rx.event
    def set_name(self, value: str):
        """Type the new member's name."""
        self.name = value[:200]

    @rx.event
    def set_role(self, value: str):
        """Choose the new member's role."""
        self.role = value if value in accounts.ROLES else "member"

    @rx.event
    def set_password(self, value: str):
        """Type the temporary password."""
        self.password = value[:200]
        self.password_error = ""

    @rx.event
    def generate_password(self):
        """Fill in a random temporary password."""
        self.password = secrets.token_urlsafe(12)
        self.password_error = ""

    @rx.event
    async def add(self, _form: dict):
        """Add the member with a temporary password."""
        if not self._user_id or self.adding:
            return
        self.email_error = "" if self.email.strip() else "Enter the new member's email."
        short = len(self.password) < accounts.MIN_PASSWORD_LENGTH
        self.password_error = (
            f"Use at least {accounts.MIN_PASSWORD_LENGTH} characters, or press Generate." if short else ""
        )
        self.form_error = self.notice = ""
        if self.email_error or self.password_error:
            return
        if await acting_member(self) is None:
            yield back_to_sign_in(self)
            return
        self.adding = True
        yield
        try:
            user = await asyncio.to_thread(
                accounts.add_member,
                self._user_id,
                self.email,
                self.password,
                name=self.name,
                role=self.role,
            )
        except DomainError as exc:
            fields = {d.get("field") for d in exc.details}
            if exc.code == "user_exists" or "email" in fields:
                self.email_error = exc.message
            elif "password" in fields:
                self.password_error = exc.message
            else:
                self.form_error = exc.message
            self.adding = False
            return
        self.notice = (
            f"Added {user.email} as {'an admin' if user.role == 'admin' else 'a member'}. "
            "Give them their temporary password; they can change it under Settings > Account."
        )
        self.email, self.name, self.role, self.password = "", "", "member", ""
        self.adding = False
        await self._reload()

    @rx.event
    async def change_role(self, user_id: str, role: str):
        """Make a member an admin, or an admin a member."""
        self.action_error = self.notice = ""
        if await acting_member(self) is None:
            return back_to_sign_in(self)
        try:
            user = await asyncio.to_thread(accounts.change_role, self._user_id, user_id, role)
        except DomainError as exc:
            self.action_error = exc.message
            return
        self.notice = f"{user.email} is now {'an admin' if user.role == 'admin' else 'a member'}."
        if user_id == self._user_id:
            # Stepping down: the page turns into the member's view at once.
            await acting_member(self)
        await self._reload()
        return None

    @rx.event
    def ask_remove(self, user_id: str):
        """Open the confirmation for removing one member."""
        row = next((r for r in self.rows if r.id == user_id), None)
        if row is None or row.is_self:
            return
        self.remove_id, self.remove_email = row.id, row.email
        self.action_error = ""

    @rx.event
    def cancel_remove(self, open_: bool = False):
        """Close the confirmation without removing."""
        if not open_ and not self.removing:
            self.remove_id = ""

    @rx.event
    async def confirm_remove(self):
        """Remove the member the confirmation names."""
        if not self.remove_id or self.removing:
            return
        if await acting_member(self) is None:
            self.remove_id = ""
            yield back_to_sign_in(self)
            return
        self.removing = True
        yield
        try:
            user = await asyncio.to_thread(accounts.remove_member, self._user_id, self.remove_id)
        except DomainError as exc:
            self.action_error = exc.message
        else:
            self.notice = f"Removed {user.email}. Their sessions and API tokens no longer work."
        self.removing = False
        self.remove_id = ""
        await self._reload()


def role_badge(role: rx.Var[str] | str) -> rx.Component:
    """A badge for a member's role."""
    return rx.cond(
        role == "admin",
        rx.badge(rx.icon("shield", size=12), "Admin", color_scheme="indigo", variant="soft"),
        rx.badge("Member", color_scheme="gray", variant="soft"),
    )


def _add_form() -> rx.Component:
    return section_card(
        rx.heading("Add a member", size="3", as_="h3"),
        rx.form(
            rx.vstack(
                rx.grid(
                    text_field(
                        "Email",
                        "member-email",
                        type="email",
                        value=MembersState.email,
                        on_change=MembersState.set_email,
                        placeholder="name@example.com",
                        error=MembersState.email_error,
                    ),
                    text_field(
                        "Name",
                        "member-name",
                        value=MembersState.name,
                        on_change=MembersState.set_name,
                        placeholder="Optional",
                        error=MembersState.name_error,
                    ),
                    labelled_field(
                        "Role",
                        "member-role",
                        rx.select.root(
                            rx.select.trigger(id="member-role", width="100%"),
                            rx.select.content(
                                rx.select.item("Member", value="member"),
                                rx.select.item("Admin", value="admin"),
                            ),
                            value=MembersState.role,
                            on_change=MembersState.set_role,
                        ),
                        hint="Admins also manage members and see every token.",
                    ),
                    labelled_field(
                        "Temporary password",
                        "member-password",
                        rx.hstack(
                            text_input(
                                "member-password",
                                value=MembersState.password,
                                on_change=MembersState.set_password,
                                auto_complete="new-password",
                                font_family="var(--code-font-family)",
                            ),
                            secondary_button(
                                rx.icon("dices", size=16),
                                "Generate",
                                type="button",
                                on_click=MembersState.generate_password,
                                id="generate-password",
                            ),
                            spacing="2",
                            width="100%",
                        ),
                        MembersState.password_error,
                        hint="At least 8 characters. Pass it on; they can change it under Account.",
                    ),
                    columns=rx.breakpoints(initial="1", sm="2"),
                    spacing="4",
                    width="100%",
                ),
                error_callout(MembersState.form_error),
                submit_button(
                    "Add member", icon="user-plus", busy=MembersState.adding, button_id="add-member"
                ),
                spacing="4",
                width="100%",
                align="start",
            ),
            on_submit=MembersState.add,
            width="100%",
        ),
    )


def _member_actions(row: MemberRow) -> rx.Component:
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            secondary_button(
                "Manage",
                rx.icon("chevron-down", size=14),
                size="1",
                aria_label="Manage " + row.email,
                class_name="manage-member",
            ),
        ),
        rx.dropdown_menu.content(
            rx.cond(
                row.role == "admin",
                rx.dropdown_menu.item(
                    rx.icon("shield-off", size=14),
                    "Make member",
                    on_click=MembersState.change_role(row.id, "member"),
                ),
                rx.dropdown_menu.item(
                    rx.icon("shield", size=14),
                    "Make admin",
                    on_click=MembersState.change_role(row.id, "admin"),
                ),
            ),
            rx.cond(
                row.is_self,
                rx.fragment(),
                rx.fragment(
                    rx.dropdown_menu.separator(),
                    rx.dropdown_menu.item(
                        rx.icon("user-x", size=14),
                        "Remove…",
                        color_scheme="red",
                        on_click=MembersState.ask_remove(row.id),
                    ),
                ),
            ),
            align="end",
        ),
    )


def _member_row(row: MemberRow) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.hstack(
                    rx.text(row.email, weight="medium", word_break="break-all"),
                    rx.cond(
                        row.is_self, rx.badge("You", variant="outline", color_scheme="gray", radius="full")
                    ),
                    spacing="2",
                    align="center",
                ),
                rx.cond(row.name != "", rx.text(row.name, size="1", color_scheme="gray")),
                spacing="0",
            ),
        ),
        rx.table.cell(role_badge(row.role)),
        rx.table.cell(
            rx.moment(row.added_at, format="D MMM YYYY", with_title=True, title_format="D MMM YYYY, HH:mm"),
            white_space="nowrap",
            display=WIDE_ONLY,
        ),
        rx.table.cell(_member_actions(row), text_align="right"),
        class_name="member-row",
        key=row.id,
        data_email=row.email,
        data_role=row.role,
        align="center",
    )


def _member_list() -> rx.Component:
    return rx.vstack(
        rx.heading("Members", size="3", as_="h3"),
        notice_callout(MembersState.notice, "members-notice"),
        error_callout(MembersState.action_error, role="alert", id="members-error"),
        when_loaded(
            MembersState.loaded,
            records_table(
                MembersState.rows,
                _member_row,
                rx.table.column_header_cell("Member"),
                rx.table.column_header_cell("Role"),
                rx.table.column_header_cell("Added", display=WIDE_ONLY),
                rx.table.column_header_cell(""),
                table_id="member-table",
            ),
            id="members-loading",
        ),
        spacing="3",
        width="100%",
    )


def _remove_dialog() -> rx.Component:
    return confirm_dialog(
        title=rx.alert_dialog.title("Remove ", MembersState.remove_email, "?"),
        description=rx.alert_dialog.description(
            "They are signed out at once, can no longer sign in, and every API token they made stops "
            "working. Their tasks stay.",
            size="2",
        ),
        confirm_label="Remove member",
        on_confirm=MembersState.confirm_remove,
        busy=MembersState.removing,
        open=MembersState.remove_id != "",
        on_open_change=MembersState.cancel_remove,
        dialog_id="remove-dialog",
        confirm_id="confirm-remove",
    )


def members_page() -> rx.Component:
    """Settings > Members."""
    return settings_page(
        "members",
        "Members",
        "The people who can sign in to your organisation and work on its tasks.",
        admin_only(_add_form(), _member_list(), _remove_dialog()),
    )
