"""Processes: named, multi-step pieces of work whose human steps are tasks (SPEC §11).

``create`` starts them, ``fold`` moves them on one update at a time, ``queries`` reads them,
``steps`` ties tasks to their steps (called from the tasks core, which this package never
imports), ``changes`` declares the ``process`` subject and records and announces its changes,
``input`` holds the bodies, ``rules`` what they share. Importing the package registers the
subject, so its changes are streamed like a task's.
"""

from hpi_app.core.processes.changes import PROCESS, announce, subject
from hpi_app.core.processes.create import create_process
from hpi_app.core.processes.fold import Updated, update_process
from hpi_app.core.processes.input import UPDATES, ProcessCreate, ProcessUpdate, StepDef, parse_update
from hpi_app.core.processes.queries import (
    STATUS_PATTERN,
    STATUSES,
    ProcessFilter,
    ProcessSummary,
    ProcessView,
    get_process,
    list_processes,
    parse_meta,
    parse_statuses,
    process_name,
    task_statuses,
    templates,
)
from hpi_app.core.processes.rules import MAX_LIST_LIMIT, full_namespace, is_process_id
from hpi_app.core.processes.steps import check_fields, join_task, task_completed

__all__ = [
    "MAX_LIST_LIMIT",
    "PROCESS",
    "STATUSES",
    "STATUS_PATTERN",
    "UPDATES",
    "ProcessCreate",
    "ProcessFilter",
    "ProcessSummary",
    "ProcessUpdate",
    "ProcessView",
    "StepDef",
    "Updated",
    "announce",
    "check_fields",
    "create_process",
    "full_namespace",
    "get_process",
    "is_process_id",
    "join_task",
    "list_processes",
    "parse_meta",
    "parse_statuses",
    "parse_update",
    "process_name",
    "subject",
    "task_completed",
    "task_statuses",
    "templates",
    "update_process",
]
