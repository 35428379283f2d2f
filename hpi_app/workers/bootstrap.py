"""At start: say where mail goes; create the first admin from ``HPI_ADMIN_EMAIL`` / ``HPI_ADMIN_PASSWORD``."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool

from hpi_app.config import settings
from hpi_app.core.accounts import bootstrap_admin
from hpi_app.core.mail import announce_mode

log = logging.getLogger("hpi.bootstrap")


async def announce_mail_mode() -> None:
    """Log where mail goes (a loud warning when one-time codes land in the log)."""
    announce_mode(settings.smtp_url)


async def create_first_admin() -> None:
    """Create the configured admin when the instance has no user yet."""
    user = await run_in_threadpool(
        bootstrap_admin, settings.admin_email, settings.admin_password, settings.admin_org
    )
    if user is not None:
        log.warning("Created the first admin %s from HPI_ADMIN_EMAIL", user.email)
