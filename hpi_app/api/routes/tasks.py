"""``/api/v1/tasks``: create, list, templates, get, wait, cancel, complete, notify."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse

from hpi_app.api.deps import BaseUrl, CanCreate, CanRead, CanStream, in_thread
from hpi_app.api.presenters import task_cancelled, task_created, task_notified, task_public, templates_public
from hpi_app.api.schemas import (
    CancelRequest,
    CompleteRequest,
    ErrorBody,
    TaskCreated,
    TaskList,
    TaskNotified,
    TaskPublic,
    TemplateList,
)
from hpi_app.config import settings
from hpi_app.core import tasks as core
from hpi_app.core.errors import InvalidInput
from hpi_app.core.idempotency import KEY_PATTERN, IdempotencyRequest, Replay
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.core.tasks.waiting import wait_until_final
from hpi_app.validation import MAX_OFFSET

router = APIRouter(prefix="/tasks", tags=["tasks"])

_errors = {
    400: {"model": ErrorBody, "description": "Invalid input; `details` names each bad field"},
    401: {"model": ErrorBody, "description": "Missing, invalid, revoked or expired token"},
    403: {"model": ErrorBody, "description": "The token lacks the scope this route needs"},
    404: {"model": ErrorBody, "description": "No such task in this organisation"},
}
_not_pending = {409: {"model": ErrorBody, "description": "The task is not pending"}}
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Replays the first answer to the same key and body within 24 h",
        json_schema_extra={"pattern": KEY_PATTERN},
    ),
]
_DEFINITION = Query(description="Include the task's steps and instructions_mdsvex (left out by default)")


async def _json_body(request: Request) -> object:
    raw = await request.body()
    return json.loads(raw) if raw.strip() else {}


async def _idempotency(
    request: Request, key: str | None, scope: str, status_code: int, present: Callable[[Any], dict]
) -> IdempotencyRequest | None:
    # The body is digested only when a key came with it (parsing it again costs every create).
    if key is None:
        return None
    return IdempotencyRequest.build(
        key, scope, await _json_body(request), status_code=status_code, present=present
    )


def _replayed(replay: Replay) -> JSONResponse:
    return JSONResponse(replay.body, status_code=replay.status_code, headers={"Idempotent-Replayed": "true"})


@router.post(
    "",
    status_code=201,
    response_model=TaskCreated,
    responses={
        **_errors,
        403: {
            "model": ErrorBody,
            "description": "The token lacks tasks:create, or org_id names another organisation",
        },
        409: {
            "model": ErrorBody,
            "description": "task_id taken, or Idempotency-Key reused with another body",
        },
        413: {"model": ErrorBody},
    },
    summary="Create a task",
)
async def create_task(
    body: TaskCreate,
    request: Request,
    principal: CanCreate,
    base: BaseUrl,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Create a task; the same ``Idempotency-Key`` and body within 24 h replays the first answer."""

    def present(created: core.CreatedTask) -> dict:
        return task_created(created, base)

    req = await _idempotency(request, idempotency_key, "POST /api/v1/tasks", 201, present)
    created = await in_thread(core.create_task, principal, body, idempotency_request=req)
    if created.replay is not None:
        return _replayed(created.replay)
    return JSONResponse(present(created), status_code=201)


@router.get(
    "",
    response_model=TaskList,
    response_model_exclude_unset=True,
    responses=_errors,
    summary="List tasks",
    description=(
        "Also `meta.<key>=<value>`: only tasks whose metadata has `<key>` equal to the value "
        "(several are ANDed)."
    ),
)
async def list_tasks(
    request: Request,
    principal: CanRead,
    base: BaseUrl,
    status: Annotated[
        str | None,
        Query(
            description="pending, completed, cancelled, expired, done; comma-separated",
            json_schema_extra={"pattern": core.STATUS_PATTERN},
        ),
    ] = None,
    search: Annotated[str | None, Query(max_length=200, description="Substring of the title")] = None,
    sort: Literal["newest", "oldest"] = "newest",
    assignee: Annotated[str | None, Query(description="A member id, email, or 'me'")] = None,
    unassigned: bool = False,
    process_id: Annotated[str | None, Query(max_length=36, description="Only this process's tasks")] = None,
    correlation_key: Annotated[str | None, Query(max_length=200, description="= corr_id")] = None,
    corr_id: Annotated[str | None, Query(max_length=200, description="= correlation_key")] = None,
    template_id: Annotated[str | None, Query(max_length=100)] = None,
    include_definition: Annotated[bool, _DEFINITION] = False,
    limit: Annotated[int, Query(ge=1, le=core.MAX_LIST_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    cursor: Annotated[
        str | None, Query(max_length=300, description="A next_cursor of an earlier page: the page after it")
    ] = None,
) -> dict:
    """Tasks of the token's organisation, filtered and paged (by ``offset``, or by ``cursor``)."""
    if cursor is not None and offset:
        raise InvalidInput(
            "A page is asked for by offset or by cursor, not both: leave offset out with a cursor.",
            details=[{"field": "cursor", "message": "given with an offset"}],
        )
    meta = core.parse_meta_filters(request.query_params.multi_items())
    assignee_id = None
    if assignee:
        assignee_id = await in_thread(core.resolve_member, principal.org_id, assignee, principal)
        assignee_id = assignee_id or assignee
    flt = core.TaskFilter(
        statuses=core.parse_statuses(status),
        search=search or None,
        sort=sort,
        assignee_id=assignee_id,
        unassigned=unassigned,
        process_id=process_id or None,
        correlation_key=correlation_key if correlation_key is not None else corr_id,
        template_id=template_id,
        meta=meta,
        limit=limit,
        offset=offset,
        cursor=cursor,
    )
    if correlation_key is not None and corr_id is not None and correlation_key != corr_id:
        # The same filter twice with two values: like any two filters, both must hold (none does).
        page = core.TaskPage([], 0, None)
    else:
        page = await in_thread(core.list_page, principal.org_id, flt)
    return {
        "tasks": [task_public(task, base, include_definition=include_definition) for task in page.tasks],
        "total": page.total,
        "limit": limit,
        "offset": offset,
        "next_cursor": page.next_cursor,
    }


# Declared before /{task_id}: "templates" is a path, not a task id.
@router.get(
    "/templates",
    response_model=TemplateList,
    responses={code: _errors[code] for code in (401, 403)},
    summary="List task templates",
)
async def list_templates(principal: CanRead) -> dict:
    """The distinct ``template_id``s of the organisation's tasks, with how many tasks and when last used."""
    return templates_public(await in_thread(core.templates, principal.org_id))


@router.get(
    "/{task_id}",
    response_model=TaskPublic,
    response_model_exclude_unset=True,
    responses=_errors,
    summary="Get a task",
)
async def get_task(
    task_id: str, principal: CanRead, base: BaseUrl, include_definition: Annotated[bool, _DEFINITION] = False
) -> dict:
    """One task, with ``data`` once it is completed."""
    task = await in_thread(core.get_task, principal.org_id, task_id)
    return task_public(task, base, include_definition=include_definition)


@router.get(
    "/{task_id}/wait",
    response_model=TaskPublic,
    responses={
        **_errors,
        408: {"description": "Still pending after `timeout` seconds: `{task_id, status, timed_out: true}`"},
        429: {"description": "This token already holds `HPI_STREAMS_PER_TOKEN` open waits and streams"},
    },
    summary="Wait for a task to finish (long-poll)",
)
async def wait_task(
    task_id: str,
    principal: CanStream,
    base: BaseUrl,
    timeout: Annotated[
        float | None,
        Query(
            ge=0,
            le=settings.wait_max_timeout,
            allow_inf_nan=False,
            description=f"Seconds to hold the request, 0 to {settings.wait_max_timeout} "
            f"(default {settings.wait_default_timeout})",
        ),
    ] = None,
    include_definition: Annotated[bool, _DEFINITION] = False,
) -> JSONResponse:
    """Answer as soon as the task is completed, cancelled or expired; 408 after ``timeout``."""
    seconds = float(settings.wait_default_timeout) if timeout is None else timeout
    outcome = await wait_until_final(principal.org_id, task_id, seconds, run_in_thread=in_thread)
    if outcome.task is not None:
        return JSONResponse(task_public(outcome.task, base, include_definition=include_definition))
    return JSONResponse(
        {
            "task_id": task_id,
            "status": outcome.status,
            "timed_out": True,
            "error": f"The task is still {outcome.status} after {seconds:g} seconds.",
            "code": "wait_timeout",
        },
        status_code=408,
    )


@router.post(
    "/{task_id}/cancel",
    responses={**_errors, **_not_pending},
    summary="Cancel a pending task",
)
async def cancel_task(
    task_id: str,
    request: Request,
    principal: CanCreate,
    body: Annotated[CancelRequest | None, Body()] = None,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    """Cancel a pending task; 409 when it is already completed, cancelled or expired."""
    scope = f"POST /api/v1/tasks/{task_id}/cancel"
    req = await _idempotency(request, idempotency_key, scope, 200, task_cancelled)
    reason = body.reason if body else None
    cancelled = await in_thread(
        core.cancel_task, principal.org_id, task_id, reason, actor=principal.user_id, idempotency_request=req
    )
    if cancelled.replay is not None:
        return _replayed(cancelled.replay)
    return JSONResponse(task_cancelled(cancelled))


@router.post(
    "/{task_id}/complete",
    response_model=TaskPublic,
    response_model_exclude_unset=True,
    responses={
        **_errors,
        400: {
            "model": ErrorBody,
            "description": "The answers break the spec; `details` names each `data.<field>`",
        },
        **_not_pending,
    },
    summary="Complete a pending task",
)
async def complete_task(
    task_id: str,
    principal: CanCreate,
    base: BaseUrl,
    body: Annotated[CompleteRequest | None, Body()] = None,
) -> dict:
    """Submit the answers as the token's user, validated exactly like a browser submission.

    No body at all means ``{}`` (a task with no required fields). Exactly one of racing
    completions, browser submissions and cancels wins; sinks fire as for a browser submission.
    """
    data = body.data if body is not None and body.data is not None else {}
    task = await in_thread(
        core.complete_task, task_id, data, org_id=principal.org_id, actor=principal.user_id
    )
    return task_public(task, base)


@router.post(
    "/{task_id}/notify",
    response_model=TaskNotified,
    responses={
        **_errors,
        409: {"model": ErrorBody, "description": "The task is not pending, or has no assignee to remind"},
        429: {
            "model": ErrorBody,
            "description": "A reminder went out less than 60 s ago; `Retry-After` says when to try again",
        },
        503: {"model": ErrorBody, "description": "Not one email could be sent"},
    },
    summary="Remind the assignee of a pending task",
)
async def notify_task(
    task_id: str,
    principal: CanCreate,
    base: BaseUrl,
    escalate: Annotated[
        bool, Query(description="Also email the task's creator and the organisation's admins")
    ] = False,
) -> dict:
    """Email the assignee the task's link (an external one then confirms a one-time code on the page).

    Recorded on the timeline as ``reminded`` / ``escalated`` (``task.reminded`` / ``task.escalated``
    in the event streams and to sinks that list them); one reminder per task per 60 s.
    """
    notified = await in_thread(
        core.notify_task, principal.org_id, task_id, base, escalate=escalate, actor=principal.user_id
    )
    return task_notified(notified)
