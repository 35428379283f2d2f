"""/auth/login, /auth/logout and /auth/setup over in-process HTTP."""

from __future__ import annotations

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
    out = await client.post("/auth/logout", cookies={sessions.SESSION_COOKIE: raw})
    assert out.status_code == 303
    assert sessions.resolve_session(raw) is None


async def test_login_refuses_offsite_next(client, admin):
    signin_failures_by_email.reset(admin.email)
    answer = await client.post(
        "/auth/login",
        data={"email": admin.email, "password": "correct horse battery", "next": "//evil.example"},
    )
    assert answer.headers["location"] == "/"
