"""Pages under their security headers: the CSP lets Reflex work, and who a link holder is recorded as."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.accounts import make_member, sign_in
from tests.e2e.helpers import make_api_user
from tests.utils.bodies import seed_task

# Collects what the browser refused under the page's policy (Chromium also logs it on the console).
_WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def _watched(page: Page) -> list[str]:
    """Console errors about the content security policy on ``page`` (appended as they come)."""
    logged: list[str] = []
    page.add_init_script(_WATCH_CSP)
    page.on(
        "console",
        lambda msg: (
            logged.append(msg.text) if msg.type == "error" and "Content Security Policy" in msg.text else None
        ),
    )
    return logged


def _no_violations(page: Page, logged: list[str]) -> None:
    assert page.evaluate("window.__cspViolations") == []
    assert logged == []


def test_member_pages_work_under_the_csp(app_server, page):
    logged = _watched(page)
    member = make_member(app_server)
    sign_in(page, app_server, member)
    expect(page.locator("#tab-pending")).to_be_visible()
    answer = page.goto(f"{app_server.url}/")
    csp = answer.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp and answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert answer.headers["referrer-policy"] == "same-origin"
    expect(page.locator("#tab-pending")).to_be_visible()  # the websocket delivered the page's state
    _no_violations(page, logged)
    for path, marker in [
        ("/settings/tokens", "API Tokens"),
        ("/settings/members", "Members"),
        ("/settings/sinks", "Notification sinks"),
        ("/settings/account", "Change password"),
    ]:
        page.goto(f"{app_server.url}{path}")
        expect(page.get_by_role("heading", name=marker).first).to_be_visible()
        _no_violations(page, logged)


@pytest.fixture
def anonymous(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


def test_a_link_holder_without_a_session_is_recorded_as_the_link(app_server, anonymous):
    """A plain link opens for whoever holds it: the answer is not put in the assigned member's name."""
    api_user = make_api_user(app_server)
    colleague = make_member(app_server, admin=False)
    task = api_user.create_task(
        seed_task(title=f"Holder {uuid.uuid4().hex[:6]}", assignee_email=colleague.email)
    )
    assert task["requires_otp"] is False
    logged = _watched(anonymous)
    anonymous.goto(task["url"])
    anonymous.get_by_label("Decision", exact=True).click()
    anonymous.get_by_role("option", name="Approve", exact=True).click()
    anonymous.get_by_role("button", name="Submit").click()
    expect(anonymous.get_by_role("heading", name="Answers submitted")).to_be_visible()
    _no_violations(anonymous, logged)
    done = api_user.get_task(task["task_id"])
    assert done["status"] == "completed"
    assert done["completed_by"] == f"link:{task['link_id']}"
    assert done["completed_by"] != colleague.email
