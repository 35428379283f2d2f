"""Starting the servers under test, each on a fresh store.

HPI as an operator runs it, or the baseline; HPI's benchmark user and token through the CLI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from configs import (
    BENCH,
    PYTHON,
    REDIS_URL,
    ROOT,
    SQLITE1,
    ServerConfig,
    create_pg_database,
    drop_pg_database,
)
from processes import free_port, raise_nofile
from servers import Server, _run_cleanups


def _child_setup() -> None:
    # Runs in the server's child between fork and exec: the same as `ulimit -n <hard>` in a shell.
    raise_nofile()


def _spawn(
    name: str,
    cmd: list[str],
    env: dict[str, str],
    workdir: Path,
    port: int,
    cwd: Path,
    config: ServerConfig,
    store_url: str,
    cleanups: list[Any],
) -> Server:
    with (workdir / "server.log").open("w") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_child_setup,
        )
    return Server(
        name=name,
        proc=proc,
        port=port,
        env=env,
        workdir=workdir,
        config=config,
        store_url=store_url,
        cleanups=cleanups,
    )


def _store_for(config: ServerConfig, workdir: Path, sqlite_name: str, cleanups: list[Any]) -> str:
    """The store's URL: a SQLite file in ``workdir``, or a fresh PostgreSQL database (whose drop
    is added to ``cleanups``)."""
    if config.store == "postgresql":
        url = create_pg_database()
        cleanups.append(lambda: drop_pg_database(url))
        return url
    return f"sqlite:///{workdir / sqlite_name}"


def _start(
    prefix: str, health: str, config: ServerConfig, spawn: Callable[[Path, list[Any]], Server]
) -> Server:
    """Spawn a server in a fresh temporary folder and wait until it and every worker are ready.

    ``spawn(workdir, cleanups)`` starts the process; then ``GET health`` must answer and every worker
    report its bus. Everything made is removed again if the start fails (or is interrupted).
    """
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    cleanups: list[Any] = [lambda: shutil.rmtree(workdir, ignore_errors=True)]
    server = None
    try:
        server = spawn(workdir, cleanups)
        server.wait_healthy(health)
        server.wait_workers("/api/v1/health", "redis" if config.redis else "local")
        return server
    except BaseException:
        if server is not None:
            server.stop()
        _run_cleanups(cleanups)
        raise


def start_hpi(config: ServerConfig = SQLITE1) -> Server:
    """Migrate a fresh store and start ``python -m hpi_app serve`` on it, as ``config`` says.

    This is how ``tests/e2e/conftest.py`` starts the app: ``reflex run --env prod`` behind the
    operator's ``serve`` command, one port for UI and API. With several workers, ``HPI_WORKERS``,
    ``REFLEX_REDIS_URL`` and a fresh ``HPI_REDIS_NAMESPACE`` (bus channel, rate-limit keys) are set,
    and the start waits until every worker answers with its bus bridged over Redis. Everything
    made is removed again if the start fails (or is interrupted).
    """

    def spawn(workdir: Path, cleanups: list[Any]) -> Server:
        port = free_port()
        env = {**os.environ, "HPI_DATA_DIR": str(workdir), "PORT": str(port)}
        for name in ("HPI_PUBLIC_URL", "REFLEX_REDIS_URL", "HPI_WORKERS", "HPI_REDIS_NAMESPACE"):
            env.pop(name, None)
        env["REFLEX_DB_URL"] = _store_for(config, workdir, "hpi.db", cleanups)
        # The webhook benchmark's receiver listens on 127.0.0.1.
        env["HPI_WEBHOOK_ALLOW_PRIVATE"] = "1"
        if config.workers != 1:
            env["HPI_WORKERS"] = str(config.workers)
        if config.redis:
            env["REFLEX_REDIS_URL"] = REDIS_URL
            # Its own bus channel and rate-limit keys: other HPI instances may share this Redis.
            env["HPI_REDIS_NAMESPACE"] = f"hpi-bench-{uuid.uuid4().hex[:12]}"
        migrate = subprocess.run(
            [PYTHON, "-m", "hpi_app", "migrate"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"migrate failed:\n{migrate.stderr}")
        cmd = [PYTHON, "-m", "hpi_app", "serve"]
        return _spawn("HPI", cmd, env, workdir, port, ROOT, config, env["REFLEX_DB_URL"], cleanups)

    return _start("hpi-bench-", "/api/v1/health", config, spawn)


def start_baseline(config: ServerConfig = SQLITE1) -> Server:
    """Start ``bench/baseline_app.py`` (Starlette under Granian) on a fresh store, as ``config`` says."""

    def spawn(workdir: Path, cleanups: list[Any]) -> Server:
        port = free_port()
        env = {**os.environ, "PYTHONPATH": str(BENCH)}
        cmd = [PYTHON, str(BENCH / "baseline_app.py"), "--port", str(port), "--workers", str(config.workers)]
        store = _store_for(config, workdir, "base.db", cleanups)
        if config.store == "postgresql":
            cmd += ["--pg", store]
        else:
            cmd += ["--db", str(workdir / "base.db")]
        if config.redis:
            cmd += ["--redis", REDIS_URL, "--channel", f"hpi:bench-baseline:{uuid.uuid4().hex[:12]}"]
        return _spawn("baseline", cmd, env, workdir, port, BENCH, config, store, cleanups)

    return _start("hpi-bench-baseline-", "/health", config, spawn)


def start_server(kind: str, config: ServerConfig = SQLITE1) -> Server:
    """Start HPI (``kind`` = ``HPI``, with a signed-in benchmark user) or the baseline."""
    if kind == "baseline":
        return start_baseline(config)
    server = start_hpi(config)
    try:
        sign_in(server)
    except BaseException:
        server.stop()
        raise
    return server


def sign_in(server: Server, email: str = "bench@example.com") -> None:
    """Make the benchmark user and a token on HPI; sets ``server.headers`` and ``server.email``."""
    server.headers = {"Authorization": f"Bearer {make_token(server, email)}"}
    server.email = email


def hpi_cli(server: Server, *args: str) -> str:
    """Run ``python -m hpi_app <args>`` against the server's store; its stdout.

    Raises:
        RuntimeError: The command failed.
    """
    done = subprocess.run(
        [PYTHON, "-m", "hpi_app", *args],
        cwd=ROOT,
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"`hpi_app {' '.join(args)}` failed:\n{done.stderr}")
    return done.stdout


def make_token(server: Server, email: str = "bench@example.com") -> str:
    """Create a user (an admin, in a new organisation) and a token with both task scopes."""
    hpi_cli(
        server, "user", "create", "--email", email, "--password", "a long bench password", "--org", "Bench"
    )
    out = hpi_cli(
        server, "token", "create", "--email", email, "--name", "bench", "--scopes", "tasks:create,tasks:read"
    )
    return out.strip().splitlines()[-1]
