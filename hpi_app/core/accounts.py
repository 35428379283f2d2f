"""Organisations, members and their passwords."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from hpi_app.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from hpi_app.core.password_hashing import DUMMY_HASH, hash_password, verify_password
from hpi_app.db import session_scope
from hpi_app.models import ApiToken, InstanceSetup, Organisation, User, UserSession, utcnow
from hpi_app.vocab import Role

ROLES = tuple(Role)
MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email: str) -> str:
    """Trim and lower-case an email address, or refuse it."""
    email = email.strip().lower()
    if not _EMAIL.match(email):
        raise InvalidInput(
            f"'{email}' is not an email address.",
            details=[{"field": "email", "message": "must be an email address"}],
        )
    return email


def count_users() -> int:
    """How many users exist in the whole instance."""
    with session_scope() as session:
        return session.exec(select(func.count()).select_from(User)).one()


def create_user(
    email: str,
    password: str,
    *,
    role: str = Role.MEMBER,
    org_name: str | None = None,
    org_id: str | None = None,
    name: str = "",
    first_admin: bool = False,
) -> User:
    """Create a user in an organisation.

    Args:
        email: The user's email address (unique in the instance).
        password: At least eight characters.
        role: ``admin`` or ``member``.
        org_name: Create a new organisation with this name for the user.
        org_id: Or put the user in this existing organisation. With neither, the
            instance's only organisation is used; the first user always creates one.
        name: A display name.
        first_admin: This is the instance's first setup: the user is written together with the
            one ``InstanceSetup`` row, so of two setups at once only one can win.

    Returns:
        The new user.

    Raises:
        Conflict: The email is taken (``user_exists``), or, for ``first_admin``, the instance
            was set up meanwhile (``already_set_up``).
    """
    email = normalise_email(email)
    if role not in ROLES:
        raise InvalidInput(
            f"Role must be one of: {', '.join(ROLES)}.",
            details=[{"field": "role", "message": f"must be one of: {', '.join(ROLES)}"}],
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.",
            details=[{"field": "password", "message": "too short"}],
        )
    password_hash = hash_password(password)
    with session_scope(write=True) as session:
        if session.exec(select(User).where(User.email == email)).first():
            raise Conflict(f"A user with the email {email} already exists.", code="user_exists")
        if org_id is not None:
            if session.get(Organisation, org_id) is None:
                raise NotFound(f"No organisation with id {org_id}.")
        elif org_name:
            org = Organisation(name=org_name.strip()[:200] or "Default")
            session.add(org)
            session.flush()
            org_id = org.id
        else:
            orgs = session.exec(select(Organisation).limit(2)).all()
            if len(orgs) > 1:
                raise InvalidInput("Several organisations exist: name one with --org.")
            if orgs:
                org_id = orgs[0].id
            else:
                org = Organisation(name="Default")
                session.add(org)
                session.flush()
                org_id = org.id
        if first_admin:
            session.add(InstanceSetup(id=1))
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                raise _already_set_up() from None
        user = User(org_id=org_id, email=email, password_hash=password_hash, role=role, name=name)
        session.add(user)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            if first_admin and _is_set_up():
                raise _already_set_up() from None
            raise Conflict(f"A user with the email {email} already exists.", code="user_exists") from None
        return user


def _already_set_up() -> Conflict:
    return Conflict("This instance is already set up. Sign in instead.", code="already_set_up")


def _is_set_up() -> bool:
    with session_scope() as session:
        return session.get(InstanceSetup, 1) is not None


def get_user_by_email(email: str) -> User | None:
    """The user with this email, if any."""
    with session_scope() as session:
        return session.exec(select(User).where(User.email == email.strip().lower())).first()


def authenticate_password(email: str, password: str) -> User | None:
    """The active user whose email and password match, else None (in constant-ish time)."""
    user = get_user_by_email(email)
    if user is None or user.disabled_at is not None:
        verify_password(DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def create_first_admin(email: str, password: str, org_name: str, name: str = "") -> User:
    """Create the instance's first admin and organisation (the setup page).

    Raises:
        Conflict: The instance already has a user; setup is over.
    """
    if not org_name.strip():
        raise InvalidInput(
            "Name your organisation.", details=[{"field": "org_name", "message": "is required"}]
        )
    if count_users() > 0:
        raise _already_set_up()
    return create_user(email, password, role=Role.ADMIN, org_name=org_name, name=name, first_admin=True)


def bootstrap_admin(email: str, password: str, org_name: str) -> User | None:
    """Create the first admin from configuration when the instance has no user yet.

    Returns:
        The admin created, or None when users already exist.
    """
    if not email or not password or count_users() > 0:
        return None
    try:
        return create_user(email, password, role=Role.ADMIN, org_name=org_name, first_admin=True)
    except Conflict:
        # Another worker created it first.
        return None


def _admin_of(session, actor_id: str) -> User:
    actor = session.get(User, actor_id)
    if actor is None or actor.disabled_at is not None:
        raise PermissionDenied("Your account is no longer active. Sign in again.", code="not_a_member")
    if actor.role != Role.ADMIN:
        raise PermissionDenied(
            "Only an admin of your organisation can manage members.", code="admin_required"
        )
    return actor


def _member_of(session, org_id: str, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None or user.org_id != org_id or user.disabled_at is not None:
        raise NotFound("That member no longer exists. Reload the page to see the current list.")
    return user


def _active_admins(session, org_id: str) -> int:
    return session.exec(
        select(func.count())
        .select_from(User)
        .where(User.org_id == org_id, User.role == Role.ADMIN, User.disabled_at.is_(None))
    ).one()


def get_user(user_id: str) -> User | None:
    """The user with this id, if any (active or not)."""
    with session_scope() as session:
        return session.get(User, user_id)


def list_members(org_id: str) -> list[User]:
    """The active members of an organisation, oldest first (removed ones are left out)."""
    with session_scope() as session:
        return list(
            session.exec(
                select(User)
                .where(User.org_id == org_id, User.disabled_at.is_(None))
                .order_by(User.created_at, User.email)
            ).all()
        )


def member_names(org_id: str, ids: Iterable[str]) -> dict[str, str]:
    """The names of the given members of an organisation (their email when unnamed), by id.

    Removed members are included: the timeline still names who did what. Ids of no member of
    ``org_id`` are left out.
    """
    wanted = set(ids)
    if not wanted:
        return {}
    with session_scope() as session:
        rows = session.exec(
            select(User.id, User.name, User.email).where(User.org_id == org_id, User.id.in_(wanted))
        ).all()
    return {user_id: (name or email) for user_id, name, email in rows}


def add_member(actor_id: str, email: str, password: str, *, name: str = "", role: str = Role.MEMBER) -> User:
    """An admin adds a member to their organisation with a temporary password.

    Args:
        actor_id: The admin doing it; the member joins the admin's organisation.
        email: The new member's email (unique in the instance).
        password: A temporary password of at least eight characters, passed on to the member.
        name: A display name.
        role: ``admin`` or ``member``.

    Raises:
        PermissionDenied: The actor is not an active admin.
        InvalidInput: A bad email, role or password (``details`` names the field).
        Conflict: The email is taken (code ``user_exists``).
    """
    with session_scope() as session:
        org_id = _admin_of(session, actor_id).org_id
    return create_user(email, password, role=role, org_id=org_id, name=name.strip()[:200])


def change_role(actor_id: str, user_id: str, role: str) -> User:
    """An admin makes a member of their organisation an admin, or an admin a member.

    The organisation always keeps at least one active admin.

    Raises:
        PermissionDenied: The actor is not an active admin.
        NotFound: No such active member in the actor's organisation.
        InvalidInput: An unknown role.
        Conflict: The change would leave no admin (code ``last_admin``).
    """
    if role not in ROLES:
        raise InvalidInput(
            f"Role must be one of: {', '.join(ROLES)}.",
            details=[{"field": "role", "message": f"must be one of: {', '.join(ROLES)}"}],
        )
    with session_scope(write=True) as session:
        actor = _admin_of(session, actor_id)
        user = _member_of(session, actor.org_id, user_id)
        if user.role == role:
            return user
        if user.role == Role.ADMIN and _active_admins(session, actor.org_id) <= 1:
            raise Conflict(
                "You are the last admin. Make another member an admin first, then change your own role.",
                code="last_admin",
            )
        user.role = role
        session.add(user)
        session.commit()
        return user


def remove_member(actor_id: str, user_id: str) -> User:
    """An admin removes a member: disabled, signed out everywhere, every API token revoked.

    The member's tasks, and the tasks they created, stay as they are.

    Raises:
        PermissionDenied: The actor is not an active admin, or tries to remove themselves
            (code ``cannot_remove_self``).
        NotFound: No such active member in the actor's organisation.
    """
    if actor_id == user_id:
        raise PermissionDenied(
            "You can't remove yourself. Ask another admin to do it.", code="cannot_remove_self"
        )
    now = utcnow()
    with session_scope(write=True) as session:
        actor = _admin_of(session, actor_id)
        user = _member_of(session, actor.org_id, user_id)
        user.disabled_at = now
        session.add(user)
        for token in session.exec(
            select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        ).all():
            token.revoked_at = now
            session.add(token)
        for record in session.exec(
            select(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        ).all():
            record.revoked_at = now
            session.add(record)
        session.commit()
        return user
