"""``/api/v1/tasks/{task_id}/links``: more magic links for a task, the list of them, and withdrawing one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from hpi_app import routes
from hpi_app.api.deps import BaseUrl, CanCreate, CanRead, in_thread
from hpi_app.api.schemas import ErrorBody
from hpi_app.core import links as core
from hpi_app.models import Link, iso

router = APIRouter(prefix="/tasks", tags=["links"])


def link_errors(subject: str) -> dict[int, dict]:
    """The error answers every link route of a ``subject`` (``task``, ``process``) documents."""
    return {
        400: {"model": ErrorBody, "description": "Invalid input; `details` names each bad field"},
        401: {"model": ErrorBody, "description": "Missing, invalid, revoked or expired token"},
        403: {"model": ErrorBody, "description": "The token lacks the scope this route needs"},
        404: {"model": ErrorBody, "description": f"No such {subject} (or link) in this organisation"},
    }


_errors = link_errors("task")


class LinkCreated(BaseModel):
    """The answer to a new link."""

    link_id: str
    url: str
    requires_otp: bool
    expires_at: str | None
    assignee_email: str | None
    created_at: str


class LinkPublic(BaseModel):
    """One of a task's links."""

    link_id: str
    url: str
    primary: bool
    assignee_email: str | None
    assignee_name: str | None
    requires_otp: bool
    expires_at: str | None
    revoked_at: str | None
    opened_at: str | None
    created_at: str


class LinkList(BaseModel):
    """A task's links, the original one first."""

    links: list[LinkPublic]


class LinkRevoked(BaseModel):
    """The answer to a withdrawn link."""

    link_id: str
    revoked: bool


def link_created(link: Link, base_url: str) -> dict:
    """A new link as ``POST .../links`` answers it."""
    return {
        "link_id": link.id,
        "url": routes.task_link(base_url, link.id),
        "requires_otp": link.requires_otp,
        "expires_at": iso(link.expires_at),
        "assignee_email": link.assignee_email,
        "created_at": iso(link.created_at),
    }


def link_revoked(link: Link) -> dict:
    """A withdrawn link as ``DELETE .../links`` answers it."""
    return {"link_id": link.id, "revoked": True}


def link_public(link: Link, base_url: str) -> dict:
    """A link as ``GET .../links`` lists it."""
    return {
        "link_id": link.id,
        "url": routes.task_link(base_url, link.id),
        "primary": link.primary,
        "assignee_email": link.assignee_email,
        "assignee_name": link.assignee_name,
        "requires_otp": link.requires_otp,
        "expires_at": iso(link.expires_at),
        "revoked_at": iso(link.revoked_at),
        "opened_at": iso(link.opened_at),
        "created_at": iso(link.created_at),
    }


@router.post(
    "/{task_id}/links",
    status_code=201,
    response_model=LinkCreated,
    responses={**_errors, 409: {"model": ErrorBody, "description": "The task is not pending"}},
    summary="Create another link for a task",
)
async def create_link(
    task_id: str,
    principal: CanCreate,
    base: BaseUrl,
    body: Annotated[core.LinkCreate | None, Body()] = None,
) -> JSONResponse:
    """Another magic link for a pending task, with its own assignee, code requirement and expiry.

    An empty body is ``{}``: a link with no assignee and no code. An `assignee_email` of a member
    assigns that member; any other email asks for a one-time code unless `require_otp` is false.
    """
    link = await in_thread(core.create_link, principal, task_id, body or core.LinkCreate())
    return JSONResponse(link_created(link, base), status_code=201)


@router.get(
    "/{task_id}/links",
    response_model=LinkList,
    responses=_errors,
    summary="List a task's links",
)
async def list_links(task_id: str, principal: CanRead, base: BaseUrl) -> dict:
    """Every link of the task, the original one (`primary: true`) first."""
    rows = await in_thread(core.list_links, principal.org_id, task_id)
    return {"links": [link_public(link, base) for link in rows]}


@router.delete(
    "/{task_id}/links",
    response_model=LinkRevoked,
    responses=_errors,
    summary="Withdraw one of a task's links",
)
async def revoke_link(
    task_id: str,
    principal: CanCreate,
    link_id: Annotated[str, Query(min_length=1, description="The link to withdraw")],
) -> dict:
    """Withdraw a link: its page then says it was withdrawn, and it can no longer submit."""
    link = await in_thread(core.revoke_link, principal.org_id, task_id, link_id, principal.user_id)
    return link_revoked(link)
