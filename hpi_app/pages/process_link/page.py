"""``/p/<link_id>``: a process's timeline for whoever holds the link, read-only and live."""

from __future__ import annotations

import reflex as rx

from hpi_app.components.layout import brand_bar, loading_spinner, status_card
from hpi_app.pages.process_link.state import ProcessLinkState
from hpi_app.pages.processes.detail_page import process_view
from hpi_app.pages.task_page.code_view import code_view

_DEAD = {
    "withdrawn": (
        "link-2-off",
        "gray",
        "This link was withdrawn",
        "Whoever sent it withdrew this link, so it no longer shows the process. "
        "If you still need to follow it, ask them for a new link.",
    ),
    "link_expired": (
        "timer-off",
        "amber",
        "This link has expired",
        "This link was only valid for a limited time, and that time has passed. "
        "If you still need to follow the process, ask whoever sent it for a new link.",
    ),
    "unknown": (
        "link-2-off",
        "gray",
        "Link not found",
        "This link doesn't lead to a process. Check that you copied the whole link, "
        "or ask whoever sent it for a new one.",
    ),
    "error": (
        "triangle-alert",
        "red",
        "Something went wrong",
        "We couldn't open this process just now. Please reload the page in a moment.",
    ),
}


def _dead(kind: str) -> rx.Component:
    icon, color, heading, text = _DEAD[kind]
    return status_card(icon, color, heading, rx.text(text, color_scheme="gray", size="2"), kind=kind)


def _timeline() -> rx.Component:
    return rx.vstack(
        brand_bar(),
        rx.callout(
            rx.text(
                rx.cond(
                    ProcessLinkState.for_whom != "",
                    rx.text.span("Shared with ", rx.text.strong(ProcessLinkState.for_whom), ". "),
                ),
                "This page follows the process as it moves on. Steps that are yours to do open from here.",
            ),
            icon="eye",
            color_scheme="gray",
            size="1",
            width="100%",
            id="process-link-note",
        ),
        process_view(ProcessLinkState, back=False),
        spacing="4",
        width="100%",
        max_width="800px",
        margin_x="auto",
        padding=["0.75em", "1.5em"],
        padding_bottom="3em",
        custom_attrs={"data-link-state": "open"},
    )


def process_link_page() -> rx.Component:
    """The page behind a process's link."""
    return rx.box(
        rx.match(
            ProcessLinkState.view,
            ("loading", loading_spinner(padding="4em", id="process-link-loading")),
            ("timeline", _timeline()),
            ("code", code_view(ProcessLinkState.name, ProcessLinkState.sign_in_href, noun="process")),
            *[(kind, _dead(kind)) for kind in ("withdrawn", "link_expired", "error")],
            _dead("unknown"),
        ),
        min_height="100vh",
        background_color=rx.color("gray", 2),
    )
