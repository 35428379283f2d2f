"""Members, tokens and sign-in for browser tests (each test makes its own, uniquely named)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
from playwright.sync_api import Page, expect

from tests.utils.bodies import seed_task

PASSWORD = "correct horse battery"


@dataclass
class Member:
    """A member made for one test, with a token acting as them."""

    email: str
    password: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Authorization headers for the member's token."""
        return {"Authorization": f"Bearer {self.token}"}


def make_member(app, *, admin: bool = True, name: str = "") -> Member:
    """Create a member (an admin unless told otherwise) and a token with tasks:create and tasks:read."""
    email = f"{uuid.uuid4().hex[:10]}@acme.test"
    return Member(email, PASSWORD, issue_token(app, email, PASSWORD, admin=admin, name=name))


def issue_token(app, email: str, password: str, *, admin: bool, name: str = "") -> str:
    """Create the member ``email`` with the CLI, then a token (tasks:create, tasks:read) acting as them.

    The first member of an instance creates its one organisation; later ones join it.

    Returns:
        The raw token.
    """
    args = ["user", "create", "--email", email, "--password", password]
    if admin:
        args.append("--admin")
    if name:
        args += ["--name", name]
    made = app.cli(*args)
    assert made.returncode == 0, made.stderr
    issued = app.cli(
        "token", "create", "--email", email, "--name", "e2e", "--scopes", "tasks:create,tasks:read"
    )
    assert issued.returncode == 0, issued.stderr
    return issued.stdout.strip()


def sign_in(page: Page, app, member: Member, *, path: str = "/") -> None:
    """Sign in through the sign-in page and wait for ``path``."""
    page.goto(f"{app.url}/login")
    send_sign_in(page, member)
    page.wait_for_url(f"{app.url}{path}")


def send_sign_in(page: Page, member: Member, password: str | None = None) -> None:
    """Fill in the sign-in form the page shows with ``member``'s email and password, and send it."""
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(member.password if password is None else password)
    page.get_by_role("button", name="Sign in").click()


def open_new_task(page: Page, app, *, title: str) -> tuple[Member, dict]:
    """A new member signed in on ``page``, with a new task named ``title`` open on its detail page."""
    member = make_member(app)
    sign_in(page, app, member)
    task = create_task(app, member, title=title)
    page.goto(f"{app.url}/tasks/{task['task_id']}")
    return member, task


def create_task(app, member: Member, **overrides) -> dict:
    """Create a task over real HTTP (the quick-start body with ``overrides``); returns the answer."""
    answer = httpx.post(
        f"{app.url}/api/v1/tasks", json=seed_task(**overrides), headers=member.headers, timeout=10
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def cancel_task(app, member: Member, task_id: str, reason: str) -> None:
    """Cancel a task over real HTTP with ``reason``, as the software that made it would."""
    answer = httpx.post(
        f"{app.url}/api/v1/tasks/{task_id}/cancel",
        json={"reason": reason},
        headers=member.headers,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text


def open_dashboard(page: Page, app) -> None:
    """Go to the dashboard and wait until it has loaded."""
    page.goto(f"{app.url}/")
    expect(page.locator("#tab-pending")).to_be_visible()


def withdraw_link(url: str, headers: dict[str, str], links_path: str, link_id: str) -> None:
    """Withdraw one link over real HTTP (``links_path``: ``/tasks/<id>/links``, ``/processes/<id>/links``)."""
    answer = httpx.delete(
        f"{url}/api/v1{links_path}",
        params={"link_id": link_id},
        headers=headers,
        timeout=15,
    )
    assert answer.status_code == 200, answer.text
