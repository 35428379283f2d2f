"""The Members page's state: the member list, the add form and the remove confirmation.

Removing a member disables the account (it stays, so their tasks keep their history),
signs them out everywhere and revokes every API token they made.
"""

from __future__ import annotations

import dataclasses
import secrets

import reflex as rx

from hpi_app.core import accounts
from hpi_app.core.errors import DomainError
from hpi_app.models import User, iso
from hpi_app.pages.settings import ConfirmAction, back_to_sign_in
from hpi_app.state import Member, acting_member, in_thread
from hpi_app.vocab import Role


@dataclasses.dataclass
class MemberRow:
    """One line of the member list."""

    id: str = ""
    email: str = ""
    name: str = ""
    role: str = Role.MEMBER.value
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


class MembersState(ConfirmAction, rx.State):
    """The member list and the add form of one browser tab (admins only)."""

    rows: list[MemberRow] = []
    loaded: bool = False

    email: str = ""
    name: str = ""
    role: str = Role.MEMBER.value
    password: str = ""
    email_error: str = ""
    name_error: str = ""
    password_error: str = ""
    form_error: str = ""
    adding: bool = False

    notice: str = ""
    action_error: str = ""

    async def _reload(self, member: Member) -> None:
        if not member.is_admin:
            self.rows, self.loaded = [], False
            return
        users = await in_thread(accounts.list_members, member.org_id)
        self.rows = [_row(user, member.user_id) for user in users]
        self.loaded = True

    @rx.event
    async def load(self):
        """on_load: read the members (an admin's page; a member sees why not)."""
        member = await acting_member(self)
        if member is None:
            return
        self.notice = self.action_error = ""
        self.confirm_id = ""
        await self._reload(member)

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
        self.role = value if value in accounts.ROLES else Role.MEMBER.value

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
        if self.adding:
            return
        self.email_error = "" if self.email.strip() else "Enter the new member's email."
        short = len(self.password) < accounts.MIN_PASSWORD_LENGTH
        self.password_error = (
            f"Use at least {accounts.MIN_PASSWORD_LENGTH} characters, or press Generate." if short else ""
        )
        self.form_error = self.notice = ""
        if self.email_error or self.password_error:
            return
        member = await acting_member(self)
        if member is None:
            yield back_to_sign_in(self)
            return
        self.adding = True
        yield
        try:
            user = await in_thread(
                accounts.add_member,
                member.user_id,
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
            f"Added {user.email} as {_role_words(user.role)}. "
            "Give them their temporary password; they can change it under Settings > Account."
        )
        self.email, self.name, self.role, self.password = "", "", Role.MEMBER.value, ""
        self.adding = False
        await self._reload(member)

    @rx.event
    async def change_role(self, user_id: str, role: str):
        """Make a member an admin, or an admin a member."""
        self.action_error = self.notice = ""
        member = await acting_member(self)
        if member is None:
            return back_to_sign_in(self)
        try:
            user = await in_thread(accounts.change_role, member.user_id, user_id, role)
        except DomainError as exc:
            self.action_error = exc.message
            return
        self.notice = f"{user.email} is now {_role_words(user.role)}."
        # Stepping down turns the page into the member's view at once: read it as who they are now.
        await self._reload(await acting_member(self) or member)
        return None

    @rx.event
    def ask_remove(self, user_id: str):
        """Open the confirmation for removing one member."""
        row = next((r for r in self.rows if r.id == user_id), None)
        if row is None or row.is_self:
            return
        self.confirm_id, self.confirm_name = row.id, row.email
        self.action_error = ""

    async def _confirmed(self, member: Member) -> bool:
        """Remove the member the confirmation names; the dialog closes either way."""
        try:
            user = await in_thread(accounts.remove_member, member.user_id, self.confirm_id)
        except DomainError as exc:
            self.action_error = exc.message
        else:
            self.notice = f"Removed {user.email}. Their sessions and API tokens no longer work."
        return True


def _role_words(role: str) -> str:
    return "an admin" if role == Role.ADMIN else "a member"
