"""A task's policy as stored: the create body's ``reminders``/``escalation``/``on_expire``, org defaults.

``policy_columns`` turns a validated create body into the task's policy columns, filling in the
organisation's defaults (Settings) where the body sets none, and checking in the create's
transaction that every member an escalation names is one of the organisation's (``me`` is the
creator). ``org_defaults`` / ``save_org_defaults`` read and write those defaults.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from sqlmodel import Session, select

from hpi_app.core.errors import InvalidInput, PermissionDenied
from hpi_app.core.principal import Principal
from hpi_app.core.tasks.policy_input import ExpiryPolicy, ReminderPolicy, check_delay
from hpi_app.db import session_scope
from hpi_app.models import OrgSettings, User, utcnow
from hpi_app.validation import error_details, validation_error
from hpi_app.vocab import ExpiryAction, Role


class TaskDefaults(BaseModel):
    """An organisation's default task policy: applied when a create body sets none of it.

    ``on_expire`` may expire or cancel (a default answer could not fit every task's spec).
    """

    model_config = ConfigDict(extra="forbid")

    reminders: ReminderPolicy | None = None
    expires_in: int | None = None
    on_expire: ExpiryPolicy | None = None

    @model_validator(mode="after")
    def _checked(self) -> TaskDefaults:
        errors = []
        try:
            check_delay(self.expires_in)
        except ValueError as exc:
            errors.append((("expires_in",), str(exc), self.expires_in))
        if self.on_expire is not None and self.on_expire.action == ExpiryAction.COMPLETE:
            errors.append((("on_expire", "action"), 'must be "expire" or "cancel" for a default', "complete"))
        if (
            self.on_expire is not None
            and self.on_expire.action != ExpiryAction.EXPIRE
            and not self.expires_in
        ):
            errors.append((("on_expire",), "needs expires_in: without it no task expires", None))
        if errors:
            raise validation_error(*errors)
        return self


def _member(session: Session, principal: Principal, value: str, where: str) -> str:
    """A member id named by a policy, checked to be one of the organisation's members."""
    member_id = principal.user_id if value == "me" else value
    found = session.get(User, member_id) if member_id else None
    if found is None or found.org_id != principal.org_id:
        raise InvalidInput(
            "The escalation names someone who is not a member of this organisation.",
            details=[{"field": where, "message": "no member of this organisation has this id"}],
        )
    return found.id


def _is_email(value: str) -> bool:
    return "@" in value


def policy_columns(session: Session, principal: Principal, body: Any) -> dict[str, Any]:
    """The task's policy columns from a validated create body, with the org's defaults filled in."""
    defaults = _defaults(session, principal.org_id)
    reminders = body.reminders or (defaults.reminders if defaults else None)
    expires_in, on_expire = body.expires_in, body.on_expire
    if defaults and expires_in is None and on_expire is None:
        expires_in, on_expire = defaults.expires_in, defaults.on_expire
    escalation = []
    for index, step in enumerate(body.escalation or []):
        where = f"escalation[{index}]"
        notify = [
            item if _is_email(item) else _member(session, principal, item, f"{where}.notify[{i}]")
            for i, item in enumerate(step.notify)
        ]
        target = step.reassign_to
        if target is not None and not _is_email(target):
            target = _member(session, principal, target, f"{where}.reassign_to")
        escalation.append({"after": step.after, "notify": notify, "reassign_to": target})
    return {
        "reminders": reminders.model_dump() if reminders else None,
        "escalation": escalation or None,
        "on_expire": on_expire.model_dump(exclude_none=True) if on_expire else None,
        "expires_in": expires_in,
    }


def _defaults(session: Session, org_id: str) -> TaskDefaults | None:
    row = session.get(OrgSettings, org_id)
    if row is None or not row.task_defaults:
        return None
    return TaskDefaults.model_validate(row.task_defaults)


def org_defaults(org_id: str) -> TaskDefaults:
    """The organisation's default task policy (empty when none was set)."""
    with session_scope() as session:
        return _defaults(session, org_id) or TaskDefaults()


def save_org_defaults(org_id: str, raw: dict[str, Any], actor: str | None) -> TaskDefaults:
    """Validate and store the organisation's default task policy (an admin's, from Settings).

    ``actor`` is the member making the change, who must be an active admin of the organisation;
    ``None`` is the app itself (a migration, the CLI).

    Raises:
        InvalidInput: A field is out of range; ``details`` names it.
        PermissionDenied: ``actor`` is not an active admin of the organisation.
    """
    try:
        defaults = TaskDefaults.model_validate(raw)
    except ValidationError as exc:
        raise InvalidInput("Some defaults need attention.", details=error_details(exc)) from None
    stored = defaults.model_dump(exclude_none=True) or None
    with session_scope(write=True) as session:
        admin = session.get(User, actor) if actor is not None else None
        if actor is not None and (
            admin is None
            or admin.org_id != org_id
            or admin.disabled_at is not None
            or admin.role != Role.ADMIN
        ):
            raise PermissionDenied(
                "Only an admin of the organisation can change its task defaults.", code="admin_required"
            )
        row = session.exec(select(OrgSettings).where(OrgSettings.org_id == org_id).with_for_update()).first()
        if row is None:
            row = OrgSettings(org_id=org_id)
        row.task_defaults, row.updated_at, row.updated_by = stored, utcnow(), actor
        session.add(row)
        session.commit()
    return defaults
