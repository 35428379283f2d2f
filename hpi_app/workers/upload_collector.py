"""The upload collector: deletes task-page uploads no submission kept (``core.files``)."""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from hpi_app.core import files

log = logging.getLogger("hpi.uploads")

EVERY = 600.0


async def run_upload_collector() -> None:
    """Every ten minutes, delete uploads on finished tasks' pages that their submission didn't keep."""
    while True:
        try:
            removed = await run_in_threadpool(files.collect_orphaned_uploads)
            if removed:
                log.info("Deleted %d uploads no submission kept", removed)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Collecting orphaned uploads failed; trying again later")
        await asyncio.sleep(EVERY)
