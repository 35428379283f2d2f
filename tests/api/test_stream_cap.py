"""One token holds at most ``HPI_STREAMS_PER_TOKEN`` long-polls and event streams open at once."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import httpx

from hpi_app.config import settings
from hpi_app.core import stream_slots
from hpi_app.core.events import bus
from tests.utils.bodies import seed_task

CAP = 2


async def _parked(count: int) -> None:
    """Wait until ``count`` long-polls are parked on the bus (the condition, not a guess of time)."""
    deadline = time.monotonic() + 30
    while bus.waiter_count(parked=True) < count:
        assert time.monotonic() < deadline, "the long-polls never parked"
        await asyncio.sleep(0.02)


async def test_one_token_cannot_hold_every_connection(live_api, make_token, monkeypatch):
    monkeypatch.setattr(stream_slots, "settings", dataclasses.replace(settings, streams_per_token=CAP))
    greedy = {"Authorization": f"Bearer {make_token()}"}
    other = {"Authorization": f"Bearer {make_token()}"}
    async with httpx.AsyncClient(base_url=live_api, timeout=60) as http:
        created = await http.post("/api/v1/tasks", json=seed_task(), headers=greedy)
        task_id = created.json()["task_id"]
        held = [
            asyncio.ensure_future(http.get(f"/api/v1/tasks/{task_id}/wait?timeout=60", headers=greedy))
            for _ in range(CAP)
        ]
        await _parked(CAP)
        refused = await http.get(f"/api/v1/tasks/{task_id}/wait?timeout=0", headers=greedy)
        assert refused.status_code == 429 and refused.json()["code"] == "too_many_streams"
        assert int(refused.headers["retry-after"]) > 0 and str(CAP) in refused.json()["error"]
        for path in ("/api/v1/events", f"/api/v1/tasks/{task_id}/events"):
            stream = await http.get(path, headers=greedy)
            assert stream.status_code == 429 and stream.json()["code"] == "too_many_streams"
        # Another token is not held back, and the greedy one still does everything else.
        assert (await http.get(f"/api/v1/tasks/{task_id}/wait?timeout=0", headers=other)).status_code == 408
        assert (await http.get(f"/api/v1/tasks/{task_id}", headers=greedy)).status_code == 200

        cancelled = await http.post(f"/api/v1/tasks/{task_id}/cancel", json={}, headers=greedy)
        assert cancelled.status_code == 200
        answers = await asyncio.gather(*held)
        assert [a.json()["status"] for a in answers] == ["cancelled"] * CAP
        # Their slots came back with their answers.
        assert (await http.get(f"/api/v1/tasks/{task_id}/wait?timeout=0", headers=greedy)).status_code == 200
