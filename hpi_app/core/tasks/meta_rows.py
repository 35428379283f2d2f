"""``meta.<key>`` filters on SQLite: the tasks' metadata as rows in ``task_meta``, read off its index.

SQLite cannot index every key of a JSON column; migration 0012 keeps ``task_meta`` (one row per
text value of each task's metadata, with the task's list key) by triggers on ``tasks``, indexed
``(org_id, key, value, created_at, task_id)``. A filtered list walks that index in the list order
and joins each match's task: it reads the matches only, never the rest of the history.
PostgreSQL answers the same filters from its GIN index on the metadata (``listing``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, MetaData, String, Table, Text, exists, func, select
from sqlalchemy.sql import FromClause

from hpi_app.models import Task

TASK_META = Table(
    "task_meta",
    MetaData(),
    Column("task_id", String(36), primary_key=True),
    Column("org_id", String(36), nullable=False),
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
    Column("created_at", Task.__table__.c.created_at.type, nullable=False),
)
_ROW = TASK_META.c


def source() -> FromClause:
    """``task_meta`` joined to the tasks its rows belong to: what a filtered list reads."""
    return TASK_META.join(Task, Task.id == _ROW.task_id)


def order_columns() -> tuple[Any, Any]:
    """The list key as ``task_meta`` holds it (its index's order): ``created_at``, ``task_id``."""
    return _ROW.created_at, _ROW.task_id


def conditions(org_id: str, meta: tuple[tuple[str, str], ...]) -> list[Any]:
    """Walking ``task_meta``: the first pair as the index's prefix, the others looked up by task."""
    (key, value), *more = meta
    return [_ROW.org_id == org_id, _ROW.key == key, _ROW.value == value, *held(tuple(more), _ROW.task_id)]


def held(meta: tuple[tuple[str, str], ...], task_id: Any = Task.id) -> list[Any]:
    """Each pair must be a row of the task ``task_id`` (a primary-key lookup in ``task_meta``)."""
    terms: list[Any] = []
    for key, value in meta:
        row = TASK_META.alias()
        same = (row.c.task_id == task_id, row.c.key == key, row.c.value == value)
        terms.append(exists(select(1).select_from(row).where(*same)))
    return terms


def count(org_id: str, meta: tuple[tuple[str, str], ...]) -> Any:
    """The count of an organisation's tasks holding every pair, read off ``task_meta`` alone."""
    return select(func.count()).select_from(TASK_META).where(*conditions(org_id, meta))
