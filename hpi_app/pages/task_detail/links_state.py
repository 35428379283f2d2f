"""The Links section of the task detail page: the rows, adding a link, copying one, withdrawing one.

The rows are read with the rest of the page (``TaskDetailState``), which follows the task's
changes on the bus, so a link added or withdrawn here or over REST shows up live. This state holds
the dialogs and acts, each time as the member a fresh session check returns.
"""

from __future__ import annotations

import dataclasses

import reflex as rx
from pydantic import ValidationError

from hpi_app import routes
from hpi_app.core import links
from hpi_app.core.errors import DomainError
from hpi_app.core.principal import Principal
from hpi_app.models import Link, iso, utcnow
from hpi_app.state import acting_member, in_thread
from hpi_app.validation import error_details


@dataclasses.dataclass
class LinkRow:
    """One of a task's links as the Links section shows it."""

    link_id: str = ""
    url: str = ""
    primary: bool = False
    who: str = ""
    code: bool = False
    state: str = "open"
    opened_at: str = ""
    expires_at: str = ""
    revoked_at: str = ""


def link_rows(org_id: str, task_id: str, base_url: str) -> list[LinkRow]:
    """The task's links, the original first (sync: reads the store)."""
    now = utcnow()
    return [_row(link, base_url, now) for link in links.list_links(org_id, task_id)]


def _row(link: Link, base_url: str, now) -> LinkRow:
    if link.revoked_at is not None:
        state = "withdrawn"
    elif link.expires_at is not None and link.expires_at <= now:
        state = "expired"
    else:
        state = "open"
    return LinkRow(
        link_id=link.id,
        url=routes.task_link(base_url, link.id),
        primary=link.primary,
        who=link.assignee_name or link.assignee_email or "",
        code=link.requires_otp,
        state=state,
        opened_at=iso(link.opened_at) or "",
        expires_at=iso(link.expires_at) or "",
        revoked_at=iso(link.revoked_at) or "",
    )


class TaskLinksState(rx.State):
    """The Add link dialog, the withdraw confirmation and the last link copied."""

    add_open: bool = False
    email: str = ""
    name: str = ""
    ask_code: bool = True
    add_error: str = ""
    email_error: str = ""
    adding: bool = False
    copied: str = ""
    withdraw_id: str = ""
    withdraw_who: str = ""
    withdraw_error: str = ""

    def _task_id(self) -> str:
        return str(self.task_id or "")  # the route's variable

    @rx.event
    def open_add(self, value: bool):
        """Open or close the Add link dialog (closing forgets what was typed)."""
        self.add_open = value
        self.email, self.name, self.ask_code = "", "", True
        self.add_error = self.email_error = ""

    @rx.event
    def set_email(self, value: str):
        """Keep the typed email."""
        self.email, self.email_error = value[:320], ""

    @rx.event
    def set_name(self, value: str):
        """Keep the typed name."""
        self.name = value[:200]

    @rx.event
    def set_ask_code(self, value: bool):
        """Tick or clear "Ask for a one-time code"."""
        self.ask_code = value is True

    @rx.event
    async def confirm_add(self):
        """Create the link as the signed-in member."""
        if self.adding:
            return None
        session = await acting_member(self)
        if session is None:
            return rx.redirect(routes.login(self.router.url.path))
        email = self.email.strip()
        raw = {"assignee_email": email or None, "assignee_name": self.name.strip() or None}
        if email:
            raw["require_otp"] = self.ask_code
        try:
            body = links.LinkCreate.model_validate(raw)
        except ValidationError as exc:
            self.email_error = "; ".join(d["message"] for d in error_details(exc))
            return None
        principal = Principal(org_id=session.org_id, user_id=session.user_id)
        self.adding = True
        try:
            link = await in_thread(links.create_link, principal, self._task_id(), body)
        except DomainError as exc:
            self.add_error = exc.message
            return None
        finally:
            self.adding = False
        self.add_open = False  # the rows follow the task's changes (TaskDetailState.watch)
        url = routes.task_link(routes.public_base(self.router.url.origin), link.id)
        return [rx.set_clipboard(url), rx.toast.success("Link added and copied", duration=2500)]

    @rx.event
    def copy(self, link_id: str, url: str):
        """Copy one link to the clipboard."""
        self.copied = link_id
        return [rx.set_clipboard(url), rx.toast.success("Link copied", duration=2000)]

    @rx.event
    def ask_withdraw(self, link_id: str, who: str):
        """Ask to confirm withdrawing a link."""
        self.withdraw_id, self.withdraw_who, self.withdraw_error = link_id, who, ""

    @rx.event
    def close_withdraw(self, value: bool):
        """Close the confirmation without withdrawing."""
        if not value:
            self.withdraw_id = self.withdraw_who = self.withdraw_error = ""

    @rx.event
    async def confirm_withdraw(self):
        """Withdraw the link as the signed-in member."""
        session = await acting_member(self)
        if session is None:
            return rx.redirect(routes.login(self.router.url.path))
        try:
            await in_thread(
                links.revoke_link, session.org_id, self._task_id(), self.withdraw_id, session.user_id
            )
        except DomainError as exc:
            self.withdraw_error = exc.message
            return None
        self.withdraw_id = self.withdraw_who = ""
        return rx.toast.info("Link withdrawn", duration=2500)
