"""The dashboard with a history: the Done tab pages through it, and changes are applied, not re-listed."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.accounts import make_member, sign_in
from tests.utils.bodies import seed_task

pytestmark = pytest.mark.e2e


def _done_total(client: httpx.Client) -> int:
    answer = client.get("/api/v1/tasks", params={"status": "done", "limit": 1})
    assert answer.status_code == 200, answer.text
    return answer.json()["total"]


def _made_and_cancelled(client: httpx.Client, title: str) -> str:
    made = client.post("/api/v1/tasks", json=seed_task(title=title))
    assert made.status_code == 201, made.text
    task_id = made.json()["task_id"]
    cancelled = client.post(f"/api/v1/tasks/{task_id}/cancel", json={"reason": "history"})
    assert cancelled.status_code == 200, cancelled.text
    return task_id


def test_done_tab_pages_through_history_and_applies_new_changes_to_the_pages_read(app_server, page):
    member = make_member(app_server)
    tag = f"pager {uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=app_server.url, headers=member.headers, timeout=10) as client:
        history = [_made_and_cancelled(client, f"{tag} {n:02d}") for n in range(60)]
        sign_in(page, app_server, member)
        page.get_by_label("Search tasks").fill(tag)
        expect(page.locator("#no-match")).to_be_visible()  # the search applies (none of them is pending)
        page.locator("#tab-done").click()
        rows = page.locator("tr.task-row")
        expect(rows).to_have_count(50)
        expect(rows.first).to_have_attribute("data-task-id", history[-1])
        expect(page.locator("#shown-count")).to_have_text("Showing the newest 50 of 60.")

        page.locator("#load-more").click()
        expect(rows).to_have_count(60)
        expect(rows.last).to_have_attribute("data-task-id", history[0])
        expect(page.locator("#load-more")).to_have_count(0)

        # A task finished now lands on top of the 60 rows already read: the change was applied to
        # them (listing afresh would show the first page of 50 again), and the counts follow.
        newest = _made_and_cancelled(client, f"{tag} newest")
        expect(rows.first).to_have_attribute("data-task-id", newest)
        expect(rows.first).to_have_attribute("data-status", "cancelled")
        expect(page.locator("#shown-count")).to_have_text("Showing the newest 60 of 61.")
        expect(rows).to_have_count(60)
        expect(page.locator("#tab-done")).to_have_text(re.compile(rf"Done\s*{_done_total(client):,}$"))

        # A new pending task: not on the Done tab, but the Pending count and tab see it at once.
        pending = client.post("/api/v1/tasks", json=seed_task(title=f"{tag} pending"))
        assert pending.status_code == 201
        pending_total = client.get("/api/v1/tasks", params={"status": "pending", "limit": 1}).json()["total"]
        expect(page.locator("#tab-pending")).to_have_text(re.compile(rf"Pending\s*{pending_total:,}$"))
        expect(rows).to_have_count(60)
        page.locator("#tab-pending").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-task-id", pending.json()["task_id"])


def test_search_stays_live(app_server, page):
    member = make_member(app_server)
    tag = f"live search {uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=app_server.url, headers=member.headers, timeout=10) as client:
        sign_in(page, app_server, member)
        page.get_by_label("Search tasks").fill(tag)
        expect(page.locator("#no-match")).to_be_visible()
        found = client.post("/api/v1/tasks", json=seed_task(title=f"Review {tag.upper()} now"))
        other = client.post("/api/v1/tasks", json=seed_task(title="Something else entirely"))
        assert found.status_code == other.status_code == 201
        rows = page.locator("tr.task-row")
        expect(rows).to_have_count(1)
        expect(rows.first).to_have_attribute("data-task-id", found.json()["task_id"])
        # Finished: it leaves the Pending list it matched.
        done = client.post(f"/api/v1/tasks/{found.json()['task_id']}/cancel", json={})
        assert done.status_code == 200, done.text
        expect(page.locator("#no-match")).to_be_visible()
