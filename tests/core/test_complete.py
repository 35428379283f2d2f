"""Completing a task: validated data, one winner among concurrent submissions, final states."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import func, select, update

from hpi_app.api.presenters import task_public
from hpi_app.core import accounts, tasks
from hpi_app.core.errors import Conflict, InvalidInput, NotFound
from hpi_app.core.principal import Principal
from hpi_app.core.tasks import transitions
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.db import session_scope
from hpi_app.models import Submission, Task, utcnow
from tests.utils.bodies import seed_task


@pytest.fixture
def task_id(admin) -> str:
    principal = Principal(org_id=admin.org_id, user_id=admin.id, scopes=frozenset({"tasks:create"}))
    created = tasks.create_task(principal, TaskCreate.model_validate(seed_task()))
    return created.task.id


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
    tasks.cancel_task(principal.org_id, task_id, "changed plans", actor=principal.user_id)
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


def _principal(user) -> Principal:
    return Principal(org_id=user.org_id, user_id=user.id, scopes=frozenset({"tasks:create"}))


def _backdate_expiry(task_id: str) -> None:
    with session_scope(write=True) as session:
        session.execute(
            update(Task).where(Task.id == task_id).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()


def _kinds(org_id: str, task_id: str) -> list[str]:
    return [event.kind for event in tasks.timeline(org_id, task_id)]


def _submissions(task_id: str) -> int:
    with session_scope() as session:
        return session.exec(
            select(func.count()).select_from(Submission).where(Submission.task_id == task_id)
        ).one()


def test_completion_returns_the_task_as_stored(task_id, admin):
    done = tasks.complete_task(task_id, {"decision": "Approve", "comments": "ok"}, actor="a@acme.test")
    stored = tasks.get_task(admin.org_id, task_id)
    assert done.status == "completed" and done.data == {"decision": "Approve", "comments": "ok"}
    assert done.completed_by == "a@acme.test" and done.completed_at is not None
    assert task_public(done, "http://x") == task_public(stored, "http://x")


def test_racing_cancels_and_completions_exactly_one_wins(task_id, admin):
    barrier = threading.Barrier(8)
    results: list[tuple[str, str]] = []

    def act(n: int) -> None:
        barrier.wait()
        try:
            if n % 2:
                tasks.cancel_task(admin.org_id, task_id, f"#{n}", actor=admin.id)
                results.append(("won", "cancelled"))
            else:
                tasks.complete_task(task_id, {"decision": "Approve", "comments": f"#{n}"}, actor=f"p{n}")
                results.append(("won", "completed"))
        except Conflict as exc:
            results.append(("lost", exc.code))

    threads = [threading.Thread(target=act, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [state for outcome, state in results if outcome == "won"]
    assert len(winners) == 1 and len(results) == 8
    final = tasks.get_task(admin.org_id, task_id)
    assert final.status == winners[0]
    # Every loser was told the state the winner left, whichever way it lost.
    assert {code for outcome, code in results if outcome == "lost"} == {f"task_{winners[0]}"}
    assert _kinds(admin.org_id, task_id) == ["created", winners[0]]
    assert _submissions(task_id) == (1 if winners[0] == "completed" else 0)
    assert (final.data is None) == (winners[0] == "cancelled")
    assert (final.cancel_reason is None) == (winners[0] == "completed")


def test_a_task_overdue_when_the_answer_is_written_is_expired_not_completed(admin, monkeypatch):
    created = tasks.create_task(_principal(admin), TaskCreate.model_validate(seed_task(expires_in=60)))
    task_id = created.task.id
    validate = transitions.validate_submission

    def validate_then_expire(steps, data):
        _backdate_expiry(task_id)  # its expiry passes between the read and the write
        return validate(steps, data)

    monkeypatch.setattr(transitions, "validate_submission", validate_then_expire)
    with pytest.raises(Conflict) as caught:
        tasks.complete_task(task_id, {"decision": "Approve"})
    assert caught.value.code == "task_expired"
    task = tasks.get_task(admin.org_id, task_id)
    assert task.status == "expired" and task.data is None and task.completed_at is None
    assert _kinds(admin.org_id, task_id) == ["created", "expired"]
    assert _submissions(task_id) == 0


def test_an_overdue_task_refuses_completion_and_cancel_and_expires_once(admin):
    created = tasks.create_task(_principal(admin), TaskCreate.model_validate(seed_task(expires_in=60)))
    task_id = created.task.id
    assert tasks.expire_task(task_id) is False  # not due yet: nothing changes
    _backdate_expiry(task_id)
    with pytest.raises(Conflict) as completing:
        tasks.complete_task(task_id, {"decision": "Approve"})
    assert completing.value.code == "task_expired"
    with pytest.raises(Conflict) as cancelling:
        tasks.cancel_task(admin.org_id, task_id, "late", actor=admin.id)
    assert cancelling.value.code == "task_expired"
    assert tasks.expire_task(task_id) is False  # already expired
    assert _kinds(admin.org_id, task_id) == ["created", "expired"]
    task = tasks.get_task(admin.org_id, task_id)
    assert task.status == "expired" and task.expired_at is not None and task.cancel_reason is None


def test_finished_tasks_do_not_expire(task_id, admin):
    tasks.complete_task(task_id, {"decision": "Approve"})
    _backdate_expiry(task_id)
    assert tasks.expire_task(task_id) is False
    assert tasks.get_task(admin.org_id, task_id).status == "completed"
    assert _kinds(admin.org_id, task_id) == ["created", "completed"]


def test_another_organisations_or_an_unknown_task_is_not_found(task_id, admin):
    stranger = accounts.create_user("eve@other.test", "another password", org_name="Other")
    for ref in (task_id, "7d2c7d56-7a5c-4a1e-8a37-0a4b6f9f6c11", "not-a-task-id"):
        with pytest.raises(NotFound):
            tasks.complete_task(ref, {"decision": "Approve"}, org_id=stranger.org_id)
        with pytest.raises(NotFound):
            tasks.cancel_task(stranger.org_id, ref, None, actor=stranger.id)
    for ref in ("7d2c7d56-7a5c-4a1e-8a37-0a4b6f9f6c11", "not-a-task-id"):
        with pytest.raises(NotFound):
            tasks.complete_task(ref, {"decision": "Approve"})
    assert tasks.get_task(admin.org_id, task_id).status == "pending"
    assert _kinds(admin.org_id, task_id) == ["created"]
