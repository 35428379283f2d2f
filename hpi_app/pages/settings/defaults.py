"""``/settings/defaults``: the organisation's default task policy (admins only).

A default reminder and expiry apply to every task whose create body sets none of its own
(``core.tasks.policy``); the form shows minutes and hours, the store keeps seconds.
"""

from __future__ import annotations

import reflex as rx

from hpi_app.components.forms import error_callout, notice_callout, submit_button, text_field
from hpi_app.components.layout import admin_only
from hpi_app.components.settings_nav import section_card, settings_page
from hpi_app.core.errors import DomainError
from hpi_app.core.tasks.policy import org_defaults, save_org_defaults
from hpi_app.pages.settings import back_to_sign_in
from hpi_app.state import SessionState, acting_member, in_thread
from hpi_app.vocab import ExpiryAction

_FIELDS = ("after", "every", "count", "expires", "reason")


def _shown(seconds: int | None, unit: int) -> str:
    return "" if not seconds else f"{seconds / unit:g}"


def _seconds(raw: str, unit: int) -> int | None:
    text = raw.strip()
    return None if not text else round(float(text) * unit)


class DefaultsState(rx.State):
    """The defaults form of one browser tab."""

    after: str = ""
    every: str = ""
    count: str = ""
    expires: str = ""
    action: str = ExpiryAction.EXPIRE.value
    reason: str = ""
    error: str = ""
    notice: str = ""

    @rx.event
    async def load(self):
        """on_load: show the stored defaults."""
        session = await self.get_state(SessionState)
        if not session.user_id:
            return
        found = await in_thread(org_defaults, session.org_id)
        reminders = found.reminders
        self.after = _shown(reminders.after if reminders else None, 60)
        self.every = _shown(reminders.every if reminders else None, 60)
        self.count = str(reminders.max) if reminders and reminders.every else ""
        self.expires = _shown(found.expires_in, 3600)
        self.action = found.on_expire.action.value if found.on_expire else ExpiryAction.EXPIRE.value
        self.reason = (found.on_expire.reason or "") if found.on_expire else ""
        self.error = self.notice = ""

    @rx.event
    def set_field(self, name: str, value: str):
        """Keep what was typed into one of the form's fields."""
        if name in _FIELDS:
            setattr(self, name, value[:200])

    @rx.event
    def set_action(self, value: str):
        """Expire or cancel when time runs out."""
        self.action = value if value in (ExpiryAction.EXPIRE, ExpiryAction.CANCEL) else ExpiryAction.EXPIRE

    @rx.event
    async def save(self, form: dict):
        """Store the defaults as the signed-in admin."""
        session = await acting_member(self)
        if session is None:
            return back_to_sign_in(self)
        self.error = self.notice = ""
        self.after, self.every = str(form.get("after", "")), str(form.get("every", ""))
        self.count, self.expires = str(form.get("count", "")), str(form.get("expires", ""))
        self.reason = str(form.get("reason", ""))
        try:
            after, every = _seconds(self.after, 60), _seconds(self.every, 60)
            expires = _seconds(self.expires, 3600)
            count = int(self.count) if self.count.strip() else None
        except ValueError:
            self.error = "Type numbers (minutes, hours, a count), or leave a field empty."
            return None
        raw: dict = {}
        if after is not None or every is not None or count is not None:
            raw["reminders"] = {"after": after, "every": every, "max": count}
        if expires is not None:
            raw["expires_in"] = expires
            reason = self.reason.strip() or None
            raw["on_expire"] = {
                "action": self.action,
                **({"reason": reason} if self.action == "cancel" else {}),
            }
        try:
            await in_thread(save_org_defaults, session.org_id, raw, session.user_id)
        except DomainError as exc:
            self.error = "; ".join(f"{d['field']}: {d['message']}" for d in exc.details) or exc.message
            return None
        self.notice = "Saved: new tasks that set no policy of their own get these."
        return None


def defaults_page() -> rx.Component:
    """The organisation's task defaults."""
    return settings_page(
        "defaults",
        "Task defaults",
        "A reminder and an expiry for every task created without its own reminders, expires_in or on_expire.",
        admin_only(
            section_card(
                rx.form(
                    rx.vstack(
                        rx.heading("Reminder", size="3", as_="h3"),
                        text_field(
                            "First reminder after (minutes)",
                            "after",
                            value=DefaultsState.after,
                            on_change=lambda v: DefaultsState.set_field("after", v),
                        ),
                        text_field(
                            "Then every (minutes, optional)",
                            "every",
                            value=DefaultsState.every,
                            on_change=lambda v: DefaultsState.set_field("every", v),
                        ),
                        text_field(
                            "Reminders in all (optional, up to 20)",
                            "count",
                            value=DefaultsState.count,
                            on_change=lambda v: DefaultsState.set_field("count", v),
                        ),
                        rx.heading("Expiry", size="3", as_="h3"),
                        text_field(
                            "Expires after (hours, optional)",
                            "expires",
                            value=DefaultsState.expires,
                            on_change=lambda v: DefaultsState.set_field("expires", v),
                        ),
                        rx.text("When it runs out of time", size="2", weight="medium"),
                        rx.select(
                            [ExpiryAction.EXPIRE.value, ExpiryAction.CANCEL.value],
                            value=DefaultsState.action,
                            on_change=DefaultsState.set_action,
                            aria_label="When it runs out of time",
                            id="on-expire-action",
                        ),
                        text_field(
                            "Cancel reason (for cancel)",
                            "reason",
                            value=DefaultsState.reason,
                            on_change=lambda v: DefaultsState.set_field("reason", v),
                        ),
                        error_callout(DefaultsState.error, id="defaults-error"),
                        notice_callout(DefaultsState.notice, "defaults-notice"),
                        submit_button("Save defaults", busy=False, button_id="save-defaults"),
                        spacing="3",
                        width="100%",
                        align="start",
                    ),
                    on_submit=DefaultsState.save,
                    reset_on_submit=False,
                    width="100%",
                ),
            )
        ),
    )
