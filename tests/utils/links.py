"""What the link routes of tasks and processes answer, and what a refused link request must not write."""

from __future__ import annotations

from hpi_app.models import Link, TimelineEntry
from tests.utils.store import row_counts

CREATED_KEYS = {"link_id", "url", "requires_otp", "expires_at", "assignee_email", "created_at"}
LISTED_KEYS = {
    "link_id",
    "url",
    "primary",
    "assignee_email",
    "assignee_name",
    "requires_otp",
    "expires_at",
    "revoked_at",
    "opened_at",
    "created_at",
}


def links_written() -> dict[str, int]:
    """How many links and timeline entries the store holds (a refused request changes neither)."""
    return row_counts(Link, TimelineEntry)
