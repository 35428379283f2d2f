"""Long-poll /wait released by completion, cancel and expiry; cancel's rules and idempotency."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from hpi_app.core import accounts, tasks, tokens
from hpi_app.core.events import bus
from hpi_app.db import session_scope
from hpi_app.models import Delivery, IdempotencyKey, Task, TimelineEntry, utcnow
from tests.utils.bodies import seed_task


async def _create(client, auth, **overrides) -> str:
    answer = await client.post("/api/v1/tasks", json=seed_task(**overrides), headers=auth)
    assert answer.status_code == 201, answer.text
    return answer.json()["task_id"]


async def _until_waiting(count: int) -> None:
    # Parked, not just registered: a waiter reads the store once before it parks, and that read
    # would expire an overdue task itself (the sweeper test backdates right after this).
    async with asyncio.timeout(5):
        while bus.waiter_count(parked=True) < count:
            await asyncio.sleep(0.005)


async def test_wait_times_out_with_408(client, auth):
    task_id = await _create(client, auth)
    answer = await client.get(f"/api/v1/tasks/{task_id}/wait?timeout=0.2", headers=auth)
    assert answer.status_code == 408
    body = answer.json()
    assert body["task_id"] == task_id and body["status"] == "pending" and body["timed_out"] is True


async def test_wait_is_released_by_a_completion(client, auth):
    task_id = await _create(client, auth)
    waiter = asyncio.create_task(client.get(f"/api/v1/tasks/{task_id}/wait?timeout=30", headers=auth))
    await _until_waiting(1)
    await run_in_threadpool(tasks.complete_task, task_id, {"decision": "Approve", "comments": "ship it"})
    answer = await asyncio.wait_for(waiter, 5)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "completed"
    assert body["data"] == {"decision": "Approve", "comments": "ship it"}
    assert bus.waiter_count() == 0


async def test_many_waiters_are_released_by_a_cancel_through_another_request(client, auth):
    task_id = await _create(client, auth)
    waiters = [
        asyncio.create_task(client.get(f"/api/v1/tasks/{task_id}/wait?timeout=30", headers=auth))
        for _ in range(20)
    ]
    await _until_waiting(20)
    cancel = await client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "Superseded"}, headers=auth)
    assert cancel.status_code == 200
    assert cancel.json() == {"task_id": task_id, "status": "cancelled"}
    answers = await asyncio.wait_for(asyncio.gather(*waiters), 5)
    assert {a.status_code for a in answers} == {200}
    assert {a.json()["status"] for a in answers} == {"cancelled"}
    assert answers[0].json()["cancel_reason"] == "Superseded"


async def test_wait_on_a_finished_task_answers_at_once(client, auth):
    task_id = await _create(client, auth)
    tasks.complete_task(task_id, {"decision": "Reject"})
    started = time.monotonic()
    answer = await client.get(f"/api/v1/tasks/{task_id}/wait?timeout=300", headers=auth)
    assert answer.status_code == 200 and answer.json()["data"] == {"decision": "Reject"}
    assert time.monotonic() - started < 60  # it did not hold the request for the timeout


async def test_wait_timeout_out_of_range_is_400(client, auth):
    task_id = await _create(client, auth)
    for value in ("-1", "301", "soon", "nan", "inf"):
        answer = await client.get(f"/api/v1/tasks/{task_id}/wait?timeout={value}", headers=auth)
        assert answer.status_code == 400, value
        assert [d["field"] for d in answer.json()["details"]] == ["timeout"]


async def test_wait_on_unknown_task_is_404(client, auth):
    answer = await client.get(
        "/api/v1/tasks/7d2c7d56-7a5c-4a1e-8a37-0a4b6f9f6c11/wait?timeout=1", headers=auth
    )
    assert answer.status_code == 404


async def test_cancel_a_finished_task_is_409_and_changes_nothing(client, auth):
    task_id = await _create(client, auth)
    tasks.complete_task(task_id, {"decision": "Approve"})
    answer = await client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "late"}, headers=auth)
    assert answer.status_code == 409
    assert answer.json()["code"] == "task_completed"
    task = (await client.get(f"/api/v1/tasks/{task_id}", headers=auth)).json()
    assert task["status"] == "completed" and task["cancel_reason"] is None


async def test_cancel_without_a_body(client, auth):
    task_id = await _create(client, auth)
    answer = await client.post(f"/api/v1/tasks/{task_id}/cancel", headers=auth)
    assert answer.status_code == 200
    again = await client.post(f"/api/v1/tasks/{task_id}/cancel", headers=auth)
    assert again.status_code == 409 and again.json()["code"] == "task_cancelled"


async def test_cancel_with_idempotency_key_replays(client, auth):
    task_id = await _create(client, auth)
    headers = {**auth, "Idempotency-Key": "cancel-1"}
    first = await client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "x"}, headers=headers)
    second = await client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "x"}, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers.get("Idempotent-Replayed") == "true"
    clash = await client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "y"}, headers=headers)
    assert clash.status_code == 409 and clash.json()["code"] == "idempotency_conflict"


async def test_cancel_reason_type_is_checked(client, auth):
    task_id = await _create(client, auth)
    answer = await client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": ["no"]}, headers=auth)
    assert answer.status_code == 400
    assert [d["field"] for d in answer.json()["details"]] == ["reason"]
    assert (await client.get(f"/api/v1/tasks/{task_id}", headers=auth)).json()["status"] == "pending"


def _backdate_expiry(task_id: str) -> None:
    with session_scope(write=True) as session:
        task = session.get(Task, task_id)
        task.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()


async def test_sweeper_expires_overdue_tasks_once_and_releases_waiters(client, auth):
    task_id = await _create(client, auth, expires_in=60)
    waiter = asyncio.create_task(client.get(f"/api/v1/tasks/{task_id}/wait?timeout=30", headers=auth))
    await _until_waiting(1)
    _backdate_expiry(task_id)
    assert await run_in_threadpool(tasks.expire_due) == 1
    assert await run_in_threadpool(tasks.expire_due) == 0
    answer = await asyncio.wait_for(waiter, 5)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "expired" and body["expired_at"] is not None
    kinds = [e.kind for e in tasks.timeline(body["org_id"], task_id)]
    assert kinds == ["created", "expired"]


async def test_submitting_an_overdue_task_is_refused_even_before_the_sweep(client, auth):
    task_id = await _create(client, auth, expires_in=60)
    _backdate_expiry(task_id)
    answer = await client.get(f"/api/v1/tasks/{task_id}", headers=auth)
    assert answer.json()["status"] == "expired"
    cancel = await client.post(f"/api/v1/tasks/{task_id}/cancel", headers=auth)
    assert cancel.status_code == 409 and cancel.json()["code"] == "task_expired"


async def test_the_sweeper_worker_expires_on_time(client, auth):
    from hpi_app.workers.expiry import run_expiry_sweeper

    task_id = await _create(client, auth, expires_in=60)
    _backdate_expiry(task_id)
    worker = asyncio.create_task(run_expiry_sweeper())
    try:
        answer = await client.get(f"/api/v1/tasks/{task_id}/wait?timeout=10", headers=auth)
    finally:
        worker.cancel()
    assert answer.status_code == 200 and answer.json()["status"] == "expired"


_CANCEL_SINK = [{"type": "webhook", "url": "https://receiver.example.com/hook", "events": ["cancelled"]}]


def _rows(model, task_id: str, **where) -> list:
    with session_scope() as session:
        query = select(model).where(model.subject_id == task_id)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return list(session.exec(query).all())


async def _published(events, kind: str) -> list:
    seen = []
    while (event := await events.get(timeout=0.3)) is not None:
        seen.append(event)
    return [e for e in seen if e.kind == kind]


async def test_racing_cancels_exactly_one_wins_and_writes_once(client, auth):
    task_id = await _create(client, auth, sinks=_CANCEL_SINK)
    async with bus.subscribe(None) as events:
        answers = await asyncio.gather(
            *(
                client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": f"#{n}"}, headers=auth)
                for n in range(8)
            )
        )
        announced = await _published(events, "task.cancelled")
    assert sorted(a.status_code for a in answers) == [200] + [409] * 7
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"task_cancelled"}
    winner = next(a for a in answers if a.status_code == 200)
    assert winner.json() == {"task_id": task_id, "status": "cancelled"}
    reason = json.loads(winner.request.content)["reason"]
    task = (await client.get(f"/api/v1/tasks/{task_id}", headers=auth)).json()
    assert task["status"] == "cancelled" and task["cancel_reason"] == reason
    [event] = _rows(TimelineEntry, task_id, kind="cancelled")  # one timeline row, the winner's
    assert event.detail == {"reason": reason}
    [queued] = _rows(Delivery, task_id, event="task.cancelled")  # one outbox row
    assert queued.body["reason"] == reason and queued.body["task_id"] == task_id
    # Announced once, after the commit, naming the timeline row and the queued delivery.
    assert [(e.subject.id, e.status, e.event_id, e.deliveries) for e in announced] == [
        (task_id, "cancelled", event.id, 1)
    ]


async def test_racing_cancels_with_one_idempotency_key_cancel_once(client, auth):
    task_id = await _create(client, auth)
    headers = {**auth, "Idempotency-Key": "race-1"}
    answers = await asyncio.gather(
        *(
            client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "x"}, headers=headers)
            for _ in range(6)
        )
    )
    first = [a for a in answers if a.status_code == 200 and "Idempotent-Replayed" not in a.headers]
    assert len(first) == 1
    for answer in answers:
        if answer.status_code == 200:  # the first answer, or it replayed
            assert answer.json() == {"task_id": task_id, "status": "cancelled"}
        else:  # it raced the first one past the key check (PostgreSQL): refused as for any cancel
            assert answer.status_code == 409 and answer.json()["code"] == "task_cancelled"
    assert len(_rows(TimelineEntry, task_id, kind="cancelled")) == 1
    with session_scope() as session:
        keys = session.exec(select(IdempotencyKey).where(IdempotencyKey.key == "race-1")).all()
    assert [(k.status_code, k.response) for k in keys] == [(200, {"task_id": task_id, "status": "cancelled"})]
    again = await client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "x"}, headers=headers)
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"


async def test_cancelling_an_overdue_task_expires_it_instead(client, auth):
    task_id = await _create(client, auth, expires_in=60, sinks=_CANCEL_SINK)
    _backdate_expiry(task_id)  # overdue, and nothing has read it since
    async with bus.subscribe(None) as events:
        cancel = await client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "late"}, headers=auth)
        expired = await _published(events, "task.expired")
    assert cancel.status_code == 409
    assert cancel.json()["code"] == "task_expired" and cancel.json()["status"] == "expired"
    task = (await client.get(f"/api/v1/tasks/{task_id}", headers=auth)).json()
    assert task["status"] == "expired" and task["cancelled_at"] is None and task["cancel_reason"] is None
    assert [e.kind for e in tasks.timeline(task["org_id"], task_id)] == ["created", "expired"]
    assert [e.subject.id for e in expired] == [task_id]
    assert _rows(Delivery, task_id) == []  # the sink listens for cancelled only


async def test_cancel_of_a_task_not_ours_is_404_whatever_its_state(client, auth):
    done = await _create(client, auth)
    tasks.complete_task(done, {"decision": "Approve"})
    overdue = await _create(client, auth, expires_in=60)
    _backdate_expiry(overdue)
    stranger = accounts.create_user("eve@other.test", "another password", org_name="Other")
    raw, _ = tokens.create_token(stranger.id, "eve", "tasks:create,tasks:read")
    theirs = {"Authorization": f"Bearer {raw}"}
    for task_id in (done, overdue, "7d2c7d56-7a5c-4a1e-8a37-0a4b6f9f6c11", "not-a-task-id"):
        answer = await client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "x"}, headers=theirs)
        assert answer.status_code == 404, task_id
        assert answer.json()["code"] == "task_not_found"
    with session_scope() as session:
        assert session.get(Task, done).status == "completed"
        assert session.get(Task, overdue).status == "pending"  # a stranger's request expires nothing
    assert _rows(TimelineEntry, overdue, kind="expired") == []
    mine = await client.post("/api/v1/tasks/not-a-task-id/cancel", headers=auth)
    assert mine.status_code == 404 and mine.json()["code"] == "task_not_found"
