"""Waiting inside a tool call: on the bus (no thread held, no polling loop), with progress notifications.

While a tool waits it tells the client every ``HPI_MCP_PROGRESS_SECONDS`` that it still waits,
with the task's url (so a client can show the person's link). When the client cancels the call
or goes away, the SDK cancels the handler; ``cancel_on_abort`` then cancels the task an
``ask_*`` tool made, so no orphan task is left waiting for a person.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from pydantic import Field

from hpi_app import routes
from hpi_app.config import settings
from hpi_app.core import tasks as core
from hpi_app.core.errors import Conflict, NotFound
from hpi_app.core.tasks.public import task_public
from hpi_app.core.tasks.waiting import WaitOutcome, wait_until_final
from hpi_app.mcp.registry import Call, in_thread

MAX_WAIT = settings.mcp_max_wait_seconds
DEFAULT_WAIT = min(settings.mcp_default_wait_seconds, MAX_WAIT)


def timeout_field(what: str = "a person answers") -> Any:
    """The ``timeout_seconds`` argument: seconds to wait until ``what`` (0 … the configured max)."""
    return Field(
        default=DEFAULT_WAIT,
        ge=0,
        le=MAX_WAIT,
        description=(
            f"Seconds to wait until {what} (0 to {MAX_WAIT}, default {DEFAULT_WAIT}). When they pass "
            "the result says status 'timed_out' with the task_id and url: call wait_for_task later."
        ),
    )


async def wait_for(call: Call, task_id: str, seconds: float, url: str | None = None) -> WaitOutcome:
    """Wait up to ``seconds`` for the task to finish, telling the client it waits (with the url)."""
    sent = 0

    async def still_waiting() -> None:
        nonlocal sent
        sent += 1
        where = f" at {url}" if url else ""
        await call.report_progress(sent, f"Waiting for a person to answer the task{where}")

    return await wait_until_final(
        call.principal.org_id,
        task_id,
        seconds,
        run_in_thread=in_thread,
        recheck=settings.mcp_progress_seconds,
        on_pending=still_waiting,
    )


@asynccontextmanager
async def cancel_on_abort(call: Call, task_id: str) -> AsyncIterator[None]:
    """Cancel the task when the block is left by cancellation (the client cancelled or went away)."""
    try:
        yield
    except BaseException as exc:
        if isinstance(exc, anyio.get_cancelled_exc_class()):
            with anyio.CancelScope(shield=True):
                with contextlib.suppress(Conflict, NotFound):  # finished meanwhile: nothing to cancel
                    await in_thread(
                        core.cancel_task,
                        call.principal.org_id,
                        task_id,
                        "The agent stopped waiting (the MCP call was cancelled).",
                        actor=call.principal.user_id,
                    )
        raise


def outcome_result(call: Call, task_id: str, url: str, outcome: WaitOutcome) -> dict[str, Any]:
    """The part of every waiting tool's result an agent branches on: status, task id, url, data."""
    if outcome.task is None:
        return {
            "status": "timed_out",
            "timed_out": True,
            "task_status": outcome.status,
            "task_id": task_id,
            "url": url,
        }
    task = outcome.task
    return {
        "status": task.status,
        "timed_out": False,
        "task_status": task.status,
        "task_id": task.id,
        "url": url,
        "data": task.data,
        "completed_by": task.completed_by,
        "cancel_reason": task.cancel_reason,
    }


def task_url(call: Call, link_id: str) -> str:
    """The link a person opens to answer a task."""
    return routes.task_link(call.base_url, link_id)


def public(call: Call, task: Any) -> dict[str, Any]:
    """The task object of the API (SPEC §5), as ``get_task`` answers it."""
    return task_public(task, call.base_url)
