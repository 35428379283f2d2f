"""Many waiting tool calls on one worker: parked on the bus, no thread each, released by their completions."""

from __future__ import annotations

import asyncio
import time

from hpi_app.core.events import bus
from tests.mcp.conftest import Waiting, complete

CALLS = 50


async def _until(condition, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.02)


async def test_fifty_waiting_calls_are_released_together_by_their_completions(connect, rest):
    async with connect() as client:
        calls = [Waiting(client, "ask_approval", {"title": f"Approve change {n}"}) for n in range(CALLS)]
        urls = await asyncio.gather(*(call.started() for call in calls))
        # Every call is parked on the bus in the app's worker, none finished.
        await _until(lambda: bus.waiter_count(parked=True) == CALLS)
        assert not any(call.call.done() for call in calls)
        await asyncio.gather(
            *(
                complete(rest, url, {"decision": "approve" if n % 2 else "reject"})
                for n, url in enumerate(urls)
            )
        )
        results = await asyncio.gather(*(call.call for call in calls))
    assert [r.structured_content["approved"] for r in results] == [bool(n % 2) for n in range(CALLS)]
    assert [r.structured_content["url"] for r in results] == urls
    await _until(lambda: bus.waiter_count() == 0)
