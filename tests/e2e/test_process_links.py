"""Process links in Chromium: an outsider follows a process's timeline live (after the emailed code), opens
the task that is theirs from it, and a withdrawn link shows its own page; desktop and phone.

The app sends its mail to a local SMTP server (``Mailbox`` of ``tests/e2e/mail.py``), so the code is
read from the captured mail as the outsider would read it from their inbox.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.accounts import Member, make_member, sign_in, withdraw_link
from tests.e2e.conftest import RunningApp, screenshot
from tests.e2e.mail import code_in, email_me_a_code, enter_code, guest_email
from tests.e2e.test_processes import ProcessApi
from tests.utils.processes import approval_task, process_body

pytestmark = pytest.mark.e2e

STEPS = [
    {"key": "build", "label": "Build the image"},
    {"key": "approve", "label": "Approve the release", "human": True},
    {"key": "review", "label": "Security review", "human": True},
    {"key": "rollout", "label": "Roll out"},
]


@pytest.fixture(scope="module")
def owner(mail_app: RunningApp) -> Member:
    """The member who runs processes and shares them."""
    return make_member(mail_app, name="Olga Owner")


@pytest.fixture(scope="module")
def api(mail_app: RunningApp, owner: Member) -> ProcessApi:
    """The owner's token with the process scopes."""
    return ProcessApi(mail_app, owner)


def _process(api: ProcessApi, name: str) -> str:
    return api.post("/processes", process_body(name=name, steps=STEPS))["process_id"]


def _link(api: ProcessApi, pid: str, email: str, **fields) -> dict:
    return api.post(f"/processes/{pid}/links", {"assignee_email": email, **fields})


def _withdraw(api: ProcessApi, pid: str, link_id: str) -> None:
    withdraw_link(api.url, api.headers, f"/processes/{pid}/links", link_id)


def test_an_outsider_follows_the_process_live_and_opens_their_task(mail_app, mailbox, api, page, phone):
    guest = guest_email()
    pid = _process(api, "Release 2.0 (shared)")
    api.update(pid, {"type": "step_started", "step": "build", "detail": "compiling"})
    link = _link(api, pid, guest, assignee_name="Gus Guest")
    assert link["requires_otp"] is True and link["url"] == f"{mail_app.url}/p/{link['link_id']}"
    mine = api.post(
        "/tasks", approval_task(pid, "approve", title="Approve 2.0", assignee_email=guest, require_otp=False)
    )
    theirs = api.post(
        "/tasks", approval_task(pid, "review", title="Review 2.0", assignee_email="sec@outside.test")
    )

    # The code step first: the process stays hidden until the code is confirmed.
    page.goto(link["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    expect(page.get_by_text("This process was sent to")).to_be_visible()
    expect(page.get_by_text("Release 2.0 (shared)")).to_be_visible()
    expect(page.locator(".process-step")).to_have_count(0)
    screenshot(page, "process-link-code-desktop")
    mail = email_me_a_code(page, mailbox, guest)
    expect(page.locator("#code-notice")).to_contain_text("Code sent to g***@outside.test")
    assert link["url"] in mail.get_body(("plain",)).get_content()
    enter_code(page, code_in(mail))

    # The timeline, read-only: no way back into the members' pages, the holder's task opens.
    expect(page.locator("#process-name")).to_have_text("Release 2.0 (shared)")
    expect(page.locator("#process-link-note")).to_contain_text("Shared with Gus Guest.")
    expect(page.get_by_role("link", name="All processes")).to_have_count(0)
    approve = page.locator('.process-step[data-step="approve"]')
    review = page.locator('.process-step[data-step="review"]')
    build = page.locator('.process-step[data-step="build"]')
    expect(build).to_have_attribute("data-status", "running")
    expect(build.locator(".step-detail")).to_have_text("compiling")
    own = approve.locator(".step-task")
    expect(own).to_have_text("Open your task")
    expect(own).to_have_attribute("href", f"/t/{mine['link_id']}")
    expect(review.locator(".step-task")).to_have_count(0)
    expect(review.locator(".step-task-status")).to_have_text("Another person's task")
    expect(review.locator(f'[data-task-id="{theirs["task_id"]}"]')).to_contain_text("Pending")

    # Live: the process moves on over REST while the page is open.
    api.update(pid, {"type": "step_completed", "step": "build"})
    expect(build).to_have_attribute("data-status", "completed")
    expect(page.locator("#process-progress")).to_have_attribute("data-percent", "25")
    api.update(pid, {"type": "progress", "step": "rollout", "message": "canary at 10%", "percent": 10})
    rollout = page.locator('.process-step[data-step="rollout"]')
    expect(rollout.locator(".step-progress-message")).to_have_text("canary at 10%")
    expect(rollout).to_have_attribute("data-percent", "10")
    screenshot(page, "process-link-timeline-desktop")

    # The holder opens their task from the timeline and completes it; the step completes.
    own.click()
    page.wait_for_url(f"{mail_app.url}/t/{mine['link_id']}")
    page.get_by_label("OK").click()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Answers submitted")).to_be_visible()
    page.goto(link["url"])  # the grant holds: straight to the timeline
    expect(approve).to_have_attribute("data-status", "completed")
    expect(approve.locator(f'[data-task-id="{mine["task_id"]}"]')).to_contain_text("Completed")
    expect(page.locator("#process-progress")).to_have_attribute("data-percent", "50")
    step = api.get(f"/processes/{pid}")["timeline"][1]
    assert (step["status"], step["task_id"]) == ("completed", mine["task_id"])
    # The task's own link asks for no code (require_otp=False): whoever holds it could have
    # answered, so the answer is recorded as the link's, not as the guest's.
    assert api.get(f"/tasks/{mine['task_id']}")["completed_by"] == f"link:{mine['link_id']}"

    # On a phone, a link that asks for no code opens at once; the process ends live there.
    open_link = _link(api, pid, guest_email(), require_otp=False)
    phone.goto(open_link["url"])
    expect(phone.locator("#process-name")).to_have_text("Release 2.0 (shared)")
    expect(phone.locator('.process-step[data-step="review"] .step-task')).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "process-link-timeline-phone")
    api.update(pid, {"type": "failed", "error": "review found a problem"})
    expect(phone.locator("#process-status")).to_have_attribute("data-status", "failed")
    expect(phone.get_by_text("review found a problem")).to_be_visible()
    listed = api.get(f"/processes/{pid}/links")["links"]
    assert [row["link_id"] for row in listed] == [link["link_id"], open_link["link_id"]]
    assert all(row["opened_at"] for row in listed)


def test_a_withdrawn_link_shows_its_own_page_also_while_open(mail_app, api, page, phone):
    pid = _process(api, "Quarterly close (withdrawn)")
    link = _link(api, pid, guest_email(), require_otp=False)
    page.goto(link["url"])
    expect(page.locator("#process-name")).to_have_text("Quarterly close (withdrawn)")
    _withdraw(api, pid, link["link_id"])
    expect(page.get_by_role("heading", name="This link was withdrawn")).to_be_visible()
    expect(page.locator("[data-link-state='withdrawn']")).to_be_visible()
    expect(page.get_by_text("Quarterly close (withdrawn)")).to_have_count(0)  # the process stays private
    page.reload()
    expect(page.get_by_role("heading", name="This link was withdrawn")).to_be_visible()
    screenshot(page, "process-link-withdrawn-desktop")
    phone.goto(link["url"])
    expect(phone.get_by_role("heading", name="This link was withdrawn")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "process-link-withdrawn-phone")
    phone.goto(f"{mail_app.url}/p/no-such-link")
    expect(phone.get_by_role("heading", name="Link not found")).to_be_visible()


def test_a_signed_in_member_opens_a_code_link_without_a_code(mail_app, mailbox, owner, api, page):
    guest = guest_email()
    pid = _process(api, "Member shortcut (process)")
    link = _link(api, pid, guest)
    sign_in(page, mail_app, owner)
    page.goto(link["url"])
    expect(page.locator("#process-name")).to_have_text("Member shortcut (process)")
    expect(page.get_by_role("heading", name="Confirm it's you")).to_have_count(0)
    assert mailbox.to(guest) == []
