"""The operator command line, run as a real subprocess against a temporary store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hpi_app.config import ROOT


@pytest.fixture
def run_cli(tmp_path: Path):
    env = {**os.environ, "REFLEX_DB_URL": f"sqlite:///{tmp_path / 'cli.db'}", "HPI_DATA_DIR": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "hpi_app", *args],
            cwd=ROOT,
            env=env,
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
