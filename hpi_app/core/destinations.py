"""Where webhooks may go: public addresses only, unless the operator allows private ones.

Anyone with a ``tasks:create`` token chooses webhook URLs, so without this rule HPI would
POST wherever it can reach: ``localhost``, the cloud metadata service (169.254.169.254), the
office network. By default a webhook must resolve to global addresses only;
``HPI_WEBHOOK_ALLOW_PRIVATE=1`` lifts that for instances whose receivers live inside.

Literal addresses, in any form a resolver reads as one (``0x7f000001``, ``2130706433``,
``127.1``, ``0177.0.0.1``), and ``localhost`` are refused when the sink is created (a 400 that
names the field). An IPv6 address carrying an IPv4 one (IPv4-mapped, IPv4-compatible, NAT64
``64:ff9b::/96``, 6to4 ``2002::/16``, Teredo) is judged by the IPv4 address too. Host names are
resolved before every attempt, and the request connects to the addresses that were checked
(:class:`PinnedBackend`), never to what a second look-up might answer (DNS rebinding); the
``Host`` header, TLS SNI and certificate check still use the name.
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import httpcore

from hpi_app.config import settings

ALLOW_HINT = "set HPI_WEBHOOK_ALLOW_PRIVATE=1 on the server to allow it"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
# A host whose last label is a number is an IPv4 address to URL parsers and resolvers alike.
_NUMERIC_LAST_LABEL = re.compile(r"(?:^|\.)(?:0x[0-9a-f]*|[0-9]+)\.?$")
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo)."""
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    packed = ip.packed
    if packed[:12] == bytes(12) or ip in _NAT64:
        found.append(ipaddress.IPv4Address(packed[12:]))
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    return found


def _is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        if not all(_is_public(v4) for v4 in _embedded_ipv4(ip)):
            return False
        if ip.ipv4_mapped is not None:
            return True  # judged as the IPv4 address it is
    return ip.is_global and not ip.is_multicast


def is_public_address(address: str) -> bool:
    """Whether ``address`` is a global unicast IP address, and so is any IPv4 address inside it."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return _is_public(ip)


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        return ""


def literal_address(host: str) -> IPAddress | None:
    """The IP address ``host`` spells, in any form a resolver reads (``127.1``, ``0x7f000001``).

    Raises:
        ValueError: the host's last label is a number, but it is no address.
    """
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    if not _NUMERIC_LAST_LABEL.search(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        msg = f"{host} is neither a host name nor an IP address"
        raise ValueError(msg) from None


def literal_problem(url: str) -> str | None:
    """Why ``url`` is refused on sight (``localhost`` or a non-public literal address), if it is."""
    if settings.webhook_allow_private:
        return None
    host = _host(url)
    if host == "localhost" or host.endswith(".localhost"):
        return f"points to this machine ({host}); {ALLOW_HINT}"
    try:
        ip = literal_address(host)
    except ValueError as exc:
        return str(exc)
    if ip is not None and not _is_public(ip):
        return f"points to a private or local address ({host}); {ALLOW_HINT}"
    return None  # a public address, or a name: checked when resolved, before each attempt


async def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to now, in the resolver's order.

    Raises:
        OSError: the name does not resolve.
    """
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_addresses(url: str) -> tuple[list[str], str | None]:
    """The addresses to connect to for ``url``, and why it may not be sent to now (if it may not)."""
    problem = literal_problem(url)
    if problem is not None:
        return [], problem
    parts = urlsplit(url)
    host = _host(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        return [], f"cannot resolve {host}: {exc}"
    private = [a for a in addresses if not is_public_address(a)]
    if private and not settings.webhook_allow_private:
        return [], f"{host} resolves to a private or local address ({', '.join(private)}); {ALLOW_HINT}"
    if not addresses:
        return [], f"cannot resolve {host}"
    return addresses, None


_PINS: contextvars.ContextVar[dict[str, list[str]] | None] = contextvars.ContextVar(
    "webhook_pins", default=None
)


@contextmanager
def pinned(url: str, addresses: list[str]) -> Iterator[None]:
    """Within the block, a :class:`PinnedBackend` connects ``url``'s host only to ``addresses``."""
    token = _PINS.set({**(_PINS.get() or {}), _host(url): addresses})
    try:
        yield
    finally:
        _PINS.reset(token)


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to the addresses pinned for a host.

    httpcore asks it for a TCP stream to ``(host, port)`` and then does TLS over that stream
    with the host name (SNI and certificate check), so only where the socket goes changes.
    A host with no pin is refused: nothing is sent where the guard did not look.
    """

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options=None,
    ) -> httpcore.AsyncNetworkStream:
        """A stream to the first pinned address of ``host`` that answers."""
        addresses = (_PINS.get() or {}).get(host.lower().strip("[]").rstrip("."))
        if not addresses:
            msg = f"{host} was not checked before connecting"
            raise httpcore.ConnectError(msg)
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure  # type: ignore[misc]

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options=None
    ) -> httpcore.AsyncNetworkStream:
        """Never: webhooks go over TCP."""
        msg = "webhooks are not sent over Unix sockets"
        raise httpcore.ConnectError(msg)

    async def sleep(self, seconds: float) -> None:
        """Sleep as the wrapped backend does."""
        await self._inner.sleep(seconds)
