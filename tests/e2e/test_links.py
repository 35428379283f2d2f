"""A task's links in Chromium: a second link opens the form and submits, a withdrawn one shows its page,
and the detail page's Links section adds, copies and withdraws links, live.

Links are made over real HTTP (``/api/v1/tasks/{id}/links``); screenshots land in
test-artifacts/screenshots/ at desktop and phone size.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.accounts import Member, make_member, sign_in, withdraw_link
from tests.e2e.conftest import screen, screenshot
from tests.utils.bodies import seed_task

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def member(app_server) -> Member:
    """One admin and token for this module; every test makes its own tasks."""
    return make_member(app_server)


def _task(app, member: Member, **overrides) -> dict:
    answer = httpx.post(
        f"{app.url}/api/v1/tasks", json=seed_task(**overrides), headers=member.headers, timeout=15
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _link(app, member: Member, task_id: str, **body) -> dict:
    answer = httpx.post(
        f"{app.url}/api/v1/tasks/{task_id}/links", json=body, headers=member.headers, timeout=15
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _links(app, member: Member, task_id: str) -> list[dict]:
    answer = httpx.get(f"{app.url}/api/v1/tasks/{task_id}/links", headers=member.headers, timeout=15)
    assert answer.status_code == 200, answer.text
    return answer.json()["links"]


def _withdraw(app, member: Member, task_id: str, link_id: str) -> None:
    withdraw_link(app.url, member.headers, f"/tasks/{task_id}/links", link_id)


def _get(app, member: Member, task_id: str) -> dict:
    return httpx.get(f"{app.url}/api/v1/tasks/{task_id}", headers=member.headers, timeout=15).json()


def _choose_and_submit(page: Page) -> None:
    page.get_by_label("Decision", exact=True).click()
    page.get_by_role("option", name="Approve", exact=True).click()
    page.get_by_role("button", name="Submit").click()


def test_a_second_link_opens_the_form_and_submits(app_server, member, page):
    task = _task(app_server, member, title="Approve the second-link release")
    second = _link(app_server, member, task["task_id"], assignee_name="Sam")

    page.goto(second["url"])
    expect(page.get_by_role("heading", name="Approve the second-link release")).to_be_visible()
    _choose_and_submit(page)
    expect(page.get_by_role("heading", name="Answers submitted")).to_be_visible()

    done = _get(app_server, member, task["task_id"])
    assert done["status"] == "completed" and done["data"]["decision"] == "Approve"
    opened = {row["link_id"]: row["opened_at"] for row in _links(app_server, member, task["task_id"])}
    assert opened[second["link_id"]] is not None and opened[task["link_id"]] is None


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_withdrawn_link_shows_its_own_page(app_server, member, browser, size):
    context = browser.new_context(**screen(size))
    page = context.new_page()
    try:
        task = _task(app_server, member, title="A task with a withdrawn link")
        second = _link(app_server, member, task["task_id"])
        _withdraw(app_server, member, task["task_id"], second["link_id"])

        page.goto(second["url"])
        expect(page.get_by_role("heading", name="This link was withdrawn")).to_be_visible()
        expect(page.locator("[data-link-state='withdrawn']")).to_be_visible()
        expect(page.get_by_text("A task with a withdrawn link")).to_have_count(0)  # the task stays private
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"link-withdrawn-{size}")
        # The task's own link still opens its form.
        page.goto(task["url"])
        expect(page.get_by_role("button", name="Submit")).to_be_visible()
    finally:
        context.close()


def test_a_link_withdrawn_while_its_form_is_open_refuses_the_submission(app_server, member, page):
    task = _task(app_server, member, title="Withdrawn while open")
    second = _link(app_server, member, task["task_id"])
    page.goto(second["url"])
    expect(page.get_by_role("button", name="Submit")).to_be_visible()
    page.get_by_label("Decision", exact=True).click()
    page.get_by_role("option", name="Approve", exact=True).click()

    _withdraw(app_server, member, task["task_id"], second["link_id"])
    # The open page follows the withdrawal live, so there is nothing left to submit.
    expect(page.get_by_role("heading", name="This link was withdrawn")).to_be_visible()
    assert _get(app_server, member, task["task_id"])["status"] == "pending"


def test_an_expired_link_shows_its_own_page(app_server, member, page):
    task = _task(app_server, member)
    second = _link(app_server, member, task["task_id"], expires_in=60)
    app_server.python(
        "from datetime import timedelta\n"
        "from hpi_app.db import session_scope\n"
        "from hpi_app.models import Link, utcnow\n"
        "with session_scope(write=True) as s:\n"
        f"    row = s.get(Link, {second['link_id']!r})\n"
        "    row.expires_at = utcnow() - timedelta(seconds=1)\n"
        "    s.commit()\n"
    )
    page.goto(second["url"])
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    assert _get(app_server, member, task["task_id"])["status"] == "pending"


def _rows(page: Page):
    return page.locator("#task-links .link-row")


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_detail_page_adds_copies_and_withdraws_links(app_server, member, browser, size):
    context = browser.new_context(**screen(size, desktop_height=900))
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_server.url)
    page = context.new_page()
    try:
        task = _task(app_server, member, title=f"Links on the detail page ({size})")
        sign_in(page, app_server, member)
        page.goto(f"{app_server.url}/tasks/{task['task_id']}")
        expect(_rows(page)).to_have_count(1)
        expect(_rows(page).first).to_have_attribute("data-primary", "true")
        expect(_rows(page).first.locator(".link-url")).to_have_text(task["url"])

        # Add a link for an outsider, with the code.
        page.locator("#add-link").click()
        page.get_by_label("Email (optional)").fill("outsider@elsewhere.test")
        page.get_by_label("Name (optional)").fill("Olive Outsider")
        expect(page.locator("#link-require-code")).to_be_checked()
        screenshot(page, f"links-add-dialog-{size}")
        page.locator("#confirm-add-link").click()
        expect(_rows(page)).to_have_count(2)
        added = _rows(page).nth(1)
        expect(added.locator(".link-who")).to_have_text("Olive Outsider")
        expect(added).to_contain_text("Code")
        expect(added).to_contain_text("Not opened yet")
        [_, made] = _links(app_server, member, task["task_id"])
        assert made["assignee_email"] == "outsider@elsewhere.test" and made["requires_otp"] is True
        expect(added.locator(".link-url")).to_have_text(made["url"])

        # Copy it: the clipboard holds the row's URL.
        added.locator(".copy-link-row").click()
        expect(added.locator(".copy-link-row")).to_have_text("Copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == made["url"]

        # A link added over REST shows up live.
        _link(app_server, member, task["task_id"], assignee_name="Rest Robin")
        expect(_rows(page)).to_have_count(3)
        expect(_rows(page).nth(2).locator(".link-who")).to_have_text("Rest Robin")
        screenshot(page, f"links-section-{size}")

        # Withdraw the outsider's link, confirming first.
        added.locator(".withdraw-link").click()
        expect(page.get_by_role("alertdialog")).to_contain_text("Olive Outsider")
        page.locator("#confirm-withdraw").click()
        expect(added).to_have_attribute("data-state", "withdrawn")
        expect(added).to_contain_text("Withdrawn")
        expect(added.locator(".withdraw-link")).to_have_count(0)
        listed = {row["link_id"]: row for row in _links(app_server, member, task["task_id"])}
        assert listed[made["link_id"]]["revoked_at"] is not None
        assert listed[task["link_id"]]["revoked_at"] is None
        expect(page.locator("#timeline")).to_contain_text("Link withdrawn")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(page, f"links-withdrawn-row-{size}")
    finally:
        context.close()
