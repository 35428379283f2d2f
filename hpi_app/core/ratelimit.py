"""Sliding-window limits on guessable actions (sign-in, one-time codes)."""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    """At most ``limit`` hits per key within ``window`` seconds (in this process).

    Args:
        limit: Hits allowed per window.
        window: The window in seconds.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 when it may now)."""
        now = time.monotonic()
        with self._lock:
            hits = self._prune(key, now)
            if len(hits) < self.limit:
                return 0.0
            return hits[0] + self.window - now

    def hit(self, key: str) -> None:
        """Count one attempt for ``key``."""
        now = time.monotonic()
        with self._lock:
            self._prune(key, now).append(now)
            if len(self._hits) > 100_000:
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self.window}

    def reset(self, key: str) -> None:
        """Forget ``key``'s attempts (after a success)."""
        with self._lock:
            self._hits.pop(key, None)


# Failed sign-ins: per email, and per client address across emails (people behind one
# address sign in successfully as often as they like; only wrong passwords count).
signin_failures_by_email = RateLimiter(limit=5, window=15 * 60)
signin_failures_by_client = RateLimiter(limit=30, window=15 * 60)
