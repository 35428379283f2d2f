"""Task authors' ``pattern``s are matched by RE2: a backtracking pattern cannot hold the worker.

The API runs in a process of its own (``tests/utils/api_process.py``): with Python's ``re``,
``(a+)+$`` against 35 ``a``s and a ``!`` runs for hours holding the GIL, and a health request sent
beside it never answers. The client's timeout only keeps a failing run from hanging; nothing here
measures how long anything takes.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from hpi_app.spec.patterns import MAX_MATCHED_LENGTH, MAX_PATTERN_LENGTH
from tests.utils.api_process import api_process
from tests.utils.task_routes import store_counts

EVIL = "(a+)+$"
STUCK = "a" * 35 + "!"


def _body(pattern: str, default: str | None = None) -> dict:
    field = {"name": "code", "label": "Code", "kind": "text", "pattern": pattern}
    if default is not None:
        field["default"] = default
    return {
        "title": "Pattern",
        "steps": [{"id": "s", "title": "S", "blocks": [{"type": "input", "field": field}]}],
    }


PATH = "steps[0].blocks[0].field"


@pytest.fixture
def api(store: str):
    """The API in its own process, on this test's store."""
    with api_process() as base:
        yield base


async def _beside_health(http: httpx.AsyncClient, request) -> tuple[httpx.Response, httpx.Response]:
    """Send ``request`` and, while it is being handled, a health request; both answers."""
    first = asyncio.ensure_future(request)
    health = await http.get("/api/v1/health")
    return await first, health


async def test_a_backtracking_default_does_not_hold_the_worker(api, auth):
    async with httpx.AsyncClient(base_url=api, headers=auth, timeout=60) as http:
        refused, health = await _beside_health(http, http.post("/api/v1/tasks", json=_body(EVIL, STUCK)))
        assert health.status_code == 200
        assert refused.status_code == 400, refused.text
        assert [d["field"] for d in refused.json()["details"]] == [f"{PATH}.default"]
        made, health = await _beside_health(http, http.post("/api/v1/tasks", json=_body(EVIL, "a" * 5000)))
        assert health.status_code == 200
        assert made.status_code == 201, made.text


async def test_a_backtracking_answer_does_not_hold_the_worker_on_complete(api, auth):
    async with httpx.AsyncClient(base_url=api, headers=auth, timeout=60) as http:
        made = await http.post("/api/v1/tasks", json=_body(EVIL))
        assert made.status_code == 201, made.text
        task_id = made.json()["task_id"]
        complete = http.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"code": STUCK}})
        refused, health = await _beside_health(http, complete)
        assert health.status_code == 200
        assert refused.status_code == 400, refused.text
        assert [d["field"] for d in refused.json()["details"]] == ["data.code"]
        done = await http.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"code": "aaaa"}})
        assert done.status_code == 200, done.text


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"(a)\1", "backreferences"),
        (r"(?=a)a", "lookarounds"),
        ("a" * (MAX_PATTERN_LENGTH + 1), f"must be at most {MAX_PATTERN_LENGTH} characters"),
    ],
)
async def test_a_pattern_re2_cannot_use_is_refused_naming_it(client, auth, pattern, message):
    before = store_counts()
    answer = await client.post("/api/v1/tasks", json=_body(pattern), headers=auth)
    assert answer.status_code == 400, answer.text
    [detail] = answer.json()["details"]
    assert detail["field"] == f"{PATH}.pattern"
    assert message in detail["message"]
    assert store_counts() == before


async def test_an_answer_too_long_to_match_is_refused(client, auth):
    answer = await client.post(
        "/api/v1/tasks", json=_body("a*", "a" * (MAX_MATCHED_LENGTH + 1)), headers=auth
    )
    assert answer.status_code == 400, answer.text
    [detail] = answer.json()["details"]
    assert detail["field"] == f"{PATH}.default"
    assert f"at most {MAX_MATCHED_LENGTH} characters" in detail["message"]
