"""The bare baseline: Starlette + sqlite3 under Granian, nothing else.

``POST /tasks`` parses the same JSON body the HPI benchmark sends, checks its shape lightly and
inserts one row into a SQLite file in WAL mode (``synchronous=NORMAL``) through a single
``sqlite3`` connection, committing each row in its own transaction. It answers 201 with an id,
like ``POST /api/v1/tasks``. No auth, no ORM, no validation models, no thread pool: it is the
floor that the framework, the server and SQLite set on this machine.

``GET /api/v1/tasks/{id}/wait?timeout=S`` parks on an ``asyncio.Future`` until
``POST /api/v1/tasks/{id}/cancel`` commits one row and resolves it: the floor for a long-poll
waiter's memory and release latency, on the same paths as HPI's so one client drives both.

It is served the way ``reflex run --env prod`` serves HPI (``reflex/utils/exec.py``,
``run_granian_backend_prod``): ``granian.server.Server`` with the ASGI interface, one worker and
Granian's other defaults.

Run: ``python bench/baseline_app.py --port 8100 --db /tmp/base.db``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import time
import uuid

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

_DB_ENV = "HPI_BASELINE_DB"
_conn: sqlite3.Connection | None = None


def _connection() -> sqlite3.Connection:
    """The worker's one connection, opened on first use (after Granian forks the worker)."""
    global _conn
    if _conn is None:
        conn = sqlite3.connect(os.environ[_DB_ENV], isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS task (id TEXT PRIMARY KEY, title TEXT NOT NULL, "
            "steps TEXT NOT NULL, created_at REAL NOT NULL)"
        )
        conn.execute("CREATE TABLE IF NOT EXISTS cancel (task_id TEXT NOT NULL, at REAL NOT NULL)")
        _conn = conn
    return _conn


async def create_task(request: Request) -> JSONResponse:
    """Insert one task row from the JSON body; 400 when the body has no title or steps."""
    body = json.loads(await request.body())
    if not isinstance(body, dict) or not isinstance(body.get("title"), str) or not body.get("steps"):
        return JSONResponse({"error": "title and steps are required"}, status_code=400)
    task_id = str(uuid.uuid4())
    conn = _connection()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO task (id, title, steps, created_at) VALUES (?, ?, ?, ?)",
        (task_id, body["title"], json.dumps(body["steps"]), time.time()),
    )
    conn.execute("COMMIT")
    return JSONResponse({"task_id": task_id}, status_code=201)


_waiting: dict[str, asyncio.Future] = {}


async def wait_task(request: Request) -> JSONResponse:
    """Park until the task is cancelled; 408 after ``timeout`` seconds."""
    task_id = request.path_params["task_id"]
    timeout = float(request.query_params.get("timeout", "300"))
    future = _waiting.setdefault(task_id, asyncio.get_running_loop().create_future())
    try:
        status = await asyncio.wait_for(asyncio.shield(future), timeout)
    except TimeoutError:
        return JSONResponse({"task_id": task_id, "status": "pending", "timed_out": True}, status_code=408)
    finally:
        if future.done():
            _waiting.pop(task_id, None)
    return JSONResponse({"task_id": task_id, "status": status})


async def cancel_task(request: Request) -> JSONResponse:
    """Commit one row for the cancel, then wake the task's waiter."""
    task_id = request.path_params["task_id"]
    await request.body()
    conn = _connection()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO cancel (task_id, at) VALUES (?, ?)", (task_id, time.time()))
    conn.execute("COMMIT")
    future = _waiting.get(task_id)
    if future is not None and not future.done():
        future.set_result("cancelled")
    return JSONResponse({"task_id": task_id, "status": "cancelled"})


async def health(_request: Request) -> JSONResponse:
    """Liveness."""
    _connection()
    return JSONResponse({"status": "ok"})


app = Starlette(
    routes=[
        Route("/tasks", create_task, methods=["POST"]),
        Route("/api/v1/tasks/{task_id}/wait", wait_task),
        Route("/api/v1/tasks/{task_id}/cancel", cancel_task, methods=["POST"]),
        Route("/health", health),
    ]
)


def main() -> None:
    """Serve ``app`` with Granian as Reflex's production mode does (ASGI, one worker)."""
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--db", required=True, help="the SQLite file to write")
    args = parser.parse_args()
    os.environ[_DB_ENV] = args.db
    Server(
        target="baseline_app:app",
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=1,
        log_level=LogLevels.warning,
    ).serve()


if __name__ == "__main__":
    main()
