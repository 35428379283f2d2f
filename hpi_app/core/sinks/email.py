"""Email sinks: the event as a readable message to the sink's ``to`` address.

Mail goes through ``hpi_app.core.mail`` (SMTP from ``HPI_SMTP_URL``, or the server log).
"""

from __future__ import annotations

import asyncio
import html
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Literal

from hpi_app.core.mail import parse_smtp_url, send_mail
from hpi_app.core.outbox import TEST_EVENT
from hpi_app.core.sinks.base import Job, Sender, SettingField, SinkSettings, SinkType
from hpi_app.core.subjects import SubjectView, id_key
from hpi_app.validation import EmailAddress

# SMTP runs in a thread with its own per-operation timeout; allow the whole exchange a few of them.
EMAIL_TIMEOUT_FACTOR = 3
_HEADINGS = {
    "completed": "Completed",
    "cancelled": "Cancelled",
    "expired": "Expired",
    "reminded": "Reminder sent",
    "escalated": "Escalated",
    "assigned": "Reassigned",
    "extended": "Expiry moved",
    "updated": "Retitled",
}


class EmailSink(SinkSettings):
    """Email the event to ``to``."""

    type: Literal["email"]
    to: EmailAddress


def _indent(text: str, width: int) -> str:
    return text.replace("\n", "\n" + " " * width)


def heading_for(event: str, noun: str) -> str:
    """How an email names what happened: ``Completed``, ``New task``; the event itself otherwise."""
    what = event.rpartition(".")[2]
    return f"New {noun}" if what == "created" else _HEADINGS.get(what, event)


def build_message(job: Job, *, from_addr: str, base_url: str) -> EmailMessage:
    """The email for ``job``: the subject's title, its answers laid out, and its link.

    A plain-text body, with the same content as HTML beside it. ``job.subject`` is the
    :class:`SubjectView` its kind describes; without one (a test event) the message says so.
    """
    view: SubjectView | None = job.subject
    message = EmailMessage()
    message["From"] = from_addr
    message["To"] = job.sink["to"]
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=job.webhook_id, domain="hpi")
    message["X-HPI-Event"] = job.event
    if view is None:
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
    heading = heading_for(job.event, view.noun)
    # A cancellation says why; a completion lays out the answers (whatever the subject is now).
    what = job.event.rpartition(".")[2]
    reason = view.reason if what == "cancelled" else None
    rows = view.rows if what == "completed" else ()
    message["Subject"] = f"{heading}: {view.title}"
    link = f"{base_url.rstrip('/')}{view.path}"
    lines = [view.title, "=" * min(len(view.title), 72), "", f"Status: {heading.lower()}"]
    if reason:
        lines.append(f"Reason: {reason}")
    if rows:
        width = min(max(len(label) for label, _ in rows) + 2, 32)
        lines += ["", "Answers", "-------"]
        lines += [f"{(label + ':').ljust(width)} {_indent(value, width + 1)}" for label, value in rows]
    lines += [
        "",
        f"Open the {view.noun}: {link}",
        "",
        "-- ",
        f"Sent by HPI for {job.event} ({view.noun} {job.body.get(id_key(view.noun))}).",
    ]
    message.set_content("\n".join(lines) + "\n")
    message.add_alternative(_html(view.title, view.noun, heading, reason, rows, link), subtype="html")
    return message


def _html(
    title: str, noun: str, heading: str, reason: str | None, rows: tuple[tuple[str, str], ...], link: str
) -> str:
    esc = html.escape
    parts = [f"<h2>{esc(title)}</h2>", f"<p>Status: <strong>{esc(heading.lower())}</strong></p>"]
    if reason:
        parts.append(f"<p>Reason: {esc(reason)}</p>")
    if rows:
        cells = "".join(
            f'<tr><th align="left" valign="top" style="padding:4px 12px 4px 0">{esc(label)}</th>'
            f'<td style="padding:4px 0;white-space:pre-wrap">{esc(value)}</td></tr>'
            for label, value in rows
        )
        parts.append(f"<table>{cells}</table>")
    parts.append(f'<p><a href="{esc(link, quote=True)}">Open the {esc(noun)}</a></p>')
    return "\n".join(parts)


class EmailSender(Sender):
    """Sends email jobs, one SMTP conversation each, in worker threads."""

    timeout_factor = EMAIL_TIMEOUT_FACTOR

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

    def error(self, exc: Exception) -> str:
        """Says the SMTP exchange failed."""
        return f"SMTP: {super().error(exc)}"


EMAIL = SinkType(
    name="email",
    label="Email",
    spec=EmailSink,
    target="to",
    new_sender=lambda config: EmailSender(
        smtp_url=config.smtp_url,
        from_addr=config.smtp_from,
        base_url=config.public_url,
        timeout=config.timeout,
    ),
    fields=(SettingField("to", "Email address", "ops@example.com"),),
    color="teal",
    shows_subject=True,
)
