"""Long-poll waiters: the memory a parked ``/wait`` costs, and how fast a change releases it.

For the baseline (``baseline_app.py``: Starlette, one ``asyncio.Future`` per waiter) and then for
HPI (``python -m hpi_app serve`` on a fresh store, 2 x N tasks created first):

1. Open the canceller's keep-alive connections, then park N waiters,
   ``GET /api/v1/tasks/{id}/wait?timeout=120``, one per task, each on its own connection, from
   client processes other than the canceller's. The core's event bus exposes no count over
   HTTP, so a waiter counts as parked once the server's process tree holds its connection
   (psutil, matched by the client's port) and the server's CPU has gone quiet (every handler has
   read its task and awaits the bus). The server's RSS (whole process tree) before parking and
   once parked gives memory per waiter. A fresh ``GET`` of the health route is then timed: can
   anyone else still get in?
2. Release them with ``POST /api/v1/tasks/{id}/cancel`` (HPI has no REST "complete" route yet;
   cancelling is a terminal change made through another request and published on the same
   bus), paced at a steady rate well under the server's capacity so the figure is propagation
   rather than queueing. Release latency, per waiter: from the moment the cancel's HTTP answer
   arrived (the commit happened before it) to the moment the waiter's answer arrived. Both are
   ``time.monotonic()`` readings, which on Linux are one clock for every process.
3. Park N more waiters (HPI: on the second batch of tasks) and release them in a burst: every
   cancel at once over 16 connections.

The canceller keeps 16 connections (not 32) because under Granian's defaults a worker holds at
most 1,024 connections at once (``backpressure`` = backlog 1,024 / workers, and Reflex sets
neither): 1,000 waiters + 16 + the health probe fit, 1,000 + 32 would not.

Run: ``python bench/waiters.py [--quick] [--waiters 10000] [--pace 100] [--no-baseline]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
import uuid
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from common import (
    SEED_TASK,
    CpuMeter,
    HttpError,
    LoadSpec,
    RawConnection,
    Server,
    make_token,
    mib,
    ms,
    percentile,
    print_table,
    raise_nofile,
    run_post_load,
    start_baseline,
    start_hpi,
)

WAITERS, QUICK_WAITERS = 1000, 200
PACE = 100.0
BURST_CONNECTIONS = 16
PACED_CONNECTIONS = 16
WAIT_TIMEOUT = 120
WAITERS_PER_PROCESS = 5000
CONNECTS_IN_FLIGHT = 200
PARK_STALL_SECONDS = 20.0
PROBE_TIMEOUT = 5.0
QUIET_CORES = 0.03


# --------------------------------------------------------------------------------------------
# The waiting side: client processes, one connection per waiter
# --------------------------------------------------------------------------------------------


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
    port: int, token: str, task_ids: list[str], timeout: int, sent: Any, abandon: Any
) -> list[WaitAnswer]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    gate = asyncio.Semaphore(CONNECTS_IN_FLIGHT)
    unsent = set(task_ids)

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
                    local = conn.local_port
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
        while unsent:
            if abandon.is_set():
                for task_id in list(unsent):
                    jobs[task_id].cancel()
                return
            await asyncio.sleep(0.2)

    watcher = asyncio.create_task(watch())
    answers = list(await asyncio.gather(*jobs.values()))
    watcher.cancel()
    return answers


def _waiter_process(
    port: int, token: str, task_ids: list[str], timeout: int, sent: Any, abandon: Any, out: Any
) -> None:
    raise_nofile(len(task_ids) + 256)
    out.put(asyncio.run(_park(port, token, task_ids, timeout, sent, abandon)))


class WaiterClients:
    """Client processes holding one ``/wait`` long-poll per task.

    Args:
        server: The server.
        token: A token with ``tasks:read`` ("" for the baseline).
        task_ids: One waiter per id.
        timeout: The ``timeout`` query parameter, in seconds.
    """

    def __init__(self, server: Server, token: str, task_ids: list[str], timeout: int = WAIT_TIMEOUT) -> None:
        ctx = get_context("spawn")
        self.count = len(task_ids)
        self._sent = ctx.Value("i", 0)
        self._abandon = ctx.Event()
        self._out = ctx.Queue()
        chunks = max(1, math.ceil(len(task_ids) / WAITERS_PER_PROCESS))
        self._procs = [
            ctx.Process(
                target=_waiter_process,
                args=(server.port, token, task_ids[i::chunks], timeout, self._sent, self._abandon, self._out),
                daemon=True,
            )
            for i in range(chunks)
        ]
        for proc in self._procs:
            proc.start()

    def sent(self) -> int:
        """Waiters whose request was written (or that gave up)."""
        return self._sent.value

    def abandon(self) -> None:
        """Give up on the waiters that have not connected yet."""
        self._abandon.set()

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


def _wait_parked(server: Server, clients: WaiterClients, others: int) -> tuple[set[tuple[str, int]], float]:
    """Wait until the server holds every waiter's connection and its CPU is quiet.

    Args:
        server: The server.
        clients: The waiters.
        others: Connections the server holds that are not waiters (the canceller's).

    Returns:
        The client ends of the connections the server holds, and seconds until then.
    """
    t0 = time.monotonic()
    last, last_change = -1, t0
    while True:
        held = server.connections() - others
        if held >= clients.count and clients.sent() >= clients.count:
            break
        if held != last:
            last, last_change = held, time.monotonic()
        elif time.monotonic() - last_change > PARK_STALL_SECONDS:
            print(f"  parking stalled at {held:,} of {clients.count:,} connections", flush=True)
            clients.abandon()
            while clients.sent() < clients.count:
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


# --------------------------------------------------------------------------------------------
# The releasing side: cancels from this process
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CancelAnswer:
    """One cancel: when it was sent and answered.

    Attributes:
        task_id: The task cancelled.
        status: The HTTP status (0 when the connection failed).
        sent: ``time.monotonic()`` when the request was written.
        at: ``time.monotonic()`` when its whole answer had arrived.
    """

    task_id: str
    status: int
    sent: float
    at: float


class Canceller:
    """Keep-alive connections, opened before the waiters park so that they always get a slot.

    Args:
        server: The server.
        token: A token with ``tasks:create`` ("" for the baseline).
        connections: How many connections to hold.
    """

    _BODY = json.dumps({"reason": "released by bench/waiters.py"}).encode()

    def __init__(self, server: Server, token: str, connections: int) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.conns = [RawConnection("127.0.0.1", server.port, headers) for _ in range(connections)]

    async def open(self) -> None:
        """Connect every connection."""
        await asyncio.gather(*(c.connect() for c in self.conns))

    async def cancel_all(self, task_ids: list[str], pace: float | None) -> list[CancelAnswer]:
        """Cancel each task, ``pace`` per second, or all at once over the connections when None."""
        pool: asyncio.Queue[RawConnection] = asyncio.Queue()
        for conn in self.conns:
            pool.put_nowait(conn)
        answers: list[CancelAnswer] = []

        async def one(task_id: str) -> None:
            conn = await pool.get()
            sent = time.monotonic()
            status = 0
            for _attempt in range(2):  # once more on a fresh connection if the server closed it
                try:
                    status, _ = await conn.request("POST", f"/api/v1/tasks/{task_id}/cancel", self._BODY)
                    break
                except HttpError:
                    sent = time.monotonic()
            answers.append(CancelAnswer(task_id, status, sent, time.monotonic()))
            pool.put_nowait(conn)

        jobs = []
        start = time.monotonic() + 0.05
        for i, task_id in enumerate(task_ids):
            if pace:
                await asyncio.sleep(max(0.0, start + i / pace - time.monotonic()))
            jobs.append(asyncio.create_task(one(task_id)))
        await asyncio.gather(*jobs)
        return answers

    async def close(self) -> None:
        """Close every connection."""
        for conn in self.conns:
            await conn.close()


# --------------------------------------------------------------------------------------------
# One run: park, measure, release, measure
# --------------------------------------------------------------------------------------------


def _release_run(
    server: Server, target: str, token: str, health: str, task_ids: list[str], mode: str, pace: float
) -> dict[str, Any]:
    # One event loop for the canceller's connections, run only while they work: the waiting in
    # between is plain blocking code, so Ctrl-C stops the run (and its servers) at once.
    n = len(task_ids)
    paced = mode == "paced"
    loop = asyncio.new_event_loop()
    canceller = Canceller(server, token, PACED_CONNECTIONS if paced else BURST_CONNECTIONS)
    clients = None
    try:
        loop.run_until_complete(canceller.open())
        _wait_quiet(server)
        rss_before = server.rss()
        clients = WaiterClients(server, token, task_ids)
        peers, park_s = _wait_parked(server, clients, len(canceller.conns))
        rss_parked = server.rss()
        probe = loop.run_until_complete(_probe(server, health))
        held = len(peers) - len(canceller.conns)
        print(f"  {target} {mode}: {held:,} waiters held after {park_s:.1f} s; releasing", flush=True)
        meter = CpuMeter(server).start()
        t0 = time.monotonic()
        cancels = loop.run_until_complete(canceller.cancel_all(task_ids, pace if paced else None))
        cancel_s = time.monotonic() - t0
        waits = clients.collect(WAIT_TIMEOUT + 60)
        cores = meter.stop()
    finally:
        if clients is not None:
            clients.stop()
        loop.run_until_complete(canceller.close())
        loop.close()
    _wait_quiet(server)
    rss_after = server.rss()

    held_ports = {port for _host, port in peers}
    by_task = {c.task_id: c for c in cancels}
    from_answer, from_sent, bad, not_parked = [], [], [], []
    for wait in waits:
        cancel = by_task.get(wait.task_id)
        if wait.port not in held_ports:
            not_parked.append(wait)
        elif wait.status != 200 or wait.task_status != "cancelled" or cancel is None or cancel.status != 200:
            bad.append(wait)
        else:
            from_answer.append(wait.at - cancel.at)
            from_sent.append(wait.at - cancel.sent)
    cancel_latency = [c.at - c.sent for c in cancels if c.status == 200]
    return {
        "target": target,
        "mode": mode,
        "waiters": n,
        "held": held,
        "park_seconds": round(park_s, 1),
        "probe_ms": ms(probe),
        "rss_before_mib": mib(rss_before),
        "rss_parked_mib": mib(rss_parked),
        "rss_after_release_mib": mib(rss_after),
        "kib_per_waiter": round((rss_parked - rss_before) / max(held, 1) / 1024, 1),
        "cancel_rate_per_s": round(n / cancel_s, 1),
        "cancel_connections": len(canceller.conns),
        "cancel_errors": sum(1 for c in cancels if c.status != 200),
        "cancel_p50_ms": ms(percentile(cancel_latency, 50)),
        "cancel_p99_ms": ms(percentile(cancel_latency, 99)),
        "released": len(from_answer),
        "bad_waiters": len(bad),
        "bad_samples": [f"{w.task_id}: {w.status} {w.task_status} {w.error}" for w in bad[:5]],
        "not_parked": len(not_parked),
        "not_parked_answered": sum(1 for w in not_parked if w.status == 200),
        "release_p50_ms": ms(percentile(from_answer, 50)),
        "release_p99_ms": ms(percentile(from_answer, 99)),
        "release_max_ms": ms(max(from_answer, default=math.nan)),
        "release_min_ms": ms(min(from_answer, default=math.nan)),
        "from_cancel_sent_p50_ms": ms(percentile(from_sent, 50)),
        "from_cancel_sent_p99_ms": ms(percentile(from_sent, 99)),
        "from_cancel_sent_max_ms": ms(max(from_sent, default=math.nan)),
        "release_cores": cores,
    }


def _create_tasks(server: Server, token: str, count: int) -> tuple[list[str], list[str]]:
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
            headers={"Authorization": f"Bearer {token}"},
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
    *, quick: bool = False, waiters: int | None = None, pace: float = PACE, baseline: bool = True
) -> dict[str, Any]:
    """Park waiters and release them paced, then again in a burst: on the baseline, then on HPI.

    Args:
        quick: 200 waiters instead of 1,000.
        waiters: How many waiters to park per run (overrides ``quick``).
        pace: Cancels per second in the paced runs.
        baseline: Also measure ``baseline_app.py`` (a Future per waiter) first.

    Returns:
        ``{"runs": [...], ...}`` with memory and latency figures, one entry per (target, mode).
    """
    n = waiters or (QUICK_WAITERS if quick else WAITERS)
    raise_nofile(n + 1024)
    runs = []
    if baseline:
        print(f"waiters: baseline (Starlette, a Future per waiter), {n:,} waiters per run", flush=True)
        with start_baseline() as base:
            ids = [str(uuid.uuid4()) for _ in range(2 * n)]
            for mode, batch in (("paced", ids[:n]), ("burst", ids[n:])):
                runs.append(_release_run(base, "baseline", "", "/health", batch, mode, pace))
    print(f"waiters: HPI (python -m hpi_app serve), {n:,} waiters per run", flush=True)
    with start_hpi() as server:
        token = make_token(server)
        t0 = time.monotonic()
        ids, create_failures = _create_tasks(server, token, 2 * n)
        print(f"  created {len(ids):,} tasks in {time.monotonic() - t0:.1f} s", flush=True)
        for mode, batch in (("paced", ids[:n]), ("burst", ids[n:])):
            runs.append(_release_run(server, "HPI", token, "/api/v1/health", batch, mode, pace))
    return {
        "waiters": n,
        "pace_per_s": pace,
        "wait_timeout_s": WAIT_TIMEOUT,
        "runs": runs,
        "create_failures": create_failures,
        "hpi_log": str(server.saved_log),
    }


def report(result: dict[str, Any]) -> None:
    """Print the runs of ``run`` as two tables, with notes."""
    runs = result["runs"]
    print(
        f"\nLong-poll waiters: {result['waiters']:,} x GET /api/v1/tasks/{{id}}/wait?timeout="
        f"{result['wait_timeout_s']} per run, released by POST /api/v1/tasks/{{id}}/cancel "
        "(HPI has no REST complete route yet)"
    )
    print_table(
        [
            "target",
            "run",
            "held",
            "park s",
            "RSS before MiB",
            "parked MiB",
            "KiB/waiter",
            "after MiB",
            "health while parked ms",
        ],
        [
            [
                r["target"],
                r["mode"],
                r["held"],
                r["park_seconds"],
                r["rss_before_mib"],
                r["rss_parked_mib"],
                r["kib_per_waiter"],
                r["rss_after_release_mib"],
                r["probe_ms"] if not math.isnan(r["probe_ms"]) else f"no answer in {PROBE_TIMEOUT:g} s",
            ]
            for r in runs
        ],
    )
    print()
    print_table(
        [
            "target",
            "run",
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
            "bad",
            "other cores",
        ],
        [
            [
                r["target"],
                f"{r['mode']} ({r['cancel_connections']} conns)",
                r["cancel_rate_per_s"],
                r["cancel_p50_ms"],
                r["cancel_p99_ms"],
                r["release_p50_ms"],
                r["release_p99_ms"],
                r["release_max_ms"],
                r["release_min_ms"],
                r["from_cancel_sent_p50_ms"],
                r["from_cancel_sent_p99_ms"],
                r["released"],
                r["bad_waiters"] + r["cancel_errors"],
                r["release_cores"]["other"],
            ]
            for r in runs
        ],
    )
    print(
        f"paced: {result['pace_per_s']:g} cancels/s; burst: all cancels at once over the connections shown.\n"
        "release = waiter's answer minus the cancel's answer, in ms (negative: the waiter heard first);\n"
        "from sent = waiter's answer minus the moment its cancel was sent (includes the cancel's own time).\n"
        "other cores = CPU used by other programs on the machine meanwhile (disturbs the timings)."
    )
    for failure in result.get("create_failures", []):
        print(f"  creating the tasks failed (retried): {failure}; see {result['hpi_log']}")
    for r in runs:
        if r["not_parked"]:
            print(
                f"  {r['target']} {r['mode']}: the server accepted only {r['held']:,} of {r['waiters']:,} "
                f"connections; {r['not_parked']:,} waiters never parked ({r['not_parked_answered']:,} got an "
                "answer once slots freed) and are left out of the latency figures. Granian's default "
                "backpressure (backlog 1,024 / workers) caps the connections a worker holds open at once."
            )
        for sample in r["bad_samples"]:
            print(f"  {r['target']} {r['mode']} bad waiter: {sample}")


def main(argv: list[str] | None = None) -> int:
    """Command line: run the benchmark, print the tables, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 waiters instead of 1,000")
    parser.add_argument("--waiters", type=int, help="waiters per run (e.g. 10000)")
    parser.add_argument("--pace", type=float, default=PACE, help="cancels per second in the paced runs")
    parser.add_argument("--no-baseline", action="store_true", help="measure HPI only")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    result = run(quick=args.quick, waiters=args.waiters, pace=args.pace, baseline=not args.no_baseline)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)
    report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
