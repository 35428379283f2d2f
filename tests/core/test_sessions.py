"""Browser sessions, the sign-in rate limiter and answers laid out for people."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

from hpi_app.core import sessions
from hpi_app.core.answers import answers
from hpi_app.core.ratelimit import RateLimiter
from hpi_app.db import session_scope
from hpi_app.models import UserSession, utcnow
from tests.utils.bodies import seed_task


def test_session_round_trip_and_sign_out(admin):
    raw = sessions.start_session(admin.id, "pytest")
    user, org = sessions.resolve_session(raw)
    assert user.id == admin.id and org.name == "Acme"
    with session_scope() as session:
        stored = session.exec(UserSession.__table__.select()).first()
    assert stored.token_hash != raw and raw not in str(tuple(stored))
    sessions.end_session(raw)
    assert sessions.resolve_session(raw) is None


def test_expired_unknown_and_malformed_sessions(admin):
    raw = sessions.start_session(admin.id)
    with session_scope(write=True) as session:
        record = session.exec(UserSession.__table__.select()).first()
        session.get(UserSession, record.id).expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    assert sessions.resolve_session(raw) is None
    assert sessions.resolve_session("nope") is None
    assert sessions.resolve_session("x" * 500) is None
    assert sessions.resolve_session(None) is None


def test_end_all_sessions_keeps_the_current_one(admin):
    keep = sessions.start_session(admin.id)
    other = sessions.start_session(admin.id)
    assert sessions.end_all_sessions(admin.id, keep_raw=keep) == 1
    assert sessions.resolve_session(keep) is not None
    assert sessions.resolve_session(other) is None


def test_cookie_value():
    assert sessions.cookie_value("a=1; hpi_session=abc; b=2") == "abc"
    assert sessions.cookie_value("a=1") is None
    assert sessions.cookie_value("") is None


def test_rate_limiter_window():
    limiter = RateLimiter(limit=2, window=60)
    assert limiter.retry_after("k") == 0
    limiter.hit("k")
    limiter.hit("k")
    assert 59 < limiter.retry_after("k") <= 60
    assert limiter.retry_after("other") == 0
    limiter.reset("k")
    assert limiter.retry_after("k") == 0


def test_answers_for_people():
    body = seed_task()
    body["steps"][0]["blocks"].append(
        {"type": "input", "field": {"name": "ok", "label": "Checked", "kind": "checkbox", "required": False}}
    )
    rows = answers(body["steps"], {"decision": "Approve", "ok": True})
    assert [(a.label, a.text) for a in rows] == [
        ("Decision", "Approve"),
        ("Comments", "—"),
        ("Checked", "Yes"),
    ]


def test_rate_limit_is_shared_by_workers_through_redis():
    """Two limiters with one name and one Redis stand for the same limit in two workers."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    url = os.environ.get("HPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    worker_a = RateLimiter(limit=3, window=60, name=name, redis_url=url)
    worker_b = RateLimiter(limit=3, window=60, name=name, redis_url=url)
    worker_a.hit("who@example.com")
    worker_b.hit("who@example.com")
    assert worker_a.retry_after("who@example.com") == 0
    worker_a.hit("who@example.com")
    # The third failure, counted in worker A, also blocks worker B.
    assert 59 < worker_b.retry_after("who@example.com") <= 60
    assert worker_b.retry_after("someone-else@example.com") == 0
    assert not worker_a._hits  # nothing was counted in memory while Redis answered
    worker_b.reset("who@example.com")
    assert worker_a.retry_after("who@example.com") == 0


def test_rate_limit_counts_in_memory_when_redis_is_unreachable():
    # Nothing listens on port 1: the limit still holds, counted in this process.
    limiter = RateLimiter(limit=2, window=60, name="unreachable", redis_url="redis://127.0.0.1:1/0")
    limiter.hit("k")
    limiter.hit("k")
    assert 59 < limiter.retry_after("k") <= 60
