"""Server-Sent Events for the organisation and for one task, with Last-Event-ID resume."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.concurrency import run_in_threadpool

from hpi_app.core import tasks
from hpi_app.core.events import bus
from tests.utils.bodies import seed_task


async def _events(lines: AsyncIterator[str], count: int) -> list[dict]:
    """Read ``count`` events (id, event, data) from an SSE response's lines."""
    out: list[dict] = []
    current: dict = {}
    async with asyncio.timeout(10):
        async for line in lines:
            if line.startswith(":"):
                continue
            if line == "":
                if current:
                    out.append(current)
                    current = {}
                    if len(out) == count:
                        return out
                continue
            key, _, value = line.partition(":")
            current[key] = value.strip()
    return out


@pytest.fixture
async def http(live_api: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the API over real HTTP."""
    async with httpx.AsyncClient(base_url=live_api, timeout=10) as client:
        yield client


async def _until_subscribed(count: int) -> None:
    async with asyncio.timeout(5):
        while len(bus._subscriptions) < count:
            await asyncio.sleep(0.01)


async def test_org_stream_sends_what_happens_next_and_resumes(http, auth):
    before = (await http.post("/api/v1/tasks", json=seed_task(title="before"), headers=auth)).json()
    async with http.stream("GET", "/api/v1/events", headers=auth) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        await _until_subscribed(1)
        created = (await http.post("/api/v1/tasks", json=seed_task(title="during"), headers=auth)).json()
        await http.post(f"/api/v1/tasks/{created['task_id']}/cancel", json={"reason": "x"}, headers=auth)
        got = await _events(stream.aiter_lines(), 2)
    assert [e["event"] for e in got] == ["task.created", "task.cancelled"]
    datas = [json.loads(e["data"]) for e in got]
    assert {d["task_id"] for d in datas} == {created["task_id"]}
    assert datas[1]["status"] == "cancelled"
    assert before["task_id"] not in str(got)
    # Reconnect after the first event: only what came after it.
    async with http.stream("GET", "/api/v1/events", headers={**auth, "Last-Event-ID": got[0]["id"]}) as again:
        resumed = await _events(again.aiter_lines(), 1)
    assert resumed[0]["id"] == got[1]["id"] and resumed[0]["event"] == "task.cancelled"


async def test_task_stream_from_the_start_ends_after_a_final_state(http, auth):
    created = (await http.post("/api/v1/tasks", json=seed_task(), headers=auth)).json()
    async with http.stream("GET", f"/api/v1/tasks/{created['task_id']}/events", headers=auth) as stream:
        lines = stream.aiter_lines()
        first = await _events(lines, 1)
        assert first[0]["event"] == "task.created"
        await run_in_threadpool(tasks.complete_task, created["task_id"], {"decision": "Approve"})
        async with asyncio.timeout(10):
            rest = [line async for line in lines]  # the stream closes by itself
    assert "event: task.completed" in rest


async def test_stream_errors(http, auth, make_token):
    assert (await http.get("/api/v1/events")).status_code == 401
    weak = {"Authorization": f"Bearer {make_token('tasks:create')}"}
    assert (await http.get("/api/v1/events", headers=weak)).status_code == 403
    bad = await http.get("/api/v1/events", headers={**auth, "Last-Event-ID": "abc"})
    assert bad.status_code == 400 and bad.json()["details"][0]["field"] == "Last-Event-ID"
    missing = await http.get("/api/v1/tasks/5e0c7a53-8b07-4a8e-9d38-2f1c0f7c1a11/events", headers=auth)
    assert missing.status_code == 404
