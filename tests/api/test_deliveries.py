"""The deliveries API: a task's delivery log, one delivery, redeliver; sinks given on create."""

from __future__ import annotations

from hpi_app.core import accounts, tasks, tokens
from hpi_app.core import deliveries as delivery_queue
from tests.utils.bodies import seed_task
from tests.utils.deliveries import deliveries, running_worker, wait_until
from tests.utils.receivers import WebhookReceiver, verify_signatures


async def create_with_webhook(client, auth, url: str) -> dict:
    answer = await client.post(
        "/api/v1/tasks", json=seed_task(sinks=[{"type": "webhook", "url": url}]), headers=auth
    )
    assert answer.status_code == 201
    return answer.json()


async def delivery_log(client, auth, task_id: str) -> list[dict]:
    answer = await client.get(f"/api/v1/tasks/{task_id}/deliveries", headers=auth)
    assert answer.status_code == 200
    return answer.json()["deliveries"]


async def test_a_task_created_over_the_api_pushes_its_completion(client, auth):
    with WebhookReceiver() as receiver:
        created = await create_with_webhook(client, auth, receiver.url + "/in")
        (generated,) = created["webhook_secrets"]
        assert generated == {"sink": 0, "url": receiver.url + "/in", "secret": generated["secret"]}
        assert await delivery_log(client, auth, created["task_id"]) == []  # created isn't asked for
        tasks.complete_task(created["task_id"], {"decision": "Approve"})
        async with running_worker():
            (request,) = await receiver.until(1)
            await wait_until(lambda: outbox_statuses() == ["delivered"], what="delivered")
        body = verify_signatures(request, generated["secret"])
        assert body["data"] == {"decision": "Approve"}
        answer = await client.get(f"/api/v1/tasks/{created['task_id']}/deliveries", headers=auth)
    assert generated["secret"] not in answer.text
    (shown,) = answer.json()["deliveries"]
    assert shown["status"] == "delivered" and shown["event"] == "task.completed"
    assert shown["webhook_id"] == request.webhook_id and shown["task_id"] == created["task_id"]
    assert shown["sink"] == {
        "type": "webhook",
        "url": receiver.url + "/in",
        "events": ["completed", "cancelled"],
    }
    assert shown["attempt_count"] == 1 and shown["next_attempt_at"] is None
    (attempt,) = shown["attempts"]
    assert attempt["ok"] is True and attempt["status_code"] == 200 and attempt["error"] is None
    one = await client.get(f"/api/v1/deliveries/{shown['delivery_id']}", headers=auth)
    assert one.status_code == 200 and one.json() == shown


def outbox_statuses() -> list[str]:
    return [d.status for d in deliveries()]


async def test_redeliver_over_the_api(client, auth):
    with WebhookReceiver() as receiver:
        receiver.plan("500")
        created = await create_with_webhook(client, auth, receiver.url)
        cancel = await client.post(
            f"/api/v1/tasks/{created['task_id']}/cancel", json={"reason": "x"}, headers=auth
        )
        assert cancel.status_code == 200
        # The next retry is a minute away: only the redeliver can send it again in this test.
        async with running_worker(retry_delays=(60.0,)):
            await wait_until(lambda: deliveries()[0].attempts == 1, what="the failed attempt recorded")
            (shown,) = await delivery_log(client, auth, created["task_id"])
            assert shown["status"] == "pending" and shown["last_status_code"] == 500
            assert shown["last_error"].startswith("HTTP 500")
            answer = await client.post(f"/api/v1/deliveries/{shown['delivery_id']}/redeliver", headers=auth)
            assert answer.status_code == 202 and answer.json()["status"] == "pending"
            await receiver.until(1)
            await wait_until(lambda: outbox_statuses() == ["delivered"], what="delivered")
        assert [r.answered for r in receiver.requests] == [500, 200]
        assert {r.webhook_id for r in receiver.requests} == {shown["webhook_id"]}
    (final,) = await delivery_log(client, auth, created["task_id"])
    assert [a["status_code"] for a in final["attempts"]] == [500, 200]


async def test_redeliver_while_an_attempt_is_in_flight_is_a_conflict(client, auth):
    created = await create_with_webhook(client, auth, "http://127.0.0.1:9/")
    await client.post(f"/api/v1/tasks/{created['task_id']}/cancel", headers=auth)
    (job,) = delivery_queue.claim_due("busy-worker", 5, lease_seconds=60)
    answer = await client.post(f"/api/v1/deliveries/{job.delivery_id}/redeliver", headers=auth)
    assert answer.status_code == 409 and answer.json()["code"] == "delivery_in_flight"


async def test_scopes_and_organisations_are_enforced(client, auth, make_token):
    created = await create_with_webhook(client, auth, "http://127.0.0.1:9/")
    await client.post(f"/api/v1/tasks/{created['task_id']}/cancel", headers=auth)
    (shown,) = await delivery_log(client, auth, created["task_id"])
    reader = {"Authorization": f"Bearer {make_token('tasks:read')}"}
    assert (
        await client.get(f"/api/v1/tasks/{created['task_id']}/deliveries", headers=reader)
    ).status_code == 200
    refused = await client.post(f"/api/v1/deliveries/{shown['delivery_id']}/redeliver", headers=reader)
    assert refused.status_code == 403
    other = accounts.create_user("eve@other.test", "correct horse battery", org_name="Other")
    raw, _ = tokens.create_token(other.id, "eve", "tasks:create,tasks:read")
    eve = {"Authorization": f"Bearer {raw}"}
    for method, path in [
        ("GET", f"/api/v1/tasks/{created['task_id']}/deliveries"),
        ("GET", f"/api/v1/deliveries/{shown['delivery_id']}"),
        ("POST", f"/api/v1/deliveries/{shown['delivery_id']}/redeliver"),
        ("GET", "/api/v1/deliveries/not-a-delivery"),
    ]:
        answer = await client.request(method, path, headers=eve)
        assert answer.status_code == 404, (method, path)
        assert answer.json()["code"] in ("task_not_found", "delivery_not_found")
    assert (await client.get(f"/api/v1/deliveries/{shown['delivery_id']}")).status_code == 401


async def test_bad_sinks_on_create_name_their_paths(client, auth):
    body = seed_task(
        sinks=[
            {"type": "webhook", "url": "ftp://example.com/x"},
            {"type": "webhook", "url": "https://example.com", "secret": "whsec_???"},
            {"type": "email", "to": "nobody"},
            {"type": "pigeon"},
        ]
    )
    answer = await client.post("/api/v1/tasks", json=body, headers=auth)
    assert answer.status_code == 400
    assert [d["field"] for d in answer.json()["details"]] == [
        "sinks[0].url",
        "sinks[1].secret",
        "sinks[2].to",
        "sinks[3].type",
    ]
