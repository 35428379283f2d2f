"""At start: create the first admin from ``HPI_ADMIN_EMAIL`` / ``HPI_ADMIN_PASSWORD``."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool

from hpi_app.config import settings
from hpi_app.core.accounts import bootstrap_admin

log = logging.getLogger("hpi.bootstrap")


async def create_first_admin() -> None:
    """Create the configured admin when the instance has no user yet."""
    user = await run_in_threadpool(
        bootstrap_admin, settings.admin_email, settings.admin_password, settings.admin_org
    )
    if user is not None:
        log.warning("Created the first admin %s from HPI_ADMIN_EMAIL", user.email)
