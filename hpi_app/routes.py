"""The web app's routes and the URL builders beside them."""

from __future__ import annotations

from urllib.parse import quote

DASHBOARD = "/"
LOGIN = "/login"
SETUP = "/setup"
TASK_DETAIL = "/tasks/[task_id]"
TASK_PAGE = "/t/[link_id]"
SETTINGS_TOKENS = "/settings/tokens"
SETTINGS_MEMBERS = "/settings/members"
SETTINGS_SINKS = "/settings/sinks"
SETTINGS_ACCOUNT = "/settings/account"

AUTH_LOGIN = "/auth/login"
AUTH_LOGOUT = "/auth/logout"
AUTH_SETUP = "/auth/setup"
AUTH_LINK_CODE = "/auth/link-code"


def task_detail(task_id: str) -> str:
    """The dashboard's page for one task."""
    return f"/tasks/{task_id}"


def task_page(link_id: str) -> str:
    """The page behind a task's link."""
    return f"/t/{link_id}"


def login(next_path: str = "/") -> str:
    """The sign-in page, returning to ``next_path`` afterwards."""
    return f"{LOGIN}?next={quote(next_path, safe='')}" if next_path and next_path != "/" else LOGIN


def safe_next(next_path: str | None) -> str:
    """A local path to return to after sign-in (never another site)."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//") or "\\\\" in next_path:
        return "/"
    return next_path
