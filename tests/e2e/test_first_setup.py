"""First start: an empty instance leads to setup, which creates the admin and the organisation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import running_app, screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def empty_app(tmp_path_factory):
    """An instance of its own with no user yet."""
    with running_app(tmp_path_factory.mktemp("empty-instance")) as app:
        yield app


def test_setup_on_an_empty_instance(empty_app, page, phone):
    phone.goto(f"{empty_app.url}/")
    phone.wait_for_url("**/setup")
    expect(phone.get_by_role("heading", name="Welcome to HPI")).to_be_visible()
    screenshot(phone, "setup-phone")

    page.goto(f"{empty_app.url}/")
    page.wait_for_url("**/setup")
    screenshot(page, "setup-desktop")
    page.get_by_label("Organisation name").fill("Acme")
    page.get_by_label("Your name").fill("Ada Admin")
    page.get_by_label("Email").fill("ada@acme.test")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create organisation").click()
    # The browser itself refuses a password under 8 characters: still on setup.
    expect(page.get_by_role("heading", name="Welcome to HPI")).to_be_visible()
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create organisation").click()
    page.wait_for_url(f"{empty_app.url}/")
    expect(page.locator("#empty-state")).to_be_visible()
    expect(page.locator("#empty-state")).to_contain_text(
        f"curl -X POST {empty_app.url.replace('127.0.0.1', '127.0.0.1')}/api/v1/tasks"
    )
    expect(page.get_by_text("Ada Admin")).to_be_visible()
    screenshot(page, "dashboard-empty-desktop")

    # Setup is over: it now sends people to sign in, and a second setup post is refused.
    phone.goto(f"{empty_app.url}/setup")
    phone.wait_for_url("**/login**")
    response = phone.request.post(
        f"{empty_app.url}/auth/setup",
        form={"org_name": "Evil", "email": "eve@evil.test", "password": "another long one"},
        max_redirects=0,
    )
    assert response.status == 303 and response.headers["location"].startswith("/login")
    made = empty_app.cli("token", "create", "--email", "eve@evil.test", "--name", "x")
    assert made.returncode == 1 and "No user" in made.stderr
