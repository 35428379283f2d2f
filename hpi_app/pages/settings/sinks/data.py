"""The sinks page's plain data: the sink rows, a sink's log, and the form's settings by type.

The form asks for the settings each sink type declares (``SinkType.fields``), so a new type
needs no change here.
"""

from __future__ import annotations

import dataclasses

from hpi_app.components.deliveries import DeliveryRow, delivery_rows, sink_target
from hpi_app.core import delivery_log, sinks
from hpi_app.core.sinks.base import SettingField
from hpi_app.core.sinks.registry import SINK_TYPES, form_fields, sink_type
from hpi_app.models import OrgSink, iso
from hpi_app.vocab import DEFAULT_SINK_EVENTS

LOG_LIMIT = 50


@dataclasses.dataclass
class SinkRow:
    """One line of the sink list."""

    id: str = ""
    name: str = ""
    type: str = "webhook"
    target: str = ""
    events: list[str] = dataclasses.field(default_factory=list)
    enabled: bool = True
    last_status: str = ""
    last_at: str = ""
    settings: dict[str, str] = dataclasses.field(default_factory=dict)
    carries_secret: bool = False


def default_events() -> list[str]:
    """The events a new sink starts with ticked."""
    return [event.value for event in DEFAULT_SINK_EVENTS]


def default_kind() -> str:
    """The type a new sink starts as: the first registered."""
    return next(iter(SINK_TYPES), "")


def carries_secret(kind: str) -> bool:
    """Whether sinks of the type called ``kind`` have a signing secret."""
    found = sink_type(kind)
    return bool(found and found.carries_secret)


def _row_of(sink: OrgSink) -> SinkRow:
    public = sinks.to_public(sink)
    records, _total = delivery_log.list_deliveries(sink.org_id, sink_id=sink.id, limit=1)
    last = records[0].delivery if records else None
    return SinkRow(
        id=public["sink_id"],
        name=public["name"],
        type=public["type"],
        target=sink_target({"type": public["type"], **public["config"]}),
        events=public["events"],
        enabled=public["enabled"],
        last_status=last.status if last else "",
        last_at=iso(records[0].delivery.created_at) if last else "",
        settings={key: str(value) for key, value in public["config"].items()},
        carries_secret=carries_secret(public["type"]),
    )


def load_rows(org_id: str) -> list[SinkRow]:
    """The organisation's sinks as rows, each with its last delivery (sync: run in a thread)."""
    return [_row_of(sink) for sink in sinks.list_sinks(org_id)]


def load_log(org_id: str, sink_id: str) -> tuple[list[DeliveryRow], int]:
    """The newest deliveries to one sink, and how many there are (sync: run in a thread)."""
    records, total = delivery_log.list_deliveries(org_id, sink_id=sink_id, limit=LOG_LIMIT)
    return delivery_rows(org_id, records), total


def settings_fields(kind: str) -> tuple[SettingField, ...]:
    """The settings the form asks for when the sink is of the type called ``kind``."""
    found = sink_type(kind)
    return form_fields(found) if found else ()


def error_keys() -> set[str]:
    """The settings an error can sit beside: the common ones and every type's fields."""
    return {"name", "secret", "events"} | {f.name for kind in SINK_TYPES.values() for f in form_fields(kind)}


def sink_settings(kind: str, name: str, events: list[str], values: dict[str, str], secret: str) -> dict:
    """The settings the form sends for a sink of type ``kind`` (a secret only if the type has one)."""
    data: dict = {"name": name.strip(), "type": kind, "events": events}
    for setting in settings_fields(kind):
        data[setting.name] = values.get(setting.name, "").strip()
    if carries_secret(kind) and secret:
        data["secret"] = secret
    return data


def missing_settings(kind: str, values: dict[str, str]) -> dict[str, str]:
    """An error for each empty settings field of type ``kind``, by field name."""
    return {
        setting.name: f"Enter the {setting.label.lower()} to send to."
        for setting in settings_fields(kind)
        if not values.get(setting.name, "").strip()
    }
