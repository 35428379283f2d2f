"""A second kind of subject joins the timeline, the bus, the event streams and the outbox by declaring itself.

Nothing here touches ``timeline``, ``events``, ``outbox`` or the SSE route: a process-shaped kind
is registered, its changes are recorded in a transaction like a task's, and every watcher sees them.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.concurrency import run_in_threadpool

from hpi_app.api.presenters import delivery_public
from hpi_app.core import deliveries as delivery_queue
from hpi_app.core import delivery_log, outbox, subjects, timeline
from hpi_app.core.events import Change, bus
from hpi_app.core.sinks.email import build_message
from hpi_app.db import session_scope
from tests.utils.bodies import seed_task

PROCESS = subjects.SubjectType(
    name="process",
    streamed=frozenset({"started", "step_done", "completed"}),
    final={"completed": "completed"},
    open_status="running",
    sink_events={"completed": "process.completed"},
    describe=lambda session, ids: {
        i: subjects.SubjectView("process", f"Process {i[:4]}", f"/p/{i}", rows=(("Step", "3 of 3"),))
        for i in ids
    },
)
SINKS = [
    {"type": "webhook", "url": "https://hooks.example.com/p", "events": ["process.completed"]},
    {"type": "email", "to": "ops@example.com", "events": ["process.completed"]},
]


@pytest.fixture
def process_kind() -> Iterator[subjects.SubjectType]:
    """A process-shaped kind, declared for one test (the real one, if loaded, comes back after)."""
    before = subjects.find_subject_type(PROCESS.name)
    subjects.register(PROCESS)
    yield PROCESS
    subjects.unregister(PROCESS.name)
    if before is not None:
        subjects.register(before)


def _change(org_id: str, process: subjects.Subject, kind: str, actor: str | None = None) -> Change:
    """Record ``kind`` of ``process`` (timeline + outbox in one transaction), then publish it."""
    with session_scope(write=True) as session:
        event_id = timeline.record(session, org_id, process, kind, actor, {"step": kind})
        queued = outbox.enqueue(
            session,
            org_id,
            process,
            kind,
            lambda: {"event": f"process.{kind}", "process_id": process.id},
            SINKS,
        )
        session.commit()
    status = PROCESS.status_after(kind)
    change = Change(PROCESS.event_name(kind), org_id, process, status, kind in PROCESS.final, event_id)
    bus.publish(change)
    return Change(change.kind, org_id, process, status, change.terminal, event_id, deliveries=len(queued))


async def _events(lines: AsyncIterator[str], count: int) -> list[dict]:
    out: list[dict] = []
    current: dict = {}
    async with asyncio.timeout(10):
        async for line in lines:
            if line == "" and current:
                out.append({**current, "data": json.loads(current["data"])})
                current = {}
                if len(out) == count:
                    return out
            elif line and not line.startswith(":"):
                key, _, value = line.partition(":")
                current[key] = value.strip()
    return out


async def test_a_second_subject_kind_is_recorded_streamed_waited_on_and_pushed(
    process_kind, live_api, admin, auth
):
    process = subjects.Subject("process", str(uuid.uuid4()))
    async with httpx.AsyncClient(base_url=live_api, timeout=10) as http:
        task = (await http.post("/api/v1/tasks", json=seed_task(), headers=auth)).json()
        with bus.waiter(process) as waiter:
            async with http.stream("GET", "/api/v1/events", headers={**auth, "Last-Event-ID": "0"}) as stream:
                started = await run_in_threadpool(_change, admin.org_id, process, "started", admin.id)
                await run_in_threadpool(_change, admin.org_id, process, "internal_note")  # not streamed
                completed = await run_in_threadpool(_change, admin.org_id, process, "completed")
                got = await _events(stream.aiter_lines(), 3)
            released = await waiter.wait(5)

    # The stream carries the task's event and the process's streamed ones, in timeline order.
    assert [e["event"] for e in got] == ["task.created", "process.started", "process.completed"]
    assert got[0]["data"]["task_id"] == task["task_id"]
    assert [(e["data"]["process_id"], e["data"]["status"]) for e in got[1:]] == [
        (process.id, "running"),
        (process.id, "completed"),
    ]
    assert int(got[1]["id"]) == started.event_id and int(got[2]["id"]) == completed.event_id
    # A waiter on the process is released by its final change, as /wait is for a task's.
    assert released is not None and released.subject == process and released.status == "completed"
    # Only the change the sink listens for was queued, about the process, and a sender sees its state.
    assert (started.deliveries, completed.deliveries) == (0, 2)
    jobs = {job.sink["type"]: job for job in delivery_queue.claim_due("test-worker", 10, lease_seconds=60)}
    assert {job.event for job in jobs.values()} == {"process.completed"}
    assert jobs["webhook"].body["process_id"] == process.id
    assert jobs["email"].subject.title == f"Process {process.id[:4]}"  # the kind's describe
    # The email sender lays the process out from its view: no task in sight.
    mail = build_message(jobs["email"], from_addr="hpi@example.com", base_url="https://hpi.example.com")
    text = mail.get_body(("plain",)).get_content()
    assert mail["Subject"] == f"Completed: Process {process.id[:4]}"
    assert f"Open the process: https://hpi.example.com/p/{process.id}" in text
    assert "Step:" in text and "3 of 3" in text and f"(process {process.id})" in text
    record = delivery_log.get_delivery(admin.org_id, jobs["webhook"].delivery_id)
    shown = delivery_public(record)
    assert shown["process_id"] == process.id and shown["task_id"] is None
    assert [e.kind for e in timeline.entries(process)] == ["started", "internal_note", "completed"]


async def test_one_subject_stream_ends_after_its_final_change(process_kind, live_api, admin, auth):
    from hpi_app.api.routes.events import stream

    process = subjects.Subject("process", str(uuid.uuid4()))
    other = subjects.Subject("process", str(uuid.uuid4()))
    for about, kind in [
        (process, "started"),
        (other, "started"),
        (process, "step_done"),
        (process, "completed"),
    ]:
        await run_in_threadpool(_change, admin.org_id, about, kind)
    async with asyncio.timeout(10):
        sent = [item async for item in stream(admin.org_id, 0, process)]
    assert [item.event for item in sent] == ["process.started", "process.step_done", "process.completed"]
