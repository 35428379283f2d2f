"""What a process is made from and what moves it on: the create body and the update bodies."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from hpi_app.core.errors import InvalidInput
from hpi_app.validation import (
    NOT_BLANK,
    UuidText,
    error_details,
    optional_uuid,
    tagged_union,
    text_rule,
    validation_error,
)

Namespace = text_rule(
    r"^[A-Za-z0-9.-]+$", "may hold only letters, digits, '.' and '-'", min_length=1, max_length=100
)
MAX_STEPS = 100

Title = text_rule(NOT_BLANK, "must not be blank", max_length=200)
StepKey = Annotated[str, Field(min_length=1, max_length=100)]


class StepDef(BaseModel):
    """One step of a new process: ``{key, label, human?}``."""

    model_config = ConfigDict(extra="ignore", strict=True)

    key: StepKey
    label: str = Field(min_length=1, max_length=200)
    human: bool = False


class ProcessCreate(BaseModel):
    """The body of ``POST /api/v1/processes``."""

    model_config = ConfigDict(extra="ignore", strict=True)

    namespace: Namespace = Field(description="Letters, digits, `.` and `-`")
    name: Title
    steps: list[StepDef] = Field(min_length=1, max_length=MAX_STEPS)
    description: str | None = Field(default=None, max_length=10_000)
    process_id: UuidText | None = Field(default=None, description="A UUID chosen by the caller")
    template_id: str | None = Field(default=None, min_length=1, max_length=100)
    metadata: dict[str, str] | None = None

    _process_id = field_validator("process_id")(optional_uuid)

    @field_validator("steps")
    @classmethod
    def _unique_keys(cls, steps: list[StepDef]) -> list[StepDef]:
        seen: set[str] = set()
        for n, step in enumerate(steps):
            if step.key in seen:
                raise validation_error(((n, "key"), f"duplicate step key '{step.key}'", step.key))
            seen.add(step.key)
        return steps


class _Update(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class StepStarted(_Update):
    """``step_started``: the step is running from now, and is the process's current step."""

    type: Literal["step_started"]
    step: StepKey
    detail: str | None = Field(default=None, max_length=10_000)


class StepCompleted(_Update):
    """``step_completed``: the step is done (with its ``data``, if any)."""

    type: Literal["step_completed"]
    step: StepKey
    detail: str | None = Field(default=None, max_length=10_000)
    data: dict[str, Any] | None = None


class StepFailed(_Update):
    """``step_failed``: the step failed; the process goes on running."""

    type: Literal["step_failed"]
    step: StepKey
    error: str = Field(min_length=1, max_length=10_000)


class Progress(_Update):
    """``progress``: how far a step has got, in words and (optionally) in percent."""

    type: Literal["progress"]
    step: StepKey
    message: str = Field(min_length=1, max_length=2000)
    percent: float | None = Field(default=None, ge=0, le=100)


class Completed(_Update):
    """``completed``: the process is done."""

    type: Literal["completed"]
    summary: str | None = Field(default=None, max_length=10_000)


class Failed(_Update):
    """``failed``: the process failed."""

    type: Literal["failed"]
    error: str = Field(min_length=1, max_length=10_000)


UPDATES: dict[str, type[_Update]] = {
    "step_started": StepStarted,
    "step_completed": StepCompleted,
    "step_failed": StepFailed,
    "progress": Progress,
    "completed": Completed,
    "failed": Failed,
}
STEP_UPDATES = frozenset({"step_started", "step_completed", "step_failed", "progress"})

ProcessUpdate = tagged_union(UPDATES, key="type", prefix="update")
_UPDATE = TypeAdapter(ProcessUpdate)


def parse_update(raw: Any) -> _Update:
    """A validated update from a flat ``{type, ...}`` body (400 naming each bad field)."""
    if isinstance(raw, _Update):
        return raw
    try:
        return _UPDATE.validate_python(raw)
    except ValidationError as exc:
        details = error_details(exc)
        raise InvalidInput(
            f"Invalid process update: check {', '.join(d['field'] or 'body' for d in details[:5])}.",
            details=details,
        ) from None
