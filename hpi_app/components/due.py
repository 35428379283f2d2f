"""When a pending task is due, ticking in the browser, and its reminder/escalation badges.

``assets/due.js`` (loaded once per page by ``due_script``) rewrites every ``[data-due]``
element's countdown each second and marks it ``data-overdue`` once the time has passed (shown
in red), so the countdown is live with no round trip to the server.
"""

from __future__ import annotations

import reflex as rx

SCRIPT_SRC = "/due.js"


def due_script() -> rx.Component:
    """Loads the countdown script once per page."""
    return rx.script(src=SCRIPT_SRC)


def due_countdown(expires_at: rx.Var[str], **props) -> rx.Component:
    """A live countdown to ``expires_at`` (an ISO time); a dash when the task never expires."""
    return rx.cond(
        expires_at != "",
        rx.el.span(
            # Only the script writes this text (React renders no children here to clash with).
            rx.el.span(custom_attrs={"data-due-text": "true"}),
            custom_attrs={"data-due": expires_at},
            title=expires_at,
            class_name="due",
            white_space="nowrap",
            **props,
        ),
        rx.text("—", color_scheme="gray"),
    )


def reminder_badges(reminded: rx.Var[int], escalated: rx.Var[int]) -> rx.Component:
    """``reminded ×N`` and ``escalated`` badges (nothing when neither happened)."""
    return rx.hstack(
        rx.cond(
            reminded > 0,
            rx.badge(
                "reminded ×", reminded, color_scheme="blue", variant="soft", class_name="badge-reminded"
            ),
        ),
        rx.cond(
            escalated > 0,
            rx.badge("escalated", color_scheme="orange", variant="soft", class_name="badge-escalated"),
        ),
        spacing="1",
    )
