"""The create bodies of magic links: a task's (``LinkCreate``) and a process's (``ProcessLinkCreate``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from hpi_app.core.tasks.input import ExpiresIn
from hpi_app.validation import EMAIL_PATTERN, EmailAddress, requires_one_of, text_rule

# Empty means no assignee (the form's blank box); anything else must be an address.
OptionalEmail = text_rule(f"^(?:{EMAIL_PATTERN[1:-1]})?$", "must be an email address", max_length=320)


class LinkCreate(BaseModel):
    """The body of ``POST /api/v1/tasks/{task_id}/links`` (every field optional: ``{}`` is a link)."""

    model_config = ConfigDict(
        extra="ignore", strict=True, json_schema_extra=requires_one_of("require_otp", "assignee_email")
    )

    assignee_email: OptionalEmail | None = None
    assignee_name: str | None = Field(default=None, max_length=200)
    assignee_phone: str | None = Field(default=None, max_length=50)
    require_otp: bool | None = None
    expires_in: ExpiresIn | None = None

    @field_validator("assignee_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return value.lower() if value else None

    @field_validator("require_otp")
    @classmethod
    def _code_needs_an_address(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value and not info.data.get("assignee_email"):
            msg = "a one-time code is emailed to assignee_email: give one, or leave require_otp out"
            raise ValueError(msg)
        return value


class ProcessLinkCreate(LinkCreate):
    """The body of ``POST /api/v1/processes/{process_id}/links``: like a task link's, for one person."""

    assignee_email: EmailAddress
