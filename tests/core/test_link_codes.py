"""One-time codes for external assignees' links: sending, checking, the cooldown, the lock, grants."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from hpi_app.api.presenters import task_created
from hpi_app.core import link_codes, tasks
from hpi_app.core.errors import Conflict
from hpi_app.core.link_codes import CodeRefused
from hpi_app.core.principal import Principal
from hpi_app.core.tasks.input import TaskCreate
from hpi_app.db import session_scope
from hpi_app.models import LinkAccess, LinkGrant, TimelineEntry, User, utcnow
from tests.utils.bodies import seed_task
from tests.utils.link_codes import code_in, wrong_code

GUEST = "guest@elsewhere.test"


def _create(admin: User, **overrides) -> dict:
    principal = Principal(org_id=admin.org_id, user_id=admin.id, scopes=frozenset({"tasks:create"}))
    body = TaskCreate.model_validate(seed_task(**overrides))
    return task_created(tasks.create_task(principal, body), "http://hpi.test")


@pytest.fixture
def link(admin: User) -> str:
    """The link id of a pending task assigned to an email outside the organisation."""
    created = _create(admin, assignee_email=GUEST, title="Sign the lease")
    assert created["requires_otp"] is True
    return created["link_id"]


def _access(link_id: str) -> LinkAccess:
    with session_scope() as session:
        return session.get(LinkAccess, link_id)


def _shift(link_id: str, **moves: timedelta) -> None:
    """Move the link's stored times into the past (instead of sleeping)."""
    with session_scope(write=True) as session:
        access = session.get(LinkAccess, link_id)
        for name, delta in moves.items():
            setattr(access, name, getattr(access, name) - delta)
        session.commit()


def _refusal(link_id: str, code: str) -> CodeRefused:
    with pytest.raises(CodeRefused) as caught:
        link_codes.verify_code(link_id, code)
    return caught.value


def test_a_code_is_emailed_and_opens_the_link(link, outbox):
    status = link_codes.send_code(link, "https://hpi.example")
    assert status.masked_email == "g***@elsewhere.test" and status.code_sent and status.resend_in == 60
    [message] = outbox
    code = code_in(message)
    assert message["To"] == GUEST
    assert code in message["Subject"] and "Sign the lease" in message["Subject"]
    text = message.get_body(("plain",)).get_content()
    assert f"Your code for Sign the lease: {code} — valid 10 minutes" in text
    assert f"https://hpi.example/t/{link}" in text

    raw = link_codes.verify_code(link, f" {code[:3]} {code[3:]} ")  # spaces as people type them
    assert link_codes.grant_allows(link, raw)
    assert not link_codes.grant_allows(link, raw + "x")
    assert not link_codes.grant_allows(link, None)
    assert _refusal(link, code).code == "no_code"  # a code works once


def test_wrong_codes_count_down_and_the_fifth_locks_even_the_right_code(link, outbox):
    link_codes.send_code(link, "http://hpi.test")
    code = code_in(outbox[0])
    messages = [_refusal(link, wrong_code(code)).message for _ in range(4)]
    assert messages == [
        "That code isn't right. 4 tries left.",
        "That code isn't right. 3 tries left.",
        "That code isn't right. 2 tries left.",
        "That code isn't right. 1 try left.",
    ]
    fifth = _refusal(link, wrong_code(code))
    assert fifth.code == "link_locked" and "locked for 15 minutes" in fifth.message
    assert 14 * 60 < fifth.extra["retry_after"] <= 15 * 60
    assert _refusal(link, code).code == "link_locked"
    with pytest.raises(CodeRefused) as no_send:
        link_codes.send_code(link, "http://hpi.test")
    assert no_send.value.code == "link_locked"
    status = link_codes.code_status(link)
    assert status.locked_for > 14 * 60 and status.tries_left == 0 and not status.code_sent


def test_the_lock_ends_after_fifteen_minutes(link, outbox):
    link_codes.send_code(link, "http://hpi.test")
    for _ in range(5):
        _refusal(link, wrong_code(code_in(outbox[0])))
    _shift(link, locked_until=timedelta(minutes=15), last_sent_at=timedelta(minutes=15))
    status = link_codes.code_status(link)
    assert status.locked_for == 0 and status.tries_left == 5 and not status.code_sent
    assert _refusal(link, code_in(outbox[0])).code == "no_code"  # the lock threw the old code away
    link_codes.send_code(link, "http://hpi.test")
    assert _refusal(link, wrong_code(code_in(outbox[1]))).extra["tries_left"] == 4  # a fresh count
    assert link_codes.grant_allows(link, link_codes.verify_code(link, code_in(outbox[1])))


def test_a_code_expires_after_ten_minutes(link, outbox):
    link_codes.send_code(link, "http://hpi.test")
    access = _access(link)
    assert access.code_expires_at - access.last_sent_at == timedelta(minutes=10)
    _shift(link, code_expires_at=timedelta(minutes=10), last_sent_at=timedelta(minutes=10))
    refused = _refusal(link, code_in(outbox[0]))
    assert refused.code == "code_expired" and "expired" in refused.message
    status = link_codes.code_status(link)
    assert status.code_expired and status.tries_left == 5  # an expired code is no guess
    link_codes.send_code(link, "http://hpi.test")
    assert link_codes.verify_code(link, code_in(outbox[1]))


def test_resend_waits_sixty_seconds_and_a_new_code_replaces_the_old(link, outbox):
    link_codes.send_code(link, "http://hpi.test")
    with pytest.raises(CodeRefused) as too_soon:
        link_codes.send_code(link, "http://hpi.test")
    assert too_soon.value.code == "resend_too_soon"
    assert 55 <= too_soon.value.extra["retry_after"] <= 60
    assert f"{too_soon.value.extra['retry_after']} s" in too_soon.value.message
    assert len(outbox) == 1
    _shift(link, last_sent_at=timedelta(seconds=61))
    link_codes.send_code(link, "http://hpi.test")
    first, second = (code_in(m) for m in outbox)
    if first != second:  # one chance in a million that they are the same
        assert _refusal(link, first).code == "code_wrong"
    assert link_codes.verify_code(link, second)


def test_malformed_codes_are_not_counted(link, outbox):
    link_codes.send_code(link, "http://hpi.test")
    for typed in ("", "12345", "1234567", "abcdef"):
        assert _refusal(link, typed).code == "code_malformed"
    assert link_codes.code_status(link).tries_left == 5


def test_codes_and_grants_are_stored_hashed(link, outbox):
    link_codes.send_code(link, "http://hpi.test")
    code = code_in(outbox[0])
    stored = _access(link).code_hash
    assert code not in stored and len(stored) > 60
    raw = link_codes.verify_code(link, code)
    with session_scope() as session:
        grant = session.exec(select(LinkGrant)).one()
    assert raw not in grant.token_hash and grant.expires_at > utcnow() + timedelta(hours=11)
    assert _access(link).code_hash is None


def test_grants_are_per_link_and_expire(admin, link, outbox):
    other = _create(admin, assignee_email="other@elsewhere.test")["link_id"]
    link_codes.send_code(link, "http://hpi.test")
    raw = link_codes.verify_code(link, code_in(outbox[0]))
    assert link_codes.grant_allows(link, raw)
    assert not link_codes.grant_allows(other, raw)
    with session_scope(write=True) as session:
        grant = session.exec(select(LinkGrant)).one()
        grant.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    assert not link_codes.grant_allows(link, raw)


def test_concurrent_wrong_guesses_are_all_counted(link, outbox):
    link_codes.send_code(link, "http://hpi.test")
    wrong = wrong_code(code_in(outbox[0]))
    barrier = threading.Barrier(10)
    codes: list[str] = []

    def guess() -> None:
        barrier.wait()
        try:
            link_codes.verify_code(link, wrong)
        except CodeRefused as exc:
            codes.append(exc.code)

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == ["code_wrong"] * 4 + ["link_locked"] * 6


def test_a_failed_email_lifts_the_cooldown(link, monkeypatch):
    def refuse(*_args) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(link_codes, "send_mail", refuse)
    with pytest.raises(CodeRefused) as failed:
        link_codes.send_code(link, "http://hpi.test")
    assert failed.value.code == "mail_failed"
    status = link_codes.code_status(link)
    assert status.resend_in == 0 and not status.code_sent


def test_without_smtp_the_code_goes_to_the_log(link, monkeypatch, caplog):
    monkeypatch.setattr(link_codes, "settings", dataclasses.replace(link_codes.settings, smtp_url=""))
    with caplog.at_level(logging.WARNING, logger="hpi.mail"):
        link_codes.send_code(link, "http://hpi.test")
    [record] = [r for r in caplog.records if r.name == "hpi.mail"]
    assert record.levelno == logging.WARNING
    code = re.search(r"Your code for [^:]+: (\d{6})", record.getMessage()).group(1)
    assert link_codes.verify_code(link, code)


def test_the_timeline_notes_codes_sent_confirmed_and_locks(admin, link, outbox):
    link_codes.send_code(link, "http://hpi.test")
    link_codes.verify_code(link, code_in(outbox[0]))
    locked = _create(admin, assignee_email=GUEST)["link_id"]
    link_codes.send_code(locked, "http://hpi.test")
    for _ in range(5):
        _refusal(locked, wrong_code(code_in(outbox[1])))
    with session_scope() as session:
        rows = session.exec(select(TimelineEntry.kind, TimelineEntry.actor).order_by(TimelineEntry.id)).all()
    kinds = [kind for kind, actor in rows if actor == GUEST]
    assert kinds == ["code_sent", "code_verified", "code_sent", "link_locked"]


def test_links_that_need_no_code(admin, link, outbox):
    member_task = _create(admin, assignee_member_id="me")
    assert member_task["requires_otp"] is False
    with pytest.raises(Conflict) as no_need:
        link_codes.send_code(member_task["link_id"], "http://hpi.test")
    assert no_need.value.code == "code_not_needed"
    tasks.complete_task(tasks.get_task_by_link(link).id, {"decision": "Approve"}, actor=GUEST)
    with pytest.raises(Conflict) as finished:
        link_codes.send_code(link, "http://hpi.test")
    assert finished.value.code == "task_completed"
    assert outbox == []


def test_masked_email():
    assert link_codes.mask_email("jane.doe@example.com") == "j***@example.com"
    assert link_codes.mask_email("j@example.com") == "j***@example.com"
    assert link_codes.mask_email("nonsense") == "***"


def test_grant_cookie_is_found_among_others():
    header = f"hpi_session=abc; {link_codes.grant_cookie_name('L1')}=grant-1; hpi_link_L2=grant-2"
    assert link_codes.grant_in_cookies("L1", header) == "grant-1"
    assert link_codes.grant_in_cookies("L3", header) is None


def test_a_title_on_several_lines_makes_a_one_line_subject(admin, outbox):
    link = _create(admin, assignee_email=GUEST, title="Check\nthe   numbers")["link_id"]
    link_codes.send_code(link, "http://hpi.test")
    assert outbox[0]["Subject"].endswith("is your code for Check the numbers")
