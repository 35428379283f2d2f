"""What an agent's tool needs to reach HPI's MCP server: the JSON snippet each client reads.

Pure functions, shared by ``python -m hpi_app mcp-config`` and Settings › API Tokens. Over HTTP
the client calls ``<base>/mcp`` with the token as a bearer header; over stdio it starts
``python -m hpi_app mcp``, which reads ``HPI_URL`` and ``HPI_TOKEN``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

from hpi_app import routes
from hpi_app.config import ROOT
from hpi_app.core.errors import InvalidInput
from hpi_app.vocab import McpClient, McpTransport

SERVER_NAME = "hpi"
TOKEN_PLACEHOLDER = "htk_your_token_here"

CLIENT_LABELS = {
    McpClient.CLAUDE_CODE: "Claude Code",
    McpClient.CURSOR: "Cursor",
    McpClient.VSCODE: "VS Code",
}
CONFIG_FILES = {
    McpClient.CLAUDE_CODE: ".mcp.json in your project's root",
    McpClient.CURSOR: "~/.cursor/mcp.json (or .cursor/mcp.json in a project)",
    McpClient.VSCODE: ".vscode/mcp.json in your workspace",
}
# VS Code lists servers under "servers"; Claude Code and Cursor under "mcpServers".
_TOP_KEYS = {McpClient.CLAUDE_CODE: "mcpServers", McpClient.CURSOR: "mcpServers", McpClient.VSCODE: "servers"}


@dataclass(frozen=True)
class Launcher:
    """How the agent's machine starts ``python -m hpi_app mcp`` for the stdio variant.

    Attributes:
        python: The Python interpreter that has HPI's packages.
        project_dir: The HPI checkout (put on ``PYTHONPATH`` so ``-m hpi_app`` is found from anywhere).
    """

    python: str
    project_dir: str


def local_launcher() -> Launcher:
    """This checkout and the interpreter running it: right when the agent runs on this machine."""
    return Launcher(python=sys.executable, project_dir=str(ROOT))


def instance_base(url: str) -> str:
    """The instance's base URL from what a person typed (a trailing ``/mcp`` is dropped).

    Raises:
        InvalidInput: ``url`` is not an http(s) URL.
    """
    base = url.strip().rstrip("/")
    if base.endswith(routes.MCP_PATH):
        base = base[: -len(routes.MCP_PATH)]
    if not base.startswith(("http://", "https://")) or len(base) <= len("https://"):
        msg = f"{url!r} is not an HPI address: give one like https://hpi.example.com."
        raise InvalidInput(msg, details=[{"field": "url", "message": msg}])
    return base


def server_entry(
    client: McpClient, transport: McpTransport, *, base_url: str, token: str | None, launcher: Launcher
) -> dict:
    """The one server's settings in ``client``'s format (no token: a placeholder to replace)."""
    secret = token or TOKEN_PLACEHOLDER
    base = instance_base(base_url)
    if transport == McpTransport.HTTP:
        entry: dict = {"url": routes.mcp_url(base), "headers": {"Authorization": f"Bearer {secret}"}}
    else:
        entry = {
            "command": launcher.python,
            "args": ["-m", "hpi_app", "mcp"],
            "env": {"HPI_URL": base, "HPI_TOKEN": secret, "PYTHONPATH": launcher.project_dir},
        }
    # Cursor tells the two apart by "url" versus "command"; the others want the type named.
    if client != McpClient.CURSOR:
        entry = {"type": transport.value, **entry}
    return entry


def client_config(
    client: McpClient | str,
    transport: McpTransport | str = McpTransport.HTTP,
    *,
    base_url: str,
    token: str | None = None,
    launcher: Launcher | None = None,
) -> dict:
    """The whole configuration file ``client`` reads, with HPI as its one server.

    Raises:
        InvalidInput: An unknown client or transport, or a base URL that is not http(s).
    """
    client, transport = _client(client), _transport(transport)
    entry = server_entry(
        client, transport, base_url=base_url, token=token, launcher=launcher or local_launcher()
    )
    return {_TOP_KEYS[client]: {SERVER_NAME: entry}}


def client_config_json(
    client: McpClient | str,
    transport: McpTransport | str = McpTransport.HTTP,
    *,
    base_url: str,
    token: str | None = None,
    launcher: Launcher | None = None,
) -> str:
    """``client_config`` as the text to paste into the client's file."""
    config = client_config(client, transport, base_url=base_url, token=token, launcher=launcher)
    return json.dumps(config, indent=2)


def _client(value: McpClient | str) -> McpClient:
    try:
        return McpClient(value)
    except ValueError:
        names = ", ".join(c.value for c in McpClient)
        msg = f"Unknown MCP client {value!r}: choose one of {names}."
        raise InvalidInput(msg, details=[{"field": "client", "message": msg}]) from None


def _transport(value: McpTransport | str) -> McpTransport:
    try:
        return McpTransport(value)
    except ValueError:
        msg = f"Unknown transport {value!r}: choose http or stdio."
        raise InvalidInput(msg, details=[{"field": "transport", "message": msg}]) from None
