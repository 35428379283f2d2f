"""Uploads through the task page's file field, on the real app: who may post, how much, what is kept."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import make_api_user

pytestmark = pytest.mark.e2e

FILE_TASK = {
    "title": "Send the evidence",
    "steps": [
        {
            "id": "evidence",
            "title": "Evidence",
            "blocks": [
                {
                    "type": "input",
                    "field": {"name": "evidence", "label": "Evidence", "kind": "file", "required": False},
                }
            ],
        }
    ],
}


def _raw_post(url: str, path: str, headers: dict[str, str]) -> int:
    """Send only a request's head (no body) and read the status the server answers with."""
    parts = urlsplit(url)
    head = f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as conn:
        conn.sendall(head.encode())
        status_line = conn.makefile("rb").readline().decode()
    return int(status_line.split()[1])


def _wait_until(condition, what: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:g} s"
        time.sleep(0.05)


def _uploads(app_server, name: str) -> list[Path]:
    return list((Path(app_server.env["HPI_DATA_DIR"]) / "files").glob(f"*/task-uploads/*/{name}"))


def test_only_open_task_pages_post_to_upload_and_never_too_much(app_server):
    member = make_api_user(app_server)
    task = member.create_task(FILE_TASK)
    reflex_headers = {
        "Reflex-Client-Token": "t",
        "Reflex-Event-Handler": "state.task_form_state.upload_files",
    }
    nowhere = httpx.post(
        f"{app_server.url}/_upload", headers=reflex_headers, files={"files": ("a.txt", b"x")}, timeout=15
    )
    assert nowhere.status_code == 403
    huge = {**reflex_headers, "Referer": task["url"], "Content-Type": "multipart/form-data; boundary=b"}
    assert _raw_post(app_server.url, "/_upload", {**huge, "Content-Length": str(10**12)}) == 413


def test_a_file_removed_on_the_task_page_is_deleted(app_server, page):
    member = make_api_user(app_server)
    task = member.create_task(FILE_TASK)
    page.goto(task["url"])
    name = f"evidence-{task['task_id'][:8]}.txt"
    page.get_by_label("Evidence").set_input_files(
        {"name": name, "mimeType": "text/plain", "buffer": b"Evidence.\n"}
    )
    expect(page.get_by_text(name)).to_be_visible()
    _wait_until(lambda: len(_uploads(app_server, name)) == 1, "the upload landing on disk")
    page.get_by_role("button", name=f"Remove {name}").click()
    expect(page.get_by_text(name)).to_have_count(0)
    _wait_until(lambda: _uploads(app_server, name) == [], "the removed upload being deleted")
