"""One attempt at a push delivery, with the sender of the sink's type from the registry.

``Senders.send(job)`` makes one attempt within the per-attempt timeout and reports it as an
``AttemptResult``; it never raises for a sink's failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from datetime import datetime

from hpi_app.core.sinks.base import AttemptResult, DeliveryFailed, Job, Sender, SenderConfig, describe
from hpi_app.core.sinks.registry import SINK_TYPES, sink_type
from hpi_app.models import utcnow

__all__ = ["SenderConfig", "Senders", "describe"]

log = logging.getLogger("hpi.deliveries")


class Senders:
    """One sender per registered sink type, sharing connections across attempts.

    Every type registered when the worker starts gets its sender then (so a bad setting, such
    as an unreadable SMTP URL, fails at start); a type registered later gets one at its first job.
    """

    def __init__(self, config: SenderConfig, max_connections: int = 100) -> None:
        self.config = dataclasses.replace(config, max_connections=max_connections)
        self._senders: dict[str, Sender] = {
            name: kind.new_sender(self.config) for name, kind in SINK_TYPES.items()
        }

    def _sender(self, name: object) -> Sender | None:
        if isinstance(name, str) and name not in self._senders and (kind := sink_type(name)) is not None:
            self._senders[name] = kind.new_sender(self.config)
        return self._senders.get(name) if isinstance(name, str) else None

    async def send(self, job: Job) -> AttemptResult:
        """Make one attempt at ``job`` and say how it went."""
        kind = job.sink.get("type")
        sender = self._sender(kind)
        started = utcnow()
        began = time.perf_counter()
        status_code = None
        limit = self.config.timeout * (sender.timeout_factor if sender else 1)
        try:
            async with asyncio.timeout(limit):
                if sender is None:
                    raise DeliveryFailed(f"Unknown sink type {kind!r}.")
                status_code = await sender.send(job)
        except TimeoutError:
            return self._result(job, started, began, error=sender.timeout_error(limit))
        except DeliveryFailed as exc:
            return self._result(job, started, began, status_code=exc.status_code, error=exc.message)
        except Exception as exc:
            return self._result(job, started, began, error=sender.error(exc))
        return self._result(job, started, began, status_code=status_code)

    def _result(
        self,
        job: Job,
        started: datetime,
        began: float,
        *,
        status_code: int | None = None,
        error: str | None = None,
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
        for sender in self._senders.values():
            await sender.aclose()
