"""Settings > Notification sinks in a real browser, against a real webhook receiver."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.accounts import cancel_task, create_task, make_member
from tests.e2e.conftest import screenshot
from tests.e2e.settings_helpers import page_fits_the_screen, screenshot_viewport, sign_in_to
from tests.utils.receivers import Received, WebhookReceiver, verify_signatures

pytestmark = pytest.mark.e2e

SINKS = "/settings/sinks"


def _received(
    receiver: WebhookReceiver, matches: Callable[[Received], bool], count: int = 1, timeout: float = 20.0
) -> list[Received]:
    """The accepted requests ``matches`` picks, once there are ``count`` of them (the app is shared)."""
    deadline = time.monotonic() + timeout
    with receiver.state.changed:
        while True:
            got = [r for r in receiver.state.requests if r.answered == 200 and matches(r)]
            if len(got) >= count:
                return got
            left = deadline - time.monotonic()
            assert left > 0, f"expected {count} matching requests within {timeout} s, got {len(got)}"
            receiver.state.changed.wait(left)


def _event(name: str, task_id: str | None = None) -> Callable[[Received], bool]:
    return lambda r: r.json.get("event") == name and (task_id is None or r.json.get("task_id") == task_id)


def _open_add_dialog(page: Page, name: str, target: str) -> None:
    page.locator("#add-sink").click()
    expect(page.locator("#sink-dialog")).to_be_visible()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("URL", exact=True).fill(target)


def _sink_row(page: Page, name: str):
    return page.locator(f'.sink-row[data-name="{name}"]')


def test_webhook_sink_from_settings_to_redelivery(app_server, page, phone):
    admin = make_member(app_server, admin=True)
    name = f"hooks {uuid.uuid4().hex[:6]}"
    with WebhookReceiver() as receiver:
        sign_in_to(page, app_server, admin.email, admin.password, SINKS)
        expect(page.get_by_role("link", name="Notification sinks")).to_have_attribute("aria-current", "page")

        # A URL that is not http(s): the message sits beside the field, nothing is saved.
        _open_add_dialog(page, name, "ftp://example.com/hook")
        expect(page.get_by_role("checkbox", name="completed")).to_be_checked()
        expect(page.get_by_role("checkbox", name="cancelled")).to_be_checked()
        expect(page.get_by_role("checkbox", name="created")).not_to_be_checked()
        page.locator("#save-sink").click()
        expect(page.locator("#sink-target-error")).to_contain_text("http:// or https:// URL")
        screenshot_viewport(page, "settings-sink-url-error-desktop")

        # A real URL and no secret: HPI generates one and shows it once.
        page.get_by_label("URL", exact=True).fill(f"{receiver.url}/hook")
        expect(page.locator("#sink-target-error")).to_have_count(0)
        page.locator("#save-sink").click()
        expect(page.locator("#new-secret-dialog")).to_be_visible()
        expect(page.locator("#new-secret-dialog")).to_contain_text("only time the secret is shown")
        expect(page.locator("#new-secret-value")).to_have_text(re.compile(r"^whsec_[A-Za-z0-9+/=]{20,}$"))
        secret = page.locator("#new-secret-value").inner_text()
        screenshot_viewport(page, "settings-sink-secret-shown-once-desktop")
        page.locator("#close-new-secret").click()
        expect(page.locator("#new-secret-dialog")).to_have_count(0)
        row = _sink_row(page, name)
        expect(row).to_contain_text("webhook")
        expect(row.locator(".sink-target")).to_have_text(f"{receiver.url}/hook")
        expect(row.get_by_role("switch")).to_be_checked()

        # A test event reaches the receiver, signed with the secret shown; a toast says so.
        page.get_by_role("button", name=f"Actions for {name}").click()
        page.get_by_role("menuitem", name="Send test event").click()
        test_event = _received(receiver, _event("task.test"))[0]
        assert verify_signatures(test_event, secret)["event"] == "task.test"
        expect(page.get_by_text("Test event delivered (HTTP 200).")).to_be_visible()

        # A task cancelled over the API reaches the org-wide sink.
        task = create_task(app_server, admin, title="Sinks: order more paper")
        cancel_task(app_server, admin, task["task_id"], "bought elsewhere")
        first = _received(receiver, _event("task.cancelled", task["task_id"]))[0]
        assert verify_signatures(first, secret)["reason"] == "bought elsewhere"

        # The sink's log shows it delivered, with its attempt.
        page.locator("#refresh-deliveries").click()
        log = page.locator("#delivery-log")
        entry = log.locator('.delivery-row[data-event="task.cancelled"]')
        expect(entry).to_have_attribute("data-status", "delivered")
        expect(entry).to_contain_text("Sinks: order more paper")
        expect(entry.locator(".attempt-count")).to_have_text("1 attempt")
        entry.locator("summary").click()
        expect(entry.locator('.delivery-attempt[data-status-code="200"]')).to_be_visible()
        expect(entry.locator(".delivery-attempt")).to_contain_text(re.compile(r"\d+ ms"))
        screenshot(page, "settings-sinks-log-desktop")

        # Redeliver: the same event again, with the same webhook-id.
        entry.get_by_role("button", name="Redeliver task.cancelled").click()
        expect(page.get_by_text("Redelivery queued", exact=False)).to_be_visible()
        again = _received(receiver, _event("task.cancelled", task["task_id"]), count=2)
        assert again[1].webhook_id == first.webhook_id
        expect(entry.locator(".attempt-count")).to_have_text("2 attempts")

        # The task's own page lists the delivery too.
        page.goto(f"{app_server.url}/tasks/{task['task_id']}")
        delivered = page.locator('#task-deliveries .delivery-row[data-event="task.cancelled"]')
        expect(delivered).to_have_attribute("data-status", "delivered")
        expect(delivered).to_contain_text(name)
        expect(delivered.get_by_role("button", name="Redeliver task.cancelled")).to_be_visible()
        screenshot(page, "task-detail-deliveries-desktop")

        # On a phone: the list and the log fit, the task page too.
        sign_in_to(phone, app_server, admin.email, admin.password, SINKS)
        expect(_sink_row(phone, name)).to_be_visible()
        expect(phone.locator("#delivery-log .delivery-row").first).to_be_visible()
        assert page_fits_the_screen(phone)
        screenshot(phone, "settings-sinks-phone")
        phone.goto(f"{app_server.url}/tasks/{task['task_id']}")
        expect(phone.locator("#task-deliveries .delivery-row").first).to_be_visible()
        assert page_fits_the_screen(phone)
        screenshot(phone, "task-detail-deliveries-phone")


def test_member_sees_sinks_read_only(app_server, page):
    admin = make_member(app_server, admin=True)
    member = make_member(app_server, admin=False)
    name = f"read only {uuid.uuid4().hex[:6]}"
    sign_in_to(page, app_server, admin.email, admin.password, SINKS)
    _open_add_dialog(page, name, "https://example.invalid/hook")
    page.locator("#save-sink").click()
    page.locator("#close-new-secret").click()
    expect(_sink_row(page, name)).to_be_visible()
    page.context.clear_cookies()

    sign_in_to(page, app_server, member.email, member.password, SINKS)
    expect(_sink_row(page, name)).to_be_visible()
    expect(page.locator("#admin-only")).to_be_visible()
    expect(page.locator("#add-sink")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Actions for {name}")).to_have_count(0)
    expect(_sink_row(page, name).get_by_role("switch")).to_be_disabled()
