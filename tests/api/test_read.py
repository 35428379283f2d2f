"""GET /api/v1/tasks and /tasks/{id}; JSON 404s; the OpenAPI document."""

from __future__ import annotations

import uuid

from hpi_app.core import tasks
from tests.utils.bodies import seed_task


async def _create(client, auth, **overrides) -> str:
    answer = await client.post("/api/v1/tasks", json=seed_task(**overrides), headers=auth)
    assert answer.status_code == 201, answer.text
    return answer.json()["task_id"]


async def test_get_returns_the_task_object(client, auth, admin):
    task_id = await _create(
        client, auth, corr_id="deploy-7", payload={"sha": "abc"}, metadata={"env": "prod"}
    )
    task = (await client.get(f"/api/v1/tasks/{task_id}?include_definition=true", headers=auth)).json()
    expected_keys = {
        "task_id",
        "org_id",
        "title",
        "instructions_mdsvex",
        "steps",
        "status",
        "created_at",
        "completed_at",
        "completed_by",
        "data",
        "payload",
        "metadata",
        "cancelled_at",
        "cancel_reason",
        "assignee_id",
        "assignee_type",
        "created_by",
        "correlation_key",
        "corr_id",
        "template_id",
        "process_id",
        "process_step",
        "link_id",
        "url",
        "requires_otp",
        "duration_ms",
        "expires_at",
        "expired_at",
        "reminders",
        "escalation",
        "on_expire",
        "reminded_count",
        "escalated_count",
    }
    assert set(task) == expected_keys
    assert task["status"] == "pending"
    assert task["data"] is None
    assert task["correlation_key"] == task["corr_id"] == "deploy-7"
    assert task["payload"] == {"sha": "abc"}
    assert task["metadata"] == {"env": "prod"}
    assert task["created_by"] == admin.id
    assert task["org_id"] == admin.org_id
    assert task["steps"][0]["blocks"][1]["field"]["name"] == "decision"
    # Without include_definition (HPI's default) the definition is left out, not null.
    plain = (await client.get(f"/api/v1/tasks/{task_id}", headers=auth)).json()
    assert set(plain) == expected_keys - {"steps", "instructions_mdsvex"}


async def test_get_after_completion_has_data(client, auth):
    task_id = await _create(client, auth)
    tasks.complete_task(
        task_id, {"decision": "Approve", "comments": "Looks good, ship it!"}, actor="a@b.test"
    )
    task = (await client.get(f"/api/v1/tasks/{task_id}", headers=auth)).json()
    assert task["status"] == "completed"
    assert task["data"] == {"decision": "Approve", "comments": "Looks good, ship it!"}
    assert task["completed_at"] is not None
    assert task["duration_ms"] >= 0


async def test_unknown_task_is_a_json_404(client, auth):
    for task_id in (str(uuid.uuid4()), "not-a-uuid"):
        answer = await client.get(f"/api/v1/tasks/{task_id}", headers=auth)
        assert answer.status_code == 404
        assert answer.json()["code"] == "task_not_found"


async def test_unknown_api_path_is_a_json_404(client, auth):
    for path in ("/api/v1/nope", "/api/v2/tasks", "/api/whatever/deep/path"):
        answer = await client.get(path, headers=auth)
        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("application/json")
        assert answer.json()["code"] == "not_found"


async def test_list_filters_sorts_and_pages(client, auth, admin):
    ids = [await _create(client, auth, title=f"Deploy {n}") for n in range(5)]
    await _create(client, auth, title="Rotate keys", assignee_member_id="me")
    tasks.complete_task(ids[0], {"decision": "Approve"})
    listing = (await client.get("/api/v1/tasks", headers=auth)).json()
    assert listing["total"] == 6 and listing["limit"] == 50 and listing["offset"] == 0
    assert listing["tasks"][0]["title"] == "Rotate keys"
    oldest = (await client.get("/api/v1/tasks?sort=oldest&limit=2", headers=auth)).json()
    assert [t["task_id"] for t in oldest["tasks"]] == ids[:2]
    assert oldest["total"] == 6
    page = (await client.get("/api/v1/tasks?sort=oldest&limit=2&offset=2", headers=auth)).json()
    assert [t["task_id"] for t in page["tasks"]] == ids[2:4]
    pending = (await client.get("/api/v1/tasks?status=pending", headers=auth)).json()
    assert pending["total"] == 5
    done = (await client.get("/api/v1/tasks?status=completed", headers=auth)).json()
    assert [t["task_id"] for t in done["tasks"]] == [ids[0]]
    search = (await client.get("/api/v1/tasks?search=ROTATE", headers=auth)).json()
    assert [t["title"] for t in search["tasks"]] == ["Rotate keys"]
    mine = (await client.get("/api/v1/tasks?assignee=me", headers=auth)).json()
    assert [t["title"] for t in mine["tasks"]] == ["Rotate keys"]
    by_id = (await client.get(f"/api/v1/tasks?assignee={admin.id}", headers=auth)).json()
    assert by_id["total"] == 1
    unassigned = (await client.get("/api/v1/tasks?unassigned=true", headers=auth)).json()
    assert unassigned["total"] == 5


async def test_search_treats_wildcards_literally(client, auth):
    await _create(client, auth, title="100% done")
    await _create(client, auth, title="1000 rows")
    found = (await client.get("/api/v1/tasks", params={"search": "100%"}, headers=auth)).json()
    assert [t["title"] for t in found["tasks"]] == ["100% done"]


async def test_list_rejects_bad_parameters(client, auth):
    for query, field in (
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("offset=-1", "offset"),
        ("sort=sideways", "sort"),
        ("status=finished", "status"),
        ("unassigned=perhaps", "unassigned"),
    ):
        answer = await client.get(f"/api/v1/tasks?{query}", headers=auth)
        assert answer.status_code == 400, query
        assert [d["field"] for d in answer.json()["details"]] == [field], query


async def test_openapi_document_and_docs_page(client):
    doc = (await client.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/tasks" in doc["paths"]
    assert "/api/v1/tasks/{task_id}/wait" in doc["paths"]
    docs = await client.get("/api/v1/docs")
    assert docs.status_code == 200 and "openapi.json" in docs.text
