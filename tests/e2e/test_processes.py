"""Processes in the browser: created and moved on over REST, they move live on the Processes page and on
their own page; the human step links to its task, and completing that task in the browser completes the step.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.accounts import make_member, sign_in
from tests.e2e.conftest import screenshot
from tests.utils.processes import approval_task, process_body

pytestmark = pytest.mark.e2e

ALL_SCOPES = "tasks:create,tasks:read,processes:read,processes:write"


class ProcessApi:
    """A member's token with the process scopes, over real HTTP."""

    def __init__(self, app, member) -> None:
        issued = app.cli(
            "token", "create", "--email", member.email, "--name", "procs", "--scopes", ALL_SCOPES
        )
        assert issued.returncode == 0, issued.stderr
        self.url = app.url
        self.headers = {"Authorization": f"Bearer {issued.stdout.strip()}"}

    def post(self, path: str, body: dict) -> dict:
        answer = httpx.post(f"{self.url}/api/v1{path}", json=body, headers=self.headers, timeout=15)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    def update(self, process_id: str, body: dict) -> None:
        self.post(f"/processes/{process_id}/update", body)

    def get(self, path: str) -> dict:
        answer = httpx.get(f"{self.url}/api/v1{path}", headers=self.headers, timeout=15)
        assert answer.status_code == 200, answer.text
        return answer.json()


def test_a_process_moves_live_on_both_pages_and_its_human_step_is_done_in_the_browser(app_server, page):
    member = make_member(app_server, name="Process Watcher")
    api = ProcessApi(app_server, member)
    sign_in(page, app_server, member)
    page.get_by_role("link", name="Processes").click()
    page.wait_for_url(f"{app_server.url}/processes")
    expect(page.locator("#tab-running")).to_be_visible()

    process = api.post("/processes", process_body(name="Ship release 1.4 (browser)"))
    pid = process["process_id"]
    row = page.locator(f'.process-row[data-process-id="{pid}"]')
    expect(row).to_be_visible()
    expect(row).to_have_attribute("data-percent", "0")
    expect(row.locator(".process-done")).to_have_text("0 of 3 steps done")

    api.update(pid, {"type": "step_started", "step": "build"})
    expect(row.locator(".process-current")).to_contain_text("Build the image")
    api.update(pid, {"type": "step_completed", "step": "build"})
    expect(row).to_have_attribute("data-percent", "33")
    expect(row.locator(".process-done")).to_have_text("1 of 3 steps done")
    screenshot(page, "processes-list-desktop")

    row.locator(".process-name").click()
    page.wait_for_url(f"{app_server.url}/processes/{pid}")
    expect(page.locator("#process-name")).to_have_text("Ship release 1.4 (browser)")
    expect(page.locator("#process-progress")).to_have_attribute("data-percent", "33")
    approve = page.locator('.process-step[data-step="approve"]')
    rollout = page.locator('.process-step[data-step="rollout"]')
    expect(approve).to_have_attribute("data-status", "pending")
    expect(approve.get_by_text("Human")).to_be_visible()

    api.update(pid, {"type": "step_started", "step": "approve"})
    expect(approve).to_have_attribute("data-status", "running")
    task = api.post("/tasks", approval_task(pid, "approve"))
    link = approve.locator(".step-task")
    expect(link).to_be_visible()
    expect(approve.locator(f'[data-task-id="{task["task_id"]}"]')).to_contain_text("Pending")

    api.update(pid, {"type": "progress", "step": "rollout", "message": "warming caches", "percent": 25})
    expect(rollout.locator(".step-progress-message")).to_have_text("warming caches")
    expect(rollout).to_have_attribute("data-percent", "25")
    api.update(pid, {"type": "progress", "step": "rollout", "message": "half the fleet", "percent": 50})
    expect(rollout).to_have_attribute("data-percent", "50")
    expect(rollout.locator(".step-progress-message")).to_have_text("half the fleet")
    screenshot(page, "process-page-desktop")

    # The human step's task: open it from the timeline, see its process, complete it here.
    link.click()
    page.wait_for_url(f"{app_server.url}/tasks/{task['task_id']}")
    expect(page.locator("#task-process")).to_have_text("Ship release 1.4 (browser)")
    form = page.locator("#detail-form")
    expect(form).to_be_visible()
    form.get_by_label("OK").click()
    form.get_by_role("button", name="Submit").click()
    expect(page.locator("#detail-form")).to_have_count(0)

    page.locator("#task-process").click()
    page.wait_for_url(f"{app_server.url}/processes/{pid}")
    expect(approve).to_have_attribute("data-status", "completed")
    expect(approve.locator(f'[data-task-id="{task["task_id"]}"]')).to_contain_text("Completed")
    expect(page.locator("#process-progress")).to_have_attribute("data-percent", "67")
    step = api.get(f"/processes/{pid}")["timeline"][1]
    assert (step["status"], step["task_id"], step["data"]) == ("completed", task["task_id"], {"ok": True})

    # Live on this page too: the rest of the process arrives over REST.
    api.update(pid, {"type": "step_completed", "step": "rollout", "detail": "all regions"})
    expect(rollout).to_have_attribute("data-status", "completed")
    expect(rollout.locator(".step-detail")).to_have_text("all regions")
    api.update(pid, {"type": "completed", "summary": "Release 1.4 is live"})
    expect(page.locator("#process-status")).to_have_attribute("data-status", "completed")
    expect(page.get_by_text("Release 1.4 is live")).to_be_visible()
    expect(page.locator("#process-progress")).to_have_attribute("data-percent", "100")
    screenshot(page, "process-page-finished-desktop")

    page.get_by_role("link", name="All processes").click()
    expect(page.locator(f'.process-row[data-process-id="{pid}"]')).to_have_count(0)
    page.locator("#tab-finished").click()
    expect(page.locator(f'.process-row[data-process-id="{pid}"]')).to_have_attribute(
        "data-status", "completed"
    )


def test_the_process_pages_on_a_phone(app_server, phone):
    member = make_member(app_server)
    api = ProcessApi(app_server, member)
    sign_in(phone, app_server, member)
    process = api.post("/processes", process_body(name="Nightly data import (phone)"))
    pid = process["process_id"]
    api.update(pid, {"type": "step_started", "step": "build", "detail": "fetching 3 sources"})
    api.update(pid, {"type": "progress", "step": "build", "message": "2 of 3 sources", "percent": 66})
    api.post("/tasks", approval_task(pid, "approve"))
    phone.goto(f"{app_server.url}/processes")
    row = phone.locator(f'.process-row[data-process-id="{pid}"]')
    expect(row.locator(".process-current")).to_contain_text("Build the image")
    screenshot(phone, "processes-list-phone")
    phone.goto(f"{app_server.url}/processes/{pid}")
    expect(phone.locator('.process-step[data-step="build"]')).to_have_attribute("data-percent", "66")
    expect(phone.locator('.process-step[data-step="approve"] .step-task')).to_be_visible()
    api.update(pid, {"type": "step_failed", "step": "build", "error": "source 3 timed out"})
    expect(phone.locator('.process-step[data-step="build"] .step-error')).to_have_text("source 3 timed out")
    screenshot(phone, "process-page-phone")
