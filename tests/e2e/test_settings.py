"""Settings in a real browser: API tokens (the issue's key flow), members, and the password."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.accounts import PASSWORD, make_member
from tests.e2e.conftest import screenshot
from tests.e2e.settings_helpers import (
    open_settings,
    page_fits_the_screen,
    screenshot_viewport,
    sign_in_refused,
    sign_in_to,
)
from tests.utils.bodies import seed_task

pytestmark = pytest.mark.e2e

TOKENS, MEMBERS, ACCOUNT = "/settings/tokens", "/settings/members", "/settings/account"


def _create_token_in_the_page(page, name: str, scopes: tuple[str, ...]) -> str:
    page.get_by_label("Name", exact=True).fill(name)
    for scope in scopes:
        page.get_by_role("checkbox", name=scope).click()
        expect(page.get_by_role("checkbox", name=scope)).to_be_checked()
    page.locator("#create-token").click()
    dialog = page.locator("#new-token-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("won't see it again")
    expect(page.locator("#new-token-value")).to_have_text(re.compile(r"^htk_[0-9a-f]{64}$"))
    return page.locator("#new-token-value").inner_text()


def _token_row(page, raw: str):
    return page.locator(f'.token-row[data-prefix="{raw[:12]}"]')


def test_create_use_and_revoke_a_token(app_server, page):
    admin = make_member(app_server, admin=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_server.url)
    sign_in_to(page, app_server, admin.email, admin.password, TOKENS)
    expect(page.get_by_role("link", name="API Tokens")).to_have_attribute("aria-current", "page")

    # Nothing filled in: each field says what it needs.
    page.locator("#create-token").click()
    expect(page.locator("#token-name-error")).to_contain_text("name")
    expect(page.locator("#scopes-error")).to_contain_text("at least one scope")
    expect(page.locator("#new-token-dialog")).to_have_count(0)

    raw = _create_token_in_the_page(page, "deploy pipeline", ("tasks:create", "tasks:read"))
    screenshot_viewport(page, "settings-token-shown-once-desktop")
    page.locator("#copy-token").click()
    expect(page.locator("#copy-token")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == raw
    page.locator("#close-new-token").click()
    expect(page.locator("#new-token-dialog")).to_have_count(0)
    expect(page.locator("#new-token-value")).to_have_count(0)

    row = _token_row(page, raw)
    expect(row).to_contain_text("deploy pipeline")
    expect(row).to_contain_text(raw[:12])
    expect(row).to_contain_text("tasks:create")
    expect(row).to_contain_text("tasks:read")
    expect(row).to_contain_text(admin.email)
    expect(row.locator(".last-used")).to_have_text("Never")
    # The raw token is on the page nowhere once its dialog is closed.
    assert raw not in page.content()

    # The key flow: the token from the page creates the quick-start task over HTTP.
    headers = {"Authorization": f"Bearer {raw}"}
    created = httpx.post(f"{app_server.url}/api/v1/tasks", json=seed_task(), headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    assert created.json()["url"].startswith(f"{app_server.url}/t/")

    page.reload()
    expect(_token_row(page, raw).locator(".last-used")).not_to_have_text("Never")
    expect(_token_row(page, raw).locator(".last-used")).to_have_text(re.compile(r"ago|seconds"))
    screenshot(page, "settings-tokens-desktop")

    # Revoke asks first; cancelling changes nothing.
    _token_row(page, raw).get_by_role("button", name="Revoke deploy pipeline").click()
    expect(page.locator("#revoke-dialog")).to_contain_text(raw[:12])
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#revoke-dialog")).to_have_count(0)
    expect(_token_row(page, raw)).to_have_attribute("data-status", "active")

    _token_row(page, raw).get_by_role("button", name="Revoke deploy pipeline").click()
    expect(page.locator("#revoke-dialog")).to_be_visible()
    screenshot_viewport(page, "settings-revoke-confirm-desktop")
    page.locator("#confirm-revoke").click()
    expect(page.locator("#revoke-dialog")).to_have_count(0)
    expect(_token_row(page, raw)).to_have_attribute("data-status", "revoked")
    expect(_token_row(page, raw)).to_contain_text("Revoked")

    refused = httpx.post(f"{app_server.url}/api/v1/tasks", json=seed_task(), headers=headers, timeout=10)
    assert refused.status_code == 401
    assert refused.json()["error"] == "Token revoked"


def test_token_with_an_expiry_date(app_server, page):
    admin = make_member(app_server, admin=True)
    sign_in_to(page, app_server, admin.email, admin.password, TOKENS)
    page.get_by_label("Name", exact=True).fill("nightly report")
    page.get_by_role("checkbox", name="tasks:read").click()
    page.locator("#token-expiry").click()
    page.get_by_role("option", name="On a date…").click()
    page.locator("#create-token").click()
    expect(page.locator("#token-expiry-error")).to_contain_text("date")
    page.get_by_label("Expiry date").fill("2099-12-31")
    page.locator("#create-token").click()
    raw = page.locator("#new-token-value").inner_text()
    page.locator("#close-new-token").click()
    expect(_token_row(page, raw)).to_contain_text("31 Dec 2099")
    got = httpx.get(f"{app_server.url}/api/v1/tasks", headers={"Authorization": f"Bearer {raw}"}, timeout=10)
    assert got.status_code == 200


def test_members_add_change_role_and_remove(app_server, browser, page):
    admin = make_member(app_server, admin=True)
    sign_in_to(page, app_server, admin.email, admin.password, MEMBERS)
    expect(page.locator(f'.member-row[data-email="{admin.email}"]')).to_contain_text("You")

    email = f"new-{uuid.uuid4().hex[:8]}@acme.test"
    temporary = "temporary pw 42"
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Name", exact=True).fill("Bea Member")
    page.get_by_label("Temporary password").fill("short")
    page.locator("#add-member").click()
    expect(page.locator("#member-password-error")).to_contain_text("at least 8")

    page.get_by_label("Email", exact=True).fill(admin.email)
    page.get_by_label("Temporary password").fill(temporary)
    page.locator("#add-member").click()
    expect(page.locator("#member-email-error")).to_contain_text("already exists")

    page.get_by_label("Email", exact=True).fill(email)
    page.locator("#add-member").click()
    expect(page.locator("#members-notice")).to_contain_text(email)
    row = page.locator(f'.member-row[data-email="{email}"]')
    expect(row).to_contain_text("Bea Member")
    expect(row).to_have_attribute("data-role", "member")
    expect(page.get_by_label("Email", exact=True)).to_have_value("")
    screenshot(page, "settings-members-desktop")

    issued = app_server.cli(
        "token", "create", "--email", email, "--name", "bea's script", "--scopes", "tasks:read"
    )
    assert issued.returncode == 0, issued.stderr
    member_token = {"Authorization": f"Bearer {issued.stdout.strip()}"}
    assert httpx.get(f"{app_server.url}/api/v1/tasks", headers=member_token, timeout=10).status_code == 200

    # The member, in a browser of their own: Members is for admins; Tokens shows only theirs.
    other = browser.new_context(viewport={"width": 1280, "height": 860})
    try:
        theirs = other.new_page()
        sign_in_to(theirs, app_server, email, temporary, MEMBERS)
        expect(theirs.locator("#admin-only")).to_be_visible()
        expect(theirs.locator("#member-table")).to_have_count(0)
        screenshot(theirs, "settings-members-as-member-desktop")
        open_settings(theirs, app_server, TOKENS)
        expect(theirs.locator(".token-row")).to_have_count(1)
        expect(theirs.locator(".token-row")).to_contain_text("bea's script")
        expect(theirs.get_by_role("columnheader", name="Acts as")).to_have_count(0)

        # Promote, and the member's Members page opens up; then back to member.
        row.get_by_role("button", name=f"Manage {email}").click()
        page.get_by_role("menuitem", name="Make admin").click()
        expect(row).to_have_attribute("data-role", "admin")
        open_settings(theirs, app_server, MEMBERS)
        expect(theirs.locator("#member-table")).to_be_visible()
        row.get_by_role("button", name=f"Manage {email}").click()
        page.get_by_role("menuitem", name="Make member").click()
        expect(row).to_have_attribute("data-role", "member")

        # An admin can't remove themselves: their own menu has no Remove.
        page.locator(f'.member-row[data-email="{admin.email}"]').get_by_role("button").click()
        expect(page.get_by_role("menuitem", name="Make member")).to_be_visible()
        expect(page.get_by_role("menuitem", name="Remove…")).to_have_count(0)
        page.keyboard.press("Escape")

        row.get_by_role("button", name=f"Manage {email}").click()
        page.get_by_role("menuitem", name="Remove…").click()
        expect(page.locator("#remove-dialog")).to_contain_text(email)
        page.locator("#confirm-remove").click()
        expect(page.locator("#members-notice")).to_contain_text(f"Removed {email}")
        expect(row).to_have_count(0)

        refused = httpx.get(f"{app_server.url}/api/v1/tasks", headers=member_token, timeout=10)
        assert refused.status_code == 401 and refused.json()["error"] == "Token revoked"
        theirs.goto(f"{app_server.url}{TOKENS}")
        theirs.wait_for_url("**/login**")
        sign_in_refused(theirs, app_server, email, temporary)
    finally:
        other.close()


def test_change_password(app_server, browser, page):
    member = make_member(app_server, admin=False)
    sign_in_to(page, app_server, member.email, member.password, ACCOUNT)
    expect(page.locator("#account-email")).to_have_text(member.email)
    elsewhere = browser.new_context()
    try:
        second = elsewhere.new_page()
        sign_in_to(second, app_server, member.email, member.password, ACCOUNT)

        new = "a brand new password"
        page.get_by_label("Current password").fill("not my password")
        page.get_by_label("New password", exact=True).fill(new)
        page.get_by_label("Confirm new password").fill(new)
        page.locator("#change-password").click()
        expect(page.locator("#current-password-error")).to_contain_text("not right")

        page.get_by_label("Current password").fill(PASSWORD)
        page.get_by_label("New password", exact=True).fill("short")
        page.get_by_label("Confirm new password").fill("shorter")
        page.locator("#change-password").click()
        expect(page.locator("#new-password-error")).to_contain_text("at least 8")
        expect(page.locator("#confirm-password-error")).to_contain_text("doesn't match")
        expect(page.locator("#current-password-error")).to_have_count(0)
        screenshot(page, "settings-account-errors-desktop")

        page.get_by_label("New password", exact=True).fill(new)
        page.get_by_label("Confirm new password").fill(new)
        page.locator("#change-password").click()
        expect(page.locator("#account-notice")).to_contain_text("1 other session")
        expect(page.locator("#account-notice")).to_contain_text("1 API token was revoked")
        expect(page.get_by_label("Current password")).to_have_value("")
        # The token made under the old password no longer opens the API.
        assert httpx.get(f"{app_server.url}/api/v1/tasks", headers=member.headers).status_code == 401
        screenshot(page, "settings-account-desktop")

        # The other browser is signed out; this one stays signed in.
        second.goto(f"{app_server.url}{ACCOUNT}")
        second.wait_for_url("**/login**")
        open_settings(page, app_server, ACCOUNT)
        expect(page.locator("#account-email")).to_have_text(member.email)

        sign_in_refused(second, app_server, member.email, PASSWORD)
        sign_in_to(second, app_server, member.email, new, ACCOUNT)
    finally:
        elsewhere.close()


def test_settings_on_a_phone_in_dark_mode(app_server, phone):
    admin = make_member(app_server, admin=True)
    phone.emulate_media(color_scheme="dark")
    sign_in_to(phone, app_server, admin.email, admin.password, TOKENS)
    expect(phone.locator("#token-table")).to_be_visible()
    assert page_fits_the_screen(phone)
    screenshot(phone, "settings-tokens-phone")

    raw = _create_token_in_the_page(phone, "phone token", ("tasks:create",))
    assert page_fits_the_screen(phone)
    screenshot_viewport(phone, "settings-token-shown-once-phone")
    phone.locator("#close-new-token").click()
    expect(_token_row(phone, raw)).to_be_visible()

    open_settings(phone, app_server, MEMBERS)
    expect(phone.locator("#member-table")).to_be_visible()
    assert page_fits_the_screen(phone)
    screenshot(phone, "settings-members-phone")

    open_settings(phone, app_server, ACCOUNT)
    expect(phone.locator("#account-email")).to_have_text(admin.email)
    assert page_fits_the_screen(phone)
    screenshot(phone, "settings-account-phone")
