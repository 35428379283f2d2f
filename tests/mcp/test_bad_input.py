"""Bad arguments: a tool error (isError) whose text names the field; nothing is written; no hang."""

from __future__ import annotations

import pytest

from hpi_app.core import accounts, tokens
from hpi_app.mcp.waiting import MAX_WAIT
from tests.utils.task_routes import store_counts

UNKNOWN = "00000000-0000-4000-8000-000000000000"
STEPS = [{"id": "s", "title": "S", "blocks": [{"type": "divider"}]}]

CASES = [
    ("ask_question", {}, "question"),
    ("ask_question", {"question": 42}, "question"),
    ("ask_question", {"question": "   "}, "question"),
    ("ask_question", {"question": "x" * 201}, "question"),
    ("ask_approval", {"title": "ok", "details": ["not", "text"]}, "details"),
    ("ask_approval", {"title": "ok", "assignee_email": "not-an-email"}, "assignee_email"),
    ("ask_approval", {"title": "ok", "colour": "red"}, "colour"),
    ("ask_choice", {"question": "Which?", "choices": []}, "choices"),
    ("ask_choice", {"question": "Which?"}, "choices"),
    ("ask_choice", {"question": "Which?", "choices": "a,b"}, "choices"),
    ("ask_choice", {"question": "Which?", "choices": ["a", "a"]}, "choices"),
    ("ask_for_review", {"title": "Review"}, "content"),
    ("ask_question", {"question": "q", "timeout_seconds": -1}, "timeout_seconds"),
    ("ask_question", {"question": "q", "timeout_seconds": MAX_WAIT + 1}, "timeout_seconds"),
    ("ask_question", {"question": "q", "timeout_seconds": "soon"}, "timeout_seconds"),
    ("create_task", {"title": "x"}, "steps"),
    (
        "create_task",
        {"title": "x", "steps": [{"id": "s", "title": "S", "blocks": [{"type": "nope"}]}]},
        "steps[0]",
    ),
    (
        "create_task",
        {"title": "x", "steps": STEPS, "wait": True, "timeout_seconds": MAX_WAIT + 1},
        "timeout_seconds",
    ),
    ("wait_for_task", {}, "task_id"),
    ("wait_for_task", {"task_id": "not-a-uuid"}, "task_id"),
    ("wait_for_task", {"task_id": UNKNOWN, "timeout_seconds": -5}, "timeout_seconds"),
    ("get_task", {"task_id": 7}, "task_id"),
    ("list_tasks", {"limit": 0}, "limit"),
    ("list_tasks", {"sort": "sideways"}, "sort"),
    ("cancel_task", {"task_id": "x"}, "task_id"),
    ("upload_file", {"filename": "a.txt"}, "content_base64"),
    ("upload_file", {"filename": "a.bin", "content_base64": "***"}, "content_base64"),
    ("create_process", {"namespace": "ops", "name": "Release"}, "steps"),
    ("update_process", {"process_id": UNKNOWN}, "update"),
    ("get_process", {"process_id": "nope"}, "process_id"),
]


@pytest.fixture
def every_scope(make_token) -> str:
    """A token with every scope (so only the arguments can be wrong)."""
    return make_token("tasks:create,tasks:read,processes:read,processes:write")


@pytest.mark.parametrize(("tool", "arguments", "field"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
async def test_a_bad_argument_is_a_tool_error_naming_the_field(connect, every_scope, tool, arguments, field):
    before = store_counts()
    async with connect(every_scope) as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error, result
    assert field in result.content[0].text
    assert any(d["field"].startswith(field) for d in result.structured_content["details"]), (
        result.structured_content
    )
    assert store_counts() == before


@pytest.mark.parametrize("tool", ["get_task", "wait_for_task", "cancel_task"])
async def test_an_unknown_task_id_is_not_found(connect, tool):
    async with connect() as client:
        result = await client.call_tool(tool, {"task_id": UNKNOWN})
    assert result.is_error
    assert result.structured_content["code"].endswith("not_found")
    assert UNKNOWN in result.content[0].text


@pytest.mark.parametrize("tool", ["get_task", "wait_for_task", "cancel_task"])
async def test_another_organisations_task_is_not_found(connect, rest, tool):
    created = await rest.post("/api/v1/tasks", json={"title": "Ours", "steps": STEPS})
    task_id = created.json()["task_id"]
    stranger = accounts.create_user("eve@other.test", "another password", org_name="Other")
    raw, _ = tokens.create_token(stranger.id, "eve", "tasks:create,tasks:read")
    before = store_counts()
    async with connect(raw) as client:
        arguments = {"task_id": task_id} | ({"timeout_seconds": 0} if tool == "wait_for_task" else {})
        result = await client.call_tool(tool, arguments)
        listed = await client.call_tool("list_tasks", {})
    assert result.is_error
    assert result.structured_content["code"].endswith("not_found")
    assert listed.structured_content["total"] == 0
    assert store_counts() == before
    assert (await rest.get(f"/api/v1/tasks/{task_id}")).json()["status"] == "pending"


async def test_a_process_update_names_the_field_inside_update(connect, rest):
    created = await rest.post(
        "/api/v1/processes",
        json={"namespace": "ops", "name": "Release", "steps": [{"key": "build", "label": "Build"}]},
    )
    process_id = created.json()["process_id"]
    async with connect() as client:
        result = await client.call_tool(
            "update_process", {"process_id": process_id, "update": {"type": "step_started", "step": "deploy"}}
        )
    assert result.is_error
    assert [d["field"] for d in result.structured_content["details"]] == ["update.step"]
