"""Webhook sinks: POST the event as JSON, signed the HPI way and the Standard Webhooks way.

Settings: ``url`` (http or https) and an optional ``secret``; a webhook given no secret gets a
generated ``whsec_`` one, returned once.

Headers on every request:
- ``X-Webhook-Event``, ``X-Webhook-Task-Id``, and ``X-Webhook-Signature: sha256=<hex>``, the
  HMAC-SHA256 of the raw body keyed with the secret string as it is (HPI's scheme);
- ``webhook-id`` (the same on every retry of one event), ``webhook-timestamp`` (seconds) and
  ``webhook-signature: v1,<base64>``, the HMAC-SHA256 of ``id.timestamp.body`` keyed with the
  base64-decoded part of a ``whsec_`` secret, or with any other secret's bytes (Standard Webhooks).

Only a 2xx answer counts as delivered; redirects are never followed; private and local
addresses are refused unless allowed, and each request connects to the addresses that were
checked (``core/destinations.py``). A refusal keeps only a short, printable excerpt of the
receiver's answer for the delivery log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any, Literal

import httpx
from pydantic import Field, field_validator

from hpi_app.core import destinations
from hpi_app.core.sinks.base import DeliveryFailed, Job, Sender, SettingField, SinkSettings, SinkType
from hpi_app.validation import WHITESPACE, text_rule

USER_AGENT = "HPI-Webhooks/1"
WHSEC_PREFIX = "whsec_"
MAX_ANSWER_CHARS = 120
EXCERPT_BYTES = 4 * MAX_ANSWER_CHARS
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e]+")

__all__ = ["WEBHOOK", "DeliveryFailed", "WebhookSender", "WebhookSink", "generate_webhook_secret"]


def generate_webhook_secret() -> str:
    """A new Standard Webhooks style secret (``whsec_`` + base64 of 24 random bytes)."""
    return WHSEC_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


WebhookUrl = text_rule(
    f"^https?://[^{WHITESPACE}/?#]+", "must be an http:// or https:// URL", max_length=2000
)


class WebhookSink(SinkSettings):
    """POST the event as JSON to ``url``, signed with ``secret``."""

    type: Literal["webhook"]
    url: WebhookUrl
    secret: str | None = Field(default=None, min_length=8, max_length=200)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        problem = destinations.literal_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        if value is not None and value.startswith(WHSEC_PREFIX):
            try:
                key = base64.b64decode(value[len(WHSEC_PREFIX) :], validate=True)
            except (binascii.Error, ValueError):
                key = b""
            if len(key) < 8:
                msg = "a whsec_ secret must be base64 of at least 8 bytes after the prefix"
                raise ValueError(msg)
        return value


def encode_body(body: dict[str, Any]) -> bytes:
    """The raw bytes sent (and signed) for an event body: compact UTF-8 JSON."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def standard_webhooks_key(secret: str) -> bytes:
    """The HMAC key of the Standard Webhooks signature for ``secret``."""
    if secret.startswith(WHSEC_PREFIX):
        return base64.b64decode(secret[len(WHSEC_PREFIX) :])
    return secret.encode()


def signature_headers(secret: str, webhook_id: str, timestamp: int, raw: bytes) -> dict[str, str]:
    """Both signatures of ``raw`` as headers."""
    hpi = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    signed = f"{webhook_id}.{timestamp}.".encode() + raw
    standard = base64.b64encode(hmac.new(standard_webhooks_key(secret), signed, hashlib.sha256).digest())
    return {
        "X-Webhook-Signature": f"sha256={hpi}",
        "webhook-signature": f"v1,{standard.decode()}",
    }


def request_headers(job: Job, raw: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Every header of the request for ``job`` (signed only when the sink has a secret)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Webhook-Event": job.event,
        "X-Webhook-Task-Id": job.body.get("task_id") or "",
        "webhook-id": job.webhook_id,
        "webhook-timestamp": str(timestamp),
    }
    secret = job.sink.get("secret")
    if secret:
        headers.update(signature_headers(secret, job.webhook_id, timestamp, raw))
    return headers


def answer_excerpt(content: bytes) -> str:
    """A short, printable excerpt of a refusing receiver's answer, for the delivery log.

    Only the first bytes are read; anything but printable ASCII becomes one space, so no
    markup, control character or long internal page reaches the log.
    """
    text = _NOT_PRINTABLE.sub(" ", content[:EXCERPT_BYTES].decode("ascii", "replace")).strip()
    text = " ".join(text.split())
    if len(text) > MAX_ANSWER_CHARS:
        text = text[:MAX_ANSWER_CHARS] + "..."
    return f": {text}" if text else ""


def _pinned_transport() -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go only to addresses the guard pinned."""
    transport = httpx.AsyncHTTPTransport(
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=WebhookSender.PER_CLIENT),
        trust_env=False,
    )
    # httpx takes no network backend of its own: its httpcore pool does.
    transport._pool._network_backend = destinations.PinnedBackend()
    return transport


class WebhookSender(Sender):
    """Sends webhook jobs over a few small pooled HTTP clients.

    httpcore's connection pool does work proportional to its size on every request, so one big
    pool gets slower the more sends run at once; small pools of ``PER_CLIENT`` connections,
    each request going to the least busy one, keep the cost per request flat.
    """

    PER_CLIENT = 4

    def __init__(self, timeout: float, max_connections: int = 100) -> None:
        count = max(1, -(-max_connections // self.PER_CLIENT))
        self._clients = [
            httpx.AsyncClient(
                follow_redirects=False,
                timeout=httpx.Timeout(timeout),
                headers={"User-Agent": USER_AGENT},
                trust_env=False,
                transport=_pinned_transport(),
            )
            for _ in range(count)
        ]
        self._busy = [0] * count

    async def send(self, job: Job) -> int:
        """POST the event; the answer's status code when it is 2xx.

        Raises:
            DeliveryFailed: Any other answer, a redirect, or no answer.
        """
        url = job.sink["url"]
        addresses, problem = await destinations.checked_addresses(url)
        if problem is not None:
            raise DeliveryFailed(f"Not sent: {problem}.")
        raw = encode_body(job.body)
        index = min(range(len(self._clients)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            with destinations.pinned(url, addresses):
                status, where, head = await self._post(self._clients[index], url, raw, job)
        except httpx.TimeoutException:
            raise DeliveryFailed("The receiver did not answer in time.") from None
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"Could not reach the receiver: {exc or type(exc).__name__}") from None
        finally:
            self._busy[index] -= 1
        if 200 <= status < 300:
            return status
        if 300 <= status < 400:
            raise DeliveryFailed(f"HTTP {status}: redirect to {where} not followed", status)
        raise DeliveryFailed(f"HTTP {status}{answer_excerpt(head)}", status)

    @staticmethod
    async def _post(client: httpx.AsyncClient, url: str, raw: bytes, job: Job) -> tuple[int, str, bytes]:
        """POST ``raw``; the answer's status, ``Location`` and (when refused) its first bytes only."""
        async with client.stream("POST", url, content=raw, headers=request_headers(job, raw)) as response:
            status = response.status_code
            head = b""
            if status >= 400:
                async for chunk in response.aiter_bytes():
                    head += chunk
                    if len(head) >= EXCERPT_BYTES:
                        break
            return status, response.headers.get("location", "?"), head[:EXCERPT_BYTES]

    async def aclose(self) -> None:
        """Close the pooled connections."""
        for client in self._clients:
            await client.aclose()


WEBHOOK = SinkType(
    name="webhook",
    label="Webhook",
    spec=WebhookSink,
    target="url",
    new_sender=lambda config: WebhookSender(config.timeout, config.max_connections),
    fields=(SettingField("url", "URL", "https://example.com/hooks/hpi"),),
    new_secret=generate_webhook_secret,
    color="indigo",
)
