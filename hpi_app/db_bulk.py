"""Bulk writes: many rows of one table in one statement, each value stored as SQLAlchemy stores it.

For tens of thousands of rows per call (demo data, imports): no per-row SQLAlchemy machinery. On
SQLite one DB-API ``executemany``; on PostgreSQL one ``COPY … FROM STDIN``. Each value goes through
its column's own bind processor, except SQLite's ``DATETIME``, whose text is made by a quicker
formatter that ``tests/test_db_bulk.py`` holds to SQLAlchemy's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlmodel import Session


def sqlite_datetime(value: datetime | None) -> str | None:
    """An aware datetime as SQLModel + SQLAlchemy store it in SQLite (UTC, microseconds, no zone).

    SQLAlchemy's storage format is ``%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:…``.
    """
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.utcoffset() is None:
            msg = "Datetime values must have timezone information."
            raise ValueError(msg)
        value = value.astimezone(UTC)
    text = value.isoformat(" ")[:-6]  # without "+00:00"; isoformat leaves out zero microseconds
    return text if value.microsecond else text + ".000000"


@dataclass(frozen=True)
class Prepared:
    """Rows of one table made ready for the store: the statement and each row's stored values."""

    table: str  # its name
    statement: str
    params: list[Any]


def insert_many(
    session: Session,
    table: Any,
    rows: Sequence[Mapping[str, Any]],
    names: Mapping[str, str] | None = None,
) -> None:
    """Insert ``rows`` (all with the same keys) into ``table`` in the session's transaction.

    Args:
        session: Whose connection (and transaction) writes.
        table: The SQLAlchemy table.
        rows: One mapping per row; the keys of the first row are the columns written.
        names: Column key → the row's key for it, where they differ (e.g. a task's ``vars``).
    """
    write(session, prepare(session.get_bind().dialect, table, rows, names))


def prepare(
    dialect: Any, table: Any, rows: Sequence[Mapping[str, Any]], names: Mapping[str, str] | None = None
) -> Prepared:
    """The work of ``insert_many`` that needs no store (another process may do it meanwhile)."""
    if not rows:
        return Prepared(table.name, "", [])
    names = names or {}
    keys = [next((c for c, n in names.items() if n == key), key) for key in rows[0]]
    if dialect.name == "postgresql":
        quoted = ", ".join(dialect.identifier_preparer.quote(key) for key in keys)
        statement = f"COPY {table.name} ({quoted}) FROM STDIN"
        positional = True
    else:
        compiled = table.insert().compile(dialect=dialect, column_keys=keys)
        keys = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
        statement, positional = compiled.string, compiled.positional
    columns = []
    for key in keys:
        values = list(map(itemgetter(names.get(key, key)), rows))
        process = _processor(table.c[key].type, dialect)
        if process is not None and values.count(None) == len(values):
            values = [process(None)] * len(values)  # a column left empty: its stored empty value
        elif process is not None:
            values = list(map(process, values))
        columns.append(values)
    params: list[Any] = list(zip(*columns, strict=True))
    if not positional:
        params = [dict(zip(keys, row, strict=True)) for row in params]
    return Prepared(table.name, statement, params)


def write(session: Session, prepared: Prepared) -> None:
    """Write ``prepared`` rows in the session's transaction (one ``executemany`` or ``COPY``)."""
    if not prepared.params:
        return
    conn = session.connection()
    cursor = conn.connection.driver_connection.cursor()
    try:
        if conn.dialect.name == "postgresql":
            with cursor.copy(prepared.statement) as copy:
                for row in prepared.params:
                    copy.write_row(row)
        else:
            cursor.executemany(prepared.statement, prepared.params)
    finally:
        cursor.close()


def _processor(column_type: Any, dialect: Any) -> Callable[[Any], Any] | None:
    affinity = column_type._type_affinity.__name__
    if dialect.name == "sqlite" and affinity == "DateTime":
        return sqlite_datetime
    process = column_type._cached_bind_processor(dialect)
    if process is None:
        return None
    if affinity == "JSON":
        # Not skipping None: a JSON column stores None as its processor says (JSON null).
        return _memoised(process)
    return lambda value: None if value is None else process(value)


def _memoised(process: Any) -> Any:
    seen: dict[int, tuple[Any, Any]] = {}
    empty = process(None)

    def cached(value: Any) -> Any:
        if value is None:
            return empty
        if isinstance(value, str):
            return process(value)
        hit = seen.get(id(value))
        if hit is None:
            # The value is kept with its text, so its id cannot be reused while this lives.
            hit = seen[id(value)] = (value, process(value))
        return hit[1]

    return cached
