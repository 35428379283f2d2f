"""The tables of a task's policy: its scheduled actions, and an organisation's settings.

Kept beside ``models.py`` (which re-exports them, so ``from hpi_app.models import ...`` finds
every table) to keep each module small; times are timezone-aware UTC, as in ``models.py``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hpi_app.model_base import utcnow


class ScheduledAction(SQLModel, table=True):
    """One action a task's policy will take (a reminder, an escalation step), stored so it survives restarts.

    ``seq`` numbers a kind's actions of one task (reminder 1, 2, ...; escalation step 0, 1, ...),
    unique with the task and kind, so each is planned once. A worker leases a due action
    (``claimed_by`` until ``claimed_until``), sends, then marks it ``done_at`` by a conditional
    update: of any number of workers exactly one records it. A task that ends cancels the
    actions still waiting (``cancelled_at``), in the transaction that ends it. ``outcome`` is
    what the mail came to: ``{"sent": [...], "failed": [...]}``.
    """

    __tablename__ = "scheduled_actions"
    __table_args__ = (
        UniqueConstraint("task_id", "kind", "seq", name="uq_scheduled_action"),
        Index("ix_scheduled_actions_open_due", "done_at", "cancelled_at", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: str = Field(max_length=36, index=True)
    org_id: str = Field(max_length=36)
    kind: str = Field(max_length=20)
    seq: int = 0
    due_at: datetime
    created_at: datetime = Field(default_factory=utcnow)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = None
    attempts: int = 0
    done_at: datetime | None = None
    cancelled_at: datetime | None = None
    outcome: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class OrgSettings(SQLModel, table=True):
    """An organisation's settings: the task policy applied when a create body sets none."""

    __tablename__ = "org_settings"

    org_id: str = Field(foreign_key="organisations.id", primary_key=True, max_length=36)
    task_defaults: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    updated_at: datetime = Field(default_factory=utcnow)
    updated_by: str | None = Field(default=None, max_length=36)
