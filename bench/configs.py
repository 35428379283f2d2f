"""Where the benchmarks run and how their servers run.

One worker on SQLite, or several on PostgreSQL + Redis; the fresh PostgreSQL databases they use.
"""

from __future__ import annotations

import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
PG_SERVER = os.environ.get("HPI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("HPI_BENCH_REDIS", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class ServerConfig:
    """How a benchmarked server (HPI or the baseline) runs.

    Attributes:
        name: Short name used on the command line (``sqlite1``, ``pg3``).
        workers: Granian workers.
        store: ``sqlite`` (a file in a temporary folder) or ``postgresql`` (a fresh database on
            ``PG_SERVER``, dropped afterwards).
        redis: Bridge the workers over Redis pub/sub (``REDIS_URL``, a fresh channel per server).
    """

    name: str
    workers: int = 1
    store: str = "sqlite"
    redis: bool = False

    @property
    def label(self) -> str:
        """For people: ``1 worker, SQLite`` / ``3 workers, PostgreSQL + Redis``."""
        store = "PostgreSQL" if self.store == "postgresql" else "SQLite"
        plural = "s" if self.workers != 1 else ""
        return f"{self.workers} worker{plural}, {store}{' + Redis' if self.redis else ''}"


SQLITE1 = ServerConfig("sqlite1")
PG3 = ServerConfig("pg3", workers=3, store="postgresql", redis=True)
CONFIGS = {c.name: c for c in (SQLITE1, PG3)}


def parse_configs(text: str) -> list[ServerConfig]:
    """``"sqlite1,pg3"`` → the configurations, in that order.

    Raises:
        ValueError: An unknown name.
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown or not names:
        raise ValueError(f"unknown configuration {unknown or text!r}; choose from {', '.join(CONFIGS)}")
    return [CONFIGS[n] for n in names]


def _pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(statement)


def create_pg_database(prefix: str = "bench") -> str:
    """Create a fresh, empty database on ``PG_SERVER``; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def drop_pg_database(url: str) -> None:
    """Drop the database at ``url`` (``WITH (FORCE)``: connections still open are ended)."""
    name = url.rsplit("/", 1)[1]
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
