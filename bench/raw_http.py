"""A lean HTTP/1.1 keep-alive client over asyncio streams: just enough HTTP for the benchmarks."""

from __future__ import annotations

import asyncio
import contextlib


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
