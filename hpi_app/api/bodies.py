"""What every ``/api`` request's text may be, decided once here for every route.

- An empty JSON body means ``{}`` (SPEC §9: the official SDK sends the JSON header with no body
  on cancel, complete, notify and links).
- No NUL character anywhere (path, query, JSON body): PostgreSQL text cannot hold one, so a
  NUL is refused with 400 naming where it is, on every store alike.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hpi_app.routes import FILES_API
from hpi_app.validation import json_path

_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_UPLOAD_PATH = FILES_API.rstrip("/")
_NUL_MESSAGE = "must not contain NUL (\\u0000) characters"


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers") or []:
        if name == b"content-type":
            return value.split(b";")[0].strip().lower() == b"application/json"
    return False


def _nul_at(value: Any, loc: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Where in a parsed JSON value the first NUL character is, if any."""
    if isinstance(value, str):
        return loc if "\x00" in value else None
    if isinstance(value, dict):
        items = list(value.items())
        for key, item in items:
            if "\x00" in key:
                return (*loc, key)
            found = _nul_at(item, (*loc, key))
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_at(item, (*loc, index))
            if found is not None:
                return found
    return None


def _nul_in_url(scope: Scope) -> str | None:
    """The name of the URL part holding a NUL character: ``path`` or a query parameter."""
    if "\x00" in scope["path"]:
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    if "%00" not in query and "\x00" not in query:
        return None
    for name, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    return "query" if "\x00" in unquote(query) else None


async def _refuse(send: Send, field: str) -> None:
    body = json.dumps(
        {
            "error": f"Invalid request: {field or 'body'} {_NUL_MESSAGE}.",
            "code": "validation_error",
            "details": [{"field": field or "body", "message": _NUL_MESSAGE}],
        }
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 400, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestText:
    """Give a route ``{}`` for an empty JSON body; refuse a NUL character with 400."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        where = _nul_in_url(scope)
        if where is not None:
            await _refuse(send, where)
            return
        if (
            scope["method"] not in _WITH_BODY
            or not _is_json(scope)
            or scope["path"].rstrip("/") == _UPLOAD_PATH  # multipart, whatever its label says
        ):
            await self.app(scope, receive, send)
            return
        held: list[Message] = []
        while True:
            message = await receive()
            held.append(message)
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        raw = b"".join(m.get("body", b"") for m in held if m["type"] == "http.request")
        if not raw and held[-1]["type"] == "http.request":
            held = [{"type": "http.request", "body": b"{}", "more_body": False}]
            headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
            scope = {**scope, "headers": [*headers, (b"content-length", b"2")]}
        elif b"\\u0000" in raw or b"\x00" in raw:
            try:
                loc = _nul_at(json.loads(raw))
            except ValueError:
                loc = None  # not JSON: the route says so
            if loc is not None:
                await _refuse(send, json_path(loc))
                return

        async def replay() -> Message:
            return held.pop(0) if held else await receive()

        await self.app(scope, replay, send)
