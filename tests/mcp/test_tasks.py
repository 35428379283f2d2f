"""The task, process and file tools over Streamable HTTP, against the core's real store."""

from __future__ import annotations

import base64

from tests.mcp.conftest import Waiting, complete

STEPS = [
    {
        "id": "s",
        "title": "Check",
        "blocks": [{"type": "input", "field": {"name": "ok", "label": "OK?", "kind": "checkbox"}}],
    }
]


async def test_create_task_returns_its_link_and_get_and_list_find_it(connect):
    async with connect() as client:
        created = await client.call_tool("create_task", {"title": "Check the logs", "steps": STEPS})
        assert not created.is_error, created
        task_id = created.structured_content["task_id"]
        got = await client.call_tool("get_task", {"task_id": task_id})
        listed = await client.call_tool("list_tasks", {"status": "pending"})
    assert created.structured_content["url"].endswith(f"/t/{created.structured_content['link_id']}")
    assert (got.structured_content["title"], got.structured_content["status"]) == (
        "Check the logs",
        "pending",
    )
    assert [t["task_id"] for t in listed.structured_content["tasks"]] == [task_id]


async def test_create_task_with_wait_returns_the_data(connect, rest):
    async with connect() as client:
        waiting = Waiting(client, "create_task", {"title": "Sign off", "steps": STEPS, "wait": True})
        url = await waiting.started()
        await complete(rest, url, {"ok": True})
        got = (await waiting.call).structured_content
    assert (got["status"], got["data"], got["url"]) == ("completed", {"ok": True}, url)


async def test_wait_for_task_waits_for_a_cancel_and_does_not_cancel_on_its_own_timeout(connect, rest):
    created = (await rest.post("/api/v1/tasks", json={"title": "Later", "steps": STEPS})).json()
    async with connect() as client:
        timed_out = await client.call_tool(
            "wait_for_task", {"task_id": created["task_id"], "timeout_seconds": 0.1}
        )
        waiting = Waiting(client, "wait_for_task", {"task_id": created["task_id"]})
        assert await waiting.started() == created["url"]
        cancelled = await client.call_tool(
            "cancel_task", {"task_id": created["task_id"], "reason": "not needed"}
        )
        got = (await waiting.call).structured_content
        again = await client.call_tool("cancel_task", {"task_id": created["task_id"]})
    assert timed_out.structured_content["status"] == "timed_out"
    assert cancelled.structured_content == {"task_id": created["task_id"], "status": "cancelled"}
    assert (got["status"], got["cancel_reason"]) == ("cancelled", "not needed")
    assert again.is_error and again.structured_content["code"] == "task_cancelled"


async def test_process_tools_create_update_and_read_a_process(connect, make_token):
    async with connect(make_token("processes:read,processes:write")) as client:
        created = await client.call_tool(
            "create_process",
            {"namespace": "ops", "name": "Release", "steps": [{"key": "build", "label": "Build"}]},
        )
        assert not created.is_error, created
        process_id = created.structured_content["process_id"]
        updated = await client.call_tool(
            "update_process", {"process_id": process_id, "update": {"type": "step_started", "step": "build"}}
        )
        got = await client.call_tool("get_process", {"process_id": process_id})
    assert updated.structured_content["update_type"] == "step_started"
    assert got.structured_content["current_step"] == "build"
    assert got.structured_content["timeline"][0]["status"] == "running"


async def test_upload_file_stores_the_bytes_for_the_organisation(connect, rest):
    content = b"\x89PNG not really"
    async with connect() as client:
        stored = await client.call_tool(
            "upload_file", {"filename": "shot.png", "content_base64": base64.b64encode(content).decode()}
        )
        text = await client.call_tool("upload_file", {"filename": "notes.txt", "text": "héllo"})
    got = stored.structured_content
    assert (got["name"], got["size"], got["type"]) == ("shot.png", len(content), "image/png")
    download = await rest.get(got["url"])
    assert download.content == content
    assert text.structured_content["size"] == len("héllo".encode())
