"""Webhooks go to public addresses only, unless the operator allows private ones."""

from __future__ import annotations

import dataclasses
import socket
from datetime import timedelta

import pytest
from sqlmodel import select

from hpi_app.config import settings
from hpi_app.core import destinations
from hpi_app.core.sinks.base import Job
from hpi_app.core.sinks.webhook import DeliveryFailed, WebhookSender
from hpi_app.db import session_scope
from hpi_app.models import Task, utcnow
from tests.utils.bodies import seed_task
from tests.utils.receivers import WebhookReceiver


async def _send(url: str) -> int:
    """One attempt of a webhook delivery to ``url`` (the sender the delivery worker uses)."""
    job = Job(
        delivery_id="d-1",
        webhook_id="msg_1",
        event="task.completed",
        attempt=1,
        sink={"type": "webhook", "url": url},
        body={"event": "task.completed", "task_id": "t-1"},
        deadline_at=utcnow() + timedelta(hours=1),
    )
    sender = WebhookSender(timeout=2)
    try:
        return await sender.send(job)
    finally:
        await sender.aclose()


@pytest.fixture
def private_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default of a real instance (the test suite itself allows private receivers)."""
    monkeypatch.setattr(destinations, "settings", dataclasses.replace(settings, webhook_allow_private=False))


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.9", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fd00::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("not an address", False),
    ],
)
def test_public_addresses(address, public):
    assert destinations.is_public_address(address) is public


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "http://LOCALHOST./hook",
        "https://api.localhost/hook",
        "http://[::1]:8080/",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.5/",
    ],
)
async def test_a_task_with_a_webhook_to_a_private_address_is_refused_and_not_created(
    client, auth, private_refused, url
):
    body = seed_task(sinks=[{"type": "email", "to": "ops@example.com"}, {"type": "webhook", "url": url}])
    answer = await client.post("/api/v1/tasks", json=body, headers=auth)
    assert answer.status_code == 400, answer.text
    details = answer.json()["details"]
    assert [d["field"] for d in details] == ["sinks[1].url"]
    assert "HPI_WEBHOOK_ALLOW_PRIVATE" in details[0]["message"]
    with session_scope() as session:
        assert session.exec(select(Task)).all() == []


async def test_public_names_and_addresses_are_accepted(client, auth, private_refused):
    body = seed_task(sinks=[{"type": "webhook", "url": "https://hooks.example.com/hpi"}])
    assert (await client.post("/api/v1/tasks", json=body, headers=auth)).status_code == 201


async def test_a_name_resolving_to_a_private_address_is_not_sent_to(private_refused):
    # This machine's own name resolves to a loopback or private address (checked first).
    name = socket.gethostname()
    resolved = {info[4][0] for info in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)}
    assert resolved and not any(destinations.is_public_address(a) for a in resolved)
    with WebhookReceiver() as receiver:
        port = receiver.url.rsplit(":", 1)[1]
        with pytest.raises(DeliveryFailed, match="resolves to a private or local address"):
            await _send(f"http://{name}:{port}/hook")
        assert receiver.requests == []


async def test_allowed_private_receivers_get_their_webhooks():
    assert settings.webhook_allow_private  # as the test suite runs
    with WebhookReceiver() as receiver:
        assert await _send(f"{receiver.url}/hook") == 200
        assert len(receiver.requests) == 1
