"""Waiting for a task to finish: on the bus, with a rare re-read of the store as a safety net.

Every door that holds a caller until a person answers (the REST ``/wait`` long-poll, the MCP
tools) waits here. A waiter holds no thread: it parks on a future that the bus settles when the
task's terminal change is published, and re-reads the store only every ``recheck`` seconds
(jittered) or when the task's expiry comes due.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hpi_app.core.events import bus
from hpi_app.core.tasks.changes import subject
from hpi_app.core.tasks.queries import get_task
from hpi_app.models import Task, utcnow
from hpi_app.vocab import FINAL_STATUSES

# A waiter re-reads the store this often even without an event (a safety net, not the mechanism).
WAIT_RECHECK_SECONDS = 30.0

RunInThread = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class WaitOutcome:
    """How a wait ended.

    Attributes:
        status: The task's status when the wait ended.
        task: The task once it is final; None when the wait timed out.
    """

    status: str
    task: Task | None

    @property
    def timed_out(self) -> bool:
        """Whether the task was still pending when the time ran out."""
        return self.task is None


async def _state(run: RunInThread, org_id: str, task_id: str) -> tuple[str, datetime | None, Task | None]:
    # A parked waiter keeps only status and expiry, not the task with its spec: thousands park at once.
    task = await run(get_task, org_id, task_id)
    return task.status, task.expires_at, task if task.status in FINAL_STATUSES else None


async def wait_until_final(
    org_id: str,
    task_id: str,
    seconds: float,
    *,
    run_in_thread: RunInThread = asyncio.to_thread,
    recheck: float = WAIT_RECHECK_SECONDS,
    on_pending: Callable[[], Awaitable[None]] | None = None,
) -> WaitOutcome:
    """Wait up to ``seconds`` for a task to be completed, cancelled or expired.

    Args:
        org_id: The caller's organisation (another org's task is not found).
        task_id: The task waited on.
        seconds: How long to wait at most.
        run_in_thread: How to run the blocking store read (the door's thread hop).
        recheck: Seconds between the safety-net re-reads (each jittered by ±20 %).
        on_pending: Awaited after every read that finds the task still pending (the first one
            included), e.g. to tell the caller it still waits.

    Raises:
        NotFound: No such task in ``org_id``.
    """
    deadline = time.monotonic() + seconds
    # Registered before the first read, so a change that commits in between is not missed.
    with bus.waiter(subject(task_id)) as waiter:
        status, expires_at, done = await _state(run_in_thread, org_id, task_id)
        while done is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if on_pending is not None:
                await on_pending()
            # Jittered, so thousands of waiters parked together do not re-read the store together.
            pause = min(remaining, recheck * random.uniform(0.8, 1.2))
            if expires_at is not None:
                until_expiry = (expires_at - utcnow()).total_seconds() + 0.01
                pause = min(pause, max(until_expiry, 0.0))
            await waiter.wait(pause)
            status, expires_at, done = await _state(run_in_thread, org_id, task_id)
    return WaitOutcome(status, done)
