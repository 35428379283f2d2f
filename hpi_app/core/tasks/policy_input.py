"""A task's policy in its create body: ``reminders``, ``escalation`` and ``on_expire``, and the PATCH body.

Every delay's lower bound is ``HPI_MIN_DELAY_SECONDS`` (``every``'s is five times it), read
when a body is validated, so a test or a trial can lower it. A member named by id is checked
against the organisation by the core (it needs the store); everything else is checked here.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from hpi_app import config
from hpi_app.validation import (
    EMAIL_PATTERN,
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


def _canonical(value: str) -> str:
    """A person as stored: an email address in lower case, a member id in UUID's canonical form."""
    if value == "me" or "@" in value:
        return value.lower()
    return str(uuid.UUID(value))


# An escalation target, one regular expression for the check and the document: an email
# address or a member id (``reassign_to`` may also be ``me``).
_PERSON = f"{EMAIL_PATTERN[1:-1]}|{UUID_PATTERN[1:-1]}"
Person = Annotated[
    text_rule(f"^(?:{_PERSON})$", "must be an email address or a member id", max_length=320),
    AfterValidator(_canonical),
]
PersonOrMe = Annotated[
    text_rule(f"^(?:me|{_PERSON})$", 'must be an email address or a member id or "me"', max_length=320),
    AfterValidator(_canonical),
]


def _declare_floor(factor: int) -> Any:
    """The JSON schema's ``minimum`` of a delay: ``factor`` × the minimum delay the app started with."""

    def declare(schema: dict[str, Any]) -> None:
        schema["minimum"] = factor * min_delay()

    return declare


# A delay in seconds: at least the minimum delay (checked when a body is validated, declared as
# the app started with it), at most 30 days. ``every``'s floor is EVERY_FACTOR times it.
Delay = Annotated[
    integer(le=MAX_DELAY), Field(json_schema_extra=_declare_floor(1)), AfterValidator(check_delay)
]
Every = Annotated[
    integer(le=MAX_DELAY),
    Field(json_schema_extra=_declare_floor(EVERY_FACTOR)),
    AfterValidator(lambda value: check_delay(value, EVERY_FACTOR * min_delay())),
]
ExpiresIn = Delay


def _is(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema: ``name`` is present and matches ``schema``."""
    return {"required": [name], "properties": {name: schema}}


class ReminderPolicy(BaseModel):
    """``reminders``: the first after ``after`` seconds, then every ``every`` seconds, ``max`` in all."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            # More than one reminder needs ``every``.
            "anyOf": [
                _is("every", {"type": "integer"}),
                {"properties": {"max": {"anyOf": [{"const": 1}, {"type": "null"}]}}},
            ]
        },
    )

    after: Delay
    every: Every | None = None
    max: integer(ge=1, le=MAX_REMINDERS) | None = None

    @model_validator(mode="after")
    def _count(self) -> ReminderPolicy:
        if self.max is not None and self.every is None and self.max != 1:
            raise validation_error((("max",), "more than one reminder needs every", self.max))
        if self.max is None:
            self.max = DEFAULT_MAX_REMINDERS if self.every is not None else 1
        return self


class EscalationStep(BaseModel):
    """One step of ``escalation``: after ``after`` seconds tell ``notify``, reassign to ``reassign_to``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"anyOf": [_is("notify", {"minItems": 1}), _is("reassign_to", {"type": "string"})]},
    )

    after: Delay
    notify: list[Person] = Field(default_factory=list, max_length=MAX_NOTIFY)
    reassign_to: PersonOrMe | None = None

    @model_validator(mode="after")
    def _does_something(self) -> EscalationStep:
        if not self.notify and self.reassign_to is None:
            raise validation_error((("notify",), "give notify, reassign_to, or both", None))
        return self


class ExpiryPolicy(BaseModel):
    """``on_expire``: expire (the default), complete with ``data``, or cancel with ``reason``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {"anyOf": [_is("action", {"const": only}), {"properties": {name: {"type": "null"}}}]}
                for name, only in (
                    ("data", ExpiryAction.COMPLETE.value),
                    ("reason", ExpiryAction.CANCEL.value),
                )
            ]
        },
    )

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


# JSON Schema of a create body: an ``on_expire`` that does more than expire needs ``expires_in``.
EXPIRY_FOR_POLICY: dict[str, Any] = {
    "if": _is("on_expire", {"type": "object", "properties": {"action": {"not": {"const": "expire"}}}}),
    "then": _is("expires_in", {"type": "integer"}),
}


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
