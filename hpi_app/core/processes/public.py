"""Processes as the doors show them: the JSON bodies of HPI's processes API (its field names)."""

from __future__ import annotations

from typing import Any

from hpi_app.core.processes import ProcessSummary, ProcessView, Updated
from hpi_app.models import Process, ProcessStep, iso


def _percent(value: float | None) -> float | int | None:
    return int(value) if value is not None and value == int(value) else value


def step_public(step: ProcessStep) -> dict[str, Any]:
    """One entry of a process's ``timeline``."""
    return {
        "step": step.key,
        "label": step.label,
        "status": step.status,
        "human": step.human,
        "task_id": step.task_id,
        "started_at": iso(step.started_at),
        "completed_at": iso(step.completed_at),
        "duration_ms": step.duration_ms,
        "detail": step.detail,
        "progress_message": step.progress_message,
        "progress_percent": _percent(step.progress_percent),
        "error": step.error,
        "data": step.data,
    }


def process_public(view: ProcessView) -> dict[str, Any]:
    """The process object of the API."""
    p = view.process
    duration_ms = int((p.completed_at - p.started_at).total_seconds() * 1000) if p.completed_at else None
    return {
        "process_id": p.id,
        "org_id": p.org_id,
        "namespace": p.namespace,
        "name": p.name,
        "description": p.description,
        "status": p.status,
        "current_step": p.current_step,
        "step_defs": [{"key": s.key, "label": s.label, "human": s.human} for s in view.steps],
        "timeline": [step_public(s) for s in view.steps],
        "task_ids": view.task_ids,
        "started_at": iso(p.started_at),
        "completed_at": iso(p.completed_at),
        "error": p.error,
        "summary": p.summary,
        "template_id": p.template_id,
        "metadata": p.meta,
        "duration_ms": duration_ms,
    }


def process_list_item(summary: ProcessSummary) -> dict[str, Any]:
    """One process of ``GET /processes``."""
    p = summary.process
    return {
        "process_id": p.id,
        "namespace": p.namespace,
        "name": p.name,
        "status": p.status,
        "current_step": p.current_step,
        "started_at": iso(p.started_at),
        "completed_at": iso(p.completed_at),
        "step_count": summary.step_count,
        "steps_completed": summary.steps_done,
        "task_ids": summary.task_ids,
        "template_id": p.template_id,
    }


def process_created(process: Process) -> dict[str, Any]:
    """The answer to a created process."""
    return {
        "process_id": process.id,
        "namespace": process.namespace,
        "name": process.name,
        "started_at": iso(process.started_at),
    }


def process_updated(updated: Updated) -> dict[str, Any]:
    """The answer to an applied update."""
    return {
        "process_id": updated.process_id,
        "update_type": updated.update_type,
        "timestamp": iso(updated.timestamp),
    }
