"""The whole journey of issue 3, as people and software meet it.

Sign in; create a token in Settings; use it over HTTP to create the quick-start task; see it
appear live in Pending in two tabs; complete it through its link in a separate browser
context; `/wait` returns the data and the task moves to Done. Also: a member completes a task
from its detail page, and an open link page learns at once that its task was cancelled.
"""

from __future__ import annotations

import re
import threading

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.accounts import cancel_task, create_task, make_member, open_dashboard, open_new_task, sign_in
from tests.e2e.conftest import PHONE, screenshot
from tests.utils.bodies import seed_task

pytestmark = pytest.mark.e2e


def row(page, task_id: str):
    return page.locator(f'tr[data-task-id="{task_id}"]')


def _token_from_settings(page, app) -> str:
    page.goto(f"{app.url}/settings/tokens")
    page.get_by_label("Name", exact=True).fill("journey script")
    for scope in ("tasks:create", "tasks:read"):
        page.get_by_role("checkbox", name=scope).click()
        expect(page.get_by_role("checkbox", name=scope)).to_be_checked()
    page.locator("#create-token").click()
    expect(page.locator("#new-token-value")).to_have_text(re.compile(r"^htk_[0-9a-f]{64}$"))
    raw = page.locator("#new-token-value").inner_text()
    page.locator("#close-new-token").click()
    return raw


def test_token_from_settings_task_live_in_two_tabs_completed_by_link_and_wait_returns(
    app_server, page, browser
):
    member = make_member(app_server, name="Journey Jo")
    sign_in(page, app_server, member)
    raw = _token_from_settings(page, app_server)
    headers = {"Authorization": f"Bearer {raw}"}

    open_dashboard(page, app_server)
    second = page.context.new_page()
    open_dashboard(second, app_server)

    created = httpx.post(f"{app_server.url}/api/v1/tasks", json=seed_task(), headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    task = created.json()
    for tab in (page, second):
        expect(row(tab, task["task_id"])).to_have_attribute("data-status", "pending")

    # Software waits for the answer while a person, elsewhere, completes the task by its link.
    waited: dict = {}
    waiter = threading.Thread(
        target=lambda: waited.update(
            answer=httpx.get(
                f"{app_server.url}/api/v1/tasks/{task['task_id']}/wait?timeout=60",
                headers=headers,
                timeout=70,
            )
        )
    )
    waiter.start()
    outsider = browser.new_context(**PHONE)
    person = outsider.new_page()
    person.goto(task["url"])
    expect(person.get_by_role("heading", name="Approve deployment to production")).to_be_visible()
    person.get_by_label("Decision").click()
    person.get_by_role("option", name="Approve").click()
    person.get_by_label("Comments").fill("Looks good, ship it!")
    person.get_by_role("button", name="Submit").click()
    expect(person.get_by_text("Looks good, ship it!")).to_be_visible()
    screenshot(person, "journey-done-phone")
    outsider.close()

    waiter.join(65)
    answer = waited["answer"]
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "completed"
    assert body["data"] == {"decision": "Approve", "comments": "Looks good, ship it!"}
    assert body["completed_at"]

    # Both tabs move it from Pending to Done without a reload.
    for tab in (page, second):
        expect(row(tab, task["task_id"])).to_have_count(0)
    second.locator("#tab-done").click()
    expect(row(second, task["task_id"])).to_have_attribute("data-status", "completed")
    screenshot(second, "journey-dashboard-done-desktop")


def test_a_member_completes_a_task_from_its_detail_page(app_server, page):
    member, task = open_new_task(page, app_server, title="Complete me from the detail page")
    form = page.locator("#detail-form")
    expect(form).to_be_visible()
    screenshot(page, "task-detail-form-desktop")
    form.get_by_role("button", name="Submit").click()
    expect(form.get_by_text("This field is required")).to_be_visible()  # the required select
    form.get_by_label("Decision").click()
    page.get_by_role("option", name="Reject").click()
    form.get_by_role("button", name="Submit").click()
    expect(page.locator('.answer[data-field="decision"]')).to_contain_text("Reject")
    expect(page.locator('.timeline-entry[data-kind="completed"]')).to_contain_text(member.email)
    expect(page.locator("#detail-form")).to_have_count(0)
    data = httpx.get(
        f"{app_server.url}/api/v1/tasks/{task['task_id']}", headers=member.headers, timeout=10
    ).json()
    assert data["data"] == {"decision": "Reject"} and data["completed_by"] == member.email


def test_an_open_link_page_learns_of_a_cancel_at_once(app_server, browser):
    member = make_member(app_server)
    task = create_task(app_server, member, title="Cancelled while open")
    context = browser.new_context()
    person = context.new_page()
    person.goto(task["url"])
    expect(person.get_by_role("heading", name="Cancelled while open")).to_be_visible()
    cancel_task(app_server, member, task["task_id"], "Not needed")
    expect(person.get_by_text("cancelled", exact=False).first).to_be_visible()
    expect(person.get_by_role("button", name="Submit")).to_have_count(0)
    context.close()
