"""The product's words that the store, the API and the UI share: statuses, events, scopes.

Each vocabulary is a ``StrEnum`` defined once here; the UI keys its labels and colours by these
members, the API documents them, the core stores their values.
"""

from __future__ import annotations

from enum import StrEnum


class TaskStatus(StrEnum):
    """Where a task stands."""

    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# The final states, in the order lists and counts show them.
DONE_STATUSES: tuple[TaskStatus, ...] = (TaskStatus.COMPLETED, TaskStatus.CANCELLED, TaskStatus.EXPIRED)
FINAL_STATUSES = frozenset(DONE_STATUSES)


class SinkEvent(StrEnum):
    """The task events a sink can listen for (``events`` of a sink).

    ``reminded`` / ``escalated`` are reminders (``POST /tasks/{id}/notify`` or a task's
    ``reminders`` / ``escalation`` policy), ``assigned`` / ``extended`` a new assignee or expiry
    (``PATCH /tasks/{id}``, an escalation's ``reassign_to``), ``updated`` a new title
    (``PATCH /tasks/{id}``); like ``created`` and ``expired`` a sink gets them only when it lists them.
    """

    CREATED = "created"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    REMINDED = "reminded"
    ESCALATED = "escalated"
    ASSIGNED = "assigned"
    EXTENDED = "extended"
    UPDATED = "updated"


DEFAULT_SINK_EVENTS: tuple[SinkEvent, ...] = (SinkEvent.COMPLETED, SinkEvent.CANCELLED)


class ExpiryAction(StrEnum):
    """What happens to a pending task when its ``expires_in`` passes (``on_expire.action``)."""

    EXPIRE = "expire"
    COMPLETE = "complete"
    CANCEL = "cancel"


class ActionKind(StrEnum):
    """A scheduled action of a task's policy."""

    REMIND = "remind"
    ESCALATE = "escalate"


# Who completed a task that its on_expire policy completed.
POLICY_ACTOR = "policy:on_expire"


class Scope(StrEnum):
    """What an API token may do."""

    TASKS_CREATE = "tasks:create"
    TASKS_READ = "tasks:read"
    PROCESSES_READ = "processes:read"
    PROCESSES_WRITE = "processes:write"


class ProcessStatus(StrEnum):
    """Where a process stands: it runs until an update says it completed or failed."""

    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


FINISHED_PROCESS_STATUSES = frozenset({ProcessStatus.COMPLETED, ProcessStatus.FAILED})


class StepStatus(StrEnum):
    """Where one step of a process stands."""

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class DeliveryStatus(StrEnum):
    """Where a push delivery stands."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Role(StrEnum):
    """A member's role in the organisation."""

    ADMIN = "admin"
    MEMBER = "member"


class McpClient(StrEnum):
    """An agent tool HPI prints MCP connection settings for."""

    CLAUDE_CODE = "claude-code"
    CURSOR = "cursor"
    VSCODE = "vscode"


class McpTransport(StrEnum):
    """How an agent's tool reaches HPI's MCP server: Streamable HTTP, or a local stdio process."""

    HTTP = "http"
    STDIO = "stdio"
