"""The expiry sweeper: moves pending tasks past their expiry to ``expired``, each exactly once."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from starlette.concurrency import run_in_threadpool

from hpi_app.core import tasks
from hpi_app.core.events import bus
from hpi_app.core.idempotency import purge_expired
from hpi_app.db import session_scope
from hpi_app.models import utcnow

log = logging.getLogger("hpi.expiry")

MAX_SLEEP = 60.0
PURGE_EVERY = 3600.0


def _purge_idempotency_keys() -> int:
    with session_scope(write=True) as session:
        removed = purge_expired(session)
        session.commit()
        return removed


async def sweep_once() -> float:
    """Expire what is due; returns how long to sleep before the next due expiry."""
    await run_in_threadpool(tasks.expire_due)
    upcoming = await run_in_threadpool(tasks.next_expiry)
    if upcoming is None:
        return MAX_SLEEP
    return min(max((upcoming - utcnow()).total_seconds(), 0.05), MAX_SLEEP)


async def run_expiry_sweeper() -> None:
    """Sleep until the next expiry (or until a new task may bring it closer), then sweep."""
    last_purge = 0.0
    async with bus.subscribe(None) as events:
        while True:
            try:
                pause = await sweep_once()
                if time.monotonic() - last_purge > PURGE_EVERY:
                    await run_in_threadpool(_purge_idempotency_keys)
                    last_purge = time.monotonic()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("Expiry sweep failed; retrying shortly")
                pause = 5.0
            await sleep_until_due(events, pause)


async def sleep_until_due(events: Any, pause: float) -> None:
    """Sleep ``pause`` seconds, or less when a change on ``events`` says something is due sooner."""
    deadline = time.monotonic() + pause
    wake_at = time.time() + pause
    while (left := deadline - time.monotonic()) > 0:
        event = await events.get(timeout=left)
        if event is not None and event.expires_at is not None and event.expires_at < wake_at:
            return  # due before the current deadline: run again from there
