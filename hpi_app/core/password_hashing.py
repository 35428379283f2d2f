"""Argon2 password hashing on its own small, bounded pool of threads.

Argon2 is slow on purpose. Run in the API's threads, a burst of sign-ins would keep every
thread busy and authenticated API calls would queue behind it. Here at most
``HPI_HASH_THREADS`` hashes run at once and at most ``HPI_HASH_QUEUE`` more wait; a hash asked
for beyond that is refused at once (``TooManyRequests``, code ``hashing_busy``, a 429 with
``Retry-After`` at the doors) rather than queued.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hpi_app.config import settings
from hpi_app.core.errors import TooManyRequests

T = TypeVar("T")

BUSY_RETRY_AFTER = 2
_hasher = PasswordHasher()
_pool: tuple[int, ThreadPoolExecutor, threading.BoundedSemaphore] | None = None
_pool_lock = threading.Lock()


def _threads() -> tuple[ThreadPoolExecutor, threading.BoundedSemaphore]:
    # One pool per process: Granian forks its workers after this module is imported.
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            threads = max(1, settings.hash_threads)
            _pool = (
                os.getpid(),
                ThreadPoolExecutor(threads, thread_name_prefix="hpi-hash"),
                threading.BoundedSemaphore(threads + max(0, settings.hash_queue)),
            )
        return _pool[1], _pool[2]


def run_bounded(func: Callable[..., T], *args: object) -> T:
    """Run ``func`` on the hashing pool and wait for it, or refuse at once when the pool is full.

    Raises:
        TooManyRequests: Every thread is busy and the queue is full (code ``hashing_busy``).
    """
    pool, places = _threads()
    if not places.acquire(blocking=False):
        raise TooManyRequests(
            "The server is busy checking passwords. Try again in a few seconds.",
            code="hashing_busy",
            extra={"retry_after": BUSY_RETRY_AFTER},
        )
    try:
        future = pool.submit(func, *args)
    except BaseException:
        places.release()
        raise
    future.add_done_callback(lambda _done: places.release())
    return future.result()


def hash_password(password: str) -> str:
    """Hash a password with Argon2id (on the hashing pool)."""
    return run_bounded(_hasher.hash, password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash`` (on the hashing pool)."""
    return run_bounded(_verify, password_hash, password)


# A hash to verify against when the email is unknown, so both paths cost the same.
DUMMY_HASH = _hasher.hash("not-a-real-password")
