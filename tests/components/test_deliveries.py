"""The delivery log's rows as the task detail page and the sinks page show them, read from the records."""

from __future__ import annotations

from hpi_app import routes
from hpi_app.components.deliveries import delivery_rows
from hpi_app.core import delivery_log, sinks, tasks
from tests.utils.deliveries import create_task

HOOK = {"type": "webhook", "url": "https://hooks.example.com/mine", "events": ["cancelled"]}


def test_rows_name_the_task_its_link_the_sink_and_the_state(admin):
    created = create_task(admin, [HOOK], title="Rotate the keys")
    tasks.cancel_task(admin.org_id, created["task_id"], "done by hand", actor=admin.id)
    [row] = delivery_rows(admin.org_id, delivery_log.deliveries_for_task(admin.org_id, created["task_id"]))
    assert (row.event, row.task_id, row.task_title) == (
        "task.cancelled",
        created["task_id"],
        "Rotate the keys",
    )
    assert row.task_href == routes.task_detail(created["task_id"])
    assert row.sink_label == "webhook https://hooks.example.com/mine"
    assert (row.status, row.attempt_count, row.attempts) == ("pending", 0, [])
    assert row.at and row.next_at  # waiting for its first attempt


def test_a_test_event_row_has_no_task(admin):
    sink = sinks.create_sink(
        admin.org_id, {"name": "ops", "type": "webhook", "url": "https://hooks.example.com/t"}
    )
    sent = sinks.send_test_event(admin.org_id, sink.sink.id)
    [row] = delivery_rows(admin.org_id, [delivery_log.get_delivery(admin.org_id, sent.id)])
    assert (row.task_id, row.task_title, row.task_href, row.sink_label) == ("", "Test event", "", "ops")
