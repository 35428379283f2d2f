"""A task's policy in its create body: ``reminders``, ``escalation`` and ``on_expire``, and the PATCH body.

Every delay's lower bound is ``HPI_MIN_DELAY_SECONDS`` (``every``'s is five times it), read
when a body is validated, so a test or a trial can lower it. A member named by id is checked
against the organisation by the core (it needs the store); everything else is checked here.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from hpi_app import config
from hpi_app.validation import (
    NOT_BLANK,
    UUID_PATTERN,
    EmailAddress,
    given,
    integer,
    text_rule,
    validation_error,
)
from hpi_app.vocab import ExpiryAction

MAX_REMINDERS = 20
DEFAULT_MAX_REMINDERS = 3
MAX_ESCALATION_STEPS = 10
MAX_NOTIFY = 20
MAX_DELAY = 2_592_000  # 30 days: the longest delay, and the longest expires_in (SPEC §4)
EVERY_FACTOR = 5
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def min_delay() -> int:
    """The shortest delay a policy or ``expires_in`` may set, in seconds (``HPI_MIN_DELAY_SECONDS``)."""
    return config.settings.min_delay_seconds


def check_delay(value: int | None, floor: int | None = None) -> int | None:
    """A field validator's rule for a delay: at least ``floor`` (the minimum delay), at most 30 days."""
    if value is None:
        return None
    floor = min_delay() if floor is None else floor
    if value < floor:
        msg = f"must be at least {floor} seconds"
        raise ValueError(msg)
    if value > MAX_DELAY:
        msg = f"must be at most {MAX_DELAY} seconds (30 days)"
        raise ValueError(msg)
    return value


def person(value: str, *, me: bool = False) -> str:
    """An escalation target: an email address (kept in lower case), a member id, or ``me``."""
    text = value.strip()
    if me and text == "me":
        return text
    if _EMAIL.match(text):
        return text.lower()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        msg = "must be an email address or a member id" + (' or "me"' if me else "")
        raise ValueError(msg) from None


class ReminderPolicy(BaseModel):
    """``reminders``: the first after ``after`` seconds, then every ``every`` seconds, ``max`` in all."""

    model_config = ConfigDict(extra="forbid")

    after: int
    every: int | None = None
    max: int | None = None

    @field_validator("after")
    @classmethod
    def _after(cls, value: int) -> int:
        return check_delay(value)

    @field_validator("every")
    @classmethod
    def _every(cls, value: int | None) -> int | None:
        return check_delay(value, EVERY_FACTOR * min_delay())

    @model_validator(mode="after")
    def _count(self) -> ReminderPolicy:
        if self.max is not None and self.every is None and self.max != 1:
            raise validation_error((("max",), "more than one reminder needs every", self.max))
        if self.max is not None and not 1 <= self.max <= MAX_REMINDERS:
            raise validation_error((("max",), f"must be between 1 and {MAX_REMINDERS}", self.max))
        if self.max is None:
            self.max = DEFAULT_MAX_REMINDERS if self.every is not None else 1
        return self


class EscalationStep(BaseModel):
    """One step of ``escalation``: after ``after`` seconds tell ``notify``, reassign to ``reassign_to``."""

    model_config = ConfigDict(extra="forbid")

    after: int
    notify: list[str] = Field(default_factory=list, max_length=MAX_NOTIFY)
    reassign_to: str | None = Field(default=None, max_length=320)

    @field_validator("after")
    @classmethod
    def _after(cls, value: int) -> int:
        return check_delay(value)

    @field_validator("notify")
    @classmethod
    def _notify(cls, value: list[str]) -> list[str]:
        errors = []
        cleaned = []
        for index, item in enumerate(value):
            try:
                cleaned.append(person(item))
            except ValueError as exc:
                errors.append(((index,), str(exc), item))
        if errors:
            raise validation_error(*errors)
        return cleaned

    @field_validator("reassign_to")
    @classmethod
    def _reassign_to(cls, value: str | None) -> str | None:
        return None if value is None else person(value, me=True)

    @model_validator(mode="after")
    def _does_something(self) -> EscalationStep:
        if not self.notify and self.reassign_to is None:
            raise validation_error((("notify",), "give notify, reassign_to, or both", None))
        return self


class ExpiryPolicy(BaseModel):
    """``on_expire``: expire (the default), complete with ``data``, or cancel with ``reason``."""

    model_config = ConfigDict(extra="forbid")

    action: ExpiryAction
    data: dict[str, Any] | None = None
    reason: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _fits_action(self) -> ExpiryPolicy:
        if self.data is not None and self.action != ExpiryAction.COMPLETE:
            raise validation_error((("data",), 'is only for action "complete"', self.data))
        if self.reason is not None and self.action != ExpiryAction.CANCEL:
            raise validation_error((("reason",), 'is only for action "cancel"', self.reason))
        return self


def check_escalation(steps: list[EscalationStep] | None) -> list[EscalationStep] | None:
    """A field validator's rule for ``escalation``: its steps come in the order they run."""
    if not steps:
        return steps or None
    errors = [
        ((index, "after"), "must be later than the step before it", step.after)
        for index, step in enumerate(steps[1:], start=1)
        if step.after <= steps[index - 1].after
    ]
    if errors:
        raise validation_error(*errors)
    return steps


# A task's expiry, seconds from now: at least the minimum delay (checked, and declared as the
# app started with it), at most 30 days.
def _declare_min_delay(schema: dict[str, Any]) -> None:
    schema["minimum"] = min_delay()


ExpiresIn = Annotated[
    integer(le=MAX_DELAY), Field(json_schema_extra=_declare_min_delay), AfterValidator(check_delay)
]
_Title = text_rule(NOT_BLANK, "must not be blank", max_length=200)
_MEMBER_OR_ME = text_rule(f"^(me|{UUID_PATTERN[1:-1]})$", 'must be a member id or "me"', max_length=36)


class TaskPatch(BaseModel):
    """The body of ``PATCH /api/v1/tasks/{id}``: reassign, move the expiry (from now) or retitle."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "not": {"allOf": [given("assignee_email"), given("assignee_member_id")]},
            "anyOf": [
                given("title"),
                given("assignee_email"),
                given("assignee_member_id"),
                {"required": ["expires_in"], "properties": {"expires_in": {"type": "integer"}}},
            ],
        },
    )

    title: _Title | None = None
    assignee_email: EmailAddress | None = None
    assignee_member_id: _MEMBER_OR_ME | None = None
    expires_in: ExpiresIn | None = None

    @field_validator("assignee_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return value.lower() if value else value

    @field_validator("assignee_member_id")
    @classmethod
    def _member(cls, value: str | None) -> str | None:
        return value if value is None or value == "me" else str(uuid.UUID(value))

    @model_validator(mode="after")
    def _something(self) -> TaskPatch:
        if self.assignee_email and self.assignee_member_id:
            raise validation_error(
                (("assignee_member_id",), "give assignee_member_id or assignee_email, not both", None)
            )
        if self.title is None and self.assignee is None and self.expires_in is None:
            raise validation_error(
                ((), "give at least one of title, assignee_email, assignee_member_id, expires_in", None)
            )
        return self

    @property
    def assignee(self) -> str | None:
        """The new assignee, if one is given (an email, a member id, or ``me``)."""
        return self.assignee_email or self.assignee_member_id
