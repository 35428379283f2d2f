"""The outbox: deliveries are written in the same transaction as the change they announce.

``enqueue`` adds one ``pending`` delivery per sink that listens for a change, inside the caller's
transaction, for any kind of subject; the delivery worker sends them (``hpi_app.core.deliveries``
is its side of the queue). Redeliveries and test events, queued outside a change, ring
``outbox_signal`` instead of the event bus.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from hpi_app.config import settings
from hpi_app.core.subjects import Subject, subject_type
from hpi_app.models import Delivery, OrgSink, iso, utcnow

TEST_EVENT = "task.test"


def webhook_id_for(delivery_id: str) -> str:
    """The ``webhook-id`` of a delivery: ``msg_`` + its id, the same on every attempt."""
    return "msg_" + uuid.UUID(delivery_id).hex


def test_event_body() -> dict[str, Any]:
    """The JSON of a "send test event" from Settings (no task behind it)."""
    return {
        "source": "hpi",
        "event": TEST_EVENT,
        "task_id": None,
        "correlation_key": None,
        "timestamp": iso(utcnow()),
        "data": {"message": "This is a test event from HPI."},
    }


def public_sink(sink: dict[str, Any]) -> dict[str, Any]:
    """A sink's settings without its secret, for logs and answers."""
    return {key: value for key, value in sink.items() if key != "secret"}


def org_sink_config(sink: OrgSink) -> dict[str, Any]:
    """An org-wide sink as a sender uses it: ``{type, events, name, ...its settings}``.

    ``sink`` may also be a row of the ``org_sinks`` table (the same attribute names).
    """
    return {"type": sink.type, **sink.config, "events": list(sink.events), "name": sink.name}


def new_delivery(
    *,
    org_id: str,
    event: str,
    sink: dict[str, Any],
    body: dict[str, Any],
    subject: Subject | None = None,
    sink_id: str | None = None,
    max_age_seconds: float | None = None,
) -> Delivery:
    """A pending delivery due now; it gives up ``max_age_seconds`` from now (default: the setting)."""
    now = utcnow()
    age = settings.delivery_max_age_seconds if max_age_seconds is None else max_age_seconds
    delivery_id = str(uuid.uuid4())
    return Delivery(
        id=delivery_id,
        webhook_id=webhook_id_for(delivery_id),
        org_id=org_id,
        subject_kind=subject.kind if subject else None,
        subject_id=subject.id if subject else None,
        sink_id=sink_id,
        event=event,
        sink=sink,
        body=body,
        next_attempt_at=now,
        deadline_at=now + timedelta(seconds=age),
        created_at=now,
    )


_ORG_SINKS = OrgSink.__table__
_ENABLED_ORG_SINKS = select(_ORG_SINKS).where(
    _ORG_SINKS.c.org_id == bindparam("org_id"), _ORG_SINKS.c.enabled
)


def enqueue(
    session: Session,
    org_id: str,
    subject: Subject,
    kind: str,
    body: Callable[[], dict[str, Any]],
    own_sinks: list[dict[str, Any]] | None = None,
) -> list[Delivery]:
    """Add one delivery per sink that listens for ``kind`` of ``subject``, in the caller's transaction.

    A sink listens when its ``events`` name the change the way the subject's kind says sinks do
    (``SubjectType.sink_events``). The subject's own sinks carry their settings (and secret) on the
    delivery; the organisation's enabled sinks are referred to by id, so a sender always uses their
    current settings. ``body`` makes the JSON sent, only when some sink listens.
    """
    listens_for = subject_type(subject.kind).sink_events.get(kind)
    if listens_for is None:
        return []
    own = [sink for sink in own_sinks or [] if listens_for in sink.get("events", ())]
    # Read in the transaction that writes the change, so the sinks enabled when it commits get it
    # (one indexed read, as plain rows: this runs on every change).
    org_sinks = [
        row
        for row in session.connection().execute(_ENABLED_ORG_SINKS, {"org_id": org_id})
        if listens_for in row.events
    ]
    if not own and not org_sinks:
        return []
    content = body()
    event = subject_type(subject.kind).event_name(kind)
    queued = [
        new_delivery(org_id=org_id, subject=subject, event=event, sink=sink, body=content) for sink in own
    ]
    queued += [
        new_delivery(
            org_id=org_id,
            subject=subject,
            sink_id=org_sink.id,
            event=event,
            sink=public_sink(org_sink_config(org_sink)),
            body=content,
        )
        for org_sink in org_sinks
    ]
    session.add_all(queued)
    return queued


class OutboxSignal:
    """Wakes this process's delivery workers when deliveries are queued outside a change.

    Changes already reach the workers over the event bus; redeliver and test events ring this
    bell. Workers in other processes find such rows on their periodic check.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: set[Callable[[], None]] = set()

    def notify(self) -> None:
        """Wake every listening worker (callable from any thread)."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    @contextmanager
    def listen(self, callback: Callable[[], None]) -> Iterator[None]:
        """Call ``callback`` on every ``notify`` while the block runs."""
        with self._lock:
            self._listeners.add(callback)
        try:
            yield
        finally:
            with self._lock:
                self._listeners.discard(callback)


outbox_signal = OutboxSignal()
