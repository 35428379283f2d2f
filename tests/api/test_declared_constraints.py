"""Each constraint the OpenAPI document declares is the one the server enforces.

For every case: a value the declared schema allows is accepted, one it forbids is refused with
400 naming its JSON path. The schema side is checked with a JSON Schema validator over the
served document, so a constraint that drifts from its check fails here.
"""

from __future__ import annotations

import copy
import uuid

import pytest
from jsonschema import Draft202012Validator

from hpi_app.api.app import create_api
from tests.utils.bodies import seed_task

DOCUMENT = create_api().openapi()


def _valid_for(component: str, body: dict) -> bool:
    schema = {"$ref": f"#/components/schemas/{component}", "components": DOCUMENT["components"]}
    return Draft202012Validator(schema).is_valid(body)


def _with(path: tuple, value: object) -> dict:
    body = copy.deepcopy(seed_task())
    body["steps"][0]["blocks"].append({"type": "image", "url": "/api/v1/files/x.png"})
    body["steps"][0]["blocks"].append(
        {"type": "input", "field": {"name": "sig", "label": "Sign", "kind": "signature", "required": False}}
    )
    target = body
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return body


# (JSON path as sent back in details, where in the body, allowed value, forbidden value)
BODY_CASES = [
    ("title", ("title",), "Ship it", "   "),
    ("title", ("title",), "t" * 200, "t" * 201),
    ("steps[0].id", ("steps", 0, "id"), "s" * 100, "s" * 101),
    ("steps[0].id", ("steps", 0, "id"), "a b", "\t"),
    ("steps[0].title", ("steps", 0, "title"), "Review", "\u3000"),
    (
        "steps[0].blocks[1].field.name",
        ("steps", 0, "blocks", 1, "field", "name"),
        "the_decision-1",
        "the decision",
    ),
    (
        "steps[0].blocks[3].url",
        ("steps", 0, "blocks", 3, "url"),
        "https://example.com/a.png",
        "//evil.example/a.png",
    ),
    (
        "steps[0].blocks[3].url",
        ("steps", 0, "blocks", 3, "url"),
        "/api/v1/files/a.png",
        "javascript:alert(1)",
    ),
    (
        "steps[0].blocks[4].field.pen_color",
        ("steps", 0, "blocks", 4, "field", "pen_color"),
        "rgb(0, 0, 0)",
        "url(x)",
    ),
    ("task_id", ("task_id",), str(uuid.uuid4()), "{" + str(uuid.uuid4()) + "}"),
    ("assignee_email", ("assignee_email",), "pat@example.com", "pat@example"),
    ("expires_in", ("expires_in",), 60.0, "60"),
    ("expires_in", ("expires_in",), 2_592_000, 2_592_001),
    ("reminders.after", ("reminders",), {"after": 60}, {"after": 59}),
    ("reminders.after", ("reminders",), {"after": 60.0}, {"after": "60"}),
    ("reminders.every", ("reminders",), {"after": 60, "every": 300}, {"after": 60, "every": 299}),
    (
        "reminders.max",
        ("reminders",),
        {"after": 60, "every": 300, "max": 20},
        {"after": 60, "every": 300, "max": 21},
    ),
    ("reminders.max", ("reminders",), {"after": 60, "max": 1}, {"after": 60, "max": 2}),
    (
        "escalation[0].notify[0]",
        ("escalation",),
        [{"after": 60, "notify": ["Ops@Example.com"]}],
        [{"after": 60, "notify": ["ops"]}],
    ),
    (
        "escalation[0].notify",
        ("escalation",),
        [{"after": 60, "notify": ["a@b.co"]}],
        [{"after": 60, "notify": []}],
    ),
    (
        "escalation[0].reassign_to",
        ("escalation",),
        [{"after": 60, "reassign_to": "me"}],
        [{"after": 60, "reassign_to": "you"}],
    ),
    (
        "escalation[0].after",
        ("escalation",),
        [{"after": 2_592_000, "notify": ["a@b.co"]}],
        [{"after": 30, "notify": ["a@b.co"]}],
    ),
    ("on_expire", ("on_expire",), {"action": "expire"}, {"action": "cancel"}),
    (
        "on_expire.reason",
        ("on_expire",),
        {"action": "expire", "reason": None},
        {"action": "expire", "reason": "late"},
    ),
    ("on_expire.data", ("on_expire",), {"action": "expire"}, {"action": "expire", "data": {}}),
    ("on_expire.action", ("on_expire",), {"action": "expire"}, {"action": "explode"}),
    ("steps[0].blocks[1].field.required", ("steps", 0, "blocks", 1, "field", "required"), False, 0),
    (
        "sinks[0].subject",
        ("sinks",),
        [{"type": "nats", "subject": "hpi.tasks"}],
        [{"type": "nats", "subject": "a b"}],
    ),
    (
        "sinks[0].to",
        ("sinks",),
        [{"type": "email", "to": "ops@example.com"}],
        [{"type": "email", "to": "ops"}],
    ),
    (
        "sinks[0].url",
        ("sinks",),
        [{"type": "webhook", "url": "https://example.com/h"}],
        [{"type": "webhook", "url": "ftp://x"}],
    ),
]


@pytest.mark.parametrize(("field", "where", "allowed", "forbidden"), BODY_CASES)
async def test_create_body_constraint_is_the_servers(client, auth, field, where, allowed, forbidden):
    good, bad = _with(where, allowed), _with(where, forbidden)
    assert _valid_for("TaskCreate", good), f"the schema refuses {allowed!r}"
    assert not _valid_for("TaskCreate", bad), f"the schema allows {forbidden!r}"
    accepted = await client.post("/api/v1/tasks", json=good, headers=auth)
    assert accepted.status_code == 201, accepted.text
    refused = await client.post("/api/v1/tasks", json=bad, headers=auth)
    assert refused.status_code == 400, refused.text
    assert field in [d["field"] for d in refused.json()["details"]]


def _parameter(path: str, method: str, name: str) -> dict:
    parameters = DOCUMENT["paths"][path][method]["parameters"]
    return next(p["schema"] for p in parameters if p["name"] == name)


@pytest.mark.parametrize(
    ("path", "name", "allowed", "forbidden"),
    [
        ("/api/v1/tasks", "status", "pending,done", "pending, done"),
        ("/api/v1/tasks", "status", "", "open"),
        ("/api/v1/processes", "status", "running,finished", "RUNNING"),
    ],
)
async def test_status_filter_pattern_is_the_servers(client, make_token, path, name, allowed, forbidden):
    headers = {"Authorization": f"Bearer {make_token('tasks:read,processes:read')}"}
    validator = Draft202012Validator(_parameter(path, "get", name))
    assert validator.is_valid(allowed) and not validator.is_valid(forbidden)
    assert (await client.get(path, params={name: allowed}, headers=headers)).status_code == 200
    refused = await client.get(path, params={name: forbidden}, headers=headers)
    assert refused.status_code == 400
    assert [d["field"] for d in refused.json()["details"]] == [name]


@pytest.mark.parametrize(
    ("allowed", "forbidden"), [("retry-1 of 3", " retry"), ("k" * 255, "k" * 256), ("x", "")]
)
async def test_idempotency_key_pattern_is_the_servers(client, auth, allowed, forbidden):
    validator = Draft202012Validator(_parameter("/api/v1/tasks", "post", "Idempotency-Key"))
    assert validator.is_valid(allowed) and not validator.is_valid(forbidden)
    accepted = await client.post(
        "/api/v1/tasks", json=seed_task(), headers={**auth, "Idempotency-Key": allowed}
    )
    assert accepted.status_code == 201
    refused = await client.post(
        "/api/v1/tasks", json=seed_task(), headers={**auth, "Idempotency-Key": forbidden}
    )
    assert refused.status_code == 400
    assert [d["field"] for d in refused.json()["details"]] == ["Idempotency-Key"]


@pytest.mark.parametrize(("allowed", "forbidden"), [("reports_2026", "re/ports"), ("", "f" * 65)])
async def test_upload_folder_pattern_is_the_servers(client, auth, allowed, forbidden):
    schema = DOCUMENT["components"]["schemas"]["Body_upload_file_api_v1_files_post"]["properties"]["folder"]
    validator = Draft202012Validator(schema)
    assert validator.is_valid(allowed) and not validator.is_valid(forbidden)
    files = {"file": ("a.txt", b"hello", "text/plain")}
    accepted = await client.post("/api/v1/files", files=files, data={"folder": allowed}, headers=auth)
    assert accepted.status_code == 201, accepted.text
    refused = await client.post("/api/v1/files", files=files, data={"folder": forbidden}, headers=auth)
    assert refused.status_code == 400
    assert [d["field"] for d in refused.json()["details"]] == ["folder"]


async def test_wait_timeout_bounds_are_the_servers(client, auth):
    schema = _parameter("/api/v1/tasks/{task_id}/wait", "get", "timeout")
    assert not Draft202012Validator(schema).is_valid(301) and Draft202012Validator(schema).is_valid(0)
    task_id = (await client.post("/api/v1/tasks", json=seed_task(), headers=auth)).json()["task_id"]
    assert (await client.get(f"/api/v1/tasks/{task_id}/wait?timeout=0", headers=auth)).status_code == 408
    refused = await client.get(f"/api/v1/tasks/{task_id}/wait?timeout=301", headers=auth)
    assert refused.status_code == 400
    assert [d["field"] for d in refused.json()["details"]] == ["timeout"]


async def test_revoking_a_link_needs_its_id(client, auth):
    assert _parameter("/api/v1/tasks/{task_id}/links", "delete", "link_id")["minLength"] == 1
    task_id = (await client.post("/api/v1/tasks", json=seed_task(), headers=auth)).json()["task_id"]
    refused = await client.delete(f"/api/v1/tasks/{task_id}/links?link_id=", headers=auth)
    assert refused.status_code == 400
    assert [d["field"] for d in refused.json()["details"]] == ["link_id"]


def test_require_otp_needs_an_assignee_in_the_schema_too():
    body = {**seed_task(), "require_otp": True}
    assert not _valid_for("TaskCreate", body)
    assert _valid_for("TaskCreate", {**body, "assignee_email": "pat@example.com"})
    assert not _valid_for(
        "TaskCreate", {**body, "assignee_email": "pat@example.com", "assignee_member_id": "me"}
    )
    assert not _valid_for("LinkCreate", {"require_otp": True})
    assert _valid_for("LinkCreate", {"require_otp": True, "assignee_email": "pat@example.com"})


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("POST", "/api/v1/tasks", {**seed_task(), "title": "a\x00b"}, "title"),
        ("POST", "/api/v1/tasks", {**seed_task(), "metadata": {"k\x00": "v"}}, 'metadata["k\\u0000"]'),
        (
            "POST",
            "/api/v1/processes",
            {"namespace": "n", "name": "x\x00", "steps": [{"key": "a", "label": "A"}]},
            "name",
        ),
        ("GET", "/api/v1/tasks?search=a%00b", None, "search"),
        ("GET", "/api/v1/tasks/%00", None, "path"),
    ],
)
async def test_nul_characters_are_refused_on_every_store(client, make_token, method, url, body, field):
    # PostgreSQL text cannot hold NUL: refused up front, the same on SQLite.
    headers = {"Authorization": f"Bearer {make_token('tasks:create,tasks:read,processes:write')}"}
    answer = await client.request(method, url, json=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert [d["field"] for d in answer.json()["details"]] == [field]
