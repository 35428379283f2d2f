"""Tasks: create, read, list, complete, cancel and expire. Every rule about tasks lives in this package.

``create`` makes tasks, ``transitions`` finishes them (each exactly once), ``queries`` reads them,
``changes`` records and announces every change (timeline, outbox, bus) for the ``task`` subject,
``rules`` holds what they share, ``notify`` reminds people of a pending task. The names below are
the package's public face.
"""

from hpi_app.core.tasks.changes import TASK, event_body, subject
from hpi_app.core.tasks.create import CreatedTask, NewTask, create_task
from hpi_app.core.tasks.notify import NOTIFY_COOLDOWN, Notified, notify_task, reminder_message
from hpi_app.core.tasks.queries import (
    STATUS_PATTERN,
    STATUSES,
    TaskFilter,
    TaskPage,
    TemplateUse,
    count_by_status,
    get_task,
    get_task_by_link,
    list_page,
    list_tasks,
    parse_meta_filters,
    parse_statuses,
    resolve_member,
    templates,
    timeline,
    titles,
)
from hpi_app.core.tasks.rules import MAX_LIST_LIMIT, is_overdue, is_task_id, not_pending, task_not_found
from hpi_app.core.tasks.transitions import (
    CancelledTask,
    cancel_task,
    complete_task,
    expire_due,
    expire_task,
    next_expiry,
    record_opened,
)
from hpi_app.vocab import DONE_STATUSES

__all__ = [
    "DONE_STATUSES",
    "MAX_LIST_LIMIT",
    "NOTIFY_COOLDOWN",
    "STATUSES",
    "STATUS_PATTERN",
    "TASK",
    "CancelledTask",
    "CreatedTask",
    "NewTask",
    "Notified",
    "TaskFilter",
    "TaskPage",
    "TemplateUse",
    "cancel_task",
    "complete_task",
    "count_by_status",
    "create_task",
    "event_body",
    "expire_due",
    "expire_task",
    "get_task",
    "get_task_by_link",
    "is_overdue",
    "is_task_id",
    "list_page",
    "list_tasks",
    "next_expiry",
    "not_pending",
    "notify_task",
    "parse_meta_filters",
    "parse_statuses",
    "record_opened",
    "reminder_message",
    "resolve_member",
    "subject",
    "task_not_found",
    "templates",
    "timeline",
    "titles",
]
