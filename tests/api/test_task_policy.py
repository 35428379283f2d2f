"""The task policy over the API: bad reminders/escalation/on_expire bodies, and PATCH /tasks/{id}."""

from __future__ import annotations

from datetime import datetime

import pytest

from hpi_app.core import accounts, links
from hpi_app.models import ScheduledAction, utcnow
from tests.utils.bodies import seed_task
from tests.utils.policy import actions, short_delays_fixture  # noqa: F401
from tests.utils.store import row_counts
from tests.utils.task_routes import smtp_server, store_counts, timeline_kinds

TASKS = "/api/v1/tasks"


def _written() -> dict[str, int]:
    return store_counts() | row_counts(ScheduledAction)


@pytest.fixture
def outsider(store):
    """A member of another organisation."""
    return accounts.create_user("eve@other.test", "correct horse battery", role="admin", org_name="Other")


BAD_BODIES = [
    ({"reminders": {"after": 0}}, "reminders.after"),
    ({"reminders": {"every": 300}}, "reminders.after"),
    ({"reminders": {"after": 60, "every": 4}}, "reminders.every"),
    ({"reminders": {"after": 60, "every": 300, "max": 21}}, "reminders.max"),
    ({"reminders": {"after": 60, "every": 300, "max": 0}}, "reminders.max"),
    ({"reminders": {"after": 60, "max": 3}}, "reminders.max"),
    ({"escalation": [{"after": 60, "notify": ["bob"]}]}, "escalation[0].notify[0]"),
    ({"escalation": [{"after": 60, "reassign_to": "not a person"}]}, "escalation[0].reassign_to"),
    ({"escalation": [{"after": 60}]}, "escalation[0].notify"),
    (
        {"escalation": [{"after": 120, "notify": ["a@b.test"]}, {"after": 60, "notify": ["a@b.test"]}]},
        "escalation[1].after",
    ),
    (
        {"expires_in": 60, "on_expire": {"action": "complete", "data": {"decision": "Maybe"}}},
        "on_expire.data.decision",
    ),
    ({"expires_in": 60, "on_expire": {"action": "complete"}}, "on_expire.data.decision"),
    ({"on_expire": {"action": "cancel", "reason": "late"}}, "on_expire"),
    ({"expires_in": 60, "on_expire": {"action": "explode"}}, "on_expire.action"),
    ({"expires_in": 60, "on_expire": {"action": "expire", "data": {}}}, "on_expire.data"),
    ({"expires_in": 0}, "expires_in"),
]


@pytest.mark.parametrize(("extra", "field"), BAD_BODIES)
async def test_a_bad_policy_is_400_naming_the_field_and_writes_nothing(
    client, auth, short_delays, extra, field
):
    before = _written()
    answer = await client.post(TASKS, json=seed_task(**extra), headers=auth)
    assert answer.status_code == 400, answer.text
    assert field in [d["field"] for d in answer.json()["details"]]
    assert _written() == before


async def test_escalation_members_must_be_the_organisations(client, auth, outsider, short_delays):
    before = _written()
    for step, field in (
        ({"after": 60, "reassign_to": outsider.id}, "escalation[0].reassign_to"),
        ({"after": 60, "notify": ["a@b.test", outsider.id]}, "escalation[0].notify[1]"),
    ):
        answer = await client.post(TASKS, json=seed_task(escalation=[step]), headers=auth)
        assert answer.status_code == 400
        assert [d["field"] for d in answer.json()["details"]] == [field]
    assert _written() == before


async def test_the_minimum_delay_is_60_seconds_by_default(client, auth):
    answer = await client.post(TASKS, json=seed_task(reminders={"after": 59}), headers=auth)
    assert answer.status_code == 400
    assert answer.json()["details"] == [
        {"field": "reminders.after", "message": "must be at least 60 seconds"}
    ]
    answer = await client.post(TASKS, json=seed_task(expires_in=59), headers=auth)
    assert [d["field"] for d in answer.json()["details"]] == ["expires_in"]


async def test_a_policy_is_stored_planned_and_shown(client, auth, admin, short_delays):
    body = seed_task(
        reminders={"after": 60, "every": 300},
        escalation=[{"after": 600, "notify": ["ops@acme.test"], "reassign_to": "me"}],
        expires_in=3600,
        on_expire={"action": "complete", "data": {"decision": "Approve"}},
    )
    created = await client.post(TASKS, json=body, headers=auth)
    assert created.status_code == 201, created.text
    task_id = created.json()["task_id"]
    shown = (await client.get(f"{TASKS}/{task_id}", headers=auth)).json()
    assert shown["reminders"] == {"after": 60, "every": 300, "max": 3}
    assert shown["escalation"] == [{"after": 600, "notify": ["ops@acme.test"], "reassign_to": admin.id}]
    assert shown["on_expire"] == {"action": "complete", "data": {"decision": "Approve"}}
    assert (shown["reminded_count"], shown["escalated_count"]) == (0, 0)
    planned = [(a.kind, a.seq, round((a.due_at - a.created_at).total_seconds())) for a in actions(task_id)]
    assert planned == [("remind", 1, 60), ("escalate", 0, 600)]


async def _create(client, auth, **extra) -> str:
    answer = await client.post(TASKS, json=seed_task(**extra), headers=auth)
    assert answer.status_code == 201, answer.text
    return answer.json()["task_id"]


async def test_patch_reassigns_to_an_outsider_with_a_link_of_their_own(client, auth, admin):
    task_id = await _create(client, auth, assignee_email="first@elsewhere.test")
    old = links.list_links(admin.org_id, task_id)[0]
    answer = await client.patch(
        f"{TASKS}/{task_id}", json={"assignee_email": "Second@Elsewhere.test"}, headers=auth
    )
    assert answer.status_code == 200, answer.text
    task = answer.json()
    assert task["link_id"] != old.id and task["requires_otp"] is True and task["assignee_type"] == "external"
    rows = {link.id: link for link in links.list_links(admin.org_id, task_id)}
    assert rows[old.id].revoked_at is not None and not rows[old.id].primary
    new = rows[task["link_id"]]
    assert new.primary and new.assignee_email == "second@elsewhere.test" and new.requires_otp
    assert new.revoked_at is None
    assert timeline_kinds(task_id) == ["created", "assigned"]
    again = await client.patch(
        f"{TASKS}/{task_id}", json={"assignee_email": "second@elsewhere.test"}, headers=auth
    )
    assert again.status_code == 200 and timeline_kinds(task_id) == ["created", "assigned"]
    extended = await client.patch(f"{TASKS}/{task_id}", json={"expires_in": 600}, headers=auth)
    assert extended.status_code == 200
    rows = {link.id: link for link in links.list_links(admin.org_id, task_id)}
    assert rows[old.id].expires_at is None  # a withdrawn link keeps what it had
    assert rows[task["link_id"]].expires_at is not None


async def test_patch_reassigns_to_a_member_and_extends(client, auth, admin):
    task_id = await _create(client, auth, assignee_email="first@elsewhere.test", expires_in=600)
    before = utcnow()
    answer = await client.patch(
        f"{TASKS}/{task_id}",
        json={"assignee_member_id": "me", "expires_in": 7200, "title": "Approve it, please"},
        headers=auth,
    )
    assert answer.status_code == 200, answer.text
    task = answer.json()
    assert task["assignee_id"] == admin.id and task["assignee_type"] == "member" and not task["requires_otp"]
    assert task["title"] == "Approve it, please"
    moved = datetime.fromisoformat(task["expires_at"].replace("Z", "+00:00"))
    assert 7100 < (moved - before).total_seconds() <= 7201
    assert timeline_kinds(task_id) == ["created", "updated", "extended", "assigned"]
    primary = links.list_links(admin.org_id, task_id)[0]
    assert primary.id == task["link_id"] and abs((primary.expires_at - moved).total_seconds()) < 0.001


async def test_patch_emails_the_new_assignee_their_own_link(client, auth, admin, monkeypatch):
    member = accounts.create_user("bob@acme.test", "correct horse battery", org_id=admin.org_id)
    task_id = await _create(client, auth, assignee_email="first@elsewhere.test")
    extra = await client.post(
        f"{TASKS}/{task_id}/links", json={"assignee_email": "First@Elsewhere.test"}, headers=auth
    )
    assert extra.status_code == 201, extra.text
    with smtp_server(monkeypatch) as smtp:
        outside = await client.patch(
            f"{TASKS}/{task_id}", json={"assignee_email": "second@elsewhere.test"}, headers=auth
        )
        assert outside.status_code == 200, outside.text
        (mail,) = smtp.wait_for(1)
        link_id = outside.json()["link_id"]
        text = mail.get_body(("plain",)).get_content()
        assert mail["To"] == "second@elsewhere.test"
        assert mail["Subject"] == "Assigned to you: Approve deployment to production"
        assert mail["X-HPI-Event"] == "task.assigned"
        assert f"/t/{link_id}" in text and "one-time code" in text
        assert f"/t/{link_id}" in mail.get_body(("html",)).get_content()
        inside = await client.patch(
            f"{TASKS}/{task_id}", json={"assignee_member_id": member.id}, headers=auth
        )
        assert inside.status_code == 200, inside.text
        mails = smtp.wait_for(2)
        member_link = inside.json()["link_id"]
        assert mails[1]["To"] == "bob@acme.test"
        assert f"/t/{member_link}" in mails[1].get_body(("plain",)).get_content()
        assert "one-time code" not in mails[1].get_body(("plain",)).get_content()
        retitled = await client.patch(f"{TASKS}/{task_id}", json={"title": "Renamed"}, headers=auth)
        assert retitled.status_code == 200
        assert len(smtp.mailbox.messages) == 2  # no new assignee, no mail
    every = links.list_links(admin.org_id, task_id)
    assert len(every) == 4 and [link.id for link in every if link.revoked_at is None] == [member_link]
    assert timeline_kinds(task_id) == ["created", "link_created", "assigned", "assigned", "updated"]


async def test_a_reassignment_stands_when_its_mail_reaches_nobody(client, auth, admin, monkeypatch):
    import dataclasses

    from hpi_app.core.tasks import notify
    from tests.utils.ports import free_port

    task_id = await _create(client, auth, assignee_email="first@elsewhere.test")
    dead = dataclasses.replace(notify.settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    monkeypatch.setattr(notify, "settings", dead)
    answer = await client.patch(
        f"{TASKS}/{task_id}", json={"assignee_email": "x@elsewhere.test"}, headers=auth
    )
    assert answer.status_code == 200, answer.text
    primary = links.list_links(admin.org_id, task_id)[0]
    assert primary.id == answer.json()["link_id"] and primary.assignee_email == "x@elsewhere.test"
    assert timeline_kinds(task_id) == ["created", "assigned", "reminder_failed"]


async def test_a_new_title_reaches_only_the_sinks_that_list_updated(client, auth):
    from tests.utils.task_routes import deliveries

    hook = "https://receiver.example.com/hook"
    sinks = [{"type": "webhook", "url": hook, "events": ["updated"]}, {"type": "webhook", "url": hook + "2"}]
    task_id = await _create(client, auth, sinks=sinks)
    answer = await client.patch(f"{TASKS}/{task_id}", json={"title": "A better title"}, headers=auth)
    assert answer.status_code == 200 and answer.json()["title"] == "A better title"
    queued = deliveries(task_id)
    assert [(d.event, d.body["title"]) for d in queued] == [("task.updated", "A better title")]
    same = await client.patch(f"{TASKS}/{task_id}", json={"title": "A better title"}, headers=auth)
    assert same.status_code == 200 and len(deliveries(task_id)) == 1  # no change, no event


async def test_patch_refusals(client, auth, make_token, outsider):
    task_id = await _create(client, auth)
    before = _written()
    for body, field in (
        ({}, "body"),
        ({"assignee_email": "a@b.test", "assignee_member_id": "me"}, "assignee_member_id"),
        ({"assignee_email": "nobody"}, "assignee_email"),
        ({"assignee_member_id": "bob"}, "assignee_member_id"),
        ({"assignee_member_id": outsider.id}, "assignee_member_id"),
        ({"expires_in": 0}, "expires_in"),
        ({"title": "  "}, "title"),
        ({"status": "completed"}, "status"),
    ):
        answer = await client.patch(f"{TASKS}/{task_id}", json=body, headers=auth)
        assert answer.status_code == 400, (body, answer.text)
        assert field in [d["field"] for d in answer.json()["details"]], (body, answer.json())
    assert _written() == before
    other_auth = {"Authorization": f"Bearer {make_token(user=outsider)}"}
    foreign = await client.patch(f"{TASKS}/{task_id}", json={"title": "Mine"}, headers=other_auth)
    assert foreign.status_code == 404
    read_only = {"Authorization": f"Bearer {make_token('tasks:read')}"}
    assert (
        await client.patch(f"{TASKS}/{task_id}", json={"title": "x"}, headers=read_only)
    ).status_code == 403
    await client.post(f"{TASKS}/{task_id}/cancel", headers=auth)
    finished = await client.patch(f"{TASKS}/{task_id}", json={"expires_in": 600}, headers=auth)
    assert finished.status_code == 409 and finished.json()["code"] == "task_cancelled"
    assert timeline_kinds(task_id) == ["created", "cancelled"]


async def test_assigned_and_extended_are_streamed_in_events(live_api, auth):
    import asyncio
    import json

    import httpx

    async with httpx.AsyncClient(base_url=live_api, timeout=10) as http:
        created = await http.post(TASKS, json=seed_task(assignee_email="x@elsewhere.test"), headers=auth)
        task_id = created.json()["task_id"]
        patch = {"assignee_email": "y@elsewhere.test", "expires_in": 3600}
        assert (await http.patch(f"{TASKS}/{task_id}", json=patch, headers=auth)).status_code == 200
        retitle = {"title": "Approve it today"}
        assert (await http.patch(f"{TASKS}/{task_id}", json=retitle, headers=auth)).status_code == 200
        seen: list[dict] = []
        current: dict = {}
        async with http.stream("GET", "/api/v1/events", headers={**auth, "Last-Event-ID": "0"}) as stream:
            async with asyncio.timeout(10):
                async for line in stream.aiter_lines():
                    if line == "" and current:
                        seen.append(current)
                        current = {}
                        if len(seen) == 4:
                            break
                    elif line and not line.startswith(":"):
                        key, _, value = line.partition(":")
                        current[key] = value.strip()
    assert [e["event"] for e in seen] == ["task.created", "task.extended", "task.assigned", "task.updated"]
    assert {json.loads(e["data"])["task_id"] for e in seen} == {task_id}


async def test_org_defaults_apply_when_a_create_sets_no_policy(client, auth, admin, short_delays):
    from hpi_app.core.errors import InvalidInput
    from hpi_app.core.tasks.policy import save_org_defaults

    with pytest.raises(InvalidInput) as caught:
        save_org_defaults(
            admin.org_id, {"on_expire": {"action": "complete", "data": {}}, "expires_in": 60}, None
        )
    assert [d["field"] for d in caught.value.details] == ["on_expire.action"]
    with pytest.raises(InvalidInput) as caught:
        save_org_defaults(admin.org_id, {"reminders": {"after": 0}}, None)
    assert [d["field"] for d in caught.value.details] == ["reminders.after"]
    save_org_defaults(
        admin.org_id,
        {
            "reminders": {"after": 600},
            "expires_in": 86400,
            "on_expire": {"action": "cancel", "reason": "late"},
        },
        admin.id,
    )
    plain = (await client.get(f"{TASKS}/{await _create(client, auth)}", headers=auth)).json()
    assert plain["reminders"] == {"after": 600, "every": None, "max": 1}
    assert plain["on_expire"] == {"action": "cancel", "reason": "late"} and plain["expires_at"] is not None
    own = await _create(client, auth, reminders={"after": 60}, expires_in=120)
    shown = (await client.get(f"{TASKS}/{own}", headers=auth)).json()
    assert shown["reminders"]["after"] == 60 and shown["on_expire"] is None


def test_only_an_admin_of_the_organisation_changes_its_defaults(admin):
    from hpi_app.core.errors import PermissionDenied
    from hpi_app.core.tasks.policy import org_defaults, save_org_defaults

    member = accounts.create_user("bob@acme.test", "correct horse battery", org_id=admin.org_id)
    stranger = accounts.create_user("eve@other.test", "correct horse battery", role="admin", org_name="Other")
    for actor in (member.id, stranger.id, "no-such-user"):
        with pytest.raises(PermissionDenied):
            save_org_defaults(admin.org_id, {"reminders": {"after": 600}}, actor)
    assert org_defaults(admin.org_id).reminders is None
    save_org_defaults(admin.org_id, {"reminders": {"after": 600}}, admin.id)
    assert org_defaults(admin.org_id).reminders.after == 600
