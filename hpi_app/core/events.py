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

from hpi_app.core.subjects import Subject


@dataclass(frozen=True)
class Change:
    """A committed change to one subject (a task, ...).

    Attributes:
        kind: ``<subject kind>.<what happened>``: ``task.created``, ``task.completed``, ...
        org_id: The subject's organisation.
        subject: What changed.
        status: The subject's state after the change.
        terminal: Whether that state is final (waiters on the subject are released).
        event_id: The id of the timeline entry recording it (orders the org's stream).
        expires_at: For a subject that expires: when, as a UNIX timestamp.
        deliveries: How many outbox deliveries the change queued (the delivery worker wakes for them).
    """

    kind: str
    org_id: str
    subject: Subject
    status: str
    terminal: bool = False
    event_id: int | None = None
    expires_at: float | None = None
    deliveries: int = 0

    def to_dict(self) -> dict:
        """The change as plain JSON-able data (``from_dict`` reads it back)."""
        data = asdict(self)
        data["subject"] = [self.subject.kind, self.subject.id]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Change:
        """A change from ``to_dict``'s data."""
        kind, subject_id = data["subject"]
        return cls(**{**data, "subject": Subject(kind, subject_id)})


class _Waiter:
    """One awaiting party for one subject's terminal change."""

    __slots__ = ("future", "loop", "parked")

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.future: asyncio.Future[Change | None] = self.loop.create_future()
        self.parked = False  # awaiting its future (past the store read that precedes each wait)

    def deliver(self, event: Change) -> None:
        self.loop.call_soon_threadsafe(self._settle, event)

    def nudge(self) -> None:
        """Wake the waiter without an event, so it re-reads the store."""
        self.loop.call_soon_threadsafe(self._settle, None)

    def _settle(self, event: Change | None) -> None:
        if not self.future.done():
            self.future.set_result(event)

    async def wait(self, timeout: float | None) -> Change | None:
        """The terminal event, or None after ``timeout`` seconds or when nudged to re-check."""
        # A timer that settles the future with None, rather than asyncio.wait_for + shield:
        # thousands of parked waiters each hold one of these, so the lighter the better.
        future = self.future
        if not future.done():
            timer = self.loop.call_later(timeout, self._settle, None) if timeout is not None else None
            self.parked = True
            try:
                await future
            finally:
                self.parked = False
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
        self.queue: asyncio.Queue[Change | None] = asyncio.Queue(maxsize)
        self.overflowed = False

    def deliver(self, event: Change) -> None:
        self.loop.call_soon_threadsafe(self._put, event)

    def nudge(self) -> None:
        """Make the next ``get`` return None at once, so the consumer re-reads the store."""
        self.loop.call_soon_threadsafe(self._put, None)

    def _put(self, event: Change | None) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # A consumer this far behind re-reads the store instead.
            self.overflowed = True

    async def get(self, timeout: float | None = None) -> Change | None:
        """The next event, or None after ``timeout`` seconds or when the store must be re-read.

        Not ``asyncio.wait_for``: on Python 3.11 it swallows a cancel that comes in the same loop
        turn as the event (CPython gh-86296), and a worker stopped then slept on. A cancelled
        ``get`` leaves its event queued.
        """
        try:
            async with asyncio.timeout(timeout):
                return await self.queue.get()
        except TimeoutError:
            return None

    def drain(self, limit: int) -> list[Change]:
        """The events already queued (at most ``limit``), without waiting; stops at a nudge.

        For consumers that fold a burst into one re-read of the store.
        """
        out: list[Change] = []
        while len(out) < limit:
            try:
                event = self.queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if event is None:
                break
            out.append(event)
        return out

    def __aiter__(self) -> AsyncIterator[Change]:
        return self

    async def __anext__(self) -> Change:
        # Nudges (None) are for consumers that re-read the store; iterating ones only want events.
        event = await self.queue.get()
        while event is None:
            event = await self.queue.get()
        return event


class EventBus:
    """A publish/subscribe hub for the changes of every subject.

    In-process by default. With several workers, a bridge (``hpi_app.workers.bus_bridge``)
    attaches a forwarder that carries each published event to the other workers, and hands
    their events to ``dispatch`` here.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[Subject, set[_Waiter]] = {}
        self._subscriptions: set[Subscription] = set()
        self._forwarders: list[Callable[[Change], None]] = []
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

    def publish(self, event: Change) -> None:
        """Announce a committed change to every watcher (callable from any thread)."""
        self.dispatch(event)
        for forward in list(self._forwarders):
            forward(event)

    def dispatch(self, event: Change) -> None:
        """Hand ``event`` to the watchers in this process."""
        with self._lock:
            waiters = list(self._waiters.get(event.subject, ())) if event.terminal else []
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
    def forwarding(self, forward: Callable[[Change], None]) -> Iterator[None]:
        """Also pass every event published here to ``forward`` (from the publishing thread)."""
        with self._lock:
            self._forwarders.append(forward)
        try:
            yield
        finally:
            with self._lock:
                self._forwarders.remove(forward)

    @contextmanager
    def waiter(self, subject: Subject) -> Iterator[_Waiter]:
        """Register interest in ``subject`` reaching a final state.

        Register before reading the store, so a change that commits in between is not missed.
        """
        waiter = _Waiter()
        with self._lock:
            self._waiters.setdefault(subject, set()).add(waiter)
        try:
            yield waiter
        finally:
            with self._lock:
                group = self._waiters.get(subject)
                if group is not None:
                    group.discard(waiter)
                    if not group:
                        del self._waiters[subject]

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

    def waiter_count(self, *, parked: bool = False) -> int:
        """How many subject waiters are registered (``parked``: only those awaiting a change now)."""
        with self._lock:
            return sum(1 for group in self._waiters.values() for w in group if w.parked or not parked)


bus = EventBus()
