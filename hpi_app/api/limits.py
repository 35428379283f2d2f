"""A cap on request bodies under ``/api``, enforced while they stream in."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hpi_app.config import settings
from hpi_app.routes import FILES_API

UPLOAD_PATH = FILES_API.rstrip("/")
_MULTIPART_OVERHEAD = 64 * 1024


class BodyTooLarge(Exception):
    """Raised inside ``receive`` when a body passes its limit."""


def limit_for(method: str, path: str) -> int:
    """The largest body accepted for this route."""
    if method == "POST" and path.rstrip("/") == UPLOAD_PATH:
        return settings.max_upload_bytes + _MULTIPART_OVERHEAD
    return settings.max_body_bytes


class BodyLimitMiddleware:
    """Answer 413 to an ``/api`` request whose body is over the limit, before the route sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["method"], scope["path"])
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "error": f"The request body is larger than the {limit} byte limit.",
            "code": "payload_too_large",
            "details": [{"field": "body", "message": f"must be at most {limit} bytes"}],
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
