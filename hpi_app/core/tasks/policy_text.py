"""A task's policy in words, and its next scheduled action ("reminder to ...", "auto-approves").

What the task page shows of ``reminders``, ``escalation`` and ``on_expire``: one line for
each, and the next thing that will happen to the pending task (the earliest open scheduled
action, or its expiry) with when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, select

from hpi_app.db import session_scope
from hpi_app.models import ScheduledAction, Task, User
from hpi_app.vocab import ActionKind, ExpiryAction, TaskStatus


@dataclass(frozen=True)
class PolicySummary:
    """What the task page says of a task's policy.

    Attributes:
        lines: One sentence per part of the policy (none when it has none).
        next_action: The next thing that will happen ("" when nothing will).
        next_at: When it will.
    """

    lines: list[str] = field(default_factory=list)
    next_action: str = ""
    next_at: datetime | None = None


def _span(seconds: int) -> str:
    """``90`` as ``1 min 30 s``, ``7200`` as ``2 h``."""
    parts = []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min"), (1, "s")):
        if seconds >= size:
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
    return " ".join(parts[:2]) or "0 s"


def _who(session: Session, refs: list[str]) -> str:
    names = []
    for ref in refs:
        member = session.get(User, ref) if "@" not in ref else None
        names.append(member.email if member is not None else ref)
    return ", ".join(names)


def _on_expire(task: Task) -> str:
    policy = task.on_expire or {}
    action = policy.get("action", ExpiryAction.EXPIRE)
    if action == ExpiryAction.COMPLETE:
        answers = ", ".join(f"{k} = {v}" for k, v in (policy.get("data") or {}).items())
        return "auto-completes" + (f" ({answers})" if answers else "")
    if action == ExpiryAction.CANCEL:
        return "is cancelled" + (f" ({policy['reason']})" if policy.get("reason") else "")
    return "expires"


def _escalation_step(session: Session, step: dict) -> str:
    told = _who(session, step.get("notify") or [])
    target = _who(session, [step["reassign_to"]]) if step.get("reassign_to") else ""
    if told and target:
        return f"escalates to {told} and is reassigned to {target}"
    return f"escalates to {told}" if told else f"is reassigned to {target}"


def summarise(task: Task) -> PolicySummary:
    """The task's policy in words and, while it is pending, its next action (sync: reads the store)."""
    with session_scope() as session:
        lines = []
        reminders = task.reminders
        if reminders:
            every = f", then every {_span(reminders['every'])}" if reminders.get("every") else ""
            count = reminders.get("max", 1)
            lines.append(
                f"Reminders: after {_span(reminders['after'])}{every}, {count} in all "
                f"({task.reminded_count or 0} sent)."
            )
        for step in task.escalation or []:
            lines.append(f"After {_span(step['after'])} it {_escalation_step(session, step)}.")
        if task.expires_at is not None:
            lines.append(f"When it runs out of time it {_on_expire(task)}.")
        if task.status != TaskStatus.PENDING:
            return PolicySummary(lines)
        upcoming = session.exec(
            select(ScheduledAction)
            .where(
                ScheduledAction.task_id == task.id,
                ScheduledAction.done_at.is_(None),
                ScheduledAction.cancelled_at.is_(None),
            )
            .order_by(ScheduledAction.due_at)
            .limit(1)
        ).first()
        choices: list[tuple[datetime, str]] = []
        if upcoming is not None:
            if upcoming.kind == ActionKind.REMIND:
                to = task.assignee_email or "the assignee"
                text = f"Reminder {upcoming.seq} to {to}"
            else:
                steps = task.escalation or []
                step = steps[upcoming.seq] if upcoming.seq < len(steps) else {}
                text = "It " + _escalation_step(session, step)
            choices.append((upcoming.due_at, text))
        if task.expires_at is not None:
            choices.append((task.expires_at, f"It {_on_expire(task)}"))
    if not choices:
        return PolicySummary(lines)
    at, text = min(choices, key=lambda choice: choice[0])
    return PolicySummary(lines, text, at)
