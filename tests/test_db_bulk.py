"""The bulk writer's own SQLite datetime text is SQLAlchemy's, and demo ids are real ids' shapes."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from hpi_app.core import demo
from hpi_app.db_bulk import sqlite_datetime
from hpi_app.models import Task

_STORED = Task.__table__.c.created_at.type._cached_bind_processor(sqlite.dialect())


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 12, 2, 3, 4, 5, 678901, tzinfo=UTC),
        datetime(2026, 12, 2, 3, 4, 5, tzinfo=UTC),  # no microseconds: still written out
        datetime(1999, 1, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=timezone(-timedelta(hours=8))),
    ],
)
def test_sqlite_datetime_is_what_sqlalchemy_stores(value):
    assert sqlite_datetime(value) == _STORED(value)


def test_sqlite_datetime_refuses_a_naive_time_as_sqlalchemy_does():
    with pytest.raises(ValueError, match="timezone"):
        _STORED(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="timezone"):
        sqlite_datetime(datetime(2026, 1, 1))
    assert sqlite_datetime(None) is None


def test_demo_ids_have_the_shape_of_real_ones():
    rng = __import__("random").Random(5)
    for bits in [0, (1 << 128) - 1, *(rng.getrandbits(128) for _ in range(200))]:
        made = demo.random_uuid4(bits)
        assert str(uuid.UUID(made)) == made and uuid.UUID(made).version == 4
        assert uuid.UUID(made).variant == uuid.RFC_4122
    links = demo.link_ids(300)
    real = secrets.token_urlsafe(24)
    assert len(links) == 300 and len(set(links)) == 300
    assert all(len(link) == len(real) and re.fullmatch(r"[A-Za-z0-9_-]+", link) for link in links)
