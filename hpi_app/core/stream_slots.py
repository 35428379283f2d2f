"""A cap on the long-polls and event streams one API token holds open at once, per worker.

A ``/wait`` or an SSE stream keeps a connection for minutes. Without a cap, one token could
hold all of a worker's connections; with it, the ``HPI_STREAMS_PER_TOKEN``-th-plus-one is
refused at once (``TooManyRequests``, 429 with ``Retry-After``) while other tokens go on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from hpi_app.config import settings
from hpi_app.core.errors import TooManyRequests

RETRY_AFTER = 5


class StreamSlots:
    """How many streams each key (a token id) holds open in this process."""

    def __init__(self) -> None:
        self._held: dict[str, int] = {}
        self._lock = threading.Lock()

    def held(self, key: str) -> int:
        """How many streams ``key`` holds open now."""
        with self._lock:
            return self._held.get(key, 0)

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold one stream for ``key`` while the block runs, or refuse when it holds the maximum.

        Raises:
            TooManyRequests: ``key`` already holds ``HPI_STREAMS_PER_TOKEN`` streams.
        """
        limit = settings.streams_per_token
        with self._lock:
            count = self._held.get(key, 0)
            if count >= limit:
                raise TooManyRequests(
                    f"This token already holds {limit} open waits or event streams, the most allowed. "
                    "Close one, or use another token.",
                    code="too_many_streams",
                    extra={"retry_after": RETRY_AFTER, "limit": limit},
                )
            self._held[key] = count + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._held.get(key, 1) - 1
                if left > 0:
                    self._held[key] = left
                else:
                    self._held.pop(key, None)


streams = StreamSlots()
