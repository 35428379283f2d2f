"""Every path's body is capped before the app sees it, and ``/_upload`` needs a member or an open link.

The API app is the whole web app's outer layer: Reflex mounts itself beneath it at ``""``. Here
a small ASGI app that reads the whole body stands in for Reflex at the same place, so what it
receives is what Reflex's ``/_upload`` would have spooled.
"""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from hpi_app.api import limits
from hpi_app.api.app import create_api
from hpi_app.core import link_codes, sessions
from tests.utils.bodies import seed_task
from tests.utils.link_codes import code_in

QUOTA = 4096


class BodyReader:
    """Reads every request's whole body (as Reflex's upload endpoint does) and answers 200."""

    def __init__(self) -> None:
        self.received: list[int] = []

    async def __call__(self, scope, receive, send) -> None:
        size = 0
        more = True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        self.received.append(size)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"read"})


@pytest.fixture
def reader(store: str, monkeypatch: pytest.MonkeyPatch) -> BodyReader:
    """The stand-in for Reflex; the upload limit made small (the task quota, ``QUOTA`` bytes)."""
    small = dataclasses.replace(limits.settings, task_upload_quota_bytes=QUOTA, max_body_bytes=QUOTA)
    monkeypatch.setattr(limits, "settings", small)
    return BodyReader()


@pytest.fixture
async def web(reader: BodyReader):
    """A client of the API app with the body reader mounted beneath it, as Reflex is."""
    api = create_api()
    api.mount("", reader)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://hpi.test") as http:
        yield http


async def _task(client, auth) -> dict:
    answer = await client.post("/api/v1/tasks", json=seed_task(), headers=auth)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _link(client, auth) -> str:
    return (await _task(client, auth))["link_id"]


def _chunks(total: int, size: int = 1024):
    async def stream():
        for start in range(0, total, size):
            yield b"x" * min(size, total - start)

    return stream()


async def test_an_upload_from_nowhere_is_refused_unread(web, reader):
    answer = await web.post("/_upload", content=b"--x\r\n" + b"x" * 100)
    assert answer.status_code == 403
    assert answer.json()["code"] == "upload_not_allowed"
    assert reader.received == []


async def test_an_upload_from_an_open_task_page_is_let_through(web, reader, client, auth):
    link_id = await _link(client, auth)
    answer = await web.post(
        "/_upload", content=b"x" * 100, headers={"Referer": f"http://hpi.test/t/{link_id}"}
    )
    assert answer.status_code == 200
    assert reader.received == [100]


async def test_an_upload_from_a_withdrawn_or_finished_task_page_is_refused(web, reader, client, auth):
    task = await _task(client, auth)
    links = f"/api/v1/tasks/{task['task_id']}/links?link_id={task['link_id']}"
    withdrawn = await client.delete(links, headers=auth)
    assert withdrawn.status_code == 200, withdrawn.text
    finished = await _task(client, auth)
    cancelled = await client.post(f"/api/v1/tasks/{finished['task_id']}/cancel", json={}, headers=auth)
    assert cancelled.status_code == 200, cancelled.text
    for link_id in (task["link_id"], finished["link_id"], "no-such-link"):
        answer = await web.post("/_upload", content=b"x", headers={"Referer": f"http://hpi.test/t/{link_id}"})
        assert answer.status_code == 403
    assert reader.received == []


async def test_a_signed_in_member_may_upload(web, reader, admin):
    raw = sessions.start_session(admin.id)
    answer = await web.post(
        "/_upload", content=b"x" * 10, headers={"Cookie": f"{sessions.SESSION_COOKIE}={raw}"}
    )
    assert answer.status_code == 200
    assert reader.received == [10]


async def test_an_upload_over_the_limit_is_413_by_its_length_or_as_it_streams(web, reader, client, auth):
    referer = {"Referer": f"http://hpi.test/t/{await _link(client, auth)}"}
    limit = limits.limit_for("POST", "/_upload")
    declared = await web.post("/_upload", content=b"x" * (limit + 1), headers=referer)
    assert declared.status_code == 413
    assert reader.received == []
    streamed = await web.post("/_upload", content=_chunks(limit + 5000), headers=referer)
    assert streamed.status_code == 413
    assert streamed.json()["code"] == "payload_too_large"
    assert reader.received == []  # it never got to the end of the body


@pytest.mark.parametrize("path", ["/", "/t/some-link", "/auth/login"])
async def test_a_large_body_to_any_other_path_is_413(web, reader, path):
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = await web.post(path, content=_chunks(QUOTA + 5000), headers=form)
    assert answer.status_code == 413
    assert reader.received == []


async def test_a_link_asking_for_a_code_lets_uploads_through_only_past_the_code(
    web, reader, client, auth, outbox
):
    made = await client.post(
        "/api/v1/tasks", json=seed_task(assignee_email="guest@elsewhere.test"), headers=auth
    )
    link_id = made.json()["link_id"]
    referer = {"Referer": f"http://hpi.test/t/{link_id}"}
    assert (await web.post("/_upload", content=b"x", headers=referer)).status_code == 403
    link_codes.send_code(link_id, "http://hpi.test")
    raw = link_codes.verify_code(link_id, code_in(outbox[0]))
    cookie = {"Cookie": f"{link_codes.grant_cookie_name(link_id)}={raw}"}
    assert (await web.post("/_upload", content=b"x", headers={**referer, **cookie})).status_code == 200
    assert reader.received == [1]
