"""Organisation-wide notification sinks: create, edit, enable/disable, delete, send a test event.

An org-wide sink receives the events it asks for (``events``) of every task of its
organisation, beside the task's own ``sinks``. Its settings are validated by the same models
as a task's sinks (the sink types of ``registry``); a sink whose type carries a secret gets one
generated when given none, which is returned once (``SavedSink.new_secret``) and never shown
again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import update
from sqlmodel import Session, select

from hpi_app.core.errors import InvalidInput, NotFound
from hpi_app.core.outbox import (
    TEST_EVENT,
    new_delivery,
    org_sink_config,
    outbox_signal,
    public_sink,
    test_event_body,
)
from hpi_app.core.sinks.registry import OrgSinkSpec, sink_type, with_new_secret
from hpi_app.db import session_scope
from hpi_app.models import Delivery, OrgSink, iso, utcnow
from hpi_app.validation import error_details
from hpi_app.vocab import DeliveryStatus

_SPEC = TypeAdapter(OrgSinkSpec)
_COMMON = ("type", "name", "enabled", "events")
MAX_SINKS_PER_ORG = 50


@dataclass(frozen=True)
class SavedSink:
    """A created or changed sink, and the secret generated for it (shown once), if any."""

    sink: OrgSink
    new_secret: str | None = None


def _validate(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput(
            "Send the sink's settings as an object.",
            details=[{"field": "body", "message": "must be an object"}],
        )
    try:
        spec = _SPEC.validate_python(data)
    except ValidationError as exc:
        raise InvalidInput("Check the sink's settings.", details=error_details(exc)) from None
    return spec.model_dump(mode="json", exclude_none=True)


def _split(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    common = {key: values[key] for key in _COMMON}
    config = {key: value for key, value in values.items() if key not in _COMMON}
    return common, config


def _load(session: Session, org_id: str, sink_id: str) -> OrgSink:
    sink = session.get(OrgSink, sink_id) if len(sink_id) <= 36 else None
    if sink is None or sink.org_id != org_id:
        raise NotFound(f"No sink with id {sink_id}.", code="sink_not_found")
    return sink


def _check_name(session: Session, org_id: str, name: str, sink_id: str | None = None) -> None:
    taken = session.exec(
        select(OrgSink.id).where(
            OrgSink.org_id == org_id, OrgSink.name == name, OrgSink.id != (sink_id or "")
        )
    ).first()
    if taken is not None:
        raise InvalidInput(
            f"Another sink is already called '{name}'. Choose another name.",
            details=[{"field": "name", "message": "another sink already has this name"}],
        )


def create_sink(org_id: str, data: Any, *, created_by: str | None = None) -> SavedSink:
    """Create an org-wide sink from ``{name, type, events?, enabled?, ...its type's settings}``.

    Raises:
        InvalidInput: A bad setting; ``details`` names each one by its JSON path.
    """
    values, new_secret = with_new_secret(_validate(data))
    common, config = _split(values)
    with session_scope(write=True) as session:
        _check_name(session, org_id, common["name"])
        count = len(session.exec(select(OrgSink.id).where(OrgSink.org_id == org_id)).all())
        if count >= MAX_SINKS_PER_ORG:
            raise InvalidInput(f"An organisation can have at most {MAX_SINKS_PER_ORG} sinks.")
        sink = OrgSink(org_id=org_id, config=config, created_by=created_by, **common)
        session.add(sink)
        session.commit()
    return SavedSink(sink, new_secret)


def update_sink(org_id: str, sink_id: str, changes: Any) -> SavedSink:
    """Change some of a sink's settings; the rest stay as they are.

    A sink keeps its secret unless ``changes`` sets one. Changing ``type`` replaces the
    type's settings (a new type that carries a secret gets one generated).
    """
    if not isinstance(changes, dict):
        raise InvalidInput(
            "Send the settings to change as an object.",
            details=[{"field": "body", "message": "must be an object"}],
        )
    with session_scope() as session:
        current = _load(session, org_id, sink_id)
    merged: dict[str, Any] = {"name": current.name, "enabled": current.enabled, "events": current.events}
    if changes.get("type", current.type) == current.type:
        merged.update(type=current.type, **current.config)
    merged.update({key: value for key, value in changes.items() if not (key == "secret" and value is None)})
    values, new_secret = with_new_secret(_validate(merged))
    common, config = _split(values)
    with session_scope(write=True) as session:
        sink = _load(session, org_id, sink_id)
        _check_name(session, org_id, common["name"], sink_id)
        for key, value in common.items():
            setattr(sink, key, value)
        sink.config = config
        sink.updated_at = utcnow()
        session.add(sink)
        session.commit()
    return SavedSink(sink, new_secret)


def set_enabled(org_id: str, sink_id: str, enabled: bool) -> OrgSink:
    """Enable or disable a sink; a disabled sink gets no new events (a test event still goes)."""
    return update_sink(org_id, sink_id, {"enabled": enabled}).sink


def rotate_secret(org_id: str, sink_id: str) -> SavedSink:
    """Give a sink whose type carries a secret (a webhook) a new generated secret (returned once)."""
    with session_scope() as session:
        sink = _load(session, org_id, sink_id)
    kind = sink_type(sink.type)
    if kind is None or kind.new_secret is None:
        raise InvalidInput(
            "Only webhook sinks have a secret.", details=[{"field": "type", "message": "not a webhook"}]
        )
    secret = kind.new_secret()
    return SavedSink(update_sink(org_id, sink_id, {"secret": secret}).sink, secret)


def delete_sink(org_id: str, sink_id: str) -> None:
    """Delete a sink; its deliveries that were still waiting are marked failed (the log keeps them)."""
    now = utcnow()
    with session_scope(write=True) as session:
        sink = _load(session, org_id, sink_id)
        session.execute(
            update(Delivery)
            .where(Delivery.sink_id == sink.id, Delivery.status == DeliveryStatus.PENDING)
            .where((Delivery.locked_until.is_(None)) | (Delivery.locked_until <= now))
            .values(
                status=DeliveryStatus.FAILED,
                last_error="The sink was deleted before this event could be sent.",
            )
        )
        session.delete(sink)
        session.commit()


def get_sink(org_id: str, sink_id: str) -> OrgSink:
    """One sink of the organisation."""
    with session_scope() as session:
        return _load(session, org_id, sink_id)


def list_sinks(org_id: str) -> list[OrgSink]:
    """The organisation's sinks, oldest first."""
    with session_scope() as session:
        return list(
            session.exec(
                select(OrgSink).where(OrgSink.org_id == org_id).order_by(OrgSink.created_at, OrgSink.id)
            ).all()
        )


def send_test_event(org_id: str, sink_id: str) -> Delivery:
    """Queue a ``task.test`` event to this sink, tried once at once; follow it in the delivery log.

    It goes whether or not the sink is enabled and whatever its event filter, so a sink can be
    checked before it is switched on.
    """
    with session_scope(write=True) as session:
        sink = _load(session, org_id, sink_id)
        delivery = new_delivery(
            org_id=org_id,
            event=TEST_EVENT,
            sink_id=sink.id,
            sink=public_sink(org_sink_config(sink)),
            body=test_event_body(),
            max_age_seconds=0,
        )
        session.add(delivery)
        session.commit()
    outbox_signal.notify()
    return delivery


def to_public(sink: OrgSink) -> dict[str, Any]:
    """A sink as the UI and API show it: its settings without the secret."""
    return {
        "sink_id": sink.id,
        "name": sink.name,
        "type": sink.type,
        "enabled": sink.enabled,
        "events": list(sink.events),
        "config": public_sink(sink.config),
        "has_secret": bool(sink.config.get("secret")),
        "created_at": iso(sink.created_at),
        "updated_at": iso(sink.updated_at),
    }
