"""The delivery log: what was pushed where, every attempt, and redelivery."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, func, select

from hpi_app.config import settings
from hpi_app.core.errors import Conflict, InvalidInput, NotFound
from hpi_app.core.outbox import TEST_EVENT, outbox_signal
from hpi_app.core.subjects import Subject
from hpi_app.core.tasks import get_task
from hpi_app.core.tasks import subject as task_subject
from hpi_app.db import session_scope
from hpi_app.models import Delivery, DeliveryAttempt, utcnow
from hpi_app.vocab import DeliveryStatus

DELIVERY_STATUSES = tuple(DeliveryStatus)
MAX_LIST_LIMIT = 200


@dataclass
class DeliveryRecord:
    """A delivery with its attempts, oldest first."""

    delivery: Delivery
    attempts: list[DeliveryAttempt] = field(default_factory=list)


def _with_attempts(session: Session, rows: list[Delivery]) -> list[DeliveryRecord]:
    records = {row.id: DeliveryRecord(row) for row in rows}
    if records:
        attempts = session.exec(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.delivery_id.in_(list(records)))
            .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.id)
        ).all()
        for attempt in attempts:
            records[attempt.delivery_id].attempts.append(attempt)
    return list(records.values())


def list_deliveries(
    org_id: str,
    *,
    subject: Subject | None = None,
    sink_id: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[DeliveryRecord], int]:
    """A page of the organisation's deliveries, newest first, and how many match.

    Args:
        org_id: The organisation.
        subject: Only the deliveries about this subject (a task).
        sink_id: Only deliveries to this org-wide sink.
        status: Only ``pending``, ``delivered`` or ``failed`` ones.
        limit: Page size, 1 to 200.
        offset: Rows to skip.
    """
    if status is not None and status not in DELIVERY_STATUSES:
        raise InvalidInput(
            f"Unknown delivery status '{status}'.",
            details=[{"field": "status", "message": f"must be one of: {', '.join(DELIVERY_STATUSES)}"}],
        )
    conditions = [Delivery.org_id == org_id]
    if subject is not None:
        conditions.extend(_about(subject))
    if sink_id is not None:
        conditions.append(Delivery.sink_id == sink_id)
    if status is not None:
        conditions.append(Delivery.status == status)
    limit = max(1, min(limit, MAX_LIST_LIMIT))
    with session_scope() as session:
        total = session.exec(select(func.count()).select_from(Delivery).where(*conditions)).one()
        rows = session.exec(
            select(Delivery)
            .where(*conditions)
            .order_by(Delivery.created_at.desc(), Delivery.id)
            .offset(max(offset, 0))
            .limit(limit)
        ).all()
        return _with_attempts(session, list(rows)), total


def deliveries_for_task(org_id: str, task_id: str) -> list[DeliveryRecord]:
    """Every delivery of one task, oldest first (NotFound for another organisation's task)."""
    get_task(org_id, task_id)
    with session_scope() as session:
        rows = session.exec(
            select(Delivery).where(*_about(task_subject(task_id))).order_by(Delivery.created_at, Delivery.id)
        ).all()
        return _with_attempts(session, list(rows))


def _about(subject: Subject) -> tuple:
    return (Delivery.subject_kind == subject.kind, Delivery.subject_id == subject.id)


def _load(session: Session, org_id: str, delivery_id: str) -> Delivery:
    row = session.get(Delivery, delivery_id) if len(delivery_id) <= 36 else None
    if row is None or row.org_id != org_id:
        raise NotFound(f"No delivery with id {delivery_id}.", code="delivery_not_found")
    return row


def get_delivery(org_id: str, delivery_id: str) -> DeliveryRecord:
    """One delivery of the organisation with its attempts."""
    with session_scope() as session:
        return _with_attempts(session, [_load(session, org_id, delivery_id)])[0]


def redeliver(org_id: str, delivery_id: str) -> DeliveryRecord:
    """Send a delivery again now, with the same ``webhook-id``, retrying as a new delivery would.

    Works on delivered, failed and waiting deliveries alike; refused (Conflict) while an attempt
    is in flight.
    """
    now = utcnow()
    with session_scope(write=True) as session:
        row = _load(session, org_id, delivery_id)
        # A test event is tried once, now; a real one gets the full retry window again.
        age = 0 if row.event == TEST_EVENT else settings.delivery_max_age_seconds
        changed = session.execute(
            update(Delivery)
            .where(Delivery.id == row.id)
            .where((Delivery.locked_until.is_(None)) | (Delivery.locked_until <= now))
            .values(
                status=DeliveryStatus.PENDING,
                next_attempt_at=now,
                deadline_at=now + timedelta(seconds=age),
                locked_until=None,
                claimed_by=None,
            )
        ).rowcount
        if changed != 1:
            session.rollback()
            raise Conflict(
                "This delivery is being sent right now. Wait a moment, then redeliver if it still needs it.",
                code="delivery_in_flight",
            )
        session.commit()
    outbox_signal.notify()
    return get_delivery(org_id, delivery_id)
