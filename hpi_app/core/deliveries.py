"""The outbox: deliveries are written in the same transaction as the change they announce."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from sqlmodel import Session

from hpi_app.models import Delivery, Task, iso, utcnow


def generate_webhook_secret() -> str:
    """A new Standard Webhooks style secret (``whsec_`` + base64 of 24 random bytes)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def event_body(task: Task, kind: str) -> dict[str, Any]:
    """The JSON every sink receives for ``task.<kind>``."""
    body: dict[str, Any] = {
        "source": "hpi",
        "event": f"task.{kind}",
        "task_id": task.id,
        "correlation_key": task.correlation_key,
        "timestamp": iso(utcnow()),
    }
    if kind == "completed":
        body["data"] = task.data
    elif kind == "cancelled":
        body["reason"] = task.cancel_reason
    return body


def enqueue_for_task(session: Session, task: Task, kind: str) -> list[Delivery]:
    """Add one delivery per task sink that listens for ``kind`` (in the caller's transaction)."""
    queued = []
    for sink in task.sinks or []:
        if kind not in sink.get("events", ()):
            continue
        delivery = Delivery(
            org_id=task.org_id,
            task_id=task.id,
            event=f"task.{kind}",
            sink=sink,
            body=event_body(task, kind),
        )
        session.add(delivery)
        queued.append(delivery)
    return queued
