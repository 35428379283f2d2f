"""Push deliveries: a task's delivery log, one delivery, and redeliver."""

from __future__ import annotations

from fastapi import APIRouter

from hpi_app.api.deps import CanCreate, CanRead, in_thread
from hpi_app.api.presenters import delivery_public
from hpi_app.api.schemas import DeliveryList, DeliveryPublic, ErrorBody
from hpi_app.core import delivery_log as core

router = APIRouter(tags=["deliveries"])

_errors = {
    401: {"model": ErrorBody, "description": "Missing, invalid, revoked or expired token"},
    403: {"model": ErrorBody, "description": "The token lacks the scope this route needs"},
    404: {"model": ErrorBody, "description": "No such task or delivery in this organisation"},
}


@router.get(
    "/tasks/{task_id}/deliveries",
    response_model=DeliveryList,
    responses=_errors,
    summary="List a task's deliveries",
)
async def task_deliveries(task_id: str, principal: CanRead) -> dict:
    """Every event pushed for this task, to each sink, with every attempt (status code, latency, error)."""
    records = await in_thread(core.deliveries_for_task, principal.org_id, task_id)
    return {"deliveries": [delivery_public(record) for record in records]}


@router.get(
    "/deliveries/{delivery_id}",
    response_model=DeliveryPublic,
    responses=_errors,
    summary="Get a delivery",
)
async def get_delivery(delivery_id: str, principal: CanRead) -> dict:
    """One delivery with its attempts."""
    record = await in_thread(core.get_delivery, principal.org_id, delivery_id)
    return delivery_public(record)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    status_code=202,
    response_model=DeliveryPublic,
    responses={**_errors, 409: {"model": ErrorBody, "description": "An attempt is in flight right now"}},
    summary="Redeliver",
)
async def redeliver(delivery_id: str, principal: CanCreate) -> dict:
    """Send the event again now, with the same `webhook-id`; retried like a new delivery."""
    record = await in_thread(core.redeliver, principal.org_id, delivery_id)
    return delivery_public(record)
