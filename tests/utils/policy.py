"""Helpers for the reminder, escalation and on_expire tests: short delays, running workers, rows."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlmodel import select

from hpi_app import config
from hpi_app.db import session_scope
from hpi_app.models import ScheduledAction
from hpi_app.workers.expiry import run_expiry_sweeper
from hpi_app.workers.schedules import run_schedule_worker
from tests.utils.deliveries import stop


@pytest.fixture(name="short_delays")
def short_delays_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """``HPI_MIN_DELAY_SECONDS=1`` for one test (``every``'s floor is then 5 s)."""
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, min_delay_seconds=1))
    yield 1


@contextlib.asynccontextmanager
async def schedule_workers(count: int = 1, *, sweeper: bool = False) -> AsyncIterator[list[asyncio.Task]]:
    """``count`` scheduled-action worker loops (and the expiry sweeper) on this loop until the block ends."""
    loops = [asyncio.create_task(run_schedule_worker(f"worker-{n}")) for n in range(count)]
    if sweeper:
        loops.append(asyncio.create_task(run_expiry_sweeper()))
    try:
        yield loops
    finally:
        for loop in loops:
            await stop(loop)


def actions(task_id: str | None = None) -> list[ScheduledAction]:
    """Scheduled actions (of one task), in the order they are due."""
    with session_scope() as session:
        query = select(ScheduledAction).order_by(ScheduledAction.due_at, ScheduledAction.id)
        if task_id:
            query = query.where(ScheduledAction.task_id == task_id)
        return list(session.exec(query).all())
