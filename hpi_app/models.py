"""The SQLModel tables of HPI's store: times are aware UTC datetimes, JSON columns as clients sent them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from hpi_app.model_base import iso as iso
from hpi_app.model_base import new_id, utcnow

# The tables kept in their own modules, re-exported so every table is found here.
from hpi_app.process_models import Process as Process
from hpi_app.process_models import ProcessStep as ProcessStep
from hpi_app.schedule_models import OrgSettings as OrgSettings
from hpi_app.schedule_models import ScheduledAction as ScheduledAction
from hpi_app.vocab import DeliveryStatus, TaskStatus

__all__ = ["iso", "new_id", "utcnow"]


class Organisation(SQLModel, table=True):
    """A tenant: every user, token, task and file belongs to exactly one."""

    __tablename__ = "organisations"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """A member of an organisation who signs in to the web app."""

    __tablename__ = "users"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    org_id: str = Field(foreign_key="organisations.id", index=True, max_length=36)
    email: str = Field(max_length=320, unique=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=200)
    role: str = Field(default="member", max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    disabled_at: datetime | None = None


class InstanceSetup(SQLModel, table=True):
    """The one row saying the instance was set up; its fixed key lets only one first setup win."""

    __tablename__ = "instance_setup"

    id: int = Field(default=1, primary_key=True)
    set_up_at: datetime = Field(default_factory=utcnow)


class UserSession(SQLModel, table=True):
    """A signed-in browser session; only the hash of its secret is stored."""

    __tablename__ = "sessions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = None
    user_agent: str = Field(default="", max_length=300)


class ApiToken(SQLModel, table=True):
    """An API token: SHA-256 of the raw token plus a display prefix."""

    __tablename__ = "api_tokens"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    org_id: str = Field(foreign_key="organisations.id", index=True, max_length=36)
    user_id: str = Field(foreign_key="users.id", index=True, max_length=36)
    name: str = Field(max_length=200)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=12, index=True)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


_AT = ("created_at", "id")  # every list's order
_DONE = {"sqlite_where": text("status <> 'pending'"), "postgresql_where": text("status <> 'pending'")}
_PENDING = {"sqlite_where": text("status = 'pending'"), "postgresql_where": text("status = 'pending'")}


class Task(SQLModel, table=True):
    """A human-in-the-loop task: its spec, its state and, once done, its data."""

    __tablename__ = "tasks"
    # Each list filter's index ends in the list order (_AT); the Done tab's are partial (_DONE).
    __table_args__ = (
        Index("ix_tasks_org_created", "org_id", *_AT),
        Index("ix_tasks_org_status_created", "org_id", "status", *_AT),
        Index("ix_tasks_org_done_created", "org_id", *_AT, "status", **_DONE),
        Index("ix_tasks_org_assignee_created", "org_id", "assignee_id", *_AT),
        Index("ix_tasks_org_assignee_status_created", "org_id", "assignee_id", "status", *_AT),
        Index("ix_tasks_org_assignee_done_created", "org_id", "assignee_id", *_AT, "status", **_DONE),
        Index("ix_tasks_org_correlation_created", "org_id", "correlation_key", *_AT),
        Index("ix_tasks_org_template_created", "org_id", "template_id", *_AT),
        Index("ix_tasks_org_process_created", "org_id", "process_id", *_AT),
        Index("ix_tasks_status_expires", "status", "expires_at"),
        # A search's pending matches, counted on their titles alone (migration 0015).
        Index("ix_tasks_pending_titles", "org_id", "status", "title", **_PENDING),
    )

    id: str = Field(primary_key=True, max_length=36)
    org_id: str = Field(foreign_key="organisations.id", max_length=36)
    title: str = Field(max_length=200)
    instructions_mdsvex: str | None = None
    steps: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=TaskStatus.PENDING.value, max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str | None = Field(default=None, max_length=36)
    completed_at: datetime | None = None
    completed_by: str | None = Field(default=None, max_length=320)
    data: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    payload: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    meta: dict[str, str] | None = Field(default=None, sa_column=Column("metadata", JSON))
    sinks: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    assignee_id: str | None = Field(default=None, max_length=36)
    assignee_type: str | None = Field(default=None, max_length=20)
    assignee_email: str | None = Field(default=None, max_length=320)
    assignee_name: str | None = Field(default=None, max_length=200)
    assignee_phone: str | None = Field(default=None, max_length=50)
    correlation_key: str | None = Field(default=None, max_length=200)
    template_id: str | None = Field(default=None, max_length=100)
    link_id: str = Field(max_length=64, unique=True)
    requires_otp: bool = False
    expires_at: datetime | None = None
    expired_at: datetime | None = None
    process_id: str | None = Field(default=None, max_length=36, index=True)
    process_step: str | None = Field(default=None, max_length=100)
    reminders: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    escalation: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    on_expire: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    reminded_count: int = 0
    escalated_count: int = 0
    last_notified_at: datetime | None = None


class TaskCount(SQLModel, table=True):
    """Tasks per organisation, status and assignee (``*`` all, ``""`` none): see ``core.tasks.counts``."""

    __tablename__ = "task_counts"

    org_id: str = Field(primary_key=True, max_length=36)
    assignee: str = Field(primary_key=True, max_length=36)
    status: str = Field(primary_key=True, max_length=20)
    slot: int = Field(primary_key=True)
    n: int = 0


class Submission(SQLModel, table=True):
    """The one accepted submission of a task (unique per task: one winner)."""

    __tablename__ = "submissions"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    task_id: str = Field(foreign_key="tasks.id", unique=True, max_length=36)
    data: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    submitted_by: str | None = Field(default=None, max_length=320)
    submitted_at: datetime = Field(default_factory=utcnow)


class IdempotencyKey(SQLModel, table=True):
    """The first answer to a request made with an ``Idempotency-Key`` header."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("org_id", "scope", "key", name="uq_idempotency"),)

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(foreign_key="organisations.id", max_length=36)
    scope: str = Field(max_length=200)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)


class TimelineEntry(SQLModel, table=True):
    """One entry of a subject's timeline (a task's today); its id orders the organisation's event stream.

    A subject is named by its kind (``task``) and id, so every kind of subject shares one timeline,
    one event stream and one ``Last-Event-ID`` sequence.
    """

    __tablename__ = "timeline"
    __table_args__ = (
        Index("ix_timeline_org_id_id", "org_id", "id"),
        Index("ix_timeline_subject", "subject_kind", "subject_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    org_id: str = Field(max_length=36)
    subject_kind: str = Field(max_length=20)
    subject_id: str = Field(max_length=36)
    kind: str = Field(max_length=40)
    actor: str | None = Field(default=None, max_length=320)
    detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)


class OrgSink(SQLModel, table=True):
    """An organisation-wide notification sink: every task's events it asks for are pushed to it.

    ``config`` holds the sink's own settings as validated at create time (``url`` and ``secret``
    for a webhook, ``to`` for email, ``subject`` for NATS).
    """

    __tablename__ = "org_sinks"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    org_id: str = Field(foreign_key="organisations.id", index=True, max_length=36)
    name: str = Field(max_length=100)
    type: str = Field(max_length=20)
    config: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    created_by: str | None = Field(default=None, max_length=36)


class Delivery(SQLModel, table=True):
    """An outbox row: one event to push to one sink, written with the change it announces.

    ``subject_kind``/``subject_id`` name what the event is about (a task); both are empty for a
    sink's test event.

    ``status`` is ``pending`` (waiting for its next attempt), ``delivered`` or ``failed`` (no
    attempt succeeded before ``deadline_at``). A worker sending it holds it until ``locked_until``;
    ``webhook_id`` is the same on every attempt, so receivers can drop repeats.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_deliveries_webhook_id", "webhook_id", unique=True),
        Index("ix_deliveries_subject", "subject_kind", "subject_id"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    org_id: str = Field(max_length=36, index=True)
    subject_kind: str | None = Field(default=None, max_length=20)
    subject_id: str | None = Field(default=None, max_length=36)
    sink_id: str | None = Field(default=None, max_length=36, index=True)
    webhook_id: str = Field(max_length=64)
    event: str = Field(max_length=40)
    sink: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default=DeliveryStatus.PENDING.value, max_length=20)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    deadline_at: datetime
    locked_until: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=64)
    last_error: str | None = None
    last_status_code: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None


class DeliveryAttempt(SQLModel, table=True):
    """One try at sending a delivery: when, how long it took, and what came back."""

    __tablename__ = "delivery_attempts"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(foreign_key="deliveries.id", index=True, max_length=36)
    attempt: int
    started_at: datetime = Field(default_factory=utcnow)
    ok: bool = False
    status_code: int | None = None
    latency_ms: int = 0
    error: str | None = None


class StoredFile(SQLModel, table=True):
    """An uploaded file; its bytes live under the data folder.

    ``task_id`` is the task whose page a person uploaded it on (``None`` for a token's upload):
    it counts towards that task's quota and is collected when no submission kept it.
    """

    __tablename__ = "files"

    key: str = Field(primary_key=True, max_length=300)
    org_id: str = Field(foreign_key="organisations.id", index=True, max_length=36)
    name: str = Field(max_length=255)
    size: int
    content_type: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str | None = Field(default=None, max_length=36)
    task_id: str | None = Field(default=None, index=True, max_length=36)


class Link(SQLModel, table=True):
    """A magic link to a subject (a task today): its id is the secret in ``/t/<id>``.

    A task has one or more links; the first (``primary``) is the task's own ``link_id``. Each link
    has its own assignee, code requirement (SPEC §8), expiry and withdrawal (``revoked_at``).
    ``opened_at`` is when it was first opened.
    """

    __tablename__ = "links"
    __table_args__ = (Index("ix_links_subject", "subject_kind", "subject_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=64)
    org_id: str = Field(foreign_key="organisations.id", max_length=36)
    subject_kind: str = Field(max_length=20)
    subject_id: str = Field(max_length=36)
    primary: bool = False
    assignee_id: str | None = Field(default=None, max_length=36)
    assignee_type: str | None = Field(default=None, max_length=20)
    assignee_email: str | None = Field(default=None, max_length=320)
    assignee_name: str | None = Field(default=None, max_length=200)
    assignee_phone: str | None = Field(default=None, max_length=50)
    requires_otp: bool = False
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    opened_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str | None = Field(default=None, max_length=36)


class LinkAccess(SQLModel, table=True):
    """The one-time-code state of one link (SPEC §8): one row per link a code was sent for.

    ``code_hash`` is the current code's salted SHA-256 (``salt$hex``), never the code; a new
    code overwrites it and a confirmed one clears it. ``last_sent_at`` starts the resend
    cooldown; ``failed_attempts`` counts wrong codes until ``locked_until`` is set.
    """

    __tablename__ = "link_access"

    link_id: str = Field(foreign_key="links.id", primary_key=True, max_length=64)
    code_hash: str | None = Field(default=None, max_length=100)
    code_expires_at: datetime | None = None
    last_sent_at: datetime | None = None
    failed_attempts: int = 0
    locked_until: datetime | None = None


class LinkGrant(SQLModel, table=True):
    """A browser that confirmed a link's one-time code; only the hash of its secret is stored."""

    __tablename__ = "link_grants"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=36)
    link_id: str = Field(foreign_key="links.id", index=True, max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
