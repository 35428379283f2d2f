"""Helpers for delivery tests: a running worker, tasks with sinks, waiting on the store."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from sqlmodel import select

from hpi_app.api.presenters import task_created
from hpi_app.core import tasks
from hpi_app.core.principal import Principal
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.db import session_scope
from hpi_app.models import Delivery, DeliveryAttempt, User
from hpi_app.workers.delivery import DeliveryWorker
from tests.utils.bodies import seed_task

# Fast retries for tests: the schedule's shape, scaled down from seconds to tens of milliseconds.
FAST_RETRIES = (0.05, 0.1, 0.2)


def principal_of(user: User) -> Principal:
    """A principal acting as ``user`` with every task scope."""
    return Principal(org_id=user.org_id, user_id=user.id, scopes=frozenset({"tasks:create", "tasks:read"}))


def create_task(user: User, sinks: list[dict] | None = None, **overrides: Any) -> dict:
    """Create the seed task with ``sinks``; the create answer."""
    body = TaskCreate.model_validate(seed_task(sinks=sinks or [], **overrides))
    return task_created(tasks.create_task(principal_of(user), body), "https://hpi.example.com")


@contextlib.asynccontextmanager
async def running_worker(**options: Any) -> AsyncIterator[DeliveryWorker]:
    """A delivery worker running on this event loop until the block ends (then stopped)."""
    options = {"timeout": 2.0, "retry_delays": FAST_RETRIES, "shutdown_grace": 1.0, **options}
    worker = DeliveryWorker(**options)
    task = asyncio.create_task(worker.run())
    try:
        yield worker
    finally:
        await stop(task)


async def stop(task: asyncio.Task) -> None:
    """Cancel a worker's task and wait for it to wind down."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def deliveries(**where: Any) -> list[Delivery]:
    """Deliveries matching ``column=value`` filters, oldest first."""
    with session_scope() as session:
        query = select(Delivery).order_by(Delivery.created_at, Delivery.id)
        for column, value in where.items():
            query = query.where(getattr(Delivery, column) == value)
        return list(session.exec(query).all())


def attempts(delivery_id: str) -> list[DeliveryAttempt]:
    """The attempts of one delivery, in order."""
    with session_scope() as session:
        return list(
            session.exec(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.delivery_id == delivery_id)
                .order_by(DeliveryAttempt.id)
            ).all()
        )


async def wait_until(check: Callable[[], Any], timeout: float = 10.0, what: str = "the condition") -> Any:
    """Re-check ``check()`` (run in a thread) until it returns something truthy; returns it.

    Raises:
        AssertionError: Still falsy after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(check)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


def statuses() -> dict[str, str]:
    """Every delivery's status by id."""
    return {d.id: d.status for d in deliveries()}
