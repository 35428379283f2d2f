"""The process tools: ``create_process``, ``update_process``, ``get_process`` (SPEC §11)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hpi_app.core import processes as core
from hpi_app.core.errors import InvalidInput
from hpi_app.core.processes.input import ProcessCreate
from hpi_app.core.processes.public import process_created, process_public, process_updated
from hpi_app.mcp.registry import Answer, Call, ToolDef, in_thread
from hpi_app.vocab import Scope

_PROCESS_ID = Field(
    min_length=1, max_length=36, description="The process's id (process_id of create_process)."
)


def _process_id(value: str) -> str:
    if not core.is_process_id(value):
        msg = "must be a process id (a UUID)"
        raise ValueError(msg)
    return value


class CreateProcessArgs(ProcessCreate):
    """Arguments of ``create_process``: the body of ``POST /api/v1/processes``."""

    model_config = ConfigDict(extra="forbid")


class ProcessRef(BaseModel):
    """Arguments naming one process."""

    model_config = ConfigDict(extra="forbid")

    process_id: str = _PROCESS_ID

    _is_uuid = field_validator("process_id")(_process_id)


class UpdateProcessArgs(ProcessRef):
    """Arguments of ``update_process``: the process and one flat update ``{type, ...}``."""

    update: dict[str, Any] = Field(
        description=(
            "One update, as the body of POST /api/v1/processes/{id}/update: "
            "{type: 'step_started', step, detail?} | {type: 'step_completed', step, detail?, data?} | "
            "{type: 'step_failed', step, error} | {type: 'progress', step, message, percent?} | "
            "{type: 'completed', summary?} | {type: 'failed', error}."
        )
    )


async def create_process(call: Call, args: CreateProcessArgs) -> Answer:
    """Start a process; every step pending."""
    process = await in_thread(core.create_process, call.principal, args)
    result = process_created(process)
    return Answer(result, f"Process {result['process_id']} ({result['name']!r}) is running.")


async def update_process(call: Call, args: UpdateProcessArgs) -> Answer:
    """Record one update of a running process."""
    try:
        updated = await in_thread(
            core.update_process,
            call.principal.org_id,
            args.process_id,
            args.update,
            actor=call.principal.user_id,
        )
    except InvalidInput as exc:
        # The update's fields are the argument `update`'s: name them by their path in the arguments.
        for detail in exc.details:
            detail["field"] = f"update.{detail['field']}" if detail.get("field") else "update"
        raise
    result = process_updated(updated)
    return Answer(result, f"Process {args.process_id}: {result['update_type']} recorded.")


async def get_process(call: Call, args: ProcessRef) -> Answer:
    """The process with its steps' timeline."""
    result = process_public(await in_thread(core.get_process, call.principal.org_id, args.process_id))
    return Answer(result, f"Process {result['process_id']} ({result['name']!r}) is {result['status']}.")


_WRITE = (Scope.TASKS_CREATE, Scope.PROCESSES_WRITE)

TOOLS = [
    ToolDef(
        name="create_process",
        title="Start a process",
        description=(
            "Start a named multi-step process (namespace, name, steps [{key, label, human?}]) whose human "
            "steps are tasks: create them with create_task and process_id + process_step. Returns process_id."
        ),
        arguments=CreateProcessArgs,
        run=create_process,
        any_scope=_WRITE,
    ),
    ToolDef(
        name="update_process",
        title="Update a process",
        description=(
            "Record progress of a running process: a step started, completed or failed, a progress "
            "message, or the process completed or failed."
        ),
        arguments=UpdateProcessArgs,
        run=update_process,
        any_scope=_WRITE,
    ),
    ToolDef(
        name="get_process",
        title="Get a process",
        description="Get a process: its status, current step and each step's timeline (with task ids).",
        arguments=ProcessRef,
        run=get_process,
        scopes=(Scope.PROCESSES_READ,),
    ),
]
