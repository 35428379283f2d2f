"""A process's magic links (SPEC §11): a read-only, live view of its timeline for someone outside.

Every link is a ``Link`` row with ``subject_kind = "process"``, always for one person
(``assignee_email`` is required): the rule of task links decides whether it asks for a one-time
code (SPEC §8). ``create_process_link`` adds one to a running process (a finished process takes
no new links: 409, as a finished task does), ``revoke_process_link`` withdraws one, ``resolve``
opens one for its page, and ``holder_task_links`` finds, among the process's tasks, those that
are the holder's own (a task link for their email), which the page lets them open.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import func, select

from hpi_app.core import processes
from hpi_app.core.errors import Conflict
from hpi_app.core.link_input import ProcessLinkCreate
from hpi_app.core.link_rows import (
    LINK_EXPIRED,
    PROCESS_KIND,
    TASK_KIND,
    WITHDRAWN,
    add_link,
    announce,
    link_closed,
    note,
    open_row,
    require_link_id,
    revoke,
    state_of,
    subject_links,
)
from hpi_app.core.principal import Principal
from hpi_app.db import session_scope
from hpi_app.models import Link, Process, Task, utcnow
from hpi_app.vocab import ProcessStatus

__all__ = [
    "LINK_EXPIRED",
    "WITHDRAWN",
    "OpenedProcessLink",
    "ProcessLinkCreate",
    "check_open",
    "create_process_link",
    "holder_task_links",
    "list_process_links",
    "opening_state",
    "resolve",
    "revoke_process_link",
]


def _refused_finished(process_id: str, status: str) -> Conflict:
    return Conflict(
        f"This process has already {status}, so it takes no new links.",
        code=f"process_{status}",
        extra={"status": status, "process_id": process_id},
    )


def create_process_link(principal: Principal, process_id: str, body: ProcessLinkCreate) -> Link:
    """A magic link to a running process of the principal's organisation, for ``body.assignee_email``.

    The link and a ``link_created`` entry on the process's timeline are written in one transaction,
    which holds the process's row, so a completion racing it either comes first (and this is
    refused) or after.

    Raises:
        NotFound: No such process in the organisation.
        Conflict: The process has completed or failed.
    """
    process = processes.get_process(principal.org_id, process_id).process
    now = utcnow()
    with session_scope(write=True) as session:
        status = session.exec(select(Process.status).where(Process.id == process.id).with_for_update()).one()
        if status != ProcessStatus.RUNNING:
            raise _refused_finished(process.id, status)
        link = add_link(session, principal, PROCESS_KIND, process, body, now)
        event_id = note(session, link, processes.PROCESS, "link_created", principal.user_id)
        session.commit()
    announce(processes.PROCESS, process.org_id, process.id, status, "link_created", event_id)
    return link


def list_process_links(org_id: str, process_id: str) -> list[Link]:
    """Every link of a process of ``org_id``, the oldest first."""
    process = processes.get_process(org_id, process_id).process
    with session_scope() as session:
        rows = session.exec(subject_links(PROCESS_KIND, process.id).order_by(Link.created_at, Link.id)).all()
    return list(rows)


def revoke_process_link(org_id: str, process_id: str, link_id: str | None, actor: str | None) -> Link:
    """Withdraw one link of a process of ``org_id``; its page then says so. Again changes nothing.

    Raises:
        InvalidInput: No ``link_id`` given.
        NotFound: No such process in the organisation, or no such link of that process.
    """
    link_id = require_link_id(link_id)
    process = processes.get_process(org_id, process_id).process
    return revoke(processes.PROCESS, process, link_id, actor)


@dataclass(frozen=True)
class OpenedProcessLink:
    """A process link and the process behind it, as its page reads them."""

    link: Link
    process: Process


def resolve(link_id: str) -> OpenedProcessLink:
    """The process link ``link_id`` and its process, whatever state the link is in.

    A task's link is not a process link (``core.links.resolve`` opens those).

    Raises:
        NotFound: No such process link.
    """
    link, process = open_row(link_id, PROCESS_KIND, Process)
    return OpenedProcessLink(link, process)


def opening_state(opened: OpenedProcessLink) -> str:
    """What the link's page shows: ``withdrawn``, ``link_expired`` or ``open``.

    A finished process still opens: its holder sees how it ended.
    """
    return state_of(opened.link, utcnow()) or "open"


def check_open(link_id: str) -> OpenedProcessLink:
    """The process link and its process, for acting through the link (sending a code).

    Raises:
        NotFound: No such process link.
        Conflict: The link is withdrawn or expired.
    """
    opened = resolve(link_id)
    state = opening_state(opened)
    if state != "open":
        raise link_closed(state)
    return opened


def holder_task_links(link: Link, task_ids: list[str]) -> dict[str, str]:
    """Which of ``task_ids`` are the link holder's, each with the task link they open it by.

    A task is the holder's when one of its links is for the process link's assignee email (the
    task's primary link carries the task's own assignee); an open link is preferred to a
    withdrawn or expired one, a link made for that person to the task's primary link, a newer
    one to an older one. A task whose own assignee email matches but has no such link opens by
    its primary link (``link_id``). Tasks of another organisation never count.
    """
    email = (link.assignee_email or "").lower()
    if not email or not task_ids:
        return {}
    now = utcnow()
    with session_scope() as session:
        rows = session.exec(
            select(Link).where(
                Link.subject_kind == TASK_KIND,
                Link.subject_id.in_(task_ids),
                Link.org_id == link.org_id,
                func.lower(Link.assignee_email) == email,
            )
        ).all()
        primaries = session.exec(
            select(Task.id, Task.link_id).where(
                Task.id.in_(task_ids), Task.org_id == link.org_id, func.lower(Task.assignee_email) == email
            )
        ).all()
    found: dict[str, str] = dict(primaries)
    best = sorted(rows, key=lambda r: (state_of(r, now) is None, not r.primary, r.created_at))
    found.update({row.subject_id: row.id for row in best})  # the best comes last, so it wins
    return found
