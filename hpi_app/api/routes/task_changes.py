"""``PATCH /api/v1/tasks/{id}``: reassign a pending task, move its expiry, retitle it."""

from __future__ import annotations

from fastapi import APIRouter

from hpi_app.api.deps import BaseUrl, CanCreate, in_thread
from hpi_app.api.presenters import task_public
from hpi_app.api.schemas import ErrorBody, TaskPublic
from hpi_app.core.tasks.assign import update_task
from hpi_app.core.tasks.policy_input import TaskPatch

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.patch(
    "/{task_id}",
    response_model=TaskPublic,
    response_model_exclude_unset=True,
    responses={
        400: {"model": ErrorBody, "description": "Invalid input; `details` names each bad field"},
        401: {"model": ErrorBody, "description": "Missing, invalid, revoked or expired token"},
        403: {"model": ErrorBody, "description": "The token lacks tasks:create"},
        404: {"model": ErrorBody, "description": "No such task in this organisation"},
        409: {"model": ErrorBody, "description": "The task is not pending"},
    },
    summary="Reassign, extend or retitle a pending task",
)
async def patch_task(task_id: str, body: TaskPatch, principal: CanCreate, base: BaseUrl) -> dict:
    """Change a pending task: ``assignee_email`` / ``assignee_member_id`` reassign it (the new
    assignee gets a link of their own, emailed to them, and the old one's links are withdrawn;
    ``task.assigned``),
    ``expires_in`` moves its expiry to that many seconds from now (``task.extended``), ``title``
    retitles it (``task.updated``).
    """
    task = await in_thread(update_task, principal, task_id, body, base)
    return task_public(task, base)
