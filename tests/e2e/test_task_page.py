"""The task page ``/t/<link_id>``, driven in Chromium the way a person uses it.

Tasks are created over real HTTP; every input is found by its accessible label; answers are
checked through the API afterwards. Screenshots of every page land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import secrets

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DESKTOP, screen, screenshot
from tests.e2e.helpers import ApiUser, complete_directly, expire_now, make_api_user, timeline_kinds
from tests.e2e.task_bodies import PDF_BYTES, every_kind_task, png_bytes, xss_task
from tests.utils.bodies import seed_task as quick_start_task

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api_user(app_server) -> ApiUser:
    """One member and token for this module; every test makes its own tasks."""
    return make_api_user(app_server)


def open_task(page: Page, url: str) -> None:
    """Open a task link and wait until the form is on screen."""
    page.goto(url)
    expect(page.locator("#submit-button, #next-button").first).to_be_visible()


def submit_button(page: Page):
    return page.get_by_role("button", name="Submit")


def field_error(page: Page, name: str):
    """The message shown beside a field (inside the field's own block)."""
    return page.locator(f'[data-field="{name}"] .field-error')


def fits_the_screen(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def tick(checkbox) -> None:
    """Tick a checkbox (its state comes back from the server, so wait for it rather than ``check``)."""
    checkbox.click()
    expect(checkbox).to_be_checked()


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a select field, as a person does: open it, click the option."""
    page.get_by_label(label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()


def test_quick_start_task_is_completed_in_the_browser(app_server, api_user, page):
    task = api_user.create_task(quick_start_task())

    open_task(page, task["url"])
    expect(page.get_by_role("heading", name="Approve deployment to production")).to_be_visible()
    expect(page.get_by_text("A new deployment is ready for")).to_be_visible()
    expect(page.get_by_label("Comments")).to_have_attribute("placeholder", "Any additional notes...")
    screenshot(page, "task-quick-start-desktop")

    choose(page, "Decision", "Approve")
    page.get_by_label("Comments").fill("Looks good, ship it!")
    submit_button(page).click()

    expect(page.get_by_role("heading", name="Answers submitted")).to_be_visible()
    answers = page.locator("#answers")
    expect(answers).to_contain_text("Decision")
    expect(answers).to_contain_text("Approve")
    expect(answers).to_contain_text("Looks good, ship it!")
    screenshot(page, "task-done-desktop")

    got = api_user.get_task(task["task_id"])
    assert got["status"] == "completed"
    assert got["data"] == {"decision": "Approve", "comments": "Looks good, ship it!"}
    assert "opened" in timeline_kinds(app_server, task["task_id"])


def test_quick_start_task_on_a_phone(api_user, phone):
    task = api_user.create_task(quick_start_task())

    open_task(phone, task["url"])
    assert fits_the_screen(phone)
    screenshot(phone, "task-quick-start-phone")
    choose(phone, "Decision", "Reject")
    expect(phone.get_by_label("Decision")).to_contain_text("Reject")
    assert fits_the_screen(phone)
    submit_button(phone).tap()

    expect(phone.get_by_role("heading", name="Answers submitted")).to_be_visible()
    assert fits_the_screen(phone)
    screenshot(phone, "task-done-phone")
    assert api_user.get_task(task["task_id"])["data"] == {"decision": "Reject"}


def _draw_with_mouse(page: Page, canvas) -> None:
    box = canvas.bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] * 0.6
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(x + i * 18, y - (i % 3) * 14, steps=3)
    page.mouse.up()


def _draw_with_finger(page: Page, canvas) -> None:
    """A touch stroke (touchstart → touchmove → touchend), as a finger on a phone makes it."""
    box = canvas.bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] * 0.6
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for i in range(1, 12):
        point = {"x": x + i * 18, "y": y - (i % 3) * 14}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def _step(page: Page, number: int, of: int) -> None:
    expect(page.locator("#step-progress")).to_have_text(f"Step {number} of {of}")


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_every_block_and_field_kind(app_server, api_user, browser: Browser, device):
    image = api_user.upload_file("logo.png", png_bytes(), "image/png")
    pdf = api_user.upload_file("release-notes.pdf", PDF_BYTES, "application/pdf")
    contract = api_user.upload_file("contract.txt", b"The contract.\n", "text/plain")
    task = api_user.create_task(
        every_kind_task(image_url=image["url"], pdf_url=pdf["url"], download_url=contract["url"])
    )
    context = browser.new_context(**screen(device))
    page = context.new_page()
    try:
        _fill_every_kind(page, task, device)
    finally:
        context.close()
    _check_every_kind_data(api_user, task)


def _fill_every_kind(page: Page, task: dict, device: str) -> None:
    open_task(page, task["url"])
    _step(page, 1, 4)
    expect(page.get_by_role("heading", name="Before you start")).to_be_visible()
    expect(page.get_by_label("Notes")).to_have_value("No concerns so far.")  # the field's default
    expect(page.get_by_label("Full name")).to_have_attribute("placeholder", "Ada Lovelace")
    expect(page.get_by_text("People who will use the vendor's")).to_be_visible()  # description_mdsvex
    if device == "phone":
        assert fits_the_screen(page)
    screenshot(page, f"task-every-kind-step1-{device}")

    # Next with required fields empty: the message sits beside each field, and the step stays.
    page.get_by_role("button", name="Next").click()
    expect(field_error(page, "full_name")).to_have_text("This field is required")
    expect(field_error(page, "email")).to_have_text("This field is required")
    expect(field_error(page, "website")).to_have_count(0)  # optional
    expect(page.get_by_label("Full name")).to_have_attribute("aria-invalid", "true")
    _step(page, 1, 4)
    screenshot(page, f"task-every-kind-step1-errors-{device}")

    page.get_by_label("Full name").fill("A")
    page.get_by_label("Work email").fill("not an email")
    page.get_by_label("Team size").fill("12")
    page.get_by_role("button", name="Next").click()
    expect(field_error(page, "full_name")).to_have_text("Must be at least 2 characters")
    expect(field_error(page, "email")).to_contain_text("valid email address")
    expect(field_error(page, "team_size")).to_have_count(0)
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Work email").fill("ada@example.com")
    page.get_by_role("button", name="Next").click()

    _step(page, 2, 4)
    expect(page.locator('[data-block="table"]')).to_contain_text("Spend so far")
    expect(page.locator('[data-block="table"]')).to_contain_text("12.5")
    logo = page.get_by_role("img", name="Vendor logo")
    expect(logo).to_have_attribute("src", re.compile(r"\?link="))
    logo.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth === 160", arg=logo.element_handle())
    expect(page.locator('[data-block="pdf"] iframe')).to_have_attribute("src", re.compile(r"\?link="))
    download = page.get_by_role("link", name=re.compile("contract.txt"))
    expect(download).to_have_attribute("href", re.compile(r"\?link="))
    assert httpx.get(download.get_attribute("href"), timeout=10).text == "The contract.\n"
    expect(page.locator('[data-block="divider"]')).to_have_count(1)
    for chart_type in ("bar", "line", "area", "pie"):
        expect(page.locator(f'[data-chart-type="{chart_type}"] svg.recharts-surface').first).to_be_visible()
    expect(page.locator('[data-chart-type="bar"] .recharts-bar-rectangle')).to_have_count(6)
    if device == "phone":
        assert fits_the_screen(page)  # wide tables scroll inside their own box
    screenshot(page, f"task-every-kind-step2-{device}")

    page.get_by_role("button", name="Next").click()
    for name in ("decision", "priority", "regions"):
        expect(field_error(page, name)).to_be_visible()
    _step(page, 2, 4)
    choose(page, "Decision", "Approve")
    page.get_by_label("Priority").get_by_role("radio", name="High").click()
    regions = page.get_by_label("Regions")
    regions.get_by_role("checkbox", name="Europe").click()
    regions.get_by_role("checkbox", name="Asia-Pacific").click()
    regions.get_by_role("checkbox", name="Americas").click()
    regions.get_by_role("checkbox", name="Americas").click()  # and untick it again
    expect(regions.get_by_role("checkbox", name="Americas")).not_to_be_checked()
    expect(field_error(page, "decision")).to_have_count(0)

    # Back keeps the answers of both steps.
    page.get_by_role("button", name="Back").click()
    _step(page, 1, 4)
    expect(page.get_by_label("Full name")).to_have_value("Ada Lovelace")
    expect(page.get_by_label("Team size")).to_have_value("12")
    page.get_by_role("button", name="Next").click()
    _step(page, 2, 4)
    expect(page.get_by_label("Decision")).to_contain_text("Approve")
    expect(page.get_by_label("Priority").get_by_role("radio", name="High")).to_be_checked()
    page.get_by_role("button", name="Next").click()

    _step(page, 3, 4)
    page.get_by_label("Go-live").fill("2026-03-14T09:30")
    confidence = page.get_by_label("Confidence")
    confidence.focus()
    page.keyboard.press("End")
    for _ in range(4):
        page.keyboard.press("ArrowLeft")
    expect(confidence).to_have_value("80")
    page.get_by_label("Quality").get_by_role("radio", name="4 stars").click()
    expect(page.get_by_label("Quality").get_by_role("radio", name="4 stars")).to_have_attribute(
        "aria-checked", "true"
    )
    page.get_by_role("button", name="Next").click()
    expect(field_error(page, "confirmed")).to_have_text("This box must be ticked")
    tick(page.get_by_label("I confirm the details are correct"))
    if device == "phone":
        assert fits_the_screen(page)
    screenshot(page, f"task-every-kind-step3-{device}")
    page.get_by_role("button", name="Next").click()

    _step(page, 4, 4)
    evidence = page.get_by_label("Evidence")
    evidence.set_input_files({"name": "payload.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ"})
    expect(field_error(page, "evidence")).to_contain_text("isn't accepted")
    evidence.set_input_files({"name": "evidence.txt", "mimeType": "text/plain", "buffer": b"Evidence.\n"})
    expect(page.get_by_text("evidence.txt")).to_be_visible()
    expect(field_error(page, "evidence")).to_have_count(0)

    submit_button(page).click()  # not signed yet
    expect(field_error(page, "signature")).to_have_text("This field is required")
    expect(page.get_by_role("heading", name="Answers submitted")).to_have_count(0)

    canvas = page.get_by_label("Signature", exact=True)
    canvas.scroll_into_view_if_needed()
    if device == "phone":
        _draw_with_finger(page, canvas)
    else:
        _draw_with_mouse(page, canvas)
    expect(page.get_by_text("Signed.")).to_be_visible()
    page.get_by_role("button", name="Clear signature").click()
    expect(page.get_by_text("Draw your signature")).to_be_visible()
    if device == "phone":
        _draw_with_finger(page, canvas)
    else:
        _draw_with_mouse(page, canvas)
    expect(page.get_by_text("Signed.")).to_be_visible()
    expect(field_error(page, "signature")).to_have_count(0)
    if device == "phone":
        assert fits_the_screen(page)
    screenshot(page, f"task-every-kind-step4-{device}")

    submit_button(page).click()
    expect(page.get_by_role("heading", name="Answers submitted")).to_be_visible()
    answers = page.locator("#answers")
    for text in ("Ada Lovelace", "Approve", "High", "Europe, Asia-Pacific", "2026-03-14 09:30", "80", "Yes"):
        expect(answers).to_contain_text(text)
    expect(answers.get_by_role("img", name="Signature")).to_be_visible()
    expect(answers.get_by_role("link", name="evidence.txt")).to_have_attribute("href", re.compile(r"\?link="))
    if device == "phone":
        assert fits_the_screen(page)
    screenshot(page, f"task-every-kind-done-{device}")


def _check_every_kind_data(api_user: ApiUser, task: dict) -> None:
    got = api_user.get_task(task["task_id"])
    assert got["status"] == "completed"
    data = got["data"]
    signature = data.pop("signature")
    evidence = data.pop("evidence")
    assert data == {
        "full_name": "Ada Lovelace",
        "email": "ada@example.com",
        "team_size": 12,
        "notes": "No concerns so far.",
        "decision": "approve",
        "priority": "High",
        "regions": ["eu", "apac"],
        "go_live": "2026-03-14T09:30",
        "confidence": 80,
        "quality": 4,
        "confirmed": True,
    }
    assert type(data["team_size"]) is int and type(data["confidence"]) is int and type(data["quality"]) is int
    assert set(signature) == {"mode", "data", "timestamp"}
    assert signature["mode"] == "draw"
    assert signature["data"].startswith("data:image/png;base64,")
    assert isinstance(signature["timestamp"], str)
    assert isinstance(evidence, list) and len(evidence) == 1
    assert "/api/v1/files/" in evidence[0]
    # The uploaded file is readable by the link once submitted, and by nobody without it.
    assert httpx.get(f"{evidence[0]}?link={task['link_id']}", timeout=10).text == "Evidence.\n"
    assert httpx.get(evidence[0], timeout=10).status_code in (401, 404)
    assert httpx.get(f"{evidence[0]}?link=someone-else", timeout=10).status_code == 404


def test_a_rule_only_the_server_checks_is_shown_beside_the_field(api_user, page):
    body = {
        "title": "Ticket reference",
        "steps": [
            {
                "id": "ticket",
                "title": "Ticket",
                "blocks": [
                    {
                        "type": "input",
                        "field": {
                            "name": "ticket",
                            "label": "Ticket",
                            "kind": "text",
                            "pattern": "[A-Z]{3}-\\d{4}",
                        },
                    }
                ],
            }
        ],
    }
    task = api_user.create_task(body)
    open_task(page, task["url"])
    ticket = page.get_by_label("Ticket")
    assert ticket.get_attribute("pattern") is None  # the browser knows no rule: the server does
    ticket.fill("abc-12")
    submit_button(page).click()
    expect(field_error(page, "ticket")).to_have_text("Does not match the required format")
    assert api_user.get_task(task["task_id"])["status"] == "pending"

    ticket.fill("ABC-1234")
    expect(field_error(page, "ticket")).to_have_count(0)
    submit_button(page).click()
    expect(page.get_by_role("heading", name="Answers submitted")).to_be_visible()
    assert api_user.get_task(task["task_id"])["data"] == {"ticket": "ABC-1234"}


def test_double_click_on_submit_submits_once(app_server, api_user, page):
    task = api_user.create_task(quick_start_task())
    open_task(page, task["url"])
    choose(page, "Decision", "Approve")
    submit_button(page).dblclick()

    expect(page.get_by_role("heading", name="Answers submitted")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    got = api_user.get_task(task["task_id"])
    assert got["status"] == "completed" and got["data"] == {"decision": "Approve"}
    assert timeline_kinds(app_server, task["task_id"]).count("completed") == 1


def test_two_people_submitting_at_once_one_wins(app_server, api_user, browser: Browser):
    task = api_user.create_task(quick_start_task())
    contexts = [browser.new_context(**DESKTOP) for _ in range(2)]
    try:
        pages = [context.new_page() for context in contexts]
        for index, page in enumerate(pages):
            open_task(page, task["url"])
            choose(page, "Decision", "Approve")
            page.get_by_label("Comments").fill(f"from person {index}")
            page.get_by_label("Comments").blur()
        # Both press Submit at the same instant (one shared browser clock): an open page
        # otherwise learns of the other's completion live and takes its Submit button away.
        at = pages[0].evaluate("Date.now() + 400")
        for page in pages:
            page.evaluate(
                "at => setTimeout(() => document.querySelector('#submit-button').click(), at - Date.now())",
                at,
            )
        for page in pages:
            expect(page.locator("#done-heading, #status-heading")).to_be_visible()

        winners = [i for i, page in enumerate(pages) if page.locator("#done-heading").count()]
        assert len(winners) == 1
        loser = pages[1 - winners[0]]
        expect(loser.get_by_role("heading", name="This task has already been completed")).to_be_visible()
        expect(loser.locator("#lost-race")).to_contain_text("your answers were not saved")
        screenshot(loser, "task-lost-race-desktop")
        got = api_user.get_task(task["task_id"])
        assert got["data"] == {"decision": "Approve", "comments": f"from person {winners[0]}"}
        assert timeline_kinds(app_server, task["task_id"]).count("completed") == 1
    finally:
        for context in contexts:
            context.close()


def test_markdown_cannot_run_script(api_user, page):
    task = api_user.create_task(xss_task())
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_task(page, task["url"])
    block = page.locator('[data-block="mdsvex"]')
    expect(block).to_contain_text("Hello")
    expect(block.locator("strong")).to_have_text("bold")
    expect(block.get_by_text("click")).to_be_visible()
    page.wait_for_load_state("load")
    assert page.evaluate("typeof window.__x") == "undefined"
    for html in page.locator(".hpi-markdown").evaluate_all("nodes => nodes.map(n => n.innerHTML)"):
        assert (
            "<script" not in html.lower()
            and "onerror" not in html.lower()
            and "javascript:" not in html.lower()
        )
    assert page.locator('a[href^="javascript:"], [onerror]').count() == 0
    block.get_by_text("click").click()
    tick(page.get_by_label("Looks fine"))
    assert page.evaluate("typeof window.__x") == "undefined"
    assert dialogs == []
    screenshot(page, "task-markdown-safety-desktop")


def _dead_link_pages(api_user: ApiUser, app_server) -> tuple[dict[str, tuple[str, str]], str]:
    """A link of every kind that leads nowhere (name → (url, heading)), and the expired task's id."""
    completed = api_user.create_task(quick_start_task())
    complete_directly(app_server, completed["task_id"], {"decision": "Approve"})
    cancelled = api_user.create_task(quick_start_task())
    api_user.cancel_task(cancelled["task_id"], "not needed any more")
    expired = api_user.create_task(quick_start_task(expires_in=60))
    expire_now(app_server, expired["task_id"])
    unknown = f"{app_server.url}/t/{secrets.token_urlsafe(24)}"
    pages = {
        "completed": (completed["url"], "This task has already been completed"),
        "cancelled": (cancelled["url"], "This task was cancelled"),
        "expired": (expired["url"], "This task has expired"),
        "unknown": (unknown, "Link not found"),
        "malformed": (f"{app_server.url}/t/%3Cscript%3E..%2F%20{'x' * 80}", "Link not found"),
    }
    return pages, expired["task_id"]


def test_dead_links_each_get_their_own_page(app_server, api_user, page, phone):
    pages, expired_task_id = _dead_link_pages(api_user, app_server)
    for name, (url, heading) in pages.items():
        for device, tab in (("desktop", page), ("phone", phone)):
            tab.goto(url)
            expect(tab.get_by_role("heading", level=1)).to_have_text(heading)
            expect(tab.get_by_role("button", name="Submit")).to_have_count(0)
            if device == "phone":
                assert fits_the_screen(tab)
            screenshot(tab, f"task-link-{name}-{device}")
    assert api_user.get_task(expired_task_id)["status"] == "expired"


def test_expired_link_is_expired_in_the_api_too(app_server, api_user, page):
    task = api_user.create_task(quick_start_task(expires_in=60))
    open_task(page, task["url"])
    expect(page.get_by_text("Open until")).to_be_visible()
    expire_now(app_server, task["task_id"])
    choose(page, "Decision", "Approve")
    submit_button(page).click()
    expect(page.get_by_role("heading", name="This task has expired")).to_be_visible()
    assert api_user.get_task(task["task_id"])["status"] == "expired"


def test_external_assignee_link_needs_a_code_unless_a_member_signs_in(app_server, api_user, page, phone):
    task = api_user.create_task(quick_start_task(assignee_email=f"{secrets.token_hex(4)}@outside.test"))
    assert task["requires_otp"] is True
    page.goto(task["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    expect(page.get_by_label("Decision")).to_have_count(0)
    phone.goto(task["url"])
    expect(phone.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    assert fits_the_screen(phone)

    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(api_user.email)
    page.get_by_label("Password", exact=True).fill(api_user.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(task["url"])
    expect(page.get_by_label("Decision")).to_be_visible()
    choose(page, "Decision", "Approve")
    submit_button(page).click()
    expect(page.get_by_role("heading", name="Answers submitted")).to_be_visible()
    got = api_user.get_task(task["task_id"])
    assert got["status"] == "completed" and got["completed_by"] == api_user.email
