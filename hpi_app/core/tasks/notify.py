"""Reminding people of a pending task: ``POST /tasks/{id}/notify``, and the mail of scheduled reminders.

``notify_task`` emails the assignee the task's link (an external assignee's link page then runs
the one-time-code flow of SPEC §8); with ``escalate`` it also tells the task's creator and the
organisation's admins, each with a link to the task's page in the dashboard. It records a
``reminded`` / ``escalated`` timeline entry (streamed as ``task.reminded`` / ``task.escalated``,
pushed to the sinks that list those events) once the mail reached someone (``reminder_failed``
on the timeline alone when it reached nobody), and allows one reminder per task per
``NOTIFY_COOLDOWN``: the task's ``last_notified_at`` is read and set under the task's row lock
before any mail goes out, so the cooldown holds across workers.

A task with no assignee has nobody to remind: plain ``notify`` is a 409 (``no_assignee``), while
``escalate`` still reaches the creator and the admins. Mail goes out after the commit; when not
one message could be sent the answer is 503 (``mail_failed``) and the cooldown still runs, so a
failing mail server is not hammered.

``reminder_message`` builds the email (plain text and HTML: what is asked, by when, the link).
"""

from __future__ import annotations

import html
import logging
import math
from dataclasses import dataclass, replace
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlmodel import Session, select

from hpi_app import routes
from hpi_app.config import settings
from hpi_app.core import timeline
from hpi_app.core.errors import Conflict, TooManyRequests, Unavailable
from hpi_app.core.link_rows import state_of
from hpi_app.core.mail import send_mail
from hpi_app.core.tasks.changes import TASK, Recorded, publish_change, record_change, subject
from hpi_app.core.tasks.rules import is_overdue, locked_task, not_pending
from hpi_app.core.tasks.transitions import expire_task
from hpi_app.db import session_scope
from hpi_app.models import Link, Task, User, utcnow
from hpi_app.vocab import ExpiryAction, Role, SinkEvent, TaskStatus

log = logging.getLogger("hpi.notify")

NOTIFY_COOLDOWN = timedelta(seconds=60)
MAIL_TIMEOUT_SECONDS = 10.0
FAILED = "reminder_failed"
# A recipient's role: the assignee reminded, or the new assignee told it is theirs now.
ASSIGNEE = "assignee"
ASSIGNED = "assigned"


@dataclass(frozen=True)
class Recipient:
    """Who a reminder goes to: their address, why they get it, and the link their email carries.

    Attributes:
        email: The address.
        role: ``assignee``, ``assigned`` (the new assignee, told the task is theirs now),
            ``creator``, ``admin`` or ``escalation``.
        link: The assignee's task link, or the dashboard page of the task for the others.
    """

    email: str
    role: str
    link: str


@dataclass(frozen=True)
class Notified:
    """What a notify came to: the task, who was emailed, and whether it was an escalation."""

    task_id: str
    notified: list[str]
    escalated: bool


def _lower(value: str | None) -> str:
    return (value or "").strip().lower()


def _open_link_for(session: Session, task: Task, email: str) -> str:
    """The link a reminder to ``email`` carries: the task's first link while it is open, else the
    newest open link made for that address.

    Raises:
        Conflict: Every such link was withdrawn or has expired (add a link first).
    """
    now = utcnow()
    links = session.exec(
        select(Link)
        .where(Link.subject_kind == TASK.name, Link.subject_id == task.id)
        .order_by(Link.primary.desc(), Link.created_at.desc())
    ).all()
    for link in links:
        if state_of(link, now) is None and (link.primary or _lower(link.assignee_email) == _lower(email)):
            return link.id
    raise Conflict(
        "The assignee has no open link to this task: its links were withdrawn or have expired. "
        "Add a link for them first (POST /api/v1/tasks/{id}/links).",
        code="no_open_link",
    )


def recipients(session: Session, task: Task, base_url: str, *, escalate: bool) -> list[Recipient]:
    """Everyone a reminder of ``task`` goes to, each address once (the assignee first)."""
    out: dict[str, Recipient] = {}
    assignee = session.get(User, task.assignee_id) if task.assignee_id else None
    assignee_email = assignee.email if assignee is not None else task.assignee_email
    if assignee_email:
        link_id = _open_link_for(session, task, assignee_email)
        out[_lower(assignee_email)] = Recipient(assignee_email, ASSIGNEE, routes.task_link(base_url, link_id))
    if escalate:
        page = f"{base_url.rstrip('/')}{routes.task_detail(task.id)}"
        creator = session.get(User, task.created_by) if task.created_by else None
        admins = session.exec(
            select(User)
            .where(User.org_id == task.org_id, User.role == Role.ADMIN, User.disabled_at.is_(None))
            .order_by(User.email)
        ).all()
        people = [(creator, "creator")] if creator is not None and creator.disabled_at is None else []
        people += [(admin, "admin") for admin in admins]
        for person, role in people:
            out.setdefault(_lower(person.email), Recipient(person.email, role, page))
    return list(out.values())


def what_happens_after(task: Task) -> str | None:
    """What the task's policy does when nobody answers in time, in one sentence (None: nothing)."""
    if task.expires_at is None:
        return None
    when = f"{task.expires_at:%Y-%m-%d %H:%M} UTC"
    policy = task.on_expire or {}
    action = policy.get("action", ExpiryAction.EXPIRE)
    if action == ExpiryAction.COMPLETE:
        answers = ", ".join(f"{name} = {value}" for name, value in (policy.get("data") or {}).items())
        return f"With no answer by {when} it is answered automatically" + (
            f" ({answers})." if answers else "."
        )
    if action == ExpiryAction.CANCEL:
        reason = policy.get("reason")
        return f"With no answer by {when} it is cancelled" + (f" ({reason})." if reason else ".")
    return f"With no answer by {when} it expires and can no longer be answered."


def reminder_message(task: Task, to: Recipient, *, assignee: str | None = None) -> EmailMessage:
    """The reminder email for one recipient: what is asked, by when, and the link to open.

    Args:
        task: The pending task.
        to: The recipient (the assignee gets the task's link; creator and admins its dashboard page;
            a new assignee, role ``assigned``, is told the task is theirs now).
        assignee: Whom the task waits for, named in an escalation.
    """
    title = " ".join(task.title.split())
    steps = [step.get("title") or step.get("id", "") for step in task.steps or []]
    for_assignee = to.role in (ASSIGNEE, ASSIGNED)
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to.email
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="hpi")
    event = SinkEvent.ESCALATED
    if to.role == ASSIGNED:
        event = SinkEvent.ASSIGNED
        message["Subject"] = f"Assigned to you: {title}"
        opening = f"A task has been assigned to you: {title}"
    elif for_assignee:
        event = SinkEvent.REMINDED
        message["Subject"] = f"Reminder: {title}"
        opening = f"A task is waiting for you: {title}"
    else:
        message["Subject"] = f"Still waiting: {title}"
        opening = f"This task is still waiting for {assignee or 'someone to pick it up'}: {title}"
    message["X-HPI-Event"] = f"task.{event}"
    lines = [opening, ""]
    if steps:
        lines += ["What is asked:", *(f"  - {name}" for name in steps), ""]
    if task.expires_at is not None:
        lines += [f"Answer before {task.expires_at:%Y-%m-%d %H:%M} UTC.", ""]
    after = what_happens_after(task)
    if after:
        lines += [after, ""]
    lines.append(f"Open it here: {to.link}")
    if for_assignee and task.requires_otp:
        lines += ["", "The page asks for a one-time code, which it emails to this address."]
    lines += ["", "-- ", f"Sent by HPI (task {task.id})."]
    message.set_content("\n".join(lines) + "\n")
    esc = html.escape
    parts = [f"<p>{esc(opening)}</p>"]
    if steps:
        items = "".join(f"<li>{esc(name)}</li>" for name in steps)
        parts.append(f"<p>What is asked:</p><ul>{items}</ul>")
    if task.expires_at is not None:
        parts.append(f"<p>Answer before {task.expires_at:%Y-%m-%d %H:%M} UTC.</p>")
    if after:
        parts.append(f"<p>{esc(after)}</p>")
    parts.append(f'<p><a href="{esc(to.link, quote=True)}">Open the task</a></p>')
    if for_assignee and task.requires_otp:
        parts.append("<p>The page asks for a one-time code, which it emails to this address.</p>")
    message.add_alternative("\n".join(parts), subtype="html")
    return message


def notify_task(
    org_id: str, task_id: str, base_url: str, *, escalate: bool = False, actor: str | None = None
) -> Notified:
    """Email a reminder of a pending task of ``org_id`` (see the module's doc).

    Args:
        org_id: The caller's organisation; another's task is not found.
        task_id: The task.
        base_url: The public base URL the emailed links are built on.
        escalate: Also tell the task's creator and the organisation's admins.
        actor: Who asked (a member id), for the timeline.

    Raises:
        NotFound: No such task in the organisation.
        Conflict: The task is not pending, or has no assignee to remind (``no_assignee``).
        TooManyRequests: A reminder went out less than 60 s ago (``retry_after`` in seconds).
        Unavailable: Not one email could be sent (``mail_failed``).
    """
    kind = SinkEvent.ESCALATED if escalate else SinkEvent.REMINDED
    with session_scope(write=True) as session:
        task = locked_task(session, org_id, task_id)
        overdue = is_overdue(task)
        if task.status != TaskStatus.PENDING and not overdue:
            raise not_pending(task)
        if not overdue:
            to = recipients(session, task, base_url, escalate=escalate)
            if not to:
                raise Conflict(
                    "This task has no assignee to remind. Assign it, or escalate "
                    "(?escalate=true) to tell its creator and the organisation's admins.",
                    code="no_assignee",
                )
            now = utcnow()
            last = task.last_notified_at
            if last is not None and now - last < NOTIFY_COOLDOWN:
                wait = max(1, math.ceil((last + NOTIFY_COOLDOWN - now).total_seconds()))
                raise TooManyRequests(
                    f"A reminder for this task was sent less than a minute ago; try again in {wait} s.",
                    extra={"retry_after": wait},
                )
            task.last_notified_at = now  # the cooldown starts now, whatever the mail comes to
            session.add(task)
            session.commit()
    if overdue:  # expired first, as a read would; outside the transaction that found it
        expire_task(task.id)
        raise not_pending(_current(task.id))
    sent, failed = send_reminders(task, to)
    with session_scope(write=True) as session:
        task = locked_task(session, org_id, task_id)
        recorded = record_outcome(session, task, kind, actor, sent, failed)
        session.commit()
    publish_change(task, recorded.kind, recorded.recorded)
    if not sent:
        raise Unavailable(
            "The reminder could not be emailed just now (the mail server refused or could not be "
            "reached). Try again in a minute.",
            code="mail_failed",
        )
    return Notified(task.id, sent, escalate)


@dataclass(frozen=True)
class Outcome:
    """What a reminder's mail came to, as recorded: ``reminded``/``escalated`` or ``reminder_failed``."""

    kind: str
    recorded: Recorded


def record_outcome(
    session: Session, task: Task, kind: str, actor: str | None, sent: list[str], failed: list[str], **extra
) -> Outcome:
    """In the caller's transaction (the task's row locked): what the reminder's mail came to.

    Only a reminder that reached someone is ``reminded`` / ``escalated`` (streamed, pushed to the
    sinks that list it, counted on the task); one that reached nobody is ``reminder_failed`` on
    the timeline alone, so a failing mail server never claims a reminder went out.
    """
    detail = {"notified": sent, **({"failed": failed} if failed else {}), **extra}
    if not sent:
        event_id = timeline.record(
            session, task.org_id, subject(task.id), FAILED, actor, detail | {"kind": kind}
        )
        return Outcome(FAILED, Recorded(event_id, 0))
    if kind == SinkEvent.ESCALATED:
        task.escalated_count += 1
    else:
        task.reminded_count += 1
    task.last_notified_at = utcnow()
    session.add(task)
    session.flush()
    return Outcome(kind, record_change(session, task, kind, actor, detail))


def _current(task_id: str) -> Task:
    with session_scope() as session:
        return session.get(Task, task_id)


def send_reminders(task: Task, to: list[Recipient]) -> tuple[list[str], list[str]]:
    """Email each recipient their reminder (after the commit); the addresses reached and those not."""
    assignee = next((r.email for r in to if r.role in (ASSIGNEE, ASSIGNED)), None)
    sent, failed = [], []
    for recipient in to:
        try:
            message = reminder_message(task, recipient, assignee=assignee)
            send_mail(message, settings.smtp_url, MAIL_TIMEOUT_SECONDS)
            sent.append(recipient.email)
        except Exception:
            log.exception("Could not email a reminder of task %s to %s", task.id, recipient.email)
            failed.append(recipient.email)
    return sent, failed


def tell_new_assignee(task_id: str, base_url: str, actor: str | None) -> list[str]:
    """Email a just-reassigned task's assignee their link, after the reassignment committed.

    The same message as a reminder, saying the task is theirs now (an external assignee's link
    asks for a one-time code). A mail that reached nobody is a ``reminder_failed`` entry on the
    timeline (kind ``assigned``); the reassignment stands either way.

    Returns:
        The addresses reached (none when the task has no open link for its assignee).
    """
    with session_scope() as session:
        task = session.get(Task, task_id)
        if task is None or task.status != TaskStatus.PENDING:
            return []
        try:
            to = [replace(r, role=ASSIGNED) for r in recipients(session, task, base_url, escalate=False)]
        except Conflict:
            return []
    sent, failed = send_reminders(task, to)
    if failed:
        with session_scope(write=True) as session:
            detail = {"notified": sent, "failed": failed, "kind": SinkEvent.ASSIGNED}
            event_id = timeline.record(session, task.org_id, subject(task.id), FAILED, actor, detail)
            session.commit()
        publish_change(task, FAILED, Recorded(event_id, 0))
    return sent
