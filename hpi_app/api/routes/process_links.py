"""``/api/v1/processes/{process_id}/links``: links to a process's read-only, live page (``/p/<link_id>``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse

from hpi_app import routes
from hpi_app.api.deps import BaseUrl, in_thread
from hpi_app.api.routes.links import (
    LinkCreated,
    LinkList,
    LinkRevoked,
    link_created,
    link_errors,
    link_public,
    link_revoked,
)
from hpi_app.api.routes.processes import CanRead, CanWrite
from hpi_app.api.schemas import ErrorBody
from hpi_app.core import process_links as core
from hpi_app.models import Link

router = APIRouter(prefix="/processes", tags=["processes"])

_errors = link_errors("process")


def _url(link: Link, base_url: str) -> dict:
    return {"url": routes.process_link(base_url, link.id)}


@router.post(
    "/{process_id}/links",
    status_code=201,
    response_model=LinkCreated,
    responses={
        **_errors,
        409: {
            "model": ErrorBody,
            "description": "The process has completed or failed: it takes no new links",
        },
    },
    summary="Create a link to a process's page",
    description=(
        "A magic link to a read-only, live page of the process's timeline (`/p/<link_id>`), for one "
        "person (`assignee_email` is required). From it they open the human steps' tasks that are "
        "theirs (a task link for the same email). An email outside the organisation asks for a "
        "one-time code unless `require_otp` is false. Only a running process takes new links (409 "
        "once it completed or failed). Needs `processes:write` (or `tasks:create`)."
    ),
)
async def create_process_link(
    process_id: str,
    principal: CanWrite,
    base: BaseUrl,
    body: Annotated[core.ProcessLinkCreate, Body()],
) -> JSONResponse:
    """A new link to a running process."""
    link = await in_thread(core.create_process_link, principal, process_id, body)
    return JSONResponse({**link_created(link, base), **_url(link, base)}, status_code=201)


@router.get(
    "/{process_id}/links",
    response_model=LinkList,
    responses=_errors,
    summary="List a process's links",
    description=(
        "Every link of the process, the oldest first (`primary` is always false). Needs `processes:read`."
    ),
)
async def list_process_links(process_id: str, principal: CanRead, base: BaseUrl) -> dict:
    """The links of a process."""
    rows = await in_thread(core.list_process_links, principal.org_id, process_id)
    return {"links": [{**link_public(link, base), **_url(link, base)} for link in rows]}


@router.delete(
    "/{process_id}/links",
    response_model=LinkRevoked,
    responses=_errors,
    summary="Withdraw one of a process's links",
    description="Its page then says the link was withdrawn. Needs `processes:write` (or `tasks:create`).",
)
async def revoke_process_link(
    process_id: str,
    principal: CanWrite,
    link_id: Annotated[str, Query(min_length=1, description="The link to withdraw")],
) -> dict:
    """Withdraw a process link."""
    link = await in_thread(core.revoke_process_link, principal.org_id, process_id, link_id, principal.user_id)
    return link_revoked(link)
