"""``python -m hpi_app mcp``: the same tools over stdio, bridged to the instance at HPI_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from mcp import Client, StdioServerParameters

from tests.mcp.conftest import Waiting, complete, task_for
from tests.mcp.test_server import NAMES
from tests.utils.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def _bridge(url: str, token: str) -> StdioServerParameters:
    env = {**os.environ, "HPI_URL": url, "HPI_TOKEN": token}
    return StdioServerParameters(
        command=sys.executable, args=["-m", "hpi_app", "mcp"], env=env, cwd=str(ROOT)
    )


async def test_ask_approval_over_stdio_returns_the_verdict(live_app, token, rest):
    async with Client(_bridge(live_app, token)) as client:
        listed = sorted(t.name for t in (await client.list_tools()).tools)
        waiting = Waiting(client, "ask_approval", {"title": "Rotate the keys"})
        url = await waiting.started()
        await complete(rest, url, {"decision": "approve", "comment": "done"})
        result = await waiting.call
    assert listed == sorted(NAMES)
    got = result.structured_content
    assert (got["status"], got["approved"], got["comment"], got["url"]) == ("completed", True, "done", url)
    assert (await task_for(rest, url))["status"] == "completed"


async def test_a_bad_argument_over_stdio_is_a_tool_error_naming_it(live_app, token):
    async with Client(_bridge(live_app, token)) as client:
        result = await client.call_tool("ask_choice", {"question": "Which?", "choices": []})
    assert result.is_error
    assert "choices" in result.content[0].text


def _run_bridge(url: str, token: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HPI_URL": url, "HPI_TOKEN": token}
    return subprocess.run(
        [sys.executable, "-m", "hpi_app", "mcp"],
        env=env,
        cwd=ROOT,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unreachable_url_is_a_clear_error(token):
    url = f"http://127.0.0.1:{free_port()}"
    done = _run_bridge(url, token)
    assert done.returncode == 1
    assert f"Cannot reach HPI at {url}/mcp" in done.stderr
    assert "HPI_URL" in done.stderr
    assert done.stdout == ""


def test_a_refused_token_is_a_clear_error(live_app):
    done = _run_bridge(live_app, "htk_" + "2" * 64)
    assert done.returncode == 1
    assert "refused the token: Invalid token" in done.stderr


def test_no_token_says_how_to_get_one(live_app):
    done = _run_bridge(live_app, "")
    assert done.returncode == 2
    assert "HPI_TOKEN" in done.stderr
