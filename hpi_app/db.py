"""The store's engine and sessions (SQLite in WAL mode by default, PostgreSQL at scale)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, Row, make_url
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session, create_engine

from hpi_app.config import settings

_engine: Engine | None = None
_url: str = settings.db_url
_writing: ContextVar[bool] = ContextVar("hpi_db_writing", default=False)
_one_statement: ContextVar[bool] = ContextVar("hpi_db_one_statement", default=False)
_bulk: ContextVar[bool] = ContextVar("hpi_db_bulk", default=False)
# SQLite has one writer at a time. Its busy handler waits by sleeping and retrying, which lets
# a writer lose the lock again and again under load (long tails); queueing writers of this
# process on a lock first keeps them in order. (With SQLite, HPI runs one worker process.)
_sqlite_writer = threading.RLock()  # re-entrant: a write may expire an overdue task inside it


def normalise_url(url: str) -> str:
    """Pick psycopg 3 for PostgreSQL URLs that name no driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # Let SQLAlchemy, not pysqlite, decide when transactions begin (see _sqlite_begin).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn) -> None:
    # A writing transaction takes SQLite's write lock at BEGIN, so concurrent
    # writers queue on busy_timeout instead of failing when a read lock upgrades.
    # A lone read statement needs no BEGIN: SQLite reads it from one snapshot.
    if _one_statement.get():
        return
    synchronous = "OFF" if _bulk.get() else "NORMAL"
    info = conn.connection.info
    if info.get("synchronous", "NORMAL") != synchronous:  # see bulk_writes
        conn.exec_driver_sql(f"PRAGMA synchronous={synchronous}")
        info["synchronous"] = synchronous
    conn.exec_driver_sql("BEGIN IMMEDIATE" if _writing.get() else "BEGIN")


def build_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the settings HPI needs.

    Args:
        url: A SQLAlchemy database URL.

    Returns:
        The engine. SQLite files get WAL mode, a busy timeout and their folder created.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            pool_size=20,
            max_overflow=40,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # Per process: with N workers the server holds at most N * (pool + overflow) connections.
    return create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_pre_ping=True,
    )


def use_database(url: str) -> Engine:
    """Point the process at another database (tests, the CLI's ``--db``)."""
    global _engine, _url
    if _engine is not None:
        _engine.dispose()
    _url = url
    _engine = build_engine(url)
    return _engine


def get_engine() -> Engine:
    """The process's engine, created on first use."""
    global _engine
    if _engine is None:
        _engine = build_engine(_url)
    return _engine


@contextmanager
def session_scope(*, write: bool = False) -> Iterator[Session]:
    """A session that rolls back on error and is always closed.

    Args:
        write: The session will write; on SQLite its transaction takes the write lock at once.
    """
    token = _writing.set(write)
    try:
        with ExitStack() as stack:
            if write and _writing_needs_lock():
                stack.enter_context(_sqlite_writer)
            session = stack.enter_context(Session(get_engine(), expire_on_commit=False))
            try:
                yield session
            except BaseException:
                session.rollback()
                raise
    finally:
        _writing.reset(token)


def read_first(statement: Executable, params: dict[str, Any]) -> Row | None:
    """The first row of one read-only statement, or None.

    For the hottest reads (every API request looks its token up): a plain connection instead of
    a session, and on SQLite no explicit transaction around the one statement.
    """
    token = _one_statement.set(True)
    try:
        with get_engine().connect() as conn:
            return conn.execute(statement, params).first()
    finally:
        _one_statement.reset(token)


def _writing_needs_lock() -> bool:
    return get_engine().dialect.name == "sqlite"


@contextmanager
def bulk_writes() -> Iterator[None]:
    """Around a long bulk fill: on SQLite its transactions commit without waiting for the disk.

    Inside, SQLite runs with ``synchronous=OFF`` (transactions begun in this context): a crash or
    Ctrl-C of the process still leaves the store intact and every committed batch in it; only a
    crash of the whole machine during the fill may lose its last batches. Afterwards the store
    is back at ``synchronous=NORMAL`` and a checkpoint writes the fill into the database file.
    """
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)
    if get_engine().dialect.name == "sqlite":
        with session_scope(write=True) as session:  # back to NORMAL on the fill's connection
            session.connection()
        with get_engine().connect() as conn:
            conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
