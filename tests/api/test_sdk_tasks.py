"""The official SDK (``aithericon-hpi`` 0.1.0) against the app over real HTTP: its task and file methods.

Every call goes through ``hpi_client.HPIClient`` unchanged, exactly as a user's script would make it.
Links and processes have their own contract modules.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from hpi_client import HPIClient
from hpi_client.client import HPIError  # the package exports only HPIClient

from hpi_app.core import accounts
from hpi_app.core.events import bus
from tests.utils.bodies import SEED_TASK
from tests.utils.task_routes import OPTIONAL_ONLY, smtp_server, timeline_kinds

STEPS = SEED_TASK["steps"]


@pytest.fixture
def sdk(live_api: str, token: str) -> Iterator[HPIClient]:
    """The SDK, signed in with the admin's token."""
    with HPIClient(live_api, token, timeout=15) as client:
        yield client


def _until_parked(count: int) -> None:
    deadline = time.monotonic() + 10
    while bus.waiter_count(parked=True) < count:
        assert time.monotonic() < deadline, "the wait never parked"
        time.sleep(0.005)


def test_create_task_with_every_field_and_get_it(sdk, admin):
    task_id = str(uuid.uuid4())
    created = sdk.create_task(
        title="Approve deploy",
        steps=STEPS,
        task_id=task_id,
        instructions_mdsvex="Check **v2.1**",
        template_id="deploy",
        metadata={"env": "prod"},
        assignee_email="ext@example.com",
        assignee_name="Ext Ernal",
        assignee_phone="+41 79 000 00 00",
        require_otp=False,
        expires_in=3600,
        sinks=[{"type": "webhook", "url": "https://receiver.example.com/hook"}],
        org_id=admin.org_id,
        correlation_key="run-42",
    )
    assert created["task_id"] == task_id and created["requires_otp"] is False
    assert created["url"].endswith(f"/t/{created['link_id']}") and created["webhook_secrets"]
    task = sdk.get_task(task_id)
    assert task["template_id"] == "deploy" and task["metadata"] == {"env": "prod"}
    assert task["correlation_key"] == task["corr_id"] == "run-42"
    assert task["assignee_type"] == "external" and task["expires_at"] is not None
    assert "steps" not in task and "instructions_mdsvex" not in task
    full = sdk.get_task(task_id, include_definition=True)
    assert full["steps"][0]["id"] == "approval" and full["instructions_mdsvex"] == "Check **v2.1**"
    member = sdk.create_task(title="For me", steps=STEPS, assignee_member_id="me", require_otp=True)
    assert member["requires_otp"] is True


def test_list_tasks_by_every_filter(sdk, admin):
    bob = accounts.create_user("bob@acme.test", "bob's password", org_id=admin.org_id)
    a = sdk.create_task(
        title="Alpha review", steps=STEPS, template_id="t1", correlation_key="k1", metadata={"env": "prod"}
    )["task_id"]
    b = sdk.create_task(
        title="Beta review", steps=STEPS, template_id="t1", metadata={"env": "prod", "team": "y"}
    )["task_id"]
    c = sdk.create_task(title="Gamma", steps=STEPS, assignee_email=bob.email, metadata={"env": "dev"})[
        "task_id"
    ]
    sdk.cancel_task(c)

    def ids(**filters) -> list[str]:
        return [t["task_id"] for t in sdk.list_tasks(**filters)["tasks"]]

    assert ids(correlation_key="k1") == [a]
    assert set(ids(template_id="t1")) == {a, b}
    assert ids(metadata={"env": "prod", "team": "y"}) == [b]
    assert ids(status="cancelled") == [c]
    assert set(ids(search="review")) == {a, b}
    assert ids(sort="oldest") == [a, b, c] and ids(sort="newest") == [c, b, a]
    assert ids(assignee=bob.email) == [c]
    assert set(ids(unassigned=True)) == {a, b}
    page = sdk.list_tasks(limit=1, offset=1)
    assert page["total"] == 3 and page["limit"] == 1 and page["offset"] == 1 and len(page["tasks"]) == 1
    assert all("steps" not in t for t in sdk.list_tasks()["tasks"])


def test_cancel_task_with_and_without_reason(sdk):
    first = sdk.create_task(title="One", steps=STEPS)["task_id"]
    second = sdk.create_task(title="Two", steps=STEPS)["task_id"]
    assert sdk.cancel_task(first) == {"task_id": first, "status": "cancelled"}
    assert sdk.cancel_task(second, reason="not needed") == {"task_id": second, "status": "cancelled"}
    assert sdk.get_task(first)["cancel_reason"] is None
    assert sdk.get_task(second)["cancel_reason"] == "not needed"
    with pytest.raises(HPIError) as caught:
        sdk.cancel_task(first)
    assert caught.value.status == 409 and caught.value.error == "This task was cancelled."


def test_complete_task_with_and_without_data(sdk, admin):
    with_data = sdk.create_task(title="Decide", steps=STEPS)["task_id"]
    done = sdk.complete_task(with_data, data={"decision": "Approve", "comments": "ok"})
    assert done["status"] == "completed" and done["completed_by"] == admin.id
    assert done["data"] == {"decision": "Approve", "comments": "ok"}
    without = sdk.create_task(title="Notes", steps=OPTIONAL_ONLY["steps"])["task_id"]
    assert sdk.complete_task(without)["data"] == {}
    needs_data = sdk.create_task(title="Decide again", steps=STEPS)["task_id"]
    with pytest.raises(HPIError) as missing:
        sdk.complete_task(needs_data)
    assert missing.value.status == 400
    assert missing.value.details == [{"field": "data.decision", "message": "This field is required"}]
    with pytest.raises(HPIError) as bad:
        sdk.complete_task(needs_data, data={"decision": "Maybe"})
    assert bad.value.status == 400 and [d["field"] for d in bad.value.details] == ["data.decision"]
    assert sdk.get_task(needs_data)["status"] == "pending" and timeline_kinds(needs_data) == ["created"]
    with pytest.raises(HPIError) as twice:
        sdk.complete_task(with_data, data={"decision": "Reject"})
    assert twice.value.status == 409


def test_notify_task_with_and_without_escalate_and_the_429(sdk, admin, monkeypatch):
    reminded = sdk.create_task(title="Remind me", steps=STEPS, assignee_email="ext@example.com")["task_id"]
    escalated = sdk.create_task(title="Escalate me", steps=STEPS, assignee_email="ext@example.com")["task_id"]
    with smtp_server(monkeypatch) as smtp:
        assert sdk.notify_task(reminded) == {"task_id": reminded, "notified": ["ext@example.com"]}
        answer = sdk.notify_task(escalated, escalate=True)
        assert answer == {"task_id": escalated, "notified": ["ext@example.com", admin.email]}
        with pytest.raises(HPIError) as too_soon:
            sdk.notify_task(reminded)
        assert too_soon.value.status == 429 and "try again in" in too_soon.value.error
        assert sorted(m["To"] for m in smtp.wait_for(3)) == sorted(["ext@example.com"] * 2 + [admin.email])
    assert timeline_kinds(reminded) == ["created", "reminded"]
    assert timeline_kinds(escalated) == ["created", "escalated"]
    unassigned = sdk.create_task(title="Nobody", steps=STEPS)["task_id"]
    with pytest.raises(HPIError) as nobody:
        sdk.notify_task(unassigned)
    assert nobody.value.status == 409 and "no assignee" in nobody.value.error


def test_wait_for_task_completed_and_timed_out(sdk):
    task_id = sdk.create_task(title="Wait for me", steps=STEPS)["task_id"]
    assert sdk.wait_for_task(task_id, timeout=1) == {
        "task_id": task_id,
        "status": "pending",
        "timed_out": True,
        "error": "The task is still pending after 1 seconds.",
        "code": "wait_timeout",
    }
    result: dict = {}
    waiter = threading.Thread(target=lambda: result.update(sdk.wait_for_task(task_id, timeout=30)))
    waiter.start()
    _until_parked(1)
    sdk.complete_task(task_id, data={"decision": "Reject"})
    waiter.join(30)
    assert result["status"] == "completed" and result["data"] == {"decision": "Reject"}
    assert "timed_out" not in result and "steps" not in result


def test_list_task_templates(sdk):
    assert sdk.list_task_templates() == {"templates": []}
    for template in ("deploy", "invoice", "deploy"):
        sdk.create_task(title="T", steps=STEPS, template_id=template)
    templates = sdk.list_task_templates()["templates"]
    assert [(t["template_id"], t["count"]) for t in templates] == [("deploy", 2), ("invoice", 1)]
    assert all(t["last_used_at"] for t in templates)


def test_upload_file_then_fetch_it(sdk, live_api, token):
    uploaded = sdk.upload_file(b"%PDF-1.4 report", "report.pdf", "application/pdf")
    assert (
        uploaded["name"] == "report.pdf" and uploaded["size"] == 15 and uploaded["type"] == "application/pdf"
    )
    assert uploaded["url"].startswith(live_api) and uploaded["key"].endswith("/report.pdf")
    got = httpx.get(uploaded["url"], headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200 and got.content == b"%PDF-1.4 report"


def test_error_paths(sdk, live_api, make_token, admin):
    with pytest.raises(HPIError) as unknown:
        sdk.get_task(str(uuid.uuid4()))
    assert unknown.value.status == 404 and unknown.value.error.startswith("No task with id")
    with pytest.raises(HPIError) as invalid:
        sdk.create_task(title="", steps=[{"id": "s", "title": "S", "blocks": [{"type": "carousel"}]}])
    assert invalid.value.status == 400
    assert {d["field"] for d in invalid.value.details} == {"title", "steps[0].blocks[0].type"}
    other = accounts.create_user("eve@other.test", "another password", org_name="Other")
    with pytest.raises(HPIError) as foreign:
        sdk.create_task(title="Theirs", steps=STEPS, org_id=other.org_id)
    assert foreign.value.status == 403 and [d["field"] for d in foreign.value.details] == ["org_id"]
    with pytest.raises(HPIError) as clash:
        sdk.create_task(
            title="Both", steps=STEPS, correlation_key="a", metadata={"x": "y"}, template_id="t" * 101
        )
    assert clash.value.status == 400 and [d["field"] for d in clash.value.details] == ["template_id"]
    with pytest.raises(HPIError) as no_key:
        sdk.list_tasks(metadata={"": "x"})
    assert no_key.value.status == 400 and [d["field"] for d in no_key.value.details] == ["meta."]
    with HPIClient(live_api, make_token("tasks:read")) as reader:
        with pytest.raises(HPIError) as scope:
            reader.create_task(title="No", steps=STEPS)
        assert scope.value.status == 403 and scope.value.error == "Insufficient permissions"
    with HPIClient(live_api, "htk_" + "0" * 64) as stranger:
        with pytest.raises(HPIError) as bad_token:
            stranger.list_tasks()
        assert bad_token.value.status == 401
    assert sdk.list_tasks()["total"] == 0
