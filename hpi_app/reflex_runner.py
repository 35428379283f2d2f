"""``python -m hpi_app.reflex_runner run ...``: Reflex's own CLI, with HPI's connection limits.

Reflex starts Granian with its defaults, which hold at most 1,024 requests in flight per
worker; every parked ``/wait`` long-poll, event stream and browser websocket takes one, so a
busy instance would stop answering. This raises Granian's limit (and the process's open-file
limit) to ``HPI_MAX_CONNECTIONS`` before handing over to Reflex; nothing else changes.
"""

from __future__ import annotations

import functools
import resource

from granian.server.common import AbstractServer

from hpi_app.config import settings

LISTEN_BACKLOG = 4096


def raise_open_file_limit(wanted: int) -> int:
    """Raise this process's soft open-file limit towards ``wanted`` (within the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


def allow_connections(limit: int) -> None:
    """Make Granian servers created from now on accept ``limit`` requests in flight per worker."""
    original = AbstractServer.__init__
    if getattr(original, "_hpi_patched", False):
        return

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        kwargs["backlog"] = max(kwargs.get("backlog", 1024), LISTEN_BACKLOG)
        kwargs["backpressure"] = kwargs.get("backpressure") or limit
        original(self, *args, **kwargs)

    __init__._hpi_patched = True
    AbstractServer.__init__ = __init__


def main() -> None:
    """Apply the limits, then run Reflex's CLI with this process's arguments."""
    raise_open_file_limit(settings.max_connections * 2 + 1024)
    allow_connections(settings.max_connections)
    from reflex.reflex import cli

    cli()


if __name__ == "__main__":
    main()
