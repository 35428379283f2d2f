"""``/settings/account``: who you are, and changing your password.

After a password change every other session of the member is signed out (this one stays) and
every API token of theirs is revoked.
"""

from __future__ import annotations

import reflex as rx

from hpi_app.components.forms import error_callout, notice_callout, submit_button, text_field
from hpi_app.components.settings_nav import section_card, settings_page
from hpi_app.core import accounts, credentials, sessions
from hpi_app.core.errors import DomainError
from hpi_app.pages.settings import back_to_sign_in
from hpi_app.state import SessionState, acting_member, in_thread

FORM_ID = "password-form"


class AccountState(rx.State):
    """The password form's messages for one browser tab."""

    current_error: str = ""
    new_error: str = ""
    confirm_error: str = ""
    form_error: str = ""
    notice: str = ""
    saving: bool = False

    @rx.event
    async def load(self):
        """on_load: start with a clean form."""
        if await acting_member(self) is None:
            return
        self.current_error = self.new_error = self.confirm_error = self.form_error = self.notice = ""

    @rx.event
    async def change_password(self, form: dict):
        """Check the three fields, change the password, sign out the other sessions, revoke the tokens."""
        if self.saving:
            return
        session = await acting_member(self)
        if session is None:
            yield back_to_sign_in(self)
            return
        current = str(form.get("current_password", ""))
        new = str(form.get("new_password", ""))
        confirm = str(form.get("confirm_password", ""))
        self.current_error = "" if current else "Enter your current password."
        if len(new) < accounts.MIN_PASSWORD_LENGTH:
            self.new_error = f"Use at least {accounts.MIN_PASSWORD_LENGTH} characters."
        elif new == current:
            self.new_error = "Choose a password different from the current one."
        else:
            self.new_error = ""
        self.confirm_error = "" if confirm == new else "This doesn't match the new password."
        self.form_error = self.notice = ""
        if self.current_error or self.new_error or self.confirm_error:
            return
        self.saving = True
        yield
        keep = sessions.cookie_value(self.router.headers.cookie or "")
        try:
            changed = await in_thread(
                credentials.change_password, session.user_id, current, new, keep_session=keep
            )
        except DomainError as exc:
            fields = {d.get("field") for d in exc.details}
            if "current_password" in fields or exc.code in ("rate_limited", "hashing_busy"):
                self.current_error = exc.message
            elif "new_password" in fields:
                self.new_error = exc.message
            else:
                self.form_error = exc.message
            self.saving = False
            return
        self.saving = False
        self.notice = f"Your password was changed.{_ended(changed)}"
        yield rx.call_script(f"document.getElementById('{FORM_ID}').reset()")


def _ended(changed: credentials.PasswordChanged) -> str:
    ended, revoked = changed.sessions_ended, changed.tokens_revoked
    sessions_note = {0: "", 1: " 1 other session was signed out."}.get(
        ended, f" {ended} other sessions were signed out."
    )
    tokens_note = {0: "", 1: " Your 1 API token was revoked: create a new one."}.get(
        revoked, f" Your {revoked} API tokens were revoked: create new ones."
    )
    return sessions_note + tokens_note


def _detail(label: str, value: rx.Component) -> rx.Component:
    return rx.data_list.item(
        rx.data_list.label(label, min_width="8em"),
        rx.data_list.value(value),
    )


def _profile() -> rx.Component:
    return section_card(
        rx.heading("Your account", size="3", as_="h3"),
        rx.data_list.root(
            _detail("Email", rx.text(SessionState.email, id="account-email")),
            _detail(
                "Name",
                rx.cond(
                    SessionState.name != "", rx.text(SessionState.name), rx.text("—", color_scheme="gray")
                ),
            ),
            _detail(
                "Role",
                rx.cond(
                    SessionState.is_admin,
                    rx.badge(rx.icon("shield", size=12), "Admin", color_scheme="indigo", variant="soft"),
                    rx.badge("Member", color_scheme="gray", variant="soft"),
                ),
            ),
            _detail("Organisation", rx.text(SessionState.org_name)),
            orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
            size="2",
        ),
    )


def _password_field(
    label: str, field_id: str, error: rx.Var[str], autocomplete: str = "new-password", hint: str = ""
) -> rx.Component:
    return text_field(label, field_id, error=error, hint=hint, type="password", auto_complete=autocomplete)


def _password_form() -> rx.Component:
    return section_card(
        rx.heading("Change password", size="3", as_="h3"),
        notice_callout(AccountState.notice, "account-notice"),
        error_callout(AccountState.form_error),
        rx.form(
            rx.vstack(
                # Lets password managers tie the new password to this account.
                rx.el.input(
                    type="text",
                    name="username",
                    value=SessionState.email,
                    auto_complete="username",
                    read_only=True,
                    hidden=True,
                ),
                _password_field(
                    "Current password", "current-password", AccountState.current_error, "current-password"
                ),
                _password_field(
                    "New password", "new-password", AccountState.new_error, hint="At least 8 characters."
                ),
                _password_field("Confirm new password", "confirm-password", AccountState.confirm_error),
                rx.text(
                    "Changing it signs you out on every other browser and device, "
                    "and revokes your API tokens.",
                    size="1",
                    color_scheme="gray",
                ),
                submit_button("Change password", busy=AccountState.saving, button_id="change-password"),
                spacing="3",
                width="100%",
                max_width="420px",
                align="start",
            ),
            on_submit=AccountState.change_password,
            id=FORM_ID,
            width="100%",
        ),
    )


def account_page() -> rx.Component:
    """Settings > Account."""
    return settings_page(
        "account",
        "Account",
        "Your sign-in details.",
        _profile(),
        _password_form(),
    )
