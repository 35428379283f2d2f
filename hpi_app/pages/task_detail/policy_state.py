"""The Reminders section of the task detail page: remind now, reassign, extend.

Each action calls the core as the member a fresh session check returns, under the same rules
as the API (``POST /tasks/{id}/notify``, ``PATCH /tasks/{id}``); what it changes reaches the
page through the bus, like any other change of the task (``TaskDetailState.watch``).
"""

from __future__ import annotations

import reflex as rx
from pydantic import ValidationError

from hpi_app import routes
from hpi_app.core import tasks
from hpi_app.core.errors import DomainError
from hpi_app.core.principal import Principal
from hpi_app.core.tasks.assign import update_task
from hpi_app.core.tasks.policy_input import TaskPatch
from hpi_app.state import acting_member, in_thread
from hpi_app.validation import error_details

EXTEND_UNITS = {"minutes": 60, "hours": 3600, "days": 86400}


class TaskPolicyState(rx.State):
    """The Reassign and Extend dialogs and the Remind now button."""

    reassign_open: bool = False
    reassign_to: str = ""
    reassign_error: str = ""
    extend_open: bool = False
    extend_amount: str = "1"
    extend_unit: str = "hours"
    extend_error: str = ""
    remind_error: str = ""
    busy: bool = False

    def _task_id(self) -> str:
        return str(self.task_id or "")  # the route's variable

    async def _principal(self) -> Principal | None:
        session = await acting_member(self)
        if session is None:
            return None
        return Principal(org_id=session.org_id, user_id=session.user_id)

    @rx.event
    def open_reassign(self, value: bool):
        """Open or close the Reassign dialog."""
        self.reassign_open, self.reassign_to, self.reassign_error = value, "", ""

    @rx.event
    def set_reassign_to(self, value: str):
        """Keep the typed address."""
        self.reassign_to, self.reassign_error = value[:320], ""

    @rx.event
    def open_extend(self, value: bool):
        """Open or close the Extend dialog."""
        self.extend_open, self.extend_amount, self.extend_unit, self.extend_error = value, "1", "hours", ""

    @rx.event
    def set_extend_amount(self, value: str):
        """Keep the typed amount."""
        self.extend_amount, self.extend_error = value[:8], ""

    @rx.event
    def set_extend_unit(self, value: str):
        """Minutes, hours or days."""
        self.extend_unit = value if value in EXTEND_UNITS else "hours"

    async def _patch(self, raw: dict) -> str:
        """Apply one PATCH as the signed-in member; the error to show ("" when it worked)."""
        principal = await self._principal()
        if principal is None:
            return "Your session ended: sign in again."
        try:
            body = TaskPatch.model_validate(raw)
        except ValidationError as exc:
            return "; ".join(f"{d['field']}: {d['message']}" for d in error_details(exc))
        self.busy = True
        try:
            base = routes.public_base(self.router.url.origin)
            await in_thread(update_task, principal, self._task_id(), body, base)
        except DomainError as exc:
            return "; ".join([exc.message, *(d["message"] for d in exc.details or [])])
        finally:
            self.busy = False
        return ""

    @rx.event
    async def confirm_reassign(self):
        """Reassign the task to the typed email (a member's email makes it theirs)."""
        target = self.reassign_to.strip()
        if not target:
            self.reassign_error = "Type the email of the new assignee."
            return None
        self.reassign_error = await self._patch({"assignee_email": target})
        if self.reassign_error:
            return None
        self.reassign_open = False
        return rx.toast.success(f"Reassigned to {target.lower()}", duration=2500)

    @rx.event
    async def confirm_extend(self):
        """Move the expiry to the chosen time from now."""
        try:
            seconds = int(self.extend_amount) * EXTEND_UNITS[self.extend_unit]
        except ValueError:
            self.extend_error = "Type a whole number."
            return None
        self.extend_error = await self._patch({"expires_in": seconds})
        if self.extend_error:
            return None
        self.extend_open = False
        return rx.toast.success("Expiry moved", duration=2500)

    @rx.event
    async def remind_now(self):
        """Email the assignee a reminder now (one per minute, as over the API)."""
        principal = await self._principal()
        if principal is None:
            return rx.redirect(routes.login(self.router.url.path))
        self.remind_error = ""
        base = routes.public_base(self.router.url.origin)
        try:
            notified = await in_thread(
                tasks.notify_task, principal.org_id, self._task_id(), base, actor=principal.user_id
            )
        except DomainError as exc:
            self.remind_error = exc.message
            return None
        return rx.toast.success(f"Reminder emailed to {', '.join(notified.notified)}", duration=2500)
