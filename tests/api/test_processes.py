"""``/api/v1/processes`` over HTTP: every route, scopes, refusals, events, OpenAPI, and the official SDK."""

from __future__ import annotations

import asyncio
import json
import uuid

import httpx
import pytest
from hpi_client import HPIClient
from hpi_client.client import HPIError

from hpi_app.core import accounts, tokens
from tests.utils.processes import approval_task, process_body, store_counts

ALL = "tasks:create,tasks:read,processes:read,processes:write"


@pytest.fixture
def full(make_token) -> dict[str, str]:
    """Headers of a token with every scope."""
    return {"Authorization": f"Bearer {make_token(ALL)}"}


async def _create(client, headers, **overrides) -> dict:
    answer = await client.post("/api/v1/processes", json=process_body(**overrides), headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _update(client, headers, process_id, body) -> httpx.Response:
    return await client.post(f"/api/v1/processes/{process_id}/update", json=body, headers=headers)


async def test_create_answers_201_with_the_prefixed_namespace(client, full, admin):
    chosen = str(uuid.uuid4())
    created = await _create(client, full, process_id=chosen)
    assert set(created) == {"process_id", "namespace", "name", "started_at"}
    assert created["process_id"] == chosen
    assert created["namespace"] == f"{admin.org_id}.ops.deploy"
    assert created["name"] == "Deploy release 1.4"
    again = await client.post("/api/v1/processes", json=process_body(process_id=chosen), headers=full)
    assert again.status_code == 409
    assert again.json()["details"] == [{"field": "process_id", "message": "already exists"}]


async def test_get_answers_the_spec_shape(client, full, admin):
    created = await _create(client, full, template_id="deploy", metadata={"env": "prod"}, description="d")
    answer = await client.get(f"/api/v1/processes/{created['process_id']}", headers=full)
    assert answer.status_code == 200
    body = answer.json()
    assert {
        "process_id",
        "namespace",
        "name",
        "description",
        "status",
        "current_step",
        "step_defs",
        "timeline",
        "task_ids",
        "started_at",
        "completed_at",
        "error",
        "template_id",
        "metadata",
        "duration_ms",
    } <= set(body)
    assert (body["status"], body["current_step"], body["task_ids"]) == ("running", None, [])
    assert body["step_defs"][1] == {"key": "approve", "label": "Approve the release", "human": True}
    assert [(s["step"], s["status"], s["human"]) for s in body["timeline"]] == [
        ("build", "pending", False),
        ("approve", "pending", True),
        ("rollout", "pending", False),
    ]
    assert {
        "step",
        "label",
        "status",
        "human",
        "task_id",
        "started_at",
        "completed_at",
        "duration_ms",
        "detail",
        "progress_message",
        "progress_percent",
    } <= set(body["timeline"][0])
    assert (body["template_id"], body["metadata"], body["description"]) == ("deploy", {"env": "prod"}, "d")


async def test_updates_move_the_process_and_answer_their_type(client, full):
    pid = (await _create(client, full))["process_id"]
    for update in (
        {"type": "step_started", "step": "build", "detail": "starting"},
        {"type": "progress", "step": "build", "message": "half way", "percent": 50},
        {"type": "step_completed", "step": "build", "data": {"image": "app:1.4"}},
        {"type": "step_failed", "step": "rollout", "error": "timeout"},
    ):
        answer = await _update(client, full, pid, update)
        assert answer.status_code == 200, answer.text
        assert answer.json()["process_id"] == pid and answer.json()["update_type"] == update["type"]
        assert answer.json()["timestamp"].endswith("Z")
    body = (await client.get(f"/api/v1/processes/{pid}", headers=full)).json()
    build, _, rollout = body["timeline"]
    assert (build["status"], build["progress_message"], build["progress_percent"]) == (
        "completed",
        "half way",
        50,
    )
    assert build["duration_ms"] is not None and build["detail"] == "starting"
    assert (rollout["status"], body["status"], body["current_step"]) == ("failed", "running", "build")
    done = await _update(client, full, pid, {"type": "completed", "summary": "shipped"})
    assert done.json()["update_type"] == "completed"
    body = (await client.get(f"/api/v1/processes/{pid}", headers=full)).json()
    assert body["status"] == "completed" and body["duration_ms"] is not None and body["completed_at"]
    late = await _update(client, full, pid, {"type": "step_started", "step": "rollout"})
    assert late.status_code == 409 and late.json()["code"] == "process_completed"


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"type": "teleport"}, "type"),
        ({"type": "step_started", "step": "deploy"}, "step"),
        ({"type": "progress", "step": "build", "message": "m", "percent": 150}, "percent"),
        ({"type": "failed"}, "error"),
    ],
)
async def test_a_bad_update_is_400_naming_the_field_and_writes_nothing(client, full, update, field):
    pid = (await _create(client, full))["process_id"]
    before = store_counts()
    answer = await _update(client, full, pid, update)
    assert answer.status_code == 400
    assert field in [d["field"] for d in answer.json()["details"]]
    assert store_counts() == before


async def test_a_bad_create_body_is_400_naming_the_field_and_writes_nothing(client, full):
    before = store_counts()
    bad = process_body(steps=[{"key": "a", "label": "A"}, {"key": "a", "label": "B"}], namespace="no spaces")
    answer = await client.post("/api/v1/processes", json=bad, headers=full)
    assert answer.status_code == 400
    assert {"steps[1].key", "namespace"} <= {d["field"] for d in answer.json()["details"]}
    assert store_counts() == before


async def test_list_filters_and_templates(client, full, admin):
    a = await _create(
        client, full, name="Backup", namespace="ops.backup", template_id="backup", metadata={"env": "prod"}
    )
    b = await _create(client, full, name="Deploy", template_id="deploy", metadata={"env": "dev"})
    await _update(client, full, b["process_id"], {"type": "failed", "error": "x"})

    async def ids(query: str) -> list[str]:
        answer = await client.get(f"/api/v1/processes?{query}", headers=full)
        assert answer.status_code == 200, answer.text
        return [p["process_id"] for p in answer.json()["processes"]]

    assert await ids("") == [b["process_id"], a["process_id"]]
    assert await ids("status=running") == [a["process_id"]]
    assert await ids("status=failed&sort=oldest") == [b["process_id"]]
    assert await ids("namespace=ops.backup") == [a["process_id"]]
    assert await ids(f"namespace={admin.org_id}.ops") == [b["process_id"], a["process_id"]]
    assert await ids("search=back") == [a["process_id"]]
    assert await ids("template_id=deploy") == [b["process_id"]]
    assert await ids("meta.env=prod") == [a["process_id"]]
    page = (await client.get("/api/v1/processes?limit=1&offset=1", headers=full)).json()
    assert (page["total"], page["limit"], page["offset"]) == (2, 1, 1)
    item = page["processes"][0]
    assert {
        "process_id",
        "namespace",
        "name",
        "status",
        "current_step",
        "started_at",
        "step_count",
        "task_ids",
    } <= set(item)
    assert item["step_count"] == 3
    for bad, field in (("meta.=x", "meta."), ("status=paused", "status"), ("limit=0", "limit")):
        answer = await client.get(f"/api/v1/processes?{bad}", headers=full)
        assert answer.status_code == 400 and answer.json()["details"][0]["field"] == field
    templates = (await client.get("/api/v1/processes/templates", headers=full)).json()["templates"]
    assert [(t["template_id"], t["count"]) for t in templates] == [("deploy", 1), ("backup", 1)]
    assert all(t["last_used_at"].endswith("Z") for t in templates)


async def test_scopes_read_needs_processes_read_and_write_takes_processes_write_or_tasks_create(
    client, make_token
):
    writer = {"Authorization": f"Bearer {make_token('processes:write')}"}
    creator = {"Authorization": f"Bearer {make_token('tasks:create')}"}
    reader = {"Authorization": f"Bearer {make_token('processes:read')}"}
    tasks_reader = {"Authorization": f"Bearer {make_token('tasks:read')}"}
    pid = (await _create(client, writer))["process_id"]
    assert (await _update(client, creator, pid, {"type": "step_started", "step": "build"})).status_code == 200
    assert (await client.post("/api/v1/processes", json=process_body(), headers=creator)).status_code == 201
    refused = await client.post("/api/v1/processes", json=process_body(), headers=reader)
    assert refused.status_code == 403 and refused.json()["required_scope"] == "processes:write"
    assert (await _update(client, tasks_reader, pid, {"type": "completed"})).status_code == 403
    for path in ("/api/v1/processes", "/api/v1/processes/templates", f"/api/v1/processes/{pid}"):
        assert (await client.get(path, headers=reader)).status_code == 200
        denied = await client.get(path, headers=writer)
        assert denied.status_code == 403 and denied.json()["required_scope"] == "processes:read"
    assert (await client.get("/api/v1/processes")).status_code == 401


async def test_another_organisations_process_is_404(client, full):
    pid = (await _create(client, full))["process_id"]
    eve = accounts.create_user("eve@other.test", "correct horse battery", org_name="Other")
    raw, _ = tokens.create_token(eve.id, "eve", ALL)
    theirs = {"Authorization": f"Bearer {raw}"}
    assert (await client.get(f"/api/v1/processes/{pid}", headers=theirs)).status_code == 404
    answer = await _update(client, theirs, pid, {"type": "completed"})
    assert answer.status_code == 404 and answer.json()["code"] == "process_not_found"
    task = await client.post("/api/v1/tasks", json=approval_task(pid), headers=theirs)
    assert task.status_code == 404 and task.json()["details"][0]["field"] == "process_id"
    assert (await client.get("/api/v1/processes", headers=theirs)).json()["total"] == 0
    assert (await client.get("/api/v1/processes/not-a-uuid", headers=full)).status_code == 404


async def test_tasks_join_steps_and_the_task_list_filters_by_process(client, full):
    pid = (await _create(client, full))["process_id"]
    task = await client.post("/api/v1/tasks", json=approval_task(pid), headers=full)
    assert task.status_code == 201, task.text
    task_id = task.json()["task_id"]
    await client.post("/api/v1/tasks", json=approval_task(None, None, title="elsewhere"), headers=full)
    listed = (await client.get(f"/api/v1/tasks?process_id={pid}", headers=full)).json()
    assert [t["task_id"] for t in listed["tasks"]] == [task_id]
    body = (await client.get(f"/api/v1/processes/{pid}", headers=full)).json()
    assert body["task_ids"] == [task_id] and body["timeline"][1]["task_id"] == task_id
    before = store_counts()
    unknown = await client.post("/api/v1/tasks", json=approval_task(pid, "nope"), headers=full)
    assert unknown.status_code == 400 and unknown.json()["details"][0]["field"] == "process_step"
    await _update(client, full, pid, {"type": "completed"})
    after_done = store_counts()
    finished = await client.post("/api/v1/tasks", json=approval_task(pid), headers=full)
    assert finished.status_code == 409 and finished.json()["details"][0]["field"] == "process_id"
    assert store_counts() == after_done and after_done["tasks"] == before["tasks"]


async def test_openapi_documents_every_process_route_with_bodies_and_errors(client):
    doc = (await client.get("/api/v1/openapi.json")).json()
    paths = doc["paths"]
    create = paths["/api/v1/processes"]["post"]
    assert "requestBody" in create and {"201", "400", "403", "409"} <= set(create["responses"])
    assert {"200", "400", "403"} <= set(paths["/api/v1/processes"]["get"]["responses"])
    assert "200" in paths["/api/v1/processes/templates"]["get"]["responses"]
    assert "404" in paths["/api/v1/processes/{process_id}"]["get"]["responses"]
    update = paths["/api/v1/processes/{process_id}/update"]["post"]
    assert "requestBody" in update and {"200", "400", "404", "409"} <= set(update["responses"])
    assert "process_id" in doc["components"]["schemas"]["TaskCreate"]["properties"]


def _sse(lines, count: int) -> list[dict]:
    out, current = [], {}
    for line in lines:
        if line == "" and current:
            out.append({**current, "data": json.loads(current["data"])})
            current = {}
            if len(out) == count:
                break
        elif line and not line.startswith(":"):
            key, _, value = line.partition(":")
            current[key] = value.strip()
    return out


async def test_process_changes_are_streamed_on_the_organisations_events(live_api, make_token):
    headers = {"Authorization": f"Bearer {make_token(ALL)}"}
    async with httpx.AsyncClient(base_url=live_api, timeout=10) as http:
        pid = (await _create(http, headers))["process_id"]
        await _update(http, headers, pid, {"type": "step_started", "step": "build"})
        await _update(http, headers, pid, {"type": "completed"})
        other = (await _create(http, headers))["process_id"]
        await _update(http, headers, other, {"type": "failed", "error": "boom"})
        got: list[dict] = []
        async with http.stream("GET", "/api/v1/events", headers={**headers, "Last-Event-ID": "0"}) as stream:
            async with asyncio.timeout(10):
                lines = []
                async for line in stream.aiter_lines():
                    lines.append(line)
                    got = _sse(lines, 5)
                    if len(got) == 5:
                        break
    assert [e["event"] for e in got] == [
        "process.created",
        "process.updated",
        "process.completed",
        "process.created",
        "process.failed",
    ]
    assert [e["data"]["process_id"] for e in got] == [pid, pid, pid, other, other]
    assert [e["data"]["status"] for e in got] == ["running", "running", "completed", "running", "failed"]
    assert got[1]["data"]["detail"] == {"type": "step_started", "step": "build"}


def test_the_official_sdk_drives_every_process_method(live_api, make_token):
    sdk = HPIClient(live_api, make_token(ALL))
    created = sdk.create_process(
        namespace="ops.sdk",
        name="SDK release",
        steps=[{"key": "build", "label": "Build"}, {"key": "approve", "label": "Approve", "human": True}],
        description="driven by aithericon-hpi",
        template_id="sdk-release",
        metadata={"team": "sdk"},
    )
    pid = created["process_id"]
    assert created["namespace"].endswith(".ops.sdk") and created["name"] == "SDK release"
    assert sdk.update_process(pid, {"type": "step_started", "step": "build"})["update_type"] == "step_started"
    sdk.update_process(pid, {"type": "progress", "step": "build", "message": "compiling", "percent": 30})
    sdk.update_process(pid, {"type": "step_completed", "step": "build"})
    task = sdk.create_task(
        title="Approve", steps=approval_task()["steps"], process_id=pid, process_step="approve"
    )
    got = sdk.get_process(pid)
    assert got["task_ids"] == [task["task_id"]] and got["timeline"][1]["task_id"] == task["task_id"]
    assert got["timeline"][0]["status"] == "completed" and got["timeline"][0]["progress_percent"] == 30
    assert [p["process_id"] for p in sdk.list_processes(template_id="sdk-release")["processes"]] == [pid]
    assert sdk.list_processes(metadata={"team": "sdk"}, status="running", namespace="ops.sdk")["total"] == 1
    assert sdk.list_processes(search="nothing like it")["total"] == 0
    assert sdk.list_tasks(process_id=pid)["total"] == 1
    assert sdk.list_process_templates()["templates"][0]["template_id"] == "sdk-release"
    with pytest.raises(HPIError) as bad:
        sdk.update_process(pid, {"type": "progress", "step": "ghost", "message": "m"})
    assert bad.value.status == 400 and bad.value.details[0]["field"] == "step"
    sdk.update_process(pid, {"type": "completed", "summary": "done"})
    with pytest.raises(HPIError) as finished:
        sdk.update_process(pid, {"type": "failed", "error": "late"})
    assert finished.value.status == 409
    with pytest.raises(HPIError) as missing:
        sdk.get_process(str(uuid.uuid4()))
    assert missing.value.status == 404
    with pytest.raises(HPIError) as taken:
        sdk.create_process(namespace="ops", name="again", steps=[{"key": "a", "label": "A"}], process_id=pid)
    assert taken.value.status == 409 and taken.value.details[0]["field"] == "process_id"
