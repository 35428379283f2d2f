"""The delivery worker's side of the outbox: claim due deliveries, record each attempt.

The life of a delivery: ``hpi_app.core.outbox.enqueue`` adds it ``pending`` inside the change's
transaction; a worker takes it with ``claim_due`` (several workers never take the same one), sends
it and records what happened with ``record_attempts``: ``delivered``, or ``pending`` again after a
backoff, or ``failed`` once its ``deadline_at`` has passed. ``delivery_log.redeliver`` starts a new
round with the same ``webhook_id``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, or_, update
from sqlmodel import Session, func, select

from hpi_app.config import settings
from hpi_app.core.outbox import TEST_EVENT, org_sink_config
from hpi_app.core.sinks.base import AttemptResult, Job
from hpi_app.core.sinks.registry import shows_subject
from hpi_app.core.subjects import find_subject_type
from hpi_app.db import session_scope
from hpi_app.models import Delivery, DeliveryAttempt, OrgSink, utcnow
from hpi_app.vocab import DeliveryStatus

log = logging.getLogger("hpi.deliveries")

JITTER = 0.2
MAX_ERROR_CHARS = 1000


def _unlocked(now: datetime):
    return or_(Delivery.locked_until.is_(None), Delivery.locked_until <= now)


def _due(now: datetime):
    return (Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now, _unlocked(now))


def claim_due(worker_id: str, limit: int, *, lease_seconds: float) -> list[Job]:
    """Take up to ``limit`` due deliveries for ``worker_id`` and hold them for ``lease_seconds``.

    PostgreSQL picks rows with ``FOR UPDATE SKIP LOCKED``; SQLite serialises writers (the
    transaction begins ``IMMEDIATE``) and the claim is a conditional update, so no two workers
    ever hold the same delivery. A worker that dies holding one frees it when its lease ends.

    Deliveries to an org-wide sink that has since been disabled or deleted are marked failed
    here rather than sent (a test event still goes to a disabled sink).
    """
    if limit <= 0:
        return []
    now = utcnow()
    with session_scope() as session:
        candidates = session.exec(
            select(Delivery.id).where(*_due(now)).order_by(Delivery.next_attempt_at).limit(limit)
        ).all()
    if not candidates:
        return []
    with session_scope(write=True) as session:
        if session.get_bind().dialect.name == "postgresql":
            candidates = session.exec(
                select(Delivery.id)
                .where(*_due(now))
                .order_by(Delivery.next_attempt_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if not candidates:
                session.rollback()
                return []
        claimed = session.execute(
            update(Delivery)
            .where(Delivery.id.in_(candidates), *_due(now))
            .values(locked_until=now + timedelta(seconds=lease_seconds), claimed_by=worker_id)
            .returning(Delivery.id)
        ).scalars()
        claimed_ids = list(claimed)
        if not claimed_ids:
            session.rollback()
            return []
        rows = session.exec(
            select(Delivery).where(Delivery.id.in_(claimed_ids)).order_by(Delivery.next_attempt_at)
        ).all()
        jobs = _jobs(session, rows, now)
        session.commit()
    return jobs


def _jobs(session: Session, rows: Sequence[Delivery], now: datetime) -> list[Job]:
    sink_ids = {row.sink_id for row in rows if row.sink_id}
    org_sinks = (
        {s.id: s for s in session.exec(select(OrgSink).where(OrgSink.id.in_(sink_ids))).all()}
        if sink_ids
        else {}
    )
    wanted: dict[str, set[str]] = {}
    for row in rows:
        if row.subject_kind and shows_subject(row.sink):
            wanted.setdefault(row.subject_kind, set()).add(row.subject_id)
    states: dict[tuple[str, str], Any] = {}
    for kind, ids in wanted.items():
        declared = find_subject_type(kind)
        describe = declared.describe if declared else None
        if describe is not None:
            states.update(((kind, key), state) for key, state in describe(session, ids).items())
    jobs = []
    for row in rows:
        sink = row.sink
        if row.sink_id:
            org_sink = org_sinks.get(row.sink_id)
            problem = None
            if org_sink is None:
                problem = "The sink was deleted before this event could be sent."
            elif not org_sink.enabled and row.event != TEST_EVENT:
                problem = "The sink is disabled; enable it and redeliver to send this event."
            if problem is not None:
                _give_up(session, row, problem, now)
                continue
            sink = org_sink_config(org_sink)
        jobs.append(
            Job(
                delivery_id=row.id,
                webhook_id=row.webhook_id,
                event=row.event,
                attempt=row.attempts + 1,
                sink=sink,
                body=row.body,
                deadline_at=row.deadline_at,
                subject=states.get((row.subject_kind or "", row.subject_id or "")),
            )
        )
    return jobs


def _give_up(session: Session, row: Delivery, error: str, now: datetime) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == row.id)
        .values(
            status=DeliveryStatus.FAILED,
            last_error=error,
            locked_until=None,
            claimed_by=None,
            next_attempt_at=now,
        )
    )


def release(worker_id: str, delivery_ids: Sequence[str]) -> None:
    """Hand back claimed deliveries unsent (a worker stopping), so another worker takes them at once."""
    if not delivery_ids:
        return
    with session_scope(write=True) as session:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(delivery_ids)), Delivery.claimed_by == worker_id)
            .values(locked_until=None, claimed_by=None)
        )
        session.commit()


def retry_delay(attempt: int, delays: Sequence[float], rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt``: the schedule, ±20 % jitter.

    Past the end of the schedule its last step repeats.
    """
    base = delays[min(attempt, len(delays)) - 1]
    return base * (1 + JITTER * (2 * (rng or random).random() - 1))


def _outcome(job: Job, result: AttemptResult, now: datetime, delays: Sequence[float]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "attempts": job.attempt,
        "last_status_code": result.status_code,
        "last_error": result.error[:MAX_ERROR_CHARS] if result.error else None,
        "locked_until": None,
        "claimed_by": None,
    }
    if result.ok:
        return {**values, "status": DeliveryStatus.DELIVERED, "delivered_at": now}
    if now >= job.deadline_at:
        return {**values, "status": DeliveryStatus.FAILED}
    # The last try happens at the deadline itself, so "retry for up to 24 h" means 24 h.
    next_at = min(now + timedelta(seconds=retry_delay(job.attempt, delays)), job.deadline_at)
    return {**values, "status": DeliveryStatus.PENDING, "next_attempt_at": next_at}


def record_attempts(
    worker_id: str,
    outcomes: Sequence[tuple[Job, AttemptResult]],
    *,
    retry_delays: Sequence[float] | None = None,
) -> None:
    """Log each attempt and move its delivery on: delivered, retried after a backoff, or failed.

    One transaction for the whole batch. Only the worker holding a delivery changes it; an
    attempt is logged either way.
    """
    if not outcomes:
        return
    delays = retry_delays or settings.delivery_retry_delays
    now = utcnow()
    log_rows = [
        {
            "delivery_id": job.delivery_id,
            "attempt": job.attempt,
            "started_at": result.started_at,
            "ok": result.ok,
            "status_code": result.status_code,
            "latency_ms": result.latency_ms,
            "error": result.error[:MAX_ERROR_CHARS] if result.error else None,
        }
        for job, result in outcomes
    ]
    # Outcomes that set the same columns go to the store as one executemany UPDATE.
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for job, result in outcomes:
        values = _outcome(job, result, now, delays)
        params = {f"v_{key}": value for key, value in values.items()}
        groups.setdefault(tuple(sorted(values)), []).append({**params, "k_id": job.delivery_id})
    table = Delivery.__table__
    with session_scope(write=True) as session:
        connection = session.connection()
        connection.execute(insert(DeliveryAttempt.__table__), log_rows)
        changed = 0
        for keys, params in groups.items():
            statement = (
                update(table)
                .where(table.c.id == bindparam("k_id"), table.c.claimed_by == worker_id)
                .values({key: bindparam(f"v_{key}", type_=table.c[key].type) for key in keys})
            )
            changed += connection.execute(statement, params).rowcount
        session.commit()
    if changed != len(outcomes):
        log.warning(
            "%d of %d deliveries were no longer held by %s when their attempts ended",
            len(outcomes) - changed,
            len(outcomes),
            worker_id,
        )


def next_due() -> datetime | None:
    """When the next pending delivery may be claimed (a held one: when its lease ends)."""
    now = utcnow()
    with session_scope() as session:
        free = session.exec(
            select(func.min(Delivery.next_attempt_at)).where(
                Delivery.status == DeliveryStatus.PENDING, _unlocked(now)
            )
        ).one()
        held = session.exec(
            select(func.min(Delivery.locked_until)).where(
                Delivery.status == DeliveryStatus.PENDING, Delivery.locked_until > now
            )
        ).one()
    times = [t for t in (free, held) if t is not None]
    return min(times) if times else None
