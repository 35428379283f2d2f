"""Scheduled reminders, escalation and on_expire, run by real workers with real mail and webhook receivers.

``HPI_MIN_DELAY_SECONDS`` is 1 here (``short_delays``), so ``every`` may be 5 s. The tests wait
for mail, deliveries and rows to arrive, and check counts and order, never how long it took.
"""

from __future__ import annotations

import itertools
import threading

import pytest

from hpi_app.core import accounts, tasks
from hpi_app.core.tasks import reminders, schedules
from hpi_app.db import session_scope
from hpi_app.models import ScheduledAction, Task, utcnow
from tests.utils.deliveries import create_task, running_worker, wait_until
from tests.utils.policy import actions, schedule_workers, short_delays_fixture  # noqa: F401
from tests.utils.receivers import WebhookReceiver
from tests.utils.task_routes import smtp_server, timeline_kinds

EVENTS = ["reminded", "escalated", "assigned", "extended", "completed", "cancelled", "expired"]


def _sink(receiver: WebhookReceiver) -> list[dict]:
    return [{"type": "webhook", "url": receiver.url, "secret": "whsec_" + "a" * 32, "events": EVENTS}]


def _events(receiver: WebhookReceiver) -> list[str]:
    return [r.json["event"] for r in receiver.accepted()]


def _open(task_id: str) -> list[ScheduledAction]:
    return [a for a in actions(task_id) if a.done_at is None and a.cancelled_at is None]


async def test_reminders_arrive_max_times_in_order(admin, monkeypatch, short_delays):
    with WebhookReceiver() as hook, smtp_server(monkeypatch) as smtp:
        task_id = create_task(
            admin,
            _sink(hook),
            assignee_email="ext@elsewhere.test",
            reminders={"after": 1, "every": 5, "max": 3},
        )["task_id"]
        async with schedule_workers(), running_worker():
            mails = await smtp.until(3, timeout=60)
            await hook.until(3, timeout=30)
            await wait_until(lambda: not _open(task_id), what="no open action")
        assert [m["To"] for m in mails] == ["ext@elsewhere.test"] * 3
        assert all(m["Subject"] == "Reminder: Approve deployment to production" for m in mails)
        assert _events(hook) == ["task.reminded"] * 3
    done = actions(task_id)
    assert [(a.kind, a.seq) for a in done] == [("remind", 1), ("remind", 2), ("remind", 3)]
    assert all(a.done_at and a.outcome == {"sent": ["ext@elsewhere.test"], "failed": []} for a in done)
    assert [a.due_at < b.due_at for a, b in itertools.pairwise(done)] == [True, True]
    assert timeline_kinds(task_id) == ["created", "reminded", "reminded", "reminded"]
    assert tasks.get_task(admin.org_id, task_id).reminded_count == 3
    assert len(smtp.mailbox.messages) == 3


async def test_escalation_notifies_and_reassigns_once_in_order(admin, monkeypatch, short_delays):
    boss = accounts.create_user("boss@acme.test", "correct horse battery", org_id=admin.org_id)
    with WebhookReceiver() as hook, smtp_server(monkeypatch) as smtp:
        task_id = create_task(
            admin,
            _sink(hook),
            assignee_email="ext@elsewhere.test",
            escalation=[
                {"after": 1, "notify": ["ops@elsewhere.test"]},
                {"after": 3, "notify": [admin.id], "reassign_to": "boss@acme.test"},
            ],
        )["task_id"]
        async with schedule_workers(), running_worker():
            mails = await smtp.until(4, timeout=60)
            await hook.until(3, timeout=30)
            await wait_until(lambda: not _open(task_id), what="no open action")
        first, second = mails[:2], mails[2:]
        assert sorted(m["To"] for m in first) == ["ext@elsewhere.test", "ops@elsewhere.test"]
        assert sorted(m["To"] for m in second) == ["admin@acme.test", "boss@acme.test"]
        ops = next(m for m in first if m["To"] == "ops@elsewhere.test")
        assert ops["Subject"].startswith("Still waiting") and "/t/" in ops.get_body(("plain",)).get_content()
        boss_mail = next(m for m in second if m["To"] == "boss@acme.test")
        assert boss_mail["Subject"] == "Assigned to you: Approve deployment to production"
        boss_link = tasks.get_task(admin.org_id, task_id).link_id
        assert f"/t/{boss_link}" in boss_mail.get_body(("plain",)).get_content()
        assert _events(hook) == ["task.escalated", "task.assigned", "task.escalated"]
    assert timeline_kinds(task_id) == ["created", "escalated", "assigned", "escalated"]
    task = tasks.get_task(admin.org_id, task_id)
    assert (task.assignee_id, task.escalated_count) == (boss.id, 2)
    assert len(smtp.mailbox.messages) == 4


async def test_on_expire_complete_releases_a_parked_wait_with_the_policys_answer(
    client, auth, admin, monkeypatch, short_delays
):
    with WebhookReceiver() as hook:
        task_id = create_task(
            admin,
            _sink(hook),
            expires_in=2,
            reminders={"after": 60},
            on_expire={"action": "complete", "data": {"decision": "Approve"}},
        )["task_id"]
        async with schedule_workers(sweeper=True), running_worker():
            answer = await client.get(f"/api/v1/tasks/{task_id}/wait?timeout=30", headers=auth)
            await hook.until(1, timeout=30)
        assert answer.status_code == 200
        body = answer.json()
        assert (body["status"], body["completed_by"]) == ("completed", "policy:on_expire")
        assert body["data"] == {"decision": "Approve"}
        assert [(r.json["event"], r.json["data"]) for r in hook.accepted()] == [
            ("task.completed", {"decision": "Approve"})
        ]
    assert timeline_kinds(task_id) == ["created", "completed"]
    assert [a.cancelled_at is not None for a in actions(task_id)] == [True]


async def test_on_expire_cancel_cancels_with_the_reason(admin, short_delays):
    task_id = create_task(admin, expires_in=1, on_expire={"action": "cancel", "reason": "nobody answered"})[
        "task_id"
    ]
    async with schedule_workers(sweeper=True):
        await wait_until(
            lambda: tasks.get_task(admin.org_id, task_id).status == "cancelled", what="cancelled"
        )
    task = tasks.get_task(admin.org_id, task_id)
    assert task.cancel_reason == "nobody answered"
    assert timeline_kinds(task_id) == ["created", "cancelled"]


async def test_a_completion_before_a_reminder_cancels_it(admin, monkeypatch, short_delays):
    with smtp_server(monkeypatch) as smtp:
        task_id = create_task(admin, assignee_email="ext@elsewhere.test", reminders={"after": 2})["task_id"]
        tasks.complete_task(task_id, {"decision": "Approve"}, org_id=admin.org_id, actor=admin.id)
        [action] = actions(task_id)
        assert action.cancelled_at is not None and action.done_at is None
        await wait_until(lambda: utcnow() > action.due_at, what="the reminder's time to pass")
        assert reminders.run_due("worker-0") == 0
        assert reminders.run_action(action.id, "worker-0") is False
        assert smtp.mailbox.messages == []
    assert timeline_kinds(task_id) == ["created", "completed"]


async def test_a_restart_in_between_loses_and_repeats_nothing(admin, monkeypatch, short_delays):
    with smtp_server(monkeypatch) as smtp:
        task_id = create_task(
            admin, assignee_email="ext@elsewhere.test", reminders={"after": 1, "every": 5, "max": 3}
        )["task_id"]
        async with schedule_workers():
            await smtp.until(1, timeout=30)
        # The second reminder is planned; a worker dies holding it (its lease then runs out).
        await wait_until(lambda: len(actions(task_id)) == 2, what="the second reminder planned")
        second = actions(task_id)[1]
        await wait_until(lambda: utcnow() > second.due_at, what="the second reminder to be due")
        assert schedules.lease(second.id, "crashed-worker") is not None
        with session_scope(write=True) as session:
            held = session.get(ScheduledAction, second.id)
            held.claimed_until = utcnow()
            session.add(held)
            session.commit()
        async with schedule_workers():
            await smtp.until(3, timeout=60)
            await wait_until(lambda: not _open(task_id), what="no open action")
        assert len(smtp.mailbox.messages) == 3
    assert [(a.seq, a.attempts) for a in actions(task_id)] == [(1, 1), (2, 2), (3, 1)]
    assert timeline_kinds(task_id) == ["created", "reminded", "reminded", "reminded"]


def test_racing_workers_run_one_action_exactly_once(admin, monkeypatch, short_delays):
    with smtp_server(monkeypatch) as smtp:
        task_id = create_task(admin, assignee_email="ext@elsewhere.test", reminders={"after": 1})["task_id"]
        [action] = actions(task_id)
        with session_scope(write=True) as session:
            session.get(ScheduledAction, action.id).due_at = utcnow()
            session.commit()
        barrier = threading.Barrier(6)
        won: list[bool] = []

        def run(n: int) -> None:
            barrier.wait()
            won.append(reminders.run_action(action.id, f"worker-{n}"))

        threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(won) == [False] * 5 + [True]
        assert len(smtp.wait_for(1)) == 1
    assert timeline_kinds(task_id) == ["created", "reminded"]


async def test_three_worker_loops_share_the_actions_each_once(admin, monkeypatch, short_delays):
    count = 3
    with smtp_server(monkeypatch) as smtp:
        ids = [
            create_task(
                admin, assignee_email=f"p{n}@elsewhere.test", reminders={"after": 1, "every": 5, "max": 2}
            )["task_id"]
            for n in range(8)
        ]
        async with schedule_workers(count):
            await smtp.until(16, timeout=90)
            await wait_until(lambda: all(not _open(t) for t in ids), timeout=30, what="every action done")
        assert len(smtp.mailbox.messages) == 16
    for task_id in ids:
        assert timeline_kinds(task_id) == ["created", "reminded", "reminded"]
    workers = {a.claimed_by for a in actions() if a.done_at}
    assert workers <= {f"worker-{n}" for n in range(count)}
    with session_scope() as session:
        assert {session.get(Task, t).reminded_count for t in ids} == {2}


def test_a_reminder_that_reaches_nobody_is_not_recorded_as_sent(admin, monkeypatch):
    import dataclasses

    from hpi_app.core.errors import Unavailable
    from hpi_app.core.tasks import notify
    from tests.utils.ports import free_port
    from tests.utils.task_routes import deliveries

    sink = [{"type": "webhook", "url": "https://receiver.example.com/hook", "events": ["reminded"]}]
    task_id = create_task(admin, sink, assignee_email="ext@elsewhere.test")["task_id"]
    dead = dataclasses.replace(notify.settings, smtp_url=f"smtp://127.0.0.1:{free_port()}")
    monkeypatch.setattr(notify, "settings", dead)
    with pytest.raises(Unavailable) as caught:
        tasks.notify_task(admin.org_id, task_id, "https://hpi.example.com")
    assert caught.value.code == "mail_failed"
    assert timeline_kinds(task_id) == ["created", "reminder_failed"]
    assert [d.event for d in deliveries(task_id)] == []
    assert tasks.get_task(admin.org_id, task_id).reminded_count == 0
