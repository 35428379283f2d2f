"""Where webhooks may go: public addresses only, unless the operator allows private ones.

Anyone with a ``tasks:create`` token chooses webhook URLs, so without this rule HPI would
POST wherever it can reach: ``localhost``, the cloud metadata service (169.254.169.254), the
office network. By default a webhook must resolve to global addresses only;
``HPI_WEBHOOK_ALLOW_PRIVATE=1`` lifts that for instances whose receivers live inside.

Literal addresses and ``localhost`` are refused when the sink is created (a 400 that names
the field); host names are resolved and checked again before every attempt.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from hpi_app.config import settings

ALLOW_HINT = "set HPI_WEBHOOK_ALLOW_PRIVATE=1 on the server to allow it"


def is_public_address(address: str) -> bool:
    """Whether ``address`` is a global unicast IP address (IPv4-mapped IPv6 judged as IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def literal_problem(url: str) -> str | None:
    """Why ``url`` is refused on sight (``localhost`` or a non-public literal address), if it is."""
    if settings.webhook_allow_private:
        return None
    host = _host(url)
    if host == "localhost" or host.endswith(".localhost"):
        return f"points to this machine ({host}); {ALLOW_HINT}"
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None  # a name: checked when resolved, before each attempt
    if not is_public_address(host):
        return f"points to a private or local address ({host}); {ALLOW_HINT}"
    return None


async def resolved_problem(url: str) -> str | None:
    """Why ``url`` may not be sent to now, after resolving its host, if it may not."""
    if settings.webhook_allow_private:
        return None
    problem = literal_problem(url)
    if problem is not None:
        return problem
    parts = urlsplit(url)
    host = _host(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        return f"cannot resolve {host}: {exc}"
    private = sorted({info[4][0] for info in infos if not is_public_address(info[4][0])})
    if private:
        return f"{host} resolves to a private or local address ({', '.join(private)}); {ALLOW_HINT}"
    return None
