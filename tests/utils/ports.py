"""Ports for the servers the tests start."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _ephemeral_floor() -> int:
    try:
        return int(_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A TCP port nothing listens on, chosen below the kernel's ephemeral range.

    A port the kernel hands out with ``bind(0)`` is also one it hands to outgoing connections:
    between choosing it and a server binding it, a client socket (a database connection, an
    HTTP client) may take it, and the server then fails with "address already in use". Below
    the ephemeral range only listeners compete, and the port is checked free right now.
    """
    floor = _ephemeral_floor()
    low = max(1025, floor - 12000)
    for _ in range(200):
        port = random.randrange(low, floor)
        if _bindable(port):
            return port
    with socket.socket() as sock:  # a crowded range: fall back to any free port
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bindable(port: int) -> bool:
    try:
        for family, address in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind((address, port))
    except OSError:
        return False
    return True
