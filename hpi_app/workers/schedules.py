"""The scheduled-actions worker: runs each task's due reminders and escalation steps, once across workers.

It sleeps until the next action is due (read from the store), and wakes early when the bus
announces a change that brings one closer (a new task, a reminder done, an extended expiry);
no loop reads the store to find out. Any number of these, on any number of machines, share
the work: each action is leased and recorded by exactly one (``core.tasks.reminders``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid

from starlette.concurrency import run_in_threadpool

from hpi_app.core.events import bus
from hpi_app.core.tasks import reminders, schedules
from hpi_app.models import utcnow
from hpi_app.workers.expiry import sleep_until_due

log = logging.getLogger("hpi.schedules")

MAX_SLEEP = 60.0


def worker_name() -> str:
    """A name for this worker's leases: host, process and a random part (two loops never share one)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def run_once(worker: str) -> float:
    """Run what is due; returns how long to sleep before the next action is due."""
    await run_in_threadpool(reminders.run_due, worker)
    upcoming = await run_in_threadpool(schedules.next_due)
    if upcoming is None:
        return MAX_SLEEP
    return min(max((upcoming - utcnow()).total_seconds(), 0.05), MAX_SLEEP)


async def run_schedule_worker(worker: str | None = None) -> None:
    """Sleep until the next due action (or until a change brings one closer), then run what is due."""
    worker = worker or worker_name()
    async with bus.subscribe(None) as events:
        while True:
            try:
                pause = await run_once(worker)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Running scheduled actions failed; retrying shortly")
                pause = 5.0
            await sleep_until_due(events, pause)
