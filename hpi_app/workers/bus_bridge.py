"""The event bus across workers: every event published in one worker reaches all the others.

With ``REFLEX_REDIS_URL`` set, Reflex runs several Granian workers, and the in-process bus
of one would never hear what another commits. This lifespan task, one per worker, forwards
each locally published event to a Redis pub/sub channel and hands the events of the other
workers to the local bus (``bus.dispatch``), where ``/wait`` waiters, event streams,
dashboards, the expiry sweeper and the delivery worker are listening.

The Redis client is made inside the worker, when the task starts (never before Granian
forks). When the connection is lost the bridge reconnects with backoff; meanwhile it wakes
every local waiter and subscriber each ``HPI_BUS_FALLBACK_RECHECK`` seconds to re-read the
store (the slow, safe path), and once more when it is back, for what it may have missed.
Events that could not be published are retried in order for up to ``REPUBLISH_FOR`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from hpi_app.config import settings
from hpi_app.core.events import Change, EventBus, bus

log = logging.getLogger(__name__)

OUTGOING_LIMIT = 10_000
REPUBLISH_FOR = 60.0
MAX_BACKOFF = 5.0
POLL_SECONDS = 1.0


class RedisBridge:
    """Joins one process's ``EventBus`` to the buses of the other workers through Redis."""

    def __init__(
        self,
        url: str,
        *,
        channel: str = "hpi:events",
        local: EventBus = bus,
        fallback_recheck: float = 2.0,
    ) -> None:
        self.url = url
        self.channel = channel
        self.bus = local
        self.fallback_recheck = fallback_recheck
        self.connected = asyncio.Event()  # set while the subscription is live (tests wait on it)
        self.received = 0  # events from other workers handed to the local bus
        self._client: aioredis.Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outgoing: asyncio.Queue[tuple[float, str]] = asyncio.Queue(OUTGOING_LIMIT)
        self._fallback: asyncio.Task | None = None

    def _redis(self) -> aioredis.Redis:
        if self._client is None:
            self._client = aioredis.from_url(
                self.url,
                client_name=f"hpi-bus-{self.bus.origin}",
                socket_connect_timeout=2.0,
                socket_keepalive=True,
                health_check_interval=10,
            )
        return self._client

    async def run(self) -> None:
        """Bridge until cancelled."""
        self._loop = asyncio.get_running_loop()
        self.bus.bridge_status = "connecting"
        self._start_fallback()  # until the first subscription is live, re-check the slow way
        sender = asyncio.create_task(self._send_forever())
        try:
            with self.bus.forwarding(self._forward):
                await self._receive_forever()
        finally:
            sender.cancel()
            if self._fallback is not None:
                self._fallback.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            if self._client is not None:
                with contextlib.suppress(Exception):
                    await self._client.aclose()
            self.bus.bridge_status = "local"

    # Outgoing: publishing threads -> this loop -> Redis.

    def _forward(self, event: Change) -> None:
        payload = json.dumps({"origin": self.bus.origin, "event": event.to_dict()})
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._enqueue, time.monotonic(), payload)

    def _enqueue(self, at: float, payload: str) -> None:
        if self._outgoing.full():
            self._outgoing.get_nowait()  # the oldest goes; the others re-check the store anyway
            log.warning("Bus bridge: outgoing queue full, dropped the oldest event")
        self._outgoing.put_nowait((at, payload))

    async def _send_forever(self) -> None:
        while True:
            at, payload = await self._outgoing.get()
            backoff = 0.1
            while True:
                try:
                    await self._redis().publish(self.channel, payload)
                    break
                except (RedisError, OSError) as exc:
                    if time.monotonic() - at > REPUBLISH_FOR:
                        log.warning(
                            "Bus bridge: gave up publishing an event after %.0f s: %s", REPUBLISH_FOR, exc
                        )
                        break
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF)

    # Incoming: Redis -> the local bus.

    async def _receive_forever(self) -> None:
        backoff = 0.1
        while True:
            pubsub = self._redis().pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._came_up()
                backoff = 0.1
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=POLL_SECONDS)
                    if message is not None and message.get("type") == "message":
                        self._receive(message["data"])
            except (RedisError, OSError) as exc:
                self._went_down(exc)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    def _receive(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
            if message.get("origin") == self.bus.origin:
                return  # our own event, already dispatched here when it was published
            event = Change.from_dict(message["event"])
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("Bus bridge: ignored a malformed message on %s", self.channel)
            return
        self.received += 1
        self.bus.dispatch(event)

    # Connection state.

    def _came_up(self) -> None:
        if self._fallback is not None:
            self._fallback.cancel()
            self._fallback = None
        if self.bus.bridge_status == "reconnecting":
            log.warning("Bus bridge: reconnected to Redis")
        self.bus.bridge_status = "redis"
        self.connected.set()
        # Whatever happened while we were not subscribed: everyone looks at the store once.
        self.bus.nudge_all()

    def _went_down(self, exc: BaseException) -> None:
        if self.connected.is_set():
            log.warning(
                "Bus bridge: lost Redis (%s); re-checking the store every %.1f s", exc, self.fallback_recheck
            )
        self.connected.clear()
        self.bus.bridge_status = "reconnecting"
        self._start_fallback()

    def _start_fallback(self) -> None:
        if self._fallback is None or self._fallback.done():
            self._fallback = asyncio.create_task(self._recheck_while_down())

    async def _recheck_while_down(self) -> None:
        while True:
            await asyncio.sleep(self.fallback_recheck)
            self.bus.nudge_all()


async def run_bus_bridge() -> None:
    """The lifespan task: bridge this worker's bus over Redis when ``REFLEX_REDIS_URL`` is set."""
    if not settings.redis_url:
        return
    bridge = RedisBridge(
        settings.redis_url,
        channel=settings.bus_channel,
        fallback_recheck=settings.bus_fallback_recheck_seconds,
    )
    log.info("Bus bridge: worker %s joins %s", bus.origin, settings.bus_channel)
    await bridge.run()
