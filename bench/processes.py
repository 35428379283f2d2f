"""Processes the benchmarks start and watch: free ports, file limits, SIGTERM, process trees."""

from __future__ import annotations

import contextlib
import random
import resource
import signal
import socket
from pathlib import Path

import psutil


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
