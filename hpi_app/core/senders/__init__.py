"""The senders of push deliveries: webhook (HTTP), email (SMTP) and NATS.

``Senders.send(job)`` makes one attempt within the per-attempt timeout and reports it as an
``AttemptResult``; it never raises for a sink's failure.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from hpi_app.config import settings
from hpi_app.core.deliveries import AttemptResult, Job
from hpi_app.core.senders.email import EmailSender
from hpi_app.core.senders.nats import NatsSender
from hpi_app.core.senders.webhook import DeliveryFailed, WebhookSender
from hpi_app.models import utcnow

log = logging.getLogger("hpi.deliveries")

# SMTP runs in a thread with its own per-operation timeout; allow the whole exchange a few of them.
EMAIL_TIMEOUT_FACTOR = 3


@dataclass(frozen=True)
class SenderConfig:
    """What the senders need to know; defaults come from the settings.

    Attributes:
        timeout: Seconds one attempt may take.
        nats_url: The NATS server.
        smtp_url: The SMTP server (empty: mail goes to the log).
        smtp_from: The From of emails.
        public_url: The base URL of task links in emails.
    """

    timeout: float
    nats_url: str
    smtp_url: str
    smtp_from: str
    public_url: str

    @classmethod
    def from_settings(cls, **overrides: object) -> SenderConfig:
        """The configured values, with ``overrides`` applied."""
        values: dict[str, object] = {
            "timeout": settings.delivery_timeout_seconds,
            "nats_url": settings.nats_url,
            "smtp_url": settings.smtp_url,
            "smtp_from": settings.smtp_from,
            "public_url": settings.public_url or f"http://localhost:{settings.port}",
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]


def describe(exc: BaseException) -> str:
    """A failure as one line for the delivery log."""
    if isinstance(exc, DeliveryFailed):
        return exc.message
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text and name not in text else (text or name)


class Senders:
    """One sender per sink type, sharing connections across attempts."""

    def __init__(self, config: SenderConfig, max_connections: int = 100) -> None:
        self.config = config
        self.webhook = WebhookSender(config.timeout, max_connections)
        self.email = EmailSender(
            smtp_url=config.smtp_url,
            from_addr=config.smtp_from,
            base_url=config.public_url,
            timeout=config.timeout,
        )
        self.nats = NatsSender(config.nats_url, config.timeout)

    async def send(self, job: Job) -> AttemptResult:
        """Make one attempt at ``job`` and say how it went."""
        kind = job.sink.get("type")
        started = utcnow()
        began = time.perf_counter()
        status_code = None
        limit = self.config.timeout * (EMAIL_TIMEOUT_FACTOR if kind == "email" else 1)
        try:
            async with asyncio.timeout(limit):
                if kind == "webhook":
                    status_code = await self.webhook.send(job)
                elif kind == "email":
                    await self.email.send(job)
                elif kind == "nats":
                    await self.nats.send(job)
                else:
                    raise DeliveryFailed(f"Unknown sink type {kind!r}.")
        except TimeoutError:
            error = f"No answer within {limit:g} s."
            if kind == "nats":
                error = f"NATS at {self.config.nats_url} did not answer within {limit:g} s."
            return self._result(job, started, began, error=error)
        except DeliveryFailed as exc:
            return self._result(job, started, began, status_code=exc.status_code, error=exc.message)
        except Exception as exc:
            error = describe(exc)
            if kind == "nats":
                error = f"NATS at {self.config.nats_url}: {error}"
            elif kind == "email":
                error = f"SMTP: {error}"
            return self._result(job, started, began, error=error)
        return self._result(job, started, began, status_code=status_code)

    def _result(
        self, job: Job, started, began: float, *, status_code: int | None = None, error: str | None = None
    ) -> AttemptResult:
        latency_ms = round((time.perf_counter() - began) * 1000)
        if error is not None:
            log.info(
                "Delivery %s (%s, attempt %d) failed after %d ms: %s",
                job.delivery_id,
                job.event,
                job.attempt,
                latency_ms,
                error,
            )
        return AttemptResult(
            ok=error is None, started_at=started, latency_ms=latency_ms, status_code=status_code, error=error
        )

    async def aclose(self) -> None:
        """Close every connection."""
        await self.webhook.aclose()
        await self.nats.aclose()
