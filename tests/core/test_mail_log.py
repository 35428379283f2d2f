"""One-time codes reach the log only without an SMTP server, and every start says so loudly."""

from __future__ import annotations

import dataclasses
import logging

from hpi_app.config import settings
from hpi_app.core import link_codes
from hpi_app.core.mail import announce_mode
from tests.utils.bodies import seed_task
from tests.utils.link_codes import code_in
from tests.utils.receivers import SmtpReceiver


async def _external_link(client, auth) -> str:
    answer = await client.post(
        "/api/v1/tasks", json=seed_task(assignee_email="guest@elsewhere.test"), headers=auth
    )
    return answer.json()["link_id"]


async def test_with_smtp_no_code_is_logged(client, auth, caplog, monkeypatch):
    link = await _external_link(client, auth)
    with SmtpReceiver() as smtp:
        monkeypatch.setattr(link_codes, "settings", dataclasses.replace(settings, smtp_url=smtp.url))
        with caplog.at_level(logging.DEBUG):
            link_codes.send_code(link, "http://hpi.test")
        (message,) = await smtp.until(1)
    code = code_in(message)
    # Everything HPI itself logged (the test's SMTP server, aiosmtpd, logs what it receives).
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("hpi"))
    assert code and code not in ours


async def test_without_smtp_the_code_is_logged_for_development(client, auth, caplog, monkeypatch):
    link = await _external_link(client, auth)
    monkeypatch.setattr(link_codes, "settings", dataclasses.replace(settings, smtp_url=""))
    with caplog.at_level(logging.WARNING, logger="hpi.mail"):
        link_codes.send_code(link, "http://hpi.test")
    assert "HPI_SMTP_URL is not set" in caplog.text
    assert any(len(w) == 6 and w.isdigit() for w in caplog.text.split())


def test_start_warns_loudly_only_without_smtp(caplog):
    with caplog.at_level(logging.INFO, logger="hpi.mail"):
        announce_mode("")
    (warning,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert "ONE-TIME SIGN-IN CODES INCLUDED" in warning.getMessage()
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="hpi.mail"):
        announce_mode("smtp://127.0.0.1:2525")
    assert [r.levelno for r in caplog.records] == [logging.INFO]
