"""The shapes of the REST API's own bodies and answers (Pydantic); the create body is the core's."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hpi_app.vocab import DeliveryStatus, TaskStatus


class CancelRequest(BaseModel):
    """The body of ``POST /api/v1/tasks/{task_id}/cancel``."""

    model_config = ConfigDict(extra="ignore")

    reason: str | None = Field(default=None, max_length=2000)


class CompleteRequest(BaseModel):
    """The body of ``POST /api/v1/tasks/{task_id}/complete`` (no body at all means ``{}``)."""

    model_config = ConfigDict(extra="ignore")

    data: dict[str, Any] | None = Field(
        default=None, description="The answers, keyed by field name; validated like a browser submission"
    )


class TaskNotified(BaseModel):
    """The answer to ``POST /api/v1/tasks/{task_id}/notify``."""

    task_id: str
    notified: list[str] = Field(description="The addresses emailed")


class TemplateUse(BaseModel):
    """One ``template_id`` of the organisation's tasks."""

    template_id: str
    count: int
    last_used_at: str


class TemplateList(BaseModel):
    """The organisation's distinct task ``template_id``s, most recently used first."""

    templates: list[TemplateUse]


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
    instructions_mdsvex: str | None = Field(default=None, description="Only with include_definition=true")
    steps: list[dict[str, Any]] | None = Field(default=None, description="Only with include_definition=true")
    status: TaskStatus
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
    corr_id: str | None = Field(description="The same as correlation_key")
    template_id: str | None
    process_id: str | None = Field(default=None, description="The process this task is a step of")
    process_step: str | None = Field(default=None, description="The step of that process")
    link_id: str
    url: str
    requires_otp: bool
    duration_ms: int | None
    expires_at: str | None
    expired_at: str | None
    reminders: dict[str, Any] | None = Field(
        default=None, description="The reminder policy: after, every, max"
    )
    escalation: list[dict[str, Any]] | None = Field(
        default=None, description="The escalation steps, in order"
    )
    on_expire: dict[str, Any] | None = Field(default=None, description="What happens when expires_in passes")
    reminded_count: int = Field(default=0, description="Reminders that reached someone")
    escalated_count: int = Field(default=0, description="Escalations that reached someone")


class TaskList(BaseModel):
    """A page of tasks."""

    tasks: list[TaskPublic]
    total: int
    limit: int
    offset: int
    next_cursor: str | None = Field(
        default=None, description="Pass as `cursor` for the next page; null on the last page"
    )


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
    status: DeliveryStatus
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
