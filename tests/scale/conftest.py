"""The real app with several Granian workers, PostgreSQL and Redis; connections pinned to one worker.

``scaled_app`` runs ``python -m hpi_app serve`` once per module with ``HPI_WORKERS`` workers,
a fresh PostgreSQL database (``HPI_TEST_PG_URL``) and Redis (``HPI_TEST_REDIS_URL``) on a bus
channel of its own. ``workers`` finds which worker answers each connection (``/api/v1/health``
names it): a :class:`Connection` is one keep-alive connection, so one worker, and every request
on it checks that it is still the same connection.
"""

from __future__ import annotations

import json
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from typing import Any

import httpx
import pytest

from tests.conftest import postgres_database
from tests.e2e.accounts import Member, make_member
from tests.e2e.conftest import RunningApp, running_app
from tests.utils.chromium import launch_chromium

WORKERS = 3
REDIS_URL = os.environ.get("HPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# Opening this many connections without reaching a given worker means the workers don't share the port.
MAX_CONNECT_TRIES = 60


@pytest.fixture(scope="module")
def scaled_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """`serve` with ``WORKERS`` workers on PostgreSQL and Redis (migrated first by ``running_app``)."""
    with (
        postgres_database() as db_url,
        running_app(
            tmp_path_factory.mktemp("scale-data"),
            {
                "HPI_WORKERS": str(WORKERS),
                "REFLEX_REDIS_URL": REDIS_URL,
                "REFLEX_DB_URL": db_url,
                # A channel of its own: other servers on the same Redis never hear these events.
                "HPI_REDIS_NAMESPACE": f"hpi-test-{uuid.uuid4().hex[:12]}",
            },
        ) as app,
    ):
        yield app


@pytest.fixture(scope="module")
def member(scaled_app: RunningApp) -> Member:
    """An admin of the instance's organisation, with a token (tasks:create, tasks:read)."""
    return make_member(scaled_app, name="Scale Sam")


class MovedConnection(AssertionError):
    """A request went out on a new connection, which may have landed on another worker."""


class Connection:
    """One keep-alive HTTP connection to the app, and so one worker.

    Each request checks that it went out on the same connection (its local address) as the
    first; httpx would otherwise reconnect silently, perhaps to another worker.
    """

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.client = httpx.Client(
            base_url=url,
            headers=headers,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            timeout=15,
        )
        self.address: tuple[str, int] | None = None
        self.worker = ""
        self.bus = ""
        self.health()

    def health(self) -> None:
        """Ask which worker answers this connection, and the state of its bus bridge."""
        answer = self.get("/api/v1/health")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if self.worker:
            assert body["worker"] == self.worker, "one connection, two workers?"
        self.worker, self.bus = body["worker"], body["bus"]

    def _check(self, answer: httpx.Response) -> None:
        address = answer.extensions["network_stream"].get_extra_info("client_addr")
        if self.address is None:
            self.address = address
        if address != self.address:
            raise MovedConnection(
                f"a request meant for worker {self.worker} went out on a new connection "
                f"({address} instead of {self.address})"
            )

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request on this connection."""
        answer = self.client.request(method, path, **kwargs)
        self._check(answer)
        return answer

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        """GET on this connection."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        """POST on this connection."""
        return self.request("POST", path, **kwargs)

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A streamed request on this connection."""
        with self.client.stream(method, path, **kwargs) as answer:
            self._check(answer)
            yield answer

    def close(self) -> None:
        """Close the connection."""
        self.client.close()


class Workers:
    """Connections to each worker of the app.

    ``ids`` are the workers found, in the order found. ``connect(worker)`` opens connections
    until one lands on ``worker`` (the kernel spreads them over the workers); the others are
    kept for later calls.
    """

    def __init__(self, url: str, headers: dict[str, str]) -> None:
        self.url = url
        self.headers = headers
        self.ids: list[str] = []
        self._spare: list[Connection] = []
        self._opened: list[Connection] = []

    def _open(self) -> Connection:
        conn = Connection(self.url, self.headers)
        self._opened.append(conn)
        if conn.worker not in self.ids:
            self.ids.append(conn.worker)
        return conn

    def discover(self, count: int, timeout: float = 60.0) -> None:
        """Find ``count`` workers, each with its bus bridged over Redis."""
        deadline = time.monotonic() + timeout
        while True:
            for conn in self._spare:
                if conn.bus != "redis":
                    conn.health()
            ready = {conn.worker for conn in self._spare if conn.bus == "redis"}
            assert len(self.ids) <= count, f"expected {count} workers, found {self.ids}"
            if len(ready) == count:
                return
            if time.monotonic() > deadline:
                states = {conn.worker: conn.bus for conn in self._spare}
                pytest.fail(f"{count} workers with a Redis bus did not show up within {timeout} s: {states}")
            if len(self._spare) < MAX_CONNECT_TRIES:
                self._spare.append(self._open())
            else:
                time.sleep(0.1)  # every worker answered; wait for their bridges

    def connect(self, worker: str | None = None) -> Connection:
        """A connection of its own on ``worker`` (any worker when None)."""
        for conn in list(self._spare):
            if worker is not None and conn.worker != worker:
                continue
            self._spare.remove(conn)
            try:
                conn.health()  # an idle connection may have been closed by the server
            except (MovedConnection, httpx.TransportError):
                conn.close()
                continue
            return conn
        for _ in range(MAX_CONNECT_TRIES):
            conn = self._open()
            if worker is None or conn.worker == worker:
                return conn
            self._spare.append(conn)
        raise AssertionError(f"{MAX_CONNECT_TRIES} new connections, none on worker {worker}")

    def release(self, conn: Connection) -> None:
        """Hand a connection back for later ``connect`` calls (no request may be in flight on it)."""
        self._spare.append(conn)

    @contextmanager
    def on(self, worker: str | None = None) -> Iterator[Connection]:
        """A connection on ``worker`` for a few requests, handed back afterwards."""
        conn = self.connect(worker)
        yield conn
        self.release(conn)

    def other_than(self, *workers: str) -> list[str]:
        """The workers not among ``workers``."""
        return [w for w in self.ids if w not in workers]

    def close(self) -> None:
        """Close every connection opened."""
        for conn in self._opened:
            conn.close()


@pytest.fixture(scope="module")
def workers(scaled_app: RunningApp, member: Member) -> Iterator[Workers]:
    """The app's workers, all found and bridged; connections authenticate as ``member``."""
    found = Workers(scaled_app.url, member.headers)
    found.discover(WORKERS)
    yield found
    found.close()


class Waiter:
    """A ``GET /api/v1/tasks/{id}/wait`` long-poll in flight on its own connection (a thread)."""

    def __init__(self, conn: Connection, task_id: str, timeout: int) -> None:
        self.conn = conn
        self.task_id = task_id
        self.timeout = timeout
        self.sent = threading.Event()  # the whole request is out; the answer is awaited
        self.done = threading.Event()
        self.answer: httpx.Response | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _trace(self, name: str, _info: dict) -> None:
        if name == "http11.receive_response_headers.started":
            self.sent.set()

    def _run(self) -> None:
        try:
            self.answer = self.conn.get(
                f"/api/v1/tasks/{self.task_id}/wait",
                params={"timeout": self.timeout},
                timeout=self.timeout + 15,
                extensions={"trace": self._trace},
            )
        except BaseException as exc:
            self.error = exc
        finally:
            self.sent.set()
            self.done.set()

    def result(self, timeout: float) -> httpx.Response:
        """The answer, once it came (within ``timeout`` seconds)."""
        assert self.done.wait(timeout), f"the waiter on worker {self.conn.worker} was not released in time"
        if self.error is not None:
            raise self.error
        assert self.answer is not None
        return self.answer


_END = object()


class EventStream:
    """A Server-Sent Events stream read by a thread on its own connection.

    ``next(match)`` returns the next event (``{"id", "event", "data"}``, data parsed as JSON)
    for which ``match`` is true; ``ended()`` whether the server closed the stream.
    """

    def __init__(self, conn: Connection, path: str, headers: dict[str, str] | None = None) -> None:
        self.conn = conn
        self.path = path
        self.seen: list[dict[str, Any]] = []
        self.opened = threading.Event()
        self.status: int | None = None
        self._queue: queue.Queue = queue.Queue()
        self._socket: socket.socket | None = None
        self._thread = threading.Thread(target=self._run, args=(headers or {},), daemon=True)
        self._thread.start()
        assert self.opened.wait(15), f"{path} did not answer on worker {conn.worker}"
        assert self.status == 200, f"{path} answered {self.status}"

    def _run(self, headers: dict[str, str]) -> None:
        try:
            with self.conn.stream(
                "GET", self.path, headers=headers, timeout=httpx.Timeout(15, read=60)
            ) as answer:
                self.status = answer.status_code
                self._socket = answer.extensions["network_stream"].get_extra_info("socket")
                self.opened.set()
                fields: dict[str, str] = {}
                for line in answer.iter_lines():
                    if line == "":
                        if "data" in fields:
                            self._queue.put(
                                {
                                    "id": fields.get("id"),
                                    "event": fields.get("event"),
                                    "data": json.loads(fields["data"]),
                                }
                            )
                        fields = {}
                    elif not line.startswith(":"):
                        name, _, value = line.partition(":")
                        fields[name] = value.removeprefix(" ")
        except Exception as exc:
            self._queue.put(exc)
        finally:
            self.opened.set()
            self._queue.put(_END)

    def next(self, match: Callable[[dict[str, Any]], bool], timeout: float) -> dict[str, Any]:
        """The next event matching ``match`` within ``timeout`` seconds (others are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                item = self._queue.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise AssertionError(
                    f"{self.path} on worker {self.conn.worker}: no matching event within {timeout} s; "
                    f"saw {[(e['event'], e['data'].get('task_id')) for e in self.seen]}"
                ) from None
            if item is _END:
                self._queue.put(_END)
                raise AssertionError(f"{self.path} ended; saw {[e['event'] for e in self.seen]}")
            if isinstance(item, Exception):
                raise item
            self.seen.append(item)
            if match(item):
                return item

    def ended(self, timeout: float) -> bool:
        """Whether the server ended the stream (within ``timeout`` seconds); later events are kept."""
        self._thread.join(timeout)
        while not self._queue.empty():
            item = self._queue.get_nowait()
            if isinstance(item, dict):
                self.seen.append(item)
        return not self._thread.is_alive()

    def close(self) -> None:
        """Hang up (wakes the reading thread at once)."""
        if self._socket is not None:
            with suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
        self._thread.join(10)


class Chromium:
    """Chromium driven by Playwright's sync API from a thread of its own.

    The sync API refuses to start in a thread where another instance runs, and the e2e tests'
    session-wide ``browser`` may still be open when these tests run in the same session. The
    browser's objects belong to its thread: run browser steps with ``run``.
    """

    def __init__(self) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
        self._playwright: Any = None
        self.browser: Any = None

    def _launch(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        self.browser = launch_chromium(self._playwright)

    def _stop(self) -> None:
        if self.browser is not None:
            self.browser.close()
        if self._playwright is not None:
            self._playwright.stop()

    def run(self, steps: Callable[..., Any], *args: Any) -> Any:
        """Run ``steps(browser, *args)`` in the browser's thread; returns its result, raises its errors."""
        if self.browser is None:
            self._thread.submit(self._launch).result()
        return self._thread.submit(steps, self.browser, *args).result()

    def close(self) -> None:
        """Close the browser and its thread."""
        self._thread.submit(self._stop).result()
        self._thread.shutdown()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    """A Chromium of this module's own, started on first use."""
    browser = Chromium()
    yield browser
    browser.close()
