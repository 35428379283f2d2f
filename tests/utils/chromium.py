"""How the tests start Chromium (Debian's, through Playwright): one place for the path and flags."""

from __future__ import annotations

import os
import shutil
from typing import Any

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
