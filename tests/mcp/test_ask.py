"""The ask_* tools over Streamable HTTP with the official client: they block until a person answers."""

from __future__ import annotations

import asyncio

import pytest

from hpi_app.core import tasks as core
from tests.mcp.conftest import Waiting, complete, task_for


async def test_ask_approval_blocks_until_completed_through_rest_and_returns_the_verdict(connect, rest):
    async with connect() as client:
        waiting = Waiting(client, "ask_approval", {"title": "Deploy v2 to prod", "details": "**3** services"})
        url = await waiting.started()
        assert not waiting.call.done()
        task = await task_for(rest, url)
        assert task["title"] == "Deploy v2 to prod"
        assert task["status"] == "pending"
        await complete(rest, url, {"decision": "approve", "comment": "go"})
        result = await waiting.call
    assert not result.is_error
    got = result.structured_content
    assert got["status"] == "completed"
    assert got["approved"] is True
    assert got["comment"] == "go"
    assert got["task_id"] == task["task_id"]
    assert got["url"] == url
    assert "approved: True" in result.content[0].text
    assert any(url in message for message in waiting.messages)


async def test_a_rejection_answers_approved_false(connect, rest):
    async with connect() as client:
        waiting = Waiting(client, "ask_approval", {"title": "Delete the old bucket"})
        url = await waiting.started()
        await complete(rest, url, {"decision": "reject"})
        got = (await waiting.call).structured_content
    assert got["approved"] is False
    assert got["comment"] is None


async def test_the_approval_task_is_well_formed(connect, rest):
    async with connect() as client:
        waiting = Waiting(client, "ask_approval", {"title": "Ship it", "details": "## Changes\n- one"})
        url = await waiting.started()
        task = await task_for(rest, url)
        full = (
            await rest.get(f"/api/v1/tasks/{task['task_id']}", params={"include_definition": True})
        ).json()
        waiting.call.cancel()
    assert (full["title"], full["steps"][0]["title"]) == ("Ship it", "Your decision")
    blocks = full["steps"][0]["blocks"]
    assert blocks[0] == {"type": "mdsvex", "content": "## Changes\n- one"}
    decision = blocks[1]["field"]
    assert (decision["kind"], decision["name"], decision["required"]) == ("radio", "decision", True)
    assert [o["value"] for o in decision["options"]] == ["approve", "reject"]
    assert (blocks[2]["field"]["kind"], blocks[2]["field"]["required"]) == ("textarea", False)


async def test_ask_choice_returns_the_choice(connect, rest):
    async with connect() as client:
        waiting = Waiting(
            client, "ask_choice", {"question": "Which region?", "choices": ["eu-west", "us-east"]}
        )
        url = await waiting.started()
        await complete(rest, url, {"choice": "us-east"})
        got = (await waiting.call).structured_content
    assert (got["status"], got["choice"]) == ("completed", "us-east")


async def test_ask_question_returns_the_answer_and_ask_for_review_the_verdict(connect, rest):
    async with connect() as client:
        question = Waiting(client, "ask_question", {"question": "What is the release name?", "context": "v2"})
        review = Waiting(client, "ask_for_review", {"title": "Review the notes", "content": "# Notes"})
        await complete(rest, await question.started(), {"answer": "Aurora"})
        await complete(rest, await review.started(), {"verdict": "Request Changes", "comment": "typo"})
        asked, reviewed = (await question.call).structured_content, (await review.call).structured_content
    assert asked["answer"] == "Aurora"
    assert (reviewed["verdict"], reviewed["approved"], reviewed["comment"]) == (
        "Request Changes",
        False,
        "typo",
    )


async def test_a_timeout_returns_timed_out_with_the_task_id_and_url(connect, rest):
    async with connect() as client:
        result = await client.call_tool("ask_question", {"question": "Anyone?", "timeout_seconds": 0.2})
    got = result.structured_content
    assert not result.is_error
    assert (got["status"], got["timed_out"], got["task_status"]) == ("timed_out", True, "pending")
    task = await task_for(rest, got["url"])
    assert task["task_id"] == got["task_id"]
    assert task["status"] == "pending"  # still open: the agent can wait_for_task later


@pytest.mark.parametrize("how", ["cancel the call", "close the client"])
async def test_a_cancelled_call_cancels_the_task_it_made(connect, rest, admin, how):
    async with connect() as client:
        waiting = Waiting(client, "ask_approval", {"title": "Restart the cluster"})
        url = await waiting.started()
        task_id = (await task_for(rest, url))["task_id"]
        if how == "cancel the call":
            waiting.call.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting.call
    if how == "close the client":
        with pytest.raises(BaseException):  # noqa: B017 (the client's own cancellation or closed-stream error)
            await waiting.call
    finished = await rest.get(f"/api/v1/tasks/{task_id}/wait", params={"timeout": 30})
    assert finished.status_code == 200, finished.text
    assert finished.json()["status"] == "cancelled"
    assert "cancelled" in core.get_task(admin.org_id, task_id).cancel_reason
