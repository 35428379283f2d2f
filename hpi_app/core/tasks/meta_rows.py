"""``meta.<key>`` filters on SQLite: the tasks' metadata as rows in ``task_meta``, read off its index.

SQLite cannot index every key of a JSON column; migration 0012 keeps ``task_meta`` (one row per
text value of each task's metadata, with the task's list key) by triggers on ``tasks``, keyed
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
    Column("org_id", String(36), primary_key=True),
    Column("key", Text, primary_key=True),
    Column("value", Text, primary_key=True),
    Column("created_at", Task.__table__.c.created_at.type, primary_key=True),
    Column("task_id", String(36), primary_key=True),
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
    first = [_ROW.org_id == org_id, _ROW.key == key, _ROW.value == value]
    return first + held(tuple(more), (_ROW.org_id, _ROW.created_at, _ROW.task_id))


def held(meta: tuple[tuple[str, str], ...], task: tuple[Any, Any, Any] | None = None) -> list[Any]:
    """Each pair must be a row of the task (its ``org_id``, ``created_at``, ``id``): a key lookup."""
    org_id, created_at, task_id = task or (Task.org_id, Task.created_at, Task.id)
    terms: list[Any] = []
    for key, value in meta:
        row = TASK_META.alias().c
        same = (row.org_id == org_id, row.key == key, row.value == value, row.created_at == created_at)
        terms.append(exists(select(1).where(*same, row.task_id == task_id)))
    return terms


def count(org_id: str, meta: tuple[tuple[str, str], ...]) -> Any:
    """The count of an organisation's tasks holding every pair, read off ``task_meta`` alone."""
    return select(func.count()).select_from(TASK_META).where(*conditions(org_id, meta))
