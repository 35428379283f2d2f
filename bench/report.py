"""What the figures are of (machine, software, commit) and the plain text tables they print in."""

from __future__ import annotations

import contextlib
import math
import os
import platform
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import psutil
from configs import PG_SERVER, REDIS_URL, ROOT


def machine_info() -> dict[str, Any]:
    """The facts about this machine that the figures depend on."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "app_version": app_version(),
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "software": software_versions(),
    }


def software_versions() -> dict[str, str]:
    """Versions of the server stack the figures depend on (``?`` when unknown)."""
    import sqlite3
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {}
    for package in ("granian", "reflex", "starlette", "fastapi", "psycopg", "redis"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "?"
    found["sqlite"] = sqlite3.sqlite_version
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=5) as conn:
            found["postgresql_server"] = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    except Exception:
        found["postgresql_server"] = "?"
    try:
        import redis

        found["redis_server"] = redis.Redis.from_url(REDIS_URL, socket_timeout=5).info("server")[
            "redis_version"
        ]
    except Exception:
        found["redis_server"] = "?"
    return found


def app_version() -> str:
    """The commit of the checkout, noting uncommitted changes to ``hpi_app/`` (what the figures are of)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "hpi_app"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit or 'unknown'}{' + uncommitted changes in hpi_app/' if dirty else ''}"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], left: int = 0) -> None:
    """Print rows as a plain, aligned text table (numbers to the right, except in the first
    ``left`` columns)."""
    text_rows = [[_cell(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in text_rows)) if text_rows else len(h) for i, h in enumerate(headers)
    ]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in text_rows:
        cells = (
            c.rjust(w) if i >= left and _numeric(c) else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        print("  ".join(cells).rstrip())


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return bool(text) and (text[0].isdigit() or (text[0] == "-" and text[1:2].isdigit()))
