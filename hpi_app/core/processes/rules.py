"""The small rules every process operation shares: ids, namespaces, and the refusals."""

from __future__ import annotations

import uuid
from typing import Any

from hpi_app.core.errors import Conflict, InvalidInput, NotFound
from hpi_app.vocab import ProcessStatus

MAX_LIST_LIMIT = 200

_FINISHED = {
    ProcessStatus.COMPLETED: ("This process has already completed.", "process_completed"),
    ProcessStatus.FAILED: ("This process has already failed.", "process_failed"),
}


def is_process_id(value: str | None) -> bool:
    """Whether ``value`` can be a process id (a UUID)."""
    try:
        uuid.UUID(value or "")
    except ValueError:
        return False
    return True


def full_namespace(org_id: str, namespace: str) -> str:
    """A namespace as stored and shown: ``<org_id>.<namespace>`` (a prefixed one is kept)."""
    return namespace if namespace.startswith(f"{org_id}.") else f"{org_id}.{namespace}"


def process_not_found(process_id: str, field: str | None = None) -> NotFound:
    """The refusal for a process that does not exist or belongs to another organisation."""
    details = [{"field": field, "message": "no such process in this organisation"}] if field else None
    return NotFound(f"No process with id {process_id}.", code="process_not_found", details=details)


def process_finished(process: Any, field: str | None = None) -> Conflict:
    """The refusal for changing a process that has completed or failed (says which)."""
    message, code = _FINISHED.get(process.status, ("This process is not running.", "process_finished"))
    details = [{"field": field, "message": f"the process has {process.status}"}] if field else None
    return Conflict(
        f"{message} It takes no more updates.",
        code=code,
        details=details,
        extra={"status": process.status, "process_id": process.id},
    )


def unknown_step(step: str, known: list[str], field: str = "step") -> InvalidInput:
    """The refusal for an update or task naming a step the process does not have."""
    return InvalidInput(
        f"The process has no step '{step}'.",
        code="unknown_step",
        details=[{"field": field, "message": f"unknown step '{step}'; steps: {', '.join(known)}"}],
    )
