"""Browser sessions: a random secret in an HttpOnly cookie, only its hash stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import select

from hpi_app.db import session_scope
from hpi_app.models import Organisation, User, UserSession, utcnow

SESSION_COOKIE = "hpi_session"
SESSION_LIFETIME = timedelta(days=14)
_TOUCH_EVERY = timedelta(minutes=5)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def start_session(user_id: str, user_agent: str = "") -> str:
    """Open a session for a signed-in user; returns the raw secret for the cookie."""
    raw = secrets.token_urlsafe(32)
    with session_scope(write=True) as session:
        session.add(
            UserSession(
                user_id=user_id,
                token_hash=_hash(raw),
                expires_at=utcnow() + SESSION_LIFETIME,
                user_agent=user_agent[:300],
            )
        )
        session.commit()
    return raw


def resolve_session(raw: str | None) -> tuple[User, Organisation] | None:
    """The active user and organisation behind a session secret, or None.

    A session slides: each use (at most every few minutes) extends it by its lifetime.
    """
    if not raw or len(raw) > 100:
        return None
    now = utcnow()
    with session_scope() as session:
        row = session.exec(
            select(UserSession, User, Organisation)
            .join(User, User.id == UserSession.user_id)
            .join(Organisation, Organisation.id == User.org_id)
            .where(UserSession.token_hash == _hash(raw))
        ).first()
    if row is None:
        return None
    record, user, org = row
    if record.revoked_at is not None or record.expires_at <= now or user.disabled_at is not None:
        return None
    if now - record.last_seen_at > _TOUCH_EVERY:
        with session_scope(write=True) as session:
            fresh = session.get(UserSession, record.id)
            fresh.last_seen_at = now
            fresh.expires_at = now + SESSION_LIFETIME
            session.commit()
    return user, org


def end_session(raw: str | None) -> None:
    """Revoke the session behind ``raw`` (sign-out)."""
    if not raw:
        return
    with session_scope(write=True) as session:
        record = session.exec(select(UserSession).where(UserSession.token_hash == _hash(raw))).first()
        if record is not None and record.revoked_at is None:
            record.revoked_at = utcnow()
            session.commit()


def end_all_sessions(user_id: str, *, keep_raw: str | None = None) -> int:
    """Revoke every session of a user (after a password change), except ``keep_raw``'s."""
    keep = _hash(keep_raw) if keep_raw else None
    now = utcnow()
    with session_scope(write=True) as session:
        records = session.exec(
            select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        ).all()
        ended = 0
        for record in records:
            if record.token_hash != keep:
                record.revoked_at = now
                ended += 1
        session.commit()
    return ended


def cookie_value(cookie_header: str) -> str | None:
    """The session secret inside a ``Cookie`` header, if any."""
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE and value:
            return value
    return None
