"""REST create → row visible on an open dashboard: p50/p95 over 50 tasks, with 1 and 10 tabs.

Each dashboard tab records, with a MutationObserver, the wall-clock time at which a task's row
appears; the client notes the time just before it sends ``POST /api/v1/tasks``. Browser and
client share the machine's clock, so the difference is the propagation time a person sees
(HTTP create + commit + event bus + Reflex state update over the websocket + React render).

    .venv/bin/python bench/dashboard_propagation.py [--tasks 50] [--tabs 1 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import make_token, percentile, start_hpi

BODY = {
    "title": "Approve deployment to production",
    "steps": [
        {
            "id": "approval",
            "title": "Review and Approve",
            "blocks": [
                {"type": "mdsvex", "content": "A new deployment is ready for **production**."},
                {
                    "type": "input",
                    "field": {
                        "name": "decision",
                        "label": "Decision",
                        "kind": "select",
                        "options": ["Approve", "Reject"],
                    },
                },
            ],
        }
    ],
}
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
  new MutationObserver(note).observe(document.body, {childList: true, subtree: true});
}
"""


def measure(url: str, token: str, email: str, tabs: int, count: int) -> dict:
    """Open ``tabs`` signed-in dashboards, create ``count`` tasks one by one, time each row's arrival."""
    from playwright.sync_api import sync_playwright

    headers = {"Authorization": f"Bearer {token}"}
    chromium = os.environ.get("HPI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    latencies: list[float] = []
    with sync_playwright() as pw, httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        first = context.new_page()
        first.goto(f"{url}/login")
        first.get_by_label("Email").fill(email)
        first.get_by_label("Password").fill("a long bench password")
        first.get_by_role("button", name="Sign in").click()
        first.wait_for_url(f"{url}/")
        pages = [first] + [context.new_page() for _ in range(tabs - 1)]
        for page in pages:
            if page is not first:
                page.goto(f"{url}/")
            page.locator("#tab-pending").wait_for()
            page.evaluate(OBSERVER)
        http.post("/api/v1/tasks", json={**BODY, "title": "warm-up"})
        for page in pages:
            page.locator("tr[data-task-id]").first.wait_for()
        for n in range(count):
            sent = time.time() * 1000
            task_id = http.post("/api/v1/tasks", json={**BODY, "title": f"Propagation {n}"}).json()["task_id"]
            for page in pages:
                page.locator(f'tr[data-task-id="{task_id}"]').wait_for(timeout=10_000)
                seen = page.evaluate("id => window.__seen[id]", task_id)
                latencies.append(seen - sent)
        browser.close()
    return {
        "tabs": tabs,
        "tasks": count,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "max_ms": round(max(latencies), 1),
    }


def main() -> None:
    """Run the measurement for each tab count and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--tabs", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    server = start_hpi()
    try:
        email = "dash-bench@example.com"
        token = make_token(server, email)
        results = [measure(server.url, token, email, tabs, args.tasks) for tabs in args.tabs]
    finally:
        server.stop()
    print(f"\nREST create → row visible on the dashboard ({args.tasks} tasks, 1 worker, SQLite)")
    print(f"{'tabs':>5} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for r in results:
        print(f"{r['tabs']:>5} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['max_ms']:>8}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
