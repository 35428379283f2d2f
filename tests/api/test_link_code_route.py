"""POST /auth/link-code: a right one-time code sets the link's HttpOnly cookie; a refused one goes back."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest

from hpi_app.core import link_codes
from tests.utils.bodies import seed_task


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> list[EmailMessage]:
    """The messages the core sends, caught instead of going to a mail server."""
    sent: list[EmailMessage] = []
    monkeypatch.setattr(link_codes, "send_mail", lambda message, _url, _timeout: sent.append(message))
    return sent


@pytest.fixture
async def link(client, auth) -> str:
    """The link id of a task for an external assignee."""
    answer = await client.post(
        "/api/v1/tasks", json=seed_task(assignee_email="guest@elsewhere.test"), headers=auth
    )
    assert answer.status_code == 201 and answer.json()["requires_otp"] is True
    return answer.json()["link_id"]


def _code(message: EmailMessage) -> str:
    return re.search(r": (\d{6}) —", message.get_body(("plain",)).get_content()).group(1)


async def test_a_right_code_sets_an_httponly_cookie_and_goes_to_the_task(client, link, outbox):
    link_codes.send_code(link, "http://hpi.test")
    answer = await client.post("/auth/link-code", data={"link_id": link, "code": _code(outbox[0])})
    assert answer.status_code == 303 and answer.headers["location"] == f"/t/{link}"
    cookie = answer.headers["set-cookie"]
    name = link_codes.grant_cookie_name(link)
    assert cookie.startswith(f"{name}=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert "max-age=43200" in lowered
    assert link_codes.grant_allows(link, answer.cookies[name])


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


@pytest.mark.parametrize("case", ["code_wrong", "code_malformed", "no_code"])
async def test_a_refused_code_goes_back_with_the_reason_and_no_cookie(client, link, outbox, case):
    if case == "no_code":
        typed = "123456"  # nothing was sent yet
    else:
        link_codes.send_code(link, "http://hpi.test")
        typed = _wrong(_code(outbox[0])) if case == "code_wrong" else "12"
    answer = await client.post("/auth/link-code", data={"link_id": link, "code": typed})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/t/{link}?code_error={case}"
    assert "set-cookie" not in answer.headers


async def test_a_locked_link_goes_back_as_locked(client, link, outbox):
    link_codes.send_code(link, "http://hpi.test")
    wrong = _wrong(_code(outbox[0]))
    for _ in range(5):
        await client.post("/auth/link-code", data={"link_id": link, "code": wrong})
    answer = await client.post("/auth/link-code", data={"link_id": link, "code": _code(outbox[0])})
    assert answer.headers["location"] == f"/t/{link}?code_error=link_locked"
    assert "set-cookie" not in answer.headers


async def test_unknown_links_go_back_to_their_page(client, store):
    answer = await client.post("/auth/link-code", data={"link_id": "no/such?link", "code": "123456"})
    assert answer.status_code == 303 and answer.headers["location"] == "/t/no%2Fsuch%3Flink"
    assert "set-cookie" not in answer.headers
