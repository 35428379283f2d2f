"""Pieces of the members' forms and dialogs: labelled inputs, their errors, messages and buttons.

Shared by the Settings pages, the task detail page and the task views, so that a form's
label, error line, failure callout and submit button look the same everywhere.
"""

from __future__ import annotations

from typing import Any

import reflex as rx


def field_error(message: rx.Var[str] | str, error_id: str, **props) -> rx.Component:
    """The red line under a field saying what is wrong with it (an alert for screen readers)."""
    return rx.text(
        rx.icon("circle-alert", size=14, display="inline", vertical_align="-2px", margin_right="4px"),
        message,
        size="1",
        color_scheme="red",
        id=error_id,
        role="alert",
        **props,
    )


def labelled_field(
    label: rx.Var[str] | str,
    field_id: str,
    control: rx.Component,
    error: rx.Var[str] | str = "",
    hint: rx.Var[str] | str = "",
) -> rx.Component:
    """A form control with its label above and its error (or hint) beside it."""
    return rx.vstack(
        rx.el.label(label, html_for=field_id, font_size="var(--font-size-2)", font_weight="500"),
        control,
        rx.cond(
            error != "",
            field_error(error, f"{field_id}-error"),
            rx.fragment()
            if isinstance(hint, str) and not hint
            else rx.text(hint, size="1", color_scheme="gray"),
        ),
        spacing="1",
        width="100%",
        align="stretch",
    )


def text_input(field_id: str, **props) -> rx.Component:
    """A full-width input named after its id (``member-email`` posts ``member_email``).

    Browsers are told not to autofill it unless ``auto_complete`` says otherwise.
    """
    return rx.input(
        **{
            "id": field_id,
            "name": field_id.replace("-", "_"),
            "auto_complete": "off",
            "width": "100%",
            **props,
        }
    )


def text_field(
    label: rx.Var[str] | str,
    field_id: str,
    *,
    error: rx.Var[str] | str = "",
    hint: rx.Var[str] | str = "",
    **input_props,
) -> rx.Component:
    """A ``text_input`` with its label, error and hint (see ``labelled_field``)."""
    return labelled_field(label, field_id, text_input(field_id, **input_props), error, hint)


def choice_fieldset(legend: str, *children: rx.Component, **props) -> rx.Component:
    """A borderless fieldset grouping checkboxes under a legend styled like a field's label."""
    return rx.el.fieldset(
        rx.el.legend(legend, font_size="var(--font-size-2)", font_weight="500", margin_bottom="0.35em"),
        *children,
        border="none",
        padding="0",
        margin="0",
        min_width="0",
        **props,
    )


def callout_if(message: rx.Var[str], *, icon: str, color_scheme: str, **props) -> rx.Component:
    """A callout showing ``message``, or nothing while it is empty."""
    return rx.cond(message != "", rx.callout(message, icon=icon, color_scheme=color_scheme, **props))


def notice_callout(message: rx.Var[str], callout_id: str) -> rx.Component:
    """The green line confirming what was just done, while there is one."""
    return callout_if(message, icon="circle-check", color_scheme="green", width="100%", id=callout_id)


def error_callout(message: rx.Var[str], **props) -> rx.Component:
    """The red box saying why an action failed, while there is a reason."""
    return callout_if(message, icon="triangle-alert", color_scheme="red", width="100%", **props)


def alert_callout(message: rx.Var[str], callout_id: str) -> rx.Component:
    """Why a form posted to the server came back refused, announced to screen readers (``role=alert``)."""
    return callout_if(message, icon="triangle-alert", color_scheme="red", role="alert", id=callout_id)


def submit_button(label: str, *, busy: rx.Var[bool], button_id: str, icon: str | None = None) -> rx.Component:
    """A form's submit button, with an optional icon before its label, spinning while ``busy``."""
    return rx.button(
        *([rx.icon(icon, size=16)] if icon else []),
        label,
        type="submit",
        loading=busy,
        id=button_id,
    )


def secondary_button(*children: Any, **props) -> rx.Component:
    """A quiet grey button for the lesser action beside a main one (Cancel, Generate, Refresh…)."""
    return rx.button(*children, variant="soft", color_scheme="gray", **props)


def dialog_actions(*buttons: rx.Component, **props) -> rx.Component:
    """A dialog's buttons in a row at its end, the main action last."""
    return rx.hstack(*buttons, spacing="3", justify="end", **props)


def cancel_or(label: str, *, on_click: Any, loading: Any, button_id: str) -> rx.Component:
    """A dialog's buttons: "Cancel" closes it, ``label`` acts (a spinner while ``loading``)."""
    return dialog_actions(
        rx.dialog.close(secondary_button("Cancel")),
        rx.button(label, on_click=on_click, loading=loading, id=button_id),
        margin_top="1em",
    )


def keep_it_or(label: str, *, on_click: Any, button_id: str) -> rx.Component:
    """The buttons of an alert dialog that undoes something: "Keep it" closes it, the red ``label`` acts."""
    return dialog_actions(
        rx.alert_dialog.cancel(secondary_button("Keep it")),
        rx.button(label, color_scheme="red", on_click=on_click, id=button_id),
        margin_top="1em",
    )
