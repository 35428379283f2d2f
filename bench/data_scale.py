"""A long history must not slow the present: lists, search, counts and REST → dashboard at 0, 100,000
and 1,000,000 tasks, side by side in one run, on each configuration.

One HPI server per configuration, on a fresh store, is filled step by step with
``python -m hpi_app demo`` (a year of tasks, ~1 % pending) while it runs; at each size:

- **lists and search**: HPI's ``GET /api/v1/tasks`` (pending, done, all, a deep page at 80 % of the
  history, a title search) over one keep-alive connection, beside the bare baseline: the simplest
  SQL that answers the same question (the page and its total), run directly on the same store
  (``sqlite3`` / ``psycopg``);
- **counts**: the per-status counts a dashboard shows, ``core.tasks.count_by_status`` timed in a
  process of its own against the store, beside ``SELECT status, count(*) ... GROUP BY status``;
- **REST → dashboard**: ``dashboard_propagation.measure`` with one tab (the row of a new task in
  an open dashboard; the target is p95 within 1.2× of the same run's empty store).

PostgreSQL gets ``VACUUM ANALYZE`` after each fill (what autovacuum does on its own a little later).

    .venv/bin/python bench/data_scale.py [--config sqlite1,pg3] [--sizes 0 100000 1000000] [--json PATH]
    HPI_BENCH_SCALE_SIZES=0,20000 .venv/bin/python bench/data_scale.py   # a quick check
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dashboard_propagation
from configs import PYTHON, ROOT, ServerConfig, parse_configs
from launch import start_server
from measure import percentile
from processes import stop_on_sigterm
from report import print_table
from servers import Server

SIZES = tuple(int(n) for n in os.environ.get("HPI_BENCH_SCALE_SIZES", "0,100000,1000000").split(","))
QUICK_SIZES = (0, 20_000)
SAMPLES = 30
WARMUP = 1
BUDGET_S = 10.0  # per question and target: fewer samples (at least MIN_SAMPLES) once it is spent
MIN_SAMPLES = 5
DASHBOARD_TASKS = 30
LIST_TARGET_MS = 20.0
DASHBOARD_SHARE = 1.2
DONE = ("completed", "cancelled", "expired")
_DONE_SQL = "status IN ('completed', 'cancelled', 'expired')"
_PAGE = "SELECT * FROM tasks WHERE {where} ORDER BY created_at DESC, id LIMIT 50 OFFSET {offset}"
_COUNT = "SELECT count(*) FROM tasks WHERE {where}"
# What is asked: (name, HPI's query string, the bare SQL condition); the deep page's offset is 80 %,
# the halfway page's 50 % (the deepest an offset skips: past the middle, HPI skips from the end).
# A condition may differ by store: a (SQLite, PostgreSQL) pair. "deep" questions start at 80 % of
# the history: by offset, or by the cursor HPI hands out there (its baseline: the same keyset SQL).
QUESTIONS = (
    ("list pending", "status=pending", "org_id = ? AND status = 'pending'"),
    ("list done", "status=done", f"org_id = ? AND {_DONE_SQL}"),
    ("list all", "", "org_id = ?"),
    ("list all, deep page", "", "org_id = ?"),
    ("list all, halfway page", "", "org_id = ?"),
    ("list done, deep by cursor", "status=done", f"org_id = ? AND {_DONE_SQL}"),
    ("search 'deploy'", "search=deploy", "org_id = ? AND lower(title) LIKE '%deploy%'"),
    (
        "search 'deploy', done tab",
        "search=deploy&status=done",
        f"org_id = ? AND {_DONE_SQL} AND lower(title) LIKE '%deploy%'",
    ),
    ("search 'pl' (2 characters)", "search=pl", "org_id = ? AND lower(title) LIKE '%pl%'"),
    ("search 'zq' (no match)", "search=zq", "org_id = ? AND lower(title) LIKE '%zq%'"),
    (
        "filter meta.team=security",
        "meta.team=security",
        (
            "org_id = ? AND json_extract(metadata, '$.team') = 'security'",
            "org_id = ? AND metadata->>'team' = 'security'",
        ),
    ),
)
_KEYSET = " AND (created_at, id) < (?, ?)"
_COUNT_CODE = """
import json, sys, time
from sqlmodel import select
from hpi_app.core import tasks
from hpi_app.db import session_scope
from hpi_app.models import Organisation
with session_scope() as s:
    org = s.exec(select(Organisation.id)).first()
times = []
for n in range({samples}):
    t = time.perf_counter(); tasks.count_by_status(org); times.append((time.perf_counter() - t) * 1000)
print(json.dumps(times[{warmup}:]))
"""


class Store:
    """The server's store, opened directly for the bare baseline's queries."""

    def __init__(self, url: str) -> None:
        self.pg = url.startswith("postgres")
        if self.pg:
            import psycopg

            self.conn = psycopg.connect(url, autocommit=True)
        else:
            self.conn = sqlite3.connect(url.split("sqlite:///", 1)[1])
        self.org_id = self.rows("SELECT id FROM organisations")[0][0]

    def rows(self, sql: str, *params: Any) -> list[tuple]:
        """The rows of one query (``?`` placeholders on both stores)."""
        cur = self.conn.cursor()
        try:
            cur.execute(sql.replace("%", "%%").replace("?", "%s") if self.pg else sql, params)
            return cur.fetchall()
        finally:
            cur.close()

    def analyze(self) -> None:
        """PostgreSQL: what autovacuum does a little after a bulk fill (it vacuums after inserts too).

        The planner's statistics, and the visibility map that lets an index-only scan skip the table.
        """
        if self.pg:
            self.conn.execute("VACUUM ANALYZE")

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _timed(fn: Any, samples: int) -> dict[str, float]:
    for _ in range(WARMUP):
        fn()
    times: list[float] = []
    deadline = time.monotonic() + BUDGET_S
    while len(times) < samples and (len(times) < MIN_SAMPLES or time.monotonic() < deadline):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return _stats(times)


def _stats(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "samples": len(times),
    }


def _fill(server: Server, tasks: int) -> dict[str, Any]:
    """Add ``tasks`` demo tasks with the demo command; its own tasks/s figure."""
    started = time.monotonic()
    done = subprocess.run(
        [PYTHON, "-m", "hpi_app", "demo", "--tasks", str(tasks), "--org", "Bench"],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"demo failed:\n{done.stderr[-2000:]}")
    rate = re.search(r"\(([\d,]+) tasks/s\)", done.stderr)
    return {
        "tasks": tasks,
        "seconds": round(time.monotonic() - started, 1),
        "tasks_per_s": int(rate.group(1).replace(",", "")) if rate else None,
    }


def _get(conn: http.client.HTTPConnection, server: Server, path: str) -> tuple[int, bytes]:
    """``GET path`` over the keep-alive ``conn``: its status and body.

    The server (Granian) closes a connection idle for 20-40 s, as it is while a slow baseline query
    runs on a large store; the request that then finds it closed is sent once more on a new
    connection (only ever the warm-up request of a measurement, never a timed one).
    """

    def once() -> tuple[int, bytes]:
        conn.request("GET", path, headers=server.headers)
        answer = conn.getresponse()
        return answer.status, answer.read()

    try:
        return once()
    except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
        conn.close()  # the next request opens a new connection
        return once()


def _cursor_at(
    conn: http.client.HTTPConnection, server: Server, store: Store, query: str, where: str, offset: int
) -> tuple[str, tuple]:
    """The list path that goes on after row ``offset`` by HPI's cursor, and that row's (created_at, id)."""
    answer = json.loads(_get(conn, server, f"/api/v1/tasks?limit=1&offset={max(offset - 1, 0)}&{query}")[1])
    cursor = answer.get("next_cursor")
    if not cursor:
        raise RuntimeError(f"no next_cursor at offset {offset}: {str(answer)[:200]}")
    row = store.rows(
        _PAGE.format(where=where, offset=max(offset - 1, 0)).replace("*", "created_at, id"), store.org_id
    )
    return f"/api/v1/tasks?limit=50&cursor={cursor}&{query}", tuple(row[0])


def _measure_lists(server: Server, store: Store, total: int, samples: int) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    deep = max(0, int(total * 0.8))
    out: dict[str, Any] = {}
    try:
        for name, query, where in QUESTIONS:
            where = where[store.pg] if isinstance(where, tuple) else where
            offset = deep if "deep" in name else total // 2 if "halfway" in name else 0
            path = f"/api/v1/tasks?limit=50&offset={offset}" + (f"&{query}" if query else "")
            keyset: tuple = ()
            if "cursor" in name:  # the cursor HPI hands out at that depth, and the row it names
                if offset == 0:
                    continue  # an empty store: no page after the first
                path, keyset = _cursor_at(conn, server, store, query, where, offset)
                offset = 0

            def hpi(path: str = path) -> None:
                status, body = _get(conn, server, path)
                if status != 200:
                    raise RuntimeError(f"GET {path} answered {status}: {body[:200]!r}")

            def bare(where: str = where, offset: int = offset, keyset: tuple = keyset) -> None:
                page = where + (_KEYSET if keyset else "")
                store.rows(_PAGE.format(where=page, offset=offset), store.org_id, *keyset)
                store.rows(_COUNT.format(where=where), store.org_id)

            out[name] = {"HPI": _timed(hpi, samples), "baseline": _timed(bare, samples)}
    finally:
        conn.close()
    counts = subprocess.run(
        [PYTHON, "-c", _COUNT_CODE.format(samples=samples + WARMUP, warmup=WARMUP)],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if counts.returncode != 0:
        raise RuntimeError(f"counts failed:\n{counts.stderr[-2000:]}")
    sql = "SELECT status, count(*) FROM tasks WHERE org_id = ? GROUP BY status"
    out["counts by status"] = {
        "HPI": _stats(json.loads(counts.stdout)),
        "baseline": _timed(lambda: store.rows(sql, store.org_id), samples),
    }
    return out


def run(
    config: ServerConfig,
    sizes: tuple[int, ...] = SIZES,
    samples: int = SAMPLES,
    dashboard: int = DASHBOARD_TASKS,
    after_each: Any = None,
) -> dict[str, Any]:
    """Fill one HPI server step by step to each of ``sizes`` and measure at each.

    ``after_each(result)`` is called after each size (to save what is measured so far).
    """
    result: dict[str, Any] = {"config": config.name, "label": config.label, "sizes": {}, "errors": []}
    print(f"data scale: HPI ({config.label}), sizes {', '.join(f'{s:,}' for s in sizes)}", flush=True)
    with start_server("HPI", config) as server:
        store = Store(server.store_url)
        try:
            have = 0
            for size in sorted(sizes):
                at: dict[str, Any] = {}
                if size > have:
                    print(f"- filling to {size:,} tasks", flush=True)
                    at["fill"] = _fill(server, size - have)
                    store.analyze()
                have = max(have, size)
                total = store.rows("SELECT count(*) FROM tasks")[0][0]
                at["tasks"] = total
                print(f"- measuring at {total:,} tasks", flush=True)
                try:
                    at["lists"] = _measure_lists(server, store, total, samples)
                    at["dashboard"] = dashboard_propagation.measure(server, tabs=1, count=dashboard)
                except Exception as exc:
                    result["errors"].append(f"{size:,}: {type(exc).__name__}: {exc}")
                result["sizes"][str(size)] = at
                report([result])
                if after_each is not None:
                    after_each(result)
        finally:
            store.close()
    return result


def _cell(stats: dict[str, float] | None) -> str:
    if not stats:
        return ""
    return f"{stats['p50_ms']:,.1f} / {stats['p95_ms']:,.1f}"


def report(results: list[dict[str, Any]]) -> None:
    """Print one table per configuration: each question at each size, baseline beside HPI."""
    for result in results:
        sizes = list(result["sizes"])
        headers = ["p50 / p95 ms"]
        for size in sizes:
            n = result["sizes"][size].get("tasks", int(size))
            headers += [f"{n:,}: baseline", "HPI"]
        names = [q[0] for q in QUESTIONS] + ["counts by status"]
        table = []
        for name in names:
            line = [name]
            for size in sizes:
                lists = result["sizes"][size].get("lists", {})
                line += [_cell(lists.get(name, {}).get("baseline")), _cell(lists.get(name, {}).get("HPI"))]
            table.append(line)
        line = ["REST → dashboard (1 tab)"]
        for size in sizes:
            line += ["", _cell(result["sizes"][size].get("dashboard"))]
        table.append(line)
        line = ["demo fill, tasks/s"]
        for size in sizes:
            fill = result["sizes"][size].get("fill")
            line += ["", f"{fill['tasks_per_s']:,}" if fill and fill.get("tasks_per_s") else ""]
        table.append(line)
        print(f"\nData scale, {result['config']} ({result['label']})")
        print_table(headers, table, left=1)
        _verdicts(result)
        for error in result["errors"]:
            print(f"  failed: {error}")


def _verdicts(result: dict[str, Any]) -> None:
    """The issue's targets at the largest size, as printed remarks (never asserted)."""
    sizes = list(result["sizes"])
    if len(sizes) < 2:
        return
    empty, largest = result["sizes"][sizes[0]], result["sizes"][sizes[-1]]
    lists = largest.get("lists", {})
    slow = [n for n, v in lists.items() if n != "counts by status" and v["HPI"]["p50_ms"] > LIST_TARGET_MS]
    print(
        f"  target at {largest.get('tasks', 0):,} tasks: every list p50 ≤ {LIST_TARGET_MS:g} ms: "
        + ("met" if lists and not slow else f"MISSED ({', '.join(slow) or 'not measured'})")
    )
    base, big = empty.get("dashboard", {}).get("p95_ms"), largest.get("dashboard", {}).get("p95_ms")
    if base and big:
        verdict = "met" if big <= base * DASHBOARD_SHARE else "MISSED"
        print(
            f"  REST → dashboard p95 {big:,.0f} ms vs {base:,.0f} ms empty (≤ {DASHBOARD_SHARE}×): {verdict}"
        )


def main() -> int:
    """Run each configuration and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="sqlite1,pg3", help="server configurations: sqlite1, pg3 or both")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="history sizes, in tasks")
    parser.add_argument("--samples", type=int, default=SAMPLES, help="requests per question and size")
    parser.add_argument(
        "--dashboard", type=int, default=DASHBOARD_TASKS, help="tasks per REST → dashboard run"
    )
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    stop_on_sigterm()
    results: list[dict[str, Any]] = []

    def save(result: dict[str, Any]) -> None:
        if args.json:
            args.json.write_text(json.dumps([*results, result], indent=2))

    for config in parse_configs(args.config):
        results.append(run(config, tuple(args.sizes), args.samples, args.dashboard, save))
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
