"""The core of reminders, templates and list filters: notify_task, reminder_message, templates, list_tasks."""

from __future__ import annotations

import threading

import pytest
from pydantic import ValidationError

from hpi_app.core import tasks
from hpi_app.core.errors import Conflict, InvalidInput, NotFound, TooManyRequests, Unavailable
from hpi_app.core.principal import Principal
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.core.tasks.notify import Recipient
from hpi_app.db import session_scope
from hpi_app.models import Task
from tests.utils.bodies import seed_task
from tests.utils.task_routes import smtp_server, store_counts, timeline_kinds

BASE = "https://hpi.example.com"


def _principal(user) -> Principal:
    return Principal(org_id=user.org_id, user_id=user.id, scopes=frozenset({"tasks:create"}))


def _create(user, **fields) -> str:
    return tasks.create_task(_principal(user), TaskCreate.model_validate(seed_task(**fields))).task.id


def test_concurrent_reminders_send_exactly_one(admin, monkeypatch):
    task_id = _create(admin, assignee_email="ext@example.com")
    barrier = threading.Barrier(6)
    results: list[str] = []

    def remind() -> None:
        barrier.wait()
        try:
            tasks.notify_task(admin.org_id, task_id, BASE, actor=admin.id)
            results.append("sent")
        except TooManyRequests as exc:
            results.append(f"wait {exc.extra['retry_after']}")

    with smtp_server(monkeypatch) as smtp:
        threads = [threading.Thread(target=remind) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(smtp.wait_for(1)) == 1
    assert results.count("sent") == 1 and len(results) == 6
    assert timeline_kinds(task_id) == ["created", "reminded"]


def test_a_reminder_of_an_overdue_task_expires_it(admin, monkeypatch):
    task_id = _create(admin, assignee_email="ext@example.com", expires_in=60)
    with session_scope(write=True) as session:
        task = session.get(Task, task_id)
        task.expires_at = task.created_at.replace(year=2000)
        session.commit()
    with pytest.raises(Conflict) as caught:
        tasks.notify_task(admin.org_id, task_id, BASE)
    assert caught.value.code == "task_expired"
    assert timeline_kinds(task_id) == ["created", "expired"]


def test_unknown_and_foreign_tasks_are_not_found(admin):
    task_id = _create(admin, assignee_email="ext@example.com")
    before = store_counts()
    for org, ref in (("another-org", task_id), (admin.org_id, "not-a-uuid")):
        with pytest.raises(NotFound):
            tasks.notify_task(org, ref, BASE)
    assert store_counts() == before


def test_a_failing_mail_server_is_503_and_the_cooldown_holds(admin, monkeypatch):
    import dataclasses

    from hpi_app.core.tasks import notify
    from tests.utils.ports import free_port

    task_id = _create(admin, assignee_email="ext@example.com")
    dead = dataclasses.replace(notify.settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    monkeypatch.setattr(notify, "settings", dead)
    with pytest.raises(Unavailable) as caught:
        tasks.notify_task(admin.org_id, task_id, BASE)
    assert caught.value.code == "mail_failed"
    with pytest.raises(TooManyRequests):
        tasks.notify_task(admin.org_id, task_id, BASE)


def test_reminder_message_says_what_is_asked_and_links_it(admin):
    task_id = _create(admin, assignee_email="ext@example.com", expires_in=3600)
    task = tasks.get_task(admin.org_id, task_id)
    link = f"{BASE}/t/{task.link_id}"
    message = tasks.reminder_message(task, Recipient("ext@example.com", "assignee", link))
    text = message.get_body(("plain",)).get_content()
    page = message.get_body(("html",)).get_content()
    assert message["Subject"] == "Reminder: Approve deployment to production"
    assert "Review and Approve" in text and link in text and "Answer before" in text
    assert "one-time code" in text and f'href="{link}"' in page
    escalation = tasks.reminder_message(
        task, Recipient("boss@acme.test", "admin", f"{BASE}/tasks/{task_id}"), assignee="ext@example.com"
    )
    assert escalation["Subject"].startswith("Still waiting")
    assert "still waiting for ext@example.com" in escalation.get_body(("plain",)).get_content()


def test_templates_and_list_filters_in_the_core(admin):
    a = _create(admin, template_id="t1", corr_id="k", metadata={"env": "prod", "tier": "1"})
    b = _create(admin, template_id="t1", metadata={"env": "prod"})
    _create(admin, template_id="t2", metadata={"env": "dev"})
    assert [(t.template_id, t.count) for t in tasks.templates(admin.org_id)] == [("t2", 1), ("t1", 2)]
    assert tasks.templates("another-org") == []

    def ids(**flt) -> set[str]:
        rows, total = tasks.list_tasks(admin.org_id, tasks.TaskFilter(**flt))
        assert total == len(rows)
        return {t.id for t in rows}

    assert ids(template_id="t1") == {a, b}
    assert ids(correlation_key="k") == {a}
    assert ids(meta=(("env", "prod"),)) == {a, b}
    assert ids(meta=(("env", "prod"), ("tier", "1"))) == {a}
    assert ids(meta=(("env", "prod"), ("tier", "2"))) == set()
    assert ids(meta=(("missing", "x"),)) == set()


def test_meta_filters_are_parsed_and_checked():
    assert tasks.parse_meta_filters([("meta.env", "prod"), ("status", "x"), ("meta.a.b", "1")]) == (
        ("env", "prod"),
        ("a.b", "1"),
    )
    for name in ("meta.", 'meta.a"b', "meta." + "k" * 101):
        with pytest.raises(InvalidInput) as caught:
            tasks.parse_meta_filters([(name, "x")])
        assert [d["field"] for d in caught.value.details] == [name]


def test_create_fields_in_the_core(admin):
    with pytest.raises(ValidationError) as clash:
        TaskCreate.model_validate(seed_task(corr_id="a", correlation_key="b"))
    assert [e["loc"] for e in clash.value.errors()] == [("correlation_key",)]
    body = TaskCreate.model_validate(seed_task(correlation_key="k"))
    assert body.corr_id == body.correlation_key == "k"
    task_id = tasks.create_task(_principal(admin), body).task.id
    assert tasks.get_task(admin.org_id, task_id).correlation_key == "k"


def test_a_reminder_carries_an_open_link_never_a_withdrawn_one(admin, monkeypatch):
    from hpi_app.core import links

    task_id = _create(admin, assignee_email="ext@example.com")
    first = tasks.get_task(admin.org_id, task_id).link_id
    links.revoke_link(admin.org_id, task_id, first, admin.id)
    second = links.create_link(_principal(admin), task_id, links.LinkCreate(assignee_email="ext@example.com"))
    with smtp_server(monkeypatch) as smtp:
        tasks.notify_task(admin.org_id, task_id, BASE, actor=admin.id)
        [mail] = smtp.wait_for(1)
    body = str(mail)
    assert f"/t/{second.id}" in body and f"/t/{first}" not in body


def test_a_reminder_with_no_open_link_left_is_409_and_writes_nothing(admin, monkeypatch):
    from hpi_app.core import links

    task_id = _create(admin, assignee_email="ext@example.com")
    links.revoke_link(admin.org_id, task_id, tasks.get_task(admin.org_id, task_id).link_id, admin.id)
    before = store_counts()
    with smtp_server(monkeypatch) as smtp, pytest.raises(Conflict) as caught:
        tasks.notify_task(admin.org_id, task_id, BASE, actor=admin.id)
    assert caught.value.code == "no_open_link"
    assert store_counts() == before and smtp.mailbox.messages == []
