"""POST /tasks/{id}/complete and /notify, GET /tasks/templates: answers, refusals, races, no stray writes."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest
from sqlmodel import update
from starlette.concurrency import run_in_threadpool

from hpi_app.core import accounts, tasks, tokens
from hpi_app.core.errors import Conflict
from hpi_app.core.events import bus
from hpi_app.db import session_scope
from hpi_app.models import Task, utcnow
from tests.utils.bodies import seed_task
from tests.utils.task_routes import (
    BOTH_SINKS,
    OPTIONAL_ONLY,
    deliveries,
    smtp_server,
    store_counts,
    timeline_kinds,
)


async def _create(client, auth, body=None, **overrides) -> str:
    answer = await client.post("/api/v1/tasks", json={**(body or seed_task()), **overrides}, headers=auth)
    assert answer.status_code == 201, answer.text
    return answer.json()["task_id"]


def _stranger_auth() -> dict[str, str]:
    eve = accounts.create_user("eve@other.test", "another password", org_name="Other")
    raw, _ = tokens.create_token(eve.id, "eve", "tasks:create,tasks:read")
    return {"Authorization": f"Bearer {raw}"}


async def test_complete_validates_like_a_browser_and_answers_the_task(client, auth, admin):
    task_id = await _create(client, auth)
    before = store_counts()
    bad = await client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": {"decision": "Maybe"}}, headers=auth
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_submission"
    assert [d["field"] for d in bad.json()["details"]] == ["data.decision"]
    unknown = await client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": {"decision": "Approve", "x": 1}}, headers=auth
    )
    assert [d["field"] for d in unknown.json()["details"]] == ["data.x"]
    not_object = await client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": [1]}, headers=auth)
    assert not_object.status_code == 400 and [d["field"] for d in not_object.json()["details"]] == ["data"]
    # No body at all (what the SDK sends without data) means {}: the required field is missing.
    empty = await client.post(
        f"/api/v1/tasks/{task_id}/complete", headers={**auth, "Content-Type": "application/json"}
    )
    assert empty.status_code == 400 and [d["field"] for d in empty.json()["details"]] == ["data.decision"]
    assert store_counts() == before

    done = await client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": {"decision": "Approve"}}, headers=auth
    )
    assert done.status_code == 200, done.text
    task = done.json()
    assert task["status"] == "completed" and task["completed_by"] == admin.id
    assert task["data"] == {"decision": "Approve"} and "steps" not in task
    assert timeline_kinds(task_id) == ["created", "completed"]
    again = await client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": {"decision": "Reject"}}, headers=auth
    )
    assert again.status_code == 409 and again.json()["code"] == "task_completed"


async def test_complete_with_no_body_when_nothing_is_required(client, auth):
    task_id = await _create(client, auth, OPTIONAL_ONLY, sinks=BOTH_SINKS)
    answer = await client.post(
        f"/api/v1/tasks/{task_id}/complete", headers={**auth, "Content-Type": "application/json"}
    )
    assert answer.status_code == 200 and answer.json()["data"] == {}
    # Sinks fire as for a browser submission.
    assert [(d.event, d.body["data"]) for d in deliveries(task_id)] == [("task.completed", {})]


async def test_complete_refusals(client, auth, make_token):
    task_id = await _create(client, auth)
    await client.post(f"/api/v1/tasks/{task_id}/cancel", headers=auth)
    cancelled = await client.post(
        f"/api/v1/tasks/{task_id}/complete", json={"data": {"decision": "Approve"}}, headers=auth
    )
    assert cancelled.status_code == 409 and cancelled.json()["code"] == "task_cancelled"
    other = await _create(client, auth)
    before = store_counts()
    stranger = await client.post(
        f"/api/v1/tasks/{other}/complete", json={"data": {"decision": "Approve"}}, headers=_stranger_auth()
    )
    assert stranger.status_code == 404 and stranger.json()["code"] == "task_not_found"
    reader = {"Authorization": f"Bearer {make_token('tasks:read')}"}
    refused = await client.post(
        f"/api/v1/tasks/{other}/complete", json={"data": {"decision": "Approve"}}, headers=reader
    )
    assert refused.status_code == 403
    assert store_counts()["tasks"] == before["tasks"] + 0 and timeline_kinds(other) == ["created"]


async def test_complete_submit_and_cancel_race_exactly_one_wins(client, auth, admin):
    for _ in range(3):
        task_id = await _create(client, auth, sinks=BOTH_SINKS)
        api_complete = client.post(
            f"/api/v1/tasks/{task_id}/complete",
            json={"data": {"decision": "Approve", "comments": "api"}},
            headers=auth,
        )
        api_cancel = client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "race"}, headers=auth)

        def browser_submit(task_id: str = task_id) -> str:
            try:
                tasks.complete_task(task_id, {"decision": "Reject", "comments": "browser"}, actor="a@b.test")
            except Conflict:
                return "lost"
            return "won"

        async with bus.subscribe(None) as events:
            completed, cancelled, browser = await asyncio.gather(
                api_complete, api_cancel, run_in_threadpool(browser_submit)
            )
            finals = []
            while (event := await events.get(timeout=0.3)) is not None:
                if event.kind in ("task.completed", "task.cancelled"):
                    finals.append(event)
        outcomes = [completed.status_code == 200, cancelled.status_code == 200, browser == "won"]
        assert outcomes.count(True) == 1, (completed.text, cancelled.text, browser)
        assert {r.status_code for r in (completed, cancelled) if r.status_code != 200} <= {409}
        kinds = timeline_kinds(task_id)
        assert kinds[0] == "created" and len(kinds) == 2 and kinds[1] in ("completed", "cancelled")
        [queued] = deliveries(task_id)
        assert queued.event == f"task.{kinds[1]}"
        assert [e.kind for e in finals] == [f"task.{kinds[1]}"]
        task = (await client.get(f"/api/v1/tasks/{task_id}", headers=auth)).json()
        if outcomes[0]:
            assert task["data"]["comments"] == "api" and task["completed_by"] == admin.id
        elif outcomes[2]:
            assert task["data"]["comments"] == "browser" and task["completed_by"] == "a@b.test"
        else:
            assert task["status"] == "cancelled" and task["data"] is None


async def test_notify_emails_the_member_assignee_once_a_minute(client, auth, admin, monkeypatch):
    bob = accounts.create_user("bob@acme.test", "bob's password", org_id=admin.org_id)
    task_id = await _create(client, auth, assignee_email="bob@acme.test", sinks=BOTH_SINKS)
    with smtp_server(monkeypatch) as smtp:
        async with bus.subscribe(None) as events:
            answer = await client.post(
                f"/api/v1/tasks/{task_id}/notify", headers={**auth, "Content-Type": "application/json"}
            )
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"task_id": task_id, "notified": [bob.email]}
            announced = await events.get(timeout=5)
        [mail] = await smtp.until(1)
    assert announced.kind == "task.reminded" and announced.subject.id == task_id
    assert mail["To"] == bob.email and "Approve deployment to production" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    link = (await client.get(f"/api/v1/tasks/{task_id}", headers=auth)).json()["url"]
    assert link in text and "Review and Approve" in text
    assert link in mail.get_body(("html",)).get_content()
    assert timeline_kinds(task_id) == ["created", "reminded"]
    assert [d.event for d in deliveries(task_id)] == ["task.reminded"]

    before = store_counts()
    again = await client.post(f"/api/v1/tasks/{task_id}/notify", headers=auth)
    assert again.status_code == 429 and again.json()["code"] == "rate_limited"
    assert 1 <= int(again.headers["Retry-After"]) <= 60
    assert store_counts() == before
    # The cooldown runs from the task's last reminder: a minute later it may go again.
    with session_scope(write=True) as session:
        session.exec(update(Task).values(last_notified_at=utcnow() - timedelta(seconds=61)))
        session.commit()
    with smtp_server(monkeypatch) as smtp:
        later = await client.post(f"/api/v1/tasks/{task_id}/notify", headers=auth)
        assert later.status_code == 200
        await smtp.until(1)


async def test_notify_an_external_assignee_and_escalate(client, auth, admin, monkeypatch):
    creator = accounts.create_user("cara@acme.test", "cara's password", org_id=admin.org_id)
    raw, _ = tokens.create_token(creator.id, "cara", "tasks:create,tasks:read")
    cara = {"Authorization": f"Bearer {raw}"}
    second_admin = accounts.create_user(
        "root@acme.test", "root's password", role="admin", org_id=admin.org_id
    )
    task_id = await _create(client, cara, assignee_email="ext@example.com")
    with smtp_server(monkeypatch) as smtp:
        answer = await client.post(f"/api/v1/tasks/{task_id}/notify?escalate=true", headers=cara)
        assert answer.status_code == 200, answer.text
        notified = answer.json()["notified"]
        assert notified == ["ext@example.com", creator.email, admin.email, second_admin.email]
        mails = {m["To"]: m for m in await smtp.until(4)}
    external = mails["ext@example.com"].get_body(("plain",)).get_content()
    assert "/t/" in external and "one-time code" in external
    to_admin = mails[admin.email].get_body(("plain",)).get_content()
    assert f"/tasks/{task_id}" in to_admin and "ext@example.com" in to_admin
    assert timeline_kinds(task_id) == ["created", "escalated"]


async def test_notify_refusals_write_nothing(client, auth, monkeypatch):
    unassigned = await _create(client, auth)
    finished = await _create(client, auth, assignee_email="ext@example.com")
    await client.post(f"/api/v1/tasks/{finished}/cancel", headers=auth)
    before = store_counts()
    with smtp_server(monkeypatch) as smtp:
        nobody = await client.post(f"/api/v1/tasks/{unassigned}/notify", headers=auth)
        assert nobody.status_code == 409 and nobody.json()["code"] == "no_assignee"
        assert "escalate" in nobody.json()["error"]
        done = await client.post(f"/api/v1/tasks/{finished}/notify", headers=auth)
        assert done.status_code == 409 and done.json()["code"] == "task_cancelled"
        stranger = await client.post(f"/api/v1/tasks/{unassigned}/notify", headers=_stranger_auth())
        assert stranger.status_code == 404
        bad_flag = await client.post(f"/api/v1/tasks/{unassigned}/notify?escalate=maybe", headers=auth)
        assert bad_flag.status_code == 400 and [d["field"] for d in bad_flag.json()["details"]] == [
            "escalate"
        ]
        assert smtp.mailbox.messages == []
    assert store_counts()["timeline"] == before["timeline"] + 0
    # Escalating an unassigned task still tells the creator and the admins.
    with smtp_server(monkeypatch) as smtp:
        escalated = await client.post(f"/api/v1/tasks/{unassigned}/notify?escalate=true", headers=auth)
        assert escalated.status_code == 200 and escalated.json()["notified"] == ["admin@acme.test"]
        [mail] = await smtp.until(1)
    assert "someone to pick it up" in mail.get_body(("plain",)).get_content()


async def test_reminders_are_streamed_in_events(live_api, auth, admin, monkeypatch):
    async with httpx.AsyncClient(base_url=live_api, timeout=10) as http:
        created = await http.post(
            "/api/v1/tasks", json=seed_task(assignee_email="x@example.com"), headers=auth
        )
        task_id = created.json()["task_id"]
        with smtp_server(monkeypatch):
            assert (await http.post(f"/api/v1/tasks/{task_id}/notify", headers=auth)).status_code == 200
        headers = {**auth, "Last-Event-ID": "0"}
        async with http.stream("GET", "/api/v1/events", headers=headers) as stream:
            seen: list[dict] = []
            current: dict = {}
            async with asyncio.timeout(10):
                async for line in stream.aiter_lines():
                    if line == "" and current:
                        seen.append(current)
                        current = {}
                        if len(seen) == 2:
                            break
                    elif line and not line.startswith(":"):
                        key, _, value = line.partition(":")
                        current[key] = value.strip()
    assert [e["event"] for e in seen] == ["task.created", "task.reminded"]
    assert json.loads(seen[1]["data"])["task_id"] == task_id


async def test_templates_lists_the_organisations_template_ids(client, auth):
    for template in ("deploy", "deploy", "invoice"):
        await _create(client, auth, template_id=template)
    await _create(client, auth)
    await client.post("/api/v1/tasks", json=seed_task(template_id="theirs"), headers=_stranger_auth())
    answer = await client.get("/api/v1/tasks/templates", headers=auth)
    assert answer.status_code == 200, answer.text
    templates = answer.json()["templates"]
    assert [(t["template_id"], t["count"]) for t in templates] == [("invoice", 1), ("deploy", 2)]
    assert all(t["last_used_at"].endswith("Z") or "+" in t["last_used_at"] for t in templates)
    assert (await client.get("/api/v1/tasks/templates")).status_code == 401


@pytest.mark.parametrize("path", ["complete", "notify", "cancel"])
async def test_an_empty_json_body_means_an_empty_object(client, auth, path, monkeypatch):
    task_id = await _create(client, auth, OPTIONAL_ONLY, assignee_email="ext@example.com")
    with smtp_server(monkeypatch):
        answer = await client.post(
            f"/api/v1/tasks/{task_id}/{path}",
            content=b"",
            headers={**auth, "Content-Type": "application/json"},
        )
    assert answer.status_code == 200, answer.text
