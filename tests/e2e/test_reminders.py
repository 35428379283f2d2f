"""Reminders in Chromium: the dashboard's live countdown and badges, the task page's policy and reassigning.

The app runs with ``HPI_MIN_DELAY_SECONDS=1`` and mails a local SMTP server, so a reminder set
for one second after create really goes out (and its badge appears) while the page is open.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.accounts import Member, make_member, sign_in
from tests.e2e.conftest import RunningApp, running_app, screenshot
from tests.e2e.mail import Mailbox
from tests.utils.bodies import seed_task

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def policy_app(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[RunningApp]:
    """An app of this module's own: the one-second minimum delay, mail to ``mailbox``."""
    env = {"HPI_SMTP_URL": mailbox.url, "HPI_MIN_DELAY_SECONDS": "1"}
    with running_app(tmp_path_factory.mktemp("e2e-reminders"), extra_env=env) as app:
        yield app


@pytest.fixture(scope="module")
def member(policy_app) -> Member:
    """One admin and token for this module."""
    return make_member(policy_app)


def _task(app, member: Member, **overrides) -> dict:
    answer = httpx.post(
        f"{app.url}/api/v1/tasks", json=seed_task(**overrides), headers=member.headers, timeout=15
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _get(app, member: Member, task_id: str) -> dict:
    return httpx.get(f"{app.url}/api/v1/tasks/{task_id}", headers=member.headers, timeout=15).json()


def test_the_dashboard_counts_down_and_badges_reminders(policy_app, member, mailbox, page: Page):
    task = _task(
        policy_app,
        member,
        title="Sign off the quarterly numbers",
        assignee_email="cfo@elsewhere.test",
        expires_in=3600,
        reminders={"after": 1},
        escalation=[{"after": 2, "notify": ["ops@elsewhere.test"]}],
    )
    sign_in(page, policy_app, member)
    row = page.locator(f'tr.task-row[data-task-id="{task["task_id"]}"]')
    due = row.locator("[data-due]")
    expect(due).to_have_attribute("data-overdue", "false")
    expect(due).to_have_text(re.compile(r"^in (59|60) min \d\d s$"))
    first = due.inner_text()
    expect(due).not_to_have_text(first)  # it ticks in the browser
    mailbox.wait_for("cfo@elsewhere.test", count=1)
    mailbox.wait_for("ops@elsewhere.test", count=1)
    expect(row.locator(".badge-reminded")).to_have_text("reminded ×1")
    expect(row.locator(".badge-escalated")).to_be_visible()
    screenshot(page, "dashboard-reminders")
    retitled = httpx.patch(
        f"{policy_app.url}/api/v1/tasks/{task['task_id']}",
        json={"title": "Sign off the revised numbers"},
        headers=member.headers,
        timeout=15,
    )
    assert retitled.status_code == 200, retitled.text
    expect(row).to_contain_text("Sign off the revised numbers")  # live, from task.updated


def test_a_task_past_its_due_time_shows_overdue_in_red(policy_app, member, page: Page):
    task = _task(policy_app, member, title="Answer before the next reminder", reminders={"after": 3600})
    sign_in(page, policy_app, member, path="/")
    page.goto(f"{policy_app.url}/tasks/{task['task_id']}")
    next_action = page.locator("#next-action [data-due]")
    expect(next_action).to_have_attribute("data-overdue", "false")
    # The countdown reads the time it is given: move it into the past, as the clock would.
    next_action.evaluate("el => el.setAttribute('data-due', '2000-01-01T00:00:00Z')")
    expect(next_action).to_have_attribute("data-overdue", "true")
    expect(next_action).to_have_text(re.compile(r"overdue$"))
    color = next_action.evaluate("el => getComputedStyle(el).color")
    assert color != page.locator("#task-title").evaluate("el => getComputedStyle(el).color")


def test_the_task_page_shows_the_policy_and_reassigns(policy_app, member, mailbox, page: Page):
    task = _task(
        policy_app,
        member,
        title="Approve the vendor contract",
        assignee_email="legal@elsewhere.test",
        expires_in=7200,
        reminders={"after": 3600, "every": 1800, "max": 2},
        on_expire={"action": "complete", "data": {"decision": "Approve"}},
    )
    sign_in(page, policy_app, member)
    page.goto(f"{policy_app.url}/tasks/{task['task_id']}")
    lines = page.locator("#policy-lines")
    expect(lines).to_contain_text("Reminders: after 1 h, then every 30 min, 2 in all (0 sent).")
    expect(lines).to_contain_text("When it runs out of time it auto-completes (decision = Approve).")
    expect(page.locator("#next-action")).to_contain_text("Reminder 1 to legal@elsewhere.test")
    expect(page.locator("#next-action [data-due]")).to_have_text(re.compile(r"^in (59|60) min"))

    page.get_by_role("button", name="Reassign").click()
    page.get_by_label("Email of the new assignee").fill("counsel@elsewhere.test")
    page.locator("#confirm-reassign").click()
    expect(page.locator("#timeline")).to_contain_text("Reassigned")
    expect(page.locator("#next-action")).to_contain_text("Reminder 1 to counsel@elsewhere.test")
    shown = _get(policy_app, member, task["task_id"])
    assert shown["link_id"] != task["link_id"] and shown["requires_otp"] is True
    links = httpx.get(
        f"{policy_app.url}/api/v1/tasks/{task['task_id']}/links", headers=member.headers, timeout=15
    ).json()["links"]
    states = {link["link_id"]: link for link in links}
    assert states[task["link_id"]]["revoked_at"] is not None
    assert states[shown["link_id"]]["revoked_at"] is None
    (told,) = mailbox.wait_for("counsel@elsewhere.test", count=1)
    assert told["Subject"] == "Assigned to you: Approve the vendor contract"
    assert f"/t/{shown['link_id']}" in told.get_body(("plain",)).get_content()

    page.get_by_role("button", name="Extend").click()
    page.get_by_label("How long").fill("3")
    page.locator("#confirm-extend").click()
    expect(page.locator("#timeline")).to_contain_text("Expiry moved")
    screenshot(page, "task-policy")
    retitle = {"title": "Approve the revised vendor contract"}
    url = f"{policy_app.url}/api/v1/tasks/{task['task_id']}"
    assert httpx.patch(url, json=retitle, headers=member.headers, timeout=15).status_code == 200
    expect(page.locator("#task-title")).to_have_text("Approve the revised vendor contract")
    expect(page.locator("#timeline")).to_contain_text("Retitled")


def test_an_admin_sets_the_organisations_defaults(policy_app, member, page: Page):
    sign_in(page, policy_app, member)
    page.goto(f"{policy_app.url}/settings/defaults")
    page.get_by_label("First reminder after (minutes)").fill("30")
    page.get_by_label("Expires after (hours, optional)").fill("0")
    page.get_by_role("button", name="Save defaults").click()
    expect(page.locator("#defaults-error")).to_contain_text("expires_in: must be at least 1 seconds")
    page.get_by_label("Expires after (hours, optional)").fill("24")
    page.get_by_role("button", name="Save defaults").click()
    expect(page.locator("#defaults-notice")).to_be_visible()
    task = _task(policy_app, member, title="Uses the defaults")
    shown = _get(policy_app, member, task["task_id"])
    assert shown["reminders"] == {"after": 1800, "every": None, "max": 1}
    assert shown["on_expire"] == {"action": "expire"} and shown["expires_at"] is not None
    page.reload()
    expect(page.get_by_label("First reminder after (minutes)")).to_have_value("30")
    screenshot(page, "settings-task-defaults")
