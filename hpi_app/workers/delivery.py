"""The delivery worker: sends the outbox's due deliveries, records every attempt, schedules retries.

It wakes when a task change commits (the event bus), when a delivery is redelivered or a test
event queued (the outbox signal), when a send frees a slot while more are due, and otherwise at
the next due retry (at most ``MAX_SLEEP`` seconds away, which also finds rows another process
queued). Any number of workers, in one process or many, share the outbox: each delivery is
claimed by one of them at a time.

Claims come in batches: besides the ``concurrency`` sends in flight the worker holds up to
``prefetch`` claimed deliveries ready to start the moment a slot frees, and claims more when
that buffer is half empty. Fewer, larger claims keep the store (and on SQLite its single writer)
out of the way of the sends.

Stopping (cancellation) lets sends in flight finish for up to ``shutdown_grace`` seconds and
records them; sends cut short, and claimed deliveries not yet started, are handed back at once,
to be sent again with the same ``webhook-id``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import deque
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool

from hpi_app.config import settings
from hpi_app.core import deliveries
from hpi_app.core.events import bus
from hpi_app.core.outbox import outbox_signal
from hpi_app.core.sinks.base import AttemptResult, Job
from hpi_app.core.sinks.sending import SenderConfig, Senders
from hpi_app.models import utcnow

log = logging.getLogger("hpi.deliveries")

MAX_SLEEP = 30.0
ERROR_PAUSE = 5.0


class DeliveryWorker:
    """Sends due deliveries, at most ``concurrency`` at a time.

    Args:
        concurrency: Sends in flight at once.
        prefetch: Claimed deliveries held ready beyond those in flight (default: ``concurrency``,
            at least 32).
        timeout: Seconds one attempt may take.
        retry_delays: The backoff schedule in seconds (jitter is added).
        lease_seconds: How long a claimed delivery stays held; a worker that dies frees its
            deliveries after this. Longer than any attempt.
        shutdown_grace: Seconds a stopping worker lets sends in flight finish.
        worker_id: A name for this worker (unique; generated when omitted).
        **sender_overrides: ``nats_url``, ``smtp_url``, ``smtp_from``, ``public_url``.
    """

    def __init__(
        self,
        *,
        concurrency: int | None = None,
        prefetch: int | None = None,
        timeout: float | None = None,
        retry_delays: Sequence[float] | None = None,
        lease_seconds: float | None = None,
        shutdown_grace: float = 3.0,
        max_sleep: float = MAX_SLEEP,
        worker_id: str | None = None,
        **sender_overrides: str | None,
    ) -> None:
        self.config = SenderConfig.from_settings(timeout=timeout, **sender_overrides)
        self.concurrency = concurrency or settings.delivery_concurrency
        self.prefetch = prefetch if prefetch is not None else max(self.concurrency, 32)
        self.retry_delays = tuple(retry_delays or settings.delivery_retry_delays)
        # Long enough for a claimed delivery to wait in the buffer and then take its slowest attempt.
        self.lease_seconds = lease_seconds or max(60.0, self.config.timeout * 12)
        self.shutdown_grace = shutdown_grace
        self.max_sleep = max_sleep
        self.worker_id = worker_id or f"worker-{uuid.uuid4().hex[:12]}"
        self._inflight: dict[asyncio.Task, Job] = {}
        self._ready: deque[tuple[float, Job]] = deque()
        self._senders: Senders | None = None
        self._background: set[asyncio.Task] = set()
        self._results: list[tuple[Job, AttemptResult]] = []
        self._more_due = False
        self._wake: asyncio.Event | None = None
        self._flush_wake: asyncio.Event | None = None
        self._recording: asyncio.Future | None = None

    async def run(self) -> None:
        """Deliver until cancelled."""
        loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._flush_wake = asyncio.Event()
        senders = self._senders = Senders(self.config, max_connections=self.concurrency)
        log.info("Delivery worker %s started", self.worker_id)

        def ring() -> None:
            loop.call_soon_threadsafe(self._wake.set)

        async with bus.subscribe(None) as events:
            follower = asyncio.create_task(self._follow(events))
            flusher = asyncio.create_task(self._flush_forever())
            try:
                with outbox_signal.listen(ring):
                    while True:
                        self._wake.clear()
                        pause = await self._tick(senders)
                        # Not asyncio.wait_for: on Python 3.11 it can swallow a cancellation
                        # that arrives just as the wake-up does, and the worker would never stop.
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(pause):
                                await self._wake.wait()
            finally:
                follower.cancel()
                await self._shutdown(senders, flusher)

    async def _follow(self, events) -> None:
        async for event in events:
            if event.deliveries:
                self._wake.set()

    async def _tick(self, senders: Senders) -> float:
        """Claim what is due and start sending it; returns how long to sleep if nothing wakes us."""
        room = self.concurrency + self.prefetch - len(self._inflight) - len(self._ready)
        if len(self._ready) <= self.prefetch // 2 and room > 0:
            try:
                jobs = await self._claim(room)
            except Exception:
                log.exception("Claiming deliveries failed; trying again shortly")
                self._start_ready()
                return ERROR_PAUSE
            claimed_at = time.monotonic()
            self._ready.extend((claimed_at, job) for job in jobs)
            self._more_due = len(jobs) == room
        self._start_ready()
        if self._more_due or self._ready:
            return self.max_sleep  # a finishing send wakes us when the buffer runs low
        try:
            due = await run_in_threadpool(deliveries.next_due)
        except Exception:
            log.exception("Reading the next due delivery failed")
            return ERROR_PAUSE
        if due is None:
            return self.max_sleep
        return min(max((due - utcnow()).total_seconds(), 0.0), self.max_sleep)

    def _start_ready(self) -> None:
        """Start claimed deliveries while slots are free (not ones whose claim is nearly over)."""
        stale: list[str] = []
        while self._ready and len(self._inflight) < self.concurrency:
            claimed_at, job = self._ready.popleft()
            if time.monotonic() - claimed_at > self.lease_seconds * 0.8:
                stale.append(job.delivery_id)  # another worker may take it any moment now
                continue
            task = asyncio.create_task(self._send(self._senders, job), name=f"delivery-{job.delivery_id}")
            self._inflight[task] = job
        if stale:
            log.warning("Handing back %d deliveries held too long before a slot freed", len(stale))
            handing_back = asyncio.create_task(run_in_threadpool(deliveries.release, self.worker_id, stale))
            self._background.add(handing_back)
            handing_back.add_done_callback(self._background.discard)

    async def _claim(self, limit: int) -> list[Job]:
        # Shielded: a claim that commits while we are being stopped is handed straight back.
        claim = asyncio.ensure_future(
            run_in_threadpool(deliveries.claim_due, self.worker_id, limit, lease_seconds=self.lease_seconds)
        )
        try:
            return await asyncio.shield(claim)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                jobs = await claim
                await run_in_threadpool(deliveries.release, self.worker_id, [j.delivery_id for j in jobs])
            raise

    async def _send(self, senders: Senders, job: Job) -> None:
        try:
            try:
                result = await senders.send(job)
            except Exception as exc:  # Senders.send reports failures itself; this is a bug's safety net
                log.exception("Sending delivery %s failed unexpectedly", job.delivery_id)
                result = AttemptResult(False, utcnow(), 0, error=f"Internal error: {exc}")
            self._results.append((job, result))
            self._flush_wake.set()
        finally:
            self._inflight.pop(asyncio.current_task(), None)
            self._start_ready()
            if self._more_due and len(self._ready) <= self.prefetch // 2:
                self._wake.set()

    async def _flush_forever(self) -> None:
        while True:
            await self._flush_wake.wait()
            self._flush_wake.clear()
            await self._flush()

    async def _flush(self) -> None:
        """Record the finished attempts in one transaction; on a store error keep them for the next try."""
        batch, self._results = self._results, []
        if not batch:
            return
        # Shielded and remembered: a stopping worker waits for this write instead of losing it.
        self._recording = asyncio.ensure_future(
            run_in_threadpool(
                deliveries.record_attempts, self.worker_id, batch, retry_delays=self.retry_delays
            )
        )
        try:
            await asyncio.shield(self._recording)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("Recording %d delivery attempts failed; retrying", len(batch))
            self._results[:0] = batch
            await asyncio.sleep(1.0)
            self._flush_wake.set()
            return
        if any(not result.ok for _, result in batch):
            self._wake.set()  # a retry may now be due sooner than the worker's current sleep

    async def _shutdown(self, senders: Senders, flusher: asyncio.Task) -> None:
        interrupted = [job.delivery_id for _claimed_at, job in self._ready]
        self._ready.clear()
        try:
            if self._inflight:
                _done, pending = await asyncio.wait(list(self._inflight), timeout=self.shutdown_grace)
                for task in pending:
                    interrupted.append(self._inflight[task].delivery_id)
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            if self._recording is not None and not self._recording.done():
                with contextlib.suppress(Exception):
                    await self._recording
            await run_in_threadpool(
                deliveries.record_attempts, self.worker_id, self._results, retry_delays=self.retry_delays
            )
            self._results = []
            await run_in_threadpool(deliveries.release, self.worker_id, interrupted)
        except Exception:
            log.exception(
                "Delivery worker %s did not stop cleanly; its deliveries free up when their lease ends",
                self.worker_id,
            )
        finally:
            await senders.aclose()
            log.info("Delivery worker %s stopped", self.worker_id)


async def run_delivery_worker() -> None:
    """The lifespan task: one delivery worker with the configured settings."""
    await DeliveryWorker().run()
