"""Small shared marks: status badges."""

from __future__ import annotations

import reflex as rx

from hpi_app.vocab import TaskStatus

STATUS_COLORS = {
    TaskStatus.PENDING: "amber",
    TaskStatus.COMPLETED: "green",
    TaskStatus.CANCELLED: "gray",
    TaskStatus.EXPIRED: "red",
}
STATUS_LABELS = {status: status.value.capitalize() for status in TaskStatus}


def status_badge(status: rx.Var[str] | str) -> rx.Component:
    """A coloured badge for a task status."""
    return rx.match(
        status,
        *[
            (status_.value, rx.badge(STATUS_LABELS[status_], color_scheme=color, variant="soft"))
            for status_, color in STATUS_COLORS.items()
        ],
        rx.badge(status, variant="soft"),
    )
