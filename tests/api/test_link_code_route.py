"""POST /auth/link-code: a right one-time code sets the link's HttpOnly cookie; a refused one goes back."""

from __future__ import annotations

import pytest

from hpi_app.core import link_codes, sessions
from tests.utils.bodies import seed_task
from tests.utils.link_codes import code_in, wrong_code


@pytest.fixture
async def link(client, auth) -> str:
    """The link id of a task for an external assignee."""
    answer = await client.post(
        "/api/v1/tasks", json=seed_task(assignee_email="guest@elsewhere.test"), headers=auth
    )
    assert answer.status_code == 201 and answer.json()["requires_otp"] is True
    return answer.json()["link_id"]


async def test_a_right_code_sets_an_httponly_cookie_and_goes_to_the_task(client, link, outbox):
    link_codes.send_code(link, "http://hpi.test")
    answer = await client.post("/auth/link-code", data={"link_id": link, "code": code_in(outbox[0])})
    assert answer.status_code == 303 and answer.headers["location"] == f"/t/{link}"
    cookie = answer.headers["set-cookie"]
    name = link_codes.grant_cookie_name(link)
    assert cookie.startswith(f"{name}=")
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    assert "max-age=43200" in lowered
    assert link_codes.grant_allows(link, answer.cookies[name])


@pytest.mark.parametrize("case", ["code_wrong", "code_malformed", "no_code"])
async def test_a_refused_code_goes_back_with_the_reason_and_no_cookie(client, link, outbox, case):
    if case == "no_code":
        typed = "123456"  # nothing was sent yet
    else:
        link_codes.send_code(link, "http://hpi.test")
        typed = wrong_code(code_in(outbox[0])) if case == "code_wrong" else "12"
    answer = await client.post("/auth/link-code", data={"link_id": link, "code": typed})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/t/{link}?code_error={case}"
    assert "set-cookie" not in answer.headers


async def test_a_locked_link_goes_back_as_locked(client, link, outbox):
    link_codes.send_code(link, "http://hpi.test")
    wrong = wrong_code(code_in(outbox[0]))
    for _ in range(5):
        await client.post("/auth/link-code", data={"link_id": link, "code": wrong})
    answer = await client.post("/auth/link-code", data={"link_id": link, "code": code_in(outbox[0])})
    assert answer.headers["location"] == f"/t/{link}?code_error=link_locked"
    assert "set-cookie" not in answer.headers


async def test_unknown_links_go_back_to_their_page(client, store):
    answer = await client.post("/auth/link-code", data={"link_id": "no/such?link", "code": "123456"})
    assert answer.status_code == 303 and answer.headers["location"] == "/t/no%2Fsuch%3Flink"
    assert "set-cookie" not in answer.headers


async def test_files_behind_a_code_need_the_code_or_a_member(client, auth, admin, outbox):
    upload = await client.post(
        "/api/v1/files", files={"file": ("brief.pdf", b"%PDF-1.4 brief", "application/pdf")}, headers=auth
    )
    uploaded = upload.json()
    body = seed_task(assignee_email="guest@elsewhere.test")
    body["steps"][0]["blocks"].insert(0, {"type": "pdf", "url": uploaded["url"], "filename": "brief.pdf"})
    link_id = (await client.post("/api/v1/tasks", json=body, headers=auth)).json()["link_id"]
    path = f"/api/v1/files/{uploaded['key']}?link={link_id}"

    # The link alone is not enough while the code has not been confirmed.
    assert (await client.get(path)).status_code == 404

    # A signed-in member of the organisation skips the code, as on the task page.
    session_cookie = f"{sessions.SESSION_COOKIE}={sessions.start_session(admin.id)}"
    as_member = await client.get(path, headers={"Cookie": session_cookie})
    assert as_member.status_code == 200 and as_member.content == b"%PDF-1.4 brief"

    # The guest confirms the code; the grant cookie then opens the file.
    link_codes.send_code(link_id, "http://hpi.test")
    confirmed = await client.post("/auth/link-code", data={"link_id": link_id, "code": code_in(outbox[-1])})
    name = link_codes.grant_cookie_name(link_id)
    grant = confirmed.cookies[name]
    client.cookies.clear()
    as_guest = await client.get(path, headers={"Cookie": f"{name}={grant}"})
    assert as_guest.status_code == 200 and as_guest.content == b"%PDF-1.4 brief"
    # Another link's grant does not open it.
    other = await client.get(path, headers={"Cookie": f"{link_codes.grant_cookie_name('x' * 8)}={grant}"})
    assert other.status_code == 404
