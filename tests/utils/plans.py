"""Query plans in tests: the SELECTs a call runs, and how the store would run each (``EXPLAIN``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from hpi_app.db import get_engine

# PostgreSQL on a small table always prefers a sequential scan and a sort; switched off, it shows
# the plan it would take when the table is large: whether an index serves the filter and order.
PG_LARGE_TABLE = ("enable_seqscan", "enable_bitmapscan", "enable_sort")


@contextmanager
def recorded_selects() -> Iterator[list[tuple[str, Any]]]:
    """The SELECT statements (SQL and parameters, as sent to the driver) run inside the block."""
    engine = get_engine()
    seen: list[tuple[str, Any]] = []

    def before(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def explain(statement: str, parameters: Any, *, large_table: bool = True, off: tuple[str, ...] = ()) -> str:
    """The plan of one recorded statement, its lines joined by `` / ``.

    On PostgreSQL ``large_table`` switches off sequential scans, bitmap scans and sorts
    (``PG_LARGE_TABLE``), and ``off`` names more planner settings to switch off.
    """
    engine = get_engine()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return " / ".join(str(row[-1]) for row in rows)
        for setting in (PG_LARGE_TABLE if large_table else ()) + off:
            conn.exec_driver_sql(f"SET LOCAL {setting} = off")
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return " / ".join(row[0].strip() for row in rows)
