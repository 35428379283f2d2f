"""The delivery log as the UI shows it: one box per delivery, expandable to its attempts.

Shared by Settings > Notification sinks (one sink's log) and the task detail page (one task's).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

import reflex as rx

from hpi_app import routes
from hpi_app.core import delivery_log, tasks
from hpi_app.core.errors import DomainError
from hpi_app.core.outbox import TEST_EVENT, public_sink
from hpi_app.core.sinks.registry import SINK_TYPES
from hpi_app.core.sinks.registry import sink_target as sink_target
from hpi_app.models import Delivery, iso, utcnow
from hpi_app.state import in_thread
from hpi_app.vocab import DeliveryStatus

DELIVERY_COLORS = {
    DeliveryStatus.DELIVERED: "green",
    DeliveryStatus.PENDING: "amber",
    DeliveryStatus.FAILED: "red",
}


@dataclasses.dataclass
class AttemptRow:
    """One attempt at sending a delivery."""

    attempt: int = 0
    at: str = ""
    ok: bool = False
    status_code: str = ""
    latency: str = ""
    error: str = ""


@dataclasses.dataclass
class DeliveryRow:
    """One delivery of the log, with its attempts."""

    id: str = ""
    event: str = ""
    task_id: str = ""
    task_title: str = ""
    task_href: str = ""
    sink_label: str = ""
    status: str = DeliveryStatus.PENDING
    attempt_count: int = 0
    last_code: str = ""
    last_error: str = ""
    at: str = ""
    next_at: str = ""
    attempts: list[AttemptRow] = dataclasses.field(default_factory=list)


def _task_of(delivery: Delivery) -> str:
    return delivery.subject_id or "" if delivery.subject_kind == tasks.TASK.name else ""


def _row(record: delivery_log.DeliveryRecord, titles: dict[str, str]) -> DeliveryRow:
    row = record.delivery
    sink = public_sink(row.sink or {})
    task_id = _task_of(row)
    return DeliveryRow(
        id=row.id,
        event=row.event,
        task_id=task_id,
        task_title=titles.get(task_id, "Test event" if row.event == TEST_EVENT else task_id),
        task_href=routes.task_detail(task_id) if task_id else "",
        sink_label=sink.get("name") or f"{sink.get('type', 'sink')} {sink_target(sink)}".strip(),
        status=row.status,
        attempt_count=row.attempts,
        last_code=str(row.last_status_code or ""),
        last_error=row.last_error or "",
        at=iso(row.created_at) or "",
        next_at=(iso(row.next_attempt_at) or "") if row.status == DeliveryStatus.PENDING else "",
        attempts=[
            AttemptRow(
                attempt=a.attempt,
                at=iso(a.started_at) or "",
                ok=bool(a.ok),
                status_code=str(a.status_code or ""),
                latency=f"{a.latency_ms} ms" if a.latency_ms is not None else "",
                error=a.error or "",
            )
            for a in record.attempts
        ],
    )


def delivery_rows(org_id: str, records: list[delivery_log.DeliveryRecord]) -> list[DeliveryRow]:
    """The log's rows for ``records``, with the title of each one's task (sync: run in a thread)."""
    titles = tasks.titles(org_id, {_task_of(r.delivery) for r in records} - {""})
    return [_row(record, titles) for record in records]


def seconds_to_next_attempt(rows: list[DeliveryRow], longest: float = 60.0) -> float:
    """How long until the earliest waiting delivery is tried again (``longest`` when none waits)."""
    now = utcnow()
    waits = [
        (datetime.fromisoformat(row.next_at.replace("Z", "+00:00")) - now).total_seconds()
        for row in rows
        if row.status == DeliveryStatus.PENDING and row.next_at
    ]
    return max(1.0, min([longest, *[w + 1.0 for w in waits]]))


async def redeliver_now(org_id: str, delivery_id: str) -> rx.event.EventSpec:
    """Send a delivery again; a toast says whether it was queued."""
    try:
        await in_thread(delivery_log.redeliver, org_id, delivery_id)
    except DomainError as exc:
        return rx.toast.error(exc.message, duration=6000)
    return rx.toast.info("Redelivery queued: it goes out now with the same webhook-id.", duration=4000)


def delivery_status_badge(status: rx.Var[str] | str) -> rx.Component:
    """A coloured badge for a delivery's status."""
    return rx.match(
        status,
        *[
            (name, rx.badge(name.capitalize(), color_scheme=color, variant="soft"))
            for name, color in DELIVERY_COLORS.items()
        ],
        rx.badge(status, variant="soft"),
    )


def sink_type_badge(kind: rx.Var[str] | str) -> rx.Component:
    """A badge for a sink's type, in the colour its type declares."""
    return rx.match(
        kind,
        *[
            (name, rx.badge(name, color_scheme=sink.color, variant="surface"))
            for name, sink in SINK_TYPES.items()
        ],
        rx.badge(kind, variant="surface"),
    )


def _attempt(attempt: AttemptRow) -> rx.Component:
    return rx.hstack(
        rx.text("#", attempt.attempt, size="1", color_scheme="gray", min_width="2em"),
        rx.text(rx.moment(attempt.at, format="YYYY-MM-DD HH:mm:ss"), size="1", white_space="nowrap"),
        rx.badge(
            rx.cond(attempt.status_code != "", attempt.status_code, "no answer"),
            color_scheme=rx.cond(attempt.ok, "green", "red"),
            variant="outline",
            size="1",
        ),
        rx.text(attempt.latency, size="1", color_scheme="gray", white_space="nowrap"),
        rx.text(attempt.error, size="1", color_scheme="red", word_break="break-word"),
        spacing="2",
        align="center",
        wrap="wrap",
        class_name="delivery-attempt",
        data_status_code=attempt.status_code,
    )


def _delivery(
    row: DeliveryRow,
    on_redeliver: Callable[[rx.Var[str]], rx.event.EventSpec],
    can_redeliver: rx.Var[bool] | bool,
    show_task: bool,
    show_sink: bool,
) -> rx.Component:
    redeliver = rx.button(
        rx.icon("rotate-cw", size=14),
        "Redeliver",
        size="1",
        variant="soft",
        on_click=on_redeliver(row.id),
        aria_label="Redeliver " + row.event,
        class_name="redeliver",
    )
    return rx.box(
        rx.hstack(
            rx.vstack(
                rx.hstack(
                    rx.code(row.event, size="2", variant="ghost", weight="medium"),
                    delivery_status_badge(row.status),
                    rx.cond(
                        row.last_code != "",
                        rx.badge("HTTP ", row.last_code, color_scheme="gray", variant="outline", size="1"),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.hstack(
                    *(
                        [
                            rx.cond(
                                row.task_href != "",
                                rx.link(
                                    row.task_title, href=row.task_href, size="1", class_name="delivery-task"
                                ),
                                rx.text(row.task_title, size="1"),
                            )
                        ]
                        if show_task
                        else []
                    ),
                    *([rx.text("to ", row.sink_label, size="1", color_scheme="gray")] if show_sink else []),
                    rx.text(
                        rx.moment(row.at, from_now=True), size="1", color_scheme="gray", white_space="nowrap"
                    ),
                    spacing="2",
                    wrap="wrap",
                ),
                rx.cond(
                    (row.last_error != "") & (row.status != DeliveryStatus.DELIVERED.value),
                    rx.text(row.last_error, size="1", color_scheme="red", word_break="break-word"),
                ),
                spacing="1",
                min_width="0",
                flex="1",
            ),
            rx.cond((row.status != DeliveryStatus.PENDING.value) & can_redeliver, redeliver),
            spacing="3",
            align="start",
            width="100%",
        ),
        rx.el.details(
            rx.el.summary(
                rx.text(
                    row.attempt_count,
                    rx.cond(row.attempt_count == 1, " attempt", " attempts"),
                    size="1",
                    as_="span",
                    class_name="attempt-count",
                ),
                cursor="pointer",
                color=rx.color("gray", 11),
            ),
            rx.vstack(
                rx.foreach(row.attempts, _attempt),
                rx.cond(row.attempts.length() == 0, rx.text("Not tried yet.", size="1", color_scheme="gray")),
                spacing="1",
                padding_top="0.4em",
                padding_left="1em",
            ),
            margin_top="0.35em",
        ),
        padding="0.6em 0.75em",
        border_top=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        class_name="delivery-row",
        key=row.id,
        data_delivery_id=row.id,
        data_status=row.status,
        data_event=row.event,
    )


def delivery_list(
    rows: rx.Var[list[DeliveryRow]],
    on_redeliver: Callable[[rx.Var[str]], rx.event.EventSpec],
    *,
    can_redeliver: rx.Var[bool] | bool = True,
    show_task: bool = True,
    show_sink: bool = False,
    empty: str = "Nothing has been sent yet.",
    **props,
) -> rx.Component:
    """The deliveries of ``rows``, newest first as given, each expandable to its attempts."""
    return rx.cond(
        rows.length() > 0,
        rx.box(
            rx.foreach(rows, lambda row: _delivery(row, on_redeliver, can_redeliver, show_task, show_sink)),
            width="100%",
            border_bottom=f"1px solid {rx.color('gray', 4)}",
            **props,
        ),
        rx.text(empty, size="2", color_scheme="gray", **props),
    )
