"""Sign-in, sign-out, sessions that expire or are revoked, and the rate limit on guessing."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.accounts import PASSWORD, create_task, make_member, send_sign_in, sign_in
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def test_wrong_password_then_right(app_server, page):
    member = make_member(app_server)
    page.goto(f"{app_server.url}/login")
    screenshot(page, "login-desktop")
    send_sign_in(page, member, "not the password")
    expect(page.locator("#login-error")).to_contain_text("don't match")
    expect(page.get_by_label("Email")).to_have_value(member.email)
    screenshot(page, "login-error-desktop")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{app_server.url}/")
    cookie = next(c for c in page.context.cookies() if c["name"] == "hpi_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("hpi_session") == -1


# Notes, from the first DOM change of a page on, whether the sign-in page ever showed an error.
_WATCH_FOR_AN_ERROR = """
window.__errorShown = false;
new MutationObserver(() => {
  if (document.getElementById("login-error")) window.__errorShown = true;
}).observe(document, {subtree: true, childList: true});
"""


def test_a_new_visit_of_the_sign_in_page_never_shows_the_last_refusal(app_server, page):
    # The tab keeps its state between visits: the last visit's error must not flash up (and
    # move the form under a click) before the new visit's query is read.
    member = make_member(app_server)
    page.goto(f"{app_server.url}/login")
    send_sign_in(page, member, "not the password")
    expect(page.locator("#login-error")).to_contain_text("don't match")
    page.add_init_script(_WATCH_FOR_AN_ERROR)
    page.goto(f"{app_server.url}/login?next=%2Fsettings%2Faccount")
    # The hidden next shows the new query once the state of this visit has arrived.
    expect(page.locator("input[name=next]")).to_have_value("/settings/account")
    expect(page.get_by_label("Email")).to_have_value("")
    assert page.evaluate("window.__errorShown") is False
    send_sign_in(page, member)
    page.wait_for_url(re.compile(re.escape(f"{app_server.url}/settings/account") + "/?$"))


def test_pages_need_a_session_and_return_to_the_page_asked_for(app_server, page):
    member = make_member(app_server)
    task = create_task(app_server, member, title="Return-to target")
    _signs_in_when_asked_and_returns(page, app_server, member, task)
    expect(page.locator("#task-title")).to_have_text("Return-to target")


def test_an_expired_session_goes_back_to_sign_in_then_to_the_page(app_server, page):
    member = make_member(app_server)
    task = create_task(app_server, member, title="After expiry")
    sign_in(page, app_server, member)
    app_server.python(
        "from datetime import timedelta\n"
        "from sqlmodel import select\n"
        "from hpi_app.db import session_scope\n"
        "from hpi_app.models import User, UserSession, utcnow\n"
        "with session_scope(write=True) as s:\n"
        f"    user = s.exec(select(User).where(User.email == {member.email!r})).one()\n"
        "    for row in s.exec(select(UserSession).where(UserSession.user_id == user.id)):\n"
        "        row.expires_at = utcnow() - timedelta(seconds=1)\n"
        "    s.commit()\n"
    )
    _signs_in_when_asked_and_returns(page, app_server, member, task)
    expect(page.locator("#task-title")).to_have_text("After expiry")


def test_sign_out_ends_the_session_on_the_server(app_server, page, browser):
    member = make_member(app_server)
    sign_in(page, app_server, member)
    stolen = next(c for c in page.context.cookies() if c["name"] == "hpi_session")
    page.locator("#sign-out").click()
    page.wait_for_url("**/login**")
    # The old cookie, replayed elsewhere, no longer opens anything.
    other = browser.new_context()
    other.add_cookies([stolen])
    replay = other.new_page()
    replay.goto(f"{app_server.url}/")
    replay.wait_for_url("**/login**")
    other.close()


def test_repeated_wrong_passwords_are_rate_limited(app_server, page):
    member = make_member(app_server)
    for _ in range(5):
        response = page.request.post(
            f"{app_server.url}/auth/login",
            form={"email": member.email, "password": "guess", "next": "/"},
            max_redirects=0,
        )
        assert "error=invalid" in response.headers["location"]
    # Even the right password is refused while the lock lasts.
    page.goto(f"{app_server.url}/login")
    send_sign_in(page, member)
    expect(page.locator("#login-error")).to_contain_text("Too many sign-in attempts")


def test_next_parameter_cannot_leave_the_site(app_server, page):
    member = make_member(app_server)
    page.goto(f"{app_server.url}/login?next=//evil.example/x")
    send_sign_in(page, member)
    page.wait_for_url(f"{app_server.url}/")


def _signs_in_when_asked_and_returns(page, app_server, member, task) -> None:
    """Open the task's detail page, be sent to sign in, sign in, and land back on the detail page."""
    page.goto(f"{app_server.url}/tasks/{task['task_id']}")
    page.wait_for_url("**/login?next=**")
    send_sign_in(page, member)
    page.wait_for_url(f"{app_server.url}/tasks/{task['task_id']}")
