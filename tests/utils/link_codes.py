"""One-time link codes in tests: the code a caught link-code mail carries, and a wrong one."""

from __future__ import annotations

import re
from email.message import EmailMessage


def code_in(message: EmailMessage) -> str:
    """The one-time code a link-code mail carries (its plain text reads "...: 123456 — valid ...")."""
    found = re.search(r": (\d{6}) —", message.get_body(("plain",)).get_content())
    assert found, "no one-time code in the mail"
    return found.group(1)


def wrong_code(code: str) -> str:
    """A well-formed code that is not ``code``."""
    return f"{(int(code) + 1) % 10**6:06d}"
