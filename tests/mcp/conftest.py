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
        create_api(), host="127.0.0.1", port=port, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
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
