"""MCP waiting: tool call → person completes → tool result, beside a plain ``/wait`` long-poll.

Against ``python -m hpi_app serve`` (1 Granian worker on SQLite, ``configs.SQLITE1``), with the
official ``mcp`` SDK's client over Streamable HTTP at ``/mcp``:

1. **Latency**, in one server, samples alternating: (a) ``ask_approval`` is called and parks (its
   first progress notification arrived and the server's CPU went quiet), then ``POST
   /api/v1/tasks/{id}/complete`` is sent; (b) a task is created over REST, ``GET
   /api/v1/tasks/{id}/wait`` parks (the server holds it and is quiet), then the same complete is
   sent. Latency = from just before the complete is sent to the moment the tool result (a) or the
   ``/wait`` answer (b) arrived, ``time.monotonic()`` in this one process.
2. **Memory** per waiting call, each on a fresh server: N concurrent ``ask_approval`` calls (each
   creates its task and parks), and N ``/wait`` long-polls on N tasks created over REST. Extra =
   RSS of the server's process tree once all are parked and the CPU is quiet, minus just before
   the first request (so the MCP figure includes creating the tasks, and the ``/wait`` one does
   too).

Run: ``python bench/mcp_wait.py [--samples 100] [--waiting 1000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

import httpx
import httpx2
from bodies import SEED_TASK
from configs import SQLITE1
from launch import make_token, start_hpi
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from measure import mib, ms, percentile
from processes import raise_nofile, stop_on_sigterm
from report import print_table
from servers import Server

SAMPLES, WAITING = 100, 1000
QUICK_SAMPLES, QUICK_WAITING = 20, 200
QUIET_CORES = 0.03
TOOL_TIMEOUT = 600


def _mcp(server: Server, token: str) -> Client:
    http = httpx2.AsyncClient(
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx2.Timeout(60, read=None),
        limits=httpx2.Limits(max_connections=None, max_keepalive_connections=None),
    )
    return Client(streamable_http_client(f"{server.url}/mcp", http_client=http))


def _rest(server: Server, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=server.url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(60, read=None),
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=None),
    )


def _quiet(server: Server, window: float = 0.1, limit: float = 60.0) -> None:
    """Wait until the server's CPU stays under ``QUIET_CORES`` for two windows in a row."""
    deadline = time.monotonic() + limit
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline:
        cpu0 = server.cpu_seconds()
        time.sleep(window)
        quiet = quiet + 1 if (server.cpu_seconds() - cpu0) / window < QUIET_CORES else 0


class _Call:
    """One ``ask_approval`` in the background: when it parked, when its result arrived."""

    def __init__(self, client: Client, title: str) -> None:
        self.parked = asyncio.Event()
        self.done_at = 0.0
        self.task = asyncio.create_task(self._run(client, title))

    async def _progress(self, *_args: Any) -> None:
        self.parked.set()

    async def _run(self, client: Client, title: str) -> Any:
        result = await client.call_tool(
            "ask_approval",
            {"title": title, "timeout_seconds": TOOL_TIMEOUT},
            progress_callback=self._progress,
        )
        self.done_at = time.monotonic()
        return result


async def _pending_task_id(rest: httpx.AsyncClient) -> str:
    answer = await rest.get("/api/v1/tasks", params={"status": "pending", "limit": 1})
    return answer.json()["tasks"][0]["task_id"]


async def _complete(rest: httpx.AsyncClient, task_id: str, decision: str) -> float:
    sent = time.monotonic()
    answer = await rest.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"decision": decision}})
    if answer.status_code != 200:
        raise RuntimeError(f"complete answered {answer.status_code}: {answer.text}")
    return sent


async def _latency(server: Server, token: str, samples: int) -> dict[str, Any]:
    mcp_ms: list[float] = []
    wait_ms: list[float] = []
    async with _mcp(server, token) as client, _rest(server, token) as rest:
        for n in range(samples):
            call = _Call(client, f"Bench approval {n}")
            await asyncio.wait_for(call.parked.wait(), 60)
            task_id = await _pending_task_id(rest)
            await asyncio.to_thread(_quiet, server)
            sent = await _complete(rest, task_id, "approve")  # ask_approval's option value
            result = await call.task
            if result.structured_content.get("status") != "completed":
                raise RuntimeError(f"the tool answered {result}")
            mcp_ms.append(ms(call.done_at - sent))

            created = (await rest.post("/api/v1/tasks", json=SEED_TASK)).json()
            # A fresh connection per long-poll, so the server holding one more tells it arrived.
            async with _rest(server, token) as waits:
                held = server.connections()
                path = f"/api/v1/tasks/{created['task_id']}/wait"
                waiter = asyncio.create_task(waits.get(path, params={"timeout": 300}))
                while server.connections() <= held and not waiter.done():
                    await asyncio.sleep(0.005)
                await asyncio.to_thread(_quiet, server)
                sent = await _complete(rest, created["task_id"], "Approve")  # the quick-start task's
                answer = await waiter
                wait_ms.append(ms(time.monotonic() - sent))
            if answer.status_code != 200:
                raise RuntimeError(f"/wait answered {answer.status_code}: {answer.text} (sample {n})")
    return {"samples": samples, "mcp": _stats(mcp_ms), "wait": _stats(wait_ms)}


def _stats(values: list[float]) -> dict[str, float]:
    return {"p50_ms": percentile(values, 50), "p99_ms": percentile(values, 99), "max_ms": max(values)}


async def _park_mcp(server: Server, token: str, n: int) -> dict[str, Any]:
    rss0 = server.rss()
    async with _mcp(server, token) as client:
        calls = [_Call(client, f"Bench parked {i}") for i in range(n)]
        await asyncio.wait_for(asyncio.gather(*(c.parked.wait() for c in calls)), 600)
        await asyncio.to_thread(_quiet, server, 0.5)
        rss1 = server.rss()
        for call in calls:
            call.task.cancel()
        await asyncio.gather(*(c.task for c in calls), return_exceptions=True)
    return {"waiting": n, "extra_mib": mib(rss1 - rss0), "kib_per_call": (rss1 - rss0) / n / 1024}


async def _park_wait(server: Server, token: str, n: int) -> dict[str, Any]:
    rss0 = server.rss()
    async with _rest(server, token) as rest, _rest(server, token) as waits:
        ids = [(await rest.post("/api/v1/tasks", json=SEED_TASK)).json()["task_id"] for _ in range(n)]
        held = server.connections()
        polls = [
            asyncio.create_task(waits.get(f"/api/v1/tasks/{i}/wait", params={"timeout": 300})) for i in ids
        ]
        deadline = time.monotonic() + 600
        while server.connections() < held + n and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.to_thread(_quiet, server, 0.5)
        rss1 = server.rss()
        for poll in polls:
            poll.cancel()
        await asyncio.gather(*polls, return_exceptions=True)
    return {"waiting": n, "extra_mib": mib(rss1 - rss0), "kib_per_call": (rss1 - rss0) / n / 1024}


def measure(samples: int = SAMPLES, waiting: int = WAITING) -> dict[str, Any]:
    """Every figure of this benchmark, each session on a fresh HPI server (``sqlite1``)."""
    raise_nofile()
    out: dict[str, Any] = {}
    with start_hpi(SQLITE1) as server:
        out["latency"] = asyncio.run(_latency(server, make_token(server), samples))
    with start_hpi(SQLITE1) as server:
        out["memory_mcp"] = asyncio.run(_park_mcp(server, make_token(server), waiting))
    with start_hpi(SQLITE1) as server:
        out["memory_wait"] = asyncio.run(_park_wait(server, make_token(server), waiting))
    return out


def report(result: dict[str, Any]) -> None:
    """Print the figures as two small tables."""
    lat = result["latency"]
    print(f"\nComplete → answer, {lat['samples']} samples each, alternating, 1 worker (sqlite1):")
    print_table(
        ["path", "p50 ms", "p99 ms", "max ms"],
        [
            [name, s["p50_ms"], s["p99_ms"], s["max_ms"]]
            for name, s in (
                ("MCP ask_approval (tool result)", lat["mcp"]),
                ("REST /wait long-poll", lat["wait"]),
            )
        ],
        left=1,
    )
    print("\nMemory of waiting calls (server RSS, whole process tree, fresh server each):")
    print_table(
        ["parked", "count", "extra MiB", "KiB each"],
        [
            [name, m["waiting"], m["extra_mib"], m["kib_per_call"]]
            for name, m in (("MCP ask_approval", result["memory_mcp"]), ("REST /wait", result["memory_wait"]))
        ],
        left=1,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_SAMPLES} samples, {QUICK_WAITING} waiting"
    )
    parser.add_argument("--samples", type=int, help=f"latency samples per path (default {SAMPLES})")
    parser.add_argument(
        "--waiting", type=int, help=f"concurrent waiting calls for memory (default {WAITING})"
    )
    args = parser.parse_args(argv)
    stop_on_sigterm()
    samples = args.samples or (QUICK_SAMPLES if args.quick else SAMPLES)
    waiting = args.waiting or (QUICK_WAITING if args.quick else WAITING)
    report(measure(samples, waiting))
    return 0


if __name__ == "__main__":
    sys.exit(main())
