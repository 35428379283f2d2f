"""Completing a task: validated data, one winner among concurrent submissions, final states."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import func, select

from hpi_app.core import tasks
from hpi_app.core.errors import Conflict, InvalidInput
from hpi_app.core.principal import Principal
from hpi_app.db import session_scope
from hpi_app.models import Submission
from hpi_app.schemas import TaskCreate
from tests.utils.bodies import seed_task


@pytest.fixture
def task_id(admin) -> str:
    principal = Principal(org_id=admin.org_id, user_id=admin.id, scopes=frozenset({"tasks:create"}))
    outcome = tasks.create_task(principal, TaskCreate.model_validate(seed_task()), base_url="http://x")
    return outcome.body["task_id"]


def test_invalid_submission_names_the_field_and_changes_nothing(task_id, admin):
    with pytest.raises(InvalidInput) as caught:
        tasks.complete_task(task_id, {"decision": "Maybe"})
    assert [d["field"] for d in caught.value.details] == ["data.decision"]
    with pytest.raises(InvalidInput) as missing:
        tasks.complete_task(task_id, {"comments": "no decision"})
    assert [d["field"] for d in missing.value.details] == ["data.decision"]
    assert tasks.get_task(admin.org_id, task_id).status == "pending"


def test_second_submission_is_refused(task_id, admin):
    tasks.complete_task(task_id, {"decision": "Approve"}, actor="first@acme.test")
    with pytest.raises(Conflict) as caught:
        tasks.complete_task(task_id, {"decision": "Reject"}, actor="second@acme.test")
    assert caught.value.code == "task_completed"
    task = tasks.get_task(admin.org_id, task_id)
    assert task.data == {"decision": "Approve"} and task.completed_by == "first@acme.test"


def test_concurrent_submissions_exactly_one_wins(task_id, admin):
    barrier = threading.Barrier(8)
    results: list[str] = []

    def submit(n: int) -> None:
        barrier.wait()
        try:
            tasks.complete_task(task_id, {"decision": "Approve", "comments": f"#{n}"}, actor=f"p{n}")
            results.append(f"won {n}")
        except Conflict:
            results.append("lost")

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if r.startswith("won")]
    assert len(winners) == 1 and results.count("lost") == 7
    task = tasks.get_task(admin.org_id, task_id)
    assert task.data["comments"] == "#" + winners[0].split()[1]
    with session_scope() as session:
        assert session.exec(select(func.count()).select_from(Submission)).one() == 1


def test_cancelled_task_refuses_submission(task_id, admin):
    principal = Principal(org_id=admin.org_id, user_id=admin.id, scopes=frozenset({"tasks:create"}))
    tasks.cancel_task(principal, task_id, "changed plans")
    with pytest.raises(Conflict) as caught:
        tasks.complete_task(task_id, {"decision": "Approve"})
    assert caught.value.code == "task_cancelled"
    assert tasks.get_task(admin.org_id, task_id).data is None


def test_completion_is_recorded_on_the_timeline(task_id, admin):
    tasks.complete_task(task_id, {"decision": "Approve"}, actor="admin@acme.test")
    events = tasks.timeline(admin.org_id, task_id)
    assert [(e.kind, e.actor) for e in events] == [("created", admin.id), ("completed", "admin@acme.test")]


def test_completion_by_link(task_id, admin):
    task = tasks.get_task(admin.org_id, task_id)
    assert tasks.get_task_by_link(task.link_id).id == task_id
    with pytest.raises(Exception) as caught:
        tasks.get_task_by_link("no-such-link")
    assert getattr(caught.value, "code", "") == "link_not_found"
