"""Long-poll waiters: the memory a parked ``/wait`` costs, and how fast a change releases it.

For the baseline (``baseline_app.py``: Starlette, one ``asyncio.Future`` per waiter) and for HPI
(``python -m hpi_app serve``, N tasks created first), each in a server configuration
(``configs.ServerConfig``: 1 worker on SQLite, or 3 workers on PostgreSQL + Redis):

1. Open the canceller's keep-alive connections (with several workers: a few on each worker, told
   apart by which server process holds them), then park N waiters,
   ``GET /api/v1/tasks/{id}/wait?timeout=300``, one per task, each on its own connection, from
   client processes other than the canceller's. The core's event bus exposes no count over
   HTTP, so a waiter counts as parked once the server's process tree holds its connection
   (psutil, matched by the client's port; the process holding it is the waiter's worker) and
   the server's CPU has gone quiet (every handler has read its task and awaits the bus). The
   server's RSS (whole process tree) before parking and once parked gives memory per waiter. A
   fresh ``GET`` of the health route is then timed: can anyone else still get in?
2. **Paced release** of the first ``min(1,000, N/2)`` waiters while the others stay parked:
   ``POST /api/v1/tasks/{id}/cancel`` (HPI has no REST "complete" route; a cancel is a terminal
   change made through another request and published on the same event bus after its commit,
   as a completion is), 100 per second, well under the server's capacity, so the figure is
   propagation rather than queueing. With several workers, every other cancel goes over a
   connection held by the waiter's own worker ("same worker") and the others over a connection
   held by another worker ("across workers": the change travels over Redis). Release latency,
   per waiter: from the moment the cancel's HTTP answer arrived (the commit happened before it)
   to the moment the waiter's answer arrived. Both are ``time.monotonic()`` readings, which on
   Linux are one clock for every process.
3. **Burst**: the remaining waiters are released all at once over every canceller connection.

Run: ``python bench/waiters.py [--quick] [--waiters 1000 10000] [--config sqlite1,pg3]
[--pace 100] [--no-baseline]``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from bodies import SEED_TASK
from configs import SQLITE1, ServerConfig, parse_configs
from launch import start_server
from load import LoadSpec, run_post_load
from measure import CpuMeter, mib, ms, percentile
from processes import raise_nofile, stop_on_sigterm
from raw_http import HttpError, RawConnection
from report import print_table
from servers import Server

WAITERS, QUICK_WAITERS = (1000, 10000), (200, 1000)
PACE = 100.0
PACED_MAX = 1000
CANCEL_CONNECTIONS = 16
WAIT_TIMEOUT = 300
WAITERS_PER_PROCESS = 5000
CONNECTS_IN_FLIGHT = 200
PARK_STALL_SECONDS = 20.0
PROBE_TIMEOUT = 5.0
QUIET_CORES = 0.03
HEALTH = "/api/v1/health"


# The waiting side: client processes, one connection per waiter


@dataclass(frozen=True)
class WaitAnswer:
    """How one waiter ended.

    Attributes:
        task_id: The task it waited on.
        port: The client's port of its connection (0 if it never connected).
        status: The HTTP status (0 when the connection failed).
        task_status: The task's ``status`` in the answer.
        at: ``time.monotonic()`` when the whole answer had arrived.
        error: What went wrong, if anything.
    """

    task_id: str
    port: int
    status: int
    task_status: str | None
    at: float
    error: str | None = None


async def _park(
    port: int, headers: dict[str, str], task_ids: list[str], timeout: int, sent: Any, abandon: Any, ports: Any
) -> list[WaitAnswer]:
    gate = asyncio.Semaphore(CONNECTS_IN_FLIGHT)
    unsent = set(task_ids)
    local_ports: dict[str, int] = {}

    def counted(task_id: str) -> None:
        if task_id in unsent:
            unsent.discard(task_id)
            with sent.get_lock():
                sent.value += 1

    async def one(task_id: str) -> WaitAnswer:
        conn = RawConnection("127.0.0.1", port, headers)
        local = 0
        try:
            async with gate:
                try:
                    await conn.send("GET", f"/api/v1/tasks/{task_id}/wait?timeout={timeout}")
                    local = local_ports[task_id] = conn.local_port
                finally:
                    counted(task_id)
            status, body = await conn.answer()
            at = time.monotonic()
            task_status = json.loads(body).get("status") if body else None
            return WaitAnswer(task_id, local, status, task_status, at)
        except asyncio.CancelledError:
            counted(task_id)
            return WaitAnswer(task_id, local, 0, None, time.monotonic(), "abandoned before it connected")
        except (HttpError, ValueError) as exc:
            return WaitAnswer(task_id, local, 0, None, time.monotonic(), str(exc))
        finally:
            await conn.close()

    jobs = {task_id: asyncio.create_task(one(task_id)) for task_id in task_ids}

    async def watch() -> None:
        # When the server stops accepting, the parent gives up on the connects still pending.
        # Once every request is out, the parent learns each waiter's port (to find its worker).
        while unsent:
            if abandon.is_set():
                for task_id in list(unsent):
                    jobs[task_id].cancel()
                break
            await asyncio.sleep(0.2)
        ports.put(dict(local_ports))

    watcher = asyncio.create_task(watch())
    answers = list(await asyncio.gather(*jobs.values()))
    await watcher
    return answers


def _waiter_process(
    port: int,
    headers: dict[str, str],
    task_ids: list[str],
    timeout: int,
    sent: Any,
    abandon: Any,
    ports: Any,
    out: Any,
) -> None:
    raise_nofile(len(task_ids) + 256)
    out.put(asyncio.run(_park(port, headers, task_ids, timeout, sent, abandon, ports)))


class WaiterClients:
    """Client processes holding one ``/wait`` long-poll per task.

    Args:
        server: The server (its ``headers`` authenticate the waiters).
        task_ids: One waiter per id.
        timeout: The ``timeout`` query parameter, in seconds.
    """

    def __init__(self, server: Server, task_ids: list[str], timeout: int = WAIT_TIMEOUT) -> None:
        ctx = get_context("spawn")
        self.count = len(task_ids)
        self._sent = ctx.Value("i", 0)
        self._abandon = ctx.Event()
        self._ports = ctx.Queue()
        self._out = ctx.Queue()
        chunks = max(1, math.ceil(len(task_ids) / WAITERS_PER_PROCESS))
        self._procs = [
            ctx.Process(
                target=_waiter_process,
                args=(
                    server.port,
                    server.headers,
                    task_ids[i::chunks],
                    timeout,
                    self._sent,
                    self._abandon,
                    self._ports,
                    self._out,
                ),
                daemon=True,
            )
            for i in range(chunks)
        ]
        for proc in self._procs:
            proc.start()

    def sent(self) -> int:
        """Waiters whose request was written (or that gave up)."""
        return self._sent.value

    def died(self) -> list[int]:
        """Exit codes of client processes that ended before their waiters were answered."""
        return [p.exitcode for p in self._procs if p.exitcode is not None and p.exitcode != 0]

    def abandon(self) -> None:
        """Give up on the waiters that have not connected yet."""
        self._abandon.set()

    def ports(self, limit: float = 60.0) -> dict[str, int]:
        """``{task id: client port}`` of every waiter that sent its request (once all are sent)."""
        found: dict[str, int] = {}
        for _ in self._procs:
            found.update(self._ports.get(timeout=limit))
        return found

    def collect(self, limit: float) -> list[WaitAnswer]:
        """Every waiter's answer; waits up to ``limit`` seconds for the processes to finish."""
        answers: list[WaitAnswer] = []
        deadline = time.monotonic() + limit
        for _ in self._procs:
            answers += self._out.get(timeout=max(1.0, deadline - time.monotonic()))
        for proc in self._procs:
            proc.join(timeout=10)
        return answers

    def stop(self) -> None:
        """End any client process still running."""
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
                proc.join(timeout=5)


def _wait_parked(
    server: Server, clients: WaiterClients, others: int
) -> tuple[dict[tuple[str, int], int], float]:
    """Wait until the server holds every waiter's connection and its CPU is quiet.

    Args:
        server: The server.
        clients: The waiters.
        others: Connections the server holds that are not waiters (the canceller's).

    Returns:
        The client ends of the connections the server holds (each with its worker's pid), and
        seconds until then.
    """
    t0 = time.monotonic()
    last, last_change = -1, t0
    while True:
        if clients.died():
            raise RuntimeError(f"waiter client processes failed (exit codes {clients.died()})")
        held = server.connections() - others
        if held >= clients.count and clients.sent() >= clients.count:
            break
        if held != last:
            last, last_change = held, time.monotonic()
        elif time.monotonic() - last_change > PARK_STALL_SECONDS:
            print(f"  parking stalled at {held:,} of {clients.count:,} connections", flush=True)
            clients.abandon()
            while clients.sent() < clients.count and not clients.died():
                time.sleep(0.1)
            break
        time.sleep(0.25)
    _wait_quiet(server)
    return server.peers(), time.monotonic() - t0


def _wait_quiet(server: Server, window: float = 0.5, limit: float = 60.0) -> None:
    """Wait until the server's CPU stays under ``QUIET_CORES`` for two windows in a row."""
    deadline = time.monotonic() + limit
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        cpu0 = server.cpu_seconds()
        time.sleep(window)
        quiet = quiet + 1 if (server.cpu_seconds() - cpu0) / window < QUIET_CORES else 0


async def _probe(server: Server, path: str) -> float:
    """Seconds a fresh connection takes to get ``GET path`` answered (NaN after ``PROBE_TIMEOUT``)."""
    conn = RawConnection("127.0.0.1", server.port)
    t0 = time.monotonic()
    try:
        status, _ = await asyncio.wait_for(conn.request("GET", path), PROBE_TIMEOUT)
        return time.monotonic() - t0 if status == 200 else math.nan
    except (TimeoutError, HttpError):
        return math.nan
    finally:
        await conn.close()


# The releasing side: cancels from this process


@dataclass(frozen=True)
class CancelAnswer:
    """One cancel: when it was sent and answered, and by which worker.

    Attributes:
        task_id: The task cancelled.
        status: The HTTP status (0 when the connection failed).
        sent: ``time.monotonic()`` when the request was written.
        at: ``time.monotonic()`` when its whole answer had arrived.
        worker: The pid of the server process holding the connection it went over.
    """

    task_id: str
    status: int
    sent: float
    at: float
    worker: int


class Canceller:
    """Keep-alive connections, opened before the waiters park so that they always get a slot.

    With several workers the connections are spread so that each worker holds
    ``connections / workers`` (rounded up) of them: a connection stays on the worker that
    accepted it, so a cancel can be sent through the waiter's own worker or through another.

    Args:
        server: The server (its ``headers`` authenticate the cancels).
        connections: How many connections to hold (at least).
    """

    _BODY = json.dumps({"reason": "released by bench/waiters.py"}).encode()

    def __init__(self, server: Server, connections: int) -> None:
        self.server = server
        self.wanted = connections
        self.by_worker: dict[int, list[RawConnection]] = {}

    @property
    def conns(self) -> list[RawConnection]:
        """Every connection held."""
        return [c for group in self.by_worker.values() for c in group]

    async def open(self) -> None:
        """Connect, one health request each, and keep each worker's share.

        Raises:
            RuntimeError: Some worker never got its share (after many tries).
        """
        workers = self.server.config.workers
        share = math.ceil(self.wanted / workers)
        extra: list[RawConnection] = []
        for _round in range(50):
            fresh = [RawConnection("127.0.0.1", self.server.port, self.server.headers) for _ in range(share)]
            for conn in fresh:
                await conn.request("GET", HEALTH)
            where = self.server.worker_of_ports(c.local_port for c in fresh)
            for conn in fresh:
                pid = where.get(conn.local_port, 0)
                group = self.by_worker.setdefault(pid, []) if pid else extra
                (group if len(group) < share else extra).append(conn)
            if len(self.by_worker) >= workers and all(len(g) >= share for g in self.by_worker.values()):
                break
        for conn in extra:
            await conn.close()
        if len(self.by_worker) < workers or any(len(g) < share for g in self.by_worker.values()):
            counts = {pid: len(g) for pid, g in self.by_worker.items()}
            raise RuntimeError(f"could not place {share} connections on each of {workers} workers: {counts}")

    async def cancel_all(self, plan: list[tuple[str, list[int]]], pace: float | None) -> list[CancelAnswer]:
        """Cancel each task of ``plan`` over a connection of one of the workers named with it.

        Args:
            plan: ``(task id, worker pids allowed to carry its cancel)``.
            pace: Cancels per second, or None for all at once (each as soon as a connection of
                an allowed worker is free).
        """
        pools: dict[int, asyncio.Queue[RawConnection]] = {}
        for pid, group in self.by_worker.items():
            pools[pid] = asyncio.Queue()
            for conn in group:
                pools[pid].put_nowait(conn)
        free = asyncio.Condition()
        answers: list[CancelAnswer] = []

        async def borrow(pids: list[int]) -> tuple[int, RawConnection]:
            async with free:
                while True:
                    for pid in pids:
                        if not pools[pid].empty():
                            return pid, pools[pid].get_nowait()
                    await free.wait()

        async def one(task_id: str, pids: list[int]) -> None:
            pid, conn = await borrow(pids)
            sent = time.monotonic()
            status = 0
            for _attempt in range(2):  # once more on a fresh connection if the server closed it
                try:
                    status, _ = await conn.request("POST", f"/api/v1/tasks/{task_id}/cancel", self._BODY)
                    break
                except HttpError:
                    sent = time.monotonic()
            answers.append(CancelAnswer(task_id, status, sent, time.monotonic(), pid))
            async with free:
                pools[pid].put_nowait(conn)
                free.notify_all()

        jobs = []
        start = time.monotonic() + 0.05
        for i, (task_id, pids) in enumerate(plan):
            if pace:
                await asyncio.sleep(max(0.0, start + i / pace - time.monotonic()))
            jobs.append(asyncio.create_task(one(task_id, pids)))
        await asyncio.gather(*jobs)
        return answers

    async def close(self) -> None:
        """Close every connection."""
        for conn in self.conns:
            await conn.close()


# One run: park, measure, release paced (same worker / across workers), release the rest


def _latency_stats(pairs: list[tuple[WaitAnswer, CancelAnswer]]) -> dict[str, Any]:
    from_answer = [w.at - c.at for w, c in pairs]
    from_sent = [w.at - c.sent for w, c in pairs]
    cancel = [c.at - c.sent for _w, c in pairs]
    return {
        "released": len(pairs),
        "release_p50_ms": ms(percentile(from_answer, 50)),
        "release_p99_ms": ms(percentile(from_answer, 99)),
        "release_max_ms": ms(max(from_answer, default=math.nan)),
        "release_min_ms": ms(min(from_answer, default=math.nan)),
        "from_cancel_sent_p50_ms": ms(percentile(from_sent, 50)),
        "from_cancel_sent_p99_ms": ms(percentile(from_sent, 99)),
        "cancel_p50_ms": ms(percentile(cancel, 50)),
        "cancel_p99_ms": ms(percentile(cancel, 99)),
    }


def measure(server: Server, n: int, *, pace: float = PACE, paced_max: int = PACED_MAX) -> dict[str, Any]:
    """Park ``n`` waiters on a running server, release some paced and the rest in a burst.

    Args:
        server: HPI (``server.headers`` set, tasks are created first) or the baseline (any task id
            will do; no tasks are created).
        n: Waiters to park at once.
        pace: Cancels per second in the paced release.
        paced_max: At most this many waiters are released paced (``min(paced_max, n // 2)``).

    Returns:
        Memory, parking and release figures (``paced_same``, ``paced_across``, ``burst``).
    """
    raise_nofile(n + 1024)
    target = server.name
    create_failures: list[str] = []
    if target == "HPI":
        t0 = time.monotonic()
        task_ids, create_failures = _create_tasks(server, n)
        print(f"  created {len(task_ids):,} tasks in {time.monotonic() - t0:.1f} s", flush=True)
    else:
        task_ids = [str(uuid.uuid4()) for _ in range(n)]
    n_paced = max(1, min(paced_max, n // 2))
    multi = server.config.workers > 1

    # One event loop for the canceller's connections, run only while they work: the waiting in
    # between is plain blocking code, so Ctrl-C stops the run (and its servers) at once.
    loop = asyncio.new_event_loop()
    canceller = Canceller(server, CANCEL_CONNECTIONS)
    clients = None
    try:
        loop.run_until_complete(canceller.open())
        _wait_quiet(server)
        rss_before = server.rss()
        clients = WaiterClients(server, task_ids)
        peers, park_s = _wait_parked(server, clients, len(canceller.conns))
        rss_parked = server.rss()
        probe = loop.run_until_complete(_probe(server, HEALTH))
        waiter_ports = clients.ports()
        held = len(peers) - len(canceller.conns)
        worker_of = {port: pid for (_host, port), pid in peers.items()}
        waiter_worker = {t: worker_of.get(p, 0) for t, p in waiter_ports.items()}
        spread = Counter(pid for pid in waiter_worker.values() if pid)
        print(
            f"  {target} {server.config.name}: {held:,} waiters held after {park_s:.1f} s "
            f"(per worker: {sorted(spread.values(), reverse=True)}); releasing {n_paced:,} paced",
            flush=True,
        )

        pids = sorted(canceller.by_worker)
        rotate = itertools.cycle(pids)
        plan, kind = [], {}
        for i, task_id in enumerate(task_ids[:n_paced]):
            own = waiter_worker.get(task_id, 0)
            if not multi or own not in canceller.by_worker:
                plan.append((task_id, [own] if own in canceller.by_worker else pids))
                kind[task_id] = "same"
            elif i % 2 == 0:
                plan.append((task_id, [own]))
                kind[task_id] = "same"
            else:
                other = next(rotate)
                while other == own:
                    other = next(rotate)
                plan.append((task_id, [other]))
                kind[task_id] = "across"
        meter = CpuMeter(server).start()
        t0 = time.monotonic()
        cancels = loop.run_until_complete(canceller.cancel_all(plan, pace))
        paced_s = time.monotonic() - t0
        paced_cores = meter.stop()
        rest = task_ids[n_paced:]
        burst_s, burst_cores = 0.0, {}
        if rest:
            print(f"  releasing the other {len(rest):,} at once", flush=True)
            meter = CpuMeter(server).start()
            t0 = time.monotonic()
            cancels += loop.run_until_complete(canceller.cancel_all([(t, pids) for t in rest], None))
            burst_s = time.monotonic() - t0
            burst_cores = meter.stop()
            for task_id in rest:
                kind[task_id] = "burst"
        waits = clients.collect(WAIT_TIMEOUT + 60)
    finally:
        if clients is not None:
            clients.stop()
        loop.run_until_complete(canceller.close())
        loop.close()
    _wait_quiet(server)
    rss_after = server.rss()

    by_task = {c.task_id: c for c in cancels}
    pairs: dict[str, list[tuple[WaitAnswer, CancelAnswer]]] = {"same": [], "across": [], "burst": []}
    bad, not_parked = [], []
    for wait in waits:
        cancel = by_task.get(wait.task_id)
        if wait.task_id not in waiter_worker or not waiter_worker[wait.task_id]:
            not_parked.append(wait)
        elif wait.status != 200 or wait.task_status != "cancelled" or cancel is None or cancel.status != 200:
            bad.append(wait)
        elif kind[wait.task_id] == "burst":
            pairs["burst"].append((wait, cancel))
        else:  # classified by where the cancel actually went
            pairs["same" if cancel.worker == waiter_worker[wait.task_id] else "across"].append((wait, cancel))
    result = {
        "target": target,
        "config": server.config.name,
        "waiters": n,
        "held": held,
        "held_per_worker": sorted(spread.values(), reverse=True),
        "park_seconds": round(park_s, 1),
        "probe_ms": ms(probe),
        "rss_before_mib": mib(rss_before),
        "rss_parked_mib": mib(rss_parked),
        "rss_after_release_mib": mib(rss_after),
        "extra_mib": mib(rss_parked - rss_before),
        "kib_per_waiter": round((rss_parked - rss_before) / max(held, 1) / 1024, 1),
        "paced": n_paced,
        "pace_per_s": pace,
        "paced_rate_per_s": round(n_paced / paced_s, 1),
        "paced_cores": paced_cores,
        "paced_same": _latency_stats(pairs["same"]),
        "paced_across": _latency_stats(pairs["across"]) if multi else None,
        "burst": _latency_stats(pairs["burst"]) if rest else None,
        "burst_cancels": len(rest),
        "burst_rate_per_s": round(len(rest) / burst_s, 1) if rest else None,
        "burst_cores": burst_cores,
        "cancel_errors": sum(1 for c in cancels if c.status != 200),
        "bad_waiters": len(bad),
        "bad_samples": [f"{w.task_id}: {w.status} {w.task_status} {w.error}" for w in bad[:5]],
        "not_parked": len(not_parked),
        "not_parked_answered": sum(1 for w in not_parked if w.status == 200),
        "create_failures": create_failures,
    }
    if target == "HPI":
        result["hpi_log"] = str(server.saved_log)
    return result


def _create_tasks(server: Server, count: int) -> tuple[list[str], list[str]]:
    """Create ``count`` tasks over 32 connections; failed creations are retried (twice at most).

    Returns:
        The task ids, and the failures met on the way (they are reported, not fatal).
    """
    ids: list[str] = []
    failures: list[str] = []
    for _round in range(3):
        spec = LoadSpec(
            url=f"{server.url}/api/v1/tasks",
            body=SEED_TASK,
            headers=server.headers,
            count=count - len(ids),
            concurrency=32,
            keep_answers=True,
        )
        result = run_post_load(spec)
        ids += [a["task_id"] for a in result.answers]
        failures += result.error_samples[: max(0, 5 - len(failures))]
        if result.errors:
            print(f"  {result.errors} task creations failed, e.g. {result.error_samples[0]}", flush=True)
        if len(ids) >= count:
            break
    if len(ids) < count:
        raise RuntimeError(f"could not create {count} tasks: {failures} (server log: {server.saved_log})")
    return ids, failures


def run(
    *,
    config: ServerConfig = SQLITE1,
    quick: bool = False,
    waiters: tuple[int, ...] | None = None,
    pace: float = PACE,
    baseline: bool = True,
) -> dict[str, Any]:
    """For each count of waiters, measure the baseline then HPI, each on a fresh server.

    Args:
        config: How the servers run (workers, store, Redis).
        quick: 200 and 1,000 waiters instead of 1,000 and 10,000.
        waiters: How many waiters to park per run (overrides ``quick``).
        pace: Cancels per second in the paced release.
        baseline: Also measure ``baseline_app.py`` (a Future per waiter).

    Returns:
        ``{"runs": [...], ...}``, one run per (count, target).
    """
    counts = waiters or (QUICK_WAITERS if quick else WAITERS)
    runs = []
    for n in counts:
        for kind in ("baseline", "HPI") if baseline else ("HPI",):
            print(f"waiters: {kind} ({config.label}), {n:,} waiters", flush=True)
            with start_server(kind, config) as server:
                runs.append(measure(server, n, pace=pace))
    return {"config": config.name, "pace_per_s": pace, "wait_timeout_s": WAIT_TIMEOUT, "runs": runs}


def report(result: dict[str, Any]) -> None:
    """Print the runs of ``run`` (or any list of ``measure`` results) as two tables, with notes."""
    runs = result["runs"]
    print(
        f"\nLong-poll waiters: GET /api/v1/tasks/{{id}}/wait?timeout={WAIT_TIMEOUT}, released by "
        "POST /api/v1/tasks/{id}/cancel (the same bus path as a completion)"
    )
    print_table(
        [
            "target",
            "config",
            "waiters",
            "held",
            "per worker",
            "park s",
            "RSS before MiB",
            "parked MiB",
            "extra MiB",
            "KiB/waiter",
            "after MiB",
            "health while parked ms",
        ],
        [
            [
                r["target"],
                r["config"],
                r["waiters"],
                r["held"],
                "/".join(str(c) for c in r["held_per_worker"]),
                r["park_seconds"],
                r["rss_before_mib"],
                r["rss_parked_mib"],
                r["extra_mib"],
                r["kib_per_waiter"],
                r["rss_after_release_mib"],
                r["probe_ms"] if not math.isnan(r["probe_ms"]) else f"no answer in {PROBE_TIMEOUT:g} s",
            ]
            for r in runs
        ],
    )
    print()
    rows = []
    for r in runs:
        parts = [("paced, same worker", r["paced_same"], r["paced_rate_per_s"], r["paced_cores"])]
        if r.get("paced_across"):
            parts.append(
                ("paced, across workers", r["paced_across"], r["paced_rate_per_s"], r["paced_cores"])
            )
        if r.get("burst"):
            parts.append(("burst", r["burst"], r["burst_rate_per_s"], r["burst_cores"]))
        for label, s, rate, cores in parts:
            rows.append(
                [
                    r["target"],
                    r["config"],
                    r["waiters"],
                    label,
                    rate,
                    s["cancel_p50_ms"],
                    s["cancel_p99_ms"],
                    s["release_p50_ms"],
                    s["release_p99_ms"],
                    s["release_max_ms"],
                    s["release_min_ms"],
                    s["from_cancel_sent_p50_ms"],
                    s["from_cancel_sent_p99_ms"],
                    s["released"],
                    cores.get("other", math.nan),
                ]
            )
    print_table(
        [
            "target",
            "config",
            "waiters",
            "release",
            "cancels/s",
            "cancel p50",
            "cancel p99",
            "release p50 ms",
            "p99",
            "max",
            "min",
            "from sent p50",
            "p99",
            "released",
            "other cores",
        ],
        rows,
    )
    print(
        "paced: up to 1,000 waiters (half when fewer than 2,000) released at "
        f"{result.get('pace_per_s', PACE):g} cancels/s while the others stay parked;\n"
        "burst: the rest, all at once.\n"
        "release = waiter's answer minus the cancel's answer, in ms (negative: the waiter heard first);\n"
        "from sent = waiter's answer minus the moment its cancel was sent (includes the cancel's own time).\n"
        "other cores = CPU used by other programs on the machine meanwhile (disturbs the timings)."
    )
    for r in runs:
        for failure in r.get("create_failures", []):
            print(f"  creating the tasks failed (retried): {failure}; see {r.get('hpi_log')}")
        if r["not_parked"]:
            print(
                f"  {r['target']} {r['config']} {r['waiters']:,}: the server accepted only {r['held']:,} "
                f"connections; {r['not_parked']:,} waiters never parked ({r['not_parked_answered']:,} got an "
                "answer once slots freed) and are left out of the latency figures."
            )
        if r["cancel_errors"]:
            print(f"  {r['target']} {r['config']} {r['waiters']:,}: {r['cancel_errors']} cancels failed")
        for sample in r["bad_samples"]:
            print(f"  {r['target']} {r['config']} {r['waiters']:,} bad waiter: {sample}")


def main(argv: list[str] | None = None) -> int:
    """Command line: run the benchmark, print the tables, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="200 and 1,000 waiters instead of 1,000 and 10,000"
    )
    parser.add_argument("--waiters", type=int, nargs="+", help="waiters per run (default 1000 10000)")
    parser.add_argument("--config", default="sqlite1", help="server configurations: sqlite1, pg3 or both")
    parser.add_argument("--pace", type=float, default=PACE, help="cancels per second in the paced release")
    parser.add_argument("--no-baseline", action="store_true", help="measure HPI only")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    results = []
    for config in parse_configs(args.config):
        results.append(
            run(
                config=config,
                quick=args.quick,
                waiters=tuple(args.waiters) if args.waiters else None,
                pace=args.pace,
                baseline=not args.no_baseline,
            )
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    for result in results:
        report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
