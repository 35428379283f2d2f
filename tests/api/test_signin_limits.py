"""Sign-in guesses are counted before Argon2 checks them, and Argon2 has its own bounded pool.

Over real HTTP (uvicorn in a thread), on both stores; the limits count in memory and in Redis.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid

import httpx
import pytest
from argon2 import PasswordHasher

from hpi_app.config import settings
from hpi_app.core import password_hashing, ratelimit
from hpi_app.core.ratelimit import RateLimiter

REDIS_URL = os.environ.get("HPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CAPACITY = settings.hash_threads + settings.hash_queue


@pytest.fixture(params=["memory", "redis"])
def fresh_limits(request, monkeypatch) -> str:
    """Sign-in limits of their own for this test, counting in memory or in Redis."""
    url = "" if request.param == "memory" else REDIS_URL
    for attr, limit in (("signin_failures_by_email", 5), ("signin_failures_by_client", 30)):
        name = f"test-{attr}-{uuid.uuid4().hex[:8]}"
        monkeypatch.setattr(ratelimit, attr, RateLimiter(limit=limit, window=900, name=name, redis_url=url))
    return request.param


@pytest.fixture
def verified(monkeypatch) -> list[str]:
    """Every password Argon2 verifies during the test (the real check runs)."""
    seen: list[str] = []
    real = password_hashing._verify

    def counting(password_hash: str, password: str) -> bool:
        seen.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(password_hashing, "_verify", counting)
    return seen


async def _sign_in(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await http.post("/auth/login", data={"email": email, "password": password, "next": "/"})


async def test_thirty_parallel_wrong_passwords_are_not_all_checked(live_api, admin, fresh_limits, verified):
    async with httpx.AsyncClient(base_url=live_api, timeout=60) as http:
        answers = await asyncio.gather(*(_sign_in(http, admin.email, f"guess {n}") for n in range(30)))
    refused = [a for a in answers if a.status_code == 429]
    checked = [a for a in answers if a.status_code == 303]
    assert len(refused) + len(checked) == 30
    assert all("error=invalid" in a.headers["location"] for a in checked)
    assert all(int(a.headers["retry-after"]) > 0 for a in refused)
    assert 1 <= len(checked) <= 5
    assert len(verified) == len(checked)  # Argon2 ran only for the attempts that were counted


async def test_a_right_password_hands_its_attempt_back(live_api, admin, fresh_limits):
    async with httpx.AsyncClient(base_url=live_api, timeout=60) as http:
        for _ in range(8):
            answer = await _sign_in(http, admin.email, "correct horse battery")
            assert answer.status_code == 303 and answer.headers["location"] == "/"


class _HeldHasher(PasswordHasher):
    """Argon2 that waits, inside the hashing pool, until the test lets it go on."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def verify(self, hash, password):
        assert self.release.wait(60), "the test never released the hashing pool"
        return super().verify(hash, password)


async def test_a_full_hashing_pool_answers_429_at_once_and_the_api_still_answers(
    live_api, token, fresh_limits, monkeypatch
):
    held = _HeldHasher()
    monkeypatch.setattr(password_hashing, "_hasher", held)
    attempts = 20  # more than the API's 16 threads: were Argon2 in them, the API would stall
    async with httpx.AsyncClient(base_url=live_api, timeout=30) as http:
        pending = {
            asyncio.ensure_future(_sign_in(http, f"nobody{n}@example.com", "wrong password"))
            for n in range(attempts)
        }
        refused = []
        try:
            while len(refused) < attempts - CAPACITY:
                done, pending = await asyncio.wait(pending, timeout=30, return_when=asyncio.FIRST_COMPLETED)
                assert done, "no sign-in was answered while the hashing pool was full"
                refused.extend(done)
            answers = [task.result() for task in refused]
            assert all(a.status_code == 429 for a in answers)
            assert all(int(a.headers["retry-after"]) > 0 for a in answers)
            assert all("error=busy" in a.text for a in answers)
            assert len(pending) == CAPACITY  # these wait for Argon2, in its own pool
            listed = await http.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
            assert listed.status_code == 200
        finally:
            held.release.set()
        rest = await asyncio.gather(*pending)
    assert all(a.status_code == 303 and "error=invalid" in a.headers["location"] for a in rest)
