"""Sending mail: over SMTP, or into the server log when no SMTP server is configured.

``HPI_SMTP_URL`` names the server: ``smtp://user:pass@host:587?starttls=1`` (STARTTLS),
``smtps://user:pass@host:465`` (TLS from the start), ``smtp://host:25`` (plain, no login).
User and password are URL-encoded. Without it, each message is written to the server log
(development mode) and counts as sent: one-time codes included, which is why every start
says so loudly (``announce_mode``). With it set, no message body, and so no code, is ever
written to the log. Email sinks and link codes send through here.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

log = logging.getLogger("hpi.mail")

_TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send mail.

    Attributes:
        host: The server's name or address.
        port: Its port.
        security: ``plain``, ``starttls`` or ``ssl``.
        username: Login name (empty: no login).
        password: Login password.
    """

    host: str
    port: int
    security: str = "plain"
    username: str = ""
    password: str = ""


def parse_smtp_url(url: str) -> SmtpServer:
    """Read ``smtp://`` / ``smtps://`` URLs (see the module's doc).

    Raises:
        ValueError: Not an SMTP URL.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        msg = f"HPI_SMTP_URL must look like smtp://user:pass@host:587?starttls=1 or smtps://host, not {url!r}"
        raise ValueError(msg)
    query = {key.lower(): values[-1].lower() for key, values in parse_qs(parts.query).items()}
    if parts.scheme == "smtps" or query.get("ssl") in _TRUE:
        security = "ssl"
    elif query.get("starttls") in _TRUE:
        security = "starttls"
    else:
        security = "plain"
    default_port = {"ssl": 465, "starttls": 587, "plain": 25}[security]
    return SmtpServer(
        host=parts.hostname,
        port=parts.port or default_port,
        security=security,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
    )


def announce_mode(smtp_url: str) -> None:
    """Say at start where mail goes; loudly when it goes to the log (one-time codes included)."""
    if smtp_url:
        server = parse_smtp_url(smtp_url)
        log.info("Mail is sent through %s:%s; no message is written to the log.", server.host, server.port)
        return
    log.warning(
        "HPI_SMTP_URL is not set: every email is written to this log instead of being sent, "
        "ONE-TIME SIGN-IN CODES INCLUDED. Anyone who reads this log can open links that need a "
        "code. This is for development only: set HPI_SMTP_URL in production."
    )


def send_mail(message: EmailMessage, smtp_url: str, timeout: float) -> None:
    """Send one message (blocking), or write it to the log when ``smtp_url`` is empty.

    Raises:
        OSError, smtplib.SMTPException: The server could not be reached or refused the message.
    """
    if not smtp_url:
        log.warning(
            "HPI_SMTP_URL is not set; this mail was not sent:\nTo: %s\nSubject: %s\n\n%s",
            message["To"],
            message["Subject"],
            _plain_text(message),
        )
        return
    server = parse_smtp_url(smtp_url)
    context = ssl.create_default_context()
    if server.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with client:
        if server.security == "starttls":
            client.starttls(context=context)
        if server.username:
            client.login(server.username, server.password)
        client.send_message(message)


def _plain_text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return part.get_content() if part is not None else ""
