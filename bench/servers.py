"""A server under test (HPI or the baseline), running in its own process group.

Its health, its process tree's memory and CPU, its connections, and stopping it with everything
made for it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from configs import SQLITE1, ServerConfig
from processes import accepted_peers, process_tree, tree_cpu_seconds, tree_rss


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
