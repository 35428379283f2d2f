"""The /mcp endpoint: its tools and schemas, its 401s, and the scopes each tool needs."""

from __future__ import annotations

import ast
from pathlib import Path

import httpx
import pytest
from mcp.shared.exceptions import MCPError

from hpi_app.core import tokens
from hpi_app.mcp.server import TOOLS
from hpi_app.mcp.wire import UNAUTHORIZED_CODE
from tests.mcp.conftest import mcp_client

STEPS = [{"id": "s", "title": "S", "blocks": [{"type": "divider"}]}]
NAMES = [
    "ask_question",
    "ask_approval",
    "ask_choice",
    "ask_for_review",
    "create_task",
    "wait_for_task",
    "get_task",
    "list_tasks",
    "cancel_task",
    "upload_file",
    "create_process",
    "update_process",
    "get_process",
]


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    return exc


async def test_every_tool_is_listed_with_a_schema_and_a_description(connect):
    async with connect() as client:
        listed = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert sorted(listed) == sorted(NAMES)
    for tool in listed.values():
        assert tool.description and len(tool.description) > 40
        assert tool.input_schema["type"] == "object"
    approval = listed["ask_approval"].input_schema
    assert approval["required"] == ["title"]
    assert set(approval["properties"]) == {"title", "details", "assignee_email", "timeout_seconds"}
    assert approval["properties"]["timeout_seconds"]["default"] == 300
    choice = listed["ask_choice"].input_schema
    assert choice["properties"]["choices"]["minItems"] == 1
    assert {"title", "steps", "wait", "timeout_seconds"} <= set(
        listed["create_task"].input_schema["properties"]
    )
    assert listed["wait_for_task"].input_schema["required"] == ["task_id"]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Unauthorized"),
        ("Bearer htk_" + "0" * 64, "Invalid token"),
        ("Bearer not-a-token", "Invalid token"),
        ("Basic dXNlcjpwYXNz", "Unauthorized"),
    ],
)
async def test_a_request_without_a_valid_token_is_401(live_app, header, message):
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
    if header:
        headers["Authorization"] = header
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{live_app}/mcp", json=body, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    error = answer.json()["error"]
    assert error["code"] == UNAUTHORIZED_CODE
    assert error["message"].startswith(message)


async def test_the_official_client_reports_a_refused_token(mcp_url):
    with pytest.raises(BaseException) as caught:
        async with mcp_client(mcp_url, "htk_" + "1" * 64) as client:
            await client.list_tools()
    leaf = _leaf(caught.value)
    assert isinstance(leaf, MCPError)
    assert leaf.error.message.startswith("Invalid token")


async def test_a_token_revoked_mid_session_is_refused_at_its_next_call(connect, token):
    async with connect() as client:
        assert not (await client.call_tool("list_tasks", {})).is_error
        tokens.revoke_token(prefix=token[: tokens.PREFIX_LENGTH])
        with pytest.raises(MCPError) as caught:
            await client.call_tool("list_tasks", {})
    assert caught.value.error.message.startswith("Token revoked")


@pytest.mark.parametrize(
    ("scopes", "tool", "arguments", "missing"),
    [
        ("tasks:read", "ask_approval", {"title": "x"}, "tasks:create"),
        ("tasks:create", "ask_approval", {"title": "x"}, "tasks:read"),
        ("tasks:create", "list_tasks", {}, "tasks:read"),
        ("tasks:create", "create_task", {"title": "x", "steps": STEPS, "wait": True}, "tasks:read"),
        ("tasks:read", "cancel_task", {"task_id": "00000000-0000-4000-8000-000000000000"}, "tasks:create"),
        ("tasks:read", "upload_file", {"filename": "a.txt", "text": "hi"}, "tasks:create"),
        ("processes:read", "create_process", {}, "tasks:create"),
        (
            "tasks:read",
            "get_process",
            {"process_id": "00000000-0000-4000-8000-000000000000"},
            "processes:read",
        ),
    ],
)
async def test_a_missing_scope_is_a_tool_error_naming_it(
    connect, make_token, rest, scopes, tool, arguments, missing
):
    async with connect(make_token(scopes)) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error
    assert f"'{missing}'" in result.content[0].text
    assert result.structured_content["required_scope"] == missing
    assert (await rest.get("/api/v1/tasks")).json()["total"] == 0


async def test_an_unknown_tool_is_a_tool_error_naming_it(connect):
    async with connect() as client:
        result = await client.call_tool("ask_everyone", {})
    assert result.is_error
    assert "ask_everyone" in result.content[0].text


def test_the_mcp_door_imports_no_other_door():
    package = Path(__file__).resolve().parents[2] / "hpi_app" / "mcp"
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("hpi_app.api", "hpi_app.pages", "hpi_app.components")), (
                    path
                )


def test_every_tool_has_a_scope_rule():
    for tool in TOOLS.values():
        assert tool.scopes or tool.any_scope, tool.name
