"""The MCP server: HPI's tools over Streamable HTTP at ``/mcp``, on the app's own port.

Built on the official SDK's low-level ``Server`` and its ``StreamableHTTPSessionManager``, run
stateless (every request stands alone, so any worker can answer it; progress rides the call's
own response stream). In front of it ``McpDoor`` checks ``Authorization: Bearer htk_…`` on every
HTTP request with the core's token check (401 without a valid one) and hands the principal to the
tools; each tool checks its own scopes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from hpi_app import routes
from hpi_app.config import settings
from hpi_app.core.errors import DomainError, InvalidInput, Unauthenticated
from hpi_app.core.principal import Principal
from hpi_app.core.tokens import authenticate_token
from hpi_app.mcp import ask, files, processes, tasks
from hpi_app.mcp.registry import Call, ToolDef, error_result, in_thread, success_result
from hpi_app.mcp.wire import INSTRUCTIONS, SERVER_NAME, SERVER_TITLE, SERVER_VERSION, UNAUTHORIZED_CODE
from hpi_app.validation import error_details

PRINCIPAL_KEY = "hpi.principal"

TOOLS: dict[str, ToolDef] = {t.name: t for t in (*ask.TOOLS, *tasks.TOOLS, *processes.TOOLS, *files.TOOLS)}
_LISTED = types.ListToolsResult(tools=[t.tool() for t in TOOLS.values()])


async def list_tools(_ctx: Any, _params: Any) -> types.ListToolsResult:
    """``tools/list``: every tool with its input schema."""
    return _LISTED


async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    """``tools/call``: check the scopes and the arguments, run the tool; any refusal is a tool error."""
    request = ctx.request
    principal = request.scope.get(PRINCIPAL_KEY) if request is not None else None
    if not isinstance(principal, Principal):
        return error_result(Unauthenticated("Unauthorized", code="unauthorized"))
    tool = TOOLS.get(params.name)
    if tool is None:
        known = ", ".join(TOOLS)
        return error_result(
            InvalidInput(
                f"No tool named {params.name!r}. Tools: {known}.",
                details=[{"field": "name", "message": "unknown tool"}],
            )
        )

    async def progress(done: float, message: str) -> None:
        await ctx.session.report_progress(done, None, message)

    call = Call(principal, routes.public_base(str(request.base_url)), progress)
    try:
        tool.check_scopes(principal, None)
        args = tool.parse(params.arguments)
        tool.check_scopes(principal, args)
        answer = await tool.run(call, args)
    except DomainError as exc:
        return error_result(exc)
    except ValidationError as exc:  # a model the core builds from the arguments (e.g. a task body)
        return error_result(InvalidInput(f"Invalid arguments for {tool.name}.", details=error_details(exc)))
    return success_result(answer)


def build_server() -> Server:
    """The SDK's low-level server with HPI's tools."""
    return Server(
        SERVER_NAME,
        version=SERVER_VERSION,
        title=SERVER_TITLE,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def _refuse(send: Send, status: int, error: str, code: str, hint: str = "") -> None:
    message = f"{error}. {hint}" if hint else error
    body = {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": UNAUTHORIZED_CODE, "message": message, "data": {"error": error, "code": code}},
    }
    headers = [(b"content-type", b"application/json")]
    if status == 401:
        headers.append((b"www-authenticate", b'Bearer realm="hpi"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


def _bearer(scope: Scope) -> str | None:
    header = dict(scope.get("headers") or []).get(b"authorization", b"").decode("latin-1")
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


class McpDoor:
    """The ASGI app at ``/mcp``: authenticates each request, then lets the SDK's session manager serve it."""

    def __init__(self) -> None:
        self.server = build_server()
        self.manager: StreamableHTTPSessionManager | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request to ``/mcp``."""
        try:
            principal = await in_thread(authenticate_token, _bearer(scope))
        except Unauthenticated as exc:
            hint = "Send Authorization: Bearer htk_... with a token from Settings > API Tokens."
            await _refuse(send, 401, exc.message, exc.code, hint)
            return
        manager = self.manager
        if manager is None:
            await _refuse(send, 503, "The MCP server is not running in this worker.", "unavailable")
            return
        await manager.handle_request({**scope, PRINCIPAL_KEY: principal}, receive, send)

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the SDK's session manager (a fresh one each time: one can run only once)."""
        manager = StreamableHTTPSessionManager(
            app=self.server,
            stateless=True,
            # Room for upload_file's base64 content (4/3 of the bytes) and the JSON around it.
            max_request_body_size=settings.max_upload_bytes * 4 // 3 + 64 * 1024,
        )
        async with manager.run():
            self.manager = manager
            try:
                yield
            finally:
                self.manager = None


door = McpDoor()


@asynccontextmanager
async def run_mcp_sessions() -> AsyncIterator[None]:
    """The lifespan task: the MCP session manager of this worker, for the app's lifetime."""
    async with door.running():
        yield
