"""The API served by uvicorn in a process of its own, on the test's store.

A test that must see whether the worker keeps answering cannot share its interpreter with it:
a regular expression that backtracks holds the GIL, and the test would stop with the worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from hpi_app import db
from hpi_app.config import ROOT, settings
from tests.utils.ports import free_port


@contextmanager
def api_process() -> Iterator[str]:
    """Start the API on the store the test uses; yields its base URL and stops it afterwards."""
    port = free_port()
    url = db.get_engine().url.render_as_string(hide_password=False)
    env = {**os.environ, "REFLEX_DB_URL": url, "HPI_DATA_DIR": str(settings.data_dir)}
    command = [sys.executable, "-m", "uvicorn", "--factory", "hpi_app.api.app:create_api"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--lifespan", "off"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the API process stopped"
            assert time.monotonic() < deadline, "the API process did not start"
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
