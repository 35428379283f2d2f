"""``/``: what this instance is and where its API lives."""

from __future__ import annotations

import reflex as rx


def home_page() -> rx.Component:
    """The landing page."""
    return rx.container(
        rx.vstack(
            rx.heading("HPI", size="8"),
            rx.text("Human-in-the-loop tasks: software asks, a person answers."),
            rx.text("Create tasks over the REST API with a token from the command line:"),
            rx.code_block(
                "python -m hpi_app token create --email you@example.com "
                "--name my-script --scopes tasks:create,tasks:read",
                language="bash",
            ),
            rx.link("API reference", href="/api/v1/docs", id="api-docs-link"),
            spacing="4",
            padding_y="3em",
        ),
        size="2",
    )
