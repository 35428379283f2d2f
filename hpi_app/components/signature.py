"""The signature pad: a canvas drawn on with pointer events (``assets/signature.js``).

The script draws on every ``<canvas data-signature>`` and, when a stroke ends, writes the
canvas's PNG data URL into the hidden input named by ``data-input``, which hands it to the
state through an ordinary ``on_change``. "Clear" is a button the script also handles.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from hpi_app.components.forms import secondary_button

SCRIPT_SRC = "/signature.js"


def signature_script() -> rx.Component:
    """Loads the signature pad script once per page."""
    return rx.script(src=SCRIPT_SRC)


def signature_pad(field: Any, value: rx.Var[str], on_change: Any, label_id: rx.Var[str]) -> rx.Component:
    """A signature pad for ``field``: canvas, a hint, and a Clear button.

    Args:
        field: The field's view (a ``FieldView`` var).
        value: The current signature (a PNG data URL, or ``""``).
        on_change: Event called with the new data URL (``""`` when cleared).
        label_id: The id of the element holding the field's label.
    """
    canvas_id = field.input_id
    input_id = field.input_id + "-data"
    return rx.vstack(
        rx.box(
            rx.el.canvas(
                id=canvas_id,
                role="img",
                aria_labelledby=label_id,
                aria_describedby=field.input_id + "-hint",
                custom_attrs={
                    "data-signature": "true",
                    "data-input": input_id,
                    "data-pen-color": field.pen_color,
                },
                width="100%",
                height="100%",
                display="block",
                style={"touchAction": "none", "cursor": "crosshair"},
            ),
            rx.cond(
                value == "",
                rx.text(
                    "Sign here",
                    size="2",
                    color_scheme="gray",
                    position="absolute",
                    bottom="10px",
                    left="14px",
                    pointer_events="none",
                    user_select="none",
                ),
            ),
            position="relative",
            width="100%",
            height="170px",
            border=f"1px dashed {rx.color('gray', 8)}",
            border_radius="var(--radius-3)",
            background_color="white",
            overflow="hidden",
        ),
        rx.el.input(
            id=input_id,
            type="text",
            tab_index=-1,
            aria_hidden="true",
            on_change=on_change,
            display="none",
        ),
        rx.hstack(
            rx.text(
                rx.cond(value == "", "Draw your signature with a mouse, pen or finger.", "Signed."),
                id=field.input_id + "-hint",
                size="1",
                color_scheme="gray",
            ),
            secondary_button(
                rx.icon("eraser", size=14),
                "Clear",
                type="button",
                size="1",
                custom_attrs={"data-signature-clear": canvas_id},
                aria_label="Clear signature",
            ),
            justify="between",
            align="center",
            width="100%",
        ),
        spacing="2",
        width="100%",
    )
