"""The task <-> step hook: a task joins a process's step; its completion completes the step."""

from __future__ import annotations

import asyncio

import pytest
from starlette.concurrency import run_in_threadpool

from hpi_app.core import accounts, processes, tasks, timeline
from hpi_app.core.errors import Conflict, InvalidInput, NotFound
from hpi_app.core.events import bus
from hpi_app.core.principal import Principal
from hpi_app.core.tasks.input import TaskCreate
from tests.utils.processes import approval_task, process_body, store_counts


def _principal(user) -> Principal:
    return Principal(org_id=user.org_id, user_id=user.id, scopes=frozenset({"tasks:create"}))


@pytest.fixture
def process(admin):
    body = processes.ProcessCreate.model_validate(process_body())
    return processes.create_process(_principal(admin), body)


def _task(user, process_id, step="approve", **overrides):
    body = TaskCreate.model_validate(approval_task(process_id, step, **overrides))
    return tasks.create_task(_principal(user), body).task


def _step(user, process_id, key="approve"):
    return next(s for s in processes.get_process(user.org_id, process_id).steps if s.key == key)


def test_a_task_of_a_step_joins_the_process_and_the_step(admin, process):
    task = _task(admin, process.id)
    view = processes.get_process(admin.org_id, process.id)
    assert view.task_ids == [task.id]
    assert _step(admin, process.id).task_id == task.id
    stored = tasks.get_task(admin.org_id, task.id)
    assert (stored.process_id, stored.process_step) == (process.id, "approve")
    rows, total = tasks.list_tasks(admin.org_id, tasks.TaskFilter(process_id=process.id))
    assert [t.id for t in rows] == [task.id] and total == 1
    assert (
        tasks.list_tasks(admin.org_id, tasks.TaskFilter(process_id=process.id.replace("-", "0", 1)))[1] == 0
    )
    entry = timeline.entries(processes.subject(process.id))[-1]
    assert (entry.kind, entry.detail) == (
        "updated",
        {"type": "task_added", "task_id": task.id, "step": "approve"},
    )


def test_a_task_with_only_a_process_id_joins_the_process_but_no_step(admin, process):
    task = _task(admin, process.id, step=None)
    assert processes.get_process(admin.org_id, process.id).task_ids == [task.id]
    assert {s.task_id for s in processes.get_process(admin.org_id, process.id).steps} == {None}


def test_completing_the_task_completes_the_step_with_its_data_in_the_same_transaction(admin, process):
    task = _task(admin, process.id)

    async def complete_and_hear():
        async with bus.subscribe(admin.org_id) as changes:
            await run_in_threadpool(tasks.complete_task, task.id, {"ok": True}, actor=admin.id)
            heard = [await changes.get(5), await changes.get(5)]
        return heard

    heard = asyncio.run(complete_and_hear())
    assert [(c.kind, c.subject) for c in heard] == [
        ("task.completed", tasks.subject(task.id)),
        ("process.updated", processes.subject(process.id)),
    ]
    step = _step(admin, process.id)
    assert (step.status, step.data, step.task_id) == ("completed", {"ok": True}, task.id)
    assert step.started_at == tasks.get_task(admin.org_id, task.id).created_at
    assert step.completed_at == tasks.get_task(admin.org_id, task.id).completed_at
    assert step.duration_ms is not None and step.duration_ms >= 0
    assert processes.get_process(admin.org_id, process.id).process.status == "running"  # never by itself
    entry = timeline.entries(processes.subject(process.id))[-1]
    assert entry.detail == {"type": "step_completed", "step": "approve", "task_id": task.id}
    assert entry.actor == admin.id


def test_a_step_started_before_its_task_keeps_its_start(admin, process):
    processes.update_process(admin.org_id, process.id, {"type": "step_started", "step": "approve"})
    started = _step(admin, process.id).started_at
    task = _task(admin, process.id)
    tasks.complete_task(task.id, {})
    step = _step(admin, process.id)
    assert (step.status, step.started_at) == ("completed", started)


def test_cancelling_the_task_leaves_the_step_as_it_was(admin, process):
    task = _task(admin, process.id)
    before = len(timeline.entries(processes.subject(process.id)))
    tasks.cancel_task(admin.org_id, task.id, "not needed", actor=admin.id)
    step = _step(admin, process.id)
    assert (step.status, step.task_id, step.data) == ("pending", task.id, None)
    assert len(timeline.entries(processes.subject(process.id))) == before


def test_a_task_finishing_after_its_process_ended_changes_no_process(admin, process):
    task = _task(admin, process.id)
    processes.update_process(admin.org_id, process.id, {"type": "failed", "error": "gave up"})
    before = len(timeline.entries(processes.subject(process.id)))
    assert tasks.complete_task(task.id, {"ok": True}).status == "completed"
    assert _step(admin, process.id).status == "pending"
    assert len(timeline.entries(processes.subject(process.id))) == before


def test_a_task_naming_an_unknown_or_foreign_process_is_refused_and_nothing_is_written(admin, process):
    other = accounts.create_user("eve@other.test", "correct horse battery", org_name="Other")
    before = store_counts()
    with pytest.raises(NotFound) as unknown:
        _task(admin, "3f2b8c1e-0d4a-4b7e-9a53-2f0c6d1e8b90")
    assert unknown.value.details[0]["field"] == "process_id"
    with pytest.raises(NotFound) as foreign:
        _task(other, process.id)
    assert foreign.value.details[0]["field"] == "process_id"
    with pytest.raises(InvalidInput) as step:
        _task(admin, process.id, step="deploy")
    assert step.value.details[0]["field"] == "process_step"
    with pytest.raises(InvalidInput) as orphan:
        _task(admin, None, step="approve")
    assert orphan.value.details[0]["field"] == "process_step"
    assert store_counts() == before
    assert processes.get_process(admin.org_id, process.id).task_ids == []


def test_a_task_for_a_finished_process_is_409_and_nothing_is_written(admin, process):
    processes.update_process(admin.org_id, process.id, {"type": "completed"})
    before = store_counts()
    with pytest.raises(Conflict) as caught:
        _task(admin, process.id)
    assert caught.value.details[0]["field"] == "process_id"
    assert store_counts() == before


def test_a_bad_process_id_in_a_task_body_names_it():
    with pytest.raises(Exception) as caught:
        TaskCreate.model_validate(approval_task("not-a-uuid"))
    assert "process_id" in str(caught.value)


def test_a_step_finished_over_rest_keeps_what_it_has_when_its_task_completes(admin, process):
    task = _task(admin, process.id)
    processes.update_process(
        admin.org_id, process.id, {"type": "step_completed", "step": "approve", "data": {"by": "rest"}}
    )
    finished = _step(admin, process.id)
    assert tasks.complete_task(task.id, {"ok": True}).status == "completed"
    step = _step(admin, process.id)
    assert (step.status, step.data, step.completed_at) == ("completed", {"by": "rest"}, finished.completed_at)


def test_only_the_newest_task_of_a_step_completes_it(admin, process):
    older = _task(admin, process.id)
    newer = _task(admin, process.id)
    assert tasks.complete_task(older.id, {"ok": True}).status == "completed"
    assert _step(admin, process.id).status == "pending"
    tasks.complete_task(newer.id, {"ok": False})
    step = _step(admin, process.id)
    assert (step.status, step.task_id, step.data) == ("completed", newer.id, {"ok": False})
