"""A cap on every request body, enforced while it streams in, and who may post to ``/_upload``.

The API app wraps the whole web app (Reflex mounts itself beneath it), so this middleware sees
every path before Reflex does: Reflex's ``/_upload`` would otherwise spool a body of any size
before any check. A body over its route's limit is answered 413 (from ``Content-Length`` at
once, or as soon as the streamed bytes pass it). A post to ``/_upload`` must come from a
signed-in member or from a task page whose link is open (its ``Referer``, ``/t/<link_id>``,
and the code grant cookie when the link asks for a code), or it is answered 403 unread.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hpi_app.config import settings
from hpi_app.core import files
from hpi_app.routes import BROWSER_UPLOAD, FILES_API, link_of_task_page

UPLOAD_PATH = FILES_API.rstrip("/")
_MULTIPART_OVERHEAD = 64 * 1024


class BodyTooLarge(Exception):
    """Raised inside ``receive`` when a body passes its limit."""


def limit_for(method: str, path: str) -> int:
    """The largest body accepted for this route."""
    if method == "POST" and path.rstrip("/") == UPLOAD_PATH:
        return settings.max_upload_bytes + _MULTIPART_OVERHEAD
    if method == "POST" and path.rstrip("/") == BROWSER_UPLOAD:
        # One post may carry several files of one field; together they fit the task's quota.
        return settings.task_upload_quota_bytes + _MULTIPART_OVERHEAD
    return settings.max_body_bytes


def _upload_allowed(headers: dict[bytes, bytes]) -> bool:
    referer = headers.get(b"referer", b"").decode("latin-1")
    try:
        link_id = link_of_task_page(urlsplit(referer).path)
    except ValueError:
        link_id = None
    return files.may_upload(link_id, headers.get(b"cookie", b"").decode("latin-1"))


class BodyLimitMiddleware:
    """Answer 413 to a request whose body is over its limit, before the route sees it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["method"], scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        is_upload = scope["method"] == "POST" and scope["path"].rstrip("/") == BROWSER_UPLOAD
        if is_upload and not await run_in_threadpool(_upload_allowed, headers):
            await _upload_refused(send)
            return
        received = 0
        started = overflowed = False

        async def limited_receive() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflowed = True
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if overflowed:
                # The route caught the overflow and answers something else (FastAPI: a 400): 413 instead.
                if not started:
                    started = True
                    await _too_large(send, limit)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    await _answer(
        send,
        413,
        {
            "error": f"The request body is larger than the {limit} byte limit.",
            "code": "payload_too_large",
            "details": [{"field": "body", "message": f"must be at most {limit} bytes"}],
        },
    )


async def _upload_refused(send: Send) -> None:
    await _answer(
        send,
        403,
        {
            "error": "Files can be uploaded only from an open task page, or when signed in.",
            "code": "upload_not_allowed",
        },
    )


async def _answer(send: Send, status: int, content: dict) -> None:
    body = json.dumps(content).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
