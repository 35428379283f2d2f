"""Email: the event as a readable message over SMTP, or into the server log without SMTP.

``HPI_SMTP_URL`` names the server: ``smtp://user:pass@host:587?starttls=1`` (STARTTLS),
``smtps://user:pass@host:465`` (TLS from the start), ``smtp://host:25`` (plain, no login).
User and password are URL-encoded. Without it, each message is written to the server log
(development mode) and counts as sent.
"""

from __future__ import annotations

import asyncio
import html
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from hpi_app.core.answers import answers
from hpi_app.core.deliveries import Job
from hpi_app.core.outbox import TEST_EVENT
from hpi_app.core.tasks import TaskSnapshot

log = logging.getLogger("hpi.mail")

_TRUE = ("1", "true", "yes", "on")
_HEADINGS = {
    "task.completed": "Completed",
    "task.cancelled": "Cancelled",
    "task.expired": "Expired",
    "task.created": "New task",
}


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


def task_link(base_url: str, snapshot: TaskSnapshot) -> str:
    """The task's link page."""
    return f"{base_url.rstrip('/')}/t/{snapshot.link_id}"


def _indent(text: str, width: int) -> str:
    return text.replace("\n", "\n" + " " * width)


def build_message(job: Job, *, from_addr: str, base_url: str) -> EmailMessage:
    """The email for ``job``: the task's title, its answers laid out, and its link.

    A plain-text body, with the same content as HTML beside it.
    """
    snapshot = job.subject
    message = EmailMessage()
    message["From"] = from_addr
    message["To"] = job.sink["to"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=job.webhook_id, domain="hpi")
    message["X-HPI-Event"] = job.event
    if snapshot is None:
        title = "Test message" if job.event == TEST_EVENT else f"HPI event {job.event}"
        message["Subject"] = f"HPI: {title}"
        text = (
            f"{title}\n\nThis is a test event from HPI: this address receives HPI's notifications.\n"
            if job.event == TEST_EVENT
            else f"{title}\n"
        )
        message.set_content(text)
        message.add_alternative(
            f"<p><strong>{html.escape(title)}</strong></p><pre>{html.escape(text)}</pre>", subtype="html"
        )
        return message
    heading = _HEADINGS.get(job.event, job.event)
    message["Subject"] = f"{heading}: {snapshot.title}"
    link = task_link(base_url, snapshot)
    lines = [snapshot.title, "=" * min(len(snapshot.title), 72), "", f"Status: {heading.lower()}"]
    rows: list[tuple[str, str]] = []
    if job.event == "task.cancelled" and snapshot.cancel_reason:
        lines.append(f"Reason: {snapshot.cancel_reason}")
    if job.event == "task.completed":
        for answer in answers(snapshot.steps, snapshot.data):
            value = answer.text
            if answer.links:
                value = "\n".join(answer.links)
            rows.append((answer.label or answer.name, value))
        if rows:
            width = min(max(len(label) for label, _ in rows) + 2, 32)
            lines += ["", "Answers", "-------"]
            lines += [f"{(label + ':').ljust(width)} {_indent(value, width + 1)}" for label, value in rows]
    lines += [
        "",
        f"Open the task: {link}",
        "",
        "-- ",
        f"Sent by HPI for {job.event} (task {job.body.get('task_id')}).",
    ]
    message.set_content("\n".join(lines) + "\n")
    message.add_alternative(_html(snapshot.title, heading, snapshot, rows, link, job), subtype="html")
    return message


def _html(
    title: str, heading: str, snapshot: TaskSnapshot, rows: list[tuple[str, str]], link: str, job: Job
) -> str:
    esc = html.escape
    parts = [f"<h2>{esc(title)}</h2>", f"<p>Status: <strong>{esc(heading.lower())}</strong></p>"]
    if job.event == "task.cancelled" and snapshot.cancel_reason:
        parts.append(f"<p>Reason: {esc(snapshot.cancel_reason)}</p>")
    if rows:
        cells = "".join(
            f'<tr><th align="left" valign="top" style="padding:4px 12px 4px 0">{esc(label)}</th>'
            f'<td style="padding:4px 0;white-space:pre-wrap">{esc(value)}</td></tr>'
            for label, value in rows
        )
        parts.append(f"<table>{cells}</table>")
    parts.append(f'<p><a href="{esc(link, quote=True)}">Open the task</a></p>')
    return "\n".join(parts)


class EmailSender:
    """Sends email jobs, one SMTP conversation each, in worker threads."""

    def __init__(self, *, smtp_url: str, from_addr: str, base_url: str, timeout: float) -> None:
        if smtp_url:
            parse_smtp_url(smtp_url)  # a bad URL fails at start, not at the first delivery
        self.smtp_url = smtp_url
        self.from_addr = from_addr
        self.base_url = base_url
        self.timeout = timeout

    async def send(self, job: Job) -> None:
        """Send the job's message (or log it without SMTP)."""
        message = build_message(job, from_addr=self.from_addr, base_url=self.base_url)
        await asyncio.to_thread(send_mail, message, self.smtp_url, self.timeout)
