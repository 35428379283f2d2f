"""Server-Sent Events: ``/api/v1/events`` for the organisation, ``/api/v1/tasks/{id}/events`` for one task.

The bus only says "something changed"; what is sent is read from the store's timeline, in
order and without gaps, so a client that reconnects with ``Last-Event-ID`` misses nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query
from fastapi.sse import EventSourceResponse, ServerSentEvent

from hpi_app.api.deps import CanStream, in_thread
from hpi_app.core import tasks, timeline
from hpi_app.core.errors import InvalidInput
from hpi_app.core.events import bus
from hpi_app.core.subjects import Subject, subject_type
from hpi_app.models import Task, TimelineEntry, iso

router = APIRouter(tags=["events"])

# Without news, re-read the store this often anyway (a safety net across workers).
RECHECK_SECONDS = 15.0


def _event(row: TimelineEntry) -> ServerSentEvent:
    kind = subject_type(row.subject_kind)
    name = kind.event_name(row.kind)
    data = {
        "event": name,
        kind.id_key(): row.subject_id,
        "status": kind.status_after(row.kind),
        "actor": row.actor,
        "timestamp": iso(row.created_at),
    }
    if row.detail:
        data["detail"] = row.detail
    return ServerSentEvent(id=str(row.id), event=name, data=data)


def resume_point(
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
    last_event_id_query: Annotated[str | None, Query(alias="last_event_id")] = None,
) -> int | None:
    """Where a reconnecting client left off (checked before the stream starts)."""
    raw = last_event_id if last_event_id is not None else last_event_id_query
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise InvalidInput(
            "Last-Event-ID must be the id of an event this stream sent.",
            details=[{"field": "Last-Event-ID", "message": "must be a non-negative integer"}],
        )
    return int(raw)


async def stream(org_id: str, after: int, subject: Subject | None) -> AsyncIterator[ServerSentEvent]:
    """The organisation's events after ``after`` (of one subject, ending after its final state)."""
    async with bus.subscribe(org_id) as changes:
        while True:
            rows = await in_thread(timeline.events_after, org_id, after, subject=subject)
            for row in rows:
                after = row.id
                yield _event(row)
                if subject is not None and row.kind in subject_type(subject.kind).final:
                    return
            if len(rows) == timeline.PAGE_SIZE:
                continue
            change = await changes.get(timeout=RECHECK_SECONDS)
            while change is not None and subject is not None and change.subject != subject:
                change = await changes.get(timeout=RECHECK_SECONDS)


async def _streamed_task(task_id: str, principal: CanStream) -> Task:
    # Resolved before the stream starts, so an unknown task is a plain 404.
    return await in_thread(tasks.get_task, principal.org_id, task_id)


@router.get(
    "/events",
    response_class=EventSourceResponse,
    summary="Stream the organisation's task events (SSE)",
    description=(
        "`task.created`, `task.opened`, `task.completed`, `task.cancelled`, `task.expired` as "
        "Server-Sent Events. Send `Last-Event-ID` (or `?last_event_id=`) to resume after a "
        "disconnect; without it the stream starts with what happens next."
    ),
)
async def org_events(
    principal: CanStream, after: Annotated[int | None, Depends(resume_point)]
) -> AsyncIterator[ServerSentEvent]:
    """The organisation's event stream."""
    if after is None:
        after = await in_thread(timeline.last_event_id, principal.org_id)
    async for item in stream(principal.org_id, after, None):
        yield item


@router.get(
    "/tasks/{task_id}/events",
    response_class=EventSourceResponse,
    summary="Stream one task's events (SSE)",
    description="Every state change of the task from its creation; the stream ends after a final state.",
)
async def task_events(
    task: Annotated[Task, Depends(_streamed_task)], after: Annotated[int | None, Depends(resume_point)]
) -> AsyncIterator[ServerSentEvent]:
    """One task's event stream (from the start, or after ``Last-Event-ID``)."""
    async for item in stream(task.org_id, after or 0, tasks.subject(task.id)):
        yield item
