"""The web app's routes and every URL builder: one place for each path HPI hands out."""

from __future__ import annotations

from urllib.parse import quote

from hpi_app.config import settings

DASHBOARD = "/"
LOGIN = "/login"
SETUP = "/setup"
TASK_DETAIL = "/tasks/[task_id]"
TASK_PAGE = "/t/[link_id]"
PROCESS_PAGE = "/p/[link_id]"
PROCESSES = "/processes"
PROCESS_DETAIL = "/processes/[process_id]"
SETTINGS_TOKENS = "/settings/tokens"
SETTINGS_MEMBERS = "/settings/members"
SETTINGS_SINKS = "/settings/sinks"
SETTINGS_ACCOUNT = "/settings/account"
SETTINGS_DEFAULTS = "/settings/defaults"

AUTH_LOGIN = "/auth/login"
AUTH_LOGOUT = "/auth/logout"
AUTH_SETUP = "/auth/setup"
AUTH_LINK_CODE = "/auth/link-code"

API = "/api/v1"
# Reflex's endpoint for ``rx.upload`` (the task form's file fields post their files there).
BROWSER_UPLOAD = "/_upload"
MCP_PATH = "/mcp"
FILES_API = f"{API}/files/"


def public_base(origin: str) -> str:
    """The base URL links are built on: ``HPI_PUBLIC_URL``, else the request's ``origin``."""
    return (settings.public_url or origin).rstrip("/")


def configured_base() -> str:
    """The base URL for links made outside a request (emails): ``HPI_PUBLIC_URL`` or localhost."""
    return settings.public_url or f"http://localhost:{settings.port}"


def task_detail(task_id: str) -> str:
    """The dashboard's page for one task."""
    return f"/tasks/{task_id}"


def process_detail(process_id: str) -> str:
    """The page of one process (its steps as a live timeline)."""
    return f"/processes/{process_id}"


def task_page(link_id: str) -> str:
    """The page behind a task's link."""
    return f"/t/{link_id}"


def link_of_task_page(path: str) -> str | None:
    """The link id in a task page's path (``/t/<link_id>``), or None for any other path."""
    prefix = task_page("")
    link_id = path.removeprefix(prefix).rstrip("/") if path.startswith(prefix) else ""
    return link_id if link_id and "/" not in link_id else None


def task_link(base_url: str, link_id: str) -> str:
    """The absolute link a person opens to work on a task."""
    return f"{base_url.rstrip('/')}{task_page(link_id)}"


def process_page(link_id: str) -> str:
    """The page behind a process's link (its timeline, read-only)."""
    return f"/p/{link_id}"


def process_link(base_url: str, link_id: str) -> str:
    """The absolute link a person opens to follow a process."""
    return f"{base_url.rstrip('/')}{process_page(link_id)}"


def mcp_url(base_url: str) -> str:
    """The absolute URL of the MCP server (Streamable HTTP) on the instance at ``base_url``."""
    return f"{base_url.rstrip('/')}{MCP_PATH}"


def file_path(key: str) -> str:
    """The API path of an uploaded file."""
    return f"{FILES_API}{key}"


def file_url(base_url: str, key: str) -> str:
    """The absolute URL of an uploaded file."""
    return f"{base_url.rstrip('/')}{file_path(key)}"


def login(next_path: str = "/") -> str:
    """The sign-in page, returning to ``next_path`` afterwards."""
    return f"{LOGIN}?next={quote(next_path, safe='')}" if next_path and next_path != "/" else LOGIN


def safe_next(next_path: str | None) -> str:
    """A local path to return to after sign-in (never another site).

    Browsers read ``\\`` as ``/`` and drop tabs and newlines, so ``/\\evil.example`` and
    ``/<tab>/evil.example`` would leave the site like ``//evil.example``: any backslash or
    control character sends the person to the dashboard instead.
    """
    if not next_path or not next_path.startswith("/") or next_path.startswith("//"):
        return "/"
    if "\\" in next_path or any(ord(c) < 0x20 or ord(c) == 0x7F for c in next_path):
        return "/"
    return next_path
