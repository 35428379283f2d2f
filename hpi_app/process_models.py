"""The tables of processes: a process and its steps (re-exported by ``models.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from hpi_app.model_base import utcnow
from hpi_app.vocab import ProcessStatus, StepStatus


class Process(SQLModel, table=True):
    """A named, multi-step piece of work (mostly automated) whose human steps are tasks.

    ``namespace`` is stored with the organisation's id in front (``<org_id>.<namespace>``), as the
    API shows it. It runs until an update says it completed or failed.
    """

    __tablename__ = "processes"
    __table_args__ = (Index("ix_processes_org_status_started", "org_id", "status", "started_at"),)

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(foreign_key="organisations.id", max_length=36)
    namespace: str = Field(max_length=140, index=True)
    name: str = Field(max_length=200)
    description: str | None = None
    status: str = Field(default=ProcessStatus.RUNNING.value, max_length=20)
    current_step: str | None = Field(default=None, max_length=100)
    template_id: str | None = Field(default=None, max_length=100, index=True)
    meta: dict[str, str] | None = Field(default=None, sa_column=Column("metadata", JSON))
    created_by: str | None = Field(default=None, max_length=36)
    started_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
    error: str | None = None
    summary: str | None = None


class ProcessStep(SQLModel, table=True):
    """One step of a process, in its place; a human step may be done by a task (``task_id``)."""

    __tablename__ = "process_steps"

    process_id: str = Field(foreign_key="processes.id", primary_key=True, max_length=36)
    key: str = Field(primary_key=True, max_length=100)
    label: str = Field(max_length=200)
    human: bool = False
    position: int
    status: str = Field(default=StepStatus.PENDING.value, max_length=20)
    task_id: str | None = Field(default=None, max_length=36)
    started_at: datetime | None = None
    completed_at: datetime | None = None
    duration_ms: int | None = None
    detail: str | None = None
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    error: str | None = None
    progress_message: str | None = None
    progress_percent: float | None = None
