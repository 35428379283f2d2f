"""The task tools: create_task (waiting if asked), wait_for_task, get_task, list_tasks, cancel_task."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hpi_app.core import tasks as core
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.core.tasks.public import task_cancelled, task_created
from hpi_app.mcp.registry import Answer, Call, ToolDef, in_thread
from hpi_app.mcp.waiting import outcome_result, public, task_url, timeout_field, wait_for
from hpi_app.vocab import Scope

_TASK_ID = Field(min_length=1, max_length=36, description="The task's id (task_id of create_task or ask_*).")


def _task_id(value: str) -> str:
    if not core.is_task_id(value):
        msg = "must be a task id (a UUID)"
        raise ValueError(msg)
    return value


class CreateTaskArgs(TaskCreate):
    """Arguments of ``create_task``: the create body of ``POST /api/v1/tasks``, plus how to wait."""

    model_config = ConfigDict(extra="forbid")

    wait: bool = Field(default=False, description="Block until a person completes the task (or the timeout).")
    timeout_seconds: float = timeout_field("a person completes the task (with wait)")


class TaskRef(BaseModel):
    """Arguments naming one task."""

    model_config = ConfigDict(extra="forbid")

    task_id: str = _TASK_ID

    _is_uuid = field_validator("task_id")(_task_id)


class WaitArgs(TaskRef):
    """Arguments of ``wait_for_task``."""

    timeout_seconds: float = timeout_field("the task is completed, cancelled or expired")


class CancelArgs(TaskRef):
    """Arguments of ``cancel_task``."""

    reason: str | None = Field(default=None, max_length=1000, description="Why (shown on the task).")


class ListArgs(BaseModel):
    """Arguments of ``list_tasks``."""

    model_config = ConfigDict(extra="forbid")

    status: str | None = Field(
        default=None, description="pending, completed, cancelled, expired or done; comma-separated."
    )
    search: str | None = Field(default=None, max_length=200, description="A substring of the title.")
    sort: Literal["newest", "oldest"] = "newest"
    correlation_key: str | None = Field(default=None, max_length=200)
    template_id: str | None = Field(default=None, max_length=100)
    process_id: str | None = Field(default=None, max_length=36)
    limit: int = Field(default=20, ge=1, le=core.MAX_LIST_LIMIT)
    offset: int = Field(default=0, ge=0)


async def _waited(call: Call, task_id: str, url: str, seconds: float) -> dict[str, Any]:
    outcome = await wait_for(call, task_id, seconds, url)
    return outcome_result(call, task_id, url, outcome)


def _waited_text(result: dict[str, Any]) -> str:
    if result["timed_out"]:
        return f"Task {result['task_id']} is still pending (timed out); its link: {result['url']}."
    return f"Task {result['task_id']} is {result['status']}."


async def create_task(call: Call, args: CreateTaskArgs) -> Answer:
    """Create a task; with ``wait``, also wait for it like ``wait_for_task``."""
    # The arguments are a TaskCreate (plus wait and timeout_seconds, which the core does not read).
    created = await in_thread(core.create_task, call.principal, args)
    result = task_created(created, call.base_url)
    if not args.wait:
        return Answer(result, f"Created task {result['task_id']}; a person answers it at {result['url']}.")
    result |= await _waited(call, created.task.id, result["url"], args.timeout_seconds)
    return Answer(result, _waited_text(result))


async def wait_for_task(call: Call, args: WaitArgs) -> Answer:
    """Wait until the task is final (or the timeout) and return its status and data."""
    task = await in_thread(core.get_task, call.principal.org_id, args.task_id)
    result = await _waited(call, task.id, task_url(call, task.link_id), args.timeout_seconds)
    return Answer(result, _waited_text(result))


async def get_task(call: Call, args: TaskRef) -> Answer:
    """The task object (SPEC §5)."""
    task = await in_thread(core.get_task, call.principal.org_id, args.task_id)
    return Answer(public(call, task), f"Task {task.id} ({task.title!r}) is {task.status}.")


async def list_tasks(call: Call, args: ListArgs) -> Answer:
    """The organisation's tasks, filtered and paged."""
    flt = core.TaskFilter(
        statuses=core.parse_statuses(args.status),
        search=args.search or None,
        sort=args.sort,
        process_id=args.process_id or None,
        correlation_key=args.correlation_key,
        template_id=args.template_id,
        limit=args.limit,
        offset=args.offset,
    )
    rows, total = await in_thread(core.list_tasks, call.principal.org_id, flt)
    result = {
        "tasks": [public(call, t) for t in rows],
        "total": total,
        "limit": args.limit,
        "offset": args.offset,
    }
    return Answer(result, f"{len(rows)} of {total} tasks.")


async def cancel_task(call: Call, args: CancelArgs) -> Answer:
    """Cancel a pending task."""
    cancelled = await in_thread(
        core.cancel_task, call.principal.org_id, args.task_id, args.reason, actor=call.principal.user_id
    )
    return Answer(task_cancelled(cancelled), f"Task {args.task_id} is cancelled.")


TOOLS = [
    ToolDef(
        name="create_task",
        title="Create a task",
        description=(
            "Create a multi-step task for a person (the body of POST /api/v1/tasks: title, steps with "
            "blocks and input fields, assignee_email, expires_in, metadata, ...). Returns task_id and the "
            "url to give the person. With wait=true it blocks until the task is completed, cancelled or "
            "expired, or timeout_seconds pass (status 'timed_out'), and returns its data."
        ),
        arguments=CreateTaskArgs,
        run=create_task,
        scopes=(Scope.TASKS_CREATE,),
        extra_scopes=lambda args: (Scope.TASKS_READ,) if args.wait else (),
    ),
    ToolDef(
        name="wait_for_task",
        title="Wait for a task",
        description=(
            "Block until a task is completed, cancelled or expired, or timeout_seconds pass. Returns status "
            "('completed' | 'cancelled' | 'expired' | 'timed_out'), data (the answers), task_id and url. "
            "Progress notifications carry the url while it waits."
        ),
        arguments=WaitArgs,
        run=wait_for_task,
        scopes=(Scope.TASKS_READ,),
    ),
    ToolDef(
        name="get_task",
        title="Get a task",
        description="Get one task: its status, and its data (the person's answers) once completed.",
        arguments=TaskRef,
        run=get_task,
        scopes=(Scope.TASKS_READ,),
    ),
    ToolDef(
        name="list_tasks",
        title="List tasks",
        description="List the organisation's tasks, newest first by default, filtered by status, title, ...",
        arguments=ListArgs,
        run=list_tasks,
        scopes=(Scope.TASKS_READ,),
    ),
    ToolDef(
        name="cancel_task",
        title="Cancel a task",
        description="Cancel a pending task (its link then says so); an error if it is already finished.",
        arguments=CancelArgs,
        run=cancel_task,
        scopes=(Scope.TASKS_CREATE,),
    ),
]
