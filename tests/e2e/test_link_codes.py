"""External assignees and one-time codes (SPEC §8), end to end in Chromium.

The app runs with ``HPI_SMTP_URL`` pointing at a local SMTP server (``tests/e2e/mail.py``); the
tests read the code from the captured mail, exactly as the assignee would from their inbox.
"""

from __future__ import annotations

import re
import secrets

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.accounts import Member, create_task, make_member, open_dashboard, sign_in
from tests.e2e.conftest import RunningApp, screenshot
from tests.e2e.helpers import timeline_kinds
from tests.e2e.mail import code_in, email_me_a_code, enter_code, guest_email

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def owner(mail_app: RunningApp) -> Member:
    """The member who sends tasks to people outside the organisation."""
    return make_member(mail_app, name="Olga Owner")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_external_assignee_confirms_the_emailed_code_and_completes_the_task(
    mail_app, mailbox, owner, page, phone
):
    guest = guest_email()
    task = create_task(mail_app, owner, title="Sign the supplier contract", assignee_email=guest)
    assert task["requires_otp"] is True

    phone.goto(task["url"])
    expect(phone.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    expect(phone.locator("#code-email")).to_have_text("g***@outside.test")
    assert fits_the_screen(phone)
    screenshot(phone, "link-code-start-phone")

    page.goto(task["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    expect(page.get_by_text("Sign the supplier contract")).to_be_visible()
    expect(page.get_by_label("Decision")).to_have_count(0)
    screenshot(page, "link-code-start-desktop")

    page.get_by_role("button", name="Email me a code").click()
    expect(page.locator("#code-notice")).to_have_text("Code sent to g***@outside.test. Check your inbox.")
    resend = page.locator("#resend-code")
    expect(resend).to_be_disabled()
    expect(resend).to_contain_text(re.compile(r"Send a new code in \d+ s"))
    expect(page.get_by_label("Code", exact=True)).to_be_focused()
    screenshot(page, "link-code-sent-desktop")
    started = resend.inner_text()
    expect(resend).not_to_have_text(started, timeout=5000)  # the countdown ticks
    [mail] = mailbox.wait_for(guest)
    code = code_in(mail)
    assert code in mail["Subject"] and "Sign the supplier contract" in mail["Subject"]
    assert task["url"] in mail.get_body(("plain",)).get_content()

    # Another browser (the phone) has no grant: it still sees the code step, and a wrong code
    # there is counted against the link.
    phone.reload()
    expect(phone.get_by_label("Code", exact=True)).to_be_visible()
    enter_code(phone, wrong(code))
    expect(phone.locator("#code-error")).to_have_text("That code isn't right. 4 tries left.")
    expect(phone.get_by_label("Code", exact=True)).to_have_attribute("aria-invalid", "true")
    assert fits_the_screen(phone)
    screenshot(phone, "link-code-wrong-phone")

    enter_code(page, wrong(code))
    expect(page.locator("#code-error")).to_have_text("That code isn't right. 3 tries left.")
    screenshot(page, "link-code-wrong-desktop")

    enter_code(page, code)
    expect(page.get_by_label("Decision")).to_be_visible()
    [grant] = [c for c in page.context.cookies() if c["name"] == f"hpi_link_{task['link_id']}"]
    assert grant["httpOnly"] and grant["path"] == "/" and grant["sameSite"] == "Lax"
    page.reload()  # the grant holds across reloads
    expect(page.get_by_label("Decision")).to_be_visible()

    page.get_by_label("Decision", exact=True).click()
    page.get_by_role("option", name="Approve", exact=True).click()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("heading", name="Answers submitted")).to_be_visible()

    answer = httpx.get(f"{mail_app.url}/api/v1/tasks/{task['task_id']}", headers=owner.headers, timeout=10)
    assert answer.json()["status"] == "completed"
    assert answer.json()["completed_by"] == guest
    kinds = timeline_kinds(mail_app, task["task_id"])
    assert kinds[:3] == ["created", "code_sent", "code_verified"] and kinds[-1] == "completed"
    assert len(mailbox.to(guest)) == 1


def test_a_signed_in_member_opens_an_external_link_without_a_code(mail_app, mailbox, owner, page):
    guest = guest_email()
    task = create_task(mail_app, owner, title="Member shortcut", assignee_email=guest)
    sign_in(page, mail_app, owner)
    page.goto(task["url"])
    expect(page.get_by_label("Decision")).to_be_visible()
    expect(page.get_by_role("heading", name="Confirm it's you")).to_have_count(0)
    assert mailbox.to(guest) == []


def test_too_many_wrong_codes_lock_the_link(mail_app, mailbox, owner, page, phone):
    guest = guest_email()
    task = create_task(mail_app, owner, title="Locked after guessing", assignee_email=guest)
    page.goto(task["url"])
    code = code_in(email_me_a_code(page, mailbox, guest))
    for left in (4, 3, 2, 1):
        enter_code(page, wrong(code))
        expect(page.locator("#code-error")).to_contain_text(f"{left} tr")
    enter_code(page, wrong(code))
    locked = page.locator("#code-locked")
    expect(locked).to_contain_text("Too many wrong codes, so this link is locked for 15 minutes.")
    expect(page.get_by_label("Code", exact=True)).to_have_count(0)
    expect(page.get_by_role("button", name="Email me a code")).to_have_count(0)
    screenshot(page, "link-code-locked-desktop")

    # Even the right code is refused while the lock lasts.
    refused = httpx.post(
        f"{mail_app.url}/auth/link-code", data={"link_id": task["link_id"], "code": code}, timeout=10
    )
    assert refused.status_code == 303
    assert refused.headers["location"].endswith("code_error=link_locked")
    assert "set-cookie" not in refused.headers

    phone.goto(task["url"])
    expect(phone.locator("#code-locked")).to_be_visible()
    assert fits_the_screen(phone)
    screenshot(phone, "link-code-locked-phone")
    assert "link_locked" in timeline_kinds(mail_app, task["task_id"])


def test_assigned_to_me_lists_tasks_assigned_by_id_me_and_email(mail_app, owner, page):
    me = make_member(mail_app, admin=False, name="Mia Member")
    tag = secrets.token_hex(3)
    by_me = create_task(mail_app, me, title=f"Mine {tag}: by me", assignee_member_id="me")
    my_id = httpx.get(
        f"{mail_app.url}/api/v1/tasks/{by_me['task_id']}", headers=me.headers, timeout=10
    ).json()["assignee_id"]
    by_id = create_task(mail_app, owner, title=f"Mine {tag}: by id", assignee_member_id=my_id)
    by_email = create_task(mail_app, owner, title=f"Mine {tag}: by email", assignee_email=me.email.upper())
    assert by_email["requires_otp"] is False
    not_mine = create_task(mail_app, owner, title=f"Mine {tag}: the owner's", assignee_member_id="me")
    external = create_task(mail_app, owner, title=f"Mine {tag}: a guest's", assignee_email=guest_email())

    sign_in(page, mail_app, me)
    open_dashboard(page, mail_app)
    page.get_by_label("Search tasks").fill(f"Mine {tag}")
    rows = page.locator("tr.task-row")
    expect(rows).to_have_count(5)
    page.get_by_label("Assignee filter").click()
    page.get_by_role("option", name="Assigned to me").click()
    expect(rows).to_have_count(3)
    shown = {rows.nth(i).get_attribute("data-task-id") for i in range(3)}
    assert shown == {by_me["task_id"], by_id["task_id"], by_email["task_id"]}
    assert not_mine["task_id"] not in shown and external["task_id"] not in shown
