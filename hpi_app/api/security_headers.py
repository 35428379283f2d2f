"""Security headers on every HTTP answer of the app: pages, API, files.

The content security policy fits Reflex 0.10: its pages run inline scripts and styles, and
``rx.call_script`` evaluates JavaScript sent over the websocket, so scripts need
``'unsafe-inline'`` and ``'unsafe-eval'``; everything else (scripts, styles, fonts, the
websocket, frames) must come from HPI's own origin, no page may be framed by another site,
and forms post only to HPI. A response that sets its own policy (the file routes) keeps it.
When ``HPI_PUBLIC_URL`` is https, browsers are told to use https only (HSTS).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hpi_app.config import settings

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "frame-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
HSTS = "max-age=31536000"


def page_headers(public_url: str) -> list[tuple[bytes, bytes]]:
    """The headers added to an answer that lacks them (HSTS only when ``public_url`` is https)."""
    headers = [
        (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
        (b"x-frame-options", b"SAMEORIGIN"),
        (b"referrer-policy", b"same-origin"),
        (b"x-content-type-options", b"nosniff"),
    ]
    if public_url.lower().startswith("https://"):
        headers.append((b"strict-transport-security", HSTS.encode()))
    return headers


class SecurityHeadersMiddleware:
    """Add ``page_headers`` to every HTTP answer, never replacing a header the answer already has."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.headers = page_headers(settings.public_url)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(name, value) for name, value in self.headers if name not in present]
                if added:
                    message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
