"""The shapes of the processes API's answers (Pydantic), for the OpenAPI document.

The create and update bodies are the core's (``core.processes.input``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from hpi_app.vocab import ProcessStatus, StepStatus


class ProcessCreated(BaseModel):
    """The answer to a created process."""

    process_id: str
    namespace: str
    name: str
    started_at: str


class StepDefPublic(BaseModel):
    """One step as the process was defined with it."""

    key: str
    label: str
    human: bool


class StepPublic(BaseModel):
    """Where one step stands (an entry of the process's ``timeline``)."""

    step: str
    label: str
    status: StepStatus
    human: bool
    task_id: str | None
    started_at: str | None
    completed_at: str | None
    duration_ms: int | None
    detail: str | None
    progress_message: str | None
    progress_percent: float | None
    error: str | None = None
    data: dict[str, Any] | None = None


class ProcessPublic(BaseModel):
    """A process as the API shows it."""

    process_id: str
    org_id: str
    namespace: str
    name: str
    description: str | None
    status: ProcessStatus
    current_step: str | None
    step_defs: list[StepDefPublic]
    timeline: list[StepPublic]
    task_ids: list[str]
    started_at: str
    completed_at: str | None
    error: str | None
    summary: str | None
    template_id: str | None
    metadata: dict[str, str] | None
    duration_ms: int | None


class ProcessListItem(BaseModel):
    """One process of a list."""

    process_id: str
    namespace: str
    name: str
    status: ProcessStatus
    current_step: str | None
    started_at: str
    completed_at: str | None
    step_count: int
    steps_completed: int
    task_ids: list[str]
    template_id: str | None


class ProcessList(BaseModel):
    """A page of processes."""

    processes: list[ProcessListItem]
    total: int
    limit: int
    offset: int


class ProcessUpdated(BaseModel):
    """The answer to an applied update."""

    process_id: str
    update_type: str
    timestamp: str


class TemplatePublic(BaseModel):
    """A ``template_id`` in use."""

    template_id: str
    count: int
    last_used_at: str


class TemplateList(BaseModel):
    """The organisation's process templates."""

    templates: list[TemplatePublic]
