"""The state of Settings > Notification sinks: the sinks, the edit form, the confirmations, the log."""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from hpi_app.components.deliveries import DeliveryRow, redeliver_now
from hpi_app.core import delivery_log, sinks
from hpi_app.core.errors import DomainError
from hpi_app.pages.settings import back_to_sign_in
from hpi_app.pages.settings.sinks.data import (
    SinkRow,
    carries_secret,
    default_events,
    default_kind,
    error_keys,
    load_log,
    load_rows,
    missing_settings,
    settings_fields,
    sink_settings,
)
from hpi_app.state import Member, acting_member, in_thread
from hpi_app.vocab import DeliveryStatus, SinkEvent

# How long the page follows a test event or a redelivery before leaving it to the log.
FOLLOW_SECONDS = 15.0


class SinksState(rx.State):
    """The sink list, the edit dialog, the confirmations and the chosen sink's log."""

    rows: list[SinkRow] = []
    loaded: bool = False
    can_manage: bool = False

    editing: bool = False
    edit_id: str = ""
    name: str = ""
    kind: str = default_kind()
    values: dict[str, str] = {}
    secret: str = ""
    has_secret: bool = False
    events: list[str] = default_events()
    errors: dict[str, str] = {}
    saving: bool = False

    # A generated secret lives here only until its dialog is closed.
    new_secret: str = ""
    new_secret_sink: str = ""
    copied: bool = False

    confirm: str = ""
    confirm_id: str = ""
    confirm_name: str = ""
    confirm_error: str = ""
    working: bool = False

    log_sink_id: str = ""
    log_rows: list[DeliveryRow] = []
    log_total: int = 0

    async def _reload(self, member: Member) -> None:
        self.can_manage = member.is_admin
        self.rows = await in_thread(load_rows, member.org_id)
        if self.log_sink_id not in {row.id for row in self.rows}:
            self.log_sink_id = self.rows[0].id if self.rows else ""
        if self.log_sink_id:
            self.log_rows, self.log_total = await in_thread(load_log, member.org_id, self.log_sink_id)
        else:
            self.log_rows, self.log_total = [], 0
        self.loaded = True

    @rx.var
    def log_sink_name(self) -> str:
        """The name of the sink whose log is shown."""
        return next((row.name for row in self.rows if row.id == self.log_sink_id), "")

    @rx.var
    def kind_carries_secret(self) -> bool:
        """Whether the chosen type has a signing secret (the form then asks for one)."""
        return carries_secret(self.kind)

    @rx.event
    async def load(self):
        """on_load: read the organisation's sinks and the first one's log."""
        member = await acting_member(self)
        if member is None:
            return
        self.editing, self.new_secret, self.confirm = False, "", ""
        await self._reload(member)

    async def _acting_admin(self) -> Member | rx.event.EventSpec:
        """The tab's member (freshly checked) when they may manage sinks; else where to go, or why not."""
        member = await acting_member(self)
        self.can_manage = bool(member and member.is_admin)
        if member is None:
            return back_to_sign_in(self)
        return member if member.is_admin else rx.toast.error("Only an admin can change sinks.")

    @rx.event
    async def refresh(self):
        """Read the sinks and the log again."""
        member = await acting_member(self)
        if member is None:
            return back_to_sign_in(self)
        await self._reload(member)
        return None

    @rx.event
    def new_sink(self):
        """Open the dialog for a new sink."""
        self.edit_id, self.name, self.kind, self.values, self.secret = "", "", default_kind(), {}, ""
        self.has_secret, self.events, self.errors = False, default_events(), {}
        self.editing = True

    @rx.event
    def edit_sink(self, sink_id: str):
        """Open the dialog for one sink."""
        row = next((r for r in self.rows if r.id == sink_id), None)
        if row is None:
            return
        self.edit_id, self.name, self.kind, self.values, self.secret = (
            row.id,
            row.name,
            row.type,
            dict(row.settings),
            "",
        )
        self.has_secret, self.events, self.errors = row.carries_secret, list(row.events), {}
        self.editing = True

    @rx.event
    def close_editor(self, open_: bool = False):
        """Close the dialog without saving."""
        if not open_ and not self.saving:
            self.editing = False

    @rx.event
    def set_name(self, value: str):
        """Type the sink's name."""
        self.name = value[:100]
        self.errors = {k: v for k, v in self.errors.items() if k != "name"}

    @rx.event
    def set_kind(self, value: str):
        """Choose the sink's type (its settings fields follow)."""
        if value != self.kind:
            self.kind, self.values, self.errors = value, {}, {}

    @rx.event
    def set_setting(self, name: str, value: str):
        """Type one of the type's settings, e.g. where the sink sends to."""
        limit = next((f.max_length for f in settings_fields(self.kind) if f.name == name), 2000)
        self.values = {**self.values, name: value[:limit]}
        self.errors = {k: v for k, v in self.errors.items() if k != name}

    @rx.event
    def set_secret(self, value: str):
        """Type a webhook secret of one's own."""
        self.secret = value[:200]
        self.errors = {k: v for k, v in self.errors.items() if k != "secret"}

    @rx.event
    def toggle_event(self, event: str, checked: bool):
        """Tick or untick one event."""
        chosen = (set(self.events) | {event}) if checked else (set(self.events) - {event})
        self.events = [e.value for e in SinkEvent if e in chosen]
        self.errors = {k: v for k, v in self.errors.items() if not k.startswith("events")}

    def _settings(self) -> dict:
        return sink_settings(self.kind, self.name, self.events, self.values, self.secret)

    @rx.event
    async def save(self, _form: dict):
        """Create or change the sink; show a generated secret once."""
        if self.saving:
            return
        errors = {}
        if not self.name.strip():
            errors["name"] = "Give the sink a name, e.g. the system it notifies."
        errors.update(missing_settings(self.kind, self.values))
        if not self.events:
            errors["events"] = "Choose at least one event."
        self.errors = errors
        if errors:
            return
        admin = await self._acting_admin()
        if not isinstance(admin, Member):
            self.editing = False
            yield admin
            return
        self.saving = True
        yield
        try:
            if self.edit_id:
                saved = await in_thread(sinks.update_sink, admin.org_id, self.edit_id, self._settings())
            else:
                saved = await in_thread(
                    sinks.create_sink, admin.org_id, self._settings(), created_by=admin.user_id
                )
        except DomainError as exc:
            self._show_errors(exc)
            self.saving = False
            return
        self.saving, self.editing = False, False
        self.log_sink_id = saved.sink.id
        if saved.new_secret:
            self.new_secret, self.new_secret_sink, self.copied = saved.new_secret, saved.sink.name, False
        await self._reload(admin)
        yield rx.toast.success(f"Saved “{saved.sink.name}”.", duration=3000)

    def _show_errors(self, exc: DomainError) -> None:
        known = error_keys()
        errors = {}
        for detail in exc.details:
            key = str(detail.get("field", "")).split(".")[0].split("[")[0]
            if key in known:
                errors.setdefault(key, _sentence(detail.get("message", "") or exc.message))
            else:
                errors["form"] = exc.message
        self.errors = errors or {"form": exc.message}

    @rx.event
    def mark_copied(self):
        """Note that the copy button was used."""
        self.copied = True

    @rx.event
    def close_new_secret(self, open_: bool = False):
        """Forget the secret once its dialog closes."""
        if not open_:
            self.new_secret = self.new_secret_sink = ""
            self.copied = False

    @rx.event
    async def set_enabled(self, sink_id: str, enabled: bool):
        """Switch a sink on or off."""
        admin = await self._acting_admin()
        if not isinstance(admin, Member):
            return admin
        try:
            await in_thread(sinks.set_enabled, admin.org_id, sink_id, enabled)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        await self._reload(admin)
        return None

    @rx.event
    def show_log(self, sink_id: str):
        """Show one sink's delivery log."""
        self.log_sink_id = sink_id
        return SinksState.refresh

    @rx.event
    async def send_test(self, sink_id: str):
        """Send a test event to a sink, then follow it until it is delivered or fails."""
        admin = await self._acting_admin()
        if not isinstance(admin, Member):
            return admin
        try:
            delivery = await in_thread(sinks.send_test_event, admin.org_id, sink_id)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        self.log_sink_id = sink_id
        await self._reload(admin)
        return [rx.toast.info("Test event sent…", duration=2000), SinksState.follow(delivery.id, True)]

    @rx.event
    async def redeliver(self, delivery_id: str):
        """Send one delivery of the log again."""
        admin = await self._acting_admin()
        if not isinstance(admin, Member):
            return admin
        toast = await redeliver_now(admin.org_id, delivery_id)
        await self._reload(admin)
        return [toast, SinksState.follow(delivery_id, False)]

    @rx.event(background=True)
    async def follow(self, delivery_id: str, announce: bool):
        """Refresh the log once a just-sent delivery has its answer; toast a test event's result."""
        async with self:
            member = await acting_member(self)
        if member is None:
            return None
        deadline = time.monotonic() + FOLLOW_SECONDS
        record = None
        while time.monotonic() < deadline:
            record = await in_thread(delivery_log.get_delivery, member.org_id, delivery_id)
            if record.delivery.status != DeliveryStatus.PENDING:
                break
            await asyncio.sleep(0.3)
        async with self:
            member = await acting_member(self)
            if member is None:
                return back_to_sign_in(self)
            await self._reload(member)
        if record is None or not announce:
            return None
        row = record.delivery
        if row.status == DeliveryStatus.DELIVERED:
            return rx.toast.success(f"Test event delivered (HTTP {row.last_status_code or 'OK'}).")
        if row.status == DeliveryStatus.FAILED:
            return rx.toast.error(f"Test event failed: {row.last_error or 'no answer'}", duration=8000)
        return rx.toast.info("The test event is still on its way; see the delivery log.")

    @rx.event
    def ask(self, action: str, sink_id: str):
        """Open the confirmation for rotating a secret or deleting a sink."""
        row = next((r for r in self.rows if r.id == sink_id), None)
        if row is not None:
            self.confirm, self.confirm_id, self.confirm_name, self.confirm_error = (
                action,
                row.id,
                row.name,
                "",
            )

    @rx.event
    def cancel_confirm(self, open_: bool = False):
        """Close the confirmation."""
        if not open_ and not self.working:
            self.confirm = ""

    @rx.event
    async def confirmed(self):
        """Rotate the secret or delete the sink the confirmation names."""
        if not self.confirm or self.working:
            return
        admin = await self._acting_admin()
        if not isinstance(admin, Member):
            self.confirm = ""
            yield admin
            return
        self.working = True
        yield
        try:
            if self.confirm == "rotate":
                saved = await in_thread(sinks.rotate_secret, admin.org_id, self.confirm_id)
                self.new_secret, self.new_secret_sink, self.copied = (
                    saved.new_secret or "",
                    saved.sink.name,
                    False,
                )
                message = f"“{self.confirm_name}” has a new secret."
            else:
                await in_thread(sinks.delete_sink, admin.org_id, self.confirm_id)
                message = f"Deleted “{self.confirm_name}”."
        except DomainError as exc:
            self.confirm_error, self.working = exc.message, False
            return
        self.working, self.confirm = False, ""
        await self._reload(admin)
        yield rx.toast.success(message, duration=3000)


def _sentence(message: str) -> str:
    text = message.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else ""
