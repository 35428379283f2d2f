"""The dashboard: live rows in several tabs, Pending → Done, filters, toasts, the task detail."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.accounts import cancel_task, create_task, make_member, open_dashboard, open_new_task, sign_in
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def row(page, task_id: str):
    return page.locator(f'tr[data-task-id="{task_id}"]')


def test_new_tasks_appear_live_in_two_tabs_and_move_to_done(app_server, page):
    member = make_member(app_server, name="Live Watcher")
    sign_in(page, app_server, member)
    second = page.context.new_page()
    open_dashboard(second, app_server)

    task = create_task(app_server, member, title="Live: approve the deploy")
    for tab in (page, second):
        expect(row(tab, task["task_id"])).to_be_visible(timeout=5000)
        expect(row(tab, task["task_id"])).to_have_attribute("data-status", "pending")
    expect(page.get_by_text("New task: Live: approve the deploy")).to_be_visible()
    screenshot(page, "dashboard-live-desktop")

    cancel_task(app_server, member, task["task_id"], "done elsewhere")
    for tab in (page, second):
        expect(row(tab, task["task_id"])).to_have_count(0)
    second.locator("#tab-done").click()
    expect(row(second, task["task_id"])).to_have_attribute("data-status", "cancelled")


def test_completion_and_expiry_move_rows_to_done(app_server, page):
    member = make_member(app_server)
    sign_in(page, app_server, member)
    completed = create_task(app_server, member, title="Will be completed")
    expiring = create_task(app_server, member, title="Will expire", expires_in=60)
    expect(row(page, completed["task_id"])).to_be_visible()
    expect(row(page, expiring["task_id"])).to_be_visible()
    app_server.python(
        "from datetime import timedelta\n"
        "from hpi_app.db import session_scope\n"
        "from hpi_app.models import Task, utcnow\n"
        "with session_scope(write=True) as s:\n"
        f"    s.get(Task, {expiring['task_id']!r}).expires_at = utcnow() - timedelta(seconds=1)\n"
        "    s.commit()\n"
    )
    # The deadline passed behind the server's back; the next read of the task expires it
    # (the sweeper would at its next pass) and the dashboard hears of it from the bus.
    read = httpx.get(
        f"{app_server.url}/api/v1/tasks/{expiring['task_id']}", headers=member.headers, timeout=10
    )
    assert read.json()["status"] == "expired"
    app_server.python(
        "from hpi_app.core import tasks\n"
        f"tasks.complete_task({completed['task_id']!r}, {{'decision': 'Approve'}})\n"
    )
    expect(row(page, expiring["task_id"])).to_have_count(0)
    page.locator("#tab-done").click()
    expect(row(page, expiring["task_id"])).to_have_attribute("data-status", "expired")
    # Completed by another process: the dashboard's slow re-check or a reload shows it.
    page.reload()
    page.locator("#tab-done").click()
    expect(row(page, completed["task_id"])).to_have_attribute("data-status", "completed")


def test_search_and_assignee_filters(app_server, page):
    member = make_member(app_server)
    sign_in(page, app_server, member)
    mine = create_task(app_server, member, title="Zebra review (mine)", assignee_member_id="me")
    other = create_task(app_server, member, title="Zebra review (nobody's)")
    page.get_by_label("Search tasks").fill("zebra review")
    expect(row(page, mine["task_id"])).to_be_visible()
    expect(row(page, other["task_id"])).to_be_visible()
    page.get_by_label("Assignee filter").click()
    page.get_by_role("option", name="Assigned to me").click()
    expect(row(page, other["task_id"])).to_have_count(0)
    expect(row(page, mine["task_id"])).to_be_visible()
    page.get_by_label("Assignee filter").click()
    page.get_by_role("option", name="Unassigned").click()
    expect(row(page, mine["task_id"])).to_have_count(0)
    expect(row(page, other["task_id"])).to_be_visible()
    page.get_by_label("Search tasks").fill("no such title anywhere")
    expect(page.locator("#no-match")).to_be_visible()


def test_task_detail_shows_timeline_and_cancels_with_a_reason(app_server, page, phone):
    member = make_member(app_server, name="Detail Dora")
    sign_in(page, app_server, member)
    task = create_task(app_server, member, title="Detail: rotate keys", corr_id="rotate-1")
    row(page, task["task_id"]).click()
    page.wait_for_url(f"**/tasks/{task['task_id']}")
    expect(page.locator("#task-title")).to_have_text("Detail: rotate keys")
    expect(page.locator("#task-link")).to_have_text(task["url"])
    expect(page.locator('.timeline-entry[data-kind="created"]')).to_contain_text("Detail Dora")
    screenshot(page, "task-detail-pending-desktop")
    page.locator("#cancel-task").click()
    page.get_by_label("Reason (optional)").fill("Rotated by hand")
    page.locator("#confirm-cancel").click()
    expect(page.locator('.timeline-entry[data-kind="cancelled"]')).to_contain_text("Rotated by hand")
    answer = httpx.get(
        f"{app_server.url}/api/v1/tasks/{task['task_id']}", headers=member.headers, timeout=10
    ).json()
    assert answer["status"] == "cancelled" and answer["cancel_reason"] == "Rotated by hand"
    expect(page.locator("#cancel-task")).to_have_count(0)
    sign_in(phone, app_server, member, path="/")
    phone.goto(f"{app_server.url}/tasks/{task['task_id']}")
    expect(phone.locator("#task-title")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "task-detail-cancelled-phone")


def test_a_completed_task_shows_its_answers_live(app_server, page):
    _member, task = open_new_task(page, app_server, title="Detail: answers")
    expect(page.locator("#task-title")).to_have_text("Detail: answers")
    app_server.python(
        "from hpi_app.core import tasks\n"
        f"tasks.complete_task({task['task_id']!r}, {{'decision': 'Reject', 'comments': 'Not yet'}},"
        " actor='qa@acme.test')\n"
    )
    # Completed in another process: the page is told by its slow re-check, or on reload.
    page.reload()
    expect(page.locator('.answer[data-field="decision"]')).to_contain_text("Reject")
    expect(page.locator('.answer[data-field="comments"]')).to_contain_text("Not yet")
    screenshot(page, "task-detail-completed-desktop")


def test_unknown_task_detail(app_server, page):
    member = make_member(app_server)
    sign_in(page, app_server, member)
    page.goto(f"{app_server.url}/tasks/00000000-0000-4000-8000-000000000000")
    expect(page.locator("#task-missing")).to_be_visible()
