"""A process's links in the core: opening them (beside task links), states, the holder's tasks, codes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from hpi_app.core import accounts, link_codes, link_targets, links, process_links, processes, tasks, timeline
from hpi_app.core.errors import Conflict, NotFound
from hpi_app.core.principal import Principal
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.db import session_scope
from hpi_app.models import Link, utcnow
from tests.utils.link_codes import code_in
from tests.utils.processes import approval_task, process_body

GUEST = "guest@elsewhere.test"
HUMAN_STEPS = [{"key": key, "label": key.title(), "human": True} for key in ("one", "two", "three", "four")]


def _principal(user) -> Principal:
    return Principal(org_id=user.org_id, user_id=user.id, scopes=frozenset({"tasks:create"}))


@pytest.fixture
def process(admin):
    body = processes.ProcessCreate.model_validate(process_body(steps=HUMAN_STEPS))
    return processes.create_process(_principal(admin), body)


def _link(user, process_id, email=GUEST, **fields) -> Link:
    body = process_links.ProcessLinkCreate.model_validate({"assignee_email": email, **fields})
    return process_links.create_process_link(_principal(user), process_id, body)


def _task(user, process_id, step, **overrides):
    body = TaskCreate.model_validate(approval_task(process_id, step, **overrides))
    return tasks.create_task(_principal(user), body).task


def _set(link_id: str, **values) -> None:
    with session_scope(write=True) as session:
        session.execute(update(Link).where(Link.id == link_id).values(**values))
        session.commit()


def test_a_process_link_opens_its_process_and_never_a_task_page(admin, process):
    link = _link(admin, process.id, assignee_name="Gus")
    opened = process_links.resolve(link.id)
    assert (opened.process.id, opened.link.assignee_email, opened.link.requires_otp) == (
        process.id,
        GUEST,
        True,
    )
    assert process_links.opening_state(opened) == "open"
    with pytest.raises(NotFound):
        links.resolve(link.id)  # the task link page and the file check do not open it
    task = _task(admin, process.id, "one")
    with pytest.raises(NotFound):
        process_links.resolve(task.link_id)
    assert links.resolve(task.link_id).task.id == task.id  # task links are as they were
    for bad in ("", "nope", "x" * 200):
        with pytest.raises(NotFound):
            process_links.resolve(bad)
    entry = next(e for e in timeline.entries(processes.subject(process.id)) if e.kind == "link_created")
    assert entry.detail == {"assignee": "Gus"}


def test_withdrawn_expired_and_finished(admin, process):
    withdrawn, expired, kept = (_link(admin, process.id, f"p{i}@x.test") for i in range(3))
    process_links.revoke_process_link(admin.org_id, process.id, withdrawn.id, admin.id)
    _set(expired.id, expires_at=utcnow() - timedelta(seconds=1))
    assert process_links.opening_state(process_links.resolve(withdrawn.id)) == process_links.WITHDRAWN
    assert process_links.opening_state(process_links.resolve(expired.id)) == process_links.LINK_EXPIRED
    for closed in (withdrawn, expired):
        with pytest.raises(Conflict):
            process_links.check_open(closed.id)
    processes.update_process(admin.org_id, process.id, {"type": "completed"})
    assert process_links.check_open(kept.id).process.status == "completed"  # the holder sees how it ended
    with pytest.raises(Conflict):
        _link(admin, process.id)
    assert [row.id for row in process_links.list_process_links(admin.org_id, process.id)] == [
        withdrawn.id,
        expired.id,
        kept.id,
    ]


def test_another_organisations_process_has_no_links_for_us(admin, process):
    eve = accounts.create_user("eve@other.test", "correct horse battery", org_name="Other")
    with pytest.raises(NotFound):
        _link(eve, process.id)
    with pytest.raises(NotFound):
        process_links.list_process_links(eve.org_id, process.id)
    link = _link(admin, process.id)
    with pytest.raises(NotFound):
        process_links.revoke_process_link(eve.org_id, process.id, link.id, eve.id)
    assert process_links.opening_state(process_links.resolve(link.id)) == "open"


def test_the_holders_tasks_are_those_with_a_task_link_for_their_email(admin, process):
    link = _link(admin, process.id, "Guest@Elsewhere.test")
    assigned = _task(admin, process.id, "one", assignee_email=GUEST.upper())  # its primary link is theirs
    shared = _task(admin, process.id, "two", assignee_email="someone@elsewhere.test")
    extra = links.create_link(_principal(admin), shared.id, links.LinkCreate(assignee_email=GUEST))
    newer = links.create_link(_principal(admin), shared.id, links.LinkCreate(assignee_email=GUEST))
    links.revoke_link(admin.org_id, shared.id, newer.id, admin.id)  # an open link beats a newer withdrawn one
    others = _task(admin, process.id, "three", assignee_email="someone@elsewhere.test")
    links.create_link(_principal(admin), others.id, links.LinkCreate(assignee_email="third@elsewhere.test"))
    unassigned = _task(admin, process.id, "four")
    ids = [assigned.id, shared.id, others.id, unassigned.id]
    assert process_links.holder_task_links(link, ids) == {assigned.id: assigned.link_id, shared.id: extra.id}

    # A task of another organisation never counts, whatever its assignee.
    eve = accounts.create_user("eve@other.test", "correct horse battery", org_name="Other")
    theirs = tasks.create_task(
        _principal(eve), TaskCreate.model_validate(approval_task(None, None, assignee_email=GUEST))
    ).task
    assert theirs.id not in process_links.holder_task_links(link, [*ids, theirs.id])
    assert process_links.holder_task_links(link, []) == {}


def test_the_code_flow_works_for_a_process_link(admin, process, outbox):
    link = _link(admin, process.id)
    status = link_codes.send_code(link.id, "http://hpi.test")
    assert status.code_sent and status.masked_email == "g***@elsewhere.test"
    [mail] = outbox
    text = mail.get_body(("plain",)).get_content()
    assert f"http://hpi.test/p/{link.id}" in text and "process's page" in text
    assert mail["Subject"] == f"{code_in(mail)} is your code for Deploy release 1.4"
    grant = link_codes.verify_code(link.id, code_in(mail))
    assert link_codes.grant_allows(link.id, grant)
    kinds = [e.kind for e in timeline.entries(processes.subject(process.id))]
    assert kinds[-2:] == ["code_sent", "code_verified"]
    assert link_targets.page_path(link.id) == f"/p/{link.id}"
    task = _task(admin, process.id, "one")
    assert link_targets.page_path(task.link_id) == f"/t/{task.link_id}"
    assert link_targets.page_path("no-such") == "/t/no-such"

    process_links.revoke_process_link(admin.org_id, process.id, link.id, admin.id)
    with pytest.raises(Conflict):
        link_codes.send_code(link.id, "http://hpi.test")
    assert len(outbox) == 1


def test_a_members_link_needs_no_code(admin, process):
    bob = accounts.create_user("bob@acme.test", "a long password", org_id=admin.org_id)
    link = _link(admin, process.id, bob.email)
    assert (link.requires_otp, link.assignee_id, link.assignee_type) == (False, bob.id, "member")
    with pytest.raises(Conflict):
        link_codes.send_code(link.id, "http://hpi.test")
