"""What a new task is made from: the create body the core validates (spec, sinks, assignee, expiry)."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from hpi_app.core.sinks.registry import Sink
from hpi_app.core.tasks.policy_input import (
    EscalationStep,
    ExpiresIn,
    ExpiryPolicy,
    ReminderPolicy,
    check_escalation,
)
from hpi_app.spec import StepList, SubmissionError, validate_submission
from hpi_app.validation import (
    NOT_BLANK,
    EmailAddress,
    UuidText,
    given,
    optional_uuid,
    requires_one_of,
    text_rule,
    validation_error,
)
from hpi_app.vocab import ExpiryAction

Title = text_rule(NOT_BLANK, "must not be blank", max_length=200)


class TaskCreate(BaseModel):
    """The body of ``POST /api/v1/tasks``.

    ``correlation_key`` is HPI's other name for ``corr_id``: either may be given (both, only when
    equal); after validation ``corr_id`` holds it. ``require_otp`` overrides the §8 rule (true:
    the link asks for the code even for a member; false: not even for an external assignee); a
    code needs an address to go to, so true needs an assignee. ``org_id``, when given, must be the
    token's organisation (the core checks it).
    """

    model_config = ConfigDict(
        extra="ignore",
        strict=True,
        json_schema_extra={
            **requires_one_of("require_otp", "assignee_email", "assignee_member_id"),
            "not": {"allOf": [given("assignee_email"), given("assignee_member_id")]},
        },
    )

    title: Title
    steps: StepList
    task_id: UuidText | None = None
    instructions_mdsvex: str | None = Field(default=None, max_length=100_000)
    assignee_member_id: str | None = Field(default=None, max_length=36)
    assignee_email: EmailAddress | None = None
    assignee_name: str | None = Field(default=None, max_length=200)
    assignee_phone: str | None = Field(default=None, max_length=50)
    expires_in: ExpiresIn | None = None
    reminders: ReminderPolicy | None = None
    escalation: list[EscalationStep] | None = Field(default=None, max_length=10)
    on_expire: ExpiryPolicy | None = None
    corr_id: str | None = Field(default=None, max_length=200)
    correlation_key: str | None = Field(default=None, max_length=200)
    template_id: str | None = Field(default=None, min_length=1, max_length=100)
    require_otp: bool | None = None
    org_id: str | None = Field(default=None, max_length=36)
    payload: dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    sinks: list[Sink] = Field(default_factory=list, max_length=20)
    process_id: UuidText | None = Field(default=None, description="The process this task is a step of")
    process_step: str | None = Field(default=None, min_length=1, max_length=100)

    @field_validator("correlation_key")
    @classmethod
    def _same_as_corr_id(cls, value: str | None, info: ValidationInfo) -> str | None:
        corr_id = info.data.get("corr_id")
        if value is not None and corr_id is not None and value != corr_id:
            msg = "is the same field as corr_id: give one, or both with the same value"
            raise ValueError(msg)
        return value

    @field_validator("require_otp")
    @classmethod
    def _code_needs_an_address(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value and not (info.data.get("assignee_email") or info.data.get("assignee_member_id")):
            msg = "a one-time code is emailed to the assignee: give assignee_email or assignee_member_id"
            raise ValueError(msg)
        return value

    _escalation_in_order = field_validator("escalation")(check_escalation)

    @model_validator(mode="after")
    def _expiry_policy(self) -> TaskCreate:
        """``on_expire`` needs an expiry; its ``complete`` answers must be ones the spec accepts."""
        policy = self.on_expire
        if policy is None:
            return self
        if self.expires_in is None and policy.action != ExpiryAction.EXPIRE:
            raise validation_error(
                (("on_expire",), "needs expires_in: without it the task never expires", None)
            )
        if policy.action == ExpiryAction.COMPLETE:
            try:
                policy.data = validate_submission(self.steps, policy.data or {})
            except SubmissionError as exc:
                raise validation_error(
                    *((("on_expire", *d["field"].split(".")), d["message"], None) for d in exc.details)
                ) from None
        return self

    _ids_are_uuids = field_validator("task_id", "process_id")(optional_uuid)

    @field_validator("assignee_email")
    @classmethod
    def _assignee_email(cls, value: str | None) -> str | None:
        return value.lower() if value else value

    @model_validator(mode="after")
    def _one_assignee(self) -> TaskCreate:
        if self.assignee_member_id and self.assignee_email:
            msg = "give assignee_member_id or assignee_email, not both"
            raise ValueError(msg)
        return self

    @model_validator(mode="after")
    def _one_correlation_key(self) -> TaskCreate:
        self.corr_id = self.correlation_key = self.corr_id or self.correlation_key
        return self
