"""The bus bridge between workers, against the local Redis (127.0.0.1:6379, ``HPI_TEST_REDIS_URL``).

Each "worker" here is an ``EventBus`` with its own ``RedisBridge`` in this process; the
bridges only meet through Redis. A cuttable TCP proxy stands in for a lost connection.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import uuid
from contextlib import asynccontextmanager
from urllib.parse import urlparse

import pytest
import redis.asyncio as aioredis

from hpi_app.core.events import Change, EventBus
from hpi_app.core.subjects import Subject
from hpi_app.workers.bus_bridge import RedisBridge
from tests.utils.tcp_proxy import TcpProxy

REDIS_URL = os.environ.get("HPI_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def channel() -> str:
    return f"hpi:test:{uuid.uuid4().hex[:8]}"


@asynccontextmanager
async def bridged(url: str, channel: str, fallback: float = 5.0, wait_up: bool = True):
    """A bus joined to ``channel`` through ``url``; yields (bus, bridge) once subscribed."""
    bus = EventBus()
    bridge = RedisBridge(url, channel=channel, local=bus, fallback_recheck=fallback)
    runner = asyncio.create_task(bridge.run())
    try:
        if wait_up:
            await asyncio.wait_for(bridge.connected.wait(), 10)
        yield bus, bridge
    finally:
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner


def publish_from_a_thread(bus: EventBus, event: Change) -> None:
    """The core publishes after commit from a worker thread, not from the event loop."""
    thread = threading.Thread(target=bus.publish, args=(event,))
    thread.start()
    thread.join()


def completed(task_id: str, org: str = "org-1") -> Change:
    return Change(
        "task.completed", org, Subject("task", task_id), "completed", True, event_id=7, deliveries=1
    )


async def drain(sub, seconds: float, quiet_after_first: float | None = None) -> list:
    """Every event ``sub`` receives within ``seconds`` (nudges left out).

    With ``quiet_after_first``, stop that long after the first event (to see no duplicate follows).
    """
    got, loop = [], asyncio.get_running_loop()
    end = loop.time() + seconds
    while (left := end - loop.time()) > 0:
        event = await sub.get(timeout=left)
        if event is not None:
            got.append(event)
            if quiet_after_first is not None and len(got) == 1:
                end = min(end, loop.time() + quiet_after_first)
    return got


async def test_an_event_published_on_one_worker_reaches_the_others(channel):
    async with (
        bridged(REDIS_URL, channel) as (bus_a, bridge_a),
        bridged(REDIS_URL, channel) as (bus_b, _),
        bridged(REDIS_URL, channel) as (bus_c, _),
    ):
        assert bus_a.bridge_status == "redis"
        event = completed("t-1")
        async with (
            bus_a.subscribe(None) as sub_a,
            bus_b.subscribe("org-1") as sub_b,
            bus_c.subscribe("org-2") as sub_c,
        ):
            with (
                bus_b.waiter(Subject("task", "t-1")) as waiter_b,
                bus_c.waiter(Subject("task", "t-1")) as waiter_c,
            ):
                for s in (sub_a, sub_b, sub_c):
                    await s.get(timeout=0.5)  # the bridges' first "look at the store" nudge, if still queued
                publish_from_a_thread(bus_a, event)
                assert await waiter_b.wait(5) == event
                assert await waiter_c.wait(5) == event  # waiters are per task, whatever the org
            # Subscribers get it once: the publisher's own echo from Redis is not dispatched twice.
            assert await drain(sub_a, 0.5) == [event]
            assert await drain(sub_b, 0.5) == [event]
            assert await drain(sub_c, 0.5) == []  # another organisation's stream
        assert bridge_a.received == 0


async def test_malformed_messages_on_the_channel_are_ignored(channel):
    async with bridged(REDIS_URL, channel) as (bus, bridge):
        client = aioredis.from_url(REDIS_URL)
        try:
            async with bus.subscribe(None) as sub:
                await sub.get(timeout=0.5)
                for junk in (b"not json", b"[]", json.dumps({"origin": "x", "event": {"kind": 1}})):
                    await client.publish(channel, junk)
                good = completed("t-2")
                await client.publish(channel, json.dumps({"origin": "elsewhere", "event": good.to_dict()}))
                assert await drain(sub, 1.0) == [good]
                assert bridge.received == 1
        finally:
            await client.aclose()


async def test_a_lost_connection_falls_back_to_rechecks_then_reconnects(channel):
    target = urlparse(REDIS_URL)
    proxy = await TcpProxy(target.hostname or "127.0.0.1", target.port or 6379).start()
    async with (
        bridged(REDIS_URL, channel) as (bus_a, _),
        bridged(proxy.url, channel, fallback=0.2) as (bus_b, bridge_b),
    ):
        with bus_b.waiter(Subject("task", "t-3")) as waiter:
            await waiter.wait(0.3)  # take the nudge sent when the bridge came up
            await proxy.cut()
            await asyncio.wait_for(_until(lambda: not bridge_b.connected.is_set()), 10)
            assert bus_b.bridge_status == "reconnecting"

            # While Redis is out of reach, B's waiters are woken to re-read the store, again and again.
            loop = asyncio.get_running_loop()
            for _ in range(3):
                started = loop.time()
                assert await waiter.wait(10) is None
                assert loop.time() - started < 5

            # A publishes meanwhile: B cannot hear it, its re-checks cover it. Back online, B hears the next.
            publish_from_a_thread(bus_a, completed("t-3"))
            await proxy.start()
            await asyncio.wait_for(bridge_b.connected.wait(), 15)
            assert bus_b.bridge_status == "redis"
            later = completed("t-3")
            publish_from_a_thread(bus_a, later)
            deadline = loop.time() + 5
            got = None
            while got is None and loop.time() < deadline:
                got = await waiter.wait(deadline - loop.time())
            assert got == later
    await proxy.cut()


async def test_events_published_while_redis_is_unreachable_are_sent_when_it_is_back(channel):
    target = urlparse(REDIS_URL)
    proxy = await TcpProxy(target.hostname or "127.0.0.1", target.port or 6379).start()
    async with (
        bridged(proxy.url, channel, fallback=0.2) as (bus_a, bridge_a),
        bridged(REDIS_URL, channel) as (bus_b, _),
        bus_b.subscribe(None) as sub_b,
    ):
        await proxy.cut()
        await asyncio.wait_for(_until(lambda: not bridge_a.connected.is_set()), 10)
        await drain(sub_b, 0.2)
        lost = completed("t-4")
        publish_from_a_thread(bus_a, lost)
        assert await drain(sub_b, 0.5) == []  # not yet: A cannot reach Redis
        await proxy.start()
        assert await drain(sub_b, 10, quiet_after_first=0.5) == [lost]  # A re-published it once it could
    await proxy.cut()


async def test_without_a_bridge_the_bus_stays_in_the_process():
    bus = EventBus()
    assert bus.bridge_status == "local"
    async with bus.subscribe(None) as sub:
        publish_from_a_thread(bus, completed("t-5"))
        assert await sub.get(timeout=2) == completed("t-5")


async def _until(condition) -> None:
    while not condition():
        await asyncio.sleep(0.02)


async def test_iterating_a_subscription_skips_nudges_but_get_returns_them():
    bus = EventBus()
    async with bus.subscribe(None) as sub:
        bus.nudge_all()
        assert await sub.get(timeout=2) is None  # a nudge: re-read the store
        bus.nudge_all()
        bus.nudge_all()
        publish_from_a_thread(bus, completed("t-6"))
        assert await asyncio.wait_for(anext(sub), 2) == completed("t-6")  # the nudges before it skipped
