"""External assignees and one-time codes (SPEC §8), end to end in Chromium.

The app runs with ``HPI_SMTP_URL`` pointing at a local SMTP server started here (aiosmtpd); the
tests read the code from the captured mail, exactly as the assignee would from their inbox.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect

from tests.e2e.accounts import Member, create_task, make_member, open_dashboard, sign_in
from tests.e2e.conftest import RunningApp, running_app, screenshot
from tests.e2e.helpers import timeline_kinds
from tests.utils.ports import free_port

pytestmark = pytest.mark.e2e


class Mailbox:
    """A local SMTP server that keeps every message it is given."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        """The ``HPI_SMTP_URL`` of this server."""
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, _server, _session, envelope) -> str:
        """aiosmtpd's hook: keep the message."""
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages sent to ``address`` so far."""
        with self._arrived:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15) -> list[EmailMessage]:
        """Block until ``count`` messages reached ``address``."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len([m for m in self.messages if m["To"] == address]) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"no mail for {address} within {timeout} s"
                self._arrived.wait(left)
        return self.to(address)

    def start(self) -> None:
        """Start listening."""
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    """The SMTP server the app under test sends its mail to."""
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def mail_app(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[RunningApp]:
    """An app of its own, sending mail to ``mailbox``."""
    env = {"HPI_SMTP_URL": mailbox.url, "HPI_SMTP_FROM": "HPI <hpi@acme.test>"}
    with running_app(tmp_path_factory.mktemp("e2e-mail"), extra_env=env) as app:
        yield app


@pytest.fixture(scope="module")
def owner(mail_app: RunningApp) -> Member:
    """The member who sends tasks to people outside the organisation."""
    return make_member(mail_app, name="Olga Owner")


def guest_email() -> str:
    return f"guest-{secrets.token_hex(4)}@outside.test"


def code_in(message: EmailMessage) -> str:
    """The code inside a code email."""
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"Your code for .+: (\d{6}) — valid 10 minutes", text)
    assert found, text
    return found.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def enter_code(page: Page, code: str) -> None:
    """Type a code and press Continue (a real form post; the page comes back with the result)."""
    page.get_by_label("Code", exact=True).fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()


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
    page.get_by_role("button", name="Email me a code").click()
    code = code_in(mailbox.wait_for(guest)[0])
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
