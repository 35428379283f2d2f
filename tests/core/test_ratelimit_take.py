"""``RateLimiter.take`` counts and checks in one step: of 30 parallel attempts exactly the limit get in."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from hpi_app.core.ratelimit import RateLimiter

REDIS_URL = os.environ.get("HPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_parallel_takes_never_pass_the_limit(where):
    name = f"take-{uuid.uuid4().hex[:8]}"
    url = "" if where == "memory" else REDIS_URL
    # Two limiters of one name: in Redis they stand for two workers sharing the count.
    workers = [RateLimiter(limit=5, window=60, name=name, redis_url=url) for _ in range(2 if url else 1)]
    with ThreadPoolExecutor(30) as pool:
        taken = list(pool.map(lambda n: workers[n % len(workers)].take("who@example.com"), range(30)))
    allowed = [attempt for attempt, _ in taken if attempt is not None]
    waits = [wait for attempt, wait in taken if attempt is None]
    assert len(allowed) == 5 and len(waits) == 25
    assert all(0 < wait <= 60 for wait in waits)
    # A refunded attempt frees exactly one place.
    workers[0].refund("who@example.com", allowed[0])
    again, _ = workers[-1].take("who@example.com")
    assert again is not None
    assert workers[0].take("who@example.com")[0] is None
    workers[0].reset("who@example.com")
