"""The retention sweeper: with ``HPI_RETENTION_DAYS`` set, deletes finished tasks older than that."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from starlette.concurrency import run_in_threadpool

from hpi_app.config import settings
from hpi_app.core.tasks.retention import purge_finished
from hpi_app.models import utcnow

log = logging.getLogger("hpi.retention")

IDLE_SECONDS = 600.0


def sweep_once(days: int) -> int:
    """Delete every task due, batch by batch (one transaction each); returns how many went."""
    cutoff = utcnow() - timedelta(days=days)
    removed = 0
    while done := purge_finished(cutoff):
        removed += done
    return removed


async def run_retention_sweeper() -> None:
    """Every ``IDLE_SECONDS``, delete finished tasks past ``HPI_RETENTION_DAYS`` (unset: never)."""
    days = settings.retention_days
    if days <= 0:
        return
    while True:
        try:
            removed = await run_in_threadpool(sweep_once, days)
            if removed:
                log.info("Retention deleted %d finished tasks older than %d days", removed, days)
            pause = IDLE_SECONDS
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Retention sweep failed; retrying shortly")
            pause = 30.0
        await asyncio.sleep(pause)
