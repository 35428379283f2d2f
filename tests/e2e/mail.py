"""A local SMTP server for the browser tests of one-time codes, and the steps of the code flow.

The app under test sends its mail there (``HPI_SMTP_URL``; the ``mailbox`` and ``mail_app``
fixtures of ``conftest``), so a test reads the code from the captured mail exactly as the
assignee would from their inbox.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from playwright.sync_api import Page

from tests.utils.ports import free_port


class Mailbox:
    """A local SMTP server that keeps every message it is given."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        """The ``HPI_SMTP_URL`` of this server."""
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, _server, _session, envelope) -> str:
        """aiosmtpd's hook: keep the message."""
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._arrived:
            self.messages.append(message)
            self._arrived.notify_all()
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages sent to ``address`` so far."""
        with self._arrived:
            return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15) -> list[EmailMessage]:
        """Block until ``count`` messages reached ``address``."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len([m for m in self.messages if m["To"] == address]) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"no mail for {address} within {timeout} s"
                self._arrived.wait(left)
        return self.to(address)

    def start(self) -> None:
        """Start listening."""
        self._controller.start()

    def stop(self) -> None:
        """Stop listening."""
        self._controller.stop()


def guest_email() -> str:
    """A new address outside the organisation."""
    return f"guest-{secrets.token_hex(4)}@outside.test"


def code_in(message: EmailMessage) -> str:
    """The code inside a code email."""
    text = message.get_body(("plain",)).get_content()
    found = re.search(r"Your code for .+: (\d{6}) — valid 10 minutes", text)
    assert found, text
    return found.group(1)


def enter_code(page: Page, code: str) -> None:
    """Type a code and press Continue (a real form post; the page comes back with the result)."""
    page.get_by_label("Code", exact=True).fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()


def email_me_a_code(page: Page, mailbox: Mailbox, address: str) -> EmailMessage:
    """Press "Email me a code" on a link's code step and wait for the mail it sends ``address``."""
    page.get_by_role("button", name="Email me a code").click()
    [mail] = mailbox.wait_for(address)
    return mail
