"""A submitted answer on screen, as ``core.answers`` presents it (the done page and task detail)."""

from __future__ import annotations

import reflex as rx

from hpi_app.core.answers import Answer, AnswerFile


def _file_link(file: rx.Var[AnswerFile]) -> rx.Component:
    return rx.link(
        rx.hstack(rx.icon("paperclip", size=14), rx.text(file.name), spacing="1", align="center"),
        href=file.url,
        is_external=True,
        size="2",
    )


def answer_value(answer: rx.Var[Answer]) -> rx.Component:
    """The value of one answer: its text, its files as links, or its signature as a picture."""
    return rx.cond(
        answer.given,
        rx.match(
            answer.kind,
            ("file", rx.vstack(rx.foreach(answer.files, _file_link), spacing="1")),
            (
                "signature",
                rx.image(
                    src=answer.image,
                    alt="Signature for " + answer.label,
                    max_width="260px",
                    width="100%",
                    background_color="white",
                    border=f"1px solid {rx.color('gray', 6)}",
                    border_radius="var(--radius-2)",
                ),
            ),
            rx.text(answer.text, size="2", white_space="pre-wrap", overflow_wrap="anywhere"),
        ),
        rx.text(answer.text, color_scheme="gray", size="2"),
    )
