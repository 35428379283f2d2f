"""The MCP connection snippets: each client's own file format, over HTTP and over stdio."""

from __future__ import annotations

import json

import pytest

from hpi_app.core import mcp_config
from hpi_app.core.errors import InvalidInput
from hpi_app.vocab import McpClient, McpTransport

LAUNCHER = mcp_config.Launcher(python="/opt/hpi/.venv/bin/python", project_dir="/opt/hpi")
TOKEN = "htk_" + "a1" * 32


def _parsed(client: str, transport: str, token: str | None = TOKEN, base: str = "https://hpi.example.com"):
    text = mcp_config.client_config_json(client, transport, base_url=base, token=token, launcher=LAUNCHER)
    return json.loads(text)


@pytest.mark.parametrize(
    ("client", "top", "typed"),
    [("claude-code", "mcpServers", True), ("cursor", "mcpServers", False), ("vscode", "servers", True)],
)
def test_http_snippet_is_the_clients_format(client, top, typed):
    config = _parsed(client, "http")
    assert list(config) == [top] and list(config[top]) == ["hpi"]
    expected = {"url": "https://hpi.example.com/mcp", "headers": {"Authorization": f"Bearer {TOKEN}"}}
    if typed:
        expected = {"type": "http", **expected}
    assert config[top]["hpi"] == expected


@pytest.mark.parametrize(
    ("client", "top", "typed"),
    [("claude-code", "mcpServers", True), ("cursor", "mcpServers", False), ("vscode", "servers", True)],
)
def test_stdio_snippet_starts_the_bridge_with_url_and_token(client, top, typed):
    entry = _parsed(client, "stdio")[top]["hpi"]
    assert entry.pop("type", None) == ("stdio" if typed else None)
    assert entry == {
        "command": "/opt/hpi/.venv/bin/python",
        "args": ["-m", "hpi_app", "mcp"],
        "env": {"HPI_URL": "https://hpi.example.com", "HPI_TOKEN": TOKEN, "PYTHONPATH": "/opt/hpi"},
    }


@pytest.mark.parametrize("transport", list(McpTransport))
@pytest.mark.parametrize("client", list(McpClient))
def test_without_a_token_a_placeholder_stands_in(client, transport):
    text = mcp_config.client_config_json(
        client, transport, base_url="http://localhost:8000", launcher=LAUNCHER
    )
    json.loads(text)
    assert mcp_config.TOKEN_PLACEHOLDER in text and text.count("htk_") == 1


@pytest.mark.parametrize(
    ("typed", "base"),
    [
        ("http://localhost:8000/", "http://localhost:8000"),
        ("https://hpi.example.com/mcp", "https://hpi.example.com"),
        ("  https://hpi.example.com/team/mcp/ ", "https://hpi.example.com/team"),
    ],
)
def test_the_base_url_is_normalised(typed, base):
    assert mcp_config.instance_base(typed) == base
    assert _parsed("claude-code", "http", base=typed)["mcpServers"]["hpi"]["url"] == f"{base}/mcp"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"client": "zed"}, "client"),
        ({"transport": "sse"}, "transport"),
        ({"base_url": "hpi.example.com"}, "url"),
        ({"base_url": "ftp://hpi.example.com"}, "url"),
        ({"base_url": "https://"}, "url"),
    ],
)
def test_bad_input_names_the_field(kwargs, field):
    args = {"client": "cursor", "transport": "http", "base_url": "https://hpi.example.com", **kwargs}
    with pytest.raises(InvalidInput) as raised:
        mcp_config.client_config(args.pop("client"), args.pop("transport"), launcher=LAUNCHER, **args)
    assert [d["field"] for d in raised.value.details] == [field]


def test_every_client_has_a_label_and_a_file():
    assert set(mcp_config.CLIENT_LABELS) == set(McpClient) == set(mcp_config.CONFIG_FILES)


def test_the_local_launcher_is_this_checkout():
    launcher = mcp_config.local_launcher()
    assert launcher.project_dir == str(mcp_config.ROOT)
    assert (mcp_config.ROOT / "hpi_app" / "__main__.py").exists()
