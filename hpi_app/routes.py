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

AUTH_LOGIN = "/auth/login"
AUTH_LOGOUT = "/auth/logout"
AUTH_SETUP = "/auth/setup"
AUTH_LINK_CODE = "/auth/link-code"

API = "/api/v1"
MCP = "/mcp"
FILES_API = f"{API}/files/"


def public_base(origin: str) -> str:
    """The base URL links are built on: ``HPI_PUBLIC_URL``, else the request's ``origin``."""
    return (settings.public_url or origin).rstrip("/")


def configured_base() -> str:
    """The base URL for links made outside a request (emails): ``HPI_PUBLIC_URL`` or localhost."""
    return settings.public_url or f"http://localhost:{settings.port}"


def mcp_url(base_url: str) -> str:
    """The absolute URL of the MCP server (Streamable HTTP) of the instance at ``base_url``."""
    return f"{base_url.rstrip('/')}{MCP}"


def task_detail(task_id: str) -> str:
    """The dashboard's page for one task."""
    return f"/tasks/{task_id}"


def process_detail(process_id: str) -> str:
    """The page of one process (its steps as a live timeline)."""
    return f"/processes/{process_id}"


def task_page(link_id: str) -> str:
    """The page behind a task's link."""
    return f"/t/{link_id}"


def task_link(base_url: str, link_id: str) -> str:
    """The absolute link a person opens to work on a task."""
    return f"{base_url.rstrip('/')}{task_page(link_id)}"


def process_page(link_id: str) -> str:
    """The page behind a process's link (its timeline, read-only)."""
    return f"/p/{link_id}"


def process_link(base_url: str, link_id: str) -> str:
    """The absolute link a person opens to follow a process."""
    return f"{base_url.rstrip('/')}{process_page(link_id)}"


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
    """A local path to return to after sign-in (never another site)."""
    if not next_path or not next_path.startswith("/") or next_path.startswith("//") or "\\\\" in next_path:
        return "/"
    return next_path
