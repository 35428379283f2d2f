"""The quick-start page, replayed over real HTTP against the app started as `make run` starts it."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.utils.bodies import seed_task

pytestmark = pytest.mark.e2e


def test_quick_start_calls_behave_as_the_page_says(app_server):
    # The server is shared with other tests: make a user of our own (the first one ever is the admin).
    email = f"ops-{uuid.uuid4().hex[:8]}@acme.test"
    made = app_server.cli("user", "create", "--email", email, "--password", "long enough pw")
    assert made.returncode == 0, made.stderr
    issued = app_server.cli(
        "token", "create", "--email", email, "--name", "quick-start", "--scopes", "tasks:create"
    )
    raw = issued.stdout.strip()
    assert raw.startswith("htk_")
    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}

    # Step 2: create the task (the token has tasks:create only, as the page says).
    created = httpx.post(f"{app_server.url}/api/v1/tasks", json=seed_task(), headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["url"] == f"{app_server.url}/t/{body['link_id']}"
    assert body["requires_otp"] is False

    # Reading needs tasks:read: the same token is refused, naming the scope.
    refused = httpx.get(
        f"{app_server.url}/api/v1/tasks/{body['task_id']}/wait?timeout=1", headers=headers, timeout=10
    )
    assert refused.status_code == 403 and refused.json()["required_scope"] == "tasks:read"

    reader = app_server.cli(
        "token",
        "create",
        "--email",
        email,
        "--name",
        "reader",
        "--scopes",
        "tasks:create,tasks:read",
    )
    headers["Authorization"] = f"Bearer {reader.stdout.strip()}"

    # Step 5: long-poll with a short timeout while nobody completes it: 408.
    waited = httpx.get(
        f"{app_server.url}/api/v1/tasks/{body['task_id']}/wait?timeout=1", headers=headers, timeout=10
    )
    assert waited.status_code == 408
    assert waited.json()["timed_out"] is True and waited.json()["status"] == "pending"

    # Polling instead.
    got = httpx.get(f"{app_server.url}/api/v1/tasks/{body['task_id']}", headers=headers, timeout=10)
    assert got.status_code == 200
    assert got.json()["title"] == "Approve deployment to production"

    # A cancel releases a waiter held by the running server.
    with httpx.Client(base_url=app_server.url, headers=headers, timeout=30) as http:
        import threading

        result: dict = {}
        waiter = threading.Thread(
            target=lambda: result.update(answer=http.get(f"/api/v1/tasks/{body['task_id']}/wait?timeout=20"))
        )
        waiter.start()
        cancel = http.post(f"/api/v1/tasks/{body['task_id']}/cancel", json={"reason": "demo over"})
        waiter.join(25)
    assert cancel.status_code == 200
    assert result["answer"].status_code == 200 and result["answer"].json()["status"] == "cancelled"

    # The web app answers on the same port, and unknown API paths are JSON.
    assert httpx.get(f"{app_server.url}/", timeout=10).status_code == 200
    missing = httpx.get(f"{app_server.url}/api/v1/nothing", headers=headers, timeout=10)
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
