"""Sign-in and page checks for the Settings browser tests."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Page, expect

from tests.e2e.conftest import SCREENSHOTS


def sign_in_to(page: Page, app, email: str, password: str, path: str) -> None:
    """Sign in through the sign-in page, asking to land on ``path``, and wait until it has."""
    page.goto(f"{app.url}/login?next={quote(path, safe='')}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(app.url + path) + r"/?$"))
    expect(page.locator("#settings-nav")).to_be_visible()


def open_settings(page: Page, app, path: str) -> None:
    """Go to a Settings page of a signed-in member and wait for its frame."""
    page.goto(f"{app.url}{path}")
    expect(page.locator("#settings-nav")).to_be_visible()


def sign_in_refused(page: Page, app, email: str, password: str) -> None:
    """Try to sign in and check the sign-in page says no."""
    page.goto(f"{app.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_be_visible()


def page_fits_the_screen(page: Page) -> bool:
    """Whether the page itself does not scroll sideways (tables may, inside their own box)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def screenshot_viewport(page: Page, name: str) -> Path:
    """Save what is on screen (a full-page shot misplaces an open dialog's overlay)."""
    # Let a dialog finish opening first (finite animations only; spinners run forever).
    # An animation that is cancelled meanwhile rejects `finished` with an AbortError:
    # that one is over too, so settle rather than fail.
    page.evaluate(
        "Promise.allSettled(document.getAnimations()"
        ".filter(a => a.effect?.getTiming().iterations !== Infinity).map(a => a.finished))"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path
