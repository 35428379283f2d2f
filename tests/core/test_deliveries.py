"""Webhook delivery end to end: a real local receiver, the real worker, both stores.

Each test creates tasks through the core, runs a ``DeliveryWorker`` on the test's event loop and
checks what a local HTTP server received, signatures included, and what the delivery log says.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import update

from hpi_app.config import settings
from hpi_app.core import deliveries as delivery_queue
from hpi_app.core import delivery_log, outbox, tasks
from hpi_app.core.errors import Conflict
from hpi_app.db import session_scope
from hpi_app.models import Task, utcnow
from tests.utils.deliveries import attempts, create_task, deliveries, running_worker, wait_until
from tests.utils.receivers import WebhookReceiver, verify_signatures

PLAIN_SECRET = "a-plain-shared-secret"


@pytest.fixture
def receiver():
    with WebhookReceiver() as server:
        yield server


def short_max_age(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """New deliveries (and redeliveries) give up ``seconds`` after they start."""
    patched = dataclasses.replace(settings, delivery_max_age_seconds=seconds)
    monkeypatch.setattr(outbox, "settings", patched)
    monkeypatch.setattr(delivery_log, "settings", patched)


async def test_completion_posts_the_hpi_body_with_both_signatures(admin, receiver):
    created = create_task(admin, [{"type": "webhook", "url": receiver.url + "/hook"}], corr_id="deploy-42")
    secret = created["webhook_secrets"][0]["secret"]
    assert secret.startswith("whsec_")
    tasks.complete_task(created["task_id"], {"decision": "Approve", "comments": "ship it"}, actor="a@b.c")
    async with running_worker():
        (request,) = await receiver.until(1)
    body = verify_signatures(request, secret)
    assert set(body) == {"source", "event", "task_id", "correlation_key", "timestamp", "data"}
    assert body["source"] == "hpi" and body["event"] == "task.completed"
    assert body["task_id"] == created["task_id"] and body["correlation_key"] == "deploy-42"
    assert body["data"] == {"decision": "Approve", "comments": "ship it"}
    assert body["timestamp"].endswith("Z")
    assert request.path == "/hook"
    assert request.headers["x-webhook-event"] == "task.completed"
    assert request.headers["x-webhook-task-id"] == created["task_id"]
    assert request.headers["user-agent"] == "HPI-Webhooks/1"
    assert request.headers["content-type"] == "application/json"
    (row,) = deliveries()
    assert row.status == "delivered" and row.webhook_id == request.webhook_id
    assert row.webhook_id == "msg_" + row.id.replace("-", "")
    (attempt,) = attempts(row.id)
    assert attempt.ok and attempt.status_code == 200 and attempt.attempt == 1 and attempt.error is None
    assert attempt.latency_ms >= 0


async def test_cancel_sends_reason_instead_of_data_with_a_plain_secret(admin, receiver):
    created = create_task(admin, [{"type": "webhook", "url": receiver.url, "secret": PLAIN_SECRET}])
    assert "webhook_secrets" not in created
    tasks.cancel_task(admin.org_id, created["task_id"], "plans changed", actor=admin.id)
    async with running_worker():
        (request,) = await receiver.until(1)
    body = verify_signatures(request, PLAIN_SECRET)
    assert set(body) == {"source", "event", "task_id", "correlation_key", "timestamp", "reason"}
    assert body["event"] == "task.cancelled" and body["reason"] == "plans changed"
    assert body["correlation_key"] is None
    assert request.headers["x-webhook-event"] == "task.cancelled"


async def test_created_and_expired_go_only_to_sinks_that_ask(admin, receiver):
    sinks = [
        {"type": "webhook", "url": receiver.url + "/default", "secret": PLAIN_SECRET},
        {
            "type": "webhook",
            "url": receiver.url + "/lifecycle",
            "secret": PLAIN_SECRET,
            "events": ["created", "expired"],
        },
    ]
    created = create_task(admin, sinks, expires_in=60)
    with session_scope(write=True) as session:
        session.execute(
            update(Task)
            .where(Task.id == created["task_id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    assert tasks.expire_due() == 1
    async with running_worker():
        got = await receiver.until(2)
    assert {(r.path, r.json["event"]) for r in got} == {
        ("/lifecycle", "task.created"),
        ("/lifecycle", "task.expired"),
    }
    for request in got:
        body = verify_signatures(request, PLAIN_SECRET)
        assert set(body) == {"source", "event", "task_id", "correlation_key", "timestamp"}
    assert len(deliveries()) == 2


async def test_success_after_two_failures_keeps_one_webhook_id(admin, receiver):
    receiver.plan("500", "503")
    created = create_task(admin, [{"type": "webhook", "url": receiver.url, "secret": PLAIN_SECRET}])
    tasks.complete_task(created["task_id"], {"decision": "Reject"})
    async with running_worker():
        await receiver.until(1)
        (row,) = await wait_until(
            lambda: [d for d in deliveries() if d.status == "delivered"], what="delivered"
        )
    got = receiver.requests
    assert [r.answered for r in got] == [500, 503, 200]
    assert {r.webhook_id for r in got} == {row.webhook_id}
    assert all(verify_signatures(r, PLAIN_SECRET)["data"] == {"decision": "Reject"} for r in got)
    assert len({r.body for r in got}) == 1  # the same bytes every time
    log = attempts(row.id)
    assert [(a.attempt, a.ok, a.status_code) for a in log] == [
        (1, False, 500),
        (2, False, 503),
        (3, True, 200),
    ]
    assert "HTTP 500" in log[0].error and "receiver says no" in log[0].error
    assert log[0].started_at < log[1].started_at < log[2].started_at
    assert row.attempts == 3 and row.last_status_code == 200 and row.delivered_at is not None


async def test_a_hanging_receiver_times_out_and_is_retried(admin, receiver):
    receiver.plan("hang")
    created = create_task(admin, [{"type": "webhook", "url": receiver.url, "secret": PLAIN_SECRET}])
    tasks.complete_task(created["task_id"], {"decision": "Approve"})
    async with running_worker(timeout=0.5):
        await receiver.until(1)
        (row,) = await wait_until(
            lambda: [d for d in deliveries() if d.status == "delivered"], what="delivered"
        )
    first, second = attempts(row.id)
    assert not first.ok and first.status_code is None and "0.5 s" in first.error
    assert 400 <= first.latency_ms < 2000
    assert second.ok and second.status_code == 200
    assert len({r.webhook_id for r in receiver.requests}) == 1


async def test_a_redirect_is_a_failure_and_is_never_followed(admin, receiver, monkeypatch):
    short_max_age(monkeypatch, 1.0)
    with WebhookReceiver() as elsewhere:
        receiver.plan(*["redirect:" + elsewhere.url] * 50)
        created = create_task(admin, [{"type": "webhook", "url": receiver.url, "secret": PLAIN_SECRET}])
        tasks.complete_task(created["task_id"], {"decision": "Approve"})
        async with running_worker():
            (row,) = await wait_until(
                lambda: [d for d in deliveries() if d.status == "failed"], what="failed"
            )
        assert elsewhere.requests == []
    log = attempts(row.id)
    assert len(log) >= 2 and all(a.status_code == 302 and not a.ok for a in log)
    assert "redirect" in log[0].error and elsewhere.url in log[0].error
    assert row.last_status_code == 302


async def test_unreachable_receiver_fails_after_max_age_then_redeliver_delivers(admin, monkeypatch):
    short_max_age(monkeypatch, 1.0)
    down = WebhookReceiver()  # its port is chosen but nothing listens there yet
    created = create_task(admin, [{"type": "webhook", "url": down.url, "secret": PLAIN_SECRET}])
    tasks.complete_task(created["task_id"], {"decision": "Approve"})
    async with running_worker() as worker:
        (row,) = await wait_until(lambda: [d for d in deliveries() if d.status == "failed"], what="failed")
        log = attempts(row.id)
        assert len(log) >= 3 and not any(a.ok for a in log)
        assert all(a.status_code is None and "reach the receiver" in a.error for a in log)
        # The last attempt is at the deadline, not past it.
        assert log[-1].started_at >= row.deadline_at - timedelta(seconds=0.05)
        with down:
            record = delivery_log.redeliver(admin.org_id, row.id)
            assert record.delivery.status == "pending"
            (request,) = await down.until(1)
            await wait_until(lambda: deliveries()[0].status == "delivered", what="delivered")
        assert worker.worker_id
    assert request.webhook_id == row.webhook_id
    assert verify_signatures(request, PLAIN_SECRET)["event"] == "task.completed"
    final = delivery_log.get_delivery(admin.org_id, row.id)
    assert final.delivery.attempts == len(log) + 1 and final.attempts[-1].ok


async def test_redeliver_a_delivered_event_sends_it_again_with_the_same_id(admin, receiver):
    created = create_task(admin, [{"type": "webhook", "url": receiver.url, "secret": PLAIN_SECRET}])
    tasks.complete_task(created["task_id"], {"decision": "Approve"})
    async with running_worker():
        (first,) = await receiver.until(1)
        (row,) = await wait_until(
            lambda: [d for d in deliveries() if d.status == "delivered"], what="delivered"
        )
        delivery_log.redeliver(admin.org_id, row.id)
        first_again, second = await receiver.until(2)
        await wait_until(lambda: len(attempts(row.id)) == 2, what="two attempts")
    assert first_again is first
    assert second.webhook_id == first.webhook_id and second.body == first.body


async def test_a_refused_state_change_writes_no_delivery(admin):
    created = create_task(admin, [{"type": "webhook", "url": "http://127.0.0.1:9/x", "secret": PLAIN_SECRET}])
    tasks.complete_task(created["task_id"], {"decision": "Approve"})
    with pytest.raises(Conflict):
        tasks.cancel_task(admin.org_id, created["task_id"], "too late", actor=admin.id)
    with pytest.raises(Conflict):
        tasks.complete_task(created["task_id"], {"decision": "Reject"})
    assert [d.event for d in deliveries()] == ["task.completed"]


async def test_a_sink_listening_for_nothing_done_gets_nothing(admin, receiver):
    created = create_task(
        admin, [{"type": "webhook", "url": receiver.url, "secret": PLAIN_SECRET, "events": ["expired"]}]
    )
    tasks.complete_task(created["task_id"], {"decision": "Approve"})
    assert deliveries() == []


def test_the_backoff_schedule_grows_with_jitter_and_repeats_its_last_step():
    delays = settings.delivery_retry_delays
    assert delays == (5.0, 30.0, 120.0, 600.0, 1800.0, 3600.0)
    for attempt, base in [(1, 5), (2, 30), (3, 120), (6, 3600), (40, 3600)]:
        seen = [delivery_queue.retry_delay(attempt, delays) for _ in range(200)]
        assert all(base * 0.8 <= s <= base * 1.2 for s in seen)
        assert len(set(seen)) > 100  # jittered, so many receivers don't retry in lockstep


async def test_a_broken_delivery_is_logged_and_the_worker_carries_on(admin, receiver):
    rows = [
        outbox.new_delivery(
            org_id=admin.org_id, event="task.created", sink={"type": "pigeon"}, body={"n": 1}
        ),
        outbox.new_delivery(
            org_id=admin.org_id, event="task.created", sink={"type": "webhook"}, body={"n": 2}
        ),
        outbox.new_delivery(
            org_id=admin.org_id,
            event="task.created",
            sink={"type": "webhook", "url": receiver.url, "secret": PLAIN_SECRET},
            body={"n": 3},
        ),
    ]
    with session_scope(write=True) as session:
        session.add_all(rows)
        session.commit()
    async with running_worker():
        (request,) = await receiver.until(1)
        await wait_until(lambda: all(len(attempts(r.id)) >= 1 for r in rows), what="every row tried")
    assert verify_signatures(request, PLAIN_SECRET) == {"n": 3}
    assert "Unknown sink type 'pigeon'" in attempts(rows[0].id)[0].error
    assert "url" in attempts(rows[1].id)[0].error


async def test_the_lifespan_worker_stops_promptly_when_cancelled(store):
    from hpi_app.workers.delivery import run_delivery_worker

    task = asyncio.create_task(run_delivery_worker())
    await asyncio.sleep(0.2)
    assert not task.done()
    task.cancel()
    async with asyncio.timeout(4):  # Reflex waits 5 s for lifespan tasks to wind down
        with pytest.raises(asyncio.CancelledError):
            await task


def test_backoff_can_be_configured(monkeypatch):
    from hpi_app.config import load_settings

    monkeypatch.setenv("HPI_DELIVERY_BACKOFF", "1, 2.5,60")
    monkeypatch.setenv("HPI_DELIVERY_MAX_AGE", "3600")
    loaded = load_settings()
    assert loaded.delivery_retry_delays == (1.0, 2.5, 60.0) and loaded.delivery_max_age_seconds == 3600
    monkeypatch.setenv("HPI_DELIVERY_BACKOFF", "5,soon")
    with pytest.raises(ValueError, match="HPI_DELIVERY_BACKOFF"):
        load_settings()
