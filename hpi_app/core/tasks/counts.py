"""Kept task counts: how many tasks an organisation has per status and assignee, never counted.

Every change of a task's status (create, complete, cancel, expire, the retention's delete) goes
through ``changes.record_change`` or ``shift`` here, in the change's own transaction, so the counts
commit or roll back with it. Each change adds to its rows with one ``INSERT … ON CONFLICT DO
UPDATE SET n = n + excluded.n`` (atomic on SQLite and PostgreSQL: no lost update).

A task is counted twice: under the assignee ``*`` (every task) and under its own assignee (its
``assignee_id``, ``""`` when it has none), so the dashboard's "all", "assigned to me" and
"unassigned" totals are each a read of a few rows. Each sum is spread over ``SLOTS`` rows, one
picked at random per change, so concurrent changes on PostgreSQL rarely queue on one row lock;
rows are written in key order, so two changes never wait on each other in a circle.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, func, select

from hpi_app.db import session_scope
from hpi_app.models import TaskCount
from hpi_app.vocab import TaskStatus

EVERY = "*"
UNASSIGNED = ""
SLOTS = 8
_TABLE = TaskCount.__table__
_KEY = ("org_id", "assignee", "status", "slot")
_UPSERTS: dict[str, Any] = {}


def assignee_key(assignee_id: str | None) -> str:
    """The ``assignee`` a task is counted under besides ``*``: its member id, or ``""``."""
    return assignee_id or UNASSIGNED


def tally(tasks: Iterable[tuple[str | None, str]], sign: int = 1) -> Counter[tuple[str, str]]:
    """The deltas of adding (``sign`` 1) or removing (-1) tasks given as ``(assignee_id, status)``."""
    deltas: Counter[tuple[str, str]] = Counter()
    for assignee_id, status in tasks:
        deltas[(EVERY, status)] += sign
        deltas[(assignee_key(assignee_id), status)] += sign
    return deltas


def moved(session: Session, org_id: str, assignee_id: str | None, old: str | None, new: str | None) -> None:
    """Count one task leaving status ``old`` and entering ``new`` (None: it was made / deleted)."""
    deltas = tally([(assignee_id, new)] if new else [])
    deltas.subtract(tally([(assignee_id, old)] if old else []))
    shift(session, org_id, deltas)


def reassigned(session: Session, org_id: str, status: str, old: str | None, new: str | None) -> None:
    """Count one task of ``status`` moving from assignee ``old`` to ``new`` (``*`` stays as it is)."""
    deltas = tally([(new, status)])
    deltas.subtract(tally([(old, status)]))
    shift(session, org_id, deltas)


def shift(session: Session, org_id: str, deltas: Mapping[tuple[str, str], int]) -> None:
    """Add ``deltas`` (``(assignee, status)`` → change) to the organisation's counts, in ``session``."""
    slot = random.randrange(SLOTS)
    rows = [
        {"org_id": org_id, "assignee": assignee, "status": status, "slot": slot, "n": n}
        for (assignee, status), n in sorted(deltas.items())
        if n
    ]
    if rows:
        session.connection().execute(_upsert(session.get_bind().dialect.name), rows)


def _upsert(dialect: str) -> Any:
    """The one-row upsert for ``dialect``, built (and compiled by SQLAlchemy's cache) once."""
    if dialect not in _UPSERTS:
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(_TABLE)
        _UPSERTS[dialect] = insert.on_conflict_do_update(
            index_elements=list(_KEY), set_={"n": _TABLE.c.n + insert.excluded.n}
        )
    return _UPSERTS[dialect]


def total(org_id: str, statuses: Iterable[str] = (), assignee: str = EVERY) -> int:
    """How many tasks of ``org_id`` are in ``statuses`` (none given: any), for ``assignee``."""
    conditions = [TaskCount.org_id == org_id, TaskCount.assignee == assignee]
    if statuses := tuple(statuses):
        conditions.append(TaskCount.status.in_(statuses))
    with session_scope() as session:
        return session.exec(select(func.coalesce(func.sum(TaskCount.n), 0)).where(*conditions)).one()


def org_and_store(session: Session, org_id: str) -> tuple[int, int]:
    """How many tasks ``org_id`` has, and the whole store, read in ``session``."""
    mine = func.coalesce(func.sum(case((TaskCount.org_id == org_id, TaskCount.n), else_=0)), 0)
    every = func.coalesce(func.sum(TaskCount.n), 0)
    org, store = session.exec(select(mine, every).where(TaskCount.assignee == EVERY)).one()
    return int(org), int(store)


def by_status(org_id: str, assignee: str = EVERY) -> dict[str, int]:
    """How many tasks of ``org_id`` are in each status (for ``assignee``; default every task)."""
    with session_scope() as session:
        rows = session.exec(
            select(TaskCount.status, func.sum(TaskCount.n))
            .where(TaskCount.org_id == org_id, TaskCount.assignee == assignee)
            .group_by(TaskCount.status)
        ).all()
    counts = dict.fromkeys(TaskStatus, 0)
    counts.update({status: int(n) for status, n in rows})
    return {str(status): n for status, n in counts.items()}
