"""Settings › API Tokens › "Connect an agent": the new token's MCP settings for each tool, to copy."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.accounts import make_member
from tests.e2e.settings_helpers import page_fits_the_screen, screenshot_viewport, sign_in_to
from tests.e2e.test_settings import TOKENS, _create_token_in_the_page

pytestmark = pytest.mark.e2e


def _snippet(page) -> dict:
    return json.loads(page.locator("#agent-snippet").inner_text())


def _pick(page, group: str, name: str) -> None:
    choice = page.locator(f"#{group}").get_by_role("radio", name=name, exact=True)
    choice.click()
    expect(choice).to_have_attribute("aria-checked", "true")


def _open_connect_agent(page, app_server) -> str:
    admin = make_member(app_server, admin=True)
    sign_in_to(page, app_server, admin.email, admin.password, TOKENS)
    raw = _create_token_in_the_page(page, "coding agent", ("tasks:create", "tasks:read"))
    toggle = page.get_by_role("button", name="Connect an agent")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.locator("#agent-panel")).to_be_visible()
    return raw


def test_connect_an_agent_gives_each_tool_its_snippet(app_server, page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_server.url)
    raw = _open_connect_agent(page, app_server)
    mcp_url = f"{app_server.url}/mcp"

    # Claude Code over HTTP first: .mcp.json with the token as a bearer header.
    expect(page.locator("#agent-panel")).to_contain_text(".mcp.json")
    assert _snippet(page) == {
        "mcpServers": {"hpi": {"type": "http", "url": mcp_url, "headers": {"Authorization": f"Bearer {raw}"}}}
    }
    screenshot_viewport(page, "settings-connect-agent-desktop")

    _pick(page, "agent-client", "Cursor")
    expect(page.locator("#agent-panel")).to_contain_text("~/.cursor/mcp.json")
    expect(page.locator("#agent-snippet")).not_to_contain_text('"type"')
    assert _snippet(page)["mcpServers"]["hpi"] == {
        "url": mcp_url,
        "headers": {"Authorization": f"Bearer {raw}"},
    }

    _pick(page, "agent-client", "VS Code")
    _pick(page, "agent-transport", "stdio")
    expect(page.locator("#agent-panel")).to_contain_text(".vscode/mcp.json")
    expect(page.locator("#agent-snippet")).to_contain_text('"stdio"')
    stdio = _snippet(page)["servers"]["hpi"]
    assert stdio["type"] == "stdio" and stdio["args"] == ["-m", "hpi_app", "mcp"]
    assert stdio["env"]["HPI_URL"] == app_server.url and stdio["env"]["HPI_TOKEN"] == raw

    page.locator("#copy-agent-snippet").click()
    expect(page.locator("#copy-agent-snippet")).to_have_text("Copied")
    assert json.loads(page.evaluate("navigator.clipboard.readText()")) == _snippet(page)

    # Closing the dialog forgets the token, and the snippet with it.
    page.locator("#close-new-token").click()
    expect(page.locator("#new-token-dialog")).to_have_count(0)
    assert raw not in page.content()


def test_connect_an_agent_on_a_phone(app_server, phone):
    raw = _open_connect_agent(phone, app_server)
    _pick(phone, "agent-transport", "stdio")
    expect(phone.locator("#agent-snippet")).to_contain_text(raw)
    assert _snippet(phone)["mcpServers"]["hpi"]["env"]["HPI_TOKEN"] == raw
    assert page_fits_the_screen(phone)
    # The dialog and the snippet's box stay on the screen; long lines scroll inside the box.
    for element in ("#new-token-dialog", "#agent-snippet"):
        box = phone.locator(element).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (element, box)
    screenshot_viewport(phone, "settings-connect-agent-phone")
