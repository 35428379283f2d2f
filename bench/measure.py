"""Measuring a span: busy cores by server, client and the rest; percentiles and units."""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

import psutil
from processes import process_tree

if TYPE_CHECKING:
    from servers import Server


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
