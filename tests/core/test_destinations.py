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
from hpi_app.core.sinks.webhook import MAX_ANSWER_CHARS, DeliveryFailed, WebhookSender
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
        ("::7f00:1", False),  # IPv4-compatible loopback
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of the metadata service
        ("64:ff9b:1::1", False),  # local-use NAT64
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:c0a8:101::1", False),  # 6to4 of 192.168.1.1
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("64:ff9b::808:808", True),  # NAT64 of 8.8.8.8
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
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
        "http://0x7f000001/hook",
        "http://2130706433/hook",
        "http://127.1/hook",
        "http://0177.0.0.1/hook",
        "http://0x7f.0.0.1/hook",
        "http://0/hook",
        "http://[::ffff:7f00:1]/hook",
        "http://[::7f00:1]/hook",
        "http://[64:ff9b::7f00:1]/hook",
        "http://[2002:a9fe:a9fe::]/hook",
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


def _name(host: str | bytes) -> str:
    """A host name as ``getaddrinfo`` was given it (anyio passes IDNA-encoded bytes)."""
    return host.decode() if isinstance(host, bytes) else host


@pytest.fixture
def hostile_resolver(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``rebind.example`` resolves to a public address the first time, then to 127.0.0.1.

    The process's resolver itself is replaced (no hosts file needed), so the guard and any
    second look-up by the HTTP client both meet it; returns the answers given, in order.
    """
    real = socket.getaddrinfo
    given: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if _name(host) != "rebind.example":
            return real(host, port, *args, **kwargs)
        address = "93.184.215.14" if not given else "127.0.0.1"
        given.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return given


async def test_a_name_rebound_to_an_internal_address_after_the_check_is_not_connected_to(
    private_refused, hostile_resolver
):
    with WebhookReceiver() as receiver:
        port = receiver.url.rsplit(":", 1)[1]
        # The checked public address is not reachable from here: the attempt fails, unsent.
        with pytest.raises(DeliveryFailed):
            await _send(f"http://rebind.example:{port}/hook")
        assert receiver.requests == []
    assert hostile_resolver[0] == "93.184.215.14"


async def test_the_request_goes_to_the_checked_address_with_the_name_as_host(monkeypatch):
    # Allowed private receivers (as the suite runs): the name is resolved once, then connected to.
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if _name(host) == "hooks.pinned.example":
            asked.append(_name(host))
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", int(port)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with WebhookReceiver() as receiver:
        port = receiver.url.rsplit(":", 1)[1]
        assert await _send(f"http://hooks.pinned.example:{port}/hook") == 200
        [request] = receiver.requests
        assert request.headers["host"] == f"hooks.pinned.example:{port}"
    assert asked == ["hooks.pinned.example"]


async def test_a_refusing_answer_is_kept_only_as_a_short_printable_excerpt():
    internal = "<html><body>\n" + "secret-line\x1b[31m\n" * 500 + "</body></html>"
    with WebhookReceiver() as receiver:
        receiver.plan(f"500 {internal}")
        with pytest.raises(DeliveryFailed) as failed:
            await _send(f"{receiver.url}/hook")
    message = str(failed.value)
    assert message.startswith("HTTP 500: <html><body> secret-line")
    assert len(message) <= len("HTTP 500: ") + MAX_ANSWER_CHARS + len("...")
    assert "\n" not in message and "\x1b" not in message
