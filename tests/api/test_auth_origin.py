"""Cross-site posts to /auth/* are refused (CSRF, login CSRF included); cookies and headers under https."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from hpi_app.config import ROOT
from hpi_app.core import accounts, link_codes, sessions
from tests.utils.bodies import seed_task
from tests.utils.link_codes import code_in

PASSWORD = "correct horse battery"
CROSS_SITE = [
    {"Origin": "https://evil.example"},
    {"Origin": "null"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site"},
]


def _refused(answer) -> None:
    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "cross_site_request"
    assert "another site" in answer.json()["error"]
    assert "set-cookie" not in answer.headers


@pytest.mark.parametrize("headers", CROSS_SITE)
async def test_cross_site_login_is_refused_and_signs_no_one_in(client, admin, headers):
    answer = await client.post(
        "/auth/login", data={"email": admin.email, "password": PASSWORD}, headers=headers
    )
    _refused(answer)


@pytest.mark.parametrize("headers", CROSS_SITE[:2] + CROSS_SITE[4:])
async def test_cross_site_logout_leaves_the_session(client, admin, headers):
    raw = sessions.start_session(admin.id)
    client.cookies.set(sessions.SESSION_COOKIE, raw)
    _refused(await client.post("/auth/logout", headers=headers))
    assert sessions.resolve_session(raw) is not None


@pytest.mark.parametrize("headers", CROSS_SITE[:1] + CROSS_SITE[4:])
async def test_cross_site_setup_creates_no_one(client, store, headers):
    form = {"org_name": "Evil", "email": "eve@evil.test", "password": PASSWORD}
    _refused(await client.post("/auth/setup", data=form, headers=headers))
    assert accounts.count_users() == 0


@pytest.mark.parametrize("headers", CROSS_SITE[:1] + CROSS_SITE[4:])
async def test_cross_site_link_code_is_refused(client, auth, outbox, headers):
    created = await client.post(
        "/api/v1/tasks", json=seed_task(assignee_email="guest@elsewhere.test"), headers=auth
    )
    link = created.json()["link_id"]
    link_codes.send_code(link, "http://hpi.test")
    answer = await client.post(
        "/auth/link-code", data={"link_id": link, "code": code_in(outbox[0])}, headers=headers
    )
    _refused(answer)
    assert link_codes.code_status(link).tries_left == link_codes.MAX_WRONG_CODES  # not even counted


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin", "Origin": "http://hpi.test"},
        {"Origin": "http://hpi.test"},  # a browser without Sec-Fetch-Site
        {"Sec-Fetch-Site": "none"},  # the person's own navigation
        {},  # no browser at all (curl): it carries no victim's cookie
    ],
)
async def test_same_origin_posts_pass(client, admin, headers):
    answer = await client.post(
        "/auth/login", data={"email": admin.email, "password": PASSWORD}, headers=headers
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert sessions.SESSION_COOKIE in answer.cookies


async def test_pages_and_api_answers_carry_the_security_headers(client, token):
    answer = await client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    csp = answer.headers["content-security-policy"]
    assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp and "form-action 'self'" in csp
    assert answer.headers["x-frame-options"] == "SAMEORIGIN"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "strict-transport-security" not in answer.headers  # plain http here


_HTTPS_PROBE = textwrap.dedent(
    """
    import asyncio, json, httpx
    from hpi_app.migrations import migrate
    from hpi_app.api.app import create_api
    from hpi_app.core import link_codes, sessions

    async def main():
        migrate()
        transport = httpx.ASGITransport(app=create_api())
        async with httpx.AsyncClient(transport=transport, base_url="http://hpi.internal") as http:
            form = {"org_name": "Acme", "email": "ada@acme.test", "password": "correct horse battery"}
            setup = await http.post("/auth/setup", data=form)
            out = await http.post("/auth/logout")
        print(json.dumps({
            "name": sessions.SESSION_COOKIE,
            "grant": link_codes.grant_cookie_name("abc"),
            "cookie": setup.headers["set-cookie"],
            "cleared": out.headers["set-cookie"],
            "hsts": setup.headers.get("strict-transport-security"),
        }))

    asyncio.run(main())
    """
)


def test_https_public_url_makes_cookies_secure_and_host_only(tmp_path):
    """Behind a TLS load balancer the app sees http; HPI_PUBLIC_URL=https still makes the cookie Secure."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HPI_PUBLIC_URL": "https://hpi.example",
        "HPI_DATA_DIR": str(tmp_path),
        "REFLEX_DB_URL": f"sqlite:///{tmp_path / 'hpi.db'}",
    }
    run = subprocess.run(
        [sys.executable, "-c", _HTTPS_PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    assert seen["name"] == "__Host-hpi_session" and seen["grant"] == "__Host-hpi_link_abc"
    cookie = seen["cookie"].lower()
    assert cookie.startswith("__host-hpi_session=") and "; secure" in cookie and "path=/" in cookie
    assert "domain=" not in cookie
    assert seen["cleared"].lower().startswith("__host-hpi_session=") and "; secure" in seen["cleared"].lower()
    assert seen["hsts"] == "max-age=31536000"
