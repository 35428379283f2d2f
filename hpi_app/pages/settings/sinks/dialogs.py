"""The dialogs of Settings > Notification sinks: add or edit a sink, its new secret, rotate or delete."""

from __future__ import annotations

import reflex as rx

from hpi_app.components.forms import (
    choice_fieldset,
    dialog_actions,
    error_callout,
    labelled_field,
    secondary_button,
    submit_button,
    text_field,
)
from hpi_app.components.settings_nav import confirm_dialog, shown_once_dialog
from hpi_app.core.sinks.base import SettingField, SinkType
from hpi_app.core.sinks.registry import SINK_TYPES, form_fields
from hpi_app.pages.settings.sinks.state import SinksState
from hpi_app.vocab import SinkEvent


def _setting_input(kind: SinkType, setting: SettingField) -> rx.Component:
    """One settings field of ``kind``; the target's is ``#sink-target``, the others ``#sink-<name>``."""
    field_id = "sink-target" if setting.name == kind.target else f"sink-{setting.name}"
    return text_field(
        setting.label,
        field_id,
        value=SinksState.values.get(setting.name, ""),
        on_change=lambda value: SinksState.set_setting(setting.name, value),
        placeholder=setting.placeholder,
        error=SinksState.errors.get(setting.name, ""),
    )


def _settings_inputs() -> rx.Component:
    """The chosen type's settings fields, as its module declares them."""
    return rx.match(
        SinksState.kind,
        *[
            (name, rx.fragment(*[_setting_input(kind, setting) for setting in form_fields(kind)]))
            for name, kind in SINK_TYPES.items()
        ],
        rx.fragment(),
    )


def _event_choice(event: str) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(
                checked=SinksState.events.contains(event),
                on_change=lambda checked: SinksState.toggle_event(event, checked),
                aria_label=event,
                id=f"sink-event-{event}",
                name="events",
                value=event,
            ),
            rx.text(event.capitalize(), size="2"),
            spacing="2",
            align="center",
        ),
        cursor="pointer",
    )


def sink_editor() -> rx.Component:
    """The dialog adding a sink or editing one."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(SinksState.edit_id != "", "Edit sink", "Add a sink")),
            rx.dialog.description(
                "HPI sends the events you tick for every task of your organisation.", size="2"
            ),
            rx.form(
                rx.vstack(
                    text_field(
                        "Name",
                        "sink-name",
                        value=SinksState.name,
                        on_change=SinksState.set_name,
                        placeholder="e.g. billing system",
                        max_length=100,
                        error=SinksState.errors.get("name", ""),
                    ),
                    labelled_field(
                        "Type",
                        "sink-type",
                        rx.select.root(
                            rx.select.trigger(id="sink-type", width="100%"),
                            rx.select.content(
                                *[rx.select.item(kind.label, value=name) for name, kind in SINK_TYPES.items()]
                            ),
                            value=SinksState.kind,
                            on_change=SinksState.set_kind,
                        ),
                    ),
                    _settings_inputs(),
                    rx.cond(
                        SinksState.kind_carries_secret,
                        text_field(
                            "Signing secret (optional)",
                            "sink-secret",
                            type="password",
                            value=SinksState.secret,
                            on_change=SinksState.set_secret,
                            placeholder=rx.cond(
                                SinksState.has_secret, "Keep the current secret", "Generate one for me"
                            ),
                            auto_complete="new-password",
                            error=SinksState.errors.get("secret", ""),
                            hint=rx.cond(
                                SinksState.has_secret,
                                "Leave empty to keep the current secret.",
                                "Leave empty and HPI generates a whsec_… secret, shown once.",
                            ),
                        ),
                    ),
                    choice_fieldset(
                        "Events",
                        rx.flex(*[_event_choice(e.value) for e in SinkEvent], spacing="4", wrap="wrap"),
                        rx.cond(
                            SinksState.errors.get("events", "") != "",
                            rx.text(
                                SinksState.errors.get("events", ""),
                                size="1",
                                color_scheme="red",
                                id="sink-events-error",
                                role="alert",
                            ),
                        ),
                        id="sink-events",
                    ),
                    error_callout(SinksState.errors.get("form", "")),
                    dialog_actions(
                        rx.dialog.close(secondary_button("Cancel", type="button")),
                        submit_button("Save sink", busy=SinksState.saving, button_id="save-sink"),
                        width="100%",
                    ),
                    spacing="4",
                    width="100%",
                    margin_top="1em",
                ),
                on_submit=SinksState.save,
                width="100%",
            ),
            max_width="520px",
            id="sink-dialog",
        ),
        open=SinksState.editing,
        on_open_change=SinksState.close_editor,
    )


def new_secret_dialog() -> rx.Component:
    """Shows a webhook's generated signing secret, once."""
    return shown_once_dialog(
        title="Copy the signing secret",
        description=rx.alert_dialog.description(
            "Give it to the receiver of “",
            SinksState.new_secret_sink,
            "” so it can check the webhook-signature and X-Webhook-Signature headers.",
            size="2",
        ),
        warning=(
            "This is the only time the secret is shown. If you lose it, rotate the secret and "
            "update the receiver."
        ),
        value=SinksState.new_secret,
        copied=SinksState.copied,
        on_copied=SinksState.mark_copied,
        on_close=SinksState.close_new_secret,
        noun="secret",
    )


def sink_confirm_dialog() -> rx.Component:
    """Asks before rotating a webhook's secret or deleting a sink."""
    rotating = SinksState.confirm == "rotate"
    return confirm_dialog(
        title=rx.alert_dialog.title(
            rx.cond(rotating, "Rotate the secret of “", "Delete “"), SinksState.confirm_name, "”?"
        ),
        description=rx.alert_dialog.description(
            rx.cond(
                rotating,
                "HPI signs with a new secret from now on; the receiver rejects events until it has "
                "the new one.",
                "It gets no more events. Deliveries still waiting are marked failed; the log keeps them.",
            ),
            size="2",
        ),
        error=SinksState.confirm_error,
        confirm_label=rx.cond(rotating, "Rotate secret", "Delete sink"),
        color_scheme=rx.cond(rotating, "amber", "red"),
        on_confirm=SinksState.confirmed,
        busy=SinksState.working,
        open=SinksState.confirm != "",
        on_open_change=SinksState.cancel_confirm,
        dialog_id="sink-confirm-dialog",
        confirm_id="confirm-sink-action",
    )
