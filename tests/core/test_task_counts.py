"""Kept task counts: exact (as a COUNT(*) finds) after concurrent creates, completions, cancels, expiries."""

from __future__ import annotations

import contextlib
import threading
from datetime import timedelta

import pytest
from sqlalchemy import update

from hpi_app.core import accounts, tasks
from hpi_app.core.errors import Conflict
from hpi_app.core.tasks import counts
from hpi_app.core.tasks.assign import update_task
from hpi_app.core.tasks.policy_input import TaskPatch
from hpi_app.db import session_scope
from hpi_app.models import Task, utcnow
from tests.utils.deliveries import principal_of
from tests.utils.task_counts import counted, kept, make_task

WORKERS = 3
EACH = 6


@pytest.fixture
def member(admin):
    return accounts.create_user("bea@acme.test", "correct horse battery", org_id=admin.org_id)


def _assigned(n: int, admin, member) -> dict:
    return [{}, {"assignee_member_id": admin.id}, {"assignee_member_id": member.id}][n % 3]


def _make_overdue(task_ids: list[str]) -> None:
    with session_scope(write=True) as session:
        past = utcnow() - timedelta(seconds=1)
        session.execute(update(Task).where(Task.id.in_(task_ids)).values(expires_at=past))
        session.commit()


def test_counts_follow_each_change(admin, member):
    org = admin.org_id
    first = make_task(admin)
    mine = make_task(admin, assignee_member_id="me")
    assert tasks.count_by_status(org) == {"pending": 2, "completed": 0, "cancelled": 0, "expired": 0}
    assert counts.total(org, ["pending"], admin.id) == 1
    assert counts.total(org, ["pending"], counts.UNASSIGNED) == 1

    tasks.complete_task(mine, {"decision": "Approve"})
    tasks.cancel_task(org, first, "not needed", actor=admin.id)
    with pytest.raises(Conflict):  # a refused change counts nothing
        tasks.cancel_task(org, first, "again", actor=admin.id)
    late = make_task(admin, assignee_member_id=member.id, expires_in=60)
    _make_overdue([late])
    assert tasks.expire_due() == 1
    assert tasks.count_by_status(org) == {"pending": 0, "completed": 1, "cancelled": 1, "expired": 1}
    assert tasks.count_by_status(org, admin.id)["completed"] == 1
    assert tasks.count_by_status(org, member.id)["expired"] == 1
    assert counts.total(org, ["cancelled"], counts.UNASSIGNED) == 1
    assert kept(org, {admin.id, member.id}) == counted(org)


def test_counts_stay_exact_under_concurrent_changes(admin, member):
    org = admin.org_id
    to_complete = [make_task(admin, **_assigned(n, admin, member)) for n in range(EACH)]
    to_cancel = [make_task(admin, **_assigned(n, admin, member)) for n in range(EACH)]
    to_expire = [make_task(admin, expires_in=60, **_assigned(n, admin, member)) for n in range(EACH)]
    _make_overdue(to_expire)
    start = threading.Barrier(4 * WORKERS)
    failures: list[BaseException] = []

    def run(job) -> None:
        start.wait()
        try:
            job()
        except BaseException as exc:  # reported by the assert below
            failures.append(exc)

    def create(n: int) -> None:
        for k in range(EACH):
            make_task(admin, **_assigned(n + k, admin, member))

    def finish(fn, ids: list[str]) -> None:
        # Every worker tries every task: exactly one change wins each, the others are refused.
        for task_id in ids:
            with contextlib.suppress(Conflict):
                fn(task_id)

    jobs = []
    for n in range(WORKERS):
        jobs.append(lambda n=n: create(n))
        jobs.append(lambda: finish(lambda t: tasks.complete_task(t, {"decision": "Approve"}), to_complete))
        jobs.append(lambda: finish(lambda t: tasks.cancel_task(org, t, None, actor=admin.id), to_cancel))
        jobs.append(tasks.expire_due)
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    truth = counted(org)
    assert kept(org, {admin.id, member.id}) == truth
    assert truth[(counts.EVERY, "completed")] == EACH and truth[(counts.EVERY, "cancelled")] == EACH
    assert truth[(counts.EVERY, "expired")] == EACH
    assert truth[(counts.EVERY, "pending")] == WORKERS * EACH
    page = tasks.list_page(org, tasks.TaskFilter(statuses=("pending",), assignee_id=member.id))
    assert page.total == truth[(member.id, "pending")]


def test_counts_follow_a_reassignment(admin, member):
    org = admin.org_id
    task_id = make_task(admin, assignee_member_id=admin.id)
    update_task(principal_of(admin), task_id, TaskPatch(assignee_member_id=member.id))
    assert counts.total(org, ["pending"], admin.id) == 0
    assert counts.total(org, ["pending"], member.id) == 1
    update_task(principal_of(admin), task_id, TaskPatch(assignee_email="outside@example.test"))
    assert counts.total(org, ["pending"], counts.UNASSIGNED) == 1
    assert tasks.count_by_status(org)["pending"] == 1
    assert kept(org, {admin.id, member.id}) == counted(org)
