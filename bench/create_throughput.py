"""Task creation throughput: HPI's ``POST /api/v1/tasks`` beside the bare baseline (``baseline_app.py``).

Both servers run on this machine, one after the other, in the same configuration
(``configs.ServerConfig``: 1 Granian worker on SQLite, or 3 on PostgreSQL + Redis). The same
client sends the quick-start task body over real HTTP from 32 keep-alive connections, each with
one request in flight (a closed loop), first a warm-up that is not measured, then N requests.
Each row reports requests per second, latency percentiles, errors, and the CPU cores the client
and the server kept busy, so a client-bound row shows itself.

Run: ``python bench/create_throughput.py [--quick] [--requests N] [--client raw|httpx|both]
[--config sqlite1|pg3]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sqlite3
import sys
from dataclasses import replace
from typing import Any

import httpx
from bodies import SEED_TASK
from configs import SQLITE1, ServerConfig, parse_configs
from launch import start_server
from load import CLIENTS, LoadSpec, measure_load, run_post_load
from measure import ms, percentile
from processes import stop_on_sigterm
from report import print_table
from servers import Server

CONCURRENCY = 32
REQUESTS, QUICK_REQUESTS = 3000, 300
WARMUP, QUICK_WARMUP = 300, 50


def measure(
    server: Server,
    *,
    client: str = "raw",
    requests: int = REQUESTS,
    warmup: int = WARMUP,
    concurrency: int = CONCURRENCY,
    processes: int = 1,
) -> dict[str, Any]:
    """A warm-up, then ``requests`` creations from ``concurrency`` connections, on a running server.

    Args:
        server: HPI (``server.headers`` authenticate) or the baseline; both take
            ``POST /api/v1/tasks``.
        client: ``raw`` or ``httpx``.
        requests: Measured requests.
        warmup: Unmeasured requests first.
        concurrency: Connections with one request in flight each.
        processes: Client processes (the connections are split over them).

    Returns:
        One row: requests/s, latency percentiles, errors, busy cores of client, server and other.
    """
    url = f"{server.url}/api/v1/tasks"
    spec = LoadSpec(
        url=url, body=SEED_TASK, headers=server.headers, count=warmup, concurrency=concurrency, client=client
    )
    run_post_load(spec, processes)
    spec = replace(spec, count=requests)
    result, cores = measure_load(server, spec, processes)
    row = {
        "target": server.name,
        "config": server.config.name,
        "client": client,
        "client_processes": processes,
        "concurrency": concurrency,
        "requests": requests,
        "warmup": warmup,
        "ok": result.done,
        "errors": result.errors,
        "req_per_s": round(result.rate, 1),
        "p50_ms": ms(percentile(result.latencies, 50)),
        "p99_ms": ms(percentile(result.latencies, 99)),
        "max_ms": ms(max(result.latencies, default=float("nan"))),
        "client_cores": cores["client"],
        "server_cores": cores["server"],
        "store_cores": cores["store"],
        "other_cores": cores["other"],
        "server_rss_mib": round(server.rss() / 2**20, 1),
        "asgi_server": server.asgi_server(),
        "server_processes": len(server.describe_tree()),
    }
    if result.error_samples:
        row["error_samples"] = result.error_samples
        row["server_log"] = str(server.saved_log)
    return row


def stored_rows(server: Server) -> int:
    """How many tasks the server's store holds."""
    if server.name == "HPI":
        listed = httpx.get(f"{server.url}/api/v1/tasks?limit=1", headers=server.headers, timeout=30).json()
        return listed["total"]
    if server.config.store == "postgresql":
        import psycopg

        with psycopg.connect(server.store_url) as conn:
            return conn.execute("SELECT count(*) FROM task").fetchone()[0]
    with contextlib.closing(sqlite3.connect(server.workdir / "base.db")) as conn:
        return conn.execute("SELECT count(*) FROM task").fetchone()[0]


def run(
    *,
    config: ServerConfig = SQLITE1,
    quick: bool = False,
    requests: int | None = None,
    warmup: int | None = None,
    concurrency: int = CONCURRENCY,
    clients: tuple[str, ...] = CLIENTS,
    processes: int = 1,
) -> dict[str, Any]:
    """Measure the baseline, then HPI, with each client in ``clients``, in one server configuration.

    Args:
        config: How the servers run (workers, store, Redis).
        quick: Smaller counts, for a smoke run.
        requests: Measured requests per row (default 3,000; 300 when quick).
        warmup: Unmeasured requests before each row (default 300; 50 when quick).
        concurrency: Connections with one request in flight each.
        clients: Which client implementations to run (``raw``, ``httpx``).
        processes: Client processes per row (the connections are split over them).

    Returns:
        ``{"rows": [...], "stored": {...}}``, one row per (target, client).
    """
    requests = requests or (QUICK_REQUESTS if quick else REQUESTS)
    warmup = warmup if warmup is not None else (QUICK_WARMUP if quick else WARMUP)
    opts = {"requests": requests, "warmup": warmup, "concurrency": concurrency, "processes": processes}
    rows: list[dict[str, Any]] = []
    stored: dict[str, int] = {}
    for kind in ("baseline", "HPI"):
        print(f"create: {kind} ({config.label}), {requests} requests per client", flush=True)
        with start_server(kind, config) as server:
            for client in clients:
                rows.append(measure(server, client=client, **opts))
            stored[kind] = stored_rows(server)
    for row in rows:
        base_row = next((r for r in rows if r["target"] == "baseline" and r["client"] == row["client"]), None)
        if row["target"] == "HPI" and base_row:
            row["vs_baseline"] = round(row["req_per_s"] / base_row["req_per_s"], 3)
    sent = {k: (warmup + requests) * len(clients) for k in stored}
    return {"config": config.name, "rows": rows, "stored": stored, "sent": sent, **opts}


def report(result: dict[str, Any]) -> None:
    """Print the rows of ``run`` as a table, with notes."""
    print(
        f"\nTask creation ({result['config']}): POST with the quick-start body, "
        f"{result['concurrency']} connections, {result['requests']} requests per row "
        f"after {result['warmup']} warm-up requests"
    )
    headers = [
        "target",
        "client",
        "req/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "errors",
        "cores: client",
        "server",
        "store",
        "other",
    ]
    print_table(
        headers,
        [
            [
                r["target"],
                r["client"],
                r["req_per_s"],
                r["p50_ms"],
                r["p99_ms"],
                r["max_ms"],
                r["errors"],
                r["client_cores"],
                r["server_cores"],
                r.get("store_cores", 0.0),
                r["other_cores"],
            ]
            for r in result["rows"]
        ],
    )
    for row in result["rows"]:
        if "vs_baseline" in row:
            print(
                f"HPI / baseline with the {row['client']} client: {row['vs_baseline']:.1%} of the requests/s"
            )
        for sample in row.get("error_samples", []):
            print(f"  {row['target']}/{row['client']} error: {sample} (server log: {row['server_log']})")
    for row in result["rows"]:
        if row["client"] == result["rows"][0]["client"]:
            print(
                f"{row['target']} ({row['config']}): served by {row['asgi_server']}, "
                f"{row['server_processes']} processes in its tree"
            )
    if result.get("stored"):
        print(
            "Rows stored: "
            + ", ".join(f"{k} {v:,} of {result['sent'][k]:,} sent" for k, v in result["stored"].items())
        )


def main(argv: list[str] | None = None) -> int:
    """Command line: run the benchmark, print the table, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts for a smoke run")
    parser.add_argument("--requests", type=int, help="measured requests per row")
    parser.add_argument("--warmup", type=int, help="unmeasured requests before each row")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY)
    parser.add_argument("--client", choices=[*CLIENTS, "both"], default="both")
    parser.add_argument("--processes", type=int, default=1, help="client processes per row")
    parser.add_argument("--config", default="sqlite1", help="server configuration: sqlite1 or pg3")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    stop_on_sigterm()
    (config,) = parse_configs(args.config)
    result = run(
        config=config,
        quick=args.quick,
        requests=args.requests,
        warmup=args.warmup,
        concurrency=args.concurrency,
        clients=CLIENTS if args.client == "both" else (args.client,),
        processes=args.processes,
    )
    report(result)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(result, out, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
