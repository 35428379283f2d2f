"""What a magic link opens, whatever its subject: a task (``/t/<id>``) or a process (``/p/<id>``).

The one-time-code flow (``core.link_codes``) is the same for both: ``check_open`` finds the open
link and what it opens (``Target``: its subject on the timeline and the bus, its title, its
page), ``page_path`` says where a link's page is, ``build_code_message`` is the code's email.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import quote

from hpi_app import routes
from hpi_app.config import settings
from hpi_app.core import links, process_links, processes, tasks
from hpi_app.core.errors import NotFound
from hpi_app.core.link_rows import PROCESS_KIND
from hpi_app.core.subjects import Subject
from hpi_app.db import session_scope
from hpi_app.models import Link


@dataclass(frozen=True)
class Target:
    """What a link opens.

    Attributes:
        subject: The task or process, as the timeline and the bus name it.
        status: Its status now (for the bus).
        title: Its title (a task's) or name (a process's).
        noun: ``task`` or ``process``.
        event_name: The public name of a change of it (``task.code_sent``).
        url: The absolute URL of a link's page, from a base URL and the link's id.
    """

    subject: Subject
    status: str
    title: str
    noun: str
    event_name: Callable[[str], str]
    url: Callable[[str, str], str]


def check_open(link_id: str) -> tuple[Link, Target]:
    """The open link ``link_id`` and what it opens (a pending task, or a process).

    Raises:
        NotFound: No such link.
        Conflict: The link is withdrawn or expired, or its task is finished.
    """
    try:
        opened = links.check_open(link_id)
    except NotFound:
        shown = process_links.check_open(link_id)  # NotFound again: no such link at all
        p = shown.process
        return shown.link, Target(
            processes.subject(p.id),
            p.status,
            p.name,
            "process",
            processes.PROCESS.event_name,
            routes.process_link,
        )
    t = opened.task
    return opened.link, Target(
        tasks.subject(t.id), t.status, t.title, "task", tasks.TASK.event_name, routes.task_link
    )


def page_path(link_id: str) -> str:
    """The path of a link's page: ``/p/<id>`` for a process link, else ``/t/<id>`` (unknown ones too)."""
    link_id = link_id[: links.MAX_LINK_ID]
    with session_scope() as session:
        link = session.get(Link, link_id) if link_id else None
    shown = quote(link_id, safe="")
    if link is not None and link.subject_kind == PROCESS_KIND:
        return routes.process_page(shown)
    return routes.task_page(shown)


def build_code_message(
    title: str, code: str, link: str, to: str, *, minutes: str, noun: str = "task"
) -> EmailMessage:
    """The email carrying a code to ``to``: the code, its lifetime (``minutes``), the link to ``title``."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="hpi")
    message["Subject"] = f"{code} is your code for {' '.join(title.split())}"
    message.set_content(
        f"Your code for {title}: {code} — valid {minutes}.\n\n"
        f"Enter it on the {noun}'s page: {link}\n\n"
        f"If you didn't ask for a code, you can ignore this email: nobody can open the {noun} without it.\n"
    )
    esc = html.escape
    message.add_alternative(
        f"<p>Your code for <strong>{esc(title)}</strong>:</p>"
        f'<p style="font-size:28px;font-weight:bold;letter-spacing:6px;font-family:monospace">{code}</p>'
        f"<p>It is valid for {minutes}. Enter it on "
        f'<a href="{esc(link, quote=True)}">the {noun}\'s page</a>.</p>'
        '<p style="color:#666">If you didn\'t ask for a code, you can ignore this email: '
        f"nobody can open the {noun} without it.</p>",
        subtype="html",
    )
    return message
