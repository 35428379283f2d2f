"""Marks the process pages share: status badges, the progress of a process, where a namespace is."""

from __future__ import annotations

import reflex as rx

from hpi_app.vocab import ProcessStatus, StepStatus

PROCESS_COLORS = {
    ProcessStatus.RUNNING: "blue",
    ProcessStatus.COMPLETED: "green",
    ProcessStatus.FAILED: "red",
}
STEP_COLORS = {
    StepStatus.PENDING: "gray",
    StepStatus.RUNNING: "blue",
    StepStatus.COMPLETED: "green",
    StepStatus.FAILED: "red",
}


def _badge(status: rx.Var[str] | str, colors: dict) -> rx.Component:
    return rx.match(
        status,
        *[
            (s.value, rx.badge(s.value.capitalize(), color_scheme=c, variant="soft"))
            for s, c in colors.items()
        ],
        rx.badge(status, variant="soft"),
    )


def process_badge(status: rx.Var[str] | str) -> rx.Component:
    """A coloured badge for a process status."""
    return _badge(status, PROCESS_COLORS)


def step_badge(status: rx.Var[str] | str) -> rx.Component:
    """A coloured badge for a step status."""
    return _badge(status, STEP_COLORS)


def bare_namespace(org_id: str, namespace: str) -> str:
    """A namespace without the organisation's id in front (as its creator wrote it)."""
    prefix = f"{org_id}."
    return namespace[len(prefix) :] if namespace.startswith(prefix) else namespace


def percent_of(done: int, total: int) -> int:
    """``done`` of ``total`` as a whole percentage."""
    return round(100 * done / total) if total else 0
