"""REST create → row visible on an open dashboard: p50/p95 over N tasks, with 1 and 10 tabs.

Each dashboard tab records, with a MutationObserver, the wall-clock time at which a task's row
appears; the client notes the time just before it sends ``POST /api/v1/tasks``. Browser and
client share the machine's clock, so the difference is the propagation time a person sees
(HPI: HTTP create + commit + event bus + Reflex state update over the websocket + React render).

The baseline (``baseline_app.py``) serves ``/dash``: a page whose script adds a row for each
message of its websocket, and the create route sends each new task to every open socket (over
Redis to the other workers): the floor for the same path.

With several workers, the creates rotate over keep-alive connections held by each worker, and
the worker holding the tab's websocket is found (the server-side socket whose ``bytes_sent``
grows when a task is created, read with ``ss``), so each sample is labelled "same worker" or
"across workers".

    .venv/bin/python bench/dashboard_propagation.py [--tasks 50] [--tabs 1 10] [--config sqlite1|pg3]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bodies import SEED_TASK
from configs import SQLITE1, ServerConfig, parse_configs
from launch import start_server
from measure import percentile
from processes import stop_on_sigterm
from servers import Server

PASSWORD = "a long bench password"  # launch.make_token's
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]  # fmt: skip
OBSERVER = """
() => {
  window.__seen = {};
  const note = () => {
    for (const row of document.querySelectorAll('tr[data-task-id]')) {
      const id = row.getAttribute('data-task-id');
      if (!(id in window.__seen)) window.__seen[id] = Date.now();
    }
  };
  note();
  // React may reuse a row and change its data-task-id in place: watch that attribute too.
  new MutationObserver(note).observe(document.body, {
    childList: true, subtree: true, attributes: true, attributeFilter: ['data-task-id'],
  });
}
"""

# Notes when each websocket message arrives (before the page's own handlers run), so that a row's
# latency splits into "until the message carrying it arrived" and "from there to the DOM".
WS_TAP = """
(() => {
  window.__ws = [];
  const Original = window.WebSocket;
  window.WebSocket = class extends Original {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (typeof e.data === 'string') window.__ws.push([Date.now(), e.data]);
      });
    }
  };
})();
"""
FIRST_MESSAGE = """
([id, after]) => {
  const hit = window.__ws.find(([t, data]) => t >= after && data.includes(id));
  return hit ? hit[0] : null;
}
"""


class Creator:
    """Keep-alive connections for ``POST /api/v1/tasks``, one per worker, used in turn."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.conns: dict[int, http.client.HTTPConnection] = {}
        spare = []
        for _ in range(30 * server.config.workers):
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            conn.request("GET", "/api/v1/health")
            conn.getresponse().read()
            pid = server.worker_of_ports([conn.sock.getsockname()[1]]).get(conn.sock.getsockname()[1])
            if pid and pid not in self.conns:
                self.conns[pid] = conn
            else:
                spare.append(conn)
            if len(self.conns) == server.config.workers:
                break
        for conn in spare:
            conn.close()
        self.order = sorted(self.conns)
        self.turn = 0

    def ports(self) -> set[int]:
        """This client's ports (to tell its connections from the browser's)."""
        return {c.sock.getsockname()[1] for c in self.conns.values()}

    def create(self, title: str) -> tuple[str, int]:
        """Create a task over the next worker's connection; its id and that worker's pid."""
        pid = self.order[self.turn % len(self.order)]
        self.turn += 1
        conn = self.conns[pid]
        body = json.dumps({**SEED_TASK, "title": title})
        conn.request(
            "POST", "/api/v1/tasks", body, {**self.server.headers, "Content-Type": "application/json"}
        )
        answer = conn.getresponse()
        data = answer.read()
        if answer.status != 201:
            raise RuntimeError(f"create answered {answer.status}: {data[:200]!r}")
        return json.loads(data)["task_id"], pid

    def close(self) -> None:
        """Close every connection."""
        for conn in self.conns.values():
            conn.close()


def _bytes_sent(port: int) -> dict[int, int]:
    """``{client port: bytes the server has sent on that connection}`` for connections on ``port``."""
    out = subprocess.run(
        ["ss", "-tinH", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    sent: dict[int, int] = {}
    peer = None
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 4 and ":" in fields[-1] and not line.startswith(("\t", " ")):
            peer = int(fields[-1].rsplit(":", 1)[1])
        elif peer is not None and (found := re.search(r"bytes_sent:(\d+)", line)):
            sent[peer] = int(found.group(1))
            peer = None
    return sent


def _open_tabs(context: Any, server: Server, tabs: int) -> list[Any]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    url = server.url
    first = context.new_page()
    if server.name == "HPI":
        first.goto(f"{url}/login")
        first.get_by_label("Email").fill(server.email)
        first.get_by_label("Password").fill(PASSWORD)
        first.get_by_role("button", name="Sign in").click()
        first.wait_for_url(f"{url}/")
        ready, path = "#tab-pending", "/"
    else:
        ready, path = "body[data-ready]", "/dash"
        first.goto(url + path)
    pages = [first] + [context.new_page() for _ in range(tabs - 1)]
    for page in pages:
        if page is not first:
            page.goto(url + path)
        for attempt in range(3):
            # Another start of HPI from this checkout rebuilds the web app's files; a page
            # loaded meanwhile may never come up: load it again.
            try:
                page.locator(ready).wait_for(state="attached", timeout=20_000)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
                print(f"  the dashboard did not come up in 20 s; loading it again ({page.url})", flush=True)
                page.goto(url + path)
        page.evaluate(OBSERVER)
    return pages


def measure(server: Server, tabs: int = 1, count: int = 50) -> dict[str, Any]:
    """Open ``tabs`` dashboards on a running server, create ``count`` tasks one by one, time each row.

    Args:
        server: HPI (signed in: ``server.email`` and ``server.headers``) or the baseline.
        tabs: Dashboard tabs open at once.
        count: Tasks created (after two warm-up tasks).

    Returns:
        p50/p95/max over every (task, tab), and with several workers the same split by whether
        the create's worker held the (first) tab's websocket.
    """
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("HPI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    samples: list[tuple[float, int]] = []
    creator = Creator(server)
    tab_worker = 0
    unobserved = 0
    split: list[tuple[float, float]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
            try:
                context = browser.new_context(viewport={"width": 1280, "height": 860})
                context.add_init_script(WS_TAP)
                pages = _open_tabs(context, server, tabs)
                for n in range(2):  # warm-up; the second finds the first tab's websocket
                    before = _bytes_sent(server.port)
                    task_id, _pid = creator.create(f"warm-up {n}")
                    for page in pages:
                        page.locator(f'tr[data-task-id="{task_id}"]').wait_for(timeout=10_000)
                    grew = {
                        port
                        for port, sent in _bytes_sent(server.port).items()
                        if sent > before.get(port, sent) and port not in creator.ports()
                    }
                    holders = set(server.worker_of_ports(grew).values())
                    if tabs == 1 and len(holders) == 1:
                        tab_worker = holders.pop()
                for n in range(count):
                    sent = time.time() * 1000
                    task_id, pid = creator.create(f"Propagation {n}")
                    for page in pages:
                        page.locator(f'tr[data-task-id="{task_id}"]').wait_for(timeout=10_000)
                        seen = page.evaluate("id => window.__seen && window.__seen[id]", task_id)
                        if seen is None:  # not seen by the observer (the page was replaced?)
                            unobserved += 1
                            continue
                        arrived = page.evaluate(FIRST_MESSAGE, [task_id, sent - 5])
                        samples.append((seen - sent, pid))
                        if arrived is not None:
                            split.append((arrived - sent, seen - arrived))
            finally:
                browser.close()
    finally:
        creator.close()
    latencies = [lat for lat, _pid in samples]
    result: dict[str, Any] = {
        "target": server.name,
        "config": server.config.name,
        "tabs": tabs,
        "tasks": count,
        "unobserved": unobserved,
        **_stats(latencies),
        "to_message": _stats([a for a, _b in split]),
        "message_to_row": _stats([b for _a, b in split]),
    }
    if server.config.workers > 1:
        result["tab_worker_found"] = bool(tab_worker)
        if tab_worker:
            result["same_worker"] = _stats([lat for lat, pid in samples if pid == tab_worker])
            result["across_workers"] = _stats([lat for lat, pid in samples if pid != tab_worker])
    return result


def _stats(latencies: list[float]) -> dict[str, Any]:
    return {
        "samples": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "max_ms": round(max(latencies, default=float("nan")), 1),
    }


def run(
    *, config: ServerConfig = SQLITE1, tabs: tuple[int, ...] = (1, 10), count: int = 50, baseline: bool = True
) -> list[dict[str, Any]]:
    """Measure the baseline (unless told not to), then HPI, with each number of tabs."""
    results = []
    for kind in ("baseline", "HPI") if baseline else ("HPI",):
        print(f"dashboard: {kind} ({config.label})", flush=True)
        with start_server(kind, config) as server:
            results += [measure(server, n, count) for n in tabs]
    return results


def report(results: list[dict[str, Any]]) -> None:
    """Print the results of ``run`` as a table."""
    print(
        "\nREST create → row visible on the dashboard (to message: until the websocket message carrying "
        "the row arrived; message to row: from there to the DOM)"
    )
    print(f"{'target':<9} {'config':<8} {'tabs':>5} {'tasks':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for r in results:
        rows = [("", r)]
        parts = ("same_worker", "across_workers", "to_message", "message_to_row")
        rows += [(f"  {k.replace('_', ' ')}", r[k]) for k in parts if r.get(k, {}).get("samples")]
        for label, s in rows:
            print(
                f"{r['target']:<9} {r['config']:<8} {r['tabs']:>5} {s['samples']:>6} {s['p50_ms']:>8} "
                f"{s['p95_ms']:>8} {s['max_ms']:>8}{label}"
            )


def main() -> None:
    """Run the measurement for each tab count and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--tabs", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--config", default="sqlite1", help="server configurations: sqlite1, pg3 or both")
    parser.add_argument("--no-baseline", action="store_true", help="measure HPI only")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    stop_on_sigterm()
    results = []
    for config in parse_configs(args.config):
        results += run(config=config, tabs=tuple(args.tabs), count=args.tasks, baseline=not args.no_baseline)
    report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
