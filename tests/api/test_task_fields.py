"""Create fields and list filters of SPEC §10, include_definition, and the SDK's mislabelled upload."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from hpi_app.core import accounts
from hpi_app.db import session_scope
from hpi_app.models import StoredFile
from tests.utils.bodies import seed_task
from tests.utils.task_routes import store_counts


async def _create(client, auth, **overrides) -> dict:
    answer = await client.post("/api/v1/tasks", json=seed_task(**overrides), headers=auth)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _get(client, auth, task_id: str, query: str = "") -> dict:
    answer = await client.get(f"/api/v1/tasks/{task_id}{query}", headers=auth)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _ids(client, auth, query: str) -> set[str]:
    answer = await client.get(f"/api/v1/tasks?{query}", headers=auth)
    assert answer.status_code == 200, answer.text
    return {t["task_id"] for t in answer.json()["tasks"]}


async def test_template_id_and_correlation_key_are_stored_and_shown(client, auth):
    one = (await _create(client, auth, template_id="deploy", correlation_key="run-1"))["task_id"]
    two = (await _create(client, auth, corr_id="run-2", correlation_key="run-2"))["task_id"]
    task = await _get(client, auth, one)
    assert task["template_id"] == "deploy"
    assert task["correlation_key"] == task["corr_id"] == "run-1"
    assert (await _get(client, auth, two))["corr_id"] == "run-2"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"corr_id": "a", "correlation_key": "b"}, "correlation_key"),
        ({"template_id": "t" * 101}, "template_id"),
        ({"template_id": ""}, "template_id"),
        ({"require_otp": True}, "require_otp"),
        ({"require_otp": "sometimes"}, "require_otp"),
        ({"org_id": 7}, "org_id"),
    ],
)
async def test_bad_create_fields_are_400_naming_them_and_write_nothing(client, auth, overrides, field):
    before = store_counts()
    answer = await client.post("/api/v1/tasks", json=seed_task(**overrides), headers=auth)
    assert answer.status_code == 400, answer.text
    assert [d["field"] for d in answer.json()["details"]] == [field]
    assert store_counts() == before


async def test_org_id_must_be_the_tokens_organisation(client, auth, admin):
    other = accounts.create_user("eve@other.test", "another password", org_name="Other")
    before = store_counts()
    answer = await client.post("/api/v1/tasks", json=seed_task(org_id=other.org_id), headers=auth)
    assert answer.status_code == 403 and answer.json()["code"] == "org_mismatch"
    assert [d["field"] for d in answer.json()["details"]] == ["org_id"]
    assert store_counts() == before
    own = await _create(client, auth, org_id=admin.org_id)
    assert (await _get(client, auth, own["task_id"]))["org_id"] == admin.org_id


async def test_require_otp_overrides_the_rule(client, auth, admin):
    accounts.create_user("bob@acme.test", "bob's password", org_id=admin.org_id)
    member_forced = await _create(client, auth, assignee_email="bob@acme.test", require_otp=True)
    assert member_forced["requires_otp"] is True
    member_default = await _create(client, auth, assignee_member_id="me")
    assert member_default["requires_otp"] is False
    external_waived = await _create(client, auth, assignee_email="ext@example.com", require_otp=False)
    assert external_waived["requires_otp"] is False
    assert (await _get(client, auth, external_waived["task_id"]))["assignee_type"] == "external"
    external_default = await _create(client, auth, assignee_email="ext@example.com")
    assert external_default["requires_otp"] is True
    unassigned_waived = await _create(client, auth, require_otp=False)
    assert unassigned_waived["requires_otp"] is False


async def test_list_filters(client, auth):
    a = (
        await _create(
            client, auth, correlation_key="k1", template_id="t1", metadata={"env": "prod", "team": "x"}
        )
    )["task_id"]
    b = (await _create(client, auth, corr_id="k2", template_id="t1", metadata={"env": "prod", "team": "y"}))[
        "task_id"
    ]
    c = (await _create(client, auth, template_id="t2", metadata={"env": "dev", "a b.c": "q"}))["task_id"]
    d = (await _create(client, auth))["task_id"]
    assert await _ids(client, auth, "correlation_key=k1") == {a}
    assert await _ids(client, auth, "corr_id=k2") == {b}
    assert await _ids(client, auth, "template_id=t1") == {a, b}
    assert await _ids(client, auth, "meta.env=prod") == {a, b}
    assert await _ids(client, auth, "meta.env=prod&meta.team=y") == {b}
    assert await _ids(client, auth, "meta.env=prod&meta.team=z") == set()
    assert await _ids(client, auth, "meta.a%20b.c=q") == {c}
    assert await _ids(client, auth, "meta.env=dev&template_id=t2") == {c}
    assert await _ids(client, auth, "") == {a, b, c, d}
    listed = (await client.get("/api/v1/tasks?template_id=t1", headers=auth)).json()
    assert listed["total"] == 2 and all("steps" not in t for t in listed["tasks"])
    full = (await client.get("/api/v1/tasks?template_id=t1&include_definition=true", headers=auth)).json()
    assert all(t["steps"][0]["id"] == "approval" and "instructions_mdsvex" in t for t in full["tasks"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("meta.=x", "meta."),
        ('meta.a"b=x', 'meta.a"b'),
        ("template_id=" + "t" * 101, "template_id"),
        ("include_definition=perhaps", "include_definition"),
    ],
)
async def test_bad_list_filters_are_400_naming_them(client, auth, query, field):
    answer = await client.get(f"/api/v1/tasks?{query}", headers=auth)
    assert answer.status_code == 400, answer.text
    assert [d["field"] for d in answer.json()["details"]] == [field]


async def test_include_definition_on_get_and_wait(client, auth):
    task_id = (await _create(client, auth, instructions_mdsvex="Read **this**"))["task_id"]
    plain = await _get(client, auth, task_id)
    assert "steps" not in plain and "instructions_mdsvex" not in plain
    full = await _get(client, auth, task_id, "?include_definition=true")
    assert full["instructions_mdsvex"] == "Read **this**" and full["steps"][0]["id"] == "approval"
    await client.post(f"/api/v1/tasks/{task_id}/cancel", headers=auth)
    waited = (await client.get(f"/api/v1/tasks/{task_id}/wait?timeout=1", headers=auth)).json()
    assert waited["status"] == "cancelled" and "steps" not in waited
    waited_full = (
        await client.get(f"/api/v1/tasks/{task_id}/wait?include_definition=true", headers=auth)
    ).json()
    assert waited_full["steps"][0]["id"] == "approval"


async def test_templates_is_a_path_not_a_task_id(client, auth):
    answer = await client.get("/api/v1/tasks/templates", headers=auth)
    assert answer.status_code == 200 and answer.json() == {"templates": []}
    assert (await client.get(f"/api/v1/tasks/{uuid.uuid4()}", headers=auth)).status_code == 404


def _stored_files() -> int:
    with session_scope() as session:
        return len(session.exec(select(StoredFile)).all())


async def test_a_multipart_body_labelled_json_is_an_upload(client, auth):
    # What the SDK sends: the client's default Content-Type stays on the multipart body.
    mislabelled = {**auth, "Content-Type": "application/json"}
    answer = await client.post(
        "/api/v1/files", files={"file": ("notes.txt", b"hello there", "text/plain")}, headers=mislabelled
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["name"] == "notes.txt" and body["size"] == 11 and body["type"] == "text/plain"
    got = await client.get(f"/api/v1/files/{body['key']}", headers=auth)
    assert got.content == b"hello there"


@pytest.mark.parametrize(
    ("content", "ctype"),
    [
        (b'{"file": "not a file"}', "application/json"),
        (b"", "application/json"),
        (b"--not a boundary line", "application/json"),
        (b'--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--b--\r\n', "application/json"),
    ],
)
async def test_what_is_not_a_file_is_still_refused(client, auth, content, ctype):
    before = _stored_files()
    answer = await client.post("/api/v1/files", content=content, headers={**auth, "Content-Type": ctype})
    assert answer.status_code == 400, answer.text
    assert [d["field"] for d in answer.json()["details"]] == ["file"]
    assert _stored_files() == before
