"""The shapes of the REST API's bodies and answers (Pydantic), beside the task spec."""

from __future__ import annotations

import re
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hpi_app.core.sinks.registry import Sink
from hpi_app.spec import StepList

MIN_EXPIRES_IN = 60
MAX_EXPIRES_IN = 2_592_000

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class TaskCreate(BaseModel):
    """The body of ``POST /api/v1/tasks``."""

    model_config = ConfigDict(extra="ignore")

    title: str = Field(min_length=1, max_length=200)
    steps: StepList
    task_id: str | None = None
    instructions_mdsvex: str | None = Field(default=None, max_length=100_000)
    assignee_member_id: str | None = Field(default=None, max_length=36)
    assignee_email: str | None = Field(default=None, max_length=320)
    assignee_name: str | None = Field(default=None, max_length=200)
    assignee_phone: str | None = Field(default=None, max_length=50)
    expires_in: int | None = Field(default=None, ge=MIN_EXPIRES_IN, le=MAX_EXPIRES_IN)
    corr_id: str | None = Field(default=None, max_length=200)
    payload: dict[str, Any] | None = None
    metadata: dict[str, str] | None = None
    sinks: list[Sink] = Field(default_factory=list, max_length=20)

    @field_validator("title")
    @classmethod
    def _title_not_blank(cls, value: str) -> str:
        if not value.strip():
            msg = "must not be blank"
            raise ValueError(msg)
        return value

    @field_validator("task_id")
    @classmethod
    def _task_id_uuid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(uuid.UUID(value))
        except ValueError:
            msg = "must be a UUID such as 3f2b8c1e-0d4a-4b7e-9a53-2f0c6d1e8b90"
            raise ValueError(msg) from None

    @field_validator("assignee_email")
    @classmethod
    def _assignee_email(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value):
            msg = "must be an email address"
            raise ValueError(msg)
        return value.lower() if value else value

    @model_validator(mode="after")
    def _one_assignee(self) -> TaskCreate:
        if self.assignee_member_id and self.assignee_email:
            msg = "give assignee_member_id or assignee_email, not both"
            raise ValueError(msg)
        return self


class CancelRequest(BaseModel):
    """The body of ``POST /api/v1/tasks/{task_id}/cancel``."""

    model_config = ConfigDict(extra="ignore")

    reason: str | None = Field(default=None, max_length=2000)


class TaskCreated(BaseModel):
    """The answer to a created task."""

    task_id: str
    link_id: str
    url: str
    requires_otp: bool
    created_at: str
    expires_at: str | None = None
    webhook_secrets: list[dict[str, Any]] | None = None


class TaskPublic(BaseModel):
    """A task as the API shows it."""

    task_id: str
    org_id: str
    title: str
    instructions_mdsvex: str | None
    steps: list[dict[str, Any]]
    status: Literal["pending", "completed", "cancelled", "expired"]
    created_at: str
    completed_at: str | None
    completed_by: str | None
    data: dict[str, Any] | None
    payload: dict[str, Any] | None
    metadata: dict[str, str] | None
    cancelled_at: str | None
    cancel_reason: str | None
    assignee_id: str | None
    assignee_type: Literal["member", "external"] | None
    created_by: str | None
    correlation_key: str | None
    link_id: str
    url: str
    requires_otp: bool
    duration_ms: int | None
    expires_at: str | None
    expired_at: str | None


class TaskList(BaseModel):
    """A page of tasks."""

    tasks: list[TaskPublic]
    total: int
    limit: int
    offset: int


class ErrorDetail(BaseModel):
    """One bad field."""

    field: str
    message: str


class ErrorBody(BaseModel):
    """The body of every error answer."""

    error: str
    code: str
    details: list[ErrorDetail] = Field(default_factory=list)


class DeliveryAttemptPublic(BaseModel):
    """One attempt at sending a delivery."""

    attempt: int
    started_at: str
    ok: bool
    status_code: int | None
    latency_ms: int
    error: str | None


class DeliveryPublic(BaseModel):
    """One event pushed (or being pushed) to one sink, with every attempt."""

    delivery_id: str
    webhook_id: str
    task_id: str | None
    sink_id: str | None
    event: str
    sink: dict[str, Any]
    status: Literal["pending", "delivered", "failed"]
    attempt_count: int
    last_status_code: int | None
    last_error: str | None
    created_at: str
    next_attempt_at: str | None
    deadline_at: str
    delivered_at: str | None
    attempts: list[DeliveryAttemptPublic]


class DeliveryList(BaseModel):
    """A task's deliveries, oldest first."""

    deliveries: list[DeliveryPublic]
