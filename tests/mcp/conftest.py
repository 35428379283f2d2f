"""Fixtures for the MCP door: the API app (with ``/mcp``) served over real HTTP, and MCP clients.

The app runs in uvicorn on a thread with the MCP session manager in its lifespan, against the
test's store (SQLite and PostgreSQL). Clients are the official SDK's ``mcp.Client``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from hpi_app import routes
from hpi_app.api.app import create_api
from hpi_app.mcp.server import run_mcp_sessions
from tests.utils.ports import free_port


def serve_app(port: int) -> tuple[uvicorn.Server, threading.Thread]:
    """Serve the API app (with the MCP door and its session manager) on ``port`` in a thread."""
    config = uvicorn.Config(
        create_api(),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)

    async def main() -> None:
        async with run_mcp_sessions():
            await server.serve()

    thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    return server, thread


@pytest.fixture
def live_app(store: str) -> Iterator[str]:
    """The base URL of the app served over real HTTP."""
    server, thread = serve_app(free_port())
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    yield f"http://{host}:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def mcp_url(live_app: str) -> str:
    """The app's MCP endpoint."""
    return routes.mcp_url(live_app)


def mcp_client(url: str, token: str | None) -> Client:
    """An official MCP client for ``url``, sending ``token`` as the bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=600))
    return Client(streamable_http_client(url, http_client=http))


@pytest.fixture
def connect(mcp_url: str, token: str) -> Callable[..., AbstractAsyncContextManager[Client]]:
    """Open an MCP client to the app (default: the admin's tasks token)."""

    @asynccontextmanager
    async def open_client(raw: str | None = token) -> AsyncIterator[Client]:
        async with mcp_client(mcp_url, raw) as client:
            yield client

    return open_client


@pytest.fixture
async def rest(live_app: str, token: str) -> AsyncIterator[httpx.AsyncClient]:
    """The REST API of the same app, as the admin's token (to complete tasks the tools wait on)."""
    async with httpx.AsyncClient(
        base_url=live_app, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        yield http


class Waiting:
    """A tool call running in the background, known to be parked once it reported its first progress."""

    def __init__(self, client: Client, name: str, arguments: dict) -> None:
        self.urls: list[str] = []
        self.messages: list[str] = []
        self._started = asyncio.Event()
        self.call = asyncio.create_task(client.call_tool(name, arguments, progress_callback=self._progress))

    async def _progress(self, _progress: float, _total: float | None, message: str | None) -> None:
        self.messages.append(message or "")
        self.urls.append((message or "").rsplit(" ", 1)[-1])
        self._started.set()

    async def started(self) -> str:
        """Wait until the call has made its task and waits; its task's url."""
        done, _ = await asyncio.wait(
            {self.call, asyncio.ensure_future(self._started.wait())},
            timeout=60,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if self.call in done:
            raise AssertionError(f"the call ended before it waited: {self.call.result()}")
        assert self._started.is_set(), "the call never reported that it waits"
        return self.urls[0]


async def task_for(rest: httpx.AsyncClient, url: str) -> dict:
    """The task whose link is ``url``."""
    answer = await rest.get("/api/v1/tasks", params={"limit": 200})
    assert answer.status_code == 200, answer.text
    found = [t for t in answer.json()["tasks"] if t["url"] == url]
    assert len(found) == 1, (url, answer.json())
    return found[0]


async def complete(rest: httpx.AsyncClient, url: str, data: dict) -> dict:
    """Complete the task behind ``url`` through the REST complete route; the task."""
    task = await task_for(rest, url)
    answer = await rest.post(f"/api/v1/tasks/{task['task_id']}/complete", json={"data": data})
    assert answer.status_code == 200, answer.text
    return answer.json()
