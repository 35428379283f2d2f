"""What a sink type is made of: its settings model, its sender, and how the product shows it.

A sink type module (``webhook.py``, ``email.py``, ``nats.py``) builds these pieces and declares
one :class:`SinkType`; ``registry.py`` lists the types. Nothing here knows any one type.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hpi_app.config import settings
from hpi_app.routes import configured_base
from hpi_app.validation import not_blank
from hpi_app.vocab import DEFAULT_SINK_EVENTS, SinkEvent

# The event names a sink may list, as a Literal so an unknown one reads "must be one of: ...".
SinkEventName = Literal[tuple(SinkEvent)]  # type: ignore[valid-type]


@dataclass(frozen=True)
class Job:
    """One claimed delivery, ready to send.

    Attributes:
        delivery_id: The delivery.
        webhook_id: Its stable ``webhook-id``.
        event: ``task.completed`` and so on, or ``task.test``.
        attempt: The number of this attempt (1 for the first).
        sink: The sink's current settings, secret included.
        body: The JSON to send.
        deadline_at: When retrying stops.
        subject: The current state of what the event is about (``SubjectType.describe``), for
            senders that show it (email); None for other senders and for test events.
    """

    delivery_id: str
    webhook_id: str
    event: str
    attempt: int
    sink: dict[str, Any]
    body: dict[str, Any]
    deadline_at: datetime
    subject: Any = None


@dataclass(frozen=True)
class AttemptResult:
    """What one attempt came to.

    Attributes:
        ok: The sink accepted the event.
        started_at: When the attempt began.
        latency_ms: How long it took.
        status_code: The HTTP status a webhook answered with, if any.
        error: What went wrong, written for the person reading the delivery log.
    """

    ok: bool
    started_at: datetime
    latency_ms: int
    status_code: int | None = None
    error: str | None = None


class SinkSettings(BaseModel):
    """The settings every sink has; a sink type's model adds ``type: Literal[...]`` and its own."""

    model_config = ConfigDict(extra="ignore")

    events: list[SinkEventName] = Field(default_factory=lambda: list(DEFAULT_SINK_EVENTS))


class OrgSinkSettings(BaseModel):
    """What an organisation-wide sink has beside its type's settings: a name and a switch."""

    name: str = Field(min_length=1, max_length=100)
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        return not_blank(value).strip()


class DeliveryFailed(Exception):
    """An attempt the sink refused or that could not reach it.

    Attributes:
        message: What happened, for the delivery log.
        status_code: The HTTP status of the answer, when there was one.
    """

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code


def describe(exc: BaseException) -> str:
    """A failure as one line for the delivery log."""
    if isinstance(exc, DeliveryFailed):
        return exc.message
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text and name not in text else (text or name)


@dataclass(frozen=True)
class SenderConfig:
    """What the senders need to know; defaults come from the settings.

    Attributes:
        timeout: Seconds one attempt may take.
        nats_url: The NATS server.
        smtp_url: The SMTP server (empty: mail goes to the log).
        smtp_from: The From of emails.
        public_url: The base URL of task links in emails.
        max_connections: Sends in flight at once (connection pools are sized for it).
    """

    timeout: float
    nats_url: str
    smtp_url: str
    smtp_from: str
    public_url: str
    max_connections: int = 100

    @classmethod
    def from_settings(cls, **overrides: object) -> SenderConfig:
        """The configured values, with ``overrides`` applied."""
        values: dict[str, object] = {
            "timeout": settings.delivery_timeout_seconds,
            "nats_url": settings.nats_url,
            "smtp_url": settings.smtp_url,
            "smtp_from": settings.smtp_from,
            "public_url": configured_base(),
        }
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)  # type: ignore[arg-type]


class Sender(ABC):
    """Sends the jobs of one sink type; a type's sender defines ``send`` and overrides what it needs.

    ``send`` makes one attempt and returns the answer's status code, if the sink has such a
    thing; it raises :class:`DeliveryFailed` (or anything else) when the attempt failed. The
    dispatcher (``sending.Senders``) bounds each attempt by ``timeout_factor`` times the
    per-attempt timeout and words failures with ``timeout_error`` and ``error``.
    """

    timeout_factor: float = 1.0

    @abstractmethod
    async def send(self, job: Job) -> int | None:
        """Make one attempt at ``job``."""

    def timeout_error(self, limit: float) -> str:
        """The delivery log's line for an attempt that took longer than ``limit`` seconds."""
        return f"No answer within {limit:g} s."

    def error(self, exc: Exception) -> str:
        """The delivery log's line for an attempt that raised ``exc``."""
        return describe(exc)

    async def aclose(self) -> None:  # noqa: B027 (optional: most senders hold nothing to close)
        """Close whatever connections the sender holds."""


@dataclass(frozen=True)
class SettingField:
    """One setting the Settings page asks for when adding a sink of a type.

    Attributes:
        name: The setting's key (a field of the type's settings model).
        label: The form field's label.
        placeholder: An example value shown in the empty field.
        max_length: How many characters the form keeps.
    """

    name: str
    label: str
    placeholder: str = ""
    max_length: int = 2000


@dataclass(frozen=True)
class SinkType:
    """One kind of sink, declared by its module.

    Attributes:
        name: Its ``type`` value in a sink's settings, e.g. ``"webhook"``.
        label: How the UI names it, e.g. ``"Webhook"``.
        spec: The Pydantic model of its settings (a :class:`SinkSettings` with
            ``type: Literal[name]``), for a task's ``sinks[]``; the org-wide variant is derived.
        target: The setting that says where it sends (a URL, an address, a subject).
        new_sender: Builds its sender from the worker's :class:`SenderConfig`.
        fields: The settings the Settings page asks for, ``target`` first.
        new_secret: Generates a secret for a sink given none; ``None``: the type has no secret.
        color: The colour of its badge in the UI.
        shows_subject: Its sender shows the subject's current state (``job.subject``), not just
            the event body (an email lays out the task's answers).
    """

    name: str
    label: str
    spec: type[SinkSettings]
    target: str
    new_sender: Callable[[SenderConfig], Sender]
    fields: tuple[SettingField, ...] = field(default=())
    new_secret: Callable[[], str] | None = None
    color: str = "gray"
    shows_subject: bool = False

    @property
    def carries_secret(self) -> bool:
        """Whether its sinks have a ``secret`` (generated when not given)."""
        return self.new_secret is not None
