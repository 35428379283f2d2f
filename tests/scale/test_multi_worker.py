"""Several workers behave as one: `python -m hpi_app serve` with 3 Granian workers, PostgreSQL, Redis.

Each test arranges its connections on chosen workers (see ``conftest.Workers``), so that what
one worker commits must reach the others through the Redis bus: `/wait` long-polls and event
streams, dashboards whose websockets live on different workers, and delivery workers racing
for the same outbox rows.

Waiting has deadlines shorter than the store re-checks each watcher does on its own when it
hears nothing (a `/wait` every 30 s, an event stream every 15 s, a dashboard every 60 s), so
only the bus can meet them: a broken bridge fails these tests instead of making them slow.
(A `/wait` also reads the store when its own timeout ends: its timeout is longer still.)
"""

from __future__ import annotations

import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.accounts import open_dashboard, sign_in
from tests.scale.conftest import WORKERS, Connection, EventStream, Waiter, Workers
from tests.utils.bodies import seed_task
from tests.utils.receivers import WebhookReceiver, verify_signatures

pytestmark = pytest.mark.e2e

WAIT_TIMEOUT = 120  # the /wait's own timeout, after which it would read the store anyway
RELEASE_DEADLINE = 15.0  # below the /wait's 30-s store re-check
STREAM_DEADLINE = 10.0  # below the event streams' 15-s store re-check
LIVE_MS = 10_000  # a dashboard re-checks the store every 60 s
MAX_TABS = 12  # dashboard tabs opened at most to get two on different workers
PAGE_MS = 15_000  # for a page to load or a submission to show (the machine may be busy)


def create(conn: Connection, **overrides) -> dict:
    """Create the quick-start task (with ``overrides``) on ``conn``'s worker."""
    answer = conn.post("/api/v1/tasks", json=seed_task(**overrides))
    assert answer.status_code == 201, answer.text
    return answer.json()


def cancel(conn: Connection, task_id: str, reason: str) -> None:
    """Cancel ``task_id`` on ``conn``'s worker."""
    answer = conn.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": reason})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"task_id": task_id, "status": "cancelled"}


def park_waiters(workers: Workers, task_id: str, per_worker: int = 2) -> list[Waiter]:
    """``per_worker`` `/wait` long-polls for ``task_id`` on every worker, in the server and waiting.

    Every request is out first; then a read of the task on each worker, answered after the
    waiters' requests there were taken in (a waiter registers before its own first read), still
    finds the task pending, and no waiter has answered.
    """
    waiters = [
        Waiter(workers.connect(worker), task_id, WAIT_TIMEOUT)
        for worker in workers.ids
        for _ in range(per_worker)
    ]
    for waiter in waiters:
        assert waiter.sent.wait(10), f"the /wait request to worker {waiter.conn.worker} did not go out"
    for worker in workers.ids:
        with workers.on(worker) as conn:
            assert conn.get(f"/api/v1/tasks/{task_id}").json()["status"] == "pending"
    early = [(w.conn.worker, w.answer and w.answer.text, w.error) for w in waiters if w.done.is_set()]
    assert not early, f"waiters answered before the task ended: {early}"
    assert {w.conn.worker for w in waiters} == set(workers.ids)
    return waiters


def released(waiters: list[Waiter]) -> list[dict]:
    """Each waiter's answer, a 200 with the task, within ``RELEASE_DEADLINE`` seconds from now."""
    deadline = time.monotonic() + RELEASE_DEADLINE
    for waiter in waiters:
        waiter.done.wait(max(deadline - time.monotonic(), 0))
    late = sorted(waiter.conn.worker for waiter in waiters if not waiter.done.is_set())
    assert not late, f"waiters still waiting on workers {late} (of {sorted(w.conn.worker for w in waiters)})"
    bodies = []
    for waiter in waiters:
        answer = waiter.result(0)
        assert answer.status_code == 200, f"worker {waiter.conn.worker}: {answer.status_code} {answer.text}"
        bodies.append(answer.json())
    return bodies


def test_a_cancel_on_one_worker_releases_waiters_on_every_worker(workers):
    creator, canceller = workers.ids[0], workers.ids[1]
    with workers.on(creator) as conn:
        task = create(conn, title="Scale: cancelled on another worker")
    waiters = park_waiters(workers, task["task_id"])

    with workers.on(canceller) as conn:
        cancel(conn, task["task_id"], "called off on one worker")

    for body in released(waiters):
        assert body["task_id"] == task["task_id"]
        assert body["status"] == "cancelled"
        assert body["cancel_reason"] == "called off on one worker"


def _complete_by_link(browser, url: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    try:
        person = context.new_page()
        person.goto(url)
        heading = person.get_by_role("heading", name="Scale: completed by its link")
        expect(heading).to_be_visible(timeout=PAGE_MS)
        person.get_by_label("Decision").click()
        person.get_by_role("option", name="Reject").click()
        person.get_by_label("Comments").fill("Not on a Friday, whichever worker asks")
        person.get_by_role("button", name="Submit").click()
        expect(person.get_by_text("Not on a Friday, whichever worker asks")).to_be_visible(timeout=PAGE_MS)
    finally:
        context.close()


def test_a_completion_through_the_link_page_releases_waiters_on_every_worker(workers, chromium):
    with workers.on(workers.ids[2]) as conn:
        task = create(conn, title="Scale: completed by its link")
    # The link page's websocket lands on one worker; there are waiters on it and on the others.
    waiters = park_waiters(workers, task["task_id"])

    chromium.run(_complete_by_link, task["url"])

    for body in released(waiters):
        assert body["task_id"] == task["task_id"]
        assert body["status"] == "completed"
        assert body["data"] == {"decision": "Reject", "comments": "Not on a Friday, whichever worker asks"}


def test_event_streams_hear_changes_made_on_other_workers(workers):
    a, b, c = workers.ids
    # The org stream starts just before a marker task's creation: once it has sent the marker's
    # event, it is subscribed and waiting, before the task under test exists.
    with workers.on(a) as conn:
        marker = create(conn, title="Scale: stream marker")
    replay = EventStream(workers.connect(a), f"/api/v1/tasks/{marker['task_id']}/events")
    start = replay.next(lambda e: e["event"] == "task.created", STREAM_DEADLINE)
    replay.close()
    org = EventStream(workers.connect(a), "/api/v1/events", {"Last-Event-ID": str(int(start["id"]) - 1)})
    org.next(lambda e: e["data"]["task_id"] == marker["task_id"], STREAM_DEADLINE)

    with workers.on(b) as conn:
        task = create(conn, title="Scale: streamed across workers")
    mine = task["task_id"]
    created = org.next(lambda e: e["data"]["task_id"] == mine, STREAM_DEADLINE)
    assert created["event"] == "task.created" and created["data"]["status"] == "pending"

    # One-task streams on the first two workers, each caught up; the cancel comes on the third.
    streams = [EventStream(workers.connect(w), f"/api/v1/tasks/{mine}/events") for w in (a, b)]
    for stream in streams:
        assert stream.next(lambda e: True, STREAM_DEADLINE)["id"] == created["id"]
    with workers.on(c) as conn:
        cancel(conn, mine, "streamed elsewhere")

    for stream in streams:
        final = stream.next(lambda e: True, STREAM_DEADLINE)
        assert final["event"] == "task.cancelled" and final["data"]["status"] == "cancelled"
        assert stream.ended(STREAM_DEADLINE), f"the task stream on {stream.conn.worker} went on"
        assert [e["event"] for e in stream.seen] == ["task.created", "task.cancelled"]
    seen_by_org = org.next(lambda e: e["data"]["task_id"] == mine, STREAM_DEADLINE)
    assert seen_by_org["event"] == "task.cancelled" and seen_by_org["id"] == final["id"]
    org.close()


def _row(page: Page, task_id: str):
    return page.locator(f'tr[data-task-id="{task_id}"]')


def _served_by(page: Page) -> str:
    """The worker holding the tab's websocket (the dashboard's ``data-worker``)."""
    dashboard = page.locator("#dashboard")
    expect(dashboard).to_have_attribute("data-worker", re.compile(r"^[0-9a-f]{12}$"), timeout=PAGE_MS)
    return dashboard.get_attribute("data-worker")


def _two_tabs_on_two_workers(browser, app, member) -> tuple:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    first = context.new_page()
    sign_in(first, app, member)
    tabs = {_served_by(first): first}
    for _ in range(MAX_TABS - 1):
        page = context.new_page()
        open_dashboard(page, app)
        worker = _served_by(page)
        if worker in tabs:
            page.close()
            continue
        tabs[worker] = page
        return context, tabs
    context.close()
    raise AssertionError(f"{MAX_TABS} dashboard tabs, all on worker {next(iter(tabs))}")


def _show_pending(_browser, tabs: dict, task_id: str) -> None:
    for page in tabs.values():
        expect(_row(page, task_id)).to_have_attribute("data-status", "pending", timeout=LIVE_MS)


def _move_to_done(_browser, tabs: dict, task_id: str) -> None:
    for page in tabs.values():
        expect(_row(page, task_id)).to_have_count(0, timeout=LIVE_MS)
    for worker, page in tabs.items():
        page.locator("#tab-done").click()
        expect(_row(page, task_id)).to_have_attribute("data-status", "cancelled")
        assert _served_by(page) == worker


def test_dashboards_on_two_workers_follow_a_task_made_on_a_third(workers, chromium, scaled_app, member):
    context, tabs = chromium.run(_two_tabs_on_two_workers, scaled_app, member)
    try:
        (third,) = workers.other_than(*tabs)
        with workers.on(third) as conn:
            task = create(conn, title="Scale: live on two workers")
            chromium.run(_show_pending, tabs, task["task_id"])
            cancel(conn, task["task_id"], "seen on both")
            chromium.run(_move_to_done, tabs, task["task_id"])
    finally:
        chromium.run(lambda _browser: context.close())


WEBHOOK_TASKS = 30
WEBHOOK_EVENTS = ("task.created", "task.cancelled")


def _settled(conn: Connection, task_ids: list[str], timeout: float = 30.0) -> list[dict]:
    """Every delivery of the tasks, once all are recorded as delivered."""
    deadline = time.monotonic() + timeout
    while True:
        log = []
        for task_id in task_ids:
            answer = conn.get(f"/api/v1/tasks/{task_id}/deliveries")
            assert answer.status_code == 200, answer.text
            log += answer.json()["deliveries"]
        if len(log) == len(task_ids) * len(WEBHOOK_EVENTS) and all(d["status"] == "delivered" for d in log):
            return log
        statuses = Counter(d["status"] for d in log)
        assert time.monotonic() < deadline, f"deliveries not all recorded as delivered: {statuses}"
        time.sleep(0.2)


def test_each_webhook_event_is_delivered_exactly_once_by_racing_workers(workers):
    with WebhookReceiver() as receiver:
        conns = [workers.connect(worker) for worker in workers.ids]
        sinks = [{"type": "webhook", "url": f"{receiver.url}/hook", "events": ["created", "cancelled"]}]

        def create_batch(index: int) -> list[dict]:
            return [
                create(conns[index], title=f"Scale: webhook {index}-{n}", sinks=sinks)
                for n in range(WEBHOOK_TASKS // WORKERS)
            ]

        def cancel_batch(index: int) -> None:
            for task in batches[(index + 1) % WORKERS]:  # each worker cancels another's tasks
                cancel(conns[index], task["task_id"], "webhook race")

        with ThreadPoolExecutor(WORKERS) as pool:
            batches = list(pool.map(create_batch, range(WORKERS)))
            list(pool.map(cancel_batch, range(WORKERS)))
        tasks = {task["task_id"]: task for batch in batches for task in batch}
        expected = {(task_id, event) for task_id in tasks for event in WEBHOOK_EVENTS}

        receiver.wait_for(len(expected), timeout=60)
        log = _settled(conns[0], list(tasks))
        # Every delivery is recorded as done: no worker has one left to send. A little longer
        # for a duplicate from a worker that claimed a delivery another one sent.
        with suppress(AssertionError):
            receiver.wait_for(len(expected) + 1, timeout=1.5, accepted=False)
        requests = receiver.requests
        for conn in conns:
            workers.release(conn)

    by_event = Counter((r.json["task_id"], r.json["event"]) for r in requests)
    twice = {pair: n for pair, n in by_event.items() if n > 1}
    assert not twice, f"{len(twice)} of {len(expected)} events were delivered more than once: {twice}"
    by_id = Counter(r.webhook_id for r in requests)
    assert [i for i, n in by_id.items() if n > 1] == [], "webhook-ids received more than once"
    assert set(by_event) == expected
    assert set(by_id) == {d["webhook_id"] for d in log}
    assert [d["delivery_id"] for d in log if d["attempt_count"] != 1] == []
    for request in requests:
        body = request.json
        (secret,) = tasks[body["task_id"]]["webhook_secrets"]
        assert verify_signatures(request, secret["secret"])["event"] == body["event"]
        assert request.headers["x-webhook-task-id"] == body["task_id"]
