"""An open tab acts only as the member a fresh session check returns (issue 11, finding 5).

Each test leaves a tab open, then ends or changes its session elsewhere: signed out in another
tab, removed by an admin, or signed in as someone of another organisation. What the tab does next
(a live refresh, a cancel, a submit, a settings change) must follow the session as it is now.
"""

from __future__ import annotations

import json
import re
import time
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.accounts import PASSWORD, Member, create_task, make_member, open_dashboard, sign_in
from tests.e2e.conftest import running_app
from tests.e2e.settings_helpers import sign_in_to
from tests.e2e.test_processes import ProcessApi
from tests.utils.processes import process_body

pytestmark = pytest.mark.e2e

NOTE_TASK = {
    "steps": [
        {
            "id": "note",
            "title": "Note",
            "blocks": [{"type": "input", "field": {"name": "note", "label": "Note", "kind": "text"}}],
        }
    ]
}


def _signs_out_in_another_tab(page: Page, app) -> None:
    """Sign out in a second tab of the same browser (the first tab stays open, as it was)."""
    other = page.context.new_page()
    other.goto(f"{app.url}/settings/account")
    other.locator("#sign-out").click()
    other.wait_for_url(re.compile(r".*/login/?$"))
    other.close()


def _sent_to_sign_in(page: Page) -> None:
    page.wait_for_url(re.compile(r".*/login(\?next=.*)?$"))


def _task(app, member: Member, task_id: str) -> dict:
    return httpx.get(f"{app.url}/api/v1/tasks/{task_id}", headers=member.headers, timeout=10).json()


def _remove(app, admin: Member, member: Member) -> None:
    app.python(
        "from hpi_app.core import accounts\n"
        f"admin = accounts.get_user_by_email({admin.email!r})\n"
        f"gone = accounts.get_user_by_email({member.email!r})\n"
        "accounts.remove_member(admin.id, gone.id)\n"
    )


def test_a_signed_out_tab_reads_no_new_tasks(app_server, page):
    member = make_member(app_server)
    sign_in(page, app_server, member)
    open_dashboard(page, app_server)
    _signs_out_in_another_tab(page, app_server)

    # The tab hears of the new task, checks the session, and leaves instead of showing it.
    create_task(app_server, member, title=f"Secret plan {uuid.uuid4().hex[:6]}")
    _sent_to_sign_in(page)


def test_a_signed_out_tab_cannot_switch_the_list(app_server, page):
    member = make_member(app_server)
    sign_in(page, app_server, member)
    open_dashboard(page, app_server)
    _signs_out_in_another_tab(page, app_server)
    page.locator("#tab-done").click()
    _sent_to_sign_in(page)


def test_a_signed_out_tab_cannot_cancel_a_task(app_server, page):
    member = make_member(app_server)
    sign_in(page, app_server, member)
    task = create_task(app_server, member, title="Keep me pending")
    page.goto(f"{app_server.url}/tasks/{task['task_id']}")
    expect(page.locator("#task-title")).to_have_text("Keep me pending")
    page.locator("#cancel-task").click()
    page.get_by_label("Reason (optional)").fill("from a stale tab")

    _signs_out_in_another_tab(page, app_server)
    page.locator("#confirm-cancel").click()
    _sent_to_sign_in(page)
    assert _task(app_server, member, task["task_id"])["status"] == "pending"


def test_a_signed_out_tab_cannot_complete_a_task_from_its_detail_page(app_server, page):
    member = make_member(app_server)
    sign_in(page, app_server, member)
    task = create_task(app_server, member, title="Answer me from the detail page", **NOTE_TASK)
    page.goto(f"{app_server.url}/tasks/{task['task_id']}")
    page.get_by_label("Note", exact=True).fill("written before signing out")

    _signs_out_in_another_tab(page, app_server)
    page.get_by_role("button", name="Submit").click()
    _sent_to_sign_in(page)
    assert _task(app_server, member, task["task_id"])["status"] == "pending"


def test_a_removed_member_stops_following_a_task(app_server, page):
    admin = make_member(app_server, admin=True)
    member = make_member(app_server, admin=False)
    sign_in(page, app_server, member)
    task = create_task(app_server, admin, title="Watched by a member who leaves", **NOTE_TASK)
    page.goto(f"{app_server.url}/tasks/{task['task_id']}")
    expect(page.locator("#task-title")).to_have_text("Watched by a member who leaves")

    _remove(app_server, admin, member)
    done = httpx.post(
        f"{app_server.url}/api/v1/tasks/{task['task_id']}/complete",
        json={"data": {"note": "the answer the removed member must not read"}},
        headers=admin.headers,
        timeout=10,
    )
    assert done.status_code == 200, done.text
    _sent_to_sign_in(page)
    assert "must not read" not in page.content()


def test_a_signed_out_member_no_longer_follows_a_code_link_without_the_code(app_server, page):
    member = make_member(app_server)
    api = ProcessApi(app_server, member)
    pid = api.post("/processes", process_body(name="Followed past its code"))["process_id"]
    link = api.post(f"/processes/{pid}/links", {"assignee_email": f"{uuid.uuid4().hex[:8]}@guest.test"})
    sign_in(page, app_server, member)
    page.goto(link["url"])  # a member skips the link's one-time code
    expect(page.locator("#process-name")).to_have_text("Followed past its code")
    expect(page.get_by_role("heading", name="Confirm it's you")).to_have_count(0)

    _signs_out_in_another_tab(page, app_server)
    api.update(pid, {"type": "step_started", "step": "build", "detail": "compiling"})
    # The next refresh finds no member: the page opens afresh and asks for the code.
    expect(page.get_by_role("heading", name="Confirm it's you")).to_be_visible()
    expect(page.get_by_text("compiling")).to_have_count(0)


@pytest.fixture(scope="module")
def two_orgs(tmp_path_factory):
    """An app of this module's own with two organisations, each with one admin."""
    with running_app(tmp_path_factory.mktemp("e2e-two-orgs")) as app:
        admins = {}
        for org in ("Acme", "Globex"):
            email = f"admin@{org.lower()}.test"
            app.python(
                "from hpi_app.core import accounts\n"
                f"accounts.create_user({email!r}, {PASSWORD!r}, role='admin', org_name={org!r})\n"
            )
            admins[org] = email
        yield app, admins


def _org_of_sink(app, name: str) -> str:
    return app.python(
        "from sqlmodel import select\n"
        "from hpi_app.db import session_scope\n"
        "from hpi_app.models import Organisation, OrgSink\n"
        "with session_scope() as s:\n"
        f"    org = s.exec(select(Organisation).join(OrgSink, OrgSink.org_id == Organisation.id)"
        f".where(OrgSink.name == {name!r})).one()\n"
        "    print(org.name)\n"
    ).strip()


def _without_hydrate(message: str | bytes) -> str | bytes:
    """A socket.io CONNECT packet without the hydrate event a real frontend sends in it.

    The tab then reconnects (with the browser's current cookie) without reloading its page: its
    state stays as loaded, and the next event acts on whatever it cached, as a crafted client can.
    """
    if not isinstance(message, str) or not message.startswith("40") or "{" not in message:
        return message
    head, _, body = message.partition("{")
    auth = json.loads("{" + body)
    auth.pop("event", None)
    return head + json.dumps(auth)


def test_a_settings_action_acts_in_the_org_of_the_fresh_session(two_orgs, page):
    app, admins = two_orgs
    sockets, reconnecting = [], []

    def relay(ws):  # pass the tab's websocket through, keeping a handle to drop it later
        server = ws.connect_to_server()
        ws.on_message(lambda message: server.send(_without_hydrate(message) if reconnecting else message))
        sockets.append(ws)

    page.route_web_socket(re.compile(r".*/_event.*"), relay)
    sign_in_to(page, app, admins["Acme"], PASSWORD, "/settings/sinks")
    expect(page.locator("#add-sink")).to_be_visible()

    # Elsewhere in the same browser: sign out of Acme, sign in to Globex (the cookie changes).
    other = page.context.new_page()
    other.goto(f"{app.url}/settings/account")
    other.locator("#sign-out").click()
    other.wait_for_url(re.compile(r".*/login/?$"))
    other.get_by_label("Email").fill(admins["Globex"])
    other.get_by_label("Password", exact=True).fill(PASSWORD)
    other.get_by_role("button", name="Sign in").click()
    other.wait_for_url(re.compile(r".*" + re.escape(app.url) + r"/?$"))
    other.close()

    # The Acme tab's connection drops and comes back carrying Globex's cookie, its page unreloaded.
    reconnecting.append(True)
    count = len(sockets)
    sockets[-1].close()
    deadline = time.monotonic() + 15
    while len(sockets) == count:  # the route above runs again for the new connection
        assert time.monotonic() < deadline, "the tab did not reconnect"
        page.wait_for_timeout(50)
    name = f"hook {uuid.uuid4().hex[:6]}"
    page.locator("#add-sink").click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("URL", exact=True).fill(f"{app.url}/nowhere")
    page.locator("#save-sink").click()
    expect(page.locator("#new-secret-dialog")).to_be_visible()
    assert _org_of_sink(app, name) == "Globex"
