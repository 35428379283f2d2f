"""Organisations, members and their passwords."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from hpi_app.core.errors import Conflict, InvalidInput, NotFound
from hpi_app.db import session_scope
from hpi_app.models import Organisation, User

ROLES = ("admin", "member")
MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
# A hash to verify against when the email is unknown, so both paths cost the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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
    role: str = "member",
    org_name: str | None = None,
    org_id: str | None = None,
    name: str = "",
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

    Returns:
        The new user.
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
        user = User(org_id=org_id, email=email, password_hash=password_hash, role=role, name=name)
        session.add(user)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            raise Conflict(f"A user with the email {email} already exists.", code="user_exists") from None
        return user


def get_user_by_email(email: str) -> User | None:
    """The user with this email, if any."""
    with session_scope() as session:
        return session.exec(select(User).where(User.email == email.strip().lower())).first()


def authenticate_password(email: str, password: str) -> User | None:
    """The active user whose email and password match, else None (in constant-ish time)."""
    user = get_user_by_email(email)
    if user is None or user.disabled_at is not None:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


def bootstrap_admin(email: str, password: str, org_name: str) -> User | None:
    """Create the first admin from configuration when the instance has no user yet.

    Returns:
        The admin created, or None when users already exist.
    """
    if not email or not password or count_users() > 0:
        return None
    try:
        return create_user(email, password, role="admin", org_name=org_name)
    except Conflict:
        # Another worker created it first.
        return None
