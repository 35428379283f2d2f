"""Run every HPI benchmark and print one table: HPI beside the bare baseline, per configuration.

For each server configuration (``--config``: ``sqlite1`` = 1 Granian worker on SQLite, ``pg3`` =
3 workers on PostgreSQL + Redis) the baseline (``baseline_app.py``) and then HPI are started,
one at a time, each on a fresh store, and measured with the same clients:

- session 1: N1 long-poll waiters (``waiters.measure``), task creation throughput
  (``create_throughput.measure``), cancel → webhook latency (``deliveries.measure_served``),
  REST create → dashboard row with one tab (``dashboard_propagation.measure``);
- session 2, on a fresh server: N2 long-poll waiters (the memory figure of a server that has not
  parked waiters before);
- then, HPI on ``sqlite1`` only: MCP tool call → complete → result beside ``/wait``, and memory
  per waiting MCP call beside a parked ``/wait`` (``mcp_wait.measure``, fresh servers of its own).

Every server is stopped (its whole process group) and every temporary database dropped when its
session ends, Ctrl-C and errors included. Figures are printed, never asserted; the "met?"
columns compare them with the targets of the scale-out issue.

Run: ``python bench/run_all.py [--quick] [--config sqlite1,pg3] [--json PATH] [--details]
[--only waiters,create,webhooks,dashboard,mcp,scale] [--waiters N1 N2]``.

``scale`` is ``data_scale.py``: one HPI server per configuration filled to each history size
(``HPI_BENCH_SCALE_SIZES``, default 0,100000,1000000; ``--quick``: 0,20000), its own table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import sys
import time
import traceback
from typing import Any

import create_throughput
import dashboard_propagation
import data_scale
import deliveries
import mcp_wait
import waiters
from configs import ServerConfig, parse_configs
from launch import start_server
from load import CLIENTS
from measure import wait_for_quiet_machine
from processes import stop_on_sigterm
from report import machine_info, print_table

BENCHMARKS = ("waiters", "create", "webhooks", "dashboard", "mcp", "scale")
FULL = {
    "waiters": (1000, 10000),
    "requests": 3000,
    "warmup": 300,
    "webhooks": 200,
    "dashboard": 50,
    "mcp": (mcp_wait.SAMPLES, mcp_wait.WAITING),
}
QUICK = {
    "waiters": (200, 1000),
    "requests": 300,
    "warmup": 50,
    "webhooks": 30,
    "dashboard": 10,
    "mcp": (mcp_wait.QUICK_SAMPLES, mcp_wait.QUICK_WAITING),
}
FULL["scale"], QUICK["scale"] = data_scale.SIZES, data_scale.QUICK_SIZES  # HPI_BENCH_SCALE_SIZES sets FULL

# The targets of the scale-out issue (figures only: printed beside the results, never asserted).
CREATE_SHARE = 0.5  # create throughput >= half the baseline's
RELEASE_SAME_P99_MS = 20.0  # complete -> /wait answer p99, waiter and change on one worker
RELEASE_ACROSS_P99_MS = 100.0  # ... across workers
MEMORY_10K_BYTES = 200e6  # 10,000 waiters on one worker: < 200 MB extra
MEMORY_TARGET_WAITERS = 10000
DASHBOARD_P95_MS = 150.0  # REST -> dashboard p95


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the table, optionally write every figure as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts for a smoke run (2-3 minutes)")
    parser.add_argument(
        "--config", default="sqlite1,pg3", help="server configurations (default: sqlite1,pg3)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    parser.add_argument("--details", action="store_true", help="also print each benchmark's own tables")
    parser.add_argument(
        "--only", default=",".join(BENCHMARKS), help=f"benchmarks to run (default: {','.join(BENCHMARKS)})"
    )
    parser.add_argument("--requests", type=int, help="measured create requests (default 3,000)")
    parser.add_argument("--client", choices=[*CLIENTS, "both"], default="raw", help="create benchmark client")
    parser.add_argument("--waiters", type=int, nargs="+", help="waiters per session (default 1000 10000)")
    parser.add_argument("--pace", type=float, default=waiters.PACE, help="cancels per second, paced release")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=60.0,
        metavar="S",
        help="wait up to S seconds for other load on the machine to settle before starting",
    )
    args = parser.parse_args(argv)
    stop_on_sigterm()
    configs = parse_configs(args.config)
    only = {b.strip() for b in args.only.split(",") if b.strip()}
    if only - set(BENCHMARKS):
        parser.error(f"--only: unknown {sorted(only - set(BENCHMARKS))}; choose from {', '.join(BENCHMARKS)}")
    counts = dict(QUICK if args.quick else FULL)
    if args.requests:
        counts["requests"] = args.requests
    if args.waiters:
        counts["waiters"] = tuple(args.waiters)
    clients = CLIENTS if args.client == "both" else (args.client,)

    machine = machine_info()
    busy = wait_for_quiet_machine(max(args.wait_quiet, 0.0))
    machine["busy_cores_at_start"] = round(busy, 2)
    print(f"Machine: {_machine_line(machine)}", flush=True)
    started = time.monotonic()
    results: dict[str, Any] = {
        "machine": machine,
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "quick": args.quick,
        "counts": counts,
        "pace_per_s": args.pace,
        "configs": {},
    }
    for config in configs:
        per_target = results["configs"][config.name] = {"label": config.label}
        for kind in ("baseline", "HPI"):
            per_target[kind] = _measure_target(kind, config, only, counts, clients, args.pace)
    if "mcp" in only:
        # HPI only (the baseline has no MCP door), on sqlite1, its own servers; /wait beside it.
        print("\nHPI (sqlite1): MCP waiting beside /wait", flush=True)
        try:
            results["mcp"] = mcp_wait.measure(*counts["mcp"])
        except Exception as exc:
            traceback.print_exc()
            results["mcp_error"] = f"{type(exc).__name__}: {exc}"
    if "scale" in only:
        quick = {"samples": 10, "dashboard": 10} if args.quick else {}
        results["scale"] = [data_scale.run(config, tuple(counts["scale"]), **quick) for config in configs]
    results["seconds"] = round(time.monotonic() - started, 1)

    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    if args.details:
        details(results)
    report(results)
    if results.get("mcp"):
        mcp_wait.report(results["mcp"])
    if args.json:
        print(f"Figures written to {args.json}.")
    return 0


def _measure_target(
    kind: str,
    config: ServerConfig,
    only: set[str],
    counts: dict[str, Any],
    clients: tuple[str, ...],
    pace: float,
) -> dict[str, Any]:
    """Both sessions of one target (``baseline`` or ``HPI``) in one configuration."""
    out: dict[str, Any] = {"errors": []}
    n_small, *rest = counts["waiters"]
    steps = [
        ("waiters", "waiters_small", lambda s: waiters.measure(s, n_small, pace=pace)),
        (
            "create",
            "create",
            lambda s: [
                create_throughput.measure(s, client=c, requests=counts["requests"], warmup=counts["warmup"])
                for c in clients
            ],
        ),
        ("webhooks", "webhooks", lambda s: deliveries.measure_served(s, counts["webhooks"])),
        (
            "dashboard",
            "dashboard",
            lambda s: dashboard_propagation.measure(s, tabs=1, count=counts["dashboard"]),
        ),
    ]
    sessions = [[step for step in steps if step[0] in only]]
    if "waiters" in only:
        sessions += [
            [("waiters", "waiters_large", lambda s, n=n: waiters.measure(s, n, pace=pace))] for n in rest
        ]
    for session in sessions:
        if not session:
            continue
        print(f"\n{kind} ({config.label}): {', '.join(key for _b, key, _f in session)}", flush=True)
        try:
            with start_server(kind, config) as server:
                for _bench, key, run in session:
                    print(f"- {key}", flush=True)
                    try:
                        out[key] = run(server)
                    except Exception as exc:
                        traceback.print_exc()
                        out["errors"].append(f"{key}: {type(exc).__name__}: {exc}")
        except Exception as exc:
            traceback.print_exc()
            out["errors"].append(f"server: {type(exc).__name__}: {exc}")
    return out


# The combined table


def _num(value: Any) -> float:
    return value if isinstance(value, (int, float)) and not math.isnan(value) else math.nan


def _pair(a: Any, b: Any) -> str:
    if math.isnan(_num(a)) and math.isnan(_num(b)):
        return ""
    return f"{_fmt(a)} / {_fmt(b)}"


def _fmt(value: Any) -> str:
    v = _num(value)
    if math.isnan(v):
        return "-"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def _cell(target: dict[str, Any], metric: str) -> tuple[str, float]:
    """The text of one result cell and the number a target is judged on (NaN: none)."""
    create = (target.get("create") or [None])[0]
    if metric == "create_rate":
        return (_fmt(create["req_per_s"]), create["req_per_s"]) if create else ("", math.nan)
    if metric == "create_latency":
        return (_pair(create["p50_ms"], create["p99_ms"]), math.nan) if create else ("", math.nan)
    if metric == "webhook":
        w = target.get("webhooks")
        return (_pair(w["from_answer_p50_ms"], w["from_answer_p99_ms"]), math.nan) if w else ("", math.nan)
    if metric.startswith("dashboard"):
        d = target.get("dashboard")
        d = d or {}
        part = {
            "dashboard": d,
            "dashboard_same": d.get("same_worker"),
            "dashboard_across": d.get("across_workers"),
            "dashboard_message": d.get("to_message"),
            "dashboard_render": d.get("message_to_row"),
        }
        s = part[metric]
        if not s or not s.get("samples"):
            return "", math.nan
        return _pair(s["p50_ms"], s["p95_ms"]), s["p95_ms"]
    if metric == "other_cores":
        seen = [c.get("other", math.nan) for c in _cores(target)]
        return (_fmt(max(seen)), math.nan) if seen else ("", math.nan)
    size, what = metric.split(":")
    w = target.get(f"waiters_{size}")
    if not w:
        return "", math.nan
    if what == "extra":
        return _fmt(w["extra_mib"]), w["extra_mib"] * 2**20
    if what == "kib":
        return _fmt(w["kib_per_waiter"]), math.nan
    if what == "held":
        return f"{w['held']:,} of {w['waiters']:,}", math.nan
    s = w.get({"same": "paced_same", "across": "paced_across", "burst": "burst"}[what])
    return (_pair(s["release_p50_ms"], s["release_p99_ms"]), s["release_p99_ms"]) if s else ("", math.nan)


def _cores(target: dict[str, Any]) -> list[dict[str, float]]:
    found = []
    for row in target.get("create") or []:
        found.append({"other": row["other_cores"]})
    for key in ("waiters_small", "waiters_large"):
        w = target.get(key) or {}
        found += [c for c in (w.get("paced_cores"), w.get("burst_cores")) if c]
    return found


def _target(
    metric: str, config: ServerConfig, base: dict[str, Any], counts: dict[str, Any]
) -> tuple[str, Any]:
    """The target's text and a predicate on the HPI figure (None: no target for this row)."""
    if metric == "create_rate":
        create = (base.get("create") or [None])[0]
        if not create:
            return "≥ ½ baseline", None
        floor = create["req_per_s"] * CREATE_SHARE
        return f"≥ {floor:,.0f} (½ baseline)", lambda v: v >= floor
    if metric in ("dashboard", "dashboard_same", "dashboard_across"):
        return f"p95 < {DASHBOARD_P95_MS:g}", lambda v: v < DASHBOARD_P95_MS
    if ":" in metric:
        size, what = metric.split(":")
        n = counts["waiters"][0 if size == "small" else -1]
        if what == "same":
            return f"p99 < {RELEASE_SAME_P99_MS:g}", lambda v: v < RELEASE_SAME_P99_MS
        if what == "across":
            return f"p99 < {RELEASE_ACROSS_P99_MS:g}", lambda v: v < RELEASE_ACROSS_P99_MS
        if what == "extra" and n >= MEMORY_TARGET_WAITERS and config.workers == 1:
            return f"< {MEMORY_10K_BYTES / 2**20:.0f} MiB (200 MB)", lambda v: v < MEMORY_10K_BYTES
    return "", None


def _rows(results: dict[str, Any]) -> list[tuple[str, str]]:
    counts = results["counts"]
    small, large = counts["waiters"][0], counts["waiters"][-1]
    rows = [
        ("create_rate", "create: requests/s (32 connections)"),
        ("create_latency", "create: latency p50 / p99 ms"),
    ]
    for size, n in (("small", small), ("large", large)):
        if size == "large" and len(counts["waiters"]) < 2:
            break
        rows += [
            (f"{size}:held", f"{n:,} waiters: parked"),
            (f"{size}:extra", f"{n:,} waiters: extra MiB (server tree)"),
            (f"{size}:kib", f"{n:,} waiters: KiB per waiter"),
            (f"{size}:same", f"{n:,} waiters: release p50 / p99 ms, same worker"),
            (f"{size}:across", f"{n:,} waiters: release p50 / p99 ms, across workers"),
            (f"{size}:burst", f"{n:,} waiters: release p50 / p99 ms, burst of the rest"),
        ]
    rows += [
        ("dashboard", "REST → dashboard p50 / p95 ms (1 tab)"),
        ("dashboard_same", "  of which: create on the tab's worker"),
        ("dashboard_across", "  of which: create on another worker"),
        ("dashboard_message", "  REST → websocket message p50 / p95 ms"),
        ("dashboard_render", "  websocket message → row p50 / p95 ms"),
        ("webhook", "cancel → webhook received p50 / p99 ms"),
        ("other_cores", "other programs' CPU, max cores in a run"),
    ]
    return rows


def report(results: dict[str, Any]) -> None:
    """Print the combined table of ``results`` (the JSON that ``--json`` writes), with notes."""
    machine = results["machine"]
    configs = [parse_configs(name)[0] for name in results["configs"]]
    print("\n" + "=" * 100)
    print(f"Machine: {_machine_line(machine)}")
    run = "quick" if results["quick"] else "full"
    print(f"HPI at commit {machine['app_version']}; {results.get('date', '')}; {run} run")
    for config in configs:
        print(f"{config.name}: {config.label}")
    headers = ["metric"]
    for config in configs:
        headers += [f"{config.name}: baseline", "HPI", "target", "met?"]
    table = []
    for metric, label in _rows(results):
        line = [label]
        any_value = False
        for config in configs:
            per = results["configs"][config.name]
            base_text, _ = _cell(per["baseline"], metric)
            hpi_text, hpi_value = _cell(per["HPI"], metric)
            target_text, ok = _target(metric, config, per["baseline"], results["counts"])
            if not (base_text or hpi_text):
                target_text, ok = "", None
            met = "" if ok is None or math.isnan(_num(hpi_value)) else ("met" if ok(hpi_value) else "MISSED")
            line += [base_text, hpi_text, target_text, met]
            any_value = any_value or bool(base_text or hpi_text)
        if any_value:
            table.append(line)
    print_table(headers, table, left=1)
    pace = results.get("pace_per_s", waiters.PACE)
    print(
        "\nRelease = the waiter's answer minus the answer of the POST .../cancel that released it\n"
        "(HPI has no REST completion; a cancel commits and publishes on the same event bus).\n"
        f"Paced at {pace:g} cancels/s: up to 1,000 waiters (half of them when fewer than 2,000) while the\n"
        "others stay parked; with several workers every other cancel goes over a connection held by\n"
        "another worker than the waiter's. Burst: the remaining waiters, all cancels at once over 16\n"
        "connections. Extra MiB = RSS of the server's whole process tree once parked minus just before.\n"
        "Webhook: from the cancel's answer to the arrival at a receiver on this machine (a task with one\n"
        "webhook sink). Dashboard: from just before the POST /api/v1/tasks to the row in the tab's DOM.\n"
        "Other programs' CPU: cores busy outside the benchmark (other people's work) during the create\n"
        "and release runs; it disturbs the timings."
    )
    for config in configs:
        for kind in ("baseline", "HPI"):
            for error in results["configs"][config.name][kind].get("errors", []):
                print(f"  {config.name} {kind} failed: {error}")
            w_runs = [
                results["configs"][config.name][kind].get(k) for k in ("waiters_small", "waiters_large")
            ]
            for w in filter(None, w_runs):
                if w["not_parked"] or w["bad_waiters"] or w["cancel_errors"]:
                    print(
                        f"  {config.name} {kind} {w['waiters']:,} waiters: {w['not_parked']:,} never parked, "
                        f"{w['bad_waiters']:,} bad answers, {w['cancel_errors']:,} failed cancels "
                        f"{w['bad_samples'][:2]}"
                    )
            dash = results["configs"][config.name][kind].get("dashboard")
            if dash and dash.get("unobserved"):
                print(f"  {config.name} {kind} dashboard: {dash['unobserved']} rows not seen by the observer")
            if dash and config.workers > 1 and not dash.get("tab_worker_found"):
                print(f"  {config.name} {kind} dashboard: tab's worker not found (no same/across split)")
            hook = results["configs"][config.name][kind].get("webhooks")
            if hook and hook["problem_count"]:
                problems = f"{hook['problem_count']} problems, e.g. {hook['problems'][:2]}"
                print(f"  {config.name} {kind} webhooks: {problems}")
    if results.get("scale"):
        data_scale.report(results["scale"])
    print(f"\nAll benchmarks took {results['seconds']:.0f} s.")


def details(results: dict[str, Any]) -> None:
    """Print each benchmark's own tables (every figure behind the combined table)."""
    for name, per in results["configs"].items():
        create_rows = [r for kind in ("baseline", "HPI") for r in per[kind].get("create") or []]
        if create_rows:
            first = create_rows[0]
            stored = {"baseline": math.nan, "HPI": math.nan}
            create_throughput.report(
                {
                    "config": name,
                    "rows": create_rows,
                    "stored": {},
                    "sent": stored,
                    "concurrency": first["concurrency"],
                    "requests": first["requests"],
                    "warmup": first["warmup"],
                }
            )
        runs = [
            per[kind][key]
            for key in ("waiters_small", "waiters_large")
            for kind in ("baseline", "HPI")
            if per[kind].get(key)
        ]
        if runs:
            waiters.report({"runs": runs, "pace_per_s": results.get("pace_per_s", waiters.PACE)})
        hooks = [per[kind]["webhooks"] for kind in ("baseline", "HPI") if per[kind].get("webhooks")]
        if hooks:
            deliveries.report_served(hooks)
        dash = [per[kind]["dashboard"] for kind in ("baseline", "HPI") if per[kind].get("dashboard")]
        if dash:
            dashboard_propagation.report(dash)


def _machine_line(machine: dict[str, Any]) -> str:
    sw = machine.get("software", {})
    stack = ", ".join(
        f"{k.replace('_server', '')} {v}" for k, v in sw.items() if k not in ("psycopg", "redis")
    )
    return (
        f"{machine['nproc']} cores ({machine['cpu_model']}), {machine['memory_gib']} GiB, "
        f"Python {machine['python']}, Linux {machine['kernel']}; {stack}; "
        f"{machine['busy_cores_at_start']} cores busy with other work at the start"
    )


if __name__ == "__main__":
    sys.exit(main())
