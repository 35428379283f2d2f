"""How the tests start Chromium (Debian's, through Playwright): one place for the path and flags."""

from __future__ import annotations

import os
import shutil
from typing import Any

from playwright.sync_api import expect

# How long an expectation waits for the page to get there. Playwright's 5 s is short on these
# 2-core machines while `make test` runs everything in one session: adding a member hashes a
# password with Argon2 and answers over the websocket, and it was seen to take longer under that
# load. A longer wait only matters when the page is slow; a page that is wrong still fails.
expect.set_options(timeout=15_000)

# The flags DESIGN.md lists for these machines (no sandbox as root, nothing phoning home).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    """``HPI_CHROMIUM``, else the ``chromium`` on PATH, else Debian's."""
    return os.environ.get("HPI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def launch_chromium(playwright: Any) -> Any:
    """A headless Chromium from a started Playwright (sync API)."""
    return playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
