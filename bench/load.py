"""Closed-loop load: N POSTs from C connections, optionally split over several client processes."""

from __future__ import annotations

import asyncio
import json
import math
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from typing import Any

import httpx
from measure import CpuMeter
from raw_http import HttpError, RawConnection
from servers import Server

CLIENTS = ("raw", "httpx")


@dataclass
class LoadResult:
    """What a closed-loop load run measured.

    Attributes:
        latencies: Seconds per successful request.
        errors: Requests that failed or got an unexpected status.
        error_samples: A few of the failures, for messages.
        started: ``time.monotonic()`` when the first client began.
        finished: ``time.monotonic()`` when the last client ended.
        client_cpu: CPU seconds the client processes used meanwhile.
        answers: The JSON answers, when asked to keep them.
    """

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    started: float = math.inf
    finished: float = 0.0
    client_cpu: float = 0.0
    answers: list[Any] = field(default_factory=list)

    @property
    def wall(self) -> float:
        """Seconds from the first request to the last answer."""
        return max(self.finished - self.started, 1e-9)

    @property
    def done(self) -> int:
        """Requests that succeeded."""
        return len(self.latencies)

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.done / self.wall

    def merge(self, other: LoadResult) -> None:
        """Fold another process's result into this one."""
        self.latencies += other.latencies
        self.errors += other.errors
        self.error_samples = (self.error_samples + other.error_samples)[:5]
        self.started = min(self.started, other.started)
        self.finished = max(self.finished, other.finished)
        self.client_cpu += other.client_cpu
        self.answers += other.answers


@dataclass(frozen=True)
class LoadSpec:
    """One closed-loop POST load (picklable, so client processes can run their share).

    Attributes:
        url: The full URL to POST to (``http://127.0.0.1:PORT/path``).
        body: The JSON body.
        headers: Extra request headers.
        count: Requests to send.
        concurrency: Connections, each with one request in flight.
        client: ``raw`` (``RawConnection``) or ``httpx`` (one ``httpx.AsyncClient`` whose pool is
            limited to ``concurrency`` connections).
        expect: The status code that counts as success.
        keep_answers: Keep every JSON answer.
        start_at: ``time.monotonic()`` to start at (processes start together).
    """

    url: str
    body: dict[str, Any]
    headers: dict[str, str]
    count: int
    concurrency: int
    client: str = "raw"
    expect: int = 201
    keep_answers: bool = False
    start_at: float = 0.0


async def _closed_loop(spec: LoadSpec) -> LoadResult:
    result = LoadResult()
    remaining = spec.count
    payload = json.dumps(spec.body).encode()
    parsed = httpx.URL(spec.url)

    def failed(what: str) -> None:
        result.errors += 1
        if len(result.error_samples) < 5:
            result.error_samples.append(what)

    def answered(status: int, text: bytes, elapsed: float) -> None:
        if status != spec.expect:
            failed(f"{status} {text[:200]!r}")
            return
        result.latencies.append(elapsed)
        if spec.keep_answers:
            result.answers.append(json.loads(text))

    async def raw_worker() -> None:
        nonlocal remaining
        conn = RawConnection(parsed.host, parsed.port or 80, spec.headers)
        try:
            while remaining > 0:
                remaining -= 1
                t0 = time.monotonic()
                try:
                    status, text = await conn.request("POST", parsed.raw_path.decode(), payload)
                except HttpError as exc:
                    failed(str(exc))
                    continue
                answered(status, text, time.monotonic() - t0)
        finally:
            await conn.close()

    async def httpx_worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            t0 = time.monotonic()
            try:
                answer = await client.post(
                    spec.url, content=payload, headers={"Content-Type": "application/json"}
                )
            except httpx.HTTPError as exc:
                failed(repr(exc))
                continue
            answered(answer.status_code, answer.content, time.monotonic() - t0)

    await asyncio.sleep(max(0.0, spec.start_at - time.monotonic()))
    cpu0 = time.process_time()
    result.started = time.monotonic()
    if spec.client == "raw":
        await asyncio.gather(*(raw_worker() for _ in range(spec.concurrency)))
    else:
        limits = httpx.Limits(max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=60.0, headers=spec.headers) as client:
            await asyncio.gather(*(httpx_worker(client) for _ in range(spec.concurrency)))
    result.finished = time.monotonic()
    result.client_cpu = time.process_time() - cpu0
    return result


def _closed_loop_in_process(spec: LoadSpec) -> LoadResult:
    return asyncio.run(_closed_loop(spec))


def run_post_load(spec: LoadSpec, processes: int = 1) -> LoadResult:
    """Run ``spec``, in this process or split over ``processes`` client processes.

    With several processes, requests and connections are split evenly; the processes are
    spawned and warmed up first and start at one common instant.

    Returns:
        The merged result of every client process.
    """
    processes = max(1, min(processes, spec.concurrency))
    if processes == 1:
        return asyncio.run(_closed_loop(replace(spec, start_at=time.monotonic())))
    counts = _split(spec.count, processes)
    conns = _split(spec.concurrency, processes)
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        list(pool.map(_noop, range(processes)))
        start_at = time.monotonic() + 0.5
        parts = [
            replace(spec, count=counts[i], concurrency=conns[i], start_at=start_at) for i in range(processes)
        ]
        merged = LoadResult()
        for part in pool.map(_closed_loop_in_process, parts):
            merged.merge(part)
    return merged


def _noop(_i: int) -> None:
    """Make sure a pool process has started (its imports happen before the clock starts)."""


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def measure_load(server: Server, spec: LoadSpec, processes: int = 1) -> tuple[LoadResult, dict[str, float]]:
    """Run ``spec`` against ``server``; its result and the busy cores of server, client and other."""
    meter = CpuMeter(server).start()
    result = run_post_load(spec, processes)
    cores = meter.stop()
    if processes > 1:
        # The span also covered spawning the client processes (the server idled meanwhile):
        # rate the server and the clients over the load itself.
        cores["server"] = round(cores["server"] * meter.wall / result.wall, 2)
        cores["client"] = round(result.client_cpu / result.wall, 2)
    return result, cores
