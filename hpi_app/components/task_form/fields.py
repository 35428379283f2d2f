"""Form fields of the task form, one renderer per field kind (SPEC §4 fields).

Every renderer reads a ``FieldView`` var (see ``views``) and is bound to ``TaskFormState``: its
value maps (``texts``, ``flags``, ``lists``, ``ratings``), its ``errors`` (field name → message)
and ``busy``, and its ``set_*`` / ``toggle_choice`` handlers.

Each input's accessible name is exactly the field's label: a ``<label for>`` for single
inputs, ``aria-labelledby`` on the group for radio buttons, choices, ratings and signatures.
The required marker sits outside the label.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from hpi_app.components.markdown import markdown_html
from hpi_app.components.signature import signature_pad
from hpi_app.components.task_form.file_field import file_control
from hpi_app.components.task_form.state import TaskFormState
from hpi_app.components.task_form.views import FieldView

_GROUP_KINDS = ("radio", "multiselect", "rating", "signature")


def _label_id(field: rx.Var[FieldView]) -> rx.Var[str]:
    return field.input_id + "-label"


def _error_id(field: rx.Var[FieldView]) -> rx.Var[str]:
    return field.input_id + "-error"


def _error(field: rx.Var[FieldView]) -> rx.Var[str]:
    return TaskFormState.errors.get(field.name, "").to(str)


def _described_by(field: rx.Var[FieldView]) -> rx.Var[str]:
    return rx.cond(_error(field) != "", _error_id(field), field.input_id + "-description")


def _aria(field: rx.Var[FieldView]) -> dict[str, Any]:
    """What a screen reader is told of a field's input: whether it is wrong, whether required, its help."""
    return {
        "aria_invalid": rx.cond(_error(field) != "", "true", "false"),
        "aria_required": rx.cond(field.required, "true", "false"),
        "aria_describedby": _described_by(field),
    }


def _typed(field: rx.Var[FieldView]) -> dict[str, Any]:
    """The props of an input the answer is typed into: its id, its text, its aria, off while busy."""
    return {
        "id": field.input_id,
        "value": TaskFormState.texts.get(field.name, "").to(str),
        "on_change": lambda value: TaskFormState.set_text(field.name, value),
        **_aria(field),
        "disabled": TaskFormState.busy,
        "size": "3",
    }


def _label(field: rx.Var[FieldView]) -> rx.Component:
    """The field's label with its required marker (or "optional") beside it."""
    marker = rx.cond(
        field.required,
        rx.text("*", as_="span", color=rx.color("red", 10), weight="bold", aria_hidden="true"),
        rx.text("optional", as_="span", size="1", color_scheme="gray"),
    )
    text_props = {"size": "2", "weight": "medium"}
    label = rx.cond(
        _GROUP_KINDS_VAR.contains(field.kind),
        rx.text(field.label, id=_label_id(field), as_="span", **text_props),
        rx.el.label(
            rx.text(field.label, as_="span", **text_props), html_for=field.input_id, id=_label_id(field)
        ),
    )
    return rx.hstack(label, marker, spacing="1", align="baseline")


_GROUP_KINDS_VAR = rx.Var.create(list(_GROUP_KINDS))


def _text_input(field: rx.Var[FieldView]) -> rx.Component:
    return rx.input(
        type=field.input_type,
        placeholder=field.placeholder,
        min=field.min,
        max=field.max,
        step=field.step,
        width="100%",
        **_typed(field),
    )


def _textarea(field: rx.Var[FieldView]) -> rx.Component:
    return rx.text_area(
        placeholder=field.placeholder,
        rows="4",
        resize="vertical",
        width="100%",
        **_typed(field),
    )


def _date(field: rx.Var[FieldView]) -> rx.Component:
    return rx.input(type=field.input_type, width=["100%", "16em"], **_typed(field))


def _select(field: rx.Var[FieldView]) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(
            id=field.input_id,
            placeholder=rx.cond(field.placeholder != "", field.placeholder, "Choose…"),
            width="100%",
            **_aria(field),
        ),
        rx.select.content(
            rx.foreach(field.options, lambda option: rx.select.item(option.label, value=option.value)),
            position="popper",
        ),
        value=TaskFormState.texts.get(field.name, "").to(str),
        on_change=lambda value: TaskFormState.set_text(field.name, value),
        disabled=TaskFormState.busy,
        size="3",
    )


def _radio(field: rx.Var[FieldView]) -> rx.Component:
    return rx.radio_group.root(
        rx.flex(
            rx.foreach(
                field.options,
                lambda option: rx.text(
                    rx.flex(
                        rx.radio_group.item(value=option.value), option.label, spacing="2", align="center"
                    ),
                    as_="label",
                    size="3",
                ),
            ),
            direction="column",
            spacing="3",
        ),
        id=field.input_id,
        value=TaskFormState.texts.get(field.name, "").to(str),
        on_change=lambda value: TaskFormState.set_text(field.name, value),
        aria_labelledby=_label_id(field),
        aria_describedby=_described_by(field),
        aria_required=rx.cond(field.required, "true", "false"),
        disabled=TaskFormState.busy,
        size="3",
    )


def _ticked_label(checkbox: rx.Component, label: rx.Var[str], **props) -> rx.Component:
    """A checkbox and its words as one ``<label>``, so a click on the words ticks it too."""
    return rx.text(rx.flex(checkbox, label, spacing="2", align="center"), as_="label", size="3", **props)


def _checkbox(field: rx.Var[FieldView]) -> rx.Component:
    return rx.hstack(
        _ticked_label(
            rx.checkbox(
                id=field.input_id,
                checked=TaskFormState.flags.get(field.name, False).to(bool),
                on_change=lambda checked: TaskFormState.set_flag(field.name, checked),
                aria_invalid=rx.cond(_error(field) != "", "true", "false"),
                aria_describedby=_described_by(field),
                disabled=TaskFormState.busy,
                size="3",
            ),
            field.label,
            weight="medium",
        ),
        rx.cond(
            field.required,
            rx.text("*", as_="span", color=rx.color("red", 10), weight="bold", aria_hidden="true"),
            rx.text("optional", as_="span", size="1", color_scheme="gray"),
        ),
        spacing="1",
        align="center",
    )


def _multiselect(field: rx.Var[FieldView]) -> rx.Component:
    chosen = TaskFormState.lists.get(field.name, []).to(list[str])
    return rx.flex(
        rx.foreach(
            field.options,
            lambda option: _ticked_label(
                rx.checkbox(
                    checked=chosen.contains(option.value),
                    on_change=lambda checked: TaskFormState.toggle_choice(field.name, option.value, checked),
                    disabled=TaskFormState.busy,
                    size="3",
                ),
                option.label,
            ),
        ),
        id=field.input_id,
        role="group",
        aria_labelledby=_label_id(field),
        aria_describedby=_described_by(field),
        direction="column",
        spacing="3",
    )


def _range(field: rx.Var[FieldView]) -> rx.Component:
    value = TaskFormState.texts.get(field.name, "").to(str)
    return rx.hstack(
        rx.text(field.min, size="1", color_scheme="gray"),
        rx.el.input(
            id=field.input_id,
            type="range",
            min=field.min,
            max=field.max,
            step=field.step,
            # Uncontrolled: a controlled slider would snap back while its state round trip runs.
            default_value=value,
            on_change=lambda v: TaskFormState.set_range(field.name, v),
            aria_describedby=_described_by(field),
            disabled=TaskFormState.busy,
            flex="1",
            min_width="0",
            style={"accentColor": "var(--accent-9)", "height": "2em", "cursor": "pointer"},
        ),
        rx.text(field.max, size="1", color_scheme="gray"),
        rx.badge(value, size="3", variant="soft", min_width="3.5em", justify="center", aria_live="polite"),
        spacing="3",
        align="center",
        width="100%",
    )


def _star(field: rx.Var[FieldView], number: rx.Var[int]) -> rx.Component:
    current = TaskFormState.ratings.get(field.name, 0).to(int)
    return rx.icon_button(
        rx.icon(
            "star",
            size=28,
            fill=rx.cond(number <= current, "currentColor", "none"),
        ),
        type="button",
        role="radio",
        aria_checked=rx.cond(number == current, "true", "false"),
        aria_label=rx.cond(number == 1, "1 star", number.to_string() + " stars"),
        on_click=TaskFormState.set_rating(field.name, number),
        disabled=TaskFormState.busy,
        variant="ghost",
        color_scheme=rx.cond(number <= current, "amber", "gray"),
        size="3",
        custom_attrs={"data-star": number.to_string()},
    )


def _rating(field: rx.Var[FieldView]) -> rx.Component:
    current = TaskFormState.ratings.get(field.name, 0).to(int)
    return rx.hstack(
        rx.hstack(
            rx.foreach(field.stars, lambda number: _star(field, number)),
            id=field.input_id,
            role="radiogroup",
            aria_labelledby=_label_id(field),
            aria_describedby=_described_by(field),
            spacing="2",
        ),
        rx.text(
            rx.cond(
                current > 0, current.to_string() + " of " + field.stars.length().to_string(), "Not rated"
            ),
            size="2",
            color_scheme="gray",
        ),
        spacing="4",
        align="center",
        wrap="wrap",
    )


def _signature(field: rx.Var[FieldView]) -> rx.Component:
    return signature_pad(
        field,
        TaskFormState.texts.get(field.name, "").to(str),
        lambda value: TaskFormState.set_signature(field.name, value),
        _label_id(field),
    )


def _control(field: rx.Var[FieldView]) -> rx.Component:
    return rx.match(
        field.kind,
        ("textarea", _textarea(field)),
        ("select", _select(field)),
        ("radio", _radio(field)),
        ("checkbox", _checkbox(field)),
        ("multiselect", _multiselect(field)),
        ("date", _date(field)),
        ("range", _range(field)),
        ("rating", _rating(field)),
        ("file", file_control(field, _described_by(field))),
        ("signature", _signature(field)),
        _text_input(field),
    )


def form_field(field: rx.Var[FieldView]) -> rx.Component:
    """One field: label, description, control and the message beside it when it needs attention."""
    error = _error(field)
    return rx.vstack(
        rx.cond(field.kind != "checkbox", _label(field)),
        rx.cond(
            field.description_html != "",
            markdown_html(
                field.description_html,
                id=field.input_id + "-description",
                font_size="var(--font-size-2)",
                color=rx.color("gray", 11),
            ),
        ),
        _control(field),
        rx.cond(
            error != "",
            rx.hstack(
                rx.icon("circle-alert", size=14, flex_shrink="0"),
                rx.text(error, size="2", id=_error_id(field)),
                color=rx.color("red", 11),
                spacing="1",
                align="center",
                role="alert",
                class_name="field-error",
            ),
        ),
        spacing="2",
        width="100%",
        id=field.input_id + "-block",
        custom_attrs={"data-field": field.name, "data-invalid": rx.cond(error != "", "true", "false")},
        style=_INVALID_STYLE,
    )


# A field that needs attention gets a red outline on its control.
_INVALID_STYLE = {
    "&[data-invalid='true'] .rt-TextFieldRoot, &[data-invalid='true'] .rt-TextAreaRoot, "
    "&[data-invalid='true'] .rt-SelectTrigger": {"boxShadow": "inset 0 0 0 1px var(--red-8)"},
    "&[data-invalid='true'] .rx-Upload": {"borderColor": "var(--red-8) !important"},
}
