"""POST /api/v1/tasks: the seed's call, validation, idempotency, caller-chosen ids, size limits."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import func, select

from hpi_app.config import settings
from hpi_app.core import sinks
from hpi_app.core.events import Change, bus
from hpi_app.db import session_scope
from hpi_app.models import Delivery, IdempotencyKey, Task, TimelineEntry, utcnow
from tests.utils.bodies import seed_task


def count_tasks() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Task)).one()


async def test_seed_create_answers_like_the_quick_start_page(client, auth):
    answer = await client.post("/api/v1/tasks", json=seed_task(), headers=auth)
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) >= {"task_id", "link_id", "url", "requires_otp", "created_at"}
    uuid.UUID(body["task_id"])
    assert body["url"] == f"http://hpi.test/t/{body['link_id']}"
    assert body["requires_otp"] is False
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", body["created_at"])
    assert len(body["link_id"]) >= 22  # at least 128 bits, URL-safe base64
    with session_scope() as session:
        kinds = session.exec(
            select(TimelineEntry.kind).where(TimelineEntry.subject_id == body["task_id"])
        ).all()
    assert kinds == ["created"]


async def test_public_url_setting_builds_links(client, auth, monkeypatch):
    from hpi_app import config, routes

    monkeypatch.setattr(
        routes,
        "settings",
        config.Settings(**{**config.settings.__dict__, "public_url": "https://hpi.example.com"}),
    )
    body = (await client.post("/api/v1/tasks", json=seed_task(), headers=auth)).json()
    assert body["url"] == f"https://hpi.example.com/t/{body['link_id']}"


async def test_unknown_block_type_names_its_path_and_writes_nothing(client, auth):
    body = seed_task()
    body["steps"][0]["blocks"][1] = {"type": "carousel"}
    answer = await client.post("/api/v1/tasks", json=body, headers=auth)
    assert answer.status_code == 400
    error = answer.json()
    assert error["code"] == "validation_error"
    assert [d["field"] for d in error["details"]] == ["steps[0].blocks[1].type"]
    assert "carousel" in error["details"][0]["message"]
    assert count_tasks() == 0


async def test_unknown_field_kind_names_its_path(client, auth):
    body = seed_task()
    body["steps"][0]["blocks"][2]["field"]["kind"] = "colour"
    answer = await client.post("/api/v1/tasks", json=body, headers=auth)
    assert answer.status_code == 400
    assert [d["field"] for d in answer.json()["details"]] == ["steps[0].blocks[2].field.kind"]


async def test_missing_title_and_empty_steps_are_both_reported(client, auth):
    answer = await client.post("/api/v1/tasks", json={"steps": []}, headers=auth)
    assert answer.status_code == 400
    fields = {d["field"] for d in answer.json()["details"]}
    assert fields == {"title", "steps"}


async def test_wrong_types_are_reported_by_path(client, auth):
    body = seed_task(title=42, expires_in="soon", metadata={"team": 7})
    answer = await client.post("/api/v1/tasks", json=body, headers=auth)
    assert answer.status_code == 400
    fields = {d["field"] for d in answer.json()["details"]}
    assert fields == {"title", "expires_in", "metadata.team"}
    assert count_tasks() == 0


async def test_duplicate_step_ids_and_field_names(client, auth):
    body = seed_task()
    second = {
        "id": "approval",
        "title": "Again",
        "blocks": [{"type": "input", "field": {"name": "decision", "label": "D", "kind": "text"}}],
    }
    body["steps"].append(second)
    answer = await client.post("/api/v1/tasks", json=body, headers=auth)
    assert answer.status_code == 400
    fields = {d["field"] for d in answer.json()["details"]}
    assert "steps[1].id" in fields
    assert "steps[1].blocks[0].field.name" in fields


async def test_malformed_json_is_a_clear_400(client, auth):
    answer = await client.post(
        "/api/v1/tasks",
        content=b'{"title": "x", "steps": [',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_json"
    assert count_tasks() == 0


async def test_a_body_over_one_mebibyte_is_413(client, auth):
    body = seed_task(payload={"blob": "x" * (1024 * 1024)})
    answer = await client.post("/api/v1/tasks", json=body, headers=auth)
    assert answer.status_code == 413
    assert answer.json()["code"] == "payload_too_large"
    assert count_tasks() == 0


async def test_expires_in_out_of_range(client, auth):
    for value in (59, 2_592_001, -1):
        answer = await client.post("/api/v1/tasks", json=seed_task(expires_in=value), headers=auth)
        assert answer.status_code == 400, value
        assert [d["field"] for d in answer.json()["details"]] == ["expires_in"]
    ok = await client.post("/api/v1/tasks", json=seed_task(expires_in=60), headers=auth)
    assert ok.status_code == 201
    assert ok.json()["expires_at"] is not None


async def test_caller_chosen_task_id_and_duplicate_is_409(client, auth):
    chosen = str(uuid.uuid4())
    first = await client.post("/api/v1/tasks", json=seed_task(task_id=chosen), headers=auth)
    assert first.status_code == 201
    assert first.json()["task_id"] == chosen
    again = await client.post("/api/v1/tasks", json=seed_task(task_id=chosen, title="Other"), headers=auth)
    assert again.status_code == 409
    assert again.json()["code"] == "task_exists"
    assert count_tasks() == 1


async def test_task_id_must_be_a_uuid(client, auth):
    answer = await client.post("/api/v1/tasks", json=seed_task(task_id="my-task"), headers=auth)
    assert answer.status_code == 400
    assert [d["field"] for d in answer.json()["details"]] == ["task_id"]


async def test_idempotency_key_replays_the_first_answer(client, auth):
    headers = {**auth, "Idempotency-Key": "deploy-42"}
    first = await client.post("/api/v1/tasks", json=seed_task(), headers=headers)
    second = await client.post("/api/v1/tasks", json=seed_task(), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert count_tasks() == 1


async def test_idempotency_key_with_another_body_is_409(client, auth):
    headers = {**auth, "Idempotency-Key": "deploy-43"}
    assert (await client.post("/api/v1/tasks", json=seed_task(), headers=headers)).status_code == 201
    clash = await client.post("/api/v1/tasks", json=seed_task(title="Different"), headers=headers)
    assert clash.status_code == 409
    assert clash.json()["code"] == "idempotency_conflict"
    assert count_tasks() == 1


async def test_concurrent_retries_with_one_key_create_one_task(client, auth):
    import asyncio

    headers = {**auth, "Idempotency-Key": "storm"}
    answers = await asyncio.gather(
        *(client.post("/api/v1/tasks", json=seed_task(), headers=headers) for _ in range(8))
    )
    assert {a.status_code for a in answers} == {201}
    assert len({a.json()["task_id"] for a in answers}) == 1
    assert count_tasks() == 1


async def test_failed_request_does_not_burn_the_idempotency_key(client, auth):
    headers = {**auth, "Idempotency-Key": "fix-and-retry"}
    bad = seed_task()
    bad["steps"][0]["blocks"][1]["field"]["kind"] = "nope"
    assert (await client.post("/api/v1/tasks", json=bad, headers=headers)).status_code == 400
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(IdempotencyKey)).one() == 0
    assert (await client.post("/api/v1/tasks", json=seed_task(), headers=headers)).status_code == 201


async def test_assignee_me_and_member_email(client, auth, admin):
    me = await client.post("/api/v1/tasks", json=seed_task(assignee_member_id="me"), headers=auth)
    by_email = await client.post(
        "/api/v1/tasks", json=seed_task(assignee_email="ADMIN@acme.test"), headers=auth
    )
    for answer in (me, by_email):
        assert answer.status_code == 201
        task = (await client.get(f"/api/v1/tasks/{answer.json()['task_id']}", headers=auth)).json()
        assert task["assignee_id"] == admin.id
        assert task["assignee_type"] == "member"
        assert task["requires_otp"] is False


async def test_external_assignee_requires_a_code(client, auth):
    answer = await client.post(
        "/api/v1/tasks", json=seed_task(assignee_email="guest@elsewhere.test"), headers=auth
    )
    assert answer.status_code == 201
    assert answer.json()["requires_otp"] is True
    task = (await client.get(f"/api/v1/tasks/{answer.json()['task_id']}", headers=auth)).json()
    assert task["assignee_type"] == "external"
    assert task["assignee_id"] is None


async def test_unknown_member_assignee_is_400(client, auth):
    answer = await client.post(
        "/api/v1/tasks", json=seed_task(assignee_member_id=str(uuid.uuid4())), headers=auth
    )
    assert answer.status_code == 400
    assert [d["field"] for d in answer.json()["details"]] == ["assignee_member_id"]
    assert count_tasks() == 0


async def test_webhook_sink_without_secret_gets_one_generated(client, auth):
    body = seed_task(sinks=[{"type": "webhook", "url": "https://hooks.example.com/hpi"}])
    answer = await client.post("/api/v1/tasks", json=body, headers=auth)
    assert answer.status_code == 201
    secrets = answer.json()["webhook_secrets"]
    assert len(secrets) == 1 and secrets[0]["secret"].startswith("whsec_")
    task = (await client.get(f"/api/v1/tasks/{answer.json()['task_id']}", headers=auth)).json()
    assert "sinks" not in task and secrets[0]["secret"] not in str(task)


async def test_sink_url_must_be_http(client, auth):
    body = seed_task(sinks=[{"type": "webhook", "url": "ftp://example.com/x"}])
    answer = await client.post("/api/v1/tasks", json=body, headers=auth)
    assert answer.status_code == 400
    assert [d["field"] for d in answer.json()["details"]] == ["sinks[0].url"]


async def test_an_idempotency_key_past_its_window_starts_over(client, auth):
    headers = {**auth, "Idempotency-Key": "nightly"}
    first = (await client.post("/api/v1/tasks", json=seed_task(), headers=headers)).json()
    long_ago = utcnow() - timedelta(seconds=settings.idempotency_ttl_seconds + 60)
    with session_scope(write=True) as session:
        session.execute(update(IdempotencyKey).values(created_at=long_ago))
        session.commit()
    again = await client.post("/api/v1/tasks", json=seed_task(title="Tonight's run"), headers=headers)
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again.headers
    assert again.json()["task_id"] != first["task_id"]
    replay = await client.post("/api/v1/tasks", json=seed_task(title="Tonight's run"), headers=headers)
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.json() == again.json()
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(IdempotencyKey)).one() == 1
    assert count_tasks() == 2


async def test_created_is_announced_after_commit_with_its_timeline_entry(client, auth, admin):
    seen = []

    def forward(event: Change) -> None:
        # Runs in the publishing thread: what it reads here is already committed.
        with session_scope() as session:
            seen.append(
                (event, session.get(TimelineEntry, event.event_id), session.get(Task, event.subject.id))
            )

    with bus.forwarding(forward):
        created = (await client.post("/api/v1/tasks", json=seed_task(expires_in=600), headers=auth)).json()
    ((event, entry, task),) = seen
    assert (event.kind, event.subject.id, event.org_id, event.status) == (
        "task.created",
        created["task_id"],
        admin.org_id,
        "pending",
    )
    assert (entry.kind, entry.subject_id, entry.actor) == ("created", created["task_id"], admin.id)
    assert task.link_id == created["link_id"] and task.created_by == admin.id
    assert event.expires_at == pytest.approx(task.expires_at.timestamp())
    assert event.deliveries == 0


async def test_created_queues_deliveries_for_listening_sinks_in_its_transaction(client, auth, admin):
    org_sink = sinks.create_sink(
        admin.org_id,
        {"name": "All", "type": "webhook", "url": "https://hooks.example.com/all", "events": ["created"]},
    ).sink
    sinks.create_sink(
        admin.org_id, {"name": "Done", "type": "webhook", "url": "https://hooks.example.com/done"}
    )
    body = seed_task(
        sinks=[
            {"type": "webhook", "url": "https://hooks.example.com/mine", "events": ["created"]},
            {"type": "webhook", "url": "https://hooks.example.com/later"},
        ]
    )
    seen = []
    with bus.forwarding(seen.append):
        created = (await client.post("/api/v1/tasks", json=body, headers=auth)).json()
    with session_scope() as session:
        rows = session.exec(select(Delivery).where(Delivery.subject_id == created["task_id"])).all()
    assert {(r.sink_id, r.sink["url"]) for r in rows} == {
        (None, "https://hooks.example.com/mine"),
        (org_sink.id, "https://hooks.example.com/all"),
    }
    assert {r.event for r in rows} == {"task.created"} and {r.status for r in rows} == {"pending"}
    assert all(r.body["task_id"] == created["task_id"] for r in rows)
    assert [e.deliveries for e in seen] == [2]
