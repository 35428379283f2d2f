"""Push delivery: completion → webhook received latency, and how fast a backlog of 1,000 drains.

In-process: the domain core completes tasks and the real ``DeliveryWorker`` runs on this
process's event loop against a fresh migrated store (SQLite by default, ``--pg`` for the local
PostgreSQL). The receiver is a minimal keep-alive HTTP server in a separate process that stamps
each request's arrival with the system-wide monotonic clock, so receiving costs the worker's
process nothing.

- latency: with the worker idle, complete one task at a time (each with one webhook sink) and
  time from calling ``complete_task`` to the request arriving at the receiver (and from the
  commit returning to arrival); p50 / p99 / max over ``--tasks`` completions.
- drain: with the worker stopped, queue ``--backlog`` deliveries in the outbox, start a worker
  and time until the receiver has all of them, and until the store shows every one delivered
  (attempt logged); deliveries per second from the latter.

Served (``measure_served``, what ``run_all.py`` runs): against a running server (HPI as
``python -m hpi_app serve`` in a ``configs.ServerConfig``, or the baseline), create tasks with one
webhook sink pointing at the receiver, then cancel them one at a time over HTTP (HPI has no REST
"complete" route; a cancel queues a ``task.cancelled`` delivery in the same way a completion
queues ``task.completed``) and time from the cancel's answer, and from its sending, to the
webhook's arrival. With several workers the cancels rotate over each worker's connection and any
worker's delivery worker may send.

Run: ``python bench/deliveries.py [--tasks 200] [--backlog 1000] [--concurrency 16] [--pg]``
(in-process) or ``python bench/deliveries.py --served [--config sqlite1,pg3] [--tasks 200]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import queue
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


def receiver_main(port: int, arrivals: multiprocessing.Queue, ready: multiprocessing.Event) -> None:
    """A tiny HTTP/1.1 server answering 200 to every POST; reports ``(task_id, webhook_id, t)``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                at = time.monotonic()
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                await reader.readexactly(int(headers.get("content-length", "0")))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                arrivals.put((headers.get("x-webhook-task-id"), headers.get("webhook-id"), at))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def pct(values: list[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def set_up_store(pg: bool, workdir: Path) -> str:
    """Point the environment at a fresh store before ``hpi_app`` is imported; its URL."""
    os.environ["HPI_DATA_DIR"] = str(workdir / "data")
    os.environ["HPI_WEBHOOK_ALLOW_PRIVATE"] = "1"  # the bench's receiver listens on 127.0.0.1
    if pg:
        from sqlalchemy import create_engine, text

        name = f"hpi_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(
            f"{PG_SERVER}/postgres".replace("://", "+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = f"{PG_SERVER}/{name}"
    else:
        url = f"sqlite:///{workdir / 'hpi.db'}"
    os.environ["REFLEX_DB_URL"] = url
    return url


def drop_pg(url: str) -> None:
    """Drop the benchmark's PostgreSQL database."""
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    admin = create_engine(
        f"{PG_SERVER}/postgres".replace("://", "+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


async def measure_latency(
    user, url: str, count: int, arrivals: multiprocessing.Queue, concurrency: int
) -> dict:
    """Complete ``count`` tasks one by one with the worker idle; time each to its webhook."""
    from bodies import SEED_TASK

    from hpi_app.core import tasks
    from hpi_app.core.principal import Principal
    from hpi_app.core.tasks.input import TaskCreate
    from hpi_app.workers.delivery import DeliveryWorker

    principal = Principal(org_id=user.org_id, user_id=user.id, scopes=frozenset({"tasks:create"}))
    sink = {"type": "webhook", "url": url, "secret": "bench-secret-123"}
    body = TaskCreate.model_validate({**SEED_TASK, "sinks": [sink]})
    ids = [tasks.create_task(principal, body).task.id for _ in range(count + 5)]
    worker = asyncio.create_task(DeliveryWorker(concurrency=concurrency).run())
    total, after_commit = [], []
    try:
        for n, task_id in enumerate(ids):
            await asyncio.sleep(0.005)  # let the worker settle back to idle
            began = time.monotonic()
            await asyncio.to_thread(tasks.complete_task, task_id, {"decision": "Approve"})
            committed = time.monotonic()
            got_task, _webhook_id, at = await asyncio.to_thread(arrivals.get, True, 10)
            assert got_task == task_id, (got_task, task_id)
            if n >= 5:  # warm-up
                total.append((at - began) * 1000)
                after_commit.append((at - committed) * 1000)
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    return {
        "completions": count,
        "complete_to_received_ms": {
            p: round(pct(total, q), 2) for p, q in (("p50", 50), ("p99", 99), ("max", 100))
        },
        "commit_to_received_ms": {
            p: round(pct(after_commit, q), 2) for p, q in (("p50", 50), ("p99", 99), ("max", 100))
        },
    }


async def measure_drain(
    user, url: str, count: int, arrivals: multiprocessing.Queue, concurrency: int
) -> dict:
    """Queue ``count`` deliveries with no worker running, then time one worker draining them."""
    from sqlmodel import func, select

    from hpi_app.core import outbox, tasks
    from hpi_app.db import session_scope
    from hpi_app.models import Delivery
    from hpi_app.workers.delivery import DeliveryWorker

    sink = {"type": "webhook", "url": url, "secret": "bench-secret-123", "events": ["completed"]}
    rows = []
    for _ in range(count):
        task_id = str(uuid.uuid4())
        body = {
            "source": "hpi",
            "event": "task.completed",
            "task_id": task_id,
            "correlation_key": None,
            "timestamp": "2026-01-01T00:00:00.000Z",
            "data": {"decision": "Approve", "comments": "benchmark"},
        }
        rows.append(
            outbox.new_delivery(
                org_id=user.org_id,
                event="task.completed",
                sink=sink,
                body=body,
                subject=tasks.subject(task_id),
            )
        )
    with session_scope(write=True) as session:
        session.add_all(rows)
        session.commit()

    ids = [row.id for row in rows]

    def delivered() -> int:
        with session_scope() as session:
            return session.exec(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status == "delivered", Delivery.id.in_(ids))
            ).one()

    began = time.monotonic()
    worker = asyncio.create_task(DeliveryWorker(concurrency=concurrency).run())
    seen: set[str] = set()
    last_arrival = began
    try:
        while len(seen) < count:
            try:
                _task, webhook_id, at = await asyncio.to_thread(arrivals.get, True, 30)
            except queue.Empty:
                break
            seen.add(webhook_id)
            last_arrival = max(last_arrival, at)
        while await asyncio.to_thread(delivered) < count and time.monotonic() - began < 120:
            await asyncio.sleep(0.01)
        recorded = time.monotonic()
    finally:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    done = await asyncio.to_thread(delivered)
    return {
        "backlog": count,
        "concurrency": concurrency,
        "received": len(seen),
        "delivered_in_store": done,
        "all_received_s": round(last_arrival - began, 3),
        "all_recorded_s": round(recorded - began, 3),
        "deliveries_per_s": round(done / (recorded - began), 1),
    }


async def run(args: argparse.Namespace, arrivals: multiprocessing.Queue, url: str) -> dict:
    from hpi_app.core import accounts
    from hpi_app.migrations import migrate

    migrate()
    user = accounts.create_user("bench@example.com", "correct horse battery", role="admin", org_name="Bench")
    latency = await measure_latency(user, url, args.tasks, arrivals, args.concurrency)
    drains = [await measure_drain(user, url, args.backlog, arrivals, c) for c in args.drain_concurrency]
    return {"latency": latency, "drain": drains}


class Receiver:
    """The webhook receiver in its own process (``receiver_main``), for a ``with`` block."""

    def __enter__(self) -> Receiver:
        from processes import free_port

        ctx = multiprocessing.get_context("spawn")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.arrivals, ready = ctx.Queue(), ctx.Event()
        self.proc = ctx.Process(target=receiver_main, args=(self.port, self.arrivals, ready), daemon=True)
        self.proc.start()
        if not ready.wait(15):
            self.__exit__()
            raise RuntimeError("the receiver did not start")
        return self

    def __exit__(self, *_exc: object) -> None:
        self.proc.terminate()
        self.proc.join(5)


def measure_served(server, count: int = 200, warmup: int = 5, gap: float = 0.02) -> dict:
    """Cancel ``count`` tasks with a webhook sink one at a time on a running server; time each webhook.

    Args:
        server: A ``servers.Server``: HPI (``server.headers`` authenticate) or the baseline.
        count: Cancels timed (after ``warmup`` more).
        warmup: Cancels not timed, first.
        gap: Seconds between one webhook's arrival and the next cancel (the server settles).

    Returns:
        p50/p99/max from the cancel's answer and from its sending to the webhook's arrival.
    """
    from bodies import SEED_TASK
    from load import LoadSpec, run_post_load
    from measure import ms, percentile
    from raw_http import RawConnection

    with Receiver() as receiver:
        sink = {"type": "webhook", "url": receiver.url, "secret": "bench-secret-123"}
        made = run_post_load(
            LoadSpec(
                url=f"{server.url}/api/v1/tasks",
                body={**SEED_TASK, "sinks": [sink]},
                headers=server.headers,
                count=count + warmup,
                concurrency=8,
                keep_answers=True,
            )
        )
        if made.errors:
            raise RuntimeError(f"creating tasks failed: {made.error_samples}")
        ids = [a["task_id"] for a in made.answers]

        async def cancel_all() -> tuple[list[float], list[float], list[str]]:
            conns = []
            for _ in range(server.config.workers * 10):  # one connection per worker
                conn = RawConnection("127.0.0.1", server.port, server.headers)
                await conn.request("GET", "/api/v1/health")
                conns.append(conn)
            where = server.worker_of_ports(c.local_port for c in conns)
            per_worker = {}
            for conn in conns:
                per_worker.setdefault(where.get(conn.local_port), conn)
            per_worker.pop(None, None)
            use = list(per_worker.values())
            from_answer, from_sent, problems = [], [], []
            body = json.dumps({"reason": "bench/deliveries.py"}).encode()
            try:
                for n, task_id in enumerate(ids):
                    await asyncio.sleep(gap)
                    sent = time.monotonic()
                    status, text = await use[n % len(use)].request(
                        "POST", f"/api/v1/tasks/{task_id}/cancel", body
                    )
                    answered = time.monotonic()
                    if status != 200:
                        problems.append(f"cancel {status}: {text[:200]!r}")
                        continue
                    try:
                        got_task, _webhook_id, at = await asyncio.to_thread(receiver.arrivals.get, True, 10)
                    except queue.Empty:
                        problems.append(f"no webhook for {task_id} within 10 s")
                        continue
                    if got_task != task_id:
                        problems.append(f"webhook for {got_task} while waiting for {task_id}")
                        continue
                    if n >= warmup:
                        from_answer.append(at - answered)
                        from_sent.append(at - sent)
            finally:
                for conn in conns:
                    await conn.close()
            return from_answer, from_sent, problems

        from_answer, from_sent, problems = asyncio.run(cancel_all())
    return {
        "target": server.name,
        "config": server.config.name,
        "cancels": count,
        "received": len(from_answer),
        "from_answer_p50_ms": ms(percentile(from_answer, 50)),
        "from_answer_p99_ms": ms(percentile(from_answer, 99)),
        "from_answer_max_ms": ms(max(from_answer, default=float("nan"))),
        "from_sent_p50_ms": ms(percentile(from_sent, 50)),
        "from_sent_p99_ms": ms(percentile(from_sent, 99)),
        "problems": problems[:5],
        "problem_count": len(problems),
    }


def run_served(config=None, count: int = 200, baseline: bool = True) -> list[dict]:
    """``measure_served`` on the baseline (unless told not to), then on HPI, in ``config``."""
    from configs import SQLITE1
    from launch import start_server

    config = config or SQLITE1
    results = []
    for kind in ("baseline", "HPI") if baseline else ("HPI",):
        print(f"webhooks: {kind} ({config.label}), {count} cancels", flush=True)
        with start_server(kind, config) as server:
            results.append(measure_served(server, count))
    return results


def report_served(results: list[dict]) -> None:
    """Print the results of ``run_served``."""
    print("\nCancel (over HTTP) → webhook received, one at a time")
    print(
        f"{'target':<9} {'config':<8} {'cancels':>7} {'from answer p50':>16} {'p99':>7} {'max':>7} "
        f"{'from sent p50':>14} {'p99':>7}"
    )
    for r in results:
        print(
            f"{r['target']:<9} {r['config']:<8} {r['received']:>7} {r['from_answer_p50_ms']:>16} "
            f"{r['from_answer_p99_ms']:>7} {r['from_answer_max_ms']:>7} {r['from_sent_p50_ms']:>14} "
            f"{r['from_sent_p99_ms']:>7}"
        )
        for problem in r["problems"]:
            print(f"  {r['target']} {r['config']}: {problem}")


def main(argv: list[str] | None = None) -> int:
    """Run both measurements and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200, help="completions timed for latency (default 200)")
    parser.add_argument(
        "--backlog", type=int, default=1000, help="deliveries queued for the drain (default 1,000)"
    )
    parser.add_argument("--concurrency", type=int, default=16, help="worker concurrency for the latency run")
    parser.add_argument(
        "--drain-concurrency",
        type=int,
        nargs="+",
        default=[16, 64],
        help="worker concurrencies to drain with",
    )
    parser.add_argument("--pg", action="store_true", help="use a fresh database on the local PostgreSQL")
    parser.add_argument(
        "--wait-quiet", type=float, default=60.0, metavar="S", help="wait up to S s for other load to settle"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--served", action="store_true", help="time cancel → webhook against served apps")
    parser.add_argument("--config", default="sqlite1", help="with --served: sqlite1, pg3 or both")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from configs import parse_configs
    from measure import wait_for_quiet_machine
    from processes import stop_on_sigterm

    stop_on_sigterm()

    if args.served:
        served = [r for config in parse_configs(args.config) for r in run_served(config, args.tasks)]
        report_served(served)
        if args.json:
            Path(args.json).write_text(json.dumps(served, indent=2))
        return 0

    busy = wait_for_quiet_machine(args.wait_quiet) if args.wait_quiet > 0 else float("nan")
    workdir = Path(tempfile.mkdtemp(prefix="hpi-bench-deliveries-"))
    db_url = set_up_store(args.pg, workdir)
    sys.path.insert(0, str(ROOT))
    from processes import free_port

    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    arrivals, ready = ctx.Queue(), ctx.Event()
    receiver = ctx.Process(target=receiver_main, args=(port, arrivals, ready), daemon=True)
    receiver.start()
    try:
        if not ready.wait(15):
            raise RuntimeError("the receiver did not start")
        figures = asyncio.run(run(args, arrivals, f"http://127.0.0.1:{port}/hook"))
    finally:
        receiver.terminate()
        receiver.join(5)
        if args.pg:
            from hpi_app import db

            db.get_engine().dispose()
            drop_pg(db_url)
        shutil.rmtree(workdir, ignore_errors=True)
    figures["store"] = "postgresql" if args.pg else "sqlite"
    figures["busy_cores_before"] = round(busy, 2)
    lat = figures["latency"]
    print(f"Push delivery benchmark (in-process core + DeliveryWorker, store: {figures['store']})")
    print(f"  machine: {os.cpu_count()} cores, {busy:.2f} busy with other work before starting")
    print(f"  completion -> webhook received, {lat['completions']} completions one at a time:")
    for label, key in (
        ("from complete_task call", "complete_to_received_ms"),
        ("from commit", "commit_to_received_ms"),
    ):
        v = lat[key]
        print(f"    {label:<24} p50 {v['p50']:7.2f} ms   p99 {v['p99']:7.2f} ms   max {v['max']:7.2f} ms")
    for drain in figures["drain"]:
        print(
            f"  drain {drain['backlog']} queued deliveries, concurrency {drain['concurrency']}: "
            f"all received in {drain['all_received_s']:.2f} s, "
            f"all recorded in {drain['all_recorded_s']:.2f} s "
            f"-> {drain['deliveries_per_s']:.0f} deliveries/s "
            f"({drain['received']} received, {drain['delivered_in_store']} delivered)"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
