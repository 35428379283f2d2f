"""NATS sinks: the webhook's JSON published to the sink's subject on ``HPI_NATS_URL``.

One connection, opened at the first NATS delivery and reused; a failed publish drops it and the
next attempt connects afresh. A publish counts once the server has confirmed it (a flush). The
``Nats-Msg-Id`` header carries the ``webhook-id``, so a JetStream stream on the subject drops
retried duplicates by itself.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

import nats
from nats.aio.client import Client

from hpi_app.core.sinks.base import Job, Sender, SettingField, SinkSettings, SinkType
from hpi_app.core.sinks.webhook import encode_body
from hpi_app.validation import text_rule

log = logging.getLogger("hpi.nats")

Subject = text_rule(
    r"^[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-*>]+)*$", "must be a NATS subject such as 'hpi.tasks'", max_length=200
)


class NatsSink(SinkSettings):
    """Publish the event to a NATS subject."""

    type: Literal["nats"]
    subject: Subject


class NatsSender(Sender):
    """Publishes NATS jobs over one lazily opened connection."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def _on_error(self, exc: Exception) -> None:
        log.debug("NATS client error: %s", exc)

    async def _connection(self) -> Client:
        async with self._lock:
            if self._client is not None and self._client.is_connected:
                return self._client
            await self._drop_locked()
            self._client = await nats.connect(
                servers=[self.url],
                name="hpi-deliveries",
                connect_timeout=self.timeout,
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0,
                error_cb=self._on_error,
            )
            return self._client

    async def _drop_locked(self) -> None:
        client, self._client = self._client, None
        if client is not None and not client.is_closed:
            try:
                await client.close()
            except Exception:  # the connection is being thrown away either way
                log.debug("Closing a NATS connection failed", exc_info=True)

    def timeout_error(self, limit: float) -> str:
        """Names the server that did not answer."""
        return f"NATS at {self.url} did not answer within {limit:g} s."

    def error(self, exc: Exception) -> str:
        """Names the server that failed."""
        return f"NATS at {self.url}: {super().error(exc)}"

    async def send(self, job: Job) -> None:
        """Publish the job's body to its subject and wait for the server to take it."""
        try:
            client = await self._connection()
            await client.publish(
                job.sink["subject"],
                encode_body(job.body),
                headers={"Nats-Msg-Id": job.webhook_id, "HPI-Event": job.event},
            )
            await client.flush(timeout=self.timeout)
        except BaseException:
            async with self._lock:
                await self._drop_locked()
            raise

    async def aclose(self) -> None:
        """Close the connection, if one is open."""
        async with self._lock:
            await self._drop_locked()


NATS = SinkType(
    name="nats",
    label="NATS",
    spec=NatsSink,
    target="subject",
    new_sender=lambda config: NatsSender(config.nats_url, config.timeout),
    fields=(SettingField("subject", "NATS subject", "hpi.tasks"),),
    color="purple",
)
