"""``/api/v1/processes``: create, list, templates, get, update (SPEC §11)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse

from hpi_app.api.deps import in_thread, scoped
from hpi_app.api.presenters import templates_public
from hpi_app.api.process_schemas import (
    ProcessCreated,
    ProcessList,
    ProcessPublic,
    ProcessUpdated,
    TemplateList,
)
from hpi_app.api.schemas import ErrorBody
from hpi_app.core import processes as core
from hpi_app.core.principal import Principal
from hpi_app.core.processes.public import (
    process_created,
    process_list_item,
    process_public,
    process_updated,
)
from hpi_app.validation import MAX_OFFSET
from hpi_app.vocab import Scope

router = APIRouter(prefix="/processes", tags=["processes"])


# HPI accepts tasks:create for process writes too.
CanWrite = Annotated[Principal, Depends(scoped(Scope.TASKS_CREATE, Scope.PROCESSES_WRITE))]
CanRead = Annotated[Principal, Depends(scoped(Scope.PROCESSES_READ))]

_errors = {
    400: {"model": ErrorBody, "description": "Invalid input; `details` names each bad field"},
    401: {"model": ErrorBody, "description": "Missing, invalid, revoked or expired token"},
    403: {"model": ErrorBody, "description": "The token lacks the scope this route needs"},
}
_not_found = {404: {"model": ErrorBody, "description": "No such process in this organisation"}}


@router.post(
    "",
    status_code=201,
    response_model=ProcessCreated,
    responses={**_errors, 409: {"model": ErrorBody, "description": "`process_id` is taken"}},
    summary="Create a process",
    description=(
        "Starts a process `running` with every step `pending`. Needs `processes:write` (or "
        "`tasks:create`). The answer's `namespace` carries the organisation's id: `<org_id>.<namespace>`."
    ),
)
async def create_process(body: core.ProcessCreate, principal: CanWrite) -> JSONResponse:
    """Create a process."""
    process = await in_thread(core.create_process, principal, body)
    return JSONResponse(process_created(process), status_code=201)


@router.get(
    "",
    response_model=ProcessList,
    responses=_errors,
    summary="List processes",
    description="Filter with `meta.<key>=<value>` too (exact; several are ANDed).",
)
async def list_processes(
    request: Request,
    principal: CanRead,
    status: Annotated[
        str | None,
        Query(
            description="running, completed, failed, finished; comma-separated",
            json_schema_extra={"pattern": core.STATUS_PATTERN},
        ),
    ] = None,
    namespace: Annotated[
        str | None,
        Query(max_length=140, description="Bare or `<org_id>.`-prefixed; those under it match too"),
    ] = None,
    search: Annotated[str | None, Query(max_length=200, description="Substring of the name")] = None,
    sort: Literal["newest", "oldest"] = "newest",
    template_id: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=core.MAX_LIST_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict:
    """Processes of the token's organisation, filtered and paged."""
    flt = core.ProcessFilter(
        statuses=core.parse_statuses(status),
        namespace=namespace or None,
        search=search or None,
        sort=sort,
        template_id=template_id or None,
        meta=core.parse_meta(request.query_params.multi_items()),
        limit=limit,
        offset=offset,
    )
    rows, total = await in_thread(core.list_processes, principal.org_id, flt)
    return {
        "processes": [process_list_item(row) for row in rows],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get(
    "/templates",
    response_model=TemplateList,
    responses=_errors,
    summary="List the process templates in use",
)
async def list_templates(principal: CanRead) -> dict:
    """The organisation's distinct process ``template_id``s, most recently used first."""
    found = await in_thread(core.templates, principal.org_id)
    return templates_public(found)


@router.get(
    "/{process_id}",
    response_model=ProcessPublic,
    responses={**_errors, **_not_found},
    summary="Get a process with its steps",
)
async def get_process(process_id: str, principal: CanRead) -> dict:
    """One process: its steps as a timeline, its tasks, its state."""
    return process_public(await in_thread(core.get_process, principal.org_id, process_id))


@router.post(
    "/{process_id}/update",
    response_model=ProcessUpdated,
    responses={
        **_errors,
        **_not_found,
        409: {"model": ErrorBody, "description": "The process has completed or failed"},
    },
    summary="Move a process on",
    description=(
        "A flat `{type, ...}` body: `step_started {step, detail?}`, `step_completed {step, detail?, "
        "data?}`, `step_failed {step, error}`, `progress {step, message, percent? (0-100)}`, "
        "`completed {summary?}`, `failed {error}`. An unknown `type` or `step` is 400 naming it. "
        "Needs `processes:write` (or `tasks:create`)."
    ),
)
async def update_process(
    process_id: str, principal: CanWrite, body: Annotated[core.ProcessUpdate, Body()]
) -> dict:
    """Apply one update to a running process."""
    updated = await in_thread(
        core.update_process, principal.org_id, process_id, body, actor=principal.user_id
    )
    return process_updated(updated)
