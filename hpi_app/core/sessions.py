"""Browser sessions: a random secret in an HttpOnly cookie, only its hash stored.

A session slides (each use extends it by ``SESSION_LIFETIME``) but never outlives
``HPI_SESSION_MAX_AGE`` from sign-in. When ``HPI_PUBLIC_URL`` is https, HPI's cookies are
``Secure`` and carry the ``__Host-`` prefix (this host only, path ``/``, never over http), even
where a TLS load balancer in front makes the app itself see http.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlmodel import select

from hpi_app.config import settings
from hpi_app.db import session_scope
from hpi_app.models import Organisation, User, UserSession, utcnow

SECURE_COOKIES = settings.public_url.lower().startswith("https://")
# Every cookie HPI sets is named with this prefix (the session's here, link grants' in link_codes).
COOKIE_PREFIX = "__Host-" if SECURE_COOKIES else ""
SESSION_COOKIE = f"{COOKIE_PREFIX}hpi_session"
SESSION_LIFETIME = timedelta(days=14)
SESSION_MAX_AGE = timedelta(seconds=settings.session_max_age_seconds)
_TOUCH_EVERY = timedelta(minutes=5)


def secret_hash(raw: str) -> str:
    """What the store keeps of a session secret (its SHA-256)."""
    return hashlib.sha256(raw.encode()).hexdigest()


_hash = secret_hash


def start_session(user_id: str, user_agent: str = "") -> str:
    """Open a session for a signed-in user; returns the raw secret for the cookie."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    with session_scope(write=True) as session:
        session.add(
            UserSession(
                user_id=user_id,
                token_hash=_hash(raw),
                created_at=now,
                last_seen_at=now,
                expires_at=now + min(SESSION_LIFETIME, SESSION_MAX_AGE),
                user_agent=user_agent[:300],
            )
        )
        session.commit()
    return raw


def resolve_session(raw: str | None) -> tuple[User, Organisation] | None:
    """The active user and organisation behind a session secret, or None.

    A session slides: each use (at most every few minutes) extends it by its lifetime, but
    never past ``SESSION_MAX_AGE`` after it began.
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
    ends_at = record.created_at + SESSION_MAX_AGE
    if record.revoked_at is not None or user.disabled_at is not None:
        return None
    if min(record.expires_at, ends_at) <= now:
        return None
    if now - record.last_seen_at > _TOUCH_EVERY:
        with session_scope(write=True) as session:
            fresh = session.get(UserSession, record.id)
            fresh.last_seen_at = now
            fresh.expires_at = min(now + SESSION_LIFETIME, ends_at)
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
