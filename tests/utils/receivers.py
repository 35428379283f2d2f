"""Real receivers for push deliveries: a recording HTTP server and an SMTP server, on local ports.

The HTTP receiver answers 200 unless told otherwise: ``plan("500", "500")`` makes its next two
answers 500, ``"500 <text>"`` answers 500 with that body, ``"hang"`` holds a request open without
answering, ``"redirect:<url>"`` answers 302.
``stop()`` takes it down (the port stays reserved for ``start()``), so "the receiver is down"
is a real refused connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from standardwebhooks import Webhook

from tests.utils.ports import free_port


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    answered: int | None = None

    @property
    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str:
        """The ``webhook-id`` header."""
        return self.headers["webhook-id"]


@dataclass
class _State:
    plan: deque[str] = field(default_factory=deque)
    requests: list[Received] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    release: threading.Event = field(default_factory=threading.Event)
    delay: float = 0.0


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *_args: object) -> None:
        pass

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        record = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.monotonic())
        with state.changed:
            action = state.plan.popleft() if state.plan else "200"
            state.requests.append(record)
            state.changed.notify_all()
        if state.delay:
            time.sleep(state.delay)
        if action == "hang":
            state.release.wait(30)
            return
        if action.startswith("redirect:"):
            self.send_response(302)
            self.send_header("Location", action.split(":", 1)[1])
            self.send_header("Content-Length", "0")
            self.end_headers()
            status = 302
        else:
            code, _, text = action.partition(" ")
            status = int(code)
            payload = text.encode() or (b"ok" if status < 400 else b"receiver says no")
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        with state.changed:
            record.answered = status
            state.changed.notify_all()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, port: int, state: _State) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state


class WebhookReceiver:
    """A local HTTP server recording every POST (see the module's doc)."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.state = _State()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL to send to."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebhookReceiver:
        """Start listening (again) on the receiver's port."""
        self._server = _Server(self.port, self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused until ``start``."""
        self.state.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.state.release.clear()

    def plan(self, *actions: str) -> None:
        """The next answers: status codes (``"500"``, ``"500 <body>"``), ``"hang"``, ``"redirect:<url>"``."""
        with self.state.changed:
            self.state.plan.extend(actions)

    def slow(self, seconds: float) -> None:
        """Take ``seconds`` before every answer."""
        self.state.delay = seconds

    @property
    def requests(self) -> list[Received]:
        """Every request so far."""
        with self.state.changed:
            return list(self.state.requests)

    def accepted(self) -> list[Received]:
        """The requests answered with a 2xx."""
        return [r for r in self.requests if r.answered is not None and 200 <= r.answered < 300]

    def wait_for(self, count: int, timeout: float = 10.0, *, accepted: bool = True) -> list[Received]:
        """Block until ``count`` requests (by default: accepted ones) arrived.

        Raises:
            AssertionError: They did not arrive within ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        with self.state.changed:
            while True:
                got = [
                    r
                    for r in self.state.requests
                    if not accepted or (r.answered is not None and 200 <= r.answered < 300)
                ]
                if len(got) >= count:
                    return got
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} requests within {timeout} s, got {len(got)}")
                self.state.changed.wait(left)

    async def until(self, count: int, timeout: float = 10.0, *, accepted: bool = True) -> list[Received]:
        """``wait_for`` without blocking the event loop (the worker under test runs on it)."""
        return await asyncio.to_thread(self.wait_for, count, timeout, accepted=accepted)

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def verify_signatures(request: Received, secret: str) -> dict:
    """Check both signatures of a webhook request; returns the parsed body.

    ``X-Webhook-Signature`` with a plain HMAC-SHA256 of the raw body keyed with the secret
    string; the Standard Webhooks headers with the ``standardwebhooks`` package (a ``whsec_``
    secret as it is, any other secret as its bytes).
    """
    expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-webhook-signature"] == f"sha256={expected}"
    verifier = Webhook(secret) if secret.startswith("whsec_") else Webhook(secret.encode())
    return verifier.verify(request.body, request.headers)


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.changed = threading.Condition()

    async def handle_DATA(self, _server, _session, envelope) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self.changed:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.changed.notify_all()
        return "250 Message accepted"


class SmtpReceiver:
    """A local SMTP server (aiosmtpd) that keeps every message; optional login."""

    def __init__(self, port: int | None = None, *, username: str = "", password: str = "") -> None:
        self.port = port or free_port()
        self.mailbox = _Mailbox()
        self.logins: list[str] = []
        options: dict[str, Any] = {}
        if username:

            def authenticate(_server, _session, _envelope, mechanism, auth_data) -> AuthResult:
                ok = isinstance(auth_data, LoginPassword) and (
                    auth_data.login.decode(),
                    auth_data.password.decode(),
                ) == (username, password)
                if ok:
                    self.logins.append(username)
                return AuthResult(success=ok)

            options = {"authenticator": authenticate, "auth_require_tls": False}
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port, **options)

    @property
    def url(self) -> str:
        """An ``HPI_SMTP_URL`` for this server, without login."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpReceiver:
        """Start accepting mail."""
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop the server."""
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Block until ``count`` messages arrived."""
        deadline = time.monotonic() + timeout
        with self.mailbox.changed:
            while len(self.mailbox.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} messages, got {len(self.mailbox.messages)}")
                self.mailbox.changed.wait(left)
            return list(self.mailbox.messages)

    async def until(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """``wait_for`` without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for, count, timeout)

    def __enter__(self) -> SmtpReceiver:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
