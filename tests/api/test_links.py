"""``/api/v1/tasks/{id}/links``: another link, the list, withdrawing one; bad input writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from hpi_app.core import accounts, tokens
from hpi_app.db import session_scope
from hpi_app.models import Link, Task, TimelineEntry, utcnow
from tests.utils.bodies import seed_task
from tests.utils.links import CREATED_KEYS, LISTED_KEYS, links_written
from tests.utils.store import subject_rows

JSON = {"Content-Type": "application/json"}


async def _create(client, auth, **overrides) -> dict:
    answer = await client.post("/api/v1/tasks", json=seed_task(**overrides), headers=auth)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def test_an_empty_body_makes_a_link_that_opens_the_same_task(client, auth):
    task = await _create(client, auth)
    # The official SDK sends Content-Type: application/json and no body for a link with no fields.
    answer = await client.post(f"/api/v1/tasks/{task['task_id']}/links", headers={**auth, **JSON})
    assert answer.status_code == 201, answer.text
    link = answer.json()
    assert set(link) == CREATED_KEYS
    assert link["link_id"] != task["link_id"] and len(link["link_id"]) >= 22
    assert link["url"] == f"http://hpi.test/t/{link['link_id']}"
    assert link["requires_otp"] is False and link["assignee_email"] is None and link["expires_at"] is None
    with session_scope() as session:
        row = session.get(Link, link["link_id"])
    assert (row.subject_kind, row.subject_id, row.primary) == ("task", task["task_id"], False)
    # The task keeps its original link.
    got = (await client.get(f"/api/v1/tasks/{task['task_id']}", headers=auth)).json()
    assert got["link_id"] == task["link_id"]


async def test_assignee_rules_and_expiry_follow_task_create(client, auth, admin):
    member = accounts.create_user("bob@acme.test", "a long password", org_id=admin.org_id, name="Bob")
    task = await _create(client, auth)
    url = f"/api/v1/tasks/{task['task_id']}/links"

    external = (await client.post(url, json={"assignee_email": "Guest@Elsewhere.test"}, headers=auth)).json()
    assert external["requires_otp"] is True and external["assignee_email"] == "guest@elsewhere.test"

    waived = await client.post(
        url, json={"assignee_email": "g2@elsewhere.test", "require_otp": False}, headers=auth
    )
    assert waived.json()["requires_otp"] is False

    of_member = (await client.post(url, json={"assignee_email": member.email}, headers=auth)).json()
    assert of_member["requires_otp"] is False
    with session_scope() as session:
        row = session.get(Link, of_member["link_id"])
    assert (row.assignee_id, row.assignee_type) == (member.id, "member")

    before = utcnow()
    timed = (await client.post(url, json={"expires_in": 3600, "assignee_name": "Pat"}, headers=auth)).json()
    with session_scope() as session:
        row = session.get(Link, timed["link_id"])
    assert row.assignee_name == "Pat"
    assert before + timedelta(seconds=3590) < row.expires_at <= utcnow() + timedelta(seconds=3600)
    assert timed["expires_at"].endswith("Z")


async def test_the_list_puts_the_original_link_first(client, auth):
    task = await _create(client, auth, assignee_email="first@elsewhere.test")
    url = f"/api/v1/tasks/{task['task_id']}/links"
    second = (await client.post(url, json={"assignee_email": "second@elsewhere.test"}, headers=auth)).json()
    third = (await client.post(url, json={}, headers=auth)).json()

    answer = await client.get(url, headers=auth)
    assert answer.status_code == 200
    listed = answer.json()["links"]
    assert [row["link_id"] for row in listed] == [task["link_id"], second["link_id"], third["link_id"]]
    assert [row["primary"] for row in listed] == [True, False, False]
    first = listed[0]
    assert set(first) == LISTED_KEYS
    assert first["assignee_email"] == "first@elsewhere.test" and first["requires_otp"] is True
    assert first["url"] == task["url"] and first["revoked_at"] is None and first["opened_at"] is None


async def test_withdrawing_a_link_marks_it_and_answers_json(client, auth):
    task = await _create(client, auth)
    url = f"/api/v1/tasks/{task['task_id']}/links"
    extra = (await client.post(url, json={}, headers=auth)).json()

    answer = await client.delete(f"{url}?link_id={extra['link_id']}", headers={**auth, **JSON})
    assert answer.status_code == 200
    assert answer.json() == {"link_id": extra["link_id"], "revoked": True}
    listed = {row["link_id"]: row for row in (await client.get(url, headers=auth)).json()["links"]}
    assert listed[extra["link_id"]]["revoked_at"] is not None
    assert listed[task["link_id"]]["revoked_at"] is None
    kinds = [e.kind for e in _timeline(task["task_id"])]
    assert kinds == ["created", "link_created", "link_revoked"]

    # Again: the same answer, nothing more written.
    written = links_written()
    again = await client.delete(f"{url}?link_id={extra['link_id']}", headers=auth)
    assert again.status_code == 200 and again.json() == {"link_id": extra["link_id"], "revoked": True}
    assert links_written() == written


def _timeline(task_id: str) -> list[TimelineEntry]:
    return subject_rows(TimelineEntry, task_id, TimelineEntry.id)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"assignee_email": "not-an-address"}, "assignee_email"),
        ({"expires_in": 30}, "expires_in"),
        ({"expires_in": 2_592_001}, "expires_in"),
        ({"expires_in": "soon"}, "expires_in"),
        ({"require_otp": True}, "require_otp"),
        ({"assignee_name": "x" * 201}, "assignee_name"),
    ],
)
async def test_bad_input_names_the_field_and_writes_nothing(client, auth, body, field):
    task = await _create(client, auth)
    written = links_written()
    answer = await client.post(f"/api/v1/tasks/{task['task_id']}/links", json=body, headers=auth)
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert set(error) >= {"error", "code", "details"}
    assert [d["field"] for d in error["details"]] == [field]
    assert links_written() == written


async def test_a_finished_task_gets_no_new_link(client, auth):
    task = await _create(client, auth)
    await client.post(f"/api/v1/tasks/{task['task_id']}/cancel", headers=auth)
    written = links_written()
    answer = await client.post(f"/api/v1/tasks/{task['task_id']}/links", json={}, headers=auth)
    assert answer.status_code == 409
    assert answer.json()["code"] == "task_cancelled"
    assert links_written() == written


async def test_an_overdue_task_is_expired_instead_of_given_a_link(client, auth):
    task = await _create(client, auth, expires_in=60)
    with session_scope(write=True) as session:
        row = session.get(Task, task["task_id"])
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    answer = await client.post(f"/api/v1/tasks/{task['task_id']}/links", json={}, headers=auth)
    assert answer.status_code == 409 and answer.json()["code"] == "task_expired"
    with session_scope() as session:
        links = session.exec(select(Link).where(Link.subject_id == task["task_id"])).all()
    assert [link.primary for link in links] == [True]


async def test_another_organisations_task_and_links_are_404(client, auth):
    stranger = accounts.create_user("eve@other.test", "another password", org_name="Other")
    raw, _ = tokens.create_token(stranger.id, "eve", "tasks:create,tasks:read")
    theirs = await _create(client, {"Authorization": f"Bearer {raw}"})
    ours = await _create(client, auth)
    written = links_written()

    for answer in [
        await client.post(f"/api/v1/tasks/{theirs['task_id']}/links", json={}, headers=auth),
        await client.get(f"/api/v1/tasks/{theirs['task_id']}/links", headers=auth),
        await client.delete(
            f"/api/v1/tasks/{theirs['task_id']}/links?link_id={theirs['link_id']}", headers=auth
        ),
        await client.post("/api/v1/tasks/not-a-task/links", json={}, headers=auth),
    ]:
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "task_not_found"

    # Their link named on our task: no such link of this task.
    crossed = await client.delete(
        f"/api/v1/tasks/{ours['task_id']}/links?link_id={theirs['link_id']}", headers=auth
    )
    assert crossed.status_code == 404
    assert crossed.json()["code"] == "link_not_found"
    assert [d["field"] for d in crossed.json()["details"]] == ["link_id"]
    assert links_written() == written
    with session_scope() as session:
        assert session.get(Link, theirs["link_id"]).revoked_at is None


async def test_withdrawing_needs_a_known_link_id(client, auth):
    task = await _create(client, auth)
    url = f"/api/v1/tasks/{task['task_id']}/links"
    written = links_written()

    missing = await client.delete(url, headers=auth)
    assert missing.status_code == 400
    assert [d["field"] for d in missing.json()["details"]] == ["link_id"]

    unknown = await client.delete(f"{url}?link_id=no-such-link", headers=auth)
    assert unknown.status_code == 404 and unknown.json()["code"] == "link_not_found"
    assert links_written() == written


async def test_scopes_guard_each_route(client, make_token):
    task_token = make_token()
    task = await _create(client, {"Authorization": f"Bearer {task_token}"})
    read_only = {"Authorization": f"Bearer {make_token('tasks:read')}"}
    create_only = {"Authorization": f"Bearer {make_token('tasks:create')}"}
    url = f"/api/v1/tasks/{task['task_id']}/links"

    assert (await client.post(url, json={}, headers=read_only)).status_code == 403
    assert (await client.delete(f"{url}?link_id={task['link_id']}", headers=read_only)).status_code == 403
    assert (await client.get(url, headers=create_only)).status_code == 403
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers=read_only)).status_code == 200


async def test_openapi_documents_the_link_routes(client):
    spec = (await client.get("/api/v1/openapi.json")).json()
    path = spec["paths"]["/api/v1/tasks/{task_id}/links"]
    assert set(path) == {"post", "get", "delete"}
    assert {"201", "400", "404", "409"} <= set(path["post"]["responses"])
    assert {"200", "400", "404"} <= set(path["delete"]["responses"])
    assert any(p["name"] == "link_id" and p["in"] == "query" for p in path["delete"]["parameters"])
    body = path["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "LinkCreate" in str(body)
    assert "LinkList" in str(path["get"]["responses"]["200"])
