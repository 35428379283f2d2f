"""Small shared marks: status badges."""

from __future__ import annotations

import reflex as rx

STATUS_COLORS = {"pending": "amber", "completed": "green", "cancelled": "gray", "expired": "red"}


def status_badge(status: rx.Var[str] | str) -> rx.Component:
    """A coloured badge for a task status."""
    return rx.match(
        status,
        *[
            (name, rx.badge(name.capitalize(), color_scheme=color, variant="soft"))
            for name, color in STATUS_COLORS.items()
        ],
        rx.badge(status, variant="soft"),
    )
