"""``python -m hpi_app mcp``: MCP over stdin/stdout, bridged to the instance's ``/mcp`` endpoint.

For agent tools that start MCP servers as local processes. The tools exist once, in the server
at ``HPI_URL/mcp``: this process lists and calls them there with ``HPI_TOKEN`` (through the
official SDK's client) and relays results and progress notifications. It checks the URL and the
token before it serves, and says clearly on stderr when either is wrong.
"""

from __future__ import annotations

import sys
from contextlib import AsyncExitStack
from typing import Any

import anyio
import httpx2
import mcp_types as types
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.exceptions import MCPError

from hpi_app import routes
from hpi_app.mcp.wire import INSTRUCTIONS, SERVER_NAME, SERVER_TITLE, SERVER_VERSION, UNAUTHORIZED_CODE


class BridgeError(Exception):
    """The instance cannot be used: unreachable, or it refused the token. The message says which."""


def _leaves(exc: BaseException) -> list[BaseException]:
    # The SDK's task groups wrap errors in (nested) exception groups.
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in _leaves(inner)]
    return [exc]


def explain(exc: BaseException, url: str) -> str:
    """One line saying why the instance at ``url`` could not be used, and what to do."""
    leaves = _leaves(exc)
    for leaf in leaves:
        if isinstance(leaf, MCPError) and leaf.code == UNAUTHORIZED_CODE:
            return f"HPI at {url} refused the token: {leaf.error.message}"
    for leaf in leaves:
        if isinstance(leaf, httpx2.TransportError | OSError):
            return (
                f"Cannot reach HPI at {url} ({type(leaf).__name__}: {leaf}). Is it running? "
                "Set HPI_URL to its address (default http://localhost:8000)."
            )
    for leaf in leaves:
        if isinstance(leaf, MCPError):
            return f"HPI at {url} answered with an error: {leaf.error.message}"
    first = leaves[0]
    return f"HPI at {url} could not be used: {type(first).__name__}: {first}"


def remote_client(url: str, token: str) -> Client:
    """An MCP client of the instance's ``/mcp`` endpoint with the bearer token."""
    http = httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {token}"}, timeout=httpx2.Timeout(30, read=None)
    )
    return Client(streamable_http_client(url, http_client=http))


def bridge_server(remote: Client, url: str) -> Server:
    """A stdio-side server whose tools are the remote ones, called there."""

    async def list_tools(_ctx: Any, _params: Any) -> types.ListToolsResult:
        return await remote.list_tools()

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        async def relay(progress: float, total: float | None, message: str | None) -> None:
            await ctx.session.report_progress(progress, total, message)

        try:
            return await remote.call_tool(params.name, params.arguments, progress_callback=relay)
        except (MCPError, httpx2.TransportError, OSError) as exc:
            text = explain(exc, url)
            return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)

    return Server(
        SERVER_NAME,
        version=SERVER_VERSION,
        title=SERVER_TITLE,
        instructions=remote.instructions or INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def serve(base_url: str, token: str) -> None:
    """Serve MCP on stdin/stdout until stdin closes, bridged to ``base_url``'s ``/mcp``.

    Raises:
        BridgeError: The instance is unreachable or refused the token (checked before serving).
    """
    url = routes.mcp_url(base_url)
    async with AsyncExitStack() as stack:
        try:
            remote = await stack.enter_async_context(remote_client(url, token))
            await remote.list_tools()  # the token is checked on every request: this one proves it works
        except Exception as exc:  # every way of failing to connect gets its explanation
            raise BridgeError(explain(exc, url)) from None
        server = bridge_server(remote, url)
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())


def main(base_url: str, token: str) -> int:
    """Run the bridge; 0 when stdin closes, 1 (with the reason on stderr) when HPI cannot be used."""
    if not token:
        print(
            "hpi mcp: set HPI_TOKEN to an API token (Settings > API Tokens, or "
            "`python -m hpi_app token create`).",
            file=sys.stderr,
        )
        return 2
    try:
        anyio.run(serve, base_url, token)
    except BridgeError as exc:
        print(f"hpi mcp: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
