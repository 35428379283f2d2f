"""Run every HPI benchmark and print one readable report (``make bench``).

Each benchmark starts its own servers on free ports with fresh stores in temporary folders and
stops them (whole process groups) when it ends. Figures are printed, never asserted.

Run: ``python bench/run_all.py [--quick] [--json PATH] [--waiters N] [--only create|waiters]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import create_throughput
import waiters
from common import CLIENTS, machine_info, wait_for_quiet_machine


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print their tables, optionally write every figure as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller counts for a smoke run")
    parser.add_argument("--json", metavar="PATH", help="also write every figure as JSON")
    parser.add_argument("--only", choices=["create", "waiters"], help="run one benchmark")
    parser.add_argument("--requests", type=int, help="measured create requests per row (default 3,000)")
    parser.add_argument(
        "--client", choices=[*CLIENTS, "both"], default="both", help="create benchmark client"
    )
    parser.add_argument("--waiters", type=int, help="waiters per run (default 1,000; e.g. 10000)")
    parser.add_argument("--pace", type=float, default=waiters.PACE, help="cancels per second, paced runs")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=60.0,
        metavar="S",
        help="wait up to S seconds for other load on the machine to settle before starting",
    )
    args = parser.parse_args(argv)

    machine = machine_info()
    busy = wait_for_quiet_machine(max(args.wait_quiet, 0.0))
    machine["busy_cores_at_start"] = round(busy, 2)
    print(
        f"Machine: {machine['nproc']} cores ({machine['cpu_model']}), {machine['memory_gib']} GiB, "
        f"Python {machine['python']}, Linux {machine['kernel']}; "
        f"{machine['busy_cores_at_start']} cores busy with other work at the start",
        flush=True,
    )
    started = time.monotonic()
    results: dict[str, Any] = {"machine": machine, "quick": args.quick}
    if args.only in (None, "create"):
        results["create_throughput"] = create_throughput.run(
            quick=args.quick,
            requests=args.requests,
            clients=CLIENTS if args.client == "both" else (args.client,),
        )
    if args.only in (None, "waiters"):
        results["waiters"] = waiters.run(quick=args.quick, waiters=args.waiters, pace=args.pace)
    results["seconds"] = round(time.monotonic() - started, 1)

    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)
    report(results)
    if args.json:
        print(f"Figures written to {args.json}.")
    return 0


def report(results: dict[str, Any]) -> None:
    """Print the tables of every benchmark in ``results`` (the JSON that ``--json`` writes)."""
    machine = results["machine"]
    print("\n" + "=" * 100)
    print(
        f"Machine: {machine['nproc']} cores ({machine['cpu_model']}), {machine['memory_gib']} GiB, "
        f"Python {machine['python']}; {machine['busy_cores_at_start']} cores busy with other work at start"
    )
    print(f"HPI at commit {machine['app_version']}")
    if "create_throughput" in results:
        create_throughput.report(results["create_throughput"])
    if "waiters" in results:
        waiters.report(results["waiters"])
    print(f"\nAll benchmarks took {results['seconds']:.0f} s.")


if __name__ == "__main__":
    sys.exit(main())
