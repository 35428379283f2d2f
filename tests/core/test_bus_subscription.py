"""A bus subscription's ``get``: a worker stopped just as an event arrives stops, and loses no event.

On Python 3.11, ``asyncio.wait_for`` returns the inner result instead of raising when it is
cancelled in the same loop turn as the inner future completes (CPython gh-86296), so a worker
sleeping in ``get`` ignored the cancel that stops it and slept on (up to a minute, then again).
"""

from __future__ import annotations

import asyncio

import pytest

from hpi_app.core.events import Change, bus
from hpi_app.core.subjects import Subject
from hpi_app.workers.expiry import sleep_until_due

EVENT = Change("task.cancelled", "org", Subject("task", "t1"), "cancelled", True, 1)


async def test_a_get_cancelled_as_its_event_arrives_is_cancelled_and_keeps_the_event():
    async with bus.subscribe(None) as events:
        getter = asyncio.create_task(events.get(timeout=60))
        await asyncio.sleep(0)  # parked in get
        events.deliver(EVENT)  # the event lands in the next loop turn ...
        await asyncio.sleep(0)
        getter.cancel()  # ... the same turn as the cancel
        with pytest.raises(asyncio.CancelledError):
            await getter
        assert await events.get(timeout=0) == EVENT


async def test_a_sleeping_worker_stops_when_cancelled_as_an_event_arrives():
    async with bus.subscribe(None) as events:
        sleeper = asyncio.create_task(sleep_until_due(events, 60))
        await asyncio.sleep(0)
        events.deliver(EVENT)
        await asyncio.sleep(0)
        sleeper.cancel()
        await asyncio.wait({sleeper}, timeout=30)  # a guard against the hang, not a measurement
        stopped = sleeper.cancelled()
        sleeper.cancel()  # the bug's sleeper still runs: stop it for good
        await asyncio.gather(sleeper, return_exceptions=True)
        assert stopped, "the worker slept on after it was cancelled"
