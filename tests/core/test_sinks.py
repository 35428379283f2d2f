"""Organisation-wide sinks: settings, validation, the event filter, disabling, test events, deletion."""

from __future__ import annotations

import pytest

from hpi_app.core import accounts, delivery_log, sinks, tasks
from hpi_app.core.errors import InvalidInput, NotFound
from tests.utils.deliveries import attempts, create_task, deliveries, running_worker, wait_until
from tests.utils.receivers import WebhookReceiver, verify_signatures

SECRET = "org-sink-secret"


@pytest.fixture
def receiver():
    with WebhookReceiver() as server:
        yield server


def webhook(url: str, **more) -> dict:
    return {"name": "Ops hook", "type": "webhook", "url": url, **more}


def test_a_webhook_sink_without_secret_gets_one_shown_once(admin):
    saved = sinks.create_sink(admin.org_id, webhook("https://hooks.example.com/hpi"), created_by=admin.id)
    assert saved.new_secret.startswith("whsec_")
    shown = sinks.to_public(saved.sink)
    assert shown["has_secret"] and "secret" not in shown["config"] and saved.new_secret not in str(shown)
    assert shown["config"] == {"url": "https://hooks.example.com/hpi"}
    assert shown["events"] == ["completed", "cancelled"] and shown["enabled"] is True
    assert [s.id for s in sinks.list_sinks(admin.org_id)] == [saved.sink.id]
    given = sinks.create_sink(admin.org_id, webhook("https://x.example.com", name="Given", secret=SECRET))
    assert given.new_secret is None and given.sink.config["secret"] == SECRET


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (webhook("ftp://example.com/x"), ["url"]),
        (webhook("https://example.com", events=["completed", "opened"]), ["events[1]"]),
        ({"type": "webhook", "url": "https://example.com"}, ["name"]),
        ({"name": "x", "type": "sms"}, ["type"]),
        ({"name": "x"}, ["type"]),
        ({"name": "x", "type": "email", "to": "not-an-address"}, ["to"]),
        ({"name": "x", "type": "nats", "subject": "has spaces"}, ["subject"]),
        (webhook("https://example.com", secret="whsec_not base64!"), ["secret"]),
        (webhook("https://example.com", secret="short"), ["secret"]),
        ("not an object", ["body"]),
    ],
)
def test_bad_settings_name_their_fields(admin, data, fields):
    with pytest.raises(InvalidInput) as caught:
        sinks.create_sink(admin.org_id, data)
    assert [d["field"] for d in caught.value.details] == fields
    assert sinks.list_sinks(admin.org_id) == []


def test_editing_keeps_the_secret_and_checks_names(admin):
    first = sinks.create_sink(admin.org_id, webhook("https://a.example.com", secret=SECRET)).sink
    sinks.create_sink(admin.org_id, {"name": "Mail", "type": "email", "to": "ops@example.com"})
    saved = sinks.update_sink(admin.org_id, first.id, {"url": "https://b.example.com", "events": ["created"]})
    assert saved.new_secret is None
    assert saved.sink.config == {"url": "https://b.example.com", "secret": SECRET}
    assert saved.sink.events == ["created"]
    with pytest.raises(InvalidInput) as caught:
        sinks.update_sink(admin.org_id, first.id, {"name": "Mail"})
    assert [d["field"] for d in caught.value.details] == ["name"]
    with pytest.raises(InvalidInput) as caught:
        sinks.update_sink(admin.org_id, first.id, {"url": "javascript:alert(1)"})
    assert [d["field"] for d in caught.value.details] == ["url"]
    assert sinks.get_sink(admin.org_id, first.id).config["url"] == "https://b.example.com"
    # Switching type drops the old type's settings.
    switched = sinks.update_sink(admin.org_id, first.id, {"type": "nats", "subject": "hpi.events"}).sink
    assert switched.type == "nats" and switched.config == {"subject": "hpi.events"}
    rotated = sinks.update_sink(admin.org_id, first.id, {"type": "webhook", "url": "https://c.example.com"})
    assert rotated.new_secret.startswith("whsec_")
    renewed = sinks.rotate_secret(admin.org_id, first.id)
    assert renewed.new_secret != rotated.new_secret
    assert sinks.get_sink(admin.org_id, first.id).config["secret"] == renewed.new_secret


def test_another_organisations_sink_is_not_found(admin):
    sink = sinks.create_sink(admin.org_id, webhook("https://a.example.com")).sink
    other = accounts.create_user("eve@other.test", "correct horse battery", org_name="Other")
    for call in (
        lambda: sinks.get_sink(other.org_id, sink.id),
        lambda: sinks.update_sink(other.org_id, sink.id, {"name": "mine"}),
        lambda: sinks.delete_sink(other.org_id, sink.id),
        lambda: sinks.send_test_event(other.org_id, sink.id),
    ):
        with pytest.raises(NotFound):
            call()
    assert sinks.list_sinks(other.org_id) == []


async def test_org_sinks_hear_every_task_through_their_filter(admin, receiver):
    everything = sinks.create_sink(
        admin.org_id,
        webhook(
            receiver.url + "/all", secret=SECRET, events=["created", "completed", "cancelled", "expired"]
        ),
    ).sink
    sinks.create_sink(
        admin.org_id, webhook(receiver.url + "/cancels", name="Cancels", secret=SECRET, events=["cancelled"])
    )
    off = sinks.create_sink(admin.org_id, webhook(receiver.url + "/off", name="Off", secret=SECRET)).sink
    sinks.set_enabled(admin.org_id, off.id, False)
    created = create_task(admin)
    tasks.complete_task(created["task_id"], {"decision": "Approve"})
    async with running_worker():
        got = await receiver.until(2)
        await wait_until(lambda: all(d.status == "delivered" for d in deliveries()), what="delivered")
    assert sorted((r.path, verify_signatures(r, SECRET)["event"]) for r in got) == [
        ("/all", "task.completed"),
        ("/all", "task.created"),
    ]
    assert {d.sink_id for d in deliveries()} == {everything.id}
    assert all("secret" not in d.sink for d in deliveries())  # org sinks' secrets stay on the sink


async def test_a_sink_disabled_after_queueing_gets_nothing_and_says_why(admin, receiver):
    sink = sinks.create_sink(admin.org_id, webhook(receiver.url, secret=SECRET)).sink
    created = create_task(admin)
    tasks.cancel_task(admin.org_id, created["task_id"], "no", actor=admin.id)
    sinks.set_enabled(admin.org_id, sink.id, False)
    async with running_worker():
        (row,) = await wait_until(lambda: [d for d in deliveries() if d.status == "failed"], what="failed")
    assert receiver.requests == []
    assert "disabled" in row.last_error
    sinks.set_enabled(admin.org_id, sink.id, True)
    delivery_log.redeliver(admin.org_id, row.id)
    async with running_worker():
        (request,) = await receiver.until(1)
    assert verify_signatures(request, SECRET)["reason"] == "no"


async def test_edits_reach_deliveries_still_waiting(admin, receiver):
    with WebhookReceiver() as old:
        old.stop()
        sink = sinks.create_sink(admin.org_id, webhook(old.url, secret=SECRET, events=["created"])).sink
        create_task(admin)
        async with running_worker():
            await wait_until(lambda: deliveries()[0].attempts >= 1, what="a failed attempt")
            sinks.update_sink(admin.org_id, sink.id, {"url": receiver.url, "secret": "a-brand-new-secret"})
            (request,) = await receiver.until(1)
    verify_signatures(request, "a-brand-new-secret")


async def test_send_test_event_is_tried_once_even_when_disabled(admin, receiver):
    saved = sinks.create_sink(admin.org_id, webhook(receiver.url, enabled=False, events=["expired"]))
    delivery = sinks.send_test_event(admin.org_id, saved.sink.id)
    assert delivery.event == "task.test" and delivery.sink_id == saved.sink.id
    async with running_worker():
        (request,) = await receiver.until(1)
        await wait_until(lambda: deliveries()[0].status == "delivered", what="delivered")
    body = verify_signatures(request, saved.new_secret)
    assert body["event"] == "task.test" and body["task_id"] is None and body["source"] == "hpi"
    assert request.headers["x-webhook-event"] == "task.test"
    assert [d.id for d in deliveries(sink_id=saved.sink.id)] == [delivery.id]
    # Against a receiver that is down it fails at once, with the reason in the log.
    receiver.stop()
    failed = sinks.send_test_event(admin.org_id, saved.sink.id)
    async with running_worker():
        await wait_until(
            lambda: [d for d in deliveries() if d.id == failed.id and d.status == "failed"], what="failed"
        )
    (only,) = attempts(failed.id)
    assert not only.ok and "reach the receiver" in only.error


def test_deleting_a_sink_fails_its_waiting_deliveries_and_keeps_the_log(admin):
    sink = sinks.create_sink(admin.org_id, webhook("http://127.0.0.1:9", secret=SECRET)).sink
    created = create_task(admin)
    tasks.complete_task(created["task_id"], {"decision": "Approve"})
    sinks.delete_sink(admin.org_id, sink.id)
    assert sinks.list_sinks(admin.org_id) == []
    (row,) = deliveries()
    assert row.status == "failed" and "deleted" in row.last_error and row.sink_id == sink.id
    records, total = delivery_log.list_deliveries(admin.org_id, sink_id=sink.id)
    assert total == 1 and records[0].delivery.id == row.id
