"""Sliding-window limits on guessable actions (sign-in, password changes).

An attempt is counted before the guess is checked (``take``): the check and the count are one
atomic step, so parallel guesses cannot all slip in before the first failure is counted; a
success hands its attempt back (``refund``).

One process counts in memory. With several workers (``REFLEX_REDIS_URL`` set) every worker
counts in the same Redis sorted set per key, so N workers do not allow N times the guesses.
If Redis cannot be reached, a worker falls back to counting in memory (still limited) and
says so in the log.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import uuid
from collections import deque

import redis
from redis.exceptions import RedisError

from hpi_app.config import settings

log = logging.getLogger(__name__)

_clients: dict[tuple[int, str], redis.Redis] = {}
# Prune, then count one hit unless the window is full; else the score of the hit whose ageing-out
# frees a place. One script: Redis runs it atomically, so workers cannot both take the last place.
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, tonumber(ARGV[1]) - tonumber(ARGV[2]))
local n = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[3])
if n >= limit then
  local freeing = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  return {0, freeing[2]}
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2])) + 1)
return {1, '0'}
"""
_clients_lock = threading.Lock()


def _redis_for(url: str) -> redis.Redis:
    """One client per process and URL, made after the fork (workers never share a socket)."""
    key = (os.getpid(), url)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
            _clients[key] = client
        return client


class RateLimiter:
    """At most ``limit`` hits per key within ``window`` seconds.

    Args:
        limit: Hits allowed per window.
        window: The window in seconds.
        name: Names the limit in Redis (keys ``<HPI_REDIS_NAMESPACE>:rl:<name>:<hash of key>``).
        redis_url: Where workers share their counts; default ``REFLEX_REDIS_URL`` (none: in memory).
    """

    def __init__(self, limit: int, window: float, name: str = "", redis_url: str | None = None) -> None:
        self.limit = limit
        self.window = window
        self.name = name or f"anon-{uuid.uuid4().hex[:8]}"
        self.redis_url = settings.redis_url if redis_url is None else redis_url
        self._hits: dict[str, deque[tuple[float, str]]] = {}
        self._lock = threading.Lock()
        self._warned = False

    # Public API: the same whichever store counts.

    def retry_after(self, key: str) -> float:
        """Seconds until ``key`` may try again (0 when it may now)."""
        shared = self._shared(self._shared_retry_after, key)
        return shared if shared is not None else self._local_retry_after(key)

    def hit(self, key: str) -> None:
        """Count one attempt for ``key``."""
        if self._shared(self._shared_hit, key) is None:
            self._local_hit(key)

    def take(self, key: str) -> tuple[str | None, float]:
        """Count one attempt for ``key`` if the limit allows it, as one atomic step.

        Returns:
            ``(attempt id, 0.0)`` when counted (hand the id to ``refund`` if the attempt should
            not count after all), or ``(None, seconds to wait)`` when the limit is reached.
        """
        attempt = uuid.uuid4().hex
        shared = self._shared(lambda client, rkey, now: self._shared_take(client, rkey, now, attempt), key)
        wait = shared if shared is not None else self._local_take(key, attempt)
        return (attempt, 0.0) if wait <= 0 else (None, wait)

    def refund(self, key: str, attempt: str | None) -> None:
        """Hand back one attempt counted by ``take`` (a success, or an attempt never checked)."""
        if attempt is None:
            return
        self._shared(lambda client, rkey, now: bool(client.zrem(rkey, attempt)), key)
        with self._lock:
            hits = self._hits.get(key)
            if hits:
                kept = [hit for hit in hits if hit[1] != attempt]
                self._hits[key] = deque(kept)

    def reset(self, key: str) -> None:
        """Forget ``key``'s attempts (after a success)."""
        self._shared(self._shared_reset, key)
        with self._lock:
            self._hits.pop(key, None)

    # Shared counts in Redis: one sorted set per key, scored by wall-clock time.

    def _shared(self, operation, key: str):
        if not self.redis_url:
            return None
        try:
            result = operation(_redis_for(self.redis_url), self._key(key), time.time())
        except (RedisError, OSError) as exc:
            if not self._warned:
                log.warning(
                    "Rate limit %s: Redis unreachable (%s); counting in this worker only", self.name, exc
                )
                self._warned = True
            return None
        self._warned = False
        return result

    def _key(self, key: str) -> str:
        digest = hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"{settings.redis_namespace}:rl:{self.name}:{digest}"

    def _shared_retry_after(self, client: redis.Redis, rkey: str, now: float) -> float:
        pipe = client.pipeline()
        pipe.zremrangebyscore(rkey, 0, now - self.window)
        pipe.zrange(rkey, 0, -1, withscores=True)
        _, hits = pipe.execute()
        if len(hits) < self.limit:
            return 0.0
        # The attempt whose ageing-out brings the count back under the limit.
        freeing = hits[len(hits) - self.limit][1]
        return max(freeing + self.window - now, 0.0)

    def _shared_take(self, client: redis.Redis, rkey: str, now: float, attempt: str) -> float:
        taken, freeing = client.eval(_TAKE, 1, rkey, repr(now), repr(float(self.window)), self.limit, attempt)
        if int(taken):
            return 0.0
        return max(float(freeing) + self.window - now, 0.001)

    def _shared_hit(self, client: redis.Redis, rkey: str, now: float) -> bool:
        pipe = client.pipeline()
        pipe.zadd(rkey, {f"{now:.6f}-{uuid.uuid4().hex[:8]}": now})
        pipe.zremrangebyscore(rkey, 0, now - self.window)
        pipe.expire(rkey, int(self.window) + 1)
        pipe.execute()
        return True

    def _shared_reset(self, client: redis.Redis, rkey: str, now: float) -> bool:
        client.delete(rkey)
        return True

    # In-memory counts (one process, or Redis down).

    def _prune(self, key: str, now: float) -> deque[tuple[float, str]]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0][0] <= now - self.window:
            hits.popleft()
        return hits

    def _local_retry_after(self, key: str) -> float:
        now = time.monotonic()
        with self._lock:
            hits = self._prune(key, now)
            if len(hits) < self.limit:
                return 0.0
            return hits[len(hits) - self.limit][0] + self.window - now

    def _local_hit(self, key: str, attempt: str = "") -> None:
        now = time.monotonic()
        with self._lock:
            self._prune(key, now).append((now, attempt))
            if len(self._hits) > 100_000:
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1][0] > now - self.window}

    def _local_take(self, key: str, attempt: str) -> float:
        now = time.monotonic()
        with self._lock:
            hits = self._prune(key, now)
            if len(hits) >= self.limit:
                return max(hits[len(hits) - self.limit][0] + self.window - now, 0.001)
            hits.append((now, attempt))
        return 0.0


# Failed sign-ins: per email, and per client address across emails (people behind one
# address sign in successfully as often as they like; only wrong passwords count).
signin_failures_by_email = RateLimiter(limit=5, window=15 * 60, name="signin-email")
signin_failures_by_client = RateLimiter(limit=30, window=15 * 60, name="signin-client")
