"""Email sinks over a real SMTP server (aiosmtpd) and NATS sinks on the local NATS server."""

from __future__ import annotations

import json
import logging
import uuid

import nats
import pytest

from hpi_app.core import tasks
from hpi_app.core.mail import parse_smtp_url
from tests.utils.deliveries import attempts, create_task, deliveries, running_worker, wait_until
from tests.utils.ports import free_port
from tests.utils.receivers import SmtpReceiver

NATS_URL = "nats://127.0.0.1:4222"
PUBLIC = "https://hpi.example.com"
ANSWERS = {"decision": "Approve", "comments": "Looks good.\nShip it on Monday."}


def delivered() -> list:
    return [d for d in deliveries() if d.status == "delivered"]


async def test_a_completed_task_is_mailed_with_title_answers_and_link(admin):
    with SmtpReceiver(username="hpi", password="p@ss word") as smtp:
        created = create_task(admin, [{"type": "email", "to": "ops@example.com"}])
        tasks.complete_task(created["task_id"], ANSWERS)
        url = f"smtp://hpi:p%40ss%20word@127.0.0.1:{smtp.port}"
        async with running_worker(smtp_url=url, smtp_from="HPI <hpi@example.com>", public_url=PUBLIC):
            (message,) = await smtp.until(1)
            await wait_until(delivered, what="delivered")
        assert smtp.logins == ["hpi"]
        assert smtp.mailbox.envelopes == [("hpi@example.com", ["ops@example.com"])]
    assert message["Subject"] == "Completed: Approve deployment to production"
    assert message["To"] == "ops@example.com" and message["From"] == "HPI <hpi@example.com>"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Approve deployment to production" in text
    assert "Decision:" in text and "Approve" in text
    # A multi-line answer stays under its label.
    assert "Comments:  Looks good.\n           Ship it on Monday." in text
    assert f"{PUBLIC}/t/{created['link_id']}" in text
    html = message.get_body(("html",)).get_content()
    assert (
        "<th" in html and "Ship it on Monday." in html and f'href="{PUBLIC}/t/{created["link_id"]}"' in html
    )
    (attempt,) = attempts(deliveries()[0].id)
    assert attempt.ok and attempt.status_code is None


async def test_a_cancelled_task_mail_gives_the_reason(admin):
    with SmtpReceiver() as smtp:
        created = create_task(admin, [{"type": "email", "to": "ops@example.com"}])
        tasks.cancel_task(admin.org_id, created["task_id"], "not needed <any more>", actor=admin.id)
        async with running_worker(smtp_url=smtp.url, public_url=PUBLIC):
            (message,) = await smtp.until(1)
    assert message["Subject"] == "Cancelled: Approve deployment to production"
    assert "Reason: not needed <any more>" in message.get_body(("plain",)).get_content()
    assert "not needed &lt;any more&gt;" in message.get_body(("html",)).get_content()


async def test_smtp_down_is_retried_and_nothing_else_fails(admin):
    port = free_port()
    created = create_task(admin, [{"type": "email", "to": "ops@example.com"}])
    task = tasks.complete_task(created["task_id"], ANSWERS)  # the completion itself succeeds
    assert task.status == "completed"
    async with running_worker(smtp_url=f"smtp://127.0.0.1:{port}", public_url=PUBLIC):
        (row,) = await wait_until(lambda: [d for d in deliveries() if d.attempts >= 2], what="two attempts")
        assert row.status == "pending" and row.last_error.startswith("SMTP: ")
        with SmtpReceiver(port=port) as smtp:
            (message,) = await smtp.until(1, timeout=15)
            await wait_until(delivered, what="delivered")
    assert "Approve" in message.get_body(("plain",)).get_content()
    log = attempts(row.id)
    assert log[-1].ok and not any(a.ok for a in log[:-1])


async def test_without_smtp_the_mail_is_written_to_the_log(admin, caplog):
    caplog.set_level(logging.WARNING, logger="hpi.mail")
    created = create_task(admin, [{"type": "email", "to": "ops@example.com"}])
    tasks.complete_task(created["task_id"], ANSWERS)
    async with running_worker(smtp_url="", public_url=PUBLIC):
        await wait_until(delivered, what="delivered")
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "hpi.mail")
    assert "HPI_SMTP_URL is not set" in logged
    assert "To: ops@example.com" in logged and "Subject: Completed: Approve deployment" in logged
    assert "Decision:" in logged and f"{PUBLIC}/t/{created['link_id']}" in logged


def test_smtp_urls_name_security_login_and_port():
    plain = parse_smtp_url("smtp://mail.example.com")
    assert (plain.host, plain.port, plain.security, plain.username) == ("mail.example.com", 25, "plain", "")
    starttls = parse_smtp_url("smtp://user%40x:p%3Ass@mail.example.com?starttls=1")
    assert (starttls.port, starttls.security, starttls.username, starttls.password) == (
        587,
        "starttls",
        "user@x",
        "p:ss",
    )
    ssl = parse_smtp_url("smtps://u:p@mail.example.com")
    assert (ssl.port, ssl.security) == (465, "ssl")
    assert parse_smtp_url("smtp://h:2525?starttls=true").port == 2525
    with pytest.raises(ValueError, match="HPI_SMTP_URL"):
        parse_smtp_url("http://mail.example.com")


async def test_nats_receives_the_same_json(admin):
    subject = f"hpi.test.{uuid.uuid4().hex}"
    client = await nats.connect(NATS_URL)
    try:
        subscription = await client.subscribe(subject)
        created = create_task(admin, [{"type": "nats", "subject": subject}], corr_id="c-1")
        tasks.complete_task(created["task_id"], ANSWERS)
        async with running_worker(nats_url=NATS_URL):
            message = await subscription.next_msg(timeout=10)
            (row,) = await wait_until(delivered, what="delivered")
    finally:
        await client.close()
    body = json.loads(message.data)
    assert set(body) == {"source", "event", "task_id", "correlation_key", "timestamp", "data"}
    assert body["event"] == "task.completed" and body["data"] == ANSWERS
    assert body["task_id"] == created["task_id"] and body["correlation_key"] == "c-1"
    assert message.headers["Nats-Msg-Id"] == row.webhook_id
    assert message.headers["HPI-Event"] == "task.completed"


async def test_nats_unreachable_is_retried(admin):
    wrong = f"nats://127.0.0.1:{free_port()}"
    created = create_task(admin, [{"type": "nats", "subject": "hpi.nowhere"}])
    task = tasks.complete_task(created["task_id"], ANSWERS)
    assert task.status == "completed"
    async with running_worker(nats_url=wrong):
        (row,) = await wait_until(lambda: [d for d in deliveries() if d.attempts >= 3], what="three attempts")
    assert row.status == "pending"
    log = attempts(row.id)
    assert len(log) >= 3 and not any(a.ok for a in log)
    assert all(a.error.startswith(f"NATS at {wrong}") for a in log)


async def test_many_nats_deliveries_each_arrive_once(admin):
    subject = f"hpi.test.{uuid.uuid4().hex}"
    client = await nats.connect(NATS_URL)
    try:
        subscription = await client.subscribe(subject)
        for _ in range(5):
            created = create_task(admin, [{"type": "nats", "subject": subject, "events": ["created"]}])
        async with running_worker(nats_url=NATS_URL):
            got = [await subscription.next_msg(timeout=10) for _ in range(5)]
            await wait_until(lambda: len(delivered()) == 5, what="five delivered")
    finally:
        await client.close()
    assert len({m.headers["Nats-Msg-Id"] for m in got}) == 5
    assert created["task_id"] in {json.loads(m.data)["task_id"] for m in got}
