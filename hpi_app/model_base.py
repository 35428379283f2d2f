"""What every table module shares: the current time, new ids, and times as the API writes them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A new random UUID as a string."""
    return str(uuid.uuid4())


def iso(moment: datetime | None) -> str | None:
    """A time as ISO 8601 in UTC with a ``Z`` (``2026-02-24T12:00:00.123Z``)."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
