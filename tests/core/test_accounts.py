"""Members and passwords in Settings: roles, the last-admin rule, removal, password changes, token lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hpi_app.core import accounts, credentials, sessions, tokens
from hpi_app.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from hpi_app.models import User

PASSWORD = "temporary pw 1"


@pytest.fixture
def member(admin: User) -> User:
    return accounts.add_member(admin.id, "Bea@Acme.test", PASSWORD, name=" Bea ")


def test_admin_adds_a_member_to_their_organisation(admin, member):
    assert (member.email, member.name, member.role, member.org_id) == (
        "bea@acme.test",
        "Bea",
        "member",
        admin.org_id,
    )
    assert [u.email for u in accounts.list_members(admin.org_id)] == ["admin@acme.test", "bea@acme.test"]
    assert accounts.authenticate_password("bea@acme.test", PASSWORD) is not None


def test_adding_checks_the_fields_and_the_actor(admin, member):
    with pytest.raises(Conflict) as taken:
        accounts.add_member(admin.id, "bea@acme.test", PASSWORD)
    assert taken.value.code == "user_exists" and "bea@acme.test" in taken.value.message
    with pytest.raises(InvalidInput) as short:
        accounts.add_member(admin.id, "cy@acme.test", "short")
    assert short.value.details[0]["field"] == "password"
    with pytest.raises(InvalidInput) as bad_email:
        accounts.add_member(admin.id, "not an email", PASSWORD)
    assert bad_email.value.details[0]["field"] == "email"
    with pytest.raises(PermissionDenied) as not_admin:
        accounts.add_member(member.id, "cy@acme.test", PASSWORD)
    assert not_admin.value.code == "admin_required"


def test_roles_change_but_the_last_admin_stays(admin, member):
    with pytest.raises(Conflict) as last:
        accounts.change_role(admin.id, admin.id, "member")
    assert last.value.code == "last_admin"
    assert accounts.change_role(admin.id, member.id, "admin").role == "admin"
    # With a second admin, the first may step down; then they can manage no one.
    assert accounts.change_role(admin.id, admin.id, "member").role == "member"
    with pytest.raises(PermissionDenied):
        accounts.change_role(admin.id, member.id, "member")
    with pytest.raises(Conflict):
        accounts.change_role(member.id, member.id, "member")
    with pytest.raises(InvalidInput):
        accounts.change_role(member.id, admin.id, "owner")


def test_other_organisations_are_out_of_reach(admin, member):
    outsider = accounts.create_user("zed@other.test", PASSWORD, role="admin", org_name="Other")
    with pytest.raises(NotFound):
        accounts.change_role(outsider.id, member.id, "admin")
    with pytest.raises(NotFound):
        accounts.remove_member(outsider.id, member.id)
    _, token = tokens.create_token(member.id, "bea's", "tasks:read")
    with pytest.raises(NotFound):
        tokens.revoke_token_as(outsider.id, token.id)
    assert tokens.visible_tokens(outsider.id) == []


def test_removing_a_member_disables_them_everywhere(admin, member):
    raw, _ = tokens.create_token(member.id, "bea's", "tasks:create,tasks:read")
    assert tokens.authenticate_token(raw).user_id == member.id
    session_secret = sessions.start_session(member.id)
    assert sessions.resolve_session(session_secret) is not None

    removed = accounts.remove_member(admin.id, member.id)

    assert removed.disabled_at is not None
    with pytest.raises(Unauthenticated) as refused:
        tokens.authenticate_token(raw)
    assert refused.value.message == "Token revoked"
    assert sessions.resolve_session(session_secret) is None
    assert accounts.authenticate_password("bea@acme.test", PASSWORD) is None
    assert [u.email for u in accounts.list_members(admin.org_id)] == ["admin@acme.test"]
    # The revoked token stays listed (marked revoked) for the admin.
    assert [v.token.revoked_at is not None for v in tokens.visible_tokens(admin.id)] == [True]
    with pytest.raises(NotFound):
        accounts.remove_member(admin.id, member.id)


def test_nobody_removes_themselves_and_members_remove_no_one(admin, member):
    with pytest.raises(PermissionDenied) as self_removal:
        accounts.remove_member(admin.id, admin.id)
    assert self_removal.value.code == "cannot_remove_self"
    with pytest.raises(PermissionDenied):
        accounts.remove_member(member.id, admin.id)


def test_change_password_needs_the_current_one(admin):
    kept = sessions.start_session(admin.id)
    other = sessions.start_session(admin.id)
    raw_token, _ = tokens.create_token(admin.id, "old", "tasks:read")
    with pytest.raises(InvalidInput) as wrong:
        credentials.change_password(admin.id, "not my password", "brand new password")
    assert wrong.value.details[0]["field"] == "current_password"
    with pytest.raises(InvalidInput) as short:
        credentials.change_password(admin.id, "correct horse battery", "short")
    assert short.value.details[0]["field"] == "new_password"

    changed = credentials.change_password(
        admin.id, "correct horse battery", "brand new password", keep_session=kept
    )
    assert (changed.sessions_ended, changed.tokens_revoked) == (1, 1)

    assert accounts.authenticate_password("admin@acme.test", "brand new password") is not None
    assert accounts.authenticate_password("admin@acme.test", "correct horse battery") is None
    assert sessions.resolve_session(kept) is not None
    assert sessions.resolve_session(other) is None
    # A token made under the old password no longer opens the API.
    with pytest.raises(Unauthenticated):
        tokens.authenticate_token(raw_token)


def test_wrong_current_passwords_are_rate_limited(admin):
    for _ in range(credentials.password_change_failures.limit):
        with pytest.raises(InvalidInput):
            credentials.change_password(admin.id, "guess", "brand new password")
    with pytest.raises(PermissionDenied) as limited:
        credentials.change_password(admin.id, "correct horse battery", "brand new password")
    assert limited.value.code == "rate_limited" and "minute" in limited.value.message
    credentials.password_change_failures.reset(admin.id)


def test_members_see_their_own_tokens_and_admins_see_all(admin, member):
    _, mine = tokens.create_token(admin.id, "admin's", "tasks:create")
    _, hers = tokens.create_token(member.id, "bea's", "tasks:read")
    assert [v.token.id for v in tokens.visible_tokens(member.id)] == [hers.id]
    listed = {v.token.id: v.owner_email for v in tokens.visible_tokens(admin.id)}
    assert listed == {mine.id: "admin@acme.test", hers.id: "bea@acme.test"}
    with pytest.raises(NotFound):
        tokens.revoke_token_as(member.id, mine.id)
    assert tokens.revoke_token_as(member.id, hers.id).revoked_at is not None
    assert tokens.revoke_token_as(admin.id, mine.id).revoked_at is not None


def test_expiry_choices():
    now = datetime(2026, 2, 24, 12, 0, tzinfo=UTC)
    assert tokens.expiry_from_choice("never", now=now) is None
    assert tokens.expiry_from_choice("30d", now=now) == now + timedelta(days=30)
    assert tokens.expiry_from_choice("date", "2026-02-24", now=now) == datetime(
        2026, 2, 24, 23, 59, 59, tzinfo=UTC
    )
    for choice, day in (("date", "2026-02-23"), ("date", ""), ("date", "24/02/2026"), ("soon", "")):
        with pytest.raises(InvalidInput) as bad:
            tokens.expiry_from_choice(choice, day, now=now)
        assert bad.value.details[0]["field"] == "expires_at"
