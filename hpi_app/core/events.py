"""The event bus: state changes are published here after they commit.

Watchers (``/wait`` long-polls, event streams, dashboards, the delivery worker) react
to the bus and read the store. Publishing is thread-safe: the core runs in worker
threads while watchers await on event loops.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass

TERMINAL_STATUSES = frozenset({"completed", "cancelled", "expired"})


@dataclass(frozen=True)
class TaskChanged:
    """A committed change to one task.

    Attributes:
        kind: ``task.created``, ``task.opened``, ``task.completed``, ``task.cancelled``, ``task.expired``.
        org_id: The task's organisation.
        task_id: The task.
        status: The task's status after the change.
        event_id: The id of the timeline row recording it (orders the org's stream).
        expires_at: For a created task with an expiry: when, as a UNIX timestamp.
        deliveries: How many outbox deliveries the change queued (the delivery worker wakes for them).
    """

    kind: str
    org_id: str
    task_id: str
    status: str
    event_id: int | None = None
    expires_at: float | None = None
    deliveries: int = 0

    @property
    def terminal(self) -> bool:
        """Whether the task reached a final state."""
        return self.status in TERMINAL_STATUSES

    def to_dict(self) -> dict:
        """The event as plain JSON-able data."""
        return asdict(self)


class _Waiter:
    """One awaiting party for one task's terminal change."""

    __slots__ = ("future", "loop")

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.future: asyncio.Future[TaskChanged | None] = self.loop.create_future()

    def deliver(self, event: TaskChanged) -> None:
        self.loop.call_soon_threadsafe(self._settle, event)

    def nudge(self) -> None:
        """Wake the waiter without an event, so it re-reads the store."""
        self.loop.call_soon_threadsafe(self._settle, None)

    def _settle(self, event: TaskChanged | None) -> None:
        if not self.future.done():
            self.future.set_result(event)

    async def wait(self, timeout: float | None) -> TaskChanged | None:
        """The terminal event, or None after ``timeout`` seconds or when nudged to re-check."""
        # A timer that settles the future with None, rather than asyncio.wait_for + shield:
        # thousands of parked waiters each hold one of these, so the lighter the better.
        future = self.future
        if not future.done():
            timer = self.loop.call_later(timeout, self._settle, None) if timeout is not None else None
            try:
                await future
            finally:
                if timer is not None:
                    timer.cancel()
        event = future.result()
        if event is None:
            self.future = self.loop.create_future()  # timed out or nudged: ready for the next wait
        return event


class Subscription:
    """A stream of the events of one organisation (or of all, for workers)."""

    def __init__(self, org_id: str | None, maxsize: int = 10_000) -> None:
        self.org_id = org_id
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[TaskChanged | None] = asyncio.Queue(maxsize)
        self.overflowed = False

    def deliver(self, event: TaskChanged) -> None:
        self.loop.call_soon_threadsafe(self._put, event)

    def nudge(self) -> None:
        """Make the next ``get`` return None at once, so the consumer re-reads the store."""
        self.loop.call_soon_threadsafe(self._put, None)

    def _put(self, event: TaskChanged | None) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # A consumer this far behind re-reads the store instead.
            self.overflowed = True

    async def get(self, timeout: float | None = None) -> TaskChanged | None:
        """The next event, or None after ``timeout`` seconds or when the store must be re-read."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None

    def __aiter__(self) -> AsyncIterator[TaskChanged]:
        return self

    async def __anext__(self) -> TaskChanged:
        # Nudges (None) are for consumers that re-read the store; iterating ones only want events.
        event = await self.queue.get()
        while event is None:
            event = await self.queue.get()
        return event


class EventBus:
    """A publish/subscribe hub for task changes.

    In-process by default. With several workers, a bridge (``hpi_app.workers.bus_bridge``)
    attaches a forwarder that carries each published event to the other workers, and hands
    their events to ``dispatch`` here.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[_Waiter]] = {}
        self._subscriptions: set[Subscription] = set()
        self._forwarders: list[Callable[[TaskChanged], None]] = []
        self._origin = ("", 0)
        # "local" (no bridge), or the bridge's "connecting" / "redis" / "reconnecting".
        self.bridge_status = "local"

    @property
    def origin(self) -> str:
        """Names this process on the bridge (and in /health), so it can skip its own echoes.

        Made per process: the bus is created before Granian forks its workers.
        """
        name, pid = self._origin
        if pid != os.getpid():
            name, pid = uuid.uuid4().hex[:12], os.getpid()
            self._origin = (name, pid)
        return name

    def publish(self, event: TaskChanged) -> None:
        """Announce a committed change to every watcher (callable from any thread)."""
        self.dispatch(event)
        for forward in list(self._forwarders):
            forward(event)

    def dispatch(self, event: TaskChanged) -> None:
        """Hand ``event`` to the watchers in this process."""
        with self._lock:
            waiters = list(self._waiters.get(event.task_id, ())) if event.terminal else []
            subs = [s for s in self._subscriptions if s.org_id in (None, event.org_id)]
        for waiter in waiters:
            waiter.deliver(event)
        for sub in subs:
            sub.deliver(event)

    def nudge_all(self) -> None:
        """Wake every waiter and subscriber in this process to re-read the store.

        For when events may have been missed (the bridge to other workers was down).
        """
        with self._lock:
            waiters = [w for group in self._waiters.values() for w in group]
            subs = list(self._subscriptions)
        for waiter in waiters:
            waiter.nudge()
        for sub in subs:
            sub.nudge()

    @contextmanager
    def forwarding(self, forward: Callable[[TaskChanged], None]) -> Iterator[None]:
        """Also pass every event published here to ``forward`` (from the publishing thread)."""
        with self._lock:
            self._forwarders.append(forward)
        try:
            yield
        finally:
            with self._lock:
                self._forwarders.remove(forward)

    @contextmanager
    def task_waiter(self, task_id: str) -> Iterator[_Waiter]:
        """Register interest in ``task_id`` reaching a final state.

        Register before reading the store, so a change that commits in between is not missed.
        """
        waiter = _Waiter()
        with self._lock:
            self._waiters.setdefault(task_id, set()).add(waiter)
        try:
            yield waiter
        finally:
            with self._lock:
                group = self._waiters.get(task_id)
                if group is not None:
                    group.discard(waiter)
                    if not group:
                        del self._waiters[task_id]

    @asynccontextmanager
    async def subscribe(self, org_id: str | None) -> AsyncIterator[Subscription]:
        """Receive every change of ``org_id`` (``None``: of every organisation)."""
        sub = Subscription(org_id)
        with self._lock:
            self._subscriptions.add(sub)
        try:
            yield sub
        finally:
            with self._lock:
                self._subscriptions.discard(sub)

    def waiter_count(self) -> int:
        """How many task waiters are registered (for tests and metrics)."""
        with self._lock:
            return sum(len(g) for g in self._waiters.values())


bus = EventBus()
