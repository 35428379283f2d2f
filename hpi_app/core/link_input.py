"""The create bodies of magic links: a task's (``LinkCreate``) and a process's (``ProcessLinkCreate``)."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from hpi_app.core.tasks.input import MAX_EXPIRES_IN, MIN_EXPIRES_IN

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class LinkCreate(BaseModel):
    """The body of ``POST /api/v1/tasks/{task_id}/links`` (every field optional: ``{}`` is a link)."""

    model_config = ConfigDict(extra="ignore", strict=True)

    assignee_email: str | None = Field(default=None, max_length=320)
    assignee_name: str | None = Field(default=None, max_length=200)
    assignee_phone: str | None = Field(default=None, max_length=50)
    require_otp: bool | None = None
    expires_in: int | None = Field(default=None, ge=MIN_EXPIRES_IN, le=MAX_EXPIRES_IN)

    @field_validator("assignee_email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = value.strip()
        if not _EMAIL.match(value):
            msg = "must be an email address"
            raise ValueError(msg)
        return value.lower()

    @field_validator("require_otp")
    @classmethod
    def _code_needs_an_address(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value and not info.data.get("assignee_email"):
            msg = "a one-time code is emailed to assignee_email: give one, or leave require_otp out"
            raise ValueError(msg)
        return value


class ProcessLinkCreate(LinkCreate):
    """The body of ``POST /api/v1/processes/{process_id}/links``: like a task link's, for one person."""

    assignee_email: str = Field(max_length=320)

    @field_validator("assignee_email")
    @classmethod
    def _required(cls, value: str | None) -> str:
        if not value:  # the task link's check turned "" into None
            msg = "is required: a process link is for one person"
            raise ValueError(msg)
        return value
