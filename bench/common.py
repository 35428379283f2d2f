"""Helpers shared by the benchmarks: servers, tokens, load clients, statistics and memory.

Nothing here imports ``hpi_app`` or ``tests``: the benchmarks drive the app the way an operator
and an API client do, through ``python -m hpi_app`` and real HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import platform
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable

# The quick-start page's task body (a copy of tests/utils/bodies.py SEED_TASK; benchmarks don't
# import the tests).
SEED_TASK: dict[str, Any] = {
    "title": "Approve deployment to production",
    "steps": [
        {
            "id": "approval",
            "title": "Review and Approve",
            "blocks": [
                {
                    "type": "mdsvex",
                    "content": (
                        "A new deployment is ready for **production**. Please review the changes and approve."
                    ),
                },
                {
                    "type": "input",
                    "field": {
                        "name": "decision",
                        "label": "Decision",
                        "kind": "select",
                        "options": ["Approve", "Reject"],
                        "required": True,
                    },
                },
                {
                    "type": "input",
                    "field": {
                        "name": "comments",
                        "label": "Comments",
                        "kind": "textarea",
                        "required": False,
                        "placeholder": "Any additional notes...",
                    },
                },
            ],
        }
    ],
}


# --------------------------------------------------------------------------------------------
# Processes and limits
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nothing listens on, below the kernel's ephemeral range.

    Ports from ``bind(0)`` are also handed to outgoing connections, which may take one between
    choosing it and the server binding it ("address already in use"); below the ephemeral range
    only listeners compete. (tests/utils/ports.py does the same for the tests.)
    """
    try:
        floor = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        floor = 32768
    for _ in range(200):
        port = random.randrange(max(1025, floor - 12000), floor)
        try:
            with socket.socket() as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("0.0.0.0", port))
        except OSError:
            continue
        return port
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def raise_nofile(wanted: int | None = None) -> int:
    """Raise this process's soft ``RLIMIT_NOFILE`` towards ``wanted`` (default: the hard limit).

    Args:
        wanted: The number of file descriptors needed; capped at the hard limit.

    Returns:
        The soft limit in force afterwards.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if wanted is None else min(max(wanted, soft), hard)
    if hard == resource.RLIM_INFINITY and wanted is not None:
        target = max(wanted, soft)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def stop_on_sigterm() -> None:
    """Make SIGTERM (``kill``, ``timeout``) end this program like Ctrl-C does: by an exception,
    so every ``with`` block stops its servers and drops its databases on the way out."""

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def _child_setup() -> None:
    # Runs in the server's child between fork and exec: the same as `ulimit -n <hard>` in a shell.
    raise_nofile()


def process_tree(root: psutil.Process) -> list[psutil.Process]:
    """``root`` and every living descendant."""
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_rss(root: psutil.Process) -> int:
    """Resident memory of ``root`` and its descendants, in bytes (shared pages count in each)."""
    total = 0
    for proc in process_tree(root):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += proc.memory_info().rss
    return total


def tree_cpu_seconds(root: psutil.Process) -> float:
    """User + system CPU time used so far by ``root`` and its living descendants."""
    total = 0.0
    for proc in process_tree(root):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = proc.cpu_times()
            total += times.user + times.system
    return total


def accepted_peers(root: psutil.Process, port: int) -> dict[tuple[str, int], int]:
    """The remote ends of the TCP connections on ``port`` that the processes of the tree accepted.

    Connections still waiting in the kernel's accept queue belong to no process and are not
    counted.

    Returns:
        ``{(client address, client port): pid of the server process holding the connection}``;
        with several Granian workers, the pid says which worker serves that connection.
    """
    seen: dict[tuple[str, int], int] = {}
    for proc in process_tree(root):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            for conn in proc.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_ESTABLISHED and conn.laddr and conn.laddr.port == port:
                    seen[(conn.raddr.ip, conn.raddr.port)] = proc.pid
    return seen


def system_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy (not idle, not waiting for I/O) since boot."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def _own_cpu_seconds(exclude: psutil.Process | None) -> float:
    me = psutil.Process()
    t = me.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    skip = {p.pid for p in process_tree(exclude)} if exclude is not None else set()
    for child in me.children(recursive=True):
        if child.pid in skip:
            continue
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            ct = child.cpu_times()
            total += ct.user + ct.system
    return total


class CpuMeter:
    """Splits the machine's busy cores over a span into server, benchmark client and the rest.

    "Other" is whatever else ran on the machine meanwhile (other people's processes); a large
    figure there means the span's timings are disturbed.

    Args:
        server: The server under test (its process tree counts as "server").
    """

    def __init__(self, server: Server | None) -> None:
        self.server = server
        self._t0 = self._system0 = self._server0 = self._own0 = self._store0 = 0.0
        self.wall = 0.0

    def _server_cpu(self) -> float:
        return self.server.cpu_seconds() if self.server is not None else 0.0

    def _store_cpu(self) -> float:
        return self.server.store_cpu_seconds() if self.server is not None else 0.0

    def start(self) -> CpuMeter:
        """Begin the span."""
        self._t0 = time.monotonic()
        self._system0 = system_busy_seconds()
        self._server0 = self._server_cpu()
        self._store0 = self._store_cpu()
        self._own0 = _own_cpu_seconds(self.server.ps if self.server is not None else None)
        return self

    def stop(self) -> dict[str, float]:
        """End the span: average busy cores of ``server``, ``store`` (its PostgreSQL backends and
        Redis), ``client`` (this process and its other children) and ``other``."""
        wall = self.wall = max(time.monotonic() - self._t0, 1e-9)
        server = self._server_cpu() - self._server0
        store = max(0.0, self._store_cpu() - self._store0)
        own = _own_cpu_seconds(self.server.ps if self.server is not None else None) - self._own0
        system = system_busy_seconds() - self._system0
        return {
            "server": round(server / wall, 2),
            "store": round(store / wall, 2),
            "client": round(own / wall, 2),
            "other": round(max(0.0, system - server - store - own) / wall, 2),
        }


def wait_for_quiet_machine(limit: float, busy_cores: float = 0.3, window: float = 2.0) -> float:
    """Wait up to ``limit`` seconds until the machine's busy cores fall under ``busy_cores``.

    Returns:
        The busy cores in the last window measured.
    """
    deadline = time.monotonic() + limit
    while True:
        b0 = system_busy_seconds()
        time.sleep(window)
        busy = (system_busy_seconds() - b0) / window
        if busy < busy_cores or time.monotonic() >= deadline:
            return busy


# --------------------------------------------------------------------------------------------
# Server configurations: one worker on SQLite, or several on PostgreSQL + Redis
# --------------------------------------------------------------------------------------------

PG_SERVER = os.environ.get("HPI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("HPI_BENCH_REDIS", "redis://127.0.0.1:6379/0")


@dataclass(frozen=True)
class ServerConfig:
    """How a benchmarked server (HPI or the baseline) runs.

    Attributes:
        name: Short name used on the command line (``sqlite1``, ``pg3``).
        workers: Granian workers.
        store: ``sqlite`` (a file in a temporary folder) or ``postgresql`` (a fresh database on
            ``PG_SERVER``, dropped afterwards).
        redis: Bridge the workers over Redis pub/sub (``REDIS_URL``, a fresh channel per server).
    """

    name: str
    workers: int = 1
    store: str = "sqlite"
    redis: bool = False

    @property
    def label(self) -> str:
        """For people: ``1 worker, SQLite`` / ``3 workers, PostgreSQL + Redis``."""
        store = "PostgreSQL" if self.store == "postgresql" else "SQLite"
        plural = "s" if self.workers != 1 else ""
        return f"{self.workers} worker{plural}, {store}{' + Redis' if self.redis else ''}"


SQLITE1 = ServerConfig("sqlite1")
PG3 = ServerConfig("pg3", workers=3, store="postgresql", redis=True)
CONFIGS = {c.name: c for c in (SQLITE1, PG3)}


def parse_configs(text: str) -> list[ServerConfig]:
    """``"sqlite1,pg3"`` → the configurations, in that order.

    Raises:
        ValueError: An unknown name.
    """
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown or not names:
        raise ValueError(f"unknown configuration {unknown or text!r}; choose from {', '.join(CONFIGS)}")
    return [CONFIGS[n] for n in names]


def _pg_admin(statement: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=10) as conn:
        conn.execute(statement)


def create_pg_database(prefix: str = "bench") -> str:
    """Create a fresh, empty database on ``PG_SERVER``; its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


def drop_pg_database(url: str) -> None:
    """Drop the database at ``url`` (``WITH (FORCE)``: connections still open are ended)."""
    name = url.rsplit("/", 1)[1]
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------


@dataclass
class Server:
    """A server started for a benchmark, in its own process group.

    Attributes:
        name: What it is, for messages (``HPI`` or ``baseline``).
        proc: The process started (the root of the server's process tree).
        port: The port it listens on.
        env: The environment it was started with.
        workdir: A temporary folder holding its data and log; removed by ``stop``.
        config: How it runs (workers, store, Redis).
        headers: Headers every API request needs (HPI: ``Authorization``; see ``sign_in``).
        email: The benchmark user's email (HPI, once ``sign_in`` made one).
        cleanups: Called once by ``stop`` after the processes are gone (e.g. drop the database).
    """

    name: str
    proc: subprocess.Popen
    port: int
    env: dict[str, str]
    workdir: Path
    config: ServerConfig = SQLITE1
    headers: dict[str, str] = field(default_factory=dict)
    email: str = ""
    store_url: str = ""
    cleanups: list[Any] = field(default_factory=list, repr=False)
    _ps: psutil.Process | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The base URL to reach it on."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        """The file its stdout and stderr go to."""
        return self.workdir / "server.log"

    @property
    def ps(self) -> psutil.Process:
        """The psutil handle of the root process."""
        if self._ps is None:
            self._ps = psutil.Process(self.proc.pid)
        return self._ps

    def rss(self) -> int:
        """Resident memory of the whole process tree, in bytes."""
        return tree_rss(self.ps)

    def cpu_seconds(self) -> float:
        """CPU time the process tree has used so far."""
        return tree_cpu_seconds(self.ps)

    def store_cpu_seconds(self) -> float:
        """CPU time used so far by the store's and the bus's processes serving this server: the
        PostgreSQL backends connected to its database and, with Redis, the Redis server (shared
        with whatever else uses it). 0 for SQLite, which runs inside the server."""
        if not self.store_url.startswith("postgresql"):
            return 0.0
        database = f" {self.store_url.rsplit('/', 1)[1]} "
        total = 0.0
        for proc in psutil.process_iter(["name", "cmdline"]):
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                title = (proc.info["cmdline"] or [""])[0]
                if (proc.info["name"] == "postgres" and database in title) or (
                    self.config.redis and proc.info["name"] == "redis-server"
                ):
                    times = proc.cpu_times()
                    total += times.user + times.system
        return total

    def connections(self) -> int:
        """Accepted connections the server holds open on its port."""
        return len(self.peers())

    def peers(self) -> dict[tuple[str, int], int]:
        """The client ends (address, port) of the connections the server holds open, each with
        the pid of the worker holding it."""
        return accepted_peers(self.ps, self.port)

    def worker_of_ports(self, ports: Iterable[int]) -> dict[int, int]:
        """``{client port: worker pid}`` for those of ``ports`` the server has accepted."""
        wanted = set(ports)
        return {port: pid for (_host, port), pid in self.peers().items() if port in wanted}

    def asgi_server(self) -> str:
        """Which ASGI server runs the app, read off the processes' memory maps and command lines."""
        found = set()
        for proc in process_tree(self.ps):
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied, OSError):
                if any("granian" in m.path for m in proc.memory_maps(grouped=True)):
                    found.add("Granian")
                cmd = " ".join(proc.cmdline())
                found.update(name for name in ("uvicorn", "gunicorn") if name in cmd)
        return ", ".join(sorted(found)) or "unknown"

    def describe_tree(self) -> list[str]:
        """One line per process of the tree: pid, RSS and command line."""
        lines = []
        for proc in process_tree(self.ps):
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                cmd = " ".join(proc.cmdline())[:100]
                lines.append(f"pid {proc.pid} rss {proc.memory_info().rss / 2**20:.0f} MiB  {cmd}")
        return lines

    def wait_healthy(self, path: str, limit: float = 300.0) -> None:
        """Wait until ``GET path`` answers 200.

        Raises:
            RuntimeError: The server exited or did not answer within ``limit`` seconds.
        """
        deadline = time.monotonic() + limit
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{self.name} did not answer within {limit:.0f} s:\n{self.tail()}")
            time.sleep(0.25)

    def wait_workers(self, path: str, bus: str, limit: float = 120.0) -> None:
        """Wait until every worker answers ``GET path`` with ``"bus": bus`` (HPI's and the
        baseline's health route name the worker and its bus).

        Fresh connections land on whichever worker accepts them first, so a few dozen of them
        reach every worker.

        Raises:
            RuntimeError: Not every worker was seen ready within ``limit`` seconds.
        """
        deadline = time.monotonic() + limit
        ready: set[str] = set()
        while len(ready) < self.config.workers:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            with contextlib.suppress(httpx.HTTPError, ValueError):
                answer = httpx.get(self.url + path, timeout=2, headers={"Connection": "close"}).json()
                if answer.get("bus") == bus:
                    ready.add(answer.get("worker"))
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{self.name}: only {len(ready)} of {self.config.workers} workers ready with bus "
                    f"{bus!r} within {limit:.0f} s:\n{self.tail()}"
                )
            time.sleep(0.05)

    def tail(self, chars: int = 4000) -> str:
        """The end of the server's log."""
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server's whole process group and remove its folder."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # Forked workers may outlive the root for a moment; the group is ours alone.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            shutil.copyfile(self.log, self.saved_log)
        shutil.rmtree(self.workdir, ignore_errors=True)
        _run_cleanups(self.cleanups)

    @property
    def saved_log(self) -> Path:
        """Where ``stop`` keeps the server's log (the last run of each kind of server)."""
        return Path(tempfile.gettempdir()) / f"hpi-bench-{self.name.lower()}-{self.config.name}.log"

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _run_cleanups(cleanups: list[Any]) -> None:
    while cleanups:
        cleanup = cleanups.pop()
        try:
            cleanup()
        except Exception as exc:
            print(f"  cleanup failed: {exc}", file=sys.stderr, flush=True)


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


def start_hpi(config: ServerConfig = SQLITE1) -> Server:
    """Migrate a fresh store and start ``python -m hpi_app serve`` on it, as ``config`` says.

    This is how ``tests/e2e/conftest.py`` starts the app: ``reflex run --env prod`` behind the
    operator's ``serve`` command, one port for UI and API. With several workers, ``HPI_WORKERS``,
    ``REFLEX_REDIS_URL`` and a fresh ``HPI_REDIS_NAMESPACE`` (bus channel, rate-limit keys) are set,
    and the start waits until every worker answers with its bus bridged over Redis. Everything
    made is removed again if the start fails (or is interrupted).
    """
    workdir = Path(tempfile.mkdtemp(prefix="hpi-bench-"))
    cleanups: list[Any] = [lambda: shutil.rmtree(workdir, ignore_errors=True)]
    server = None
    try:
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
        server = _spawn(
            "HPI",
            [PYTHON, "-m", "hpi_app", "serve"],
            env,
            workdir,
            port,
            ROOT,
            config,
            env["REFLEX_DB_URL"],
            cleanups,
        )
        server.wait_healthy("/api/v1/health")
        server.wait_workers("/api/v1/health", "redis" if config.redis else "local")
        return server
    except BaseException:
        if server is not None:
            server.stop()
        _run_cleanups(cleanups)
        raise


def start_baseline(config: ServerConfig = SQLITE1) -> Server:
    """Start ``bench/baseline_app.py`` (Starlette under Granian) on a fresh store, as ``config`` says."""
    workdir = Path(tempfile.mkdtemp(prefix="hpi-bench-baseline-"))
    cleanups: list[Any] = [lambda: shutil.rmtree(workdir, ignore_errors=True)]
    server = None
    try:
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
        server = _spawn("baseline", cmd, env, workdir, port, BENCH, config, store, cleanups)
        server.wait_healthy("/health")
        server.wait_workers("/api/v1/health", "redis" if config.redis else "local")
        return server
    except BaseException:
        if server is not None:
            server.stop()
        _run_cleanups(cleanups)
        raise


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


# --------------------------------------------------------------------------------------------
# Statistics and formatting
# --------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile of ``values`` (linear interpolation between closest ranks).

    Args:
        values: The sample; need not be sorted.
        pct: 0 to 100.

    Returns:
        The percentile, or NaN for an empty sample.
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(seconds: float) -> float:
    """Seconds to milliseconds, rounded to 0.1 ms."""
    return round(seconds * 1000.0, 1)


def mib(n_bytes: float) -> float:
    """Bytes to MiB, rounded to 0.1."""
    return round(n_bytes / 2**20, 1)


def machine_info() -> dict[str, Any]:
    """The facts about this machine that the figures depend on."""
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "app_version": app_version(),
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "software": software_versions(),
    }


def software_versions() -> dict[str, str]:
    """Versions of the server stack the figures depend on (``?`` when unknown)."""
    import sqlite3
    from importlib.metadata import PackageNotFoundError, version

    found: dict[str, str] = {}
    for package in ("granian", "reflex", "starlette", "fastapi", "psycopg", "redis"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = "?"
    found["sqlite"] = sqlite3.sqlite_version
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=5) as conn:
            found["postgresql_server"] = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    except Exception:
        found["postgresql_server"] = "?"
    try:
        import redis

        found["redis_server"] = redis.Redis.from_url(REDIS_URL, socket_timeout=5).info("server")[
            "redis_version"
        ]
    except Exception:
        found["redis_server"] = "?"
    return found


def app_version() -> str:
    """The commit of the checkout, noting uncommitted changes to ``hpi_app/`` (what the figures are of)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "hpi_app"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit or 'unknown'}{' + uncommitted changes in hpi_app/' if dirty else ''}"


def print_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], left: int = 0) -> None:
    """Print rows as a plain, aligned text table (numbers to the right, except in the first
    ``left`` columns)."""
    text_rows = [[_cell(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in text_rows)) if text_rows else len(h) for i, h in enumerate(headers)
    ]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in text_rows:
        cells = (
            c.rjust(w) if i >= left and _numeric(c) else c.ljust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        print("  ".join(cells).rstrip())


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _numeric(text: str) -> bool:
    return bool(text) and (text[0].isdigit() or (text[0] == "-" and text[1:2].isdigit()))


# --------------------------------------------------------------------------------------------
# The HTTP client: a lean HTTP/1.1 keep-alive connection over asyncio streams
# --------------------------------------------------------------------------------------------


class HttpError(Exception):
    """The connection failed or the answer could not be read."""


class RawConnection:
    """One HTTP/1.1 keep-alive connection over asyncio streams: just enough HTTP for the benchmarks.

    It speaks to servers on this machine only, sends ``Content-Length`` bodies and reads answers
    framed by ``Content-Length``, ``Transfer-Encoding: chunked`` or the connection's close. It costs
    the client far less CPU per request than ``httpx`` (see README), so a single client process
    does not cap the figures of a fast server.

    Args:
        host: The server's address.
        port: The server's port.
        headers: Headers sent with every request (e.g. ``Authorization``).
    """

    def __init__(self, host: str, port: int, headers: dict[str, str] | None = None) -> None:
        self.host = host
        self.port = port
        fixed = {"Host": f"{host}:{port}", **(headers or {})}
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        """Open the TCP connection (requests also open it when needed)."""
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    @property
    def local_port(self) -> int:
        """This end's port (0 when not connected): the server sees the connection by it."""
        if self._writer is None:
            return 0
        return self._writer.get_extra_info("sockname")[1]

    async def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """Send one request and read its whole answer.

        Args:
            method: ``GET``, ``POST``, ...
            path: The path and query.
            body: A JSON body, or None.

        Returns:
            The status code and the body of the answer.

        Raises:
            HttpError: The connection broke or the answer was malformed.
        """
        await self.send(method, path, body)
        return await self.answer()

    async def send(self, method: str, path: str, body: bytes | None = None) -> None:
        """Write one request (opening the connection if needed); read its answer with ``answer``.

        Raises:
            HttpError: The connection could not be opened or written to.
        """
        head = f"{method} {path} HTTP/1.1\r\n{self._fixed}"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        try:
            if self._writer is None:
                await self.connect()
            assert self._writer is not None
            self._writer.write(head.encode() + b"\r\n" + (body or b""))
            await self._writer.drain()
        except OSError as exc:
            await self.close()
            raise HttpError(f"{type(exc).__name__}: {exc}") from None

    async def answer(self) -> tuple[int, bytes]:
        """Read the answer to the request last sent.

        Returns:
            The status code and the body.

        Raises:
            HttpError: The connection broke or the answer was malformed.
        """
        try:
            status, payload, keep = await self._read_answer()
        except (
            OSError,
            AssertionError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
        ) as exc:
            await self.close()
            raise HttpError(f"{type(exc).__name__}: {exc}") from None
        if not keep:
            await self.close()
        return status, payload

    async def _read_answer(self) -> tuple[int, bytes, bool]:
        if self._reader is None:
            raise OSError("not connected")
        raw = await self._reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip().lower()
        keep = headers.get("connection") != "close"
        if headers.get("transfer-encoding") == "chunked":
            parts = []
            while True:
                size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self._reader.readexactly(size + 2)
                if size == 0:
                    break
                parts.append(chunk[:-2])
            return status, b"".join(parts), keep
        if "content-length" in headers:
            return status, await self._reader.readexactly(int(headers["content-length"])), keep
        return status, await self._reader.read(), False

    async def close(self) -> None:
        """Close the connection (a later request reopens it)."""
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


# --------------------------------------------------------------------------------------------
# Closed-loop load: N requests from C connections, optionally in several client processes
# --------------------------------------------------------------------------------------------

CLIENTS = ("raw", "httpx")


@dataclass
class LoadResult:
    """What a closed-loop load run measured.

    Attributes:
        latencies: Seconds per successful request.
        errors: Requests that failed or got an unexpected status.
        error_samples: A few of the failures, for messages.
        started: ``time.monotonic()`` when the first client began.
        finished: ``time.monotonic()`` when the last client ended.
        client_cpu: CPU seconds the client processes used meanwhile.
        answers: The JSON answers, when asked to keep them.
    """

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    started: float = math.inf
    finished: float = 0.0
    client_cpu: float = 0.0
    answers: list[Any] = field(default_factory=list)

    @property
    def wall(self) -> float:
        """Seconds from the first request to the last answer."""
        return max(self.finished - self.started, 1e-9)

    @property
    def done(self) -> int:
        """Requests that succeeded."""
        return len(self.latencies)

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.done / self.wall

    def merge(self, other: LoadResult) -> None:
        """Fold another process's result into this one."""
        self.latencies += other.latencies
        self.errors += other.errors
        self.error_samples = (self.error_samples + other.error_samples)[:5]
        self.started = min(self.started, other.started)
        self.finished = max(self.finished, other.finished)
        self.client_cpu += other.client_cpu
        self.answers += other.answers


@dataclass(frozen=True)
class LoadSpec:
    """One closed-loop POST load (picklable, so client processes can run their share).

    Attributes:
        url: The full URL to POST to (``http://127.0.0.1:PORT/path``).
        body: The JSON body.
        headers: Extra request headers.
        count: Requests to send.
        concurrency: Connections, each with one request in flight.
        client: ``raw`` (``RawConnection``) or ``httpx`` (one ``httpx.AsyncClient`` whose pool is
            limited to ``concurrency`` connections).
        expect: The status code that counts as success.
        keep_answers: Keep every JSON answer.
        start_at: ``time.monotonic()`` to start at (processes start together).
    """

    url: str
    body: dict[str, Any]
    headers: dict[str, str]
    count: int
    concurrency: int
    client: str = "raw"
    expect: int = 201
    keep_answers: bool = False
    start_at: float = 0.0


async def _closed_loop(spec: LoadSpec) -> LoadResult:
    result = LoadResult()
    remaining = spec.count
    payload = json.dumps(spec.body).encode()
    parsed = httpx.URL(spec.url)

    def failed(what: str) -> None:
        result.errors += 1
        if len(result.error_samples) < 5:
            result.error_samples.append(what)

    def answered(status: int, text: bytes, elapsed: float) -> None:
        if status != spec.expect:
            failed(f"{status} {text[:200]!r}")
            return
        result.latencies.append(elapsed)
        if spec.keep_answers:
            result.answers.append(json.loads(text))

    async def raw_worker() -> None:
        nonlocal remaining
        conn = RawConnection(parsed.host, parsed.port or 80, spec.headers)
        try:
            while remaining > 0:
                remaining -= 1
                t0 = time.monotonic()
                try:
                    status, text = await conn.request("POST", parsed.raw_path.decode(), payload)
                except HttpError as exc:
                    failed(str(exc))
                    continue
                answered(status, text, time.monotonic() - t0)
        finally:
            await conn.close()

    async def httpx_worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            t0 = time.monotonic()
            try:
                answer = await client.post(
                    spec.url, content=payload, headers={"Content-Type": "application/json"}
                )
            except httpx.HTTPError as exc:
                failed(repr(exc))
                continue
            answered(answer.status_code, answer.content, time.monotonic() - t0)

    await asyncio.sleep(max(0.0, spec.start_at - time.monotonic()))
    cpu0 = time.process_time()
    result.started = time.monotonic()
    if spec.client == "raw":
        await asyncio.gather(*(raw_worker() for _ in range(spec.concurrency)))
    else:
        limits = httpx.Limits(max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=60.0, headers=spec.headers) as client:
            await asyncio.gather(*(httpx_worker(client) for _ in range(spec.concurrency)))
    result.finished = time.monotonic()
    result.client_cpu = time.process_time() - cpu0
    return result


def _closed_loop_in_process(spec: LoadSpec) -> LoadResult:
    return asyncio.run(_closed_loop(spec))


def run_post_load(spec: LoadSpec, processes: int = 1) -> LoadResult:
    """Run ``spec``, in this process or split over ``processes`` client processes.

    With several processes, requests and connections are split evenly; the processes are
    spawned and warmed up first and start at one common instant.

    Returns:
        The merged result of every client process.
    """
    processes = max(1, min(processes, spec.concurrency))
    if processes == 1:
        return asyncio.run(_closed_loop(replace(spec, start_at=time.monotonic())))
    counts = _split(spec.count, processes)
    conns = _split(spec.concurrency, processes)
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        list(pool.map(_noop, range(processes)))
        start_at = time.monotonic() + 0.5
        parts = [
            replace(spec, count=counts[i], concurrency=conns[i], start_at=start_at) for i in range(processes)
        ]
        merged = LoadResult()
        for part in pool.map(_closed_loop_in_process, parts):
            merged.merge(part)
    return merged


def _noop(_i: int) -> None:
    """Make sure a pool process has started (its imports happen before the clock starts)."""


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def measure_load(server: Server, spec: LoadSpec, processes: int = 1) -> tuple[LoadResult, dict[str, float]]:
    """Run ``spec`` against ``server``; its result and the busy cores of server, client and other."""
    meter = CpuMeter(server).start()
    result = run_post_load(spec, processes)
    cores = meter.stop()
    if processes > 1:
        # The span also covered spawning the client processes (the server idled meanwhile):
        # rate the server and the clients over the load itself.
        cores["server"] = round(cores["server"] * meter.wall / result.wall, 2)
        cores["client"] = round(result.client_cpu / result.wall, 2)
    return result, cores
