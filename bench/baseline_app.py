"""The bare baseline: Starlette under Granian, on SQLite (``sqlite3``) or PostgreSQL (psycopg 3).

It does what HPI's routes under test do, with nothing else: no auth, no ORM, no validation
models, no thread pool, no outbox. It is the floor that the framework, the server and the store
set on this machine.

- ``POST /tasks`` (also ``POST /api/v1/tasks``) parses the JSON body, checks its shape lightly
  and inserts one row, committing it in its own transaction; 201 with an id. A body's
  ``sinks`` (``[{"url": ...}]``) are stored with the row.
- ``GET /api/v1/tasks/{id}/wait?timeout=S`` parks on an ``asyncio.Future``;
  ``POST /api/v1/tasks/{id}/cancel`` commits one row (and reads the task's sinks in the same
  transaction), resolves the Future, and POSTs ``{"event": "task.cancelled", ...}`` to each
  sink URL in the background (httpx, keep-alive), as a bare push would.
- ``GET /dash`` is a page whose script opens ``/ws`` and adds a ``<tr data-task-id>`` for every
  task created while it is open: the floor for "REST create → row on an open dashboard".
- ``GET /api/v1/health`` answers ``{"worker": <pid>, "bus": "redis" | "local"}`` like HPI's.

With ``--redis URL`` every worker subscribes to ``--channel`` (``redis.asyncio``): a create and
a cancel are published there after their commit, so a waiter or a dashboard on another Granian
worker hears of them (a worker skips its own messages, which it already handled in-process).

SQLite: one ``sqlite3`` connection per worker, WAL, ``synchronous=NORMAL``, ``BEGIN IMMEDIATE``
… ``COMMIT`` per row, inline on the event loop. PostgreSQL: ``--pool`` psycopg
``AsyncConnection`` objects per worker in an ``asyncio.Queue``, autocommit, one statement (or
one short transaction) per request.

It is served the way ``hpi_app serve`` serves HPI (Reflex's ``run_granian_backend_prod`` plus
``hpi_app/reflex_runner.py``): ``granian.server.Server`` with the ASGI interface, ``--workers``
workers, ``backlog`` 4,096 and ``backpressure`` 16,384 (HPI's ``HPI_MAX_CONNECTIONS``), Granian's
other defaults.

Run: ``python bench/baseline_app.py --port 8100 --db /tmp/base.db`` or
``python bench/baseline_app.py --port 8100 --pg postgresql://postgres@127.0.0.1/db --workers 3
--redis redis://127.0.0.1:6379/0 --channel base:x``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

_ENV = "HPI_BASELINE_CONFIG"  # the command line's options, handed to the forked workers

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS task (id TEXT PRIMARY KEY, title TEXT NOT NULL, steps TEXT NOT NULL, "
    "sinks TEXT, created_at DOUBLE PRECISION NOT NULL)",
    "CREATE TABLE IF NOT EXISTS cancel (task_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)",
)
_INSERT_TASK = "INSERT INTO task (id, title, steps, sinks, created_at) VALUES ({p}, {p}, {p}, {p}, {p})"
_INSERT_CANCEL = "INSERT INTO cancel (task_id, at) VALUES ({p}, {p})"
_SELECT_SINKS = "SELECT sinks FROM task WHERE id = {p}"


def _config() -> dict[str, Any]:
    return json.loads(os.environ[_ENV])


# The store: one sqlite3 connection, or a few psycopg async connections, per worker


class SqliteStore:
    """One ``sqlite3`` connection, used inline on the event loop."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")

    async def insert_task(self, row: tuple) -> None:
        """Insert one task in its own transaction."""
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(_INSERT_TASK.format(p="?"), row)
        self.conn.execute("COMMIT")

    async def cancel(self, task_id: str) -> str | None:
        """Commit one cancel row; the task's sinks (JSON) read in the same transaction."""
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(_INSERT_CANCEL.format(p="?"), (task_id, time.time()))
        found = self.conn.execute(_SELECT_SINKS.format(p="?"), (task_id,)).fetchone()
        self.conn.execute("COMMIT")
        return found[0] if found else None

    async def close(self) -> None:
        """Close the connection."""
        self.conn.close()


class PostgresStore:
    """``size`` psycopg ``AsyncConnection`` objects (autocommit), lent out one request at a time."""

    def __init__(self, url: str, size: int) -> None:
        self.url = url
        self.size = size
        self._idle: asyncio.Queue = asyncio.Queue()
        self._all: list = []

    async def open(self) -> None:
        """Connect every connection."""
        import psycopg

        for _ in range(self.size):
            conn = await psycopg.AsyncConnection.connect(self.url, autocommit=True)
            self._all.append(conn)
            self._idle.put_nowait(conn)

    @contextlib.asynccontextmanager
    async def _lend(self) -> AsyncIterator[Any]:
        conn = await self._idle.get()
        try:
            yield conn
        finally:
            self._idle.put_nowait(conn)

    async def insert_task(self, row: tuple) -> None:
        """Insert one task (autocommit: its own transaction)."""
        async with self._lend() as conn:
            await conn.execute(_INSERT_TASK.format(p="%s"), row)

    async def cancel(self, task_id: str) -> str | None:
        """Commit one cancel row; the task's sinks (JSON) read in the same transaction."""
        async with self._lend() as conn, conn.transaction():
            await conn.execute(_INSERT_CANCEL.format(p="%s"), (task_id, time.time()))
            cur = await conn.execute(_SELECT_SINKS.format(p="%s"), (task_id,))
            found = await cur.fetchone()
        return found[0] if found else None

    async def close(self) -> None:
        """Close every connection."""
        for conn in self._all:
            with contextlib.suppress(Exception):
                await conn.close()


# Per-worker state: the store, parked waiters, open dashboards, Redis, the webhook client

ORIGIN = ""  # this worker's pid, set at startup (after Granian forked it)
_store: Any = None
_waiting: dict[str, asyncio.Future] = {}
_dashboards: set[WebSocket] = set()
_redis: Any = None
_channel = ""
_http: httpx.AsyncClient | None = None
_background: set[asyncio.Task] = set()


def _spawn(coro: Any) -> None:
    task = asyncio.create_task(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


def _release(task_id: str) -> None:
    future = _waiting.get(task_id)
    if future is not None and not future.done():
        future.set_result("cancelled")


async def _show(message: str) -> None:
    for ws in list(_dashboards):
        try:
            await ws.send_text(message)
        except Exception:
            _dashboards.discard(ws)


async def _publish(kind: str, payload: dict[str, Any]) -> None:
    """Tell the other workers (Redis), after handling it in this one."""
    if _redis is not None:
        await _redis.publish(_channel, json.dumps({"origin": ORIGIN, "kind": kind, **payload}))


async def _listen() -> None:
    """Hand the other workers' creates and cancels to this worker's dashboards and waiters."""
    pubsub = _redis.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(_channel)
    async for message in pubsub.listen():
        if message.get("type") != "message":
            continue
        data = json.loads(message["data"])
        if data["origin"] == ORIGIN:
            continue
        if data["kind"] == "cancelled":
            _release(data["task_id"])
        elif data["kind"] == "created" and _dashboards:
            await _show(json.dumps({"task_id": data["task_id"], "title": data["title"]}))


async def _post_webhooks(sinks: str, task_id: str) -> None:
    body = json.dumps({"event": "task.cancelled", "task_id": task_id, "timestamp": time.time()})
    headers = {
        "Content-Type": "application/json",
        "X-Webhook-Task-Id": task_id,
        "webhook-id": f"msg_{uuid.uuid4().hex}",
    }
    assert _http is not None
    for sink in json.loads(sinks):
        with contextlib.suppress(httpx.HTTPError):
            await _http.post(sink["url"], content=body, headers=headers)


@contextlib.asynccontextmanager
async def lifespan(_app: Starlette) -> AsyncIterator[None]:
    """Open this worker's store, Redis subscription and webhook client; close them at the end."""
    global ORIGIN, _store, _redis, _channel, _http
    cfg = _config()
    ORIGIN = str(os.getpid())
    if cfg.get("pg"):
        _store = PostgresStore(cfg["pg"], cfg["pool"])
        await _store.open()
    else:
        _store = SqliteStore(cfg["db"])
    _http = httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_keepalive_connections=4), trust_env=False)
    listener = None
    if cfg.get("redis"):
        import redis.asyncio as aioredis

        _redis = aioredis.from_url(cfg["redis"])
        _channel = cfg["channel"]
        listener = asyncio.create_task(_listen())
    try:
        yield
    finally:
        if listener is not None:
            listener.cancel()
            with contextlib.suppress(BaseException):
                await listener
            await _redis.aclose()
        await _http.aclose()
        await _store.close()


# Routes


async def create_task(request: Request) -> JSONResponse:
    """Insert one task row from the JSON body; 400 when the body has no title or steps."""
    body = json.loads(await request.body())
    if not isinstance(body, dict) or not isinstance(body.get("title"), str) or not body.get("steps"):
        return JSONResponse({"error": "title and steps are required"}, status_code=400)
    task_id = str(uuid.uuid4())
    sinks = json.dumps(body["sinks"]) if body.get("sinks") else None
    await _store.insert_task((task_id, body["title"], json.dumps(body["steps"]), sinks, time.time()))
    if _dashboards:
        await _show(json.dumps({"task_id": task_id, "title": body["title"]}))
    await _publish("created", {"task_id": task_id, "title": body["title"]})
    return JSONResponse({"task_id": task_id}, status_code=201)


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
    """Commit one row for the cancel, then wake the task's waiters and send its webhooks."""
    task_id = request.path_params["task_id"]
    await request.body()
    sinks = await _store.cancel(task_id)
    _release(task_id)
    await _publish("cancelled", {"task_id": task_id})
    if sinks:
        _spawn(_post_webhooks(sinks, task_id))
    return JSONResponse({"task_id": task_id, "status": "cancelled"})


async def health(_request: Request) -> JSONResponse:
    """Liveness, and which worker answered."""
    return JSONResponse({"status": "ok", "worker": ORIGIN, "bus": "redis" if _redis is not None else "local"})


_DASHBOARD = """<!doctype html>
<html><head><meta charset="utf-8"><title>baseline dashboard</title></head>
<body><table><tbody id="rows"></tbody></table>
<script>
const rows = document.getElementById("rows");
const ws = new WebSocket(`ws://${location.host}/ws`);
ws.onopen = () => document.body.setAttribute("data-ready", "1");
ws.onmessage = (e) => {
  const task = JSON.parse(e.data);
  const tr = document.createElement("tr");
  tr.setAttribute("data-task-id", task.task_id);
  const td = document.createElement("td");
  td.textContent = task.title;
  tr.appendChild(td);
  rows.prepend(tr);
};
</script></body></html>
"""


async def dashboard(_request: Request) -> HTMLResponse:
    """A page listing, live, the tasks created while it is open."""
    return HTMLResponse(_DASHBOARD)


async def dashboard_socket(ws: WebSocket) -> None:
    """The page's feed: one JSON message per task created."""
    await ws.accept()
    _dashboards.add(ws)
    try:
        while True:
            await ws.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        _dashboards.discard(ws)


app = Starlette(
    routes=[
        Route("/tasks", create_task, methods=["POST"]),
        Route("/api/v1/tasks", create_task, methods=["POST"]),
        Route("/api/v1/tasks/{task_id}/wait", wait_task),
        Route("/api/v1/tasks/{task_id}/cancel", cancel_task, methods=["POST"]),
        Route("/api/v1/health", health),
        Route("/health", health),
        Route("/dash", dashboard),
        WebSocketRoute("/ws", dashboard_socket),
    ],
    lifespan=lifespan,
)


def _create_schema(cfg: dict[str, Any]) -> None:
    """Create the tables once, before Granian forks its workers."""
    if cfg.get("pg"):
        import psycopg

        with psycopg.connect(cfg["pg"], autocommit=True) as conn:
            for statement in _SCHEMA:
                conn.execute(statement)
    else:
        with contextlib.closing(sqlite3.connect(cfg["db"])) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.commit()


def main() -> None:
    """Serve ``app`` with Granian as ``hpi_app serve`` does (ASGI, raised connection limits)."""
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    store = parser.add_mutually_exclusive_group(required=True)
    store.add_argument("--db", help="the SQLite file to write")
    store.add_argument("--pg", help="the PostgreSQL database URL (psycopg 3)")
    parser.add_argument("--pool", type=int, default=4, help="PostgreSQL connections per worker")
    parser.add_argument("--workers", type=int, default=1, help="Granian workers")
    parser.add_argument("--redis", help="Redis URL: bridge creates and cancels between workers")
    parser.add_argument("--channel", default="hpi:baseline", help="the Redis pub/sub channel")
    parser.add_argument("--backlog", type=int, default=4096)
    parser.add_argument("--backpressure", type=int, default=16384, help="requests in flight per worker")
    args = parser.parse_args()
    cfg = {"db": args.db, "pg": args.pg, "pool": args.pool, "redis": args.redis, "channel": args.channel}
    os.environ[_ENV] = json.dumps(cfg)
    _create_schema(cfg)
    Server(
        target="baseline_app:app",
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        backlog=args.backlog,
        backpressure=args.backpressure,
        log_level=LogLevels.warning,
    ).serve()


if __name__ == "__main__":
    main()
