"""A session slides with use, but never past its absolute lifetime (``HPI_SESSION_MAX_AGE``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hpi_app import routes
from hpi_app.core import sessions
from hpi_app.db import session_scope
from hpi_app.models import UserSession, utcnow


def _backdate(raw: str, age: timedelta) -> None:
    """Make the session look as if it began ``age`` ago and was last used just over the touch interval ago."""
    with session_scope(write=True) as session:
        record = session.exec(UserSession.__table__.select()).first()
        row = session.get(UserSession, record.id)
        row.created_at = utcnow() - age
        row.last_seen_at = utcnow() - timedelta(minutes=10)
        row.expires_at = utcnow() + timedelta(days=1)  # still "sliding": in use every day
        session.commit()


def test_a_session_used_every_day_still_ends_at_its_absolute_lifetime(admin):
    raw = sessions.start_session(admin.id)
    _backdate(raw, sessions.SESSION_MAX_AGE - timedelta(hours=1))
    assert sessions.resolve_session(raw) is not None
    with session_scope() as session:
        row = session.exec(UserSession.__table__.select()).first()
    # Sliding did not carry it past the absolute end.
    assert row.expires_at <= row.created_at + sessions.SESSION_MAX_AGE
    _backdate(raw, sessions.SESSION_MAX_AGE + timedelta(seconds=1))
    assert sessions.resolve_session(raw) is None


@pytest.mark.parametrize(
    "asked",
    [
        "/\\evil.example",
        "/\\/evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "//evil.example",
        "https://evil.example",
    ],
)
def test_safe_next_refuses_every_way_off_the_site(asked):
    assert routes.safe_next(asked) == "/"


def test_safe_next_keeps_local_paths():
    assert routes.safe_next("/tasks/abc?tab=done") == "/tasks/abc?tab=done"
