"""Tokens and scopes on every route; organisations never see each other's tasks."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import func, select

from hpi_app import db
from hpi_app.core import accounts, tokens
from hpi_app.db import session_scope
from hpi_app.models import ApiToken, Task, utcnow
from tests.utils.bodies import seed_task

ROUTES = [
    ("POST", "/api/v1/tasks", "tasks:create"),
    ("GET", "/api/v1/tasks", "tasks:read"),
    ("GET", "/api/v1/tasks/{id}", "tasks:read"),
    ("GET", "/api/v1/tasks/{id}/wait?timeout=0", "tasks:read"),
    ("POST", "/api/v1/tasks/{id}/cancel", "tasks:create"),
]


async def _task_id(client, auth) -> str:
    return (await client.post("/api/v1/tasks", json=seed_task(), headers=auth)).json()["task_id"]


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
async def test_no_token_is_401(client, auth, method, path, scope):
    task_id = await _task_id(client, auth)
    answer = await client.request(method, path.format(id=task_id), json=seed_task())
    assert answer.status_code == 401
    assert answer.json()["error"] == "Unauthorized"


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
async def test_missing_scope_is_403_naming_it(client, auth, make_token, method, path, scope):
    task_id = await _task_id(client, auth)
    other = "tasks:read" if scope == "tasks:create" else "tasks:create"
    weak = {"Authorization": f"Bearer {make_token(other)}"}
    answer = await client.request(method, path.format(id=task_id), json=seed_task(), headers=weak)
    assert answer.status_code == 403
    body = answer.json()
    assert body["error"] == "Insufficient permissions"
    assert body["required_scope"] == scope


async def test_unknown_and_malformed_tokens_are_invalid(client):
    for raw in ("htk_" + "0" * 64, "not-a-token", "htk_ABC"):
        answer = await client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {raw}"})
        assert answer.status_code == 401
        assert answer.json()["error"] == "Invalid token"


async def test_revoked_token_is_refused_at_once(client, token, auth):
    assert (await client.get("/api/v1/tasks", headers=auth)).status_code == 200
    tokens.revoke_token(prefix=token[:12])
    answer = await client.get("/api/v1/tasks", headers=auth)
    assert answer.status_code == 401
    assert answer.json()["error"] == "Token revoked"


async def test_expired_token_is_refused(client, make_token):
    raw = make_token(expires_at=utcnow() + timedelta(seconds=30))
    with session_scope(write=True) as session:
        row = session.exec(ApiToken.__table__.select()).first()
        record = session.get(ApiToken, row.id)
        record.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    answer = await client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {raw}"})
    assert answer.status_code == 401
    assert answer.json()["error"] == "Token expired"


async def test_token_is_stored_hashed_with_prefix_and_last_used(client, token, auth):
    with session_scope() as session:
        record = session.exec(ApiToken.__table__.select()).first()
    assert record.token_hash == tokens.hash_token(token)
    assert token not in str(tuple(record))
    assert record.prefix == token[:12]
    assert record.last_used_at is None
    await client.get("/api/v1/tasks", headers=auth)
    with session_scope() as session:
        assert session.get(ApiToken, record.id).last_used_at is not None


async def test_another_organisations_task_is_404(client, auth):
    task_id = await _task_id(client, auth)
    stranger = accounts.create_user("eve@other.test", "another password", org_name="Other")
    raw, _ = tokens.create_token(stranger.id, "eve", "tasks:create,tasks:read")
    theirs = {"Authorization": f"Bearer {raw}"}
    for method, path in (
        ("GET", f"/api/v1/tasks/{task_id}"),
        ("GET", f"/api/v1/tasks/{task_id}/wait?timeout=0"),
        ("POST", f"/api/v1/tasks/{task_id}/cancel"),
    ):
        answer = await client.request(method, path, headers=theirs)
        assert answer.status_code == 404, path
        assert answer.json()["code"] == "task_not_found"
    listing = (await client.get("/api/v1/tasks", headers=theirs)).json()
    assert listing["total"] == 0
    mine = (await client.get(f"/api/v1/tasks/{task_id}", headers=auth)).json()
    assert mine["status"] == "pending"


def _count_tasks() -> int:
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(Task)).one()


async def test_revoked_token_cannot_create_right_after_it_did(client, token, auth):
    assert (await client.post("/api/v1/tasks", json=seed_task(), headers=auth)).status_code == 201
    tokens.revoke_token(prefix=token[:12])
    answer = await client.post("/api/v1/tasks", json=seed_task(), headers=auth)
    assert answer.status_code == 401
    assert answer.json()["error"] == "Token revoked"
    assert _count_tasks() == 1


async def test_token_that_expires_after_use_is_refused_at_once(client, make_token):
    raw = make_token(expires_at=utcnow() + timedelta(hours=1))
    headers = {"Authorization": f"Bearer {raw}"}
    assert (await client.post("/api/v1/tasks", json=seed_task(), headers=headers)).status_code == 201
    with session_scope(write=True) as session:
        session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
    answer = await client.post("/api/v1/tasks", json=seed_task(), headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error"] == "Token expired"
    assert _count_tasks() == 1


async def test_removed_members_token_stops_at_once(client, admin, make_token):
    member = accounts.add_member(admin.id, "bob@acme.test", "another long password")
    headers = {"Authorization": f"Bearer {make_token(user=member)}"}
    assert (await client.post("/api/v1/tasks", json=seed_task(), headers=headers)).status_code == 201
    accounts.remove_member(admin.id, member.id)
    answer = await client.post("/api/v1/tasks", json=seed_task(), headers=headers)
    assert answer.status_code == 401
    assert _count_tasks() == 1


def _last_used(raw: str):
    with session_scope() as session:
        return session.exec(select(ApiToken.last_used_at).where(ApiToken.prefix == raw[:12])).one()


def test_last_used_at_is_written_at_most_once_a_minute(token):
    tokens.authenticate_token(token)
    first = _last_used(token)
    assert first is not None and utcnow() - first < timedelta(seconds=10)
    tokens.authenticate_token(token)
    assert _last_used(token) == first  # used again within the minute: no write
    stale = utcnow() - timedelta(minutes=5)
    with session_scope(write=True) as session:
        session.execute(update(ApiToken).values(last_used_at=stale))
        session.commit()
    tokens.authenticate_token(token)
    refreshed = _last_used(token)
    assert refreshed > stale and utcnow() - refreshed < timedelta(seconds=10)


def test_token_lookup_holds_no_transaction_open(token):
    # The lookup reads outside any explicit transaction (SQLite) and hands its connection back.
    principal = tokens.authenticate_token(token)
    pool = db.get_engine().pool
    assert pool.checkedout() == 0
    with session_scope(write=True) as session:  # a writer gets the store at once
        session.execute(update(ApiToken).where(ApiToken.id == principal.token_id).values(name="renamed"))
        session.commit()
