"""An agent asks a person through MCP: the real app (`python -m hpi_app serve`), the official MCP
client over Streamable HTTP at /mcp, and the person answering on a phone-sized Chromium via the link.
"""

from __future__ import annotations

import asyncio
import threading

from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.helpers import make_api_user
from tests.mcp.conftest import mcp_client


def test_ask_approval_is_answered_on_a_phone_through_its_link(app_server, phone):
    user = make_api_user(app_server)
    progress: list[str] = []
    linked = threading.Event()
    outcome: dict = {}

    async def agent() -> None:
        async def on_progress(_done: float, _total: float | None, message: str | None) -> None:
            progress.append(message or "")
            linked.set()

        async with mcp_client(f"{app_server.url}/mcp", user.token) as client:
            outcome["result"] = await client.call_tool(
                "ask_approval",
                {
                    "title": "Deploy v2 to production",
                    "details": "**3 services** change.",
                    "timeout_seconds": 120,
                },
                progress_callback=on_progress,
            )

    # The agent blocks in its own thread (Playwright's sync API owns this one's event loop).
    thread = threading.Thread(target=lambda: asyncio.run(agent()))
    thread.start()
    assert linked.wait(60), "the tool never said it waits"
    url = progress[0].rsplit(" ", 1)[-1]
    assert url.startswith(f"{app_server.url}/t/")

    phone.goto(url)
    expect(phone.get_by_role("heading", name="Deploy v2 to production")).to_be_visible()
    expect(phone.get_by_role("heading", name="Your decision")).to_be_visible()
    expect(phone.get_by_text("3 services")).to_be_visible()
    phone.get_by_label("Decision").get_by_role("radio", name="Approve").click()
    phone.get_by_label("Comment").fill("Ship it")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(phone, "mcp-ask-approval-phone")
    phone.get_by_role("button", name="Submit").tap()
    expect(phone.get_by_role("heading", name="Answers submitted")).to_be_visible()

    thread.join(60)
    assert not thread.is_alive()
    result = outcome["result"]
    assert not result.is_error
    got = result.structured_content
    assert (got["status"], got["approved"], got["comment"], got["url"]) == ("completed", True, "Ship it", url)
