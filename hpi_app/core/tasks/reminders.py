"""Running a task's scheduled reminders and escalation steps, each exactly once across workers.

``run_action`` takes one due action through three steps:

1. **Lease** it (``schedules.lease``): of racing workers one holds it; a worker that dies
   holding it lets the lease run out, and another takes it over, so nothing is lost.
2. **Prepare** (the task's row locked): a task no longer pending takes no action. An
   escalation step reassigns now (``assign.reassign``, ``task.assigned``; a retried step finds
   it already done); whoever is to be told gets an open link (an external address one of its own).
3. **Send** the mail, then **record** it (the row locked again): the action is marked done only
   by the lease holder and only while it is open — a task finished meanwhile cancelled it — with
   ``reminded`` / ``escalated`` (or ``reminder_failed`` when the mail reached nobody) and the
   next reminder planned ``every`` after this one, in the same transaction.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from hpi_app import routes
from hpi_app.core.errors import Conflict
from hpi_app.core.tasks import notify, schedules
from hpi_app.core.tasks.assign import Change, reassign
from hpi_app.core.tasks.changes import publish_change
from hpi_app.core.tasks.rules import is_overdue, locked_task
from hpi_app.core.tasks.transitions import expire_task
from hpi_app.db import session_scope
from hpi_app.models import Link, Task, User, utcnow
from hpi_app.vocab import ActionKind, SinkEvent, TaskStatus

REMINDER_ACTOR = "policy:reminders"
ESCALATION_ACTOR = "policy:escalation"


@dataclass(frozen=True)
class Prepared:
    """What a leased action is to send: the task as it stands, and whom to email."""

    task: Task
    to: list[notify.Recipient]
    assigned: Change | None


def _person(session: Session, task: Task, ref: str, base_url: str) -> notify.Recipient | None:
    """An escalation's ``notify`` entry as a recipient: a member gets the task's dashboard page,
    an outside address a link of its own (which asks for a one-time code)."""
    page = f"{base_url.rstrip('/')}{routes.task_detail(task.id)}"
    if "@" not in ref:
        member = session.get(User, ref)
        if member is None or member.disabled_at is not None:
            return None
        return notify.Recipient(member.email, "escalation", page)
    member = session.exec(select(User).where(User.email == ref, User.org_id == task.org_id)).first()
    if member is not None:
        return notify.Recipient(member.email, "escalation", page)
    link = session.exec(
        select(Link).where(
            Link.subject_kind == "task",
            Link.subject_id == task.id,
            Link.assignee_email == ref,
            Link.revoked_at.is_(None),
        )
    ).first()
    if link is None:
        link = Link(
            id=secrets.token_urlsafe(24),
            org_id=task.org_id,
            subject_kind="task",
            subject_id=task.id,
            assignee_email=ref,
            assignee_type="external",
            requires_otp=True,
            expires_at=task.expires_at,
            created_at=utcnow(),
        )
        session.add(link)
        session.flush()
    return notify.Recipient(ref, "escalation", routes.task_link(base_url, link.id))


def _assignee(session: Session, task: Task, base_url: str) -> list[notify.Recipient]:
    try:
        return notify.recipients(session, task, base_url, escalate=False)
    except Conflict:  # every link of the assignee was withdrawn: nobody to send it to
        return []


def _prepare(action: schedules.Leased, base_url: str) -> Prepared | None:
    now = utcnow()
    overdue = False
    with session_scope(write=True) as session:
        task = locked_task(session, None, action.task_id)
        overdue = is_overdue(task, now)
        if task.status != TaskStatus.PENDING or overdue:
            schedules.cancel_open(session, task.id, now)
            session.commit()
            task = None
        else:
            assigned = None
            people: list[notify.Recipient] = []
            if action.kind == ActionKind.ESCALATE:
                steps = task.escalation or []
                step = steps[action.seq] if action.seq < len(steps) else {}
                if step.get("reassign_to"):
                    assigned = reassign(session, task, step["reassign_to"], ESCALATION_ACTOR, now)
                people = [p for ref in step.get("notify", []) if (p := _person(session, task, ref, base_url))]
            assignees = _assignee(session, task, base_url)
            if assigned is not None:  # the new assignee is told the task is theirs now
                assignees = [dataclasses.replace(r, role=notify.ASSIGNED) for r in assignees]
            to = {r.email.lower(): r for r in [*assignees, *people]}
            session.commit()
    if overdue:
        expire_task(action.task_id)
    if task is None:
        return None
    if assigned is not None:
        publish_change(task, assigned.kind, assigned.recorded)
    return Prepared(task, list(to.values()), assigned)


def run_action(action_id: int, worker: str, base_url: str | None = None) -> bool:
    """Run one due action if this worker wins it; True when this call recorded it.

    Args:
        action_id: The scheduled action.
        worker: This worker's name (its lease is held under it).
        base_url: The public base URL of the emailed links (default ``HPI_PUBLIC_URL``).
    """
    base_url = base_url or routes.configured_base()
    action = schedules.lease(action_id, worker)
    if action is None:
        return False
    prepared = _prepare(action, base_url)
    if prepared is None:
        return False
    sent, failed = notify.send_reminders(prepared.task, prepared.to)
    escalating = action.kind == ActionKind.ESCALATE
    kind = SinkEvent.ESCALATED if escalating else SinkEvent.REMINDED
    actor = ESCALATION_ACTOR if escalating else REMINDER_ACTOR
    now = utcnow()
    with session_scope(write=True) as session:
        task = locked_task(session, None, action.task_id)
        if not schedules.mark_done(session, action, worker, {"sent": sent, "failed": failed}, now):
            session.rollback()
            return False
        outcome = notify.record_outcome(session, task, kind, actor, sent, failed, step=action.seq)
        upcoming = schedules.plan_next_reminder(session, task, action, now)
        session.commit()
    publish_change(task, outcome.kind, outcome.recorded, wake_at=upcoming)
    return True


def run_due(worker: str, base_url: str | None = None, limit: int = 200) -> int:
    """Run every action due now that this worker wins; how many it recorded."""
    return sum(run_action(action_id, worker, base_url) for action_id in schedules.due_ids(limit))
