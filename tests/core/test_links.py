"""A task's links in the core: each opens the task with its own code; withdrawn and expired ones refuse."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import func, select

from hpi_app.api.presenters import task_created
from hpi_app.core import files, link_codes, links, tasks
from hpi_app.core.errors import Conflict, NotFound
from hpi_app.core.principal import Principal
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.db import session_scope
from hpi_app.models import Link, Submission, TimelineEntry, User, utcnow
from hpi_app.vocab import TaskStatus
from tests.utils.bodies import seed_task
from tests.utils.link_codes import code_in

ANSWER = {"decision": "Approve"}


def _principal(admin: User) -> Principal:
    return Principal(org_id=admin.org_id, user_id=admin.id, scopes=frozenset({"tasks:create"}))


def _task(admin: User, **overrides) -> dict:
    body = TaskCreate.model_validate(seed_task(**overrides))
    return task_created(tasks.create_task(_principal(admin), body), "http://hpi.test")


def _link(admin: User, task_id: str, **body) -> Link:
    return links.create_link(_principal(admin), task_id, links.LinkCreate.model_validate(body))


def _counts(task_id: str) -> tuple[int, int]:
    with session_scope() as session:
        entries = session.exec(
            select(func.count()).select_from(TimelineEntry).where(TimelineEntry.subject_id == task_id)
        ).one()
        submissions = session.exec(select(func.count()).select_from(Submission)).one()
    return entries, submissions


def _backdate(link_id: str, **moves: timedelta) -> None:
    with session_scope(write=True) as session:
        row = session.get(Link, link_id)
        for name, delta in moves.items():
            setattr(row, name, (getattr(row, name) or utcnow()) - delta)
        session.commit()


def test_a_new_task_has_its_link_as_primary_row(admin):
    task = _task(admin, assignee_email="guest@elsewhere.test", expires_in=3600)
    [row] = links.list_links(admin.org_id, task["task_id"])
    assert row.id == task["link_id"] and row.primary is True
    assert (row.subject_kind, row.subject_id) == ("task", task["task_id"])
    assert row.assignee_email == "guest@elsewhere.test" and row.assignee_type == "external"
    assert row.requires_otp is True and row.expires_at is not None and row.created_by == admin.id


def test_every_link_opens_the_task_and_a_second_one_submits(admin):
    task = _task(admin)
    second = _link(admin, task["task_id"])
    opened = links.resolve(second.id)
    assert opened.task.id == task["task_id"] and links.opening_state(opened) == "open"
    assert tasks.get_task_by_link(second.id).id == task["task_id"]

    done = tasks.complete_task(task["task_id"], ANSWER, actor="someone", through_link=second.id)
    assert done.status == TaskStatus.COMPLETED and done.data["decision"] == "Approve"
    assert links.opening_state(links.resolve(task["link_id"])) == TaskStatus.COMPLETED


def test_a_withdrawn_link_shows_so_and_its_submission_writes_nothing(admin):
    task = _task(admin)
    second = _link(admin, task["task_id"])
    links.revoke_link(admin.org_id, task["task_id"], second.id, admin.id)
    opened = links.resolve(second.id)
    assert links.opening_state(opened) == links.WITHDRAWN
    assert links.opening_state(links.resolve(task["link_id"])) == "open"  # the others still open
    before = _counts(task["task_id"])

    with pytest.raises(Conflict) as refused:
        tasks.complete_task(task["task_id"], ANSWER, actor="someone", through_link=second.id)
    assert refused.value.code == "link_withdrawn" and "withdrawn" in refused.value.message
    assert _counts(task["task_id"]) == before
    assert tasks.get_task(admin.org_id, task["task_id"]).status == TaskStatus.PENDING
    with pytest.raises(Conflict) as acting:
        links.check_open(second.id)
    assert acting.value.code == "link_withdrawn"
    # A member acting on the task itself is not stopped by one withdrawn link.
    assert links.closed_state(opened, through_link=False) is None


def test_an_expired_link_refuses_but_the_task_stays_open(admin):
    task = _task(admin)
    second = _link(admin, task["task_id"], expires_in=60)
    _backdate(second.id, expires_at=timedelta(seconds=61))
    assert links.opening_state(links.resolve(second.id)) == links.LINK_EXPIRED
    before = _counts(task["task_id"])
    with pytest.raises(Conflict) as refused:
        tasks.complete_task(task["task_id"], ANSWER, through_link=second.id)
    assert refused.value.code == "link_expired"
    assert _counts(task["task_id"]) == before
    assert tasks.complete_task(task["task_id"], ANSWER, through_link=task["link_id"]).status == "completed"


def test_a_withdrawal_racing_a_submission_never_lets_both_through(admin):
    # Whichever commits first wins; a submission that wins leaves the link withdrawn after it,
    # one that loses writes nothing.
    for _ in range(5):
        task = _task(admin)
        second = _link(admin, task["task_id"])
        outcome: dict[str, object] = {}
        start = threading.Barrier(2)

        def submit(task_id=task["task_id"], link_id=second.id, outcome=outcome, start=start):
            start.wait()
            try:
                outcome["submit"] = tasks.complete_task(task_id, ANSWER, through_link=link_id).status
            except Conflict as exc:
                outcome["submit"] = exc.code

        def withdraw(task_id=task["task_id"], link_id=second.id, start=start):
            start.wait()
            links.revoke_link(admin.org_id, task_id, link_id, admin.id)

        threads = [threading.Thread(target=submit), threading.Thread(target=withdraw)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        status = tasks.get_task(admin.org_id, task["task_id"]).status
        assert outcome["submit"] in ("completed", "link_withdrawn")
        assert status == (TaskStatus.COMPLETED if outcome["submit"] == "completed" else TaskStatus.PENDING)


def test_each_link_has_its_own_code_and_grant(admin, outbox):
    task = _task(admin, assignee_email="first@elsewhere.test")
    second = _link(admin, task["task_id"], assignee_email="second@elsewhere.test")
    assert second.requires_otp is True

    status = link_codes.send_code(second.id, "https://hpi.example")
    assert status.masked_email == "s***@elsewhere.test"
    [message] = outbox
    assert message["To"] == "second@elsewhere.test"
    assert f"https://hpi.example/t/{second.id}" in message.get_body(("plain",)).get_content()
    # The primary link's code state is untouched: nothing sent there yet.
    assert link_codes.code_status(task["link_id"]).code_sent is False

    grant = link_codes.verify_code(second.id, code_in(message))
    assert link_codes.grant_allows(second.id, grant)
    assert not link_codes.grant_allows(task["link_id"], grant)  # a grant opens its own link only


def test_code_rules_follow_the_link(admin, outbox):
    task = _task(admin)  # no assignee: no code on the primary link
    waived = _link(admin, task["task_id"], assignee_email="g@elsewhere.test", require_otp=False)
    assert waived.requires_otp is False and waived.assignee_type == "external"
    with pytest.raises(Conflict) as refused:
        link_codes.send_code(waived.id, "https://hpi.example")
    assert refused.value.code == "code_not_needed"

    coded = _link(admin, task["task_id"], assignee_email="g@elsewhere.test")
    links.revoke_link(admin.org_id, task["task_id"], coded.id, admin.id)
    with pytest.raises(Conflict) as withdrawn:
        link_codes.send_code(coded.id, "https://hpi.example")
    assert withdrawn.value.code == "link_withdrawn"
    assert outbox == []


def test_opened_at_is_the_first_opening(admin):
    task = _task(admin)
    second = _link(admin, task["task_id"])
    links.record_opened(second.id)
    first = links.resolve(second.id).link.opened_at
    assert first is not None
    links.record_opened(second.id)
    assert links.resolve(second.id).link.opened_at == first
    assert links.resolve(task["link_id"]).link.opened_at is None


def test_files_open_through_any_live_link_of_the_task(admin):
    import io

    stored = files.save_upload(admin.org_id, admin.id, "report.pdf", "application/pdf", io.BytesIO(b"%PDF-1"))
    body = seed_task()
    body["steps"][0]["blocks"].insert(0, {"type": "pdf", "url": f"http://hpi.test/api/v1/files/{stored.key}"})
    task = _task(admin, **body)
    second = _link(admin, task["task_id"])
    assert files.link_grants_file(second.id, stored)
    links.revoke_link(admin.org_id, task["task_id"], second.id, admin.id)
    assert not files.link_grants_file(second.id, stored)
    assert files.link_grants_file(task["link_id"], stored)
    coded = _link(admin, task["task_id"], assignee_email="g@elsewhere.test")
    assert not files.link_grants_file(coded.id, stored)  # not before its code is confirmed


def test_unknown_links_and_tasks(admin):
    with pytest.raises(NotFound):
        links.resolve("no-such-link")
    with pytest.raises(NotFound):
        links.resolve("x" * 65)
    with pytest.raises(NotFound):
        links.list_links(admin.org_id, "3f2b8c1e-0d4a-4b7e-9a53-2f0c6d1e8b90")


def test_an_expired_link_of_a_finished_task_opens_no_file(admin):
    import io
    from datetime import timedelta

    from hpi_app.db import session_scope
    from hpi_app.models import Link, utcnow

    stored = files.save_upload(admin.org_id, admin.id, "report.pdf", "application/pdf", io.BytesIO(b"%PDF-1"))
    body = seed_task()
    body["steps"][0]["blocks"].insert(0, {"type": "pdf", "url": f"http://hpi.test/api/v1/files/{stored.key}"})
    task = _task(admin, **body)
    second = _link(admin, task["task_id"])
    tasks.complete_task(task["task_id"], {"decision": "Approve"})
    assert files.link_grants_file(second.id, stored)  # a finished task's live link still shows its files
    with session_scope(write=True) as session:
        session.get(Link, second.id).expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    assert not files.link_grants_file(second.id, stored)
