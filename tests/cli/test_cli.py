"""The operator command line, run as a real subprocess against a temporary store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hpi_app.config import ROOT


@pytest.fixture
def run_cli(tmp_path: Path):
    env = {**os.environ, "REFLEX_DB_URL": f"sqlite:///{tmp_path / 'cli.db'}", "HPI_DATA_DIR": str(tmp_path)}

    def run(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "hpi_app", *args],
            cwd=ROOT,
            env={**env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("migrate").returncode == 0
    return run


def test_user_and_token_lifecycle(run_cli):
    made = run_cli(
        "user",
        "create",
        "--email",
        "ops@acme.test",
        "--password",
        "long enough pw",
        "--admin",
        "--org",
        "Acme",
    )
    assert made.returncode == 0, made.stderr
    assert "admin ops@acme.test" in made.stderr
    issued = run_cli(
        "token", "create", "--email", "ops@acme.test", "--name", "ci", "--scopes", "tasks:create,tasks:read"
    )
    assert issued.returncode == 0, issued.stderr
    raw = issued.stdout.strip()
    assert raw.startswith("htk_") and len(raw) == 68 and issued.stdout.count("\n") == 1
    revoked = run_cli("token", "revoke", raw[:12])
    assert revoked.returncode == 0 and "Revoked" in revoked.stderr


def test_cli_errors_are_readable(run_cli):
    weak = run_cli("user", "create", "--email", "ops@acme.test", "--password", "short")
    assert weak.returncode == 1 and "at least 8 characters" in weak.stderr
    nobody = run_cli("token", "create", "--email", "ghost@acme.test", "--name", "x")
    assert nobody.returncode == 1 and "No user" in nobody.stderr
    run_cli("user", "create", "--email", "ops@acme.test", "--password", "long enough pw")
    scope = run_cli("token", "create", "--email", "ops@acme.test", "--name", "x", "--scopes", "tasks:delete")
    assert scope.returncode == 1 and "Unknown scope 'tasks:delete'" in scope.stderr
    assert "Traceback" not in weak.stderr + nobody.stderr + scope.stderr


LOCAL = {"HPI_PUBLIC_URL": "", "PORT": "8000"}


def test_mcp_config_prints_each_clients_snippet(run_cli):
    default = run_cli("mcp-config", extra_env=LOCAL)
    assert default.returncode == 0, default.stderr
    http = json.loads(default.stdout)["mcpServers"]["hpi"]
    assert http == {
        "type": "http",
        "url": "http://localhost:8000/mcp",
        "headers": {"Authorization": "Bearer htk_your_token_here"},
    }
    assert ".mcp.json" in default.stderr and "Replace htk_your_token_here" in default.stderr

    token = "htk_" + "b2" * 32
    vscode = run_cli(
        "mcp-config", "--client", "vscode", "--stdio", "--token", token, "--url", "https://hpi.test/"
    )
    assert vscode.returncode == 0, vscode.stderr
    stdio = json.loads(vscode.stdout)["servers"]["hpi"]
    assert stdio["type"] == "stdio" and stdio["args"] == ["-m", "hpi_app", "mcp"]
    assert stdio["env"]["HPI_URL"] == "https://hpi.test" and stdio["env"]["HPI_TOKEN"] == token
    assert Path(stdio["command"]).exists() and Path(stdio["env"]["PYTHONPATH"], "hpi_app").is_dir()
    assert ".vscode/mcp.json" in vscode.stderr and "Replace" not in vscode.stderr

    cursor = run_cli("mcp-config", "--client", "cursor", "--token", token, extra_env=LOCAL)
    assert json.loads(cursor.stdout)["mcpServers"]["hpi"]["url"] == "http://localhost:8000/mcp"


def test_mcp_config_uses_the_public_url_and_refuses_bad_input(run_cli):
    public = run_cli(
        "mcp-config", "--client", "cursor", extra_env={"HPI_PUBLIC_URL": "https://tasks.acme.test"}
    )
    assert json.loads(public.stdout)["mcpServers"]["hpi"]["url"] == "https://tasks.acme.test/mcp"
    bad = run_cli("mcp-config", "--url", "tasks.acme.test")
    assert bad.returncode == 1 and bad.stdout == "" and "not an HPI address" in bad.stderr
    unknown = run_cli("mcp-config", "--client", "zed")
    assert unknown.returncode == 2 and "invalid choice" in unknown.stderr
