"""The real app, started once per test session the way `make run` starts it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from hpi_app.config import ROOT
from tests.e2e.mail import Mailbox
from tests.utils.chromium import launch_chromium
from tests.utils.ports import free_port


@dataclass
class RunningApp:
    """A started HPI server and the environment of its store."""

    url: str
    env: dict[str, str]
    log: Path

    def python(self, code: str) -> str:
        """Run Python against this server's store (to arrange what a test can't do by hand)."""
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """Run ``python -m hpi_app`` against this server's store."""
        return subprocess.run(
            [sys.executable, "-m", "hpi_app", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


@contextmanager
def running_app(data: Path, extra_env: dict[str, str] | None = None) -> Iterator[RunningApp]:
    """Migrate a fresh store in ``data`` and run `python -m hpi_app serve` on a free port.

    ``extra_env`` adds or overrides settings of this server (``HPI_SMTP_URL``, ...).
    """
    port = free_port()
    env = {
        **os.environ,
        "HPI_DATA_DIR": str(data),
        "REFLEX_DB_URL": f"sqlite:///{data / 'hpi.db'}",
        "PORT": str(port),
        # A build folder of its own, so parallel runs and `make run` don't overwrite each other.
        "REFLEX_WEB_WORKDIR": str(data / ".web"),
        "REFLEX_STATES_WORKDIR": str(data / ".states"),
    }
    for name in ("HPI_PUBLIC_URL", "HPI_ADMIN_EMAIL", "HPI_ADMIN_PASSWORD"):
        env.pop(name, None)
    env.update(extra_env or {})
    log = data / "server.log"
    subprocess.run([sys.executable, "-m", "hpi_app", "migrate"], cwd=ROOT, env=env, check=True, timeout=120)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hpi_app", "serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                pytest.fail(f"The app exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
            try:
                if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"The app did not answer within 300 s:\n{log.read_text()[-4000:]}")
            time.sleep(0.25)
        yield RunningApp(url=url, env=env, log=log)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The app, started once for the whole session (tests share it: use unique names)."""
    with running_app(tmp_path_factory.mktemp("e2e-data")) as app:
        yield app


@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    """The SMTP server a test module's ``mail_app`` sends its mail to."""
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def mail_app(tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox) -> Iterator[RunningApp]:
    """An app of the test module's own, sending mail to ``mailbox``."""
    env = {"HPI_SMTP_URL": mailbox.url, "HPI_SMTP_FROM": "HPI <hpi@acme.test>"}
    with running_app(tmp_path_factory.mktemp("e2e-mail"), extra_env=env) as app:
        yield app


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Chromium driven by Playwright (``tests/utils/chromium.py``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()


DESKTOP = {"viewport": {"width": 1280, "height": 860}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def screen(size: str, *, desktop_height: int = 860) -> dict:
    """The browser context options of a ``"desktop"`` (1280 wide) or ``"phone"`` (390×844) screen."""
    if size == "desktop":
        return {"viewport": {"width": 1280, "height": desktop_height}}
    return PHONE


def _fresh_page(browser, options: dict):
    context = browser.new_context(**options)
    yield context.new_page()
    context.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page at desktop size."""
    yield from _fresh_page(browser, DESKTOP)


@pytest.fixture
def phone(browser):
    """A fresh browser context and page at phone size (390×844)."""
    yield from _fresh_page(browser, PHONE)


SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/screenshots/ for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
