"""Task creation throughput: HPI's ``POST /api/v1/tasks`` beside a bare Starlette + sqlite3 baseline.

Both servers run on this machine, one after the other, under Granian with one worker (how
``reflex run --env prod`` serves HPI without Redis). The same client sends the quick-start task
body over real HTTP from 32 keep-alive connections, each with one request in flight (a closed
loop), first a warm-up that is not measured, then N requests. Each row reports requests per
second, latency percentiles, errors, and the CPU cores the client and the server kept busy, so a
client-bound row shows itself.

Run: ``python bench/create_throughput.py [--quick] [--requests N] [--client raw|httpx|both]``.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from typing import Any

import httpx
from common import (
    CLIENTS,
    SEED_TASK,
    LoadSpec,
    Server,
    make_token,
    measure_load,
    ms,
    percentile,
    print_table,
    run_post_load,
    start_baseline,
    start_hpi,
)

CONCURRENCY = 32
REQUESTS, QUICK_REQUESTS = 3000, 300
WARMUP, QUICK_WARMUP = 300, 50


def _measure(
    server: Server,
    target: str,
    url: str,
    headers: dict[str, str],
    *,
    client: str,
    requests: int,
    warmup: int,
    concurrency: int,
    processes: int,
) -> dict[str, Any]:
    spec = LoadSpec(
        url=url, body=SEED_TASK, headers=headers, count=warmup, concurrency=concurrency, client=client
    )
    run_post_load(spec, processes)
    spec = LoadSpec(
        url=url, body=SEED_TASK, headers=headers, count=requests, concurrency=concurrency, client=client
    )
    result, cores = measure_load(server, spec, processes)
    row = {
        "target": target,
        "client": client,
        "client_processes": processes,
        "concurrency": concurrency,
        "requests": requests,
        "ok": result.done,
        "errors": result.errors,
        "req_per_s": round(result.rate, 1),
        "p50_ms": ms(percentile(result.latencies, 50)),
        "p99_ms": ms(percentile(result.latencies, 99)),
        "max_ms": ms(max(result.latencies, default=float("nan"))),
        "client_cores": cores["client"],
        "server_cores": cores["server"],
        "other_cores": cores["other"],
        "server_rss_mib": round(server.rss() / 2**20, 1),
    }
    if result.error_samples:
        row["error_samples"] = result.error_samples
        row["server_log"] = str(server.saved_log)
    return row


def run(
    *,
    quick: bool = False,
    requests: int | None = None,
    warmup: int | None = None,
    concurrency: int = CONCURRENCY,
    clients: tuple[str, ...] = CLIENTS,
    processes: int = 1,
) -> dict[str, Any]:
    """Measure the baseline, then HPI, with each client in ``clients``.

    Args:
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
    servers: dict[str, dict[str, Any]] = {}

    print(f"create: baseline (Starlette + sqlite3 under Granian), {requests} requests per client", flush=True)
    with start_baseline() as base:
        servers["baseline"] = _describe(base)
        for client in clients:
            rows.append(_measure(base, "baseline", f"{base.url}/tasks", {}, client=client, **opts))
        with sqlite3.connect(base.workdir / "base.db") as conn:
            stored["baseline"] = conn.execute("SELECT count(*) FROM task").fetchone()[0]

    print(f"create: HPI (python -m hpi_app serve), {requests} requests per client", flush=True)
    with start_hpi() as hpi:
        servers["HPI"] = _describe(hpi)
        auth = {"Authorization": f"Bearer {make_token(hpi)}"}
        for client in clients:
            rows.append(_measure(hpi, "HPI", f"{hpi.url}/api/v1/tasks", auth, client=client, **opts))
        listed = httpx.get(f"{hpi.url}/api/v1/tasks?limit=1", headers=auth, timeout=30).json()
        stored["HPI"] = listed["total"]

    for row in rows:
        base_row = next((r for r in rows if r["target"] == "baseline" and r["client"] == row["client"]), None)
        if row["target"] == "HPI" and base_row:
            row["vs_baseline"] = round(row["req_per_s"] / base_row["req_per_s"], 3)
    sent = {"baseline": (warmup + requests) * len(clients), "HPI": (warmup + requests) * len(clients)}
    return {"rows": rows, "stored": stored, "sent": sent, "servers": servers, **opts}


def _describe(server: Server) -> dict[str, Any]:
    return {"asgi_server": server.asgi_server(), "processes": server.describe_tree()}


def report(result: dict[str, Any]) -> None:
    """Print the rows of ``run`` as a table, with notes."""
    print(
        f"\nTask creation: POST with the quick-start body, {result['concurrency']} connections, "
        f"{result['requests']} requests per row after {result['warmup']} warm-up requests"
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
    for target, info in result["servers"].items():
        print(f"{target}: served by {info['asgi_server']}, {len(info['processes'])} processes in its tree")
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
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    result = run(
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
