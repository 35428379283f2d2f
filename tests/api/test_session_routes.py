"""/auth/login, /auth/logout and /auth/setup over in-process HTTP."""

from __future__ import annotations

import dataclasses

import pytest
from starlette.requests import Request

from hpi_app.api.routes import session as session_routes
from hpi_app.config import settings
from hpi_app.core import accounts, sessions
from hpi_app.core.ratelimit import signin_failures_by_client, signin_failures_by_email


async def test_setup_creates_the_first_admin_once(client):
    form = {"org_name": "Acme", "name": "Ada", "email": "ada@acme.test", "password": "correct horse battery"}
    first = await client.post("/auth/setup", data=form)
    assert first.status_code == 303 and first.headers["location"] == "/"
    assert "httponly" in first.headers["set-cookie"].lower()
    assert accounts.get_user_by_email("ada@acme.test").role == "admin"
    again = await client.post("/auth/setup", data={**form, "email": "eve@evil.test"})
    assert again.status_code == 303 and again.headers["location"] == "/login"
    assert accounts.get_user_by_email("eve@evil.test") is None


async def test_setup_errors_go_back_with_the_message(client):
    answer = await client.post(
        "/auth/setup", data={"org_name": "Acme", "email": "ada@acme.test", "password": "short"}
    )
    assert answer.status_code == 303 and answer.headers["location"].startswith("/setup?error=")
    assert accounts.count_users() == 0


async def test_login_and_logout(client, admin):
    signin_failures_by_email.reset(admin.email)
    signin_failures_by_client.reset("127.0.0.1")
    bad = await client.post("/auth/login", data={"email": admin.email, "password": "wrong", "next": "/x"})
    assert bad.status_code == 303 and "error=invalid" in bad.headers["location"]
    assert "set-cookie" not in bad.headers
    good = await client.post(
        "/auth/login",
        data={"email": admin.email.upper(), "password": "correct horse battery", "next": "/tasks/1"},
    )
    assert good.status_code == 303 and good.headers["location"] == "/tasks/1"
    raw = good.cookies[sessions.SESSION_COOKIE]
    assert sessions.resolve_session(raw)[0].id == admin.id
    client.cookies.set(sessions.SESSION_COOKIE, raw)
    out = await client.post("/auth/logout")
    assert out.status_code == 303
    assert sessions.resolve_session(raw) is None


async def test_login_refuses_offsite_next(client, admin):
    signin_failures_by_email.reset(admin.email)
    answer = await client.post(
        "/auth/login",
        data={"email": admin.email, "password": "correct horse battery", "next": "//evil.example"},
    )
    assert answer.headers["location"] == "/"


async def test_a_form_sent_before_the_page_read_its_query_goes_to_the_pages_next(client, admin):
    """A quick click sends the hidden next as "/" (the page has not read its query yet): the
    sign-in page it came from says where to go, kept on this site."""
    signin_failures_by_email.reset(admin.email)
    form = {"email": admin.email, "password": "correct horse battery", "next": "/"}
    for referer, expected in (
        ("http://testserver/login?next=%2Fsettings%2Fsinks", "/settings/sinks"),
        ("http://testserver/login/?next=%2F%2Fevil.example", "/"),
        ("http://testserver/tasks?next=%2Fsettings", "/"),  # not the sign-in page
        (None, "/"),
    ):
        headers = {"Referer": referer} if referer else {}
        answer = await client.post("/auth/login", data=form, headers=headers)
        assert answer.status_code == 303 and answer.headers["location"] == expected, referer
    given = await client.post(
        "/auth/login",
        data={**form, "next": "/tasks/1"},
        headers={"Referer": "http://testserver/login?next=%2Fsettings"},
    )
    assert given.headers["location"] == "/tasks/1"  # the form's own next comes first


async def test_a_made_up_forwarded_for_does_not_escape_the_per_client_limit(client, store):
    signin_failures_by_client.reset("127.0.0.1")
    try:
        for n in range(signin_failures_by_client.limit):
            answer = await client.post(
                "/auth/login",
                data={"email": f"guess{n}@example.com", "password": "wrong"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
            assert "error=invalid" in answer.headers["location"]
        blocked = await client.post(
            "/auth/login",
            data={"email": "another@example.com", "password": "wrong"},
            headers={"X-Forwarded-For": "198.51.100.7"},
        )
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        assert "error=rate_limited" in blocked.text  # the page sends the browser back to say why
    finally:
        signin_failures_by_client.reset("127.0.0.1")


def _request(peer: str, forwarded: str | None) -> Request:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    return Request({"type": "http", "headers": headers, "client": (peer, 5000)})


@pytest.mark.parametrize(
    ("hops", "forwarded", "counted"),
    [
        (0, "203.0.113.9", "10.0.0.2"),  # no proxy of ours: the header is the client's own words
        (1, "203.0.113.9", "203.0.113.9"),  # one proxy: the address it saw
        (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # the client's made-up part is ignored
        (2, "1.2.3.4, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
        (1, None, "10.0.0.2"),
    ],
)
def test_client_address_behind_trusted_proxies(monkeypatch, hops, forwarded, counted):
    monkeypatch.setattr(session_routes, "settings", dataclasses.replace(settings, trusted_proxies=hops))
    assert session_routes.client_address(_request("10.0.0.2", forwarded)) == counted
